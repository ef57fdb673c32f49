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
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TenantBudget } from '../../shared/config';
import {
  BUDGET_SORT_KEY, dayKey, monthKey, nextUtcDayStart, nextUtcMonthStart, USAGE_TABLE_KEYS as K, utcDay, utcMonth,
} from '../../shared/usage-table-schema';
import { RateLimitError } from '../errors';
import { DEFAULT_METRICS_NAMESPACE } from '../telemetry/log-sink';
import { BudgetGuard, BudgetRequest, BudgetReservation } from './budget';

/** The soft threshold unless a tenant's budget names another. */
export const DEFAULT_SOFT_THRESHOLD_PERCENT = 80;

export interface DynamoBudgetGuardOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Each tenant's budget (tenants without one are not limited and cost no DynamoDB call). */
  readonly budgets: ReadonlyMap<string, TenantBudget>;
  /** Writes one structured log line (threshold events, settlement failures). @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** CloudWatch namespace of the `BudgetUsedPercent` metric. @default the router's metrics namespace */
  readonly metricsNamespace?: string;
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

function stdoutLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const round = (usd: number): number => Math.round(usd * 1e9) / 1e9;

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
  private readonly log: (line: Record<string, unknown>) => void;
  private readonly now: () => number;
  private readonly metricsNamespace: string;

  constructor(options: DynamoBudgetGuardOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.budgets = options.budgets;
    this.log = options.log ?? stdoutLine;
    this.now = options.now ?? Date.now;
    this.metricsNamespace = options.metricsNamespace ?? process.env.GATEWAY_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE;
  }

  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    const budget = this.budgets.get(request.tenantId);
    const none: BudgetReservation = { requestId: request.requestId, tenantId: request.tenantId, reservedUsd: 0 };
    if (!budget) return none;
    const at = this.now();
    const amount = round(Math.max(0, request.estimatedCostUsd));
    const periods: Period[] = [{
      kind: 'monthly', pk: monthKey(request.tenantId, utcMonth(at)), name: utcMonth(at), limitUsd: budget.monthlyUsd, resetsAt: nextUtcMonthStart(at),
    }];
    if (budget.dailyUsd !== undefined) {
      periods.push({ kind: 'daily', pk: dayKey(request.tenantId, utcDay(at)), name: utcDay(at), limitUsd: budget.dailyUsd, resetsAt: nextUtcDayStart(at) });
    }
    const reserved: Period[] = [];
    for (const period of periods) {
      if (amount > period.limitUsd) {
        await this.release(reserved, amount);
        throw this.exceeded(request.tenantId, period, amount, at);
      }
      let committed: number;
      try {
        const out = await this.client.send(new UpdateCommand({
          TableName: this.tableName,
          Key: { [K.partitionKey]: period.pk, [K.sortKey]: BUDGET_SORT_KEY },
          UpdateExpression: 'SET limitUsd = :limit ADD committed :r, reserved :r',
          ConditionExpression: 'attribute_not_exists(committed) OR committed <= :room',
          ExpressionAttributeValues: { ':limit': period.limitUsd, ':r': amount, ':room': round(period.limitUsd - amount) },
          ReturnValues: 'UPDATED_NEW',
        }));
        committed = typeof out.Attributes?.committed === 'number' ? out.Attributes.committed : amount;
      } catch (error) {
        await this.release(reserved, amount);
        if (error instanceof ConditionalCheckFailedException) throw this.exceeded(request.tenantId, period, amount, at);
        throw error;
      }
      reserved.push(period);
      this.reportUse(request.tenantId, period, committed, at);
      this.checkThreshold(request, budget, period, committed, amount, at);
    }
    return { ...none, reservedUsd: amount, periods: reserved.map((p) => p.pk) };
  }

  async settle(reservation: BudgetReservation, actualCostUsd: number): Promise<void> {
    const periods = reservation.periods ?? [];
    const actual = round(Math.max(0, actualCostUsd));
    await Promise.all(periods.map(async (pk) => {
      try {
        await this.client.send(new UpdateCommand({
          TableName: this.tableName,
          Key: { [K.partitionKey]: pk, [K.sortKey]: BUDGET_SORT_KEY },
          UpdateExpression: 'ADD committed :delta, reserved :release, spent :actual',
          ExpressionAttributeValues: { ':delta': round(actual - reservation.reservedUsd), ':release': -reservation.reservedUsd, ':actual': actual },
        }));
      } catch (error) {
        // Never thrown to the request; logged in full so the budget item can be corrected.
        this.log({
          timestamp: new Date(this.now()).toISOString(),
          level: 'ERROR',
          message: 'budget settlement not written',
          'gateway.budget.unsettled': true,
          'gateway.request.id': reservation.requestId,
          'gateway.tenant.id': reservation.tenantId,
          'gateway.budget.item': pk,
          'gateway.budget.reserved_usd': reservation.reservedUsd,
          'gateway.cost_usd': actual,
          'error.type': error instanceof Error ? error.name : 'error',
        });
      }
    }));
  }

  /** Gives back reservations made on earlier periods of a refused request. */
  private async release(periods: readonly Period[], amount: number): Promise<void> {
    await this.settle({ requestId: '', tenantId: '', reservedUsd: amount, periods: periods.map((p) => p.pk) }, 0);
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
      'gateway.budget.committed_usd': round(committed),
      'gateway.budget.threshold_percent': percent,
    });
  }
}
