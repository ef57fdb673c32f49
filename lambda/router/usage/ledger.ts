/**
 * The usage ledger: a `UsageSink` that writes each chat request's usage record to the DynamoDB
 * usage table (layout: ../../shared/usage-table-schema.ts), and the reads and writes behind
 * `POST /v1/feedback` and `GET /v1/usage`.
 *
 * Per chat request: one `PutItem` (the raw record, with `ttl`) and six `UpdateItem`s with `ADD`
 * (month: total, workflow, route, model, prompt version; day: total), all sent in parallel after
 * the answer has ended. `UpdateItem` rather than `TransactWriteItems`: a transaction that touches
 * an item another transaction is writing fails (`TransactionConflict`), and every request of a
 * tenant writes its month total; `ADD` on one item is atomic without one. The raw record is written
 * with `attribute_not_exists`, so a replayed record is not counted twice.
 *
 * A record that cannot be written is never lost silently: the whole record is logged as one line
 * with `gateway.usage.unrecorded: true`, for replay.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  aggregateSortKey, BUDGET_SORT_KEY, dayKey, DEFAULT_USAGE_RECORD_TTL_DAYS, monthKey, NO_DIMENSION_VALUE,
  requestSortKey, tenantRecordsKey, USAGE_COUNTERS, USAGE_TABLE_KEYS as K, utcDay, utcMonth,
} from '../../shared/usage-table-schema';
import { Outcome, UsageRecord, UsageSink } from './types';

import { BudgetState, Feedback, FeedbackRefusal, PeriodUsage, UsageAggregate, UsageCounters, UsageStore } from './store';

export * from './store';

export interface DynamoUsageLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days raw records are kept. @default DEFAULT_USAGE_RECORD_TTL_DAYS (90) */
  readonly recordTtlDays?: number;
  /** Writes one structured log line (the unrecorded records). @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Fields of the raw record item besides the keys: the usage record without operator detail, and
 * without undefined values at any depth (whatever the document client's marshalling options).
 */
function recordItem(record: UsageRecord): Record<string, unknown> {
  const { errorDetail: _operatorOnly, ...rest } = record;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

function zeroCounters(): UsageCounters {
  const c = {} as Record<string, number>;
  for (const name of USAGE_COUNTERS) c[name] = 0;
  return c as UsageCounters;
}

function countersOf(item: Record<string, unknown>): UsageCounters {
  const c = zeroCounters() as Record<string, number>;
  for (const name of USAGE_COUNTERS) {
    const v = item[name];
    if (typeof v === 'number' && Number.isFinite(v)) c[name] = v;
  }
  // Sums of decimals read back with float noise; a billionth of a dollar is the precision of costs.
  c.costUsd = Math.round(c.costUsd * 1e9) / 1e9;
  return c as UsageCounters;
}

/** True for outcomes that count as errors (not rejections, not client disconnects). */
export function isErrorOutcome(outcome: Outcome): boolean {
  return outcome === Outcome.UPSTREAM_ERROR || outcome === Outcome.STREAM_ERROR || outcome === Outcome.INTERNAL_ERROR;
}

function stdoutLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * The DynamoDB usage ledger. Only chat requests of a known tenant are written (requests that
 * never reached a tenant cost nothing and stay in the log sink's lines).
 *
 * @example
 * const ledger = new DynamoUsageLedger({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 * const sink = new FanOutUsageSink([new LogUsageSink(), ledger]);
 */
export class DynamoUsageLedger implements UsageSink, UsageStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly now: () => number;

  constructor(options: DynamoUsageLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = (options.recordTtlDays ?? DEFAULT_USAGE_RECORD_TTL_DAYS) * 86_400;
    this.log = options.log ?? stdoutLine;
    this.now = options.now ?? Date.now;
  }

  async record(record: UsageRecord): Promise<void> {
    if (record.tenantId === undefined || record.operation !== 'chat.completions') return;
    try {
      await this.write(record, record.tenantId);
    } catch (error) {
      this.log({
        timestamp: new Date(this.now()).toISOString(),
        level: 'ERROR',
        message: 'usage record not written to the ledger',
        'gateway.usage.unrecorded': true,
        'gateway.usage.table': this.tableName,
        'error.type': error instanceof Error ? error.name : 'error',
        'gateway.usage.record': recordItem(record),
      });
    }
  }

  private async write(record: UsageRecord, tenantId: string): Promise<void> {
    const arrived = Date.parse(record.timestamp);
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: {
          ...recordItem(record),
          [K.partitionKey]: tenantRecordsKey(tenantId),
          [K.sortKey]: requestSortKey(record.requestId),
          [K.timeToLive]: Math.floor(arrived / 1000) + this.ttlSeconds,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
      }));
    } catch (error) {
      // Already recorded (a replay): the aggregates counted it then.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
    const month = monthKey(tenantId, utcMonth(arrived));
    const prompt = record.promptId !== undefined ? `${record.promptId}@${record.promptVersion ?? NO_DIMENSION_VALUE}` : NO_DIMENSION_VALUE;
    const targets: [string, string, string | undefined][] = [
      [month, 'TOTAL', undefined],
      [month, 'WORKFLOW', record.workflow ?? NO_DIMENSION_VALUE],
      [month, 'ROUTE', record.route ?? NO_DIMENSION_VALUE],
      [month, 'MODEL', record.priceModelId ?? NO_DIMENSION_VALUE],
      [month, 'PROMPT', prompt],
      [dayKey(tenantId, utcDay(arrived)), 'TOTAL', undefined],
    ];
    const increments: Partial<UsageCounters> = {
      requests: 1,
      errors: isErrorOutcome(record.outcome) ? 1 : 0,
      rejections: record.outcome === Outcome.REJECTED ? 1 : 0,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      cacheReadInputTokens: record.cacheReadInputTokens,
      cacheWriteInputTokens: record.cacheWriteInputTokens,
      costUsd: record.costUsd,
    };
    const results = await Promise.allSettled(targets.map(([pk, dimension, value]) => this.add(pk, dimension, value, increments)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async add(pk: string, dimension: string, value: string | undefined, increments: Partial<UsageCounters>): Promise<void> {
    const names: Record<string, string> = { '#dim': 'dimension', '#val': 'value' };
    const values: Record<string, unknown> = { ':dim': dimension, ':val': value ?? NO_DIMENSION_VALUE };
    const adds: string[] = [];
    for (const [i, [name, amount]] of Object.entries(increments).entries()) {
      names[`#c${i}`] = name;
      values[`:c${i}`] = amount;
      adds.push(`#c${i} :c${i}`);
    }
    await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: { [K.partitionKey]: pk, [K.sortKey]: aggregateSortKey(dimension, value) },
      UpdateExpression: `SET #dim = :dim, #val = :val ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }));
  }

  async recordFeedback(feedback: Feedback): Promise<FeedbackRefusal | undefined> {
    let attributes: Record<string, unknown> | undefined;
    try {
      const out = await this.client.send(new UpdateCommand({
        TableName: this.tableName,
        Key: { [K.partitionKey]: tenantRecordsKey(feedback.tenantId), [K.sortKey]: requestSortKey(feedback.requestId) },
        UpdateExpression: `SET feedbackScore = :score, feedbackAt = :at${feedback.comment !== undefined ? ', feedbackComment = :comment' : ''}`
          + `${feedback.userId !== undefined ? ', feedbackUser = :user' : ''}`,
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(feedbackAt)',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
        ExpressionAttributeValues: {
          ':score': feedback.score,
          ':at': new Date(feedback.at).toISOString(),
          ...(feedback.comment !== undefined ? { ':comment': feedback.comment } : {}),
          ...(feedback.userId !== undefined ? { ':user': feedback.userId } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }));
      attributes = out.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const existing = await this.getRecord(feedback.tenantId, feedback.requestId);
        return existing === undefined ? FeedbackRefusal.UNKNOWN_REQUEST : FeedbackRefusal.ALREADY_GIVEN;
      }
      throw error;
    }
    const timestamp = typeof attributes?.timestamp === 'string' ? Date.parse(attributes.timestamp) : feedback.at;
    const month = monthKey(feedback.tenantId, utcMonth(timestamp));
    const workflow = typeof attributes?.workflow === 'string' ? attributes.workflow : NO_DIMENSION_VALUE;
    const prompt = typeof attributes?.promptId === 'string'
      ? `${attributes.promptId}@${typeof attributes.promptVersion === 'string' ? attributes.promptVersion : NO_DIMENSION_VALUE}` : NO_DIMENSION_VALUE;
    const increments = { feedbackCount: 1, feedbackScoreSum: feedback.score };
    await Promise.all([
      this.add(month, 'TOTAL', undefined, increments),
      this.add(month, 'WORKFLOW', workflow, increments),
      this.add(month, 'PROMPT', prompt, increments),
    ]);
    return undefined;
  }

  async readUsage(tenantId: string, granularity: 'month' | 'day', period: string): Promise<PeriodUsage> {
    return readPeriodUsage(this.client, this.tableName, tenantId, granularity, period);
  }

  /** A raw record (tests, the CLI), or undefined. */
  async getRecord(tenantId: string, requestId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(new GetCommand({
      TableName: this.tableName,
      Key: { [K.partitionKey]: tenantRecordsKey(tenantId), [K.sortKey]: requestSortKey(requestId) },
      ConsistentRead: true,
    }));
    return out.Item;
  }
}

/**
 * One tenant's aggregates and budget state of a month (`YYYY-MM`) or day (`YYYY-MM-DD`): a single
 * strongly consistent query of the period's partition.
 *
 * @example
 * const usage = await readPeriodUsage(client, 'usage-table', 'acme', 'month', '2026-11');
 */
export async function readPeriodUsage(
  client: DynamoDBDocumentClient, tableName: string, tenantId: string, granularity: 'month' | 'day', period: string,
): Promise<PeriodUsage> {
  const pk = granularity === 'month' ? monthKey(tenantId, period) : dayKey(tenantId, period);
  const aggregates: UsageAggregate[] = [];
  let totals = zeroCounters();
  let budget: BudgetState | undefined;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': K.partitionKey },
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }));
    for (const item of out.Items ?? []) {
      const sk = item[K.sortKey];
      if (sk === BUDGET_SORT_KEY) {
        budget = {
          ...(typeof item.limitUsd === 'number' ? { limitUsd: item.limitUsd } : {}),
          spentUsd: Math.round((typeof item.spent === 'number' ? item.spent : 0) * 1e9) / 1e9,
          reservedUsd: Math.max(0, Math.round((typeof item.reserved === 'number' ? item.reserved : 0) * 1e9) / 1e9),
        };
      } else if (sk === aggregateSortKey('TOTAL')) {
        totals = countersOf(item);
      } else if (typeof item.dimension === 'string' && typeof item.value === 'string') {
        aggregates.push({ dimension: item.dimension, value: item.value, ...countersOf(item) });
      }
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { tenantId, granularity, period, totals, aggregates, ...(budget ? { budget } : {}) };
}
