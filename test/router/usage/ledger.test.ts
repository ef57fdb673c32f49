/**
 * The usage ledger against dynalite with the real DynamoDB client: one raw record and six
 * aggregate updates per chat request, for answers, failures after tokens, rejections and cut
 * streams; prices of per-tenant profiles and cache tokens; failures logged for replay.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoUsageLedger } from '../../../lambda/router/usage/ledger';
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';
import { aggregateSortKey, dayKey, monthKey, utcDay, utcMonth } from '../../../lambda/shared/usage-table-schema';
import { chatRequest, hello, send, Steps, Upstream } from '../../helpers/router-fakes';
import { createUsageTable, ledgerGateway, useUsageDynamo } from './usage-fixtures';
import { greetConfig } from '../../prompts/fixtures';

const local = useUsageDynamo();

async function item(tableName: string, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  return (await local.doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;
}

const now = Date.now();
const month = utcMonth(now);
const day = utcDay(now);

describe('DynamoUsageLedger through the gateway', () => {
  test('an answer: the raw record with ttl, month aggregates per dimension and the day total, in one transaction', async () => {
    // Prepare
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table, { config: greetConfig() });
    g.openai.enqueue(Steps.ok({ text: 'Hi', usage: { inputTokens: 1000, outputTokens: 500 } }));
    local.dynamo.resetCounts();
    // Act
    const res = await send(g.gateway, chatRequest(hello('chat', { metadata: { workflow: 'support', prompt: 'greet@3' } })));
    // Assess
    expect(res.status).toBe(200);
    const record = g.usage.only();
    // the reservation with the in-flight item, and the settlement; the workflow and prompt admitted under the cap
    expect(local.dynamo.count('TransactWriteItems')).toBe(2);
    expect(local.dynamo.count('UpdateItem')).toBe(2);
    expect(local.dynamo.count('PutItem')).toBe(0);
    const raw = await item(table, 'TENANT#acme', `REQ#${record.requestId}`);
    expect(raw).toMatchObject({
      requestId: record.requestId, tenantId: 'acme', route: 'chat', workflow: 'support', promptId: 'greet', promptVersion: '3',
      outcome: 'success', inputTokens: 1000, outputTokens: 500, costUsd: 0.0002, priceModelId: 'qwen3-8b',
    });
    const arrived = Date.parse(record.timestamp);
    expect(raw?.ttl).toBe(Math.floor(arrived / 1000) + 90 * 86_400);
    const counters = { requests: 1, errors: 0, rejections: 0, inputTokens: 1000, outputTokens: 500, costUsd: 0.0002 };
    expect(await item(table, monthKey('acme', month), aggregateSortKey('TOTAL'))).toMatchObject({ dimension: 'TOTAL', ...counters });
    expect(await item(table, monthKey('acme', month), aggregateSortKey('WORKFLOW', 'support'))).toMatchObject({ value: 'support', ...counters });
    expect(await item(table, monthKey('acme', month), aggregateSortKey('ROUTE', 'chat'))).toMatchObject(counters);
    expect(await item(table, monthKey('acme', month), aggregateSortKey('MODEL', 'qwen3-8b'))).toMatchObject(counters);
    expect(await item(table, monthKey('acme', month), aggregateSortKey('PROMPT', 'greet@3'))).toMatchObject(counters);
    expect(await item(table, dayKey('acme', day), aggregateSortKey('TOTAL'))).toMatchObject(counters);
  });

  test('aggregates add up across requests; a request without workflow counts under "-"', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    g.openai.enqueue(Steps.ok({ usage: { inputTokens: 10, outputTokens: 5 } }), Steps.ok({ usage: { inputTokens: 20, outputTokens: 7 } }));
    await send(g.gateway, chatRequest(hello()));
    await send(g.gateway, chatRequest(hello()));
    expect(await item(table, monthKey('acme', month), aggregateSortKey('TOTAL'))).toMatchObject({ requests: 2, inputTokens: 30, outputTokens: 12 });
    expect(await item(table, monthKey('acme', month), aggregateSortKey('WORKFLOW', '-'))).toMatchObject({ requests: 2 });
  });

  test('a per-tenant profile is priced at its underlying model, cache tokens at their own prices', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    g.bedrock.enqueue(Steps.ok({ usage: { inputTokens: 1000, outputTokens: 1000, cacheReadInputTokens: 2000, cacheWriteInputTokens: 1000 } }));
    await send(g.gateway, chatRequest(hello('summary')));
    const record = g.usage.only();
    // sonnet: 0.003 in, 0.015 out, 0.0003 cache read, 0.00375 cache write per 1K
    const expected = 0.003 + 0.015 + 2 * 0.0003 + 0.00375;
    expect(record.costUsd).toBeCloseTo(expected, 9);
    const model = await item(table, monthKey('acme', month), aggregateSortKey('MODEL', 'anthropic.claude-sonnet-4'));
    expect(model).toMatchObject({ cacheReadInputTokens: 2000, cacheWriteInputTokens: 1000, requests: 1 });
    expect(model?.costUsd).toBeCloseTo(expected, 9);
  });

  test('a stream cut after tokens: stream_error, estimated tokens and their cost, counted as an error', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    g.openai.enqueue(Steps.midStreamError(['Hello ', 'wor'], Upstream.serverError()));
    await send(g.gateway, chatRequest(hello('chat', { stream: true })));
    const record = g.usage.only();
    expect(record.outcome).toBe(Outcome.STREAM_ERROR);
    expect(record.usageEstimated).toBe(true);
    expect(record.outputTokens).toBeGreaterThan(0);
    expect(record.costUsd).toBeGreaterThan(0);
    const raw = await item(table, 'TENANT#acme', `REQ#${record.requestId}`);
    expect(raw).toMatchObject({ outcome: 'stream_error', usageEstimated: true, outputTokens: record.outputTokens });
    expect(await item(table, monthKey('acme', month), aggregateSortKey('TOTAL'))).toMatchObject({
      requests: 1, errors: 1, rejections: 0, outputTokens: record.outputTokens, costUsd: record.costUsd,
    });
  });

  test('every target failing: upstream_error, no tokens, one error', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    g.openai.enqueue(Steps.error(Upstream.modelError()));
    g.bedrock.enqueue(Steps.error(Upstream.modelError()));
    const res = await send(g.gateway, chatRequest(hello()));
    expect(res.status).toBe(502);
    expect(await item(table, monthKey('acme', month), aggregateSortKey('ROUTE', 'chat'))).toMatchObject({ requests: 1, errors: 1, inputTokens: 0, costUsd: 0 });
  });

  test('a rejection: recorded with outcome rejected, counted as a rejection, no cost', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    const res = await send(g.gateway, chatRequest(hello('no-such-alias')));
    expect(res.status).toBe(404);
    const record = g.usage.only();
    expect(await item(table, 'TENANT#acme', `REQ#${record.requestId}`)).toMatchObject({ outcome: 'rejected', status: 404, costUsd: 0 });
    expect(await item(table, monthKey('acme', month), aggregateSortKey('TOTAL'))).toMatchObject({ requests: 1, errors: 0, rejections: 1, costUsd: 0 });
  });

  test('requests without a tenant and non-chat requests are left to the log sink', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    local.dynamo.resetCounts();
    await send(g.gateway, chatRequest(hello(), { key: null }));
    await send(g.gateway, chatRequest(undefined, { method: 'GET', path: '/v1/models' }));
    expect(g.usage.records).toHaveLength(2);
    expect(local.dynamo.count('PutItem') + local.dynamo.count('UpdateItem') + local.dynamo.count('TransactWriteItems')).toBe(0);
  });
});

describe('DynamoUsageLedger on its own', () => {
  const record: UsageRecord = {
    requestId: 'req-replay-1', timestamp: new Date(now).toISOString(), operation: 'chat.completions', tenantId: 'globex', tier: 'standard',
    route: 'chat', priceModelId: 'qwen3-8b', stream: false, status: 200, outcome: Outcome.SUCCESS, attempts: 1, attemptDetails: [],
    fallback: false, inputTokens: 3, outputTokens: 4, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false,
    costUsd: 0.0000011, latencyMs: 5, errorDetail: 'operator detail',
  };

  test('a replayed record is not counted twice; operator detail stays out of the table', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const ledger = new DynamoUsageLedger({ client: local.doc, tableName: table, recordTtlDays: 7 });
    await ledger.record(record);
    await ledger.record(record);
    expect(await item(table, monthKey('globex', month), aggregateSortKey('TOTAL'))).toMatchObject({ requests: 1, inputTokens: 3, costUsd: 0.0000011 });
    const raw = await ledger.getRecord('globex', 'req-replay-1');
    expect(raw?.errorDetail).toBeUndefined();
    expect(raw?.ttl).toBe(Math.floor(now / 1000) + 7 * 86_400);
  });

  test('a DynamoDB failure logs the whole record as unrecorded, and does not throw', async () => {
    const logged: Record<string, unknown>[] = [];
    const ledger = new DynamoUsageLedger({ client: local.doc, tableName: 'no-such-table', log: (l) => { logged.push(l); } });
    await expect(ledger.record(record)).resolves.toBeUndefined();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'ERROR', 'gateway.usage.unrecorded': true, 'gateway.usage.table': 'no-such-table', 'error.type': 'ResourceNotFoundException',
    });
    const { errorDetail: _omitted, ...replayable } = record;
    expect(logged[0]['gateway.usage.record']).toEqual(replayable);
  });
});
