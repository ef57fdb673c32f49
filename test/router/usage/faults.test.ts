/**
 * Every ledger and budget write under the faults of a real network, with the real AWS SDK: the
 * fault-injection proxy lets dynalite apply a write, then answers after the SDK's request timeout
 * (`late`) or closes the connection (`drop`), so the SDK sends the write again. Each write must
 * count once: run once with DynamoDB's idempotency tokens honoured, once with only the condition
 * markers (a repeat after the token's 10-minute window).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { DynamoUsageLedger, LedgerWrite } from '../../../lambda/router/usage/ledger';
import { UsageSweeper } from '../../../lambda/router/usage/sweeper';
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';
import { dimensionValuesSortKey, monthKey, utcMonth } from '../../../lambda/shared/usage-table-schema';
import { Fault } from '../../helpers/dynamo-fault-proxy';
import { chatRequest, hello, send, Steps } from '../../helpers/router-fakes';
import {
  configWithBudgets, createUsageTable, documentClient, faultClient, LedgerState, ledgerGateway, ledgerState, sum, useUsageDynamo,
} from './usage-fixtures';

const month = utcMonth(Date.now());
const noWait = { sleep: async () => undefined };

/** Raw records, aggregates and the budget agree: the invariant every fault must keep. */
function expectConsistent(state: LedgerState, requests: number): void {
  expect(state.raw).toHaveLength(requests);
  expect(state.totals.requests).toBe(requests);
  expect(state.totals.costUsd).toBeCloseTo(sum(state.raw, 'costUsd'), 9);
  expect(state.totals.inputTokens).toBe(sum(state.raw, 'inputTokens'));
  if (state.budget) {
    expect(state.budget.spentUsd).toBeCloseTo(state.totals.costUsd, 9);
    expect(state.budget.reservedUsd).toBeCloseTo(0, 9);
  }
  expect(state.inflight).toHaveLength(0);
}

describe.each([
  ['idempotency tokens honoured', true],
  ['condition markers only', false],
])('ledger and budget writes under late and dropped answers (%s)', (_mode, honourTokens) => {
  const local = useUsageDynamo({ honourTokens });
  const budgets = configWithBudgets({ acme: { monthlyUsd: 5, dailyUsd: 1 } });

  async function gatewayUnderFaults() {
    const table = await createUsageTable(local.dynamo.client);
    const client = faultClient(local.proxy);
    local.proxy.resetCounts();
    return { table, client, g: ledgerGateway(client, table, { config: budgets }) };
  }

  test.each<Fault>(['late', 'drop'])('a reservation answered %s is reserved once', async (fault) => {
    // Prepare
    const { table, client, g } = await gatewayUnderFaults();
    g.openai.enqueue(Steps.ok({ usage: { inputTokens: 100, outputTokens: 20 } }));
    local.proxy.inject('TransactWriteItems', fault);
    // Act
    const res = await send(g.gateway, chatRequest(hello('chat', { max_tokens: 50 })));
    // Assess: the SDK sent the reservation again, and it counted once
    expect(res.status).toBe(200);
    expect(local.proxy.pending()).toBe(0);
    expect(local.proxy.count('TransactWriteItems')).toBe(3); // the reservation twice, the settlement
    const state = await ledgerState(client, table, 'acme', month);
    expectConsistent(state, 1);
    expect(state.budget?.spentUsd).toBeCloseTo(g.usage.only().costUsd, 9);
    expect(g.logged.filter((l) => l['gateway.usage.unrecorded'] === true)).toHaveLength(0);
  });

  test.each<Fault>(['late', 'drop'])('a settlement answered %s is counted once: record, aggregates and budget', async (fault) => {
    const { table, client, g } = await gatewayUnderFaults();
    g.openai.enqueue(Steps.ok({ usage: { inputTokens: 1000, outputTokens: 500 } }));
    // the second transaction of the request is its settlement
    local.proxy.inject('TransactWriteItems', fault, 1, 1);
    const res = await send(g.gateway, chatRequest(hello('chat', { max_tokens: 600, metadata: { workflow: 'support' } })));
    expect(res.status).toBe(200);
    expect(local.proxy.pending()).toBe(0);
    const state = await ledgerState(client, table, 'acme', month);
    expectConsistent(state, 1);
    expect(state.totals).toMatchObject({ requests: 1, inputTokens: 1000, outputTokens: 500 });
    expect(g.logged.filter((l) => l['gateway.usage.unrecorded'] === true)).toHaveLength(0);
  });

  test('the workflow cap write answered late admits the value once', async () => {
    const { table, client, g } = await gatewayUnderFaults();
    g.openai.enqueue(Steps.ok({ usage: { inputTokens: 10, outputTokens: 2 } }));
    local.proxy.inject('UpdateItem', 'late');
    await send(g.gateway, chatRequest(hello('chat', { max_tokens: 50, metadata: { workflow: 'support' } })));
    const dims = await documentClient(client).send(new GetCommand({
      TableName: table, Key: { pk: monthKey('acme', month), sk: dimensionValuesSortKey('WORKFLOW') }, ConsistentRead: true,
    }));
    expect([...(dims.Item?.values as Set<string>)]).toEqual(['support']);
    expectConsistent(await ledgerState(client, table, 'acme', month), 1);
  });

  test('feedback answered by a dropped connection is counted once', async () => {
    const { table, client, g } = await gatewayUnderFaults();
    g.openai.enqueue(Steps.ok({ usage: { inputTokens: 10, outputTokens: 2 } }));
    await send(g.gateway, chatRequest(hello('chat', { max_tokens: 50 })));
    const requestId = g.usage.only().requestId;
    local.proxy.inject('TransactWriteItems', 'drop');
    const res = await send(g.gateway, chatRequest({ request_id: requestId, score: 1 }, { path: '/v1/feedback' }));
    expect(res.status).toBe(200);
    const state = await ledgerState(client, table, 'acme', month);
    expect(state.totals).toMatchObject({ feedbackCount: 1, feedbackScoreSum: 1 });
  });

  test('a settlement by the guard alone (no ledger), dropped, releases once', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const doc = documentClient(faultClient(local.proxy));
    const guard = new DynamoBudgetGuard({ client: doc, tableName: table, budgets: new Map([['acme', { monthlyUsd: 1 }]]), transact: noWait });
    const reservation = await guard.reserve({ requestId: 'solo-1', tenantId: 'acme', route: 'chat', estimatedCostUsd: 0.5 });
    local.proxy.inject('TransactWriteItems', 'drop');
    await guard.settle(reservation, 0.2);
    const state = await ledgerState(local.dynamo.client, table, 'acme', month);
    expect(state.budget).toMatchObject({ reservedUsd: 0 });
    expect(state.budget?.spentUsd).toBeCloseTo(0.2, 9);
    expect(state.inflight).toHaveLength(0);
  });

  test.each<Fault>(['late', 'drop'])('the sweeper\'s abandoned record answered %s is written once, and a late router corrects it once', async (fault) => {
    // Prepare: a reservation whose invocation died
    const table = await createUsageTable(local.dynamo.client);
    const doc = documentClient(faultClient(local.proxy));
    const clock = { t: Date.now() };
    const guard = new DynamoBudgetGuard({
      client: doc, tableName: table, budgets: new Map([['acme', { monthlyUsd: 1 }]]), inflightLeaseMs: 60_000, now: () => clock.t, transact: noWait,
    });
    await guard.reserve({ requestId: 'dead-1', tenantId: 'acme', route: 'chat', estimatedCostUsd: 0.3, receivedAt: clock.t, recordFields: { workflow: 'support', stream: true } });
    const ledger = new DynamoUsageLedger({ client: doc, tableName: table, transact: noWait, log: () => undefined });
    const sweeper = new UsageSweeper({ client: doc, tableName: table, ledger, now: () => clock.t, log: () => undefined, transact: noWait });
    // Act: the sweep after expiry, its transaction answered late or dropped
    clock.t += 61_000;
    local.proxy.inject('TransactWriteItems', fault);
    const reads = jest.spyOn(ledger, 'getRecord');
    const result = await sweeper.sweep();
    // The record is read at most once: by the ledger, when its repeated write was refused.
    expect(reads.mock.calls.length).toBeLessThanOrEqual(1);
    reads.mockRestore();
    expect(await sweeper.sweep()).toMatchObject({ expired: 0 });
    // Assess
    expect(result).toMatchObject({ expired: 1, abandoned: 1, failed: 0 });
    let state = await ledgerState(local.dynamo.client, table, 'acme', month);
    expectConsistent(state, 1);
    expect(state.raw[0]).toMatchObject({ outcome: Outcome.ABANDONED, costUsd: 0.3, workflow: 'support' });
    expect(state.totals).toMatchObject({ abandoned: 1, requests: 1 });
    expect(state.budget?.spentUsd).toBeCloseTo(0.3, 9);
    // A record of the same request arriving after all (a replay), its correction dropped once
    const real: UsageRecord = {
      requestId: 'dead-1', timestamp: new Date(clock.t - 61_000).toISOString(), operation: 'chat.completions', tenantId: 'acme', workflow: 'support',
      route: 'chat', priceModelId: 'qwen3-8b', stream: true, status: 200, outcome: Outcome.SUCCESS, attempts: 1, attemptDetails: [],
      fallback: false, inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false,
      costUsd: 0.01, wasteUsd: 0, wasteInputTokens: 0, wasteOutputTokens: 0, latencyMs: 100,
    };
    local.proxy.inject('TransactWriteItems', 'drop', 1, 1);
    expect(await ledger.write(real)).toBe(LedgerWrite.CORRECTED);
    expect(await ledger.write(real)).toBe(LedgerWrite.ALREADY_RECORDED);
    state = await ledgerState(local.dynamo.client, table, 'acme', month);
    expectConsistent(state, 1);
    expect(state.raw[0]).toMatchObject({ outcome: Outcome.SUCCESS, costUsd: 0.01, correctedFrom: 'abandoned' });
    expect(state.totals).toMatchObject({ abandoned: 0, requests: 1, inputTokens: 10 });
    expect(state.budget?.spentUsd).toBeCloseTo(0.01, 9);
  });
});
