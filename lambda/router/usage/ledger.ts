/**
 * The usage ledger: a `UsageSink` that writes each chat request's usage record to the DynamoDB
 * usage table (layout: ../../shared/usage-table-schema.ts), and the reads and writes behind
 * `POST /v1/feedback` and `GET /v1/usage`.
 *
 * Per chat request, one `TransactWriteItems` (./transact.ts) after the answer has ended: the raw
 * record (with `ttl`, written only if absent: the idempotency marker), six aggregate `ADD`s (month:
 * total, workflow, route, model, prompt version; day: total), the budget settlement of each
 * reserved period and the deletion of the request's in-flight item. All or nothing: a settlement
 * DynamoDB applied but answered late, then sent again, finds its raw record and changes nothing;
 * one that failed left nothing behind and is retried, or logged for replay.
 *
 * A record that cannot be written is never lost silently: the whole record and its reservation are
 * logged as one line with `gateway.usage.unrecorded: true`, which `cdk-ai-gateway usage replay`
 * writes back (the same transaction, so a replay of a record already written changes nothing).
 * Until then its in-flight item keeps the reservation, and the sweeper settles it as `abandoned`;
 * the replay then corrects that record to the real one.
 *
 * Workflow and prompt values come from the client: each tenant may create at most a capped number
 * of distinct values per month in the aggregates; beyond that they count under `other` (the raw
 * record keeps the value), and a `gateway.usage.dimension_capped` line is logged.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  aggregateSortKey, BUDGET_SORT_KEY, CAPPED_DIMENSIONS, dayKey, DEFAULT_DIMENSION_VALUE_CAP, DEFAULT_USAGE_RECORD_TTL_DAYS,
  dimensionValuesSortKey, monthKey, NO_DIMENSION_VALUE, OVERFLOW_DIMENSION_VALUE, requestSortKey, tenantRecordsKey,
  USAGE_COUNTERS, USAGE_TABLE_KEYS as K, utcDay, utcMonth,
} from '../../shared/usage-table-schema';
import { BudgetReservation } from './budget';
import { transact, TransactItem, TransactOptions, transactionToken, WritePhase } from './transact';
import { Outcome, UsageRecord, UsageSink } from './types';

import {
  BudgetState, Feedback, FeedbackAttribution, FeedbackRefusal, PeriodUsage, UsageAggregate, UsageCounters, UsagePage, UsagePageRequest, UsageStore,
} from './store';
import { stdoutLine } from '../telemetry/stdout';
import { roundUsd } from './cost';

export * from './store';

export interface DynamoUsageLedgerOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days raw records are kept. @default DEFAULT_USAGE_RECORD_TTL_DAYS (90) */
  readonly recordTtlDays?: number;
  /**
   * Distinct workflow (and prompt) values per tenant and month in the aggregates; more count under
   * `other`. @default DEFAULT_DIMENSION_VALUE_CAP (100)
   */
  readonly dimensionValueCap?: number;
  /** Writes one structured log line (the unrecorded records). @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** Backoff of transactions that conflict (tests). @default timers and Math.random */
  readonly transact?: TransactOptions;
}

/** What writing a record came to. */
export enum LedgerWrite {
  /** Written now: raw record, aggregates and budget settlement. */
  RECORDED = 'recorded',
  /** An `abandoned` record of the same request was replaced, and the aggregates and budget corrected. */
  CORRECTED = 'corrected',
  /** Already on record (a replay, or a write repeated after a late answer): nothing changed. */
  ALREADY_RECORDED = 'already_recorded',
}

/** What {@link DynamoUsageLedger.settle} did, and the outcome of the record it found already on record. */
export interface LedgerSettlement {
  readonly write: LedgerWrite;
  /** With `ALREADY_RECORDED`: the `outcome` of the record on record (the sweeper's `abandoned` one, say). */
  readonly existingOutcome?: string;
}

/** The aggregate values a record was counted under (after the cap), kept on its raw item. */
type LedgerDimensions = Record<'WORKFLOW' | 'ROUTE' | 'MODEL' | 'PROMPT', string>;

/** Fields the ledger adds to a raw record item besides the usage record. */
const LEDGER_DIMENSIONS_ATTRIBUTE = 'ledgerDimensions';
const BUDGET_PERIODS_ATTRIBUTE = 'budgetPeriods';

/**
 * Fields of the raw record item besides the keys: the usage record without operator detail, and
 * without undefined values at any depth (whatever the document client's marshalling options).
 */
function recordItem(record: UsageRecord): Record<string, unknown> {
  const { errorDetail: _operatorOnly, stageMs: _logOnly, ...rest } = record;
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
  c.costUsd = roundUsd(c.costUsd);
  c.wasteUsd = roundUsd(c.wasteUsd);
  return c as UsageCounters;
}

/** True for outcomes that count as errors (not rejections, not client disconnects). */
export function isErrorOutcome(outcome: Outcome): boolean {
  return outcome === Outcome.UPSTREAM_ERROR || outcome === Outcome.STREAM_ERROR || outcome === Outcome.INTERNAL_ERROR;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** What one record adds to each of its aggregates. */
export function incrementsOf(record: Pick<UsageRecord, 'outcome'> & Partial<Record<keyof UsageRecord, unknown>>): Partial<UsageCounters> {
  return {
    requests: 1,
    errors: isErrorOutcome(record.outcome) ? 1 : 0,
    rejections: record.outcome === Outcome.REJECTED ? 1 : 0,
    abandoned: record.outcome === Outcome.ABANDONED ? 1 : 0,
    inputTokens: num(record.inputTokens),
    outputTokens: num(record.outputTokens),
    cacheReadInputTokens: num(record.cacheReadInputTokens),
    cacheWriteInputTokens: num(record.cacheWriteInputTokens),
    costUsd: num(record.costUsd),
    wasteInputTokens: num(record.wasteInputTokens),
    wasteOutputTokens: num(record.wasteOutputTokens),
    wasteUsd: num(record.wasteUsd),
  };
}

/** The aggregate items of a record: [partition key, dimension, value (undefined for totals)]. */
function aggregateTargets(tenantId: string, arrived: number, dims: LedgerDimensions): [string, string, string | undefined][] {
  const month = monthKey(tenantId, utcMonth(arrived));
  return [
    [month, 'TOTAL', undefined],
    [month, 'WORKFLOW', dims.WORKFLOW],
    [month, 'ROUTE', dims.ROUTE],
    [month, 'MODEL', dims.MODEL],
    [month, 'PROMPT', dims.PROMPT],
    [dayKey(tenantId, utcDay(arrived)), 'TOTAL', undefined],
  ];
}

function promptValue(promptId: unknown, promptVersion: unknown): string {
  return typeof promptId === 'string' ? `${promptId}@${typeof promptVersion === 'string' ? promptVersion : NO_DIMENSION_VALUE}` : NO_DIMENSION_VALUE;
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
  private readonly cap: number;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly now: () => number;
  private readonly transactOptions: TransactOptions;
  /** Capped-dimension decisions of this execution environment: `<pk>|<dimension>|<value>` → admitted. */
  private readonly admitted = new Map<string, boolean>();

  constructor(options: DynamoUsageLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = (options.recordTtlDays ?? DEFAULT_USAGE_RECORD_TTL_DAYS) * 86_400;
    this.cap = options.dimensionValueCap ?? DEFAULT_DIMENSION_VALUE_CAP;
    this.log = options.log ?? stdoutLine;
    this.now = options.now ?? Date.now;
    this.transactOptions = options.transact ?? {};
  }

  async record(record: UsageRecord, reservation?: BudgetReservation): Promise<void> {
    if (record.tenantId === undefined || record.operation !== 'chat.completions') return;
    try {
      await this.write(record, reservation);
    } catch (error) {
      this.log({
        timestamp: new Date(this.now()).toISOString(),
        level: 'ERROR',
        message: 'usage record not written to the ledger',
        'gateway.usage.unrecorded': true,
        'gateway.usage.table': this.tableName,
        'error.type': error instanceof Error ? error.name : 'error',
        'gateway.usage.record': recordItem(record),
        ...(reservation ? { 'gateway.usage.reservation': JSON.parse(JSON.stringify(reservation)) as unknown } : {}),
      });
    }
  }

  /**
   * Writes a record and settles its reservation in one transaction, exactly once per request id:
   * the raw record, the aggregates, the budget settlement and the in-flight item's deletion. A
   * record already on record is left alone, unless it is the sweeper's `abandoned` record and this
   * one is the real one: then it is replaced and the aggregates and budgets corrected by the
   * difference. Throws when the write failed (nothing was written).
   *
   * @param extra more attributes of the raw item (the sweeper's reservation details)
   * @example
   * await ledger.write(record, reservation); // LedgerWrite.RECORDED
   */
  async write(record: UsageRecord, reservation?: BudgetReservation, extra: Record<string, unknown> = {}): Promise<LedgerWrite> {
    return (await this.settle(record, reservation, extra)).write;
  }

  /**
   * {@link write}, also telling what was on record when nothing was written: the sweeper tells its
   * own `abandoned` record (a transaction whose answer was lost) from the request's real one
   * without reading the record a second time.
   */
  async settle(record: UsageRecord, reservation?: BudgetReservation, extra: Record<string, unknown> = {}): Promise<LedgerSettlement> {
    const tenantId = record.tenantId;
    if (tenantId === undefined) throw new Error(`usage record ${record.requestId} has no tenant`);
    const arrived = Date.parse(record.timestamp);
    const dims = await this.dimensionsOf(record, tenantId, arrived);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...recordItem(record),
            ...extra,
            [LEDGER_DIMENSIONS_ATTRIBUTE]: dims,
            [K.partitionKey]: tenantRecordsKey(tenantId),
            [K.sortKey]: requestSortKey(record.requestId),
            [K.timeToLive]: Math.floor(arrived / 1000) + this.ttlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
        },
      },
      ...aggregateTargets(tenantId, arrived, dims).map(([pk, dimension, value]) => this.addItem(pk, dimension, value, incrementsOf(record))),
      ...(reservation?.periods ?? []).map((pk) => this.budgetItem(pk, record.costUsd - reservation!.reservedUsd, -reservation!.reservedUsd, record.costUsd)),
      ...(reservation?.inflight ? [{ Delete: { TableName: this.tableName, Key: { [K.partitionKey]: reservation.inflight.pk, [K.sortKey]: reservation.inflight.sk } } }] : []),
    ];
    const outcome = await transact(this.client, items, transactionToken(this.tableName, record.requestId, WritePhase.SETTLE), this.transactOptions);
    if (outcome.applied) return { write: LedgerWrite.RECORDED };
    const existing = await this.getRecord(tenantId, record.requestId);
    if (existing === undefined) throw new Error(`the settlement of ${record.requestId} was cancelled (${outcome.reasons.join(', ')})`);
    if (existing.outcome === Outcome.ABANDONED && record.outcome !== Outcome.ABANDONED) return { write: await this.correct(record, tenantId, dims, existing) };
    return { write: LedgerWrite.ALREADY_RECORDED, ...(typeof existing.outcome === 'string' ? { existingOutcome: existing.outcome } : {}) };
  }

  /** Replaces an `abandoned` record by the real one; aggregates and budgets get the difference. */
  private async correct(record: UsageRecord, tenantId: string, dims: LedgerDimensions, old: Record<string, unknown>): Promise<LedgerWrite> {
    const arrived = Date.parse(record.timestamp);
    const oldArrived = typeof old.timestamp === 'string' ? Date.parse(old.timestamp) : arrived;
    const oldDims = (old[LEDGER_DIMENSIONS_ATTRIBUTE] ?? {}) as Partial<LedgerDimensions>;
    const deltas = new Map<string, { pk: string; dimension: string; value?: string; counters: Record<string, number> }>();
    const merge = (targets: [string, string, string | undefined][], increments: Partial<UsageCounters>, sign: number): void => {
      for (const [pk, dimension, value] of targets) {
        const key = `${pk}|${aggregateSortKey(dimension, value)}`;
        const entry = deltas.get(key) ?? { pk, dimension, ...(value !== undefined ? { value } : {}), counters: {} };
        for (const [name, amount] of Object.entries(increments)) entry.counters[name] = (entry.counters[name] ?? 0) + sign * (amount ?? 0);
        deltas.set(key, entry);
      }
    };
    merge(aggregateTargets(tenantId, arrived, dims), incrementsOf(record), 1);
    merge(aggregateTargets(tenantId, oldArrived, {
      WORKFLOW: oldDims.WORKFLOW ?? NO_DIMENSION_VALUE, ROUTE: oldDims.ROUTE ?? NO_DIMENSION_VALUE,
      MODEL: oldDims.MODEL ?? NO_DIMENSION_VALUE, PROMPT: oldDims.PROMPT ?? NO_DIMENSION_VALUE,
    }), incrementsOf(old as unknown as UsageRecord), -1);
    const costDelta = record.costUsd - num(old.costUsd);
    const periods = Array.isArray(old[BUDGET_PERIODS_ATTRIBUTE]) ? (old[BUDGET_PERIODS_ATTRIBUTE] as unknown[]).filter((p): p is string => typeof p === 'string') : [];
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...recordItem(record),
            [LEDGER_DIMENSIONS_ATTRIBUTE]: dims,
            correctedFrom: Outcome.ABANDONED,
            [K.partitionKey]: tenantRecordsKey(tenantId),
            [K.sortKey]: requestSortKey(record.requestId),
            [K.timeToLive]: Math.floor(arrived / 1000) + this.ttlSeconds,
          },
          ConditionExpression: '#outcome = :abandoned',
          ExpressionAttributeNames: { '#outcome': 'outcome' },
          ExpressionAttributeValues: { ':abandoned': Outcome.ABANDONED },
        },
      },
      ...[...deltas.values()].map((d) => this.addItem(d.pk, d.dimension, d.value, d.counters)),
      ...periods.map((pk) => this.budgetItem(pk, costDelta, 0, costDelta)),
    ];
    const outcome = await transact(this.client, items, transactionToken(this.tableName, record.requestId, WritePhase.CORRECT), this.transactOptions);
    if (outcome.applied) return LedgerWrite.CORRECTED;
    const now = await this.getRecord(tenantId, record.requestId);
    // Corrected by this very transaction, whose answer was lost and which the SDK sent again.
    if (now !== undefined && now.outcome !== Outcome.ABANDONED) return now.correctedFrom === Outcome.ABANDONED ? LedgerWrite.CORRECTED : LedgerWrite.ALREADY_RECORDED;
    throw new Error(`the correction of ${record.requestId} was cancelled (${outcome.reasons.join(', ')})`);
  }

  /**
   * The values a record counts under: its workflow and prompt if admitted under the tenant's cap
   * of distinct values this month (an `ADD` to a string set, idempotent), else `other`.
   */
  private async dimensionsOf(record: UsageRecord, tenantId: string, arrived: number): Promise<LedgerDimensions> {
    const month = monthKey(tenantId, utcMonth(arrived));
    const [workflow, prompt] = await Promise.all([
      this.capped(month, CAPPED_DIMENSIONS[0], record.workflow ?? NO_DIMENSION_VALUE, record),
      this.capped(month, CAPPED_DIMENSIONS[1], promptValue(record.promptId, record.promptVersion), record),
    ]);
    return { WORKFLOW: workflow, ROUTE: record.route ?? NO_DIMENSION_VALUE, MODEL: record.priceModelId ?? NO_DIMENSION_VALUE, PROMPT: prompt };
  }

  private async capped(pk: string, dimension: string, value: string, record: UsageRecord): Promise<string> {
    if (value === NO_DIMENSION_VALUE || value === OVERFLOW_DIMENSION_VALUE) return value;
    const key = `${pk}|${dimension}|${value}`;
    let admitted = this.admitted.get(key);
    if (admitted === undefined) {
      try {
        await this.client.send(new UpdateCommand({
          TableName: this.tableName,
          Key: { [K.partitionKey]: pk, [K.sortKey]: dimensionValuesSortKey(dimension) },
          UpdateExpression: 'ADD #values :value',
          ConditionExpression: 'attribute_not_exists(#values) OR contains(#values, :one) OR size(#values) < :cap',
          ExpressionAttributeNames: { '#values': 'values' },
          ExpressionAttributeValues: { ':value': new Set([value]), ':one': value, ':cap': this.cap },
        }));
        admitted = true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        admitted = false;
      }
      // Decisions never change within a month (the set only grows): keep them, within bounds.
      if (this.admitted.size >= 10_000) this.admitted.clear();
      this.admitted.set(key, admitted);
      if (!admitted) {
        this.log({
          timestamp: new Date(this.now()).toISOString(),
          level: 'WARN',
          message: `tenant ${record.tenantId} has ${this.cap} distinct ${dimension.toLowerCase()} values this month; more count as '${OVERFLOW_DIMENSION_VALUE}'`,
          'gateway.usage.dimension_capped': true,
          'gateway.tenant.id': record.tenantId,
          'gateway.request.id': record.requestId,
          'gateway.usage.dimension': dimension,
          'gateway.usage.dimension_cap': this.cap,
        });
      }
    }
    return admitted ? value : OVERFLOW_DIMENSION_VALUE;
  }

  private addItem(pk: string, dimension: string, value: string | undefined, increments: Partial<UsageCounters>): TransactItem {
    const names: Record<string, string> = { '#dim': 'dimension', '#val': 'value' };
    const values: Record<string, unknown> = { ':dim': dimension, ':val': value ?? NO_DIMENSION_VALUE };
    const adds: string[] = [];
    for (const [i, [name, amount]] of Object.entries(increments).entries()) {
      names[`#c${i}`] = name;
      values[`:c${i}`] = name === 'costUsd' || name === 'wasteUsd' ? roundUsd(amount ?? 0) : amount;
      adds.push(`#c${i} :c${i}`);
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: { [K.partitionKey]: pk, [K.sortKey]: aggregateSortKey(dimension, value) },
        UpdateExpression: `SET #dim = :dim, #val = :val ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  private budgetItem(pk: string, committed: number, reserved: number, spent: number): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: { [K.partitionKey]: pk, [K.sortKey]: BUDGET_SORT_KEY },
        UpdateExpression: 'ADD committed :committed, reserved :reserved, spent :spent',
        ExpressionAttributeValues: { ':committed': roundUsd(committed), ':reserved': roundUsd(reserved), ':spent': roundUsd(spent) },
      },
    };
  }

  /**
   * Attaches feedback to a raw record and adds it to the month's total, workflow and prompt
   * aggregates in one transaction, once: a repeat of the same feedback (a late answer sent again)
   * finds it already there and succeeds without counting it twice.
   */
  async recordFeedback(feedback: Feedback): Promise<FeedbackRefusal | FeedbackAttribution | undefined> {
    const at = new Date(feedback.at).toISOString();
    const ours = (item: Record<string, unknown>): boolean => item.feedbackAt === at && item.feedbackScore === feedback.score;
    const existing = await this.getRecord(feedback.tenantId, feedback.requestId);
    if (existing === undefined) return FeedbackRefusal.UNKNOWN_REQUEST;
    if (existing.feedbackAt !== undefined) return ours(existing) ? undefined : FeedbackRefusal.ALREADY_GIVEN;
    const timestamp = typeof existing.timestamp === 'string' ? Date.parse(existing.timestamp) : feedback.at;
    const month = monthKey(feedback.tenantId, utcMonth(timestamp));
    const dims = (existing[LEDGER_DIMENSIONS_ATTRIBUTE] ?? {}) as Partial<LedgerDimensions>;
    const workflow = dims.WORKFLOW ?? (typeof existing.workflow === 'string' ? existing.workflow : NO_DIMENSION_VALUE);
    const prompt = dims.PROMPT ?? promptValue(existing.promptId, existing.promptVersion);
    const increments = { feedbackCount: 1, feedbackScoreSum: feedback.score };
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tableName,
          Key: { [K.partitionKey]: tenantRecordsKey(feedback.tenantId), [K.sortKey]: requestSortKey(feedback.requestId) },
          UpdateExpression: `SET feedbackScore = :score, feedbackAt = :at${feedback.comment !== undefined ? ', feedbackComment = :comment' : ''}`
            + `${feedback.userId !== undefined ? ', feedbackUser = :user' : ''}`,
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(feedbackAt)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
          ExpressionAttributeValues: {
            ':score': feedback.score,
            ':at': at,
            ...(feedback.comment !== undefined ? { ':comment': feedback.comment } : {}),
            ...(feedback.userId !== undefined ? { ':user': feedback.userId } : {}),
          },
        },
      },
      this.addItem(month, 'TOTAL', undefined, increments),
      this.addItem(month, 'WORKFLOW', workflow, increments),
      this.addItem(month, 'PROMPT', prompt, increments),
    ];
    const outcome = await transact(this.client, items, transactionToken(this.tableName, `${feedback.tenantId}/${feedback.requestId}@${at}`, WritePhase.FEEDBACK), this.transactOptions);
    if (outcome.applied) return { workflow, prompt };
    const now = await this.getRecord(feedback.tenantId, feedback.requestId);
    if (now === undefined) return FeedbackRefusal.UNKNOWN_REQUEST;
    return ours(now) ? undefined : FeedbackRefusal.ALREADY_GIVEN;
  }

  async readUsage(tenantId: string, granularity: 'month' | 'day', period: string, page?: UsagePageRequest): Promise<PeriodUsage & UsagePage> {
    if (page === undefined) return readPeriodUsage(this.client, this.tableName, tenantId, granularity, period);
    return readUsagePage(this.client, this.tableName, tenantId, granularity, period, page);
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
        budget = budgetStateOf(item);
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

function budgetStateOf(item: Record<string, unknown>): BudgetState {
  return {
    ...(typeof item.limitUsd === 'number' ? { limitUsd: item.limitUsd } : {}),
    spentUsd: roundUsd(num(item.spent)),
    reservedUsd: Math.max(0, roundUsd(num(item.reserved))),
  };
}

/**
 * One page of a tenant's aggregates of a month or day, in sort-key order (model, prompt, route,
 * workflow), with the period's totals and budget on every page. `page.cursor` is the
 * `nextCursor` of the previous page; a page with no `nextCursor` is the last.
 *
 * @example
 * const first = await readUsagePage(client, 'usage-table', 'acme', 'month', '2026-11', { limit: 50 });
 * const second = await readUsagePage(client, 'usage-table', 'acme', 'month', '2026-11', { limit: 50, cursor: first.nextCursor });
 */
export async function readUsagePage(
  client: DynamoDBDocumentClient, tableName: string, tenantId: string, granularity: 'month' | 'day', period: string, page: UsagePageRequest,
): Promise<PeriodUsage & UsagePage> {
  const pk = granularity === 'month' ? monthKey(tenantId, period) : dayKey(tenantId, period);
  const get = (sk: string) => client.send(new GetCommand({ TableName: tableName, Key: { [K.partitionKey]: pk, [K.sortKey]: sk }, ConsistentRead: true }));
  const [query, total, budgetItem] = await Promise.all([
    client.send(new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :agg)',
      ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
      ExpressionAttributeValues: { ':pk': pk, ':agg': 'AGG#' },
      ConsistentRead: true,
      Limit: page.limit,
      ...(page.cursor !== undefined ? { ExclusiveStartKey: { [K.partitionKey]: pk, [K.sortKey]: page.cursor } } : {}),
    })),
    get(aggregateSortKey('TOTAL')),
    get(BUDGET_SORT_KEY),
  ]);
  const aggregates: UsageAggregate[] = [];
  for (const item of query.Items ?? []) {
    if (item[K.sortKey] === aggregateSortKey('TOTAL')) continue;
    if (typeof item.dimension === 'string' && typeof item.value === 'string') aggregates.push({ dimension: item.dimension, value: item.value, ...countersOf(item) });
  }
  const last = query.LastEvaluatedKey?.[K.sortKey];
  return {
    tenantId, granularity, period, aggregates,
    totals: total.Item ? countersOf(total.Item) : zeroCounters(),
    ...(budgetItem.Item ? { budget: budgetStateOf(budgetItem.Item) } : {}),
    ...(typeof last === 'string' ? { nextCursor: last } : {}),
  };
}
