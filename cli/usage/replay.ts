/**
 * `cdk-ai-gateway usage replay --table NAME --file LOG`: writes back the usage records the router
 * could not write to the ledger. It reads JSON log lines (the router's log group exported or
 * copied, one JSON object per line; other lines are skipped), takes those with
 * `gateway.usage.unrecorded: true`, and writes each record and its reservation's settlement with
 * the router's own transaction: a record already on record is left alone (replaying a file twice
 * changes nothing), and one the sweeper settled as `abandoned` meanwhile is corrected to the real one.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BudgetReservation } from '../../lambda/router/usage/budget';
import { DynamoUsageLedger, LedgerWrite } from '../../lambda/router/usage/ledger';
import { Outcome, UsageRecord } from '../../lambda/router/usage/types';
import { CliIo, EXIT } from '../io';
import { DYNAMODB_PROFILES } from '../../lambda/clients/dynamodb';
import { documentClient } from '../../lambda/clients/dynamodb-document';
import { jsonObjectLines } from './json-lines';

export const REPLAY_USAGE = `Usage: cdk-ai-gateway usage replay --table NAME --file LOG [options]

Writes back the usage records the router logged as not written to the ledger
(lines with "gateway.usage.unrecorded": true), with their budget settlement. Safe to repeat.

Options:
  --table NAME       the usage table (UsageTable.tableName)
  --file LOG         JSON log lines (one object per line), or - for standard input
  --region REGION    AWS Region (default: the SDK's resolution)
  --endpoint URL     DynamoDB endpoint override
  --help             this text`;

class ReplayArgsError extends Error {}

interface UnrecordedLine {
  readonly line: number;
  readonly record: UsageRecord;
  readonly reservation?: BudgetReservation;
}

/** The unrecorded records of a log, with the line each came from. Lines that are not JSON objects are skipped. */
export function unrecordedRecords(text: string): UnrecordedLine[] {
  const found: UnrecordedLine[] = [];
  for (const { line, object: o } of jsonObjectLines(text)) {
    const record = o['gateway.usage.record'];
    if (o['gateway.usage.unrecorded'] !== true || typeof record !== 'object' || record === null) continue;
    const r = record as UsageRecord;
    if (typeof r.requestId !== 'string' || typeof r.tenantId !== 'string' || typeof r.timestamp !== 'string') continue;
    const reservation = o['gateway.usage.reservation'];
    found.push({ line, record: r, ...(typeof reservation === 'object' && reservation !== null ? { reservation: reservation as BudgetReservation } : {}) });
  }
  return found;
}

/**
 * Runs `usage replay [flags]`; resolves to the exit code (0 all written or already there, 1 some
 * failed, 2 bad command line). Never throws.
 *
 * @example
 * process.exitCode = await runUsageReplay(['--table', 'gw-usage', '--file', 'router.log'], PROCESS_IO);
 */
export async function runUsageReplay(argv: readonly string[], io: CliIo, readInput: (file: string) => string = (f) => readFileSync(f === '-' ? 0 : f, 'utf8')): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        table: { type: 'string' }, file: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
    if (values.help) {
      io.stdout(REPLAY_USAGE);
      return EXIT.OK;
    }
    if (!values.table || !/^[A-Za-z0-9_.-]{3,255}$/.test(values.table)) {
      throw new ReplayArgsError(`--table must name a DynamoDB table (3 to 255 of A-Z a-z 0-9 _ . -), received ${JSON.stringify(values.table ?? '')}.`);
    }
    if (!values.file) throw new ReplayArgsError('--file must name a file of JSON log lines, or - for standard input.');
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}`);
    io.stderr("Run 'cdk-ai-gateway usage replay --help' for usage.");
    return EXIT.USAGE;
  }
  let lines: UnrecordedLine[];
  try {
    lines = unrecordedRecords(readInput(values.file));
  } catch (err) {
    io.stderr(`error: could not read ${values.file}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.FAILED;
  }
  const client = documentClient({ ...DYNAMODB_PROFILES.OPERATOR, region: values.region, endpoint: values.endpoint });
  const ledger = new DynamoUsageLedger({
    client, tableName: values.table,
    log: (line) => { io.stderr(JSON.stringify(line)); },
  });
  const counts = { [LedgerWrite.RECORDED]: 0, [LedgerWrite.CORRECTED]: 0, [LedgerWrite.ALREADY_RECORDED]: 0, failed: 0 };
  try {
    for (const { line, record, reservation } of lines) {
      try {
        // Already on record (and not as abandoned): nothing to do, whatever a write would answer.
        const existing = await ledger.getRecord(record.tenantId!, record.requestId);
        if (existing !== undefined && existing.outcome !== Outcome.ABANDONED) counts[LedgerWrite.ALREADY_RECORDED]++;
        else counts[await ledger.write(record, reservation)]++;
      } catch (err) {
        counts.failed++;
        io.stderr(`error: line ${line}, request ${record.requestId}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
    }
  } finally {
    client.destroy();
  }
  io.stdout(`${lines.length} unrecorded records: ${counts.recorded} recorded, ${counts.corrected} corrected (were abandoned), `
    + `${counts.already_recorded} already recorded, ${counts.failed} failed`);
  return counts.failed > 0 ? EXIT.FAILED : EXIT.OK;
}
