/** Where the advisor's records come from: the usage table (one month), or local-mode usage lines. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { USAGE_TABLE_KEYS } from '../../lambda/shared/usage-table-schema';
import { jsonObjectLines } from '../usage/json-lines';
import { AdvisorRecord, fromLedgerItem, fromLogLine } from './records';

/** The first and last instant of a `YYYY-MM` month (epoch ms, end exclusive). */
export function monthRange(month: string): { start: number; end: number } {
  const start = Date.parse(`${month}-01T00:00:00.000Z`);
  const next = new Date(start);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return { start, end: next.getTime() };
}

/**
 * Every chat request of `month` in the usage table's raw records (a paginated `Scan` filtered to
 * `REQ#` items of the month: the table has no index by time; one pass reads the whole table).
 *
 * @example
 * const records = await readLedgerMonth(documentClient(DYNAMODB_PROFILES.OPERATOR), 'gw-usage', '2026-11');
 */
export async function readLedgerMonth(client: DynamoDBDocumentClient, table: string, month: string): Promise<AdvisorRecord[]> {
  const { start, end } = monthRange(month);
  const records: AdvisorRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({
      TableName: table,
      FilterExpression: 'begins_with(#sk, :req) AND #ts BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#sk': USAGE_TABLE_KEYS.sortKey, '#ts': 'timestamp' },
      ExpressionAttributeValues: { ':req': 'REQ#', ':from': new Date(start).toISOString(), ':to': new Date(end - 1).toISOString() },
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }));
    for (const item of page.Items ?? []) {
      const record = fromLedgerItem(item);
      if (record) records.push(record);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return records;
}

/** The chat requests of `month` in local-mode usage lines: a file, or every file of a directory. */
export function readLocalUsage(path: string, month: string): AdvisorRecord[] {
  const { start, end } = monthRange(month);
  const files = statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(path, f)).filter((f) => statSync(f).isFile()) : [path];
  const records: AdvisorRecord[] = [];
  for (const file of files) {
    for (const { object } of jsonObjectLines(readFileSync(file, 'utf8'))) {
      const record = fromLogLine(object);
      if (record && record.at >= start && record.at < end) records.push(record);
    }
  }
  return records;
}
