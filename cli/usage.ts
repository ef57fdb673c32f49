/**
 * `cdk-ai-gateway usage --table NAME --tenant ID (--month YYYY-MM | --day YYYY-MM-DD)`: an
 * operator's report of one tenant's usage from the usage table — totals, budget, and per
 * workflow, route, model and prompt version (months; days have totals only). `--json` prints the
 * raw aggregates instead. Reads only (`GetItem`/`Query`): grant it with `UsageTable.grantReadUsage`.
 */
import { parseArgs } from 'node:util';
import { readPeriodUsage } from '../lambda/router/usage/ledger';
import { ID_PATTERN } from '../lambda/shared/schema';
import { CliIo, EXIT } from './io';
import { DYNAMODB_PROFILES } from '../lambda/clients/dynamodb';
import { documentClient } from '../lambda/clients/dynamodb-document';
import { formatPromptComparison, promptVersionRows } from './usage/by-prompt';
import { formatUsageReport } from './usage/report';

export const USAGE_USAGE = `Usage: cdk-ai-gateway usage --table NAME --tenant ID [--month YYYY-MM | --day YYYY-MM-DD] [options]
       cdk-ai-gateway usage replay --table NAME --file LOG   (see usage replay --help)

Prints one tenant's usage of a month (default: the current UTC month) or a day, with the cost
of failed attempts (retries, fallbacks, cut streams, abandoned invocations) as WASTE USD.

Options:
  --table NAME       the usage table (UsageTable.tableName)
  --tenant ID        the tenant id
  --month YYYY-MM    a calendar month (UTC)
  --day YYYY-MM-DD   a calendar day (UTC; totals only)
  --region REGION    AWS Region (default: the SDK's resolution)
  --endpoint URL     DynamoDB endpoint override
  --by prompt        compare the versions of each prompt: requests, tokens and cost per request,
                     failures, feedback score
  --json             print JSON instead of tables
  --help             this text`;

class UsageArgsError extends Error {}

interface UsageOptions {
  readonly table: string;
  readonly tenant: string;
  readonly granularity: 'month' | 'day';
  readonly period: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly json: boolean;
  /** A grouping to print instead of the full report. */
  readonly by?: 'prompt';
}

function parse(argv: readonly string[], now: Date): UsageOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        table: { type: 'string' }, tenant: { type: 'string' }, month: { type: 'string' }, day: { type: 'string' },
        region: { type: 'string' }, endpoint: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
        by: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageArgsError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  if (!values.table || !/^[A-Za-z0-9_.-]{3,255}$/.test(values.table)) {
    throw new UsageArgsError(`--table must name a DynamoDB table (3 to 255 of A-Z a-z 0-9 _ . -), received ${JSON.stringify(values.table ?? '')}.`);
  }
  if (!values.tenant || !new RegExp(ID_PATTERN).test(values.tenant)) {
    throw new UsageArgsError(`--tenant must be a tenant id (lower-case letters, digits, '.', '_' or '-'), received ${JSON.stringify(values.tenant ?? '')}.`);
  }
  if (values.by !== undefined && values.by !== 'prompt') {
    throw new UsageArgsError(`--by ${JSON.stringify(values.by)} is not allowed; allowed: prompt`);
  }
  if (values.month !== undefined && values.day !== undefined) throw new UsageArgsError('Give either --month or --day, not both.');
  if (values.day !== undefined) {
    const valid = /^\d{4}-\d{2}-\d{2}$/.test(values.day) && !Number.isNaN(Date.parse(`${values.day}T00:00:00Z`))
      && new Date(`${values.day}T00:00:00Z`).toISOString().slice(0, 10) === values.day;
    if (!valid) throw new UsageArgsError(`--day must be a date as YYYY-MM-DD, received ${JSON.stringify(values.day)}.`);
  }
  if (values.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month)) {
    throw new UsageArgsError(`--month must be a month as YYYY-MM, received ${JSON.stringify(values.month)}.`);
  }
  return {
    table: values.table,
    tenant: values.tenant,
    granularity: values.day !== undefined ? 'day' : 'month',
    period: values.day ?? values.month ?? now.toISOString().slice(0, 7),
    json: values.json === true,
    ...(values.by === 'prompt' ? { by: 'prompt' as const } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values.endpoint !== undefined ? { endpoint: values.endpoint } : {}),
  };
}

/**
 * Runs `usage [flags]`; resolves to the exit code (0 done, 1 failed, 2 bad command line). Never throws.
 *
 * @example
 * process.exitCode = await runUsageCommand(['--table', 'gw-usage', '--tenant', 'acme', '--month', '2026-11'], PROCESS_IO);
 */
export async function runUsageCommand(argv: readonly string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  if (argv[0] === 'replay') return (await import('./usage/replay.js')).runUsageReplay(argv.slice(1), io);
  let options: UsageOptions | 'help';
  try {
    options = parse(argv, now());
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    io.stderr("Run 'cdk-ai-gateway usage --help' for usage.");
    return EXIT.USAGE;
  }
  if (options === 'help') {
    io.stdout(USAGE_USAGE);
    return EXIT.OK;
  }
  const client = documentClient({ ...DYNAMODB_PROFILES.OPERATOR, region: options.region, endpoint: options.endpoint });
  try {
    const usage = await readPeriodUsage(client, options.table, options.tenant, options.granularity, options.period);
    const text = options.by === 'prompt' ? formatPromptComparison(usage) : formatUsageReport(usage);
    io.stdout(options.json ? JSON.stringify(options.by === 'prompt' ? promptVersionRows(usage) : usage, null, 2) : text);
    return EXIT.OK;
  } catch (err) {
    io.stderr(`error: could not read the usage table ${options.table}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return EXIT.FAILED;
  } finally {
    client.destroy();
  }
}
