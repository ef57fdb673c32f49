/**
 * Tenant budgets in the usage table: before the model call a request reserves its worst-case cost
 * on the tenant's month (and day, when the tenant has a daily limit) budget item with a
 * conditional `ADD`; afterwards it settles the real cost and releases the rest.
 *
 * Each budget item (`TENANT#<t>#MONTH#<YYYY-MM>` / `BUDGET`, and the same per day) holds
 * `committed` (spent + reserved: the only value the condition needs, since DynamoDB conditions
 * cannot add), `reserved`, `spent` and the `limitUsd` in force. A reservation succeeds only if
 * `committed + cost <= limit` at the moment of the write, so concurrent requests can never commit
 * more than the limit; a request can overshoot only when it costs more than its worst-case
 * estimate. A new period is a new item: budgets renew at 00:00 UTC on the 1st (month) or every day.
 *
 * The reservation is one transaction (./transact.ts) with the request's in-flight item
 * (`INFLIGHT#<shard>`, sorted by expiry): if the invocation dies before settling, the usage sweeper
 * finds the expired item, releases the reservation and writes an `abandoned` record. Every request
 * of a known tenant gets an in-flight item, budget or not, so every request ends in one record. The
 * in-flight item is also the reservation's idempotency marker: a reservation applied but answered
 * late and sent again finds it and is not counted twice.
 */
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TenantBudget } from '../../shared/config';
import {
  BUDGET_SORT_KEY, dayKey, inflightKey, monthKey, nextUtcDayStart, nextUtcMonthStart, SETTLE_MARGIN_MS, USAGE_TABLE_KEYS as K, utcDay, utcMonth,
} from '../../shared/usage-table-schema';
import { RateLimitError } from '../errors';
import { DEFAULT_METRICS_NAMESPACE } from '../telemetry/log-sink';
import { BudgetGuard, BudgetRequest, BudgetReservation, InflightKey } from './budget';
import { transact, TransactItem, TransactOptions, transactionToken, WritePhase } from './transact';
import { stdoutLine } from '../telemetry/stdout';
import { roundUsd } from './cost';

/** The soft threshold unless a tenant's budget names another. */
export const DEFAULT_SOFT_THRESHOLD_PERCENT = 80;

/** How long an in-flight item lives when the function timeout is not known (local mode, tests). */
export const DEFAULT_INFLIGHT_LEASE_MS = 15 * 60_000 + SETTLE_MARGIN_MS;

export interface DynamoBudgetGuardOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Each tenant's budget (tenants without one are not limited). */
  readonly budgets: ReadonlyMap<string, TenantBudget>;
  /**
   * How long after its arrival a request's in-flight item expires: the router function's timeout
   * (after it the invocation cannot be alive). @default DEFAULT_INFLIGHT_LEASE_MS
   */
  readonly inflightLeaseMs?: number;
  /**
   * The usage ledger settles the reservations in the same transaction as the usage record (the
   * gateway then skips `settle`). @default false
   */
  readonly settleWithLedger?: boolean;
  /** Writes one structured log line (threshold events, settlement failures). @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** CloudWatch namespace of the `BudgetUsedPercent` metric. @default the router's metrics namespace */
  readonly metricsNamespace?: string;
  /** Backoff of transactions that conflict (tests). @default timers and Math.random */
  readonly transact?: TransactOptions;
}

/** The metric of budget use: percent of a period's limit committed, per tenant and period kind. */
export const BUDGET_METRIC = 'BudgetUsedPercent';
export const BUDGET_METRIC_DIMENSIONS = ['Tenant', 'BudgetPeriod'] as const;

interface Period {
  readonly kind: 'monthly' | 'daily';
  readonly pk: string;
  readonly name: string;
  readonly limitUsd: number;
  readonly resetsAt: number;
}



/**
 * The DynamoDB budget guard.
 *
 * @example
 * const guard = new DynamoBudgetGuard({ client, tableName, budgets: new Map([['acme', { monthlyUsd: 100 }]]) });
 * const reservation = await guard.reserve({ requestId, tenantId: 'acme', route: 'chat', estimatedCostUsd: 0.02 });
 * await guard.settle(reservation, 0.013);
 */
export class DynamoBudgetGuard implements BudgetGuard {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly budgets: ReadonlyMap<string, TenantBudget>;
  private readonly leaseMs: number;
  private readonly settleWithLedger: boolean;
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly now: () => number;
  private readonly metricsNamespace: string;
  private readonly transactOptions: TransactOptions;

  constructor(options: DynamoBudgetGuardOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.budgets = options.budgets;
    this.leaseMs = options.inflightLeaseMs ?? DEFAULT_INFLIGHT_LEASE_MS;
    this.settleWithLedger = options.settleWithLedger ?? false;
    this.log = options.log ?? stdoutLine;
    this.now = options.now ?? Date.now;
    this.metricsNamespace = options.metricsNamespace ?? process.env.GATEWAY_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE;
    this.transactOptions = options.transact ?? {};
  }

  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    const budget = this.budgets.get(request.tenantId);
    const at = this.now();
    const receivedAt = request.receivedAt ?? at;
    const amount = roundUsd(Math.max(0, request.estimatedCostUsd));
    const periods: Period[] = [];
    if (budget) {
      periods.push({ kind: 'monthly', pk: monthKey(request.tenantId, utcMonth(at)), name: utcMonth(at), limitUsd: budget.monthlyUsd, resetsAt: nextUtcMonthStart(at) });
      if (budget.dailyUsd !== undefined) {
        periods.push({ kind: 'daily', pk: dayKey(request.tenantId, utcDay(at)), name: utcDay(at), limitUsd: budget.dailyUsd, resetsAt: nextUtcDayStart(at) });
      }
      const tooSmall = periods.find((p) => amount > p.limitUsd);
      if (tooSmall) throw this.exceeded(request.tenantId, tooSmall, amount, at);
    }
    const reservedUsd = budget ? amount : 0;
    const expiresAt = receivedAt + this.leaseMs;
    const inflight = inflightKey(request.requestId, expiresAt);
    const items: TransactItem[] = [
      ...periods.map((period): TransactItem => ({
        Update: {
          TableName: this.tableName,
          Key: { [K.partitionKey]: period.pk, [K.sortKey]: BUDGET_SORT_KEY },
          UpdateExpression: 'SET limitUsd = :limit ADD committed :r, reserved :r',
          ConditionExpression: 'attribute_not_exists(committed) OR committed <= :room',
          ExpressionAttributeValues: { ':limit': period.limitUsd, ':r': amount, ':room': roundUsd(period.limitUsd - amount) },
        },
      })),
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...request.recordFields,
            [K.partitionKey]: inflight.pk,
            [K.sortKey]: inflight.sk,
            requestId: request.requestId,
            tenantId: request.tenantId,
            route: request.route,
            receivedAt,
            expiresAt,
            reservedUsd,
            estimatedCostUsd: amount,
            budgetPeriods: periods.map((p) => p.pk),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
        },
      },
    ];
    const outcome = await transact(this.client, items, transactionToken(this.tableName, request.requestId, WritePhase.RESERVE), this.transactOptions);
    if (!outcome.applied) {
      // Ours already (a reservation sent again after a late answer), or a budget that cannot cover it.
      if (!(await this.exists(inflight))) {
        const failed = periods.find((_, i) => outcome.reasons[i] === 'ConditionalCheckFailed') ?? periods[0];
        if (failed) throw this.exceeded(request.tenantId, failed, amount, at);
        throw new Error(`the reservation of ${request.requestId} was cancelled (${outcome.reasons.join(', ')})`);
      }
    }
    // Read back while the model works: the metric and the threshold event are not worth a round trip
    // before the call.
    const pending = budget && periods.length > 0 ? this.report(request, budget, periods, amount, at) : undefined;
    return {
      requestId: request.requestId,
      tenantId: request.tenantId,
      reservedUsd,
      periods: periods.map((p) => p.pk),
      inflight,
      ...(this.settleWithLedger ? { settlesWithRecord: true } : {}),
      ...(pending ? { pending } : {}),
    };
  }

  /**
   * Settles a reservation without the ledger: the budget items and the in-flight item's deletion,
   * in one transaction that applies once (conditioned on the in-flight item). Never throws.
   */
  async settle(reservation: BudgetReservation, actualCostUsd: number): Promise<void> {
    const periods = reservation.periods ?? [];
    if (periods.length === 0 && !reservation.inflight) return;
    const actual = roundUsd(Math.max(0, actualCostUsd));
    const items: TransactItem[] = periods.map((pk) => ({
      Update: {
        TableName: this.tableName,
        Key: { [K.partitionKey]: pk, [K.sortKey]: BUDGET_SORT_KEY },
        UpdateExpression: 'ADD committed :delta, reserved :release, spent :actual',
        ExpressionAttributeValues: { ':delta': roundUsd(actual - reservation.reservedUsd), ':release': -reservation.reservedUsd, ':actual': actual },
      },
    }));
    if (reservation.inflight) {
      items.push({
        Delete: {
          TableName: this.tableName,
          Key: { [K.partitionKey]: reservation.inflight.pk, [K.sortKey]: reservation.inflight.sk },
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': K.partitionKey },
        },
      });
    }
    try {
      // Without an in-flight item (a reservation made elsewhere) the token alone prevents a repeat.
      const outcome = await transact(this.client, items, transactionToken(this.tableName, reservation.requestId, WritePhase.BUDGET_SETTLE), this.transactOptions);
      // Cancelled on the in-flight item's condition: settled before (this settlement sent again).
      const settledBefore = !outcome.applied && reservation.inflight !== undefined && outcome.reasons[items.length - 1] === 'ConditionalCheckFailed';
      if (!outcome.applied && !settledBefore) throw new Error(`the settlement was cancelled (${outcome.reasons.join(', ')})`);
    } catch (error) {
      // Never thrown to the request: its in-flight item stays, and the sweeper releases it.
      this.log({
        timestamp: new Date(this.now()).toISOString(),
        level: 'ERROR',
        message: 'budget settlement not written',
        'gateway.budget.unsettled': true,
        'gateway.request.id': reservation.requestId,
        'gateway.tenant.id': reservation.tenantId,
        'gateway.budget.items': periods,
        'gateway.budget.reserved_usd': reservation.reservedUsd,
        'gateway.cost_usd': actual,
        'error.type': error instanceof Error ? error.name : 'error',
      });
    }
  }

  private async exists(key: InflightKey): Promise<boolean> {
    const out = await this.client.send(new GetCommand({
      TableName: this.tableName, Key: { [K.partitionKey]: key.pk, [K.sortKey]: key.sk }, ConsistentRead: true, ProjectionExpression: '#pk',
      ExpressionAttributeNames: { '#pk': K.partitionKey },
    }));
    return out.Item !== undefined;
  }

  /** Reads the budget items back (eventually consistent) for the use metric and the threshold events. */
  private async report(request: BudgetRequest, budget: TenantBudget, periods: readonly Period[], amount: number, at: number): Promise<void> {
    await Promise.all(periods.map(async (period) => {
      try {
        const out = await this.client.send(new GetCommand({
          TableName: this.tableName, Key: { [K.partitionKey]: period.pk, [K.sortKey]: BUDGET_SORT_KEY }, ProjectionExpression: 'committed',
        }));
        const committed = typeof out.Item?.committed === 'number' ? out.Item.committed : amount;
        this.reportUse(request.tenantId, period, committed, at);
        this.checkThreshold(request, budget, period, committed, amount, at);
      } catch {
        // The metric and the threshold event are best effort; the reservation holds.
      }
    }));
  }

  private exceeded(tenantId: string, period: Period, amount: number, at: number): RateLimitError {
    const resetsAt = new Date(period.resetsAt).toISOString();
    return new RateLimitError(
      `The ${period.kind} budget of tenant ${tenantId} (USD ${period.limitUsd} for ${period.name}) cannot cover this request `
      + `(up to USD ${amount}); it renews at ${resetsAt}.`,
      'budget_exceeded',
      Math.max(1, Math.ceil((period.resetsAt - at) / 1000)),
    );
  }

  /**
   * One Embedded Metric Format line: the share of the period's limit committed after this
   * reservation, so dashboards and alarms see budget use per tenant (a bounded dimension).
   */
  private reportUse(tenantId: string, period: Period, committed: number, at: number): void {
    this.log({
      _aws: {
        Timestamp: at,
        CloudWatchMetrics: [{ Namespace: this.metricsNamespace, Dimensions: [[...BUDGET_METRIC_DIMENSIONS]], Metrics: [{ Name: BUDGET_METRIC, Unit: 'Percent' }] }],
      },
      Tenant: tenantId,
      BudgetPeriod: period.kind,
      [BUDGET_METRIC]: Math.round((committed / period.limitUsd) * 10_000) / 100,
    });
  }

  private checkThreshold(request: BudgetRequest, budget: TenantBudget, period: Period, committed: number, amount: number, at: number): void {
    const percent = budget.softThresholdPercent ?? DEFAULT_SOFT_THRESHOLD_PERCENT;
    const threshold = (period.limitUsd * percent) / 100;
    if (committed < threshold || committed - amount >= threshold) return;
    this.log({
      timestamp: new Date(at).toISOString(),
      level: 'WARN',
      message: `tenant ${request.tenantId} passed ${percent}% of its ${period.kind} budget`,
      'gateway.budget.threshold': true,
      'gateway.tenant.id': request.tenantId,
      'gateway.request.id': request.requestId,
      'gateway.budget.period': period.name,
      'gateway.budget.kind': period.kind,
      'gateway.budget.limit_usd': period.limitUsd,
      'gateway.budget.committed_usd': roundUsd(committed),
      'gateway.budget.threshold_percent': percent,
    });
  }
}
