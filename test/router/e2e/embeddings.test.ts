/**
 * Wire level, end to end: `POST /v1/embeddings` from the official `openai` client through the local
 * gateway and the real adapters to the loopback fakes — Bedrock InvokeModel (Titan Text Embeddings
 * V2, Cohere Embed v3) through the real AWS SDK, and an OpenAI-compatible `/v1/embeddings` — with
 * the usage record, the budget reservation and fault injection.
 */
import OpenAI from 'openai';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { BudgetGuard, BudgetRequest, BudgetReservation } from '../../../lambda/router/usage/budget';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { GatewayConfig, TargetKind } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { fakeEmbedding, fakeEmbeddingTokens } from '../../helpers/fake-embeddings';
import { BedrockBehaviours, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { apiError } from '../../helpers/openai-e2e';
import { ACME_KEY, FAKE_AWS_ENV, setEnv, testConfig } from '../../helpers/router-config';

const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-english-v3';
const TITAN_PRICE = 0.00002;

/** Records every reservation and settlement. */
class RecordingBudget implements BudgetGuard {
  readonly reserved: BudgetRequest[] = [];
  readonly settled: number[] = [];
  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    this.reserved.push(request);
    return { requestId: request.requestId, tenantId: request.tenantId, reservedUsd: request.estimatedCostUsd };
  }
  async settle(_reservation: BudgetReservation, actualCostUsd: number): Promise<void> {
    this.settled.push(actualCostUsd);
  }
}

function embeddingConfig(bedrockEndpoint: string, openaiUrl: string): GatewayConfig {
  const base = testConfig({ bedrock: bedrockEndpoint, openai: openaiUrl });
  return {
    ...base,
    tenants: base.tenants.map((t) => (t.id === 'acme' ? { ...t, allowedAliases: [...t.allowedAliases, 'embed', 'embed-cohere', 'embed-local'] } : t)),
    targets: [
      ...base.targets,
      { id: 'titan', kind: TargetKind.BEDROCK, modelId: TITAN, region: 'us-east-1', endpoint: bedrockEndpoint, capabilities: { embeddings: true } },
      { id: 'cohere', kind: TargetKind.BEDROCK, modelId: COHERE, region: 'us-east-1', endpoint: bedrockEndpoint, capabilities: { embeddings: true } },
      { id: 'vllm-embed', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: openaiUrl, model: 'bge-m3', capabilities: { embeddings: true } },
    ],
    routes: [
      ...base.routes,
      { alias: 'embed', targets: ['titan'] },
      { alias: 'embed-cohere', targets: ['cohere'] },
      { alias: 'embed-local', targets: ['vllm-embed'] },
    ],
    prices: {
      ...base.prices,
      [TITAN]: { inputUsdPer1K: TITAN_PRICE, outputUsdPer1K: 0 },
      [COHERE]: { inputUsdPer1K: 0.0001, outputUsdPer1K: 0 },
      'bge-m3': { inputUsdPer1K: 0.00001, outputUsdPer1K: 0 },
    },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 20 },
    timeouts: { connectMs: 3000, totalMs: 5000 },
  };
}

describe('POST /v1/embeddings: openai client → local gateway → real adapters → loopback upstreams', () => {
  let bedrock: FakeBedrockRuntime;
  let vllm: FakeOpenAiUpstream;
  let server: LocalServer;
  let client: OpenAI;
  let restoreEnv: () => void;
  const usage = new InMemoryUsageSink();
  const budget = new RecordingBudget();

  /** The usage records after the `n`th (the record follows the response). */
  async function recordsAfter(n: number): Promise<UsageRecord[]> {
    const until = Date.now() + 20_000;
    while (usage.records.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(usage.records).toHaveLength(n);
    return usage.records;
  }

  beforeAll(async () => {
    restoreEnv = setEnv(FAKE_AWS_ENV);
    bedrock = await startFakeBedrockRuntime();
    vllm = await startFakeOpenAiUpstream({ models: ['bge-m3'] });
    const config = resolveGatewayConfig(GatewayConfigValidator.validate(embeddingConfig(bedrock.endpoint, vllm.baseUrl)));
    server = await startLocalServer({ gateway: createGateway(config, { usageSink: usage, budget }), port: 0 });
    client = new OpenAI({ baseURL: server.baseUrl, apiKey: ACME_KEY, maxRetries: 0, timeout: 10_000 });
  });

  afterAll(async () => {
    await server.close();
    await bedrock.close();
    await vllm.close();
    restoreEnv();
  });

  beforeEach(() => {
    bedrock.reset();
    vllm.reset();
    usage.records.length = 0;
    budget.reserved.length = 0;
    budget.settled.length = 0;
  });

  test('Titan V2, float: one InvokeModel per input with the dimensions, vectors in order, priced usage', async () => {
    const inputs = ['first text', 'second, longer text'];
    const answer = await client.embeddings.create({ model: 'embed', input: inputs, dimensions: 256, encoding_format: 'float' });
    expect(answer.data.map((d) => d.embedding)).toEqual(inputs.map((t) => fakeEmbedding(t, 256)));
    expect(answer.data.map((d) => d.index)).toEqual([0, 1]);
    const tokens = inputs.reduce((n, t) => n + fakeEmbeddingTokens(t), 0);
    expect(answer.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    expect(answer.model).toBe('embed');
    const calls = bedrock.requests.filter((r) => r.operation === 'invokeModel');
    expect(calls.map((r) => r.modelId)).toEqual([TITAN, TITAN]);
    expect(calls.map((r) => r.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))))
      .toEqual(inputs.map((inputText) => ({ inputText, normalize: true, dimensions: 256 })));
    const [record] = await recordsAfter(1);
    expect(record).toMatchObject({
      operation: 'embeddings', route: 'embed', targetId: 'titan', status: 200, outcome: 'success',
      inputTokens: tokens, outputTokens: 0, usageEstimated: false, costUsd: (tokens * TITAN_PRICE) / 1000,
    });
  });

  test('the openai client\'s default (base64) decodes to exactly the vectors of the model', async () => {
    const answer = await client.embeddings.create({ model: 'embed', input: 'decode me' });
    expect(answer.data[0].embedding).toEqual(fakeEmbedding('decode me', 1024));
  });

  test('base64 asked for explicitly is the little-endian float32 bytes', async () => {
    const answer = await client.embeddings.create({ model: 'embed', input: 'raw bytes', dimensions: 512, encoding_format: 'base64' });
    const bytes = Buffer.from(answer.data[0].embedding as unknown as string, 'base64');
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))).toEqual(fakeEmbedding('raw bytes', 512));
  });

  test('the reservation is the input bound (UTF-8 bytes + framing per input) at the input price, settled at the cost', async () => {
    const inputs = ['héllo', 'wörld 世界'];
    await client.embeddings.create({ model: 'embed', input: inputs, encoding_format: 'float' });
    const [record] = await recordsAfter(1);
    const bound = inputs.reduce((n, t) => n + Buffer.byteLength(t) + 8, 0);
    expect(budget.reserved).toHaveLength(1);
    expect(budget.reserved[0].estimatedCostUsd).toBeCloseTo((bound * TITAN_PRICE) / 1000, 12);
    expect(budget.settled).toEqual([record.costUsd]);
  });

  test('Cohere v3: 100 inputs go out as 96 + 4 texts, tokens from the response header', async () => {
    const inputs = Array.from({ length: 100 }, (_, i) => `document number ${i}`);
    const answer = await client.embeddings.create({ model: 'embed-cohere', input: inputs, encoding_format: 'float' });
    expect(answer.data.map((d) => d.embedding)).toEqual(inputs.map((t) => fakeEmbedding(t, 1024)));
    const calls = bedrock.requests.filter((r) => r.operation === 'invokeModel');
    expect(calls.map((r) => (r.body as { texts: string[] }).texts.length)).toEqual([96, 4]);
    expect(calls[0].body).toMatchObject({ input_type: 'search_document', truncate: 'NONE', embedding_types: ['float'] });
    const [record] = await recordsAfter(1);
    expect(record).toMatchObject({ inputTokens: inputs.reduce((n, t) => n + fakeEmbeddingTokens(t), 0), usageEstimated: false });
  });

  test('OpenAI-compatible: the body passes through (float upstream, user), vectors sorted by index', async () => {
    const inputs = ['a', 'bb', 'ccc'];
    const answer = await client.embeddings.create({ model: 'embed-local', input: inputs, dimensions: 16, user: 'u-1', encoding_format: 'float' });
    expect(answer.data.map((d) => d.embedding)).toEqual(inputs.map((t) => fakeEmbedding(t, 16)));
    expect(vllm.requests[0].path).toBe('/v1/embeddings');
    expect(vllm.requests[0].body).toEqual({ model: 'bge-m3', input: inputs, encoding_format: 'float', dimensions: 16, user: 'u-1' });
  });

  test('a throttled InvokeModel is retried: one answer, one record with both attempts', async () => {
    bedrock.enqueue(BedrockBehaviours.error('ThrottlingException'));
    const answer = await client.embeddings.create({ model: 'embed', input: 'retry me', encoding_format: 'float' });
    expect(answer.data[0].embedding).toEqual(fakeEmbedding('retry me', 1024));
    const [record] = await recordsAfter(1);
    expect(record.attemptDetails.map((a) => a.result)).toEqual(['throttling', 'ok']);
  });

  test('an upstream 500 on every attempt: 502-class error, one record, no vectors', async () => {
    vllm.enqueue(OpenAiBehaviours.error(500), OpenAiBehaviours.error(500));
    const error = await apiError(client.embeddings.create({ model: 'embed-local', input: 'x', encoding_format: 'float' }));
    expect(error.status).toBeGreaterThanOrEqual(500);
    const [record] = await recordsAfter(1);
    expect(record).toMatchObject({ operation: 'embeddings', attempts: 2, outputTokens: 0 });
  });

  test('an embedding model refuses chat, and a chat model refuses embeddings, each with a 400 naming model', async () => {
    const chat = await apiError(client.chat.completions.create({ model: 'embed', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat.status).toBe(400);
    expect(chat.param).toBe('model');
    expect(chat.message).toMatch(/embedding model: call POST \/v1\/embeddings/);
    const embed = await apiError(client.embeddings.create({ model: 'chat', input: 'hi' }));
    expect(embed.status).toBe(400);
    expect(embed.message).toMatch(/chat model/);
    expect(bedrock.requests).toHaveLength(0);
    expect(vllm.requests).toHaveLength(0);
    expect(await recordsAfter(2)).toHaveLength(2);
  });

  test('Titan dimensions other than 256, 512 and 1024: a 400 naming dimensions and the allowed values, no call', async () => {
    const error = await apiError(client.embeddings.create({ model: 'embed', input: 'x', dimensions: 300 }));
    expect(error.status).toBe(400);
    expect(error.param).toBe('dimensions');
    expect(error.message).toMatch(/256, 512, 1024/);
    expect(bedrock.requests).toHaveLength(0);
  });

  test('token arrays are refused with a 400 naming input', async () => {
    const error = await apiError(client.embeddings.create({ model: 'embed', input: [[1, 2, 3]] }));
    expect(error.status).toBe(400);
    expect(error.param).toBe('input');
    expect(error.message).toMatch(/token ids is not supported/);
  });
});
