/**
 * Waste, the cap on client-chosen values and the pages of `GET /v1/usage`, through the gateway
 * against dynalite (behind the proxy that adds transactions); and the sweeper's release of a
 * reservation whose request was recorded without it.
 */
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { UsageSweeper } from '../../../lambda/router/usage/sweeper';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { Outcome } from '../../../lambda/router/usage/types';
import { utcMonth } from '../../../lambda/shared/usage-table-schema';
import { resolved, testConfig } from '../../helpers/router-config';
import { chatRequest, hello, send, Steps, Upstream } from '../../helpers/router-fakes';
import { configWithBudgets, createUsageTable, documentClient, ledgerGateway, ledgerState, useUsageDynamo } from './usage-fixtures';

const local = useUsageDynamo();
const month = utcMonth(Date.now());
const usage = (query: Record<string, string>) => ({
  ...chatRequest(undefined, { method: 'GET', path: '/v1/usage', rawBody: '' }), query,
});

describe('waste', () => {
  test('a timed-out attempt before the answer is charged as waste: in the attempt, the record, the aggregates and the budget', async () => {
    // Prepare
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table, { config: configWithBudgets({ acme: { monthlyUsd: 5 } }) });
    g.openai.enqueue(Steps.error(Upstream.modelTimeout()), Steps.ok({ usage: { inputTokens: 1000, outputTokens: 100 } }));
    // Act
    const res = await send(g.gateway, chatRequest(hello('chat', { max_tokens: 100 })));
    // Assess
    expect(res.status).toBe(200);
    const record = g.usage.only();
    const [failed, ok] = record.attemptDetails;
    expect(failed).toMatchObject({ result: 'modelTimeout' });
    expect(failed.wasteInputTokens).toBeGreaterThan(0);
    expect(failed.wasteUsd).toBeGreaterThan(0);
    expect(ok.wasteUsd).toBeUndefined();
    expect(record.wasteUsd).toBeCloseTo(failed.wasteUsd!, 9);
    expect(record.wasteInputTokens).toBe(failed.wasteInputTokens);
    // the answer's cost (qwen3-8b: 1000 in, 100 out) plus the waste
    expect(res.headers['x-gateway-cost-usd']).toBeDefined();
    expect(record.costUsd).toBeCloseTo(Number(res.headers['x-gateway-cost-usd']) + failed.wasteUsd!, 9);
    const state = await ledgerState(local.dynamo.client, table, 'acme', month);
    expect(state.totals.wasteUsd).toBeCloseTo(record.wasteUsd!, 9);
    expect(state.totals.costUsd).toBeCloseTo(record.costUsd, 9);
    expect(state.budget?.spentUsd).toBeCloseTo(record.costUsd, 9);
  });

  test('throttled attempts spend nothing; a stream cut after tokens is waste in full', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    g.openai.enqueue(Steps.error(Upstream.throttling()), Steps.ok({ usage: { inputTokens: 10, outputTokens: 1 } }));
    await send(g.gateway, chatRequest(hello('chat', { max_tokens: 10 })));
    expect(g.usage.only().wasteUsd).toBe(0);
    g.usage.clear();
    g.openai.enqueue(Steps.midStreamError(['Once ', 'upon'], Upstream.serverError()));
    await send(g.gateway, chatRequest(hello('chat', { max_tokens: 10, stream: true })));
    const cut = g.usage.only();
    expect(cut.outcome).toBe(Outcome.STREAM_ERROR);
    expect(cut.costUsd).toBeGreaterThan(0);
    expect(cut.wasteUsd).toBeCloseTo(cut.costUsd, 9);
  });
});

describe('the cap on distinct workflow values', () => {
  test('beyond the cap a value counts as "other" in the aggregates, keeps its raw value, and is logged once', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table, { dimensionValueCap: 2 });
    for (const workflow of ['a', 'b', 'c', 'a', 'c']) {
      g.openai.enqueue(Steps.ok({ usage: { inputTokens: 1, outputTokens: 1 } }));
      expect((await send(g.gateway, chatRequest(hello('chat', { max_tokens: 5, metadata: { workflow } })))).status).toBe(200);
    }
    const period = await g.ledger.readUsage('acme', 'month', month);
    const workflows = Object.fromEntries(period.aggregates.filter((a) => a.dimension === 'WORKFLOW').map((a) => [a.value, a.requests]));
    expect(workflows).toEqual({ a: 2, b: 1, other: 2 });
    const state = await ledgerState(local.dynamo.client, table, 'acme', month);
    expect(state.raw.filter((r) => r.workflow === 'c')).toHaveLength(2);
    const capped = g.logged.filter((l) => l['gateway.usage.dimension_capped'] === true);
    expect(capped).toHaveLength(1);
    expect(capped[0]).toMatchObject({ 'gateway.tenant.id': 'acme', 'gateway.usage.dimension': 'WORKFLOW', 'gateway.usage.dimension_cap': 2 });
  });
});

describe('GET /v1/usage pages', () => {
  test('limit and next_cursor walk every aggregate once, with the totals and budget on every page', async () => {
    // Prepare: 4 workflows, 4 prompts, 1 route, 1 model = 10 aggregates besides the total
    const table = await createUsageTable(local.dynamo.client);
    const base = testConfig();
    const config = resolved({
      ...base,
      tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, budget: { monthlyUsd: 5 } } : t)),
      // Prompt versions are recorded as the gateway resolved them: p@1 … p@4 must be configured.
      prompts: [{ id: 'p', versions: [1, 2, 3, 4].map((version) => ({ version, system: `Answer briefly (v${version}).`, routes: ['chat'] })) }],
    });
    const g = ledgerGateway(local.dynamo.client, table, { config });
    for (const i of [1, 2, 3, 4]) {
      g.openai.enqueue(Steps.ok({ usage: { inputTokens: i, outputTokens: 1 } }));
      expect((await send(g.gateway, chatRequest(hello('chat', { max_tokens: 5, metadata: { workflow: `w${i}`, prompt: `p@${i}` } })))).status).toBe(200);
    }
    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await send(g.gateway, usage({ month, limit: '3', ...(cursor ? { cursor } : {}) }));
      expect(res.status).toBe(200);
      const body = res.json() as Record<string, unknown>;
      expect(body).toMatchObject({ totals: { requests: 4 }, budget: { limit_usd: '5' } });
      for (const [key, field] of [['by_workflow', 'workflow'], ['by_prompt', 'prompt'], ['by_route', 'route'], ['by_model', 'model']]) {
        for (const row of body[key] as Record<string, string>[]) seen.push(`${field}:${row[field]}`);
      }
      cursor = body.next_cursor as string | undefined;
      expect(body.has_more).toBe(cursor !== undefined);
      pages++;
    } while (cursor !== undefined && pages < 10);
    // Assess
    expect(seen.sort()).toEqual([
      'model:qwen3-8b', 'prompt:p@1', 'prompt:p@2', 'prompt:p@3', 'prompt:p@4', 'route:chat', 'workflow:w1', 'workflow:w2', 'workflow:w3', 'workflow:w4',
    ]);
    expect(pages).toBeGreaterThanOrEqual(4);
  });

  test.each([
    [{ limit: '0' }, 'limit', /'limit' must be an integer from 1 to 1000, received '0'/],
    [{ limit: 'lots' }, 'limit', /'limit' must be an integer/],
    [{ cursor: 'QkFER0VS' }, 'cursor', /'cursor' must be the next_cursor of a previous page/],
    [{ cursor: '!!' }, 'cursor', /'cursor' must be the next_cursor/],
  ])('refuses %j with a 400 naming the parameter', async (query, param, message) => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    const res = await send(g.gateway, usage(query));
    expect(res.status).toBe(400);
    const body = res.json() as { error: { param: string; message: string } };
    expect(body.error.param).toBe(param);
    expect(body.error.message).toMatch(message);
  });
});

describe('UsageSweeper', () => {
  test('a reservation left behind by a request that is on record is released once, and its record kept', async () => {
    // Prepare: the reservation was applied, but the router took it for failed and recorded the request without it
    const table = await createUsageTable(local.dynamo.client);
    const doc = documentClient(local.dynamo.client);
    const clock = { t: Date.now() };
    const guard = new DynamoBudgetGuard({ client: doc, tableName: table, budgets: new Map([['acme', { monthlyUsd: 1 }]]), inflightLeaseMs: 60_000, now: () => clock.t });
    await guard.reserve({ requestId: 'lost-1', tenantId: 'acme', route: 'chat', estimatedCostUsd: 0.4, receivedAt: clock.t });
    const ledger = new DynamoUsageLedger({ client: doc, tableName: table, log: () => undefined });
    await ledger.record({
      requestId: 'lost-1', timestamp: new Date(clock.t).toISOString(), operation: 'chat.completions', tenantId: 'acme', stream: false, status: 503,
      outcome: Outcome.UPSTREAM_ERROR, attempts: 0, attemptDetails: [], fallback: false, inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0, usageEstimated: false, costUsd: 0, latencyMs: 5,
    });
    const sweeper = new UsageSweeper({ client: doc, tableName: table, ledger, now: () => clock.t, log: () => undefined });
    // Act
    clock.t += 61_000;
    const result = await sweeper.sweep();
    // Assess
    expect(result).toEqual({ expired: 1, abandoned: 0, released: 1, failed: 0 });
    expect(await sweeper.sweep()).toMatchObject({ expired: 0 });
    const state = await ledgerState(local.dynamo.client, table, 'acme', month);
    expect(state.raw).toHaveLength(1);
    expect(state.raw[0]).toMatchObject({ outcome: Outcome.UPSTREAM_ERROR, costUsd: 0 });
    expect(state.budget).toMatchObject({ reservedUsd: 0, spentUsd: 0 });
    expect(state.inflight).toHaveLength(0);
  });
});
