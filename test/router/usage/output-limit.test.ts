/**
 * Requests without `max_tokens` cannot bypass the cap or the budget. The gateway runs with its real
 * adapters against the loopback Bedrock and OpenAI-compatible fakes, and with the DynamoDB budget
 * guard on dynalite. The fakes refuse any call without an output limit, and bill every call at its
 * worst: the whole output limit, and one input token per UTF-8 byte. 50 concurrent requests
 * without `max_tokens` — ASCII, CJK and emoji text, system prompts, JSON schemas, JSON and
 * streamed, on a self-hosted and a Bedrock route — then spend no more than the budget.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Gateway } from '../../../lambda/router/gateway';
import { BedrockAdapter } from '../../../lambda/router/providers/bedrock/adapter';
import { OpenAiAdapter } from '../../../lambda/router/providers/openai/adapter';
import { DynamoBudgetGuard } from '../../../lambda/router/usage/dynamo-budget';
import { budgetsOf } from '../../../lambda/router/usage/from-env';
import { Outcome } from '../../../lambda/router/usage/types';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { BUDGET_SORT_KEY, monthKey } from '../../../lambda/shared/usage-table-schema';
import { BedrockBehaviours, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { testConfig } from '../../helpers/router-config';
import { chatRequest, MemorySink } from '../../helpers/router-fakes';
import { FAKE_CREDENTIALS } from '../providers/helpers';
import { createUsageTable, useUsageDynamo } from './usage-fixtures';

const local = useUsageDynamo();
const NOV_15 = Date.UTC(2026, 10, 15, 12, 0, 0);
const CAP = 1000;
const LIMIT_USD = 0.1;

let bedrock: FakeBedrockRuntime;
let vllm: FakeOpenAiUpstream;
let bedrockAdapter: BedrockAdapter;
let openAiAdapter: OpenAiAdapter;

beforeAll(async () => {
  bedrock = await startFakeBedrockRuntime({ defaultBehaviour: BedrockBehaviours.success({ spendOutputLimit: true }) });
  vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'], defaultBehaviour: OpenAiBehaviours.success({ spendOutputLimit: true }) });
  bedrockAdapter = new BedrockAdapter({ credentials: FAKE_CREDENTIALS });
  openAiAdapter = new OpenAiAdapter();
});

afterAll(async () => {
  bedrockAdapter.pool.destroy();
  openAiAdapter.transport.destroy();
  await Promise.all([bedrock.close(), vllm.close()]);
});

const TEXTS = [
  'Summarise the incident report in three bullet points.',
  '請用三句話總結這份事故報告，並列出後續行動。',
  '🚀🔥👩‍👩‍👧‍👦 status? ✅❌ — réponds en français, s’il te plaît.',
];

/** Request i of the burst: alternating routes, scripts and shapes, never a `max_tokens`. */
function body(i: number): Record<string, unknown> {
  const text = TEXTS[i % TEXTS.length].repeat(1 + (i % 4));
  const messages: Record<string, unknown>[] = [];
  if (i % 2 === 0) messages.push({ role: 'system', content: `Answer as the on-call engineer. ${TEXTS[(i + 1) % TEXTS.length]}` });
  messages.push({ role: 'user', content: text });
  return {
    model: i % 5 === 0 ? 'summary' : 'chat',
    messages,
    ...(i % 3 === 0 ? {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'report', schema: { type: 'object', properties: { 要点: { type: 'array', items: { type: 'string' } } } } },
      },
    } : {}),
    ...(i % 2 === 1 ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

test('50 concurrent requests without max_tokens: every call carries the cap, and the tenant spends at most its budget', async () => {
  // Prepare: acme has a USD 0.10 monthly budget; the cap is 1,000 output tokens.
  const base = testConfig({ bedrock: bedrock.endpoint, openai: vllm.baseUrl });
  const config = resolveGatewayConfig({
    ...base,
    limits: { ...base.limits, maxTokensCap: CAP },
    tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, budget: { monthlyUsd: LIMIT_USD } } : t)),
  });
  const table = await createUsageTable(local.dynamo.client);
  const guard = new DynamoBudgetGuard({ client: local.doc, tableName: table, budgets: budgetsOf(config), now: () => NOV_15, log: () => undefined });
  const usage = new InMemoryUsageSink();
  const gateway = new Gateway({
    config, providers: { bedrock: bedrockAdapter, openai: openAiAdapter }, usageSink: usage, budget: guard, env: {}, now: () => NOV_15,
  });
  vllm.reset();
  bedrock.reset();
  const missingBefore = { vllm: vllm.missingOutputLimit, bedrock: bedrock.missingOutputLimit };

  // Act
  const sinks = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
    const sink = new MemorySink();
    await gateway.handle({ ...chatRequest(body(i)), receivedAt: NOV_15 }, sink);
    return sink;
  }));

  // Assess: every model call carried the cap
  expect(vllm.missingOutputLimit - missingBefore.vllm).toBe(0);
  expect(bedrock.missingOutputLimit - missingBefore.bedrock).toBe(0);
  const calls = vllm.requests.length + bedrock.requests.length;
  expect(calls).toBeGreaterThan(0);
  for (const r of vllm.requests) expect(r.body).toMatchObject({ max_tokens: CAP });
  for (const r of bedrock.requests) expect(r.body).toMatchObject({ inferenceConfig: { maxTokens: CAP } });

  // Some were served (at their worst case), the others refused before any model call. The fakes'
  // text is not JSON: the json_schema requests end in 422 (or a stream's error event) after their
  // call, billed like any other.
  const statuses = sinks.map((s) => s.status);
  const served = statuses.filter((s) => s === 200 || s === 422).length;
  const refused = statuses.filter((s) => s === 429).length;
  expect(served + refused).toBe(50);
  expect(served).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
  expect(calls).toBe(served);
  const records = usage.records.filter((r) => r.outcome === Outcome.SUCCESS || r.errorCode === 'response_schema_mismatch');
  expect(records).toHaveLength(served);
  for (const r of records) expect(r.outputTokens).toBe(CAP);

  // The budget: what was spent is within the limit, nothing stays reserved.
  const item = (await local.doc.send(new GetCommand({
    TableName: table, Key: { pk: monthKey('acme', '2026-11'), sk: BUDGET_SORT_KEY }, ConsistentRead: true,
  }))).Item!;
  const spent = records.reduce((sum, r) => sum + r.costUsd, 0);
  expect(item.spent as number).toBeCloseTo(spent, 9);
  expect(item.spent as number).toBeLessThanOrEqual(LIMIT_USD);
  expect(item.reserved as number).toBeCloseTo(0, 9);
});
