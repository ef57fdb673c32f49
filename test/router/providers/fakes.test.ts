/**
 * The fakes themselves speak the protocols well enough for the official clients: the `openai`
 * SDK against the OpenAI-compatible fake, the Bedrock Runtime SDK against the Bedrock fake. The
 * router's end-to-end tests rely on this.
 */
import OpenAI from 'openai';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { createKeepAliveHandler } from '../../../lambda/router/providers/bedrock/client';
import { BedrockBehaviours as B, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { OpenAiBehaviours as O, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { FAKE_CREDENTIALS, PROFILE_ARN, REGION } from './helpers';

describe('fake-openai-upstream with the openai SDK', () => {
  let upstream: FakeOpenAiUpstream;
  let client: OpenAI;
  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b', 'llama-3.1-8b'] });
    client = new OpenAI({ baseURL: upstream.baseUrl, apiKey: 'unused', maxRetries: 0 });
  });
  afterEach(() => upstream.reset());
  afterAll(() => upstream.close());

  test('lists the served models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['qwen3-8b', 'llama-3.1-8b']);
  });

  test('JSON completion', async () => {
    upstream.enqueue(O.success({ text: 'Hi there', usage: { promptTokens: 5, completionTokens: 2 } }));
    const out = await client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16 });
    expect(out.choices[0].message.content).toBe('Hi there');
    expect(out.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    expect(out.model).toBe('qwen3-8b');
  });

  test('streamed completion with a usage chunk', async () => {
    upstream.enqueue(O.success({ deltas: ['a', 'b'], usage: { promptTokens: 3, completionTokens: 2 } }));
    const stream = await client.chat.completions.create({
      model: 'qwen3-8b',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('ab');
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2 });
  });

  test('errors carry the OpenAI envelope and status', async () => {
    upstream.enqueue(O.error(429, { message: 'slow down', type: 'rate_limit_error', code: 'rate_limited', retryAfter: '1' }));
    const error = await client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', type: 'rate_limit_error' });
  });

  test('an error inside the stream reaches the SDK as an APIError', async () => {
    upstream.enqueue(O.streamError({ deltas: ['x'], message: 'engine died', type: 'server_error' }));
    const stream = await client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16, stream: true });
    const error = await (async () => { for await (const chunk of stream) void chunk; })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
  });

  test('a completion without max_tokens is refused with a 400 and counted, without consuming a behaviour', async () => {
    upstream.enqueue(O.success({ text: 'kept' }));
    const before = upstream.missingOutputLimit;
    const error = await client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hi' }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(upstream.missingOutputLimit).toBe(before + 1);
    expect(upstream.pending).toBe(1);
    const out = await client.chat.completions.create({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 8 });
    expect(out.choices[0].message.content).toBe('kept');
  });
});

describe('fake-bedrock-runtime', () => {
  let fake: FakeBedrockRuntime;
  beforeAll(async () => { fake = await startFakeBedrockRuntime(); });
  afterAll(() => fake.close());

  test('stream events arrive in the service\'s order with the SDK\'s event shapes', async () => {
    const client = new BedrockRuntimeClient({
      endpoint: fake.endpoint, region: REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 1,
      requestHandler: createKeepAliveHandler({ connectTimeoutMs: 1000 }),
    });
    try {
      fake.enqueue(B.success({ deltas: ['a', 'b'], usage: { inputTokens: 3, outputTokens: 2, cacheReadInputTokens: 1 }, trace: { guardrail: { actionReason: 'none' } } }));
      const out = await client.send(new ConverseStreamCommand({ modelId: PROFILE_ARN, messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 16 } }));
      const kinds: string[] = [];
      const events: unknown[] = [];
      for await (const event of out.stream ?? []) {
        kinds.push(Object.keys(event)[0]);
        events.push(event);
      }
      expect(kinds).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
      const before = fake.missingOutputLimit;
      const refused = await client.send(new ConverseStreamCommand({ modelId: PROFILE_ARN, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }))
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/no inferenceConfig\.maxTokens/) });
      expect(fake.missingOutputLimit).toBe(before + 1);
      expect(events[5]).toEqual({
        metadata: {
          usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5, cacheReadInputTokens: 1 },
          metrics: { latencyMs: 7 },
          trace: { guardrail: { actionReason: 'none' } },
        },
      });
    } finally {
      client.destroy();
    }
  });

  test('unknown paths answer 404 with an error type; requests are recorded with their connection', async () => {
    const res = await fetch(`${fake.endpoint}/nope`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^UnknownOperationException:/);
    expect(fake.lastRequest()).toMatchObject({ operation: 'unknown', path: '/nope', body: {} });
    expect(fake.lastRequest().connectionId).toBeGreaterThan(0);
  });
});
