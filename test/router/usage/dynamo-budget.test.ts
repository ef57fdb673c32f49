/**
 * Budgets against dynalite with the real DynamoDB client: conditional reservations under
 * concurrency, settlement, refusals with the reset time, period boundaries, the soft threshold,
 * and the gateway's 429 before any model call.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { RateLimitError } from '../../../lambda/router/errors';
import { BudgetReservation } from '../../../lambda/router/usage/budget';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { Outcome } from '../../../lambda/router/usage/types';
import { TenantBudget } from '../../../lambda/shared/config';
import { BUDGET_SORT_KEY, dayKey, monthKey } from '../../../lambda/shared/usage-table-schema';
import { rejection } from '../../helpers/router-harness';
import { chatRequest, hello, send, Steps } from '../../helpers/router-fakes';
import { configWithBudgets, createUsageTable, ledgerGateway, useUsageDynamo } from './usage-fixtures';

const local = useUsageDynamo();

const NOV_15 = Date.UTC(2026, 10, 15, 12, 0, 0);

async function budgetItem(table: string, pk: string): Promise<Record<string, unknown> | undefined> {
  return (await local.doc.send(new GetCommand({ TableName: table, Key: { pk, sk: BUDGET_SORT_KEY }, ConsistentRead: true }))).Item;
}

function guard(table: string, budgets: Record<string, TenantBudget>, clock: { t: number }, logged: Record<string, unknown>[] = []): DynamoBudgetGuard {
  return new DynamoBudgetGuard({
    client: local.doc, tableName: table, budgets: new Map(Object.entries(budgets)), now: () => clock.t, log: (l) => { logged.push(l); },
  });
}

const ask = (id: string, usd: number, tenantId = 'acme') => ({ requestId: id, tenantId, route: 'chat', estimatedCostUsd: usd });

describe('DynamoBudgetGuard', () => {
  test('50 concurrent reservations never commit more than the limit; settlement releases the rest', async () => {
    // Prepare: room for exactly 33 reservations of 0.03 in 1.00
    const table = await createUsageTable(local.dynamo.client);
    const g = guard(table, { acme: { monthlyUsd: 1 } }, { t: NOV_15 });
    // Act
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => g.reserve(ask(`r${i}`, 0.03))));
    // Assess
    const granted = results.filter((r): r is PromiseFulfilledResult<BudgetReservation> => r.status === 'fulfilled').map((r) => r.value);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    expect(granted).toHaveLength(33);
    expect(refused).toHaveLength(17);
    for (const e of refused) expect(e).toBeInstanceOf(RateLimitError);
    const inFlight = await budgetItem(table, monthKey('acme', '2026-11'));
    expect(inFlight?.committed as number).toBeCloseTo(0.99, 9);
    expect(inFlight?.committed as number).toBeLessThanOrEqual(1);
    expect(inFlight).toMatchObject({ limitUsd: 1 });
    // Settle: each request really cost 0.02
    await Promise.all(granted.map((r) => g.settle(r, 0.02)));
    const settled = await budgetItem(table, monthKey('acme', '2026-11'));
    expect(settled?.spent as number).toBeCloseTo(0.66, 9);
    expect(settled?.reserved as number).toBeCloseTo(0, 9);
    expect(settled?.committed as number).toBeCloseTo(0.66, 9);
    // The released room is usable again: 0.34 left holds 11 more of 0.03
    const more = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => g.reserve(ask(`m${i}`, 0.03))));
    expect(more.filter((r) => r.status === 'fulfilled')).toHaveLength(11);
  });

  test('a refusal is a 429 budget_exceeded naming the tenant, limit and reset time, with Retry-After until then', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = guard(table, { acme: { monthlyUsd: 0.05 } }, { t: NOV_15 });
    await g.reserve(ask('a', 0.04));
    const error = await rejection(g.reserve(ask('b', 0.02)));
    expect(error).toBeInstanceOf(RateLimitError);
    const e = error as RateLimitError;
    expect(e.code).toBe('budget_exceeded');
    expect(e.message).toMatch(/monthly budget of tenant acme \(USD 0\.05 for 2026-11\).*renews at 2026-12-01T00:00:00\.000Z/);
    expect(e.retryAfterSeconds).toBe((Date.UTC(2026, 11, 1) - NOV_15) / 1000);
    expect(e.headers()).toEqual({ 'retry-after': String((Date.UTC(2026, 11, 1) - NOV_15) / 1000) });
  });

  test('a request dearer than the whole limit is refused without a write', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = guard(table, { acme: { monthlyUsd: 0.01 } }, { t: NOV_15 });
    local.dynamo.resetCounts();
    await expect(g.reserve(ask('a', 0.02))).rejects.toThrow(/cannot cover this request \(up to USD 0\.02\)/);
    expect(local.dynamo.count('UpdateItem')).toBe(0);
  });

  test('the daily limit: refused on the day, the monthly reservation is given back', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = guard(table, { acme: { monthlyUsd: 10, dailyUsd: 0.05 } }, { t: NOV_15 });
    const first = await g.reserve(ask('a', 0.04));
    expect(first.periods).toEqual([monthKey('acme', '2026-11'), dayKey('acme', '2026-11-15')]);
    const e = await rejection(g.reserve(ask('b', 0.02)));
    expect((e as RateLimitError).message).toMatch(/daily budget of tenant acme \(USD 0\.05 for 2026-11-15\).*renews at 2026-11-16T00:00:00\.000Z/);
    expect((e as RateLimitError).retryAfterSeconds).toBe(12 * 3600);
    expect((await budgetItem(table, monthKey('acme', '2026-11')))?.committed as number).toBeCloseTo(0.04, 9);
    expect((await budgetItem(table, dayKey('acme', '2026-11-15')))?.committed as number).toBeCloseTo(0.04, 9);
  });

  test('budgets renew at the period boundary; a reservation settles on the period it was made in', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const clock = { t: Date.UTC(2026, 10, 30, 23, 59, 59) };
    const g = guard(table, { acme: { monthlyUsd: 0.05, dailyUsd: 0.05 } }, clock);
    const lastOfNov = await g.reserve(ask('a', 0.05));
    await expect(g.reserve(ask('b', 0.01))).rejects.toThrow(RateLimitError);
    clock.t = Date.UTC(2026, 11, 1, 0, 0, 0);
    const firstOfDec = await g.reserve(ask('c', 0.05));
    expect(firstOfDec.periods).toEqual([monthKey('acme', '2026-12'), dayKey('acme', '2026-12-01')]);
    await g.settle(lastOfNov, 0.03);
    expect(await budgetItem(table, monthKey('acme', '2026-11'))).toMatchObject({ spent: 0.03, reserved: 0, committed: 0.03 });
    expect(await budgetItem(table, dayKey('acme', '2026-11-30'))).toMatchObject({ spent: 0.03, reserved: 0 });
    expect(await budgetItem(table, monthKey('acme', '2026-12'))).toMatchObject({ committed: 0.05, reserved: 0.05 });
  });

  test('the soft threshold logs one event, from the request that crosses it', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const logged: Record<string, unknown>[] = [];
    const g = guard(table, { acme: { monthlyUsd: 1, softThresholdPercent: 50 } }, { t: NOV_15 }, logged);
    const events = () => logged.filter((l) => l['gateway.budget.threshold']);
    await g.reserve(ask('a', 0.3));
    expect(events()).toHaveLength(0);
    await g.reserve(ask('b', 0.3));
    await g.reserve(ask('c', 0.3));
    expect(events()).toHaveLength(1);
    expect(events()[0]).toMatchObject({
      level: 'WARN', 'gateway.budget.threshold': true, 'gateway.tenant.id': 'acme', 'gateway.request.id': 'b',
      'gateway.budget.kind': 'monthly', 'gateway.budget.period': '2026-11', 'gateway.budget.limit_usd': 1, 'gateway.budget.threshold_percent': 50,
    });
    expect(events()[0]['gateway.budget.committed_usd']).toBeCloseTo(0.6, 9);
  });

  test('every reservation reports budget use as an EMF metric per tenant and period kind', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const logged: Record<string, unknown>[] = [];
    const g = guard(table, { acme: { monthlyUsd: 2, dailyUsd: 1 } }, { t: NOV_15 }, logged);
    const reservation = await g.reserve(ask('a', 0.5));
    // The budget is read back while the model works, not before the call; the gateway awaits it.
    expect(reservation.pending).toBeInstanceOf(Promise);
    await reservation.pending;
    const metrics = logged.filter((l) => l._aws);
    expect(metrics).toHaveLength(2);
    expect(metrics.map((m) => [m.BudgetPeriod, m.BudgetUsedPercent]).sort()).toEqual([['daily', 50], ['monthly', 25]]);
    expect(metrics[0]).toMatchObject({
      Tenant: 'acme',
      _aws: { CloudWatchMetrics: [{ Namespace: 'CdkAiGateway', Dimensions: [['Tenant', 'BudgetPeriod']], Metrics: [{ Name: 'BudgetUsedPercent', Unit: 'Percent' }] }] },
    });
  });

  test('a tenant without a budget reserves nothing: only its in-flight item is written, and deleted by the settlement', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = guard(table, { acme: { monthlyUsd: 1 } }, { t: NOV_15 });
    local.dynamo.resetCounts();
    const r = await g.reserve(ask('a', 5, 'globex'));
    expect(r).toMatchObject({ requestId: 'a', tenantId: 'globex', reservedUsd: 0, periods: [] });
    expect(r.inflight).toBeDefined();
    const inflight = () => local.doc.send(new GetCommand({ TableName: table, Key: { pk: r.inflight!.pk, sk: r.inflight!.sk }, ConsistentRead: true }));
    expect((await inflight()).Item).toMatchObject({ requestId: 'a', tenantId: 'globex', reservedUsd: 0, estimatedCostUsd: 5 });
    await g.settle(r, 4);
    expect((await inflight()).Item).toBeUndefined();
    expect(local.dynamo.count('TransactWriteItems')).toBe(2);
    expect(local.dynamo.count('UpdateItem')).toBe(0);
  });

  test('a settlement that cannot be written is logged, never thrown', async () => {
    const logged: Record<string, unknown>[] = [];
    const g = guard('no-such-table', { acme: { monthlyUsd: 1 } }, { t: NOV_15 }, logged);
    await expect(g.settle({ requestId: 'x', tenantId: 'acme', reservedUsd: 0.1, periods: [monthKey('acme', '2026-11')] }, 0.05)).resolves.toBeUndefined();
    expect(logged[0]).toMatchObject({ 'gateway.budget.unsettled': true, 'gateway.request.id': 'x', 'gateway.budget.reserved_usd': 0.1, 'gateway.cost_usd': 0.05 });
  });
});

describe('budgets in the gateway', () => {
  test('an exhausted budget: 429 with Retry-After before any model call, one rejected record', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table, { config: configWithBudgets({ acme: { monthlyUsd: 0.000001 } }) });
    const res = await send(g.gateway, chatRequest(hello('summary', { max_tokens: 100 })));
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'budget_exceeded' } });
    expect(g.bedrock.calls).toHaveLength(0);
    expect(g.usage.only()).toMatchObject({ outcome: Outcome.REJECTED, status: 429, errorCode: 'budget_exceeded', costUsd: 0 });
  });

  test('an answer settles its real cost: spent equals the recorded cost, nothing stays reserved', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table, { config: configWithBudgets({ acme: { monthlyUsd: 5, dailyUsd: 1 } }) });
    g.bedrock.enqueue(Steps.ok({ usage: { inputTokens: 100, outputTokens: 50 } }));
    const res = await send(g.gateway, chatRequest(hello('summary', { max_tokens: 200 })));
    expect(res.status).toBe(200);
    const record = g.usage.only();
    const month = monthKey('acme', record.timestamp.slice(0, 7));
    const item = await budgetItem(table, month);
    expect(item?.spent as number).toBeCloseTo(record.costUsd, 9);
    expect(item?.reserved as number).toBeCloseTo(0, 9);
    expect(item?.committed as number).toBeCloseTo(record.costUsd, 9);
    expect((await budgetItem(table, dayKey('acme', record.timestamp.slice(0, 10))))?.spent as number).toBeCloseTo(record.costUsd, 9);
  });
});
