/**
 * The usage sweeper: settles what a dead router invocation left open. A request's in-flight item
 * (written with its reservation, deleted by its settlement) outlives its invocation only when the
 * invocation died in between: a Lambda timeout, an out-of-memory kill, a crash. Its sort key starts
 * with its expiry (the arrival plus the router function's timeout), so one query per shard reads
 * exactly the expired items.
 *
 * For each, one transaction (the ledger's own, ./ledger.ts) writes an `abandoned` usage record at
 * the reservation's estimated cost, counts it in the aggregates, turns the reservation into spend
 * and deletes the item. If the request's record is already there (the router recorded it but its
 * reservation was left behind, e.g. after a reservation answered too late), the sweeper only
 * releases the reservation, conditioned on the in-flight item so it happens once. The router and
 * the sweeper racing on one request both write the raw record only if absent: one wins.
 */
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  BUDGET_SORT_KEY, INFLIGHT_SHARDS, inflightPartitionKey, inflightSortPrefix, USAGE_TABLE_KEYS as K,
} from '../../shared/usage-table-schema';
import { BudgetReservation } from './budget';
import { DynamoUsageLedger, LedgerWrite } from './ledger';
import { transact, TransactItem, TransactOptions, transactionToken, WritePhase } from './transact';
import { Outcome, UsageRecord } from './types';
import { stdoutLine } from '../telemetry/stdout';

export interface UsageSweeperOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The ledger that writes the abandoned records (same client and table). */
  readonly ledger: DynamoUsageLedger;
  /** @default Date.now */
  readonly now?: () => number;
  /** Writes one structured log line per settled item. @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
  /** Items read per query page. @default 100 */
  readonly pageSize?: number;
  /** Stop starting new items after this many ms of a run (the function's own timeout). @default 20000 */
  readonly budgetMs?: number;
  /** Backoff of transactions that conflict (tests). */
  readonly transact?: TransactOptions;
}

/** What one run did. */
export interface SweepResult {
  /** Expired in-flight items found. */
  readonly expired: number;
  /** `abandoned` records written (reservation released, estimated cost spent). */
  readonly abandoned: number;
  /** Reservations only released (the request's record already existed). */
  readonly released: number;
  /** Items that failed (left for the next run). */
  readonly failed: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);


/** The `abandoned` usage record of an expired in-flight item. */
export function abandonedRecord(item: Record<string, unknown>, now: number): UsageRecord {
  const receivedAt = num(item.receivedAt);
  const cost = num(item.estimatedCostUsd);
  const optional: Record<string, string> = {};
  for (const name of ['keyId', 'tier', 'workflow', 'promptId', 'promptVersion', 'sensitivity', 'latencyClass', 'requestedModel', 'route']) {
    const v = str(item[name]);
    if (v !== undefined) optional[name] = v;
  }
  return {
    requestId: str(item.requestId) ?? '',
    timestamp: new Date(receivedAt).toISOString(),
    operation: str(item.operation) ?? 'chat.completions',
    tenantId: str(item.tenantId) ?? '',
    ...optional,
    stream: item.stream === true,
    status: 0,
    outcome: Outcome.ABANDONED,
    errorCode: 'invocation_abandoned',
    attempts: 0,
    attemptDetails: [],
    fallback: false,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    usageEstimated: true,
    costUsd: cost,
    wasteUsd: cost,
    wasteInputTokens: 0,
    wasteOutputTokens: 0,
    latencyMs: Math.max(0, now - receivedAt),
  };
}

/**
 * Sweeps the expired in-flight items of every shard once.
 *
 * @example
 * const result = await new UsageSweeper({ client, tableName, ledger }).sweep();
 */
export class UsageSweeper {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ledger: DynamoUsageLedger;
  private readonly now: () => number;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly pageSize: number;
  private readonly budgetMs: number;
  private readonly transactOptions: TransactOptions;

  constructor(options: UsageSweeperOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ledger = options.ledger;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? stdoutLine;
    this.pageSize = options.pageSize ?? 100;
    this.budgetMs = options.budgetMs ?? 20_000;
    this.transactOptions = options.transact ?? {};
  }

  async sweep(): Promise<SweepResult> {
    const started = this.now();
    const counts = { expired: 0, abandoned: 0, released: 0, failed: 0 };
    for (let shard = 0; shard < INFLIGHT_SHARDS; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        if (this.now() - started > this.budgetMs) return counts;
        const out = await this.client.send(new QueryCommand({
          TableName: this.tableName,
          // Expired: the sort key (expiry first) sorts before the current time.
          KeyConditionExpression: '#pk = :pk AND #sk < :now',
          ExpressionAttributeNames: { '#pk': K.partitionKey, '#sk': K.sortKey },
          ExpressionAttributeValues: { ':pk': inflightPartitionKey(shard), ':now': inflightSortPrefix(this.now()) },
          ConsistentRead: true,
          Limit: this.pageSize,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }));
        for (const item of out.Items ?? []) {
          counts.expired++;
          try {
            const done = await this.settle(item);
            counts[done]++;
          } catch (error) {
            counts.failed++;
            this.log({
              timestamp: new Date(this.now()).toISOString(),
              level: 'ERROR',
              message: 'expired in-flight request not settled; retried on the next run',
              'gateway.request.id': item.requestId,
              'gateway.tenant.id': item.tenantId,
              'error.type': error instanceof Error ? error.name : 'error',
              'error.message': error instanceof Error ? error.message.slice(0, 300) : String(error).slice(0, 300),
            });
          }
        }
        start = out.LastEvaluatedKey;
      } while (start);
    }
    return counts;
  }

  private async settle(item: Record<string, unknown>): Promise<'abandoned' | 'released'> {
    const key = { pk: String(item[K.partitionKey]), sk: String(item[K.sortKey]) };
    const periods = Array.isArray(item.budgetPeriods) ? item.budgetPeriods.filter((p): p is string => typeof p === 'string') : [];
    const reservation: BudgetReservation = {
      requestId: str(item.requestId) ?? '',
      tenantId: str(item.tenantId) ?? '',
      reservedUsd: num(item.reservedUsd),
      periods,
      inflight: key,
    };
    const record = abandonedRecord(item, this.now());
    const settled = await this.ledger.settle(record, reservation, { budgetPeriods: periods, reservedUsd: reservation.reservedUsd });
    // Our own abandoned record, written by a transaction whose answer was lost and then sent again.
    const ours = settled.write === LedgerWrite.ALREADY_RECORDED && settled.existingOutcome === Outcome.ABANDONED;
    if (settled.write === LedgerWrite.RECORDED || ours) {
      this.log({
        timestamp: new Date(this.now()).toISOString(),
        level: 'WARN',
        message: 'request abandoned by its invocation: reservation settled at its estimated cost',
        'gateway.usage.abandoned': true,
        'gateway.request.id': record.requestId,
        'gateway.tenant.id': record.tenantId,
        'gateway.cost_usd': record.costUsd,
      });
      return 'abandoned';
    }
    // The request is on record already: give its reservation back, once.
    const items: TransactItem[] = [
      ...periods.map((pk): TransactItem => ({
        Update: {
          TableName: this.tableName,
          Key: { [K.partitionKey]: pk, [K.sortKey]: BUDGET_SORT_KEY },
          UpdateExpression: 'ADD committed :release, reserved :release',
          ExpressionAttributeValues: { ':release': -reservation.reservedUsd },
        },
      })),
      {
        Delete: {
          TableName: this.tableName,
          Key: { [K.partitionKey]: key.pk, [K.sortKey]: key.sk },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
        },
      },
    ];
    await transact(this.client, items, transactionToken(this.tableName, reservation.requestId, WritePhase.RELEASE), this.transactOptions);
    return 'released';
  }
}
