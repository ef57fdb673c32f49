/**
 * `POST /v1/feedback` and `GET /v1/usage` against dynalite: feedback only on the caller's own
 * requests, feedback counts per workflow and prompt version, usage of the caller only.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_FEEDBACK_COMMENT_CHARS, parseFeedback, parseUsagePeriod } from '../../../lambda/router/usage/endpoints';
import { aggregateSortKey, monthKey, utcMonth } from '../../../lambda/shared/usage-table-schema';
import { GLOBEX_KEY } from '../../helpers/router-config';
import { chatRequest, hello, send, Steps, testGateway } from '../../helpers/router-fakes';
import { createUsageTable, LedgerGateway, ledgerGateway, useUsageDynamo } from './usage-fixtures';
import { greetConfig } from '../../prompts/fixtures';

const local = useUsageDynamo();

const feedback = (body: unknown, key?: string) => chatRequest(body, { path: '/v1/feedback', ...(key ? { key } : {}) });
const usage = (query: Record<string, string> = {}, key?: string) => ({
  ...chatRequest(undefined, { method: 'GET', path: '/v1/usage', rawBody: '', ...(key ? { key } : {}) }), query,
});

async function answered(g: LedgerGateway, body: Record<string, unknown>, key?: string): Promise<string> {
  g.openai.enqueue(Steps.ok({ usage: { inputTokens: 10, outputTokens: 10 } }));
  const res = await send(g.gateway, chatRequest(body, key ? { key } : {}));
  expect(res.status).toBe(200);
  return res.headers['x-request-id'];
}

describe('POST /v1/feedback', () => {
  test('attaches score and comment to the caller\'s own request and counts it per workflow and prompt version', async () => {
    // Prepare
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table, { config: greetConfig() });
    const requestId = await answered(g, hello('chat', { metadata: { workflow: 'support', prompt: 'greet@3' } }));
    // Act
    const res = await send(g.gateway, feedback({ request_id: requestId, score: 1, comment: 'spot on', user: 'u-42' }));
    // Assess
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ object: 'feedback', request_id: requestId, score: 1, recorded: true });
    const raw = (await local.doc.send(new GetCommand({ TableName: table, Key: { pk: 'TENANT#acme', sk: `REQ#${requestId}` } }))).Item;
    expect(raw).toMatchObject({ feedbackScore: 1, feedbackComment: 'spot on', feedbackUser: 'u-42', outcome: 'success' });
    const month = monthKey('acme', utcMonth(Date.now()));
    for (const sk of [aggregateSortKey('TOTAL'), aggregateSortKey('WORKFLOW', 'support'), aggregateSortKey('PROMPT', 'greet@3')]) {
      const agg = (await local.doc.send(new GetCommand({ TableName: table, Key: { pk: month, sk } }))).Item;
      expect(agg).toMatchObject({ feedbackCount: 1, feedbackScoreSum: 1, requests: 1 });
    }
    // The feedback request's own record (its log line) says what the score is about: the rated request's workflow and prompt version.
    expect(g.usage.records.at(-1)).toMatchObject({
      operation: 'feedback', tenantId: 'acme', status: 200, outcome: 'success', feedbackScore: 1, workflow: 'support', promptId: 'greet', promptVersion: '3',
    });
  });

  test('a second feedback on the same request is refused and not counted', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    const requestId = await answered(g, hello());
    await send(g.gateway, feedback({ request_id: requestId, score: -1 }));
    const again = await send(g.gateway, feedback({ request_id: requestId, score: 5 }));
    expect(again.status).toBe(400);
    expect(again.json()).toMatchObject({ error: { code: 'feedback_exists', param: 'request_id' } });
    const total = (await local.doc.send(new GetCommand({ TableName: table, Key: { pk: monthKey('acme', utcMonth(Date.now())), sk: 'AGG#TOTAL' } }))).Item;
    expect(total).toMatchObject({ feedbackCount: 1, feedbackScoreSum: -1 });
  });

  test('another tenant\'s request id is answered like an unknown one (404), and nothing is written', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    const acmeRequest = await answered(g, hello());
    const res = await send(g.gateway, feedback({ request_id: acmeRequest, score: -10 }, GLOBEX_KEY));
    const unknown = await send(g.gateway, feedback({ request_id: 'no-such-request', score: 1 }, GLOBEX_KEY));
    expect(res.status).toBe(404);
    const { message, ...shape } = (res.json() as { error: Record<string, unknown> }).error;
    expect(message).toBe(`No request ${acmeRequest} of yours is on record (records are kept for a limited time).`);
    expect(unknown.status).toBe(404);
    expect(shape).toEqual({ ...(unknown.json() as { error: Record<string, unknown> }).error, message: undefined });
    expect(res.json()).toMatchObject({ error: { code: 'request_not_found', param: 'request_id' } });
    const raw = (await local.doc.send(new GetCommand({ TableName: table, Key: { pk: 'TENANT#acme', sk: `REQ#${acmeRequest}` } }))).Item;
    expect(raw?.feedbackScore).toBeUndefined();
  });

  test.each([
    [{ score: 1 }, /request_id/],
    [{ request_id: 'has spaces', score: 1 }, /request_id/],
    [{ request_id: 'r1' }, /score/],
    [{ request_id: 'r1', score: 11 }, /score/],
    [{ request_id: 'r1', score: '1' }, /score/],
    [{ request_id: 'r1', score: 1, comment: 'x'.repeat(MAX_FEEDBACK_COMMENT_CHARS + 1) }, /comment/],
    [{ request_id: 'r1', score: 1, user: 'has space' }, /user/],
    [{ request_id: 'r1', score: 1, tenant: 'globex' }, /Unknown field 'tenant'/],
    [[1], /JSON object/],
  ])('parseFeedback refuses body #%#', (body, message) => {
    expect(() => parseFeedback(Buffer.from(JSON.stringify(body)), undefined)).toThrow(message);
  });

  test('GET is not allowed; without a usage table both endpoints answer 404 usage_not_enabled', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    const wrong = await send(g.gateway, chatRequest(undefined, { method: 'GET', path: '/v1/feedback', rawBody: '' }));
    expect(wrong.status).toBe(405);
    const plain = testGateway();
    expect((await send(plain.gateway, feedback({ request_id: 'r1', score: 1 }))).json()).toMatchObject({ error: { code: 'usage_not_enabled' } });
    expect((await send(plain.gateway, usage())).status).toBe(404);
  });
});

describe('GET /v1/usage', () => {
  test('returns the caller\'s own month: totals and per workflow, route, model and prompt, never another tenant\'s', async () => {
    // Prepare: acme and globex both use the gateway
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    await answered(g, hello('chat', { metadata: { workflow: 'support' } }));
    await answered(g, hello('chat', { metadata: { workflow: 'billing' } }));
    await answered(g, hello('chat', { metadata: { workflow: 'secret-globex-flow' } }), GLOBEX_KEY);
    // Act
    const res = await send(g.gateway, usage({}, GLOBEX_KEY));
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toMatchObject({ object: 'usage', tenant: 'globex', month: utcMonth(Date.now()) });
    expect(body.totals).toMatchObject({ requests: 1, input_tokens: 10, output_tokens: 10, cost_usd: '0.000003' });
    expect(body.by_workflow).toEqual([expect.objectContaining({ workflow: 'secret-globex-flow', requests: 1 })]);
    expect(body.by_route).toEqual([expect.objectContaining({ route: 'chat' })]);
    expect(body.by_model).toEqual([expect.objectContaining({ model: 'qwen3-8b' })]);
    expect(JSON.stringify(body)).not.toMatch(/support|billing|acme/);
    const acme = (await send(g.gateway, usage({ month: utcMonth(Date.now()) }))).json();
    expect(acme.totals).toMatchObject({ requests: 2 });
    expect((acme.by_workflow as { workflow: string }[]).map((w) => w.workflow).sort()).toEqual(['billing', 'support']);
  });

  test('a day, an empty period, and the budget state', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    await answered(g, hello());
    const today = new Date().toISOString().slice(0, 10);
    const day = (await send(g.gateway, usage({ day: today }))).json();
    expect(day).toMatchObject({ day: today, totals: { requests: 1 } });
    const empty = (await send(g.gateway, usage({ month: '2001-01' }))).json();
    expect(empty).toMatchObject({ month: '2001-01', totals: { requests: 0, cost_usd: '0' }, by_workflow: [] });
    expect(empty.budget).toBeUndefined();
  });

  test.each([
    [{ month: '2026-13' }, /'month' must be a month as YYYY-MM, received '2026-13'/],
    [{ day: '2026-02-30' }, /'day' must be a date as YYYY-MM-DD, received '2026-02-30'/],
    [{ month: '2026-11', day: '2026-11-01' }, /either 'month' or 'day'/],
    [{ tenant: 'acme' }, /Unknown query parameter 'tenant'/],
  ])('parseUsagePeriod refuses %j', (query, message) => {
    expect(() => parseUsagePeriod(query, Date.now())).toThrow(message);
  });

  test('a bad period is a 400 naming the parameter', async () => {
    const table = await createUsageTable(local.dynamo.client);
    const g = ledgerGateway(local.dynamo.client, table);
    const res = await send(g.gateway, usage({ month: 'last' }));
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: { param: 'month', type: 'invalid_request_error' } });
  });
});
