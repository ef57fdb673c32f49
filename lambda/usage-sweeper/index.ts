/**
 * The usage sweeper Lambda: EventBridge Scheduler invokes it every minute; it settles the in-flight
 * requests whose router invocation died (see ../router/usage/sweeper.ts) and logs one summary line.
 * A run that fails throws, so Lambda retries it and then sends the event to the dead-letter queue;
 * the next scheduled run sweeps again whatever is still expired.
 */
import { usageDocumentClient } from '../router/usage/from-env';
import { DynamoUsageLedger } from '../router/usage/ledger';
import { SweepResult, UsageSweeper } from '../router/usage/sweeper';
import { DEFAULT_USAGE_RECORD_TTL_DAYS, USAGE_RECORD_TTL_DAYS_ENV, USAGE_TABLE_ENV } from '../shared/usage-table-schema';

/** How long a run may start new work: the function timeout minus room to finish the last item. */
export const SWEEP_BUDGET_MS = 20_000;

let sweeper: UsageSweeper | undefined;

function sweeperFromEnv(env: Readonly<Record<string, string | undefined>>): UsageSweeper {
  const tableName = env[USAGE_TABLE_ENV]?.trim();
  if (!tableName) throw new Error(`${USAGE_TABLE_ENV} is not set: the sweeper needs the usage table's name.`);
  const ttlDays = Number(env[USAGE_RECORD_TTL_DAYS_ENV] ?? DEFAULT_USAGE_RECORD_TTL_DAYS);
  const client = usageDocumentClient();
  const ledger = new DynamoUsageLedger({
    client, tableName, recordTtlDays: Number.isInteger(ttlDays) && ttlDays > 0 ? ttlDays : DEFAULT_USAGE_RECORD_TTL_DAYS,
  });
  return new UsageSweeper({ client, tableName, ledger, budgetMs: SWEEP_BUDGET_MS });
}

/** The scheduled handler: one sweep. */
export async function handler(): Promise<SweepResult> {
  sweeper ??= sweeperFromEnv(process.env);
  const result = await sweeper.sweep();
  process.stdout.write(`${JSON.stringify({
    timestamp: new Date().toISOString(), level: result.failed > 0 ? 'ERROR' : 'INFO', message: 'usage sweep', 'gateway.sweep': result,
  })}\n`);
  if (result.failed > 0) throw new Error(`${result.failed} expired in-flight requests could not be settled; see the lines above.`);
  return result;
}
