/**
 * Wire level, end to end: the official `openai` client → the local gateway server (local mode,
 * the same handle() as the Lambda) → the real provider adapters → loopback fakes that speak the
 * Bedrock Runtime wire protocol (the real `@aws-sdk/client-bedrock-runtime` client talks to it) and
 * the OpenAI/vLLM protocol. Fault injection on both, each case asserting what the client saw
 * (status, envelope, headers), the attempts and the usage record.
 */
import OpenAI from 'openai';
import { Gateway } from '../../../lambda/router/gateway';
import { CircuitBreakers } from '../../../lambda/router/reliability/circuit-breaker';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { apiError, records } from '../../helpers/openai-e2e';
import { GatewayConfig } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { BedrockBehaviours, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../helpers/fake-bedrock-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { ACME_KEY, ACME_PROFILE, FAKE_AWS_ENV, GLOBEX_KEY, GLOBEX_PROFILE, setEnv, testConfig } from '../../helpers/router-config';

interface Stack {
  readonly server: LocalServer;
  readonly gateway: Gateway;
  readonly usage: InMemoryUsageSink;
  client(key?: string): OpenAI;
}

async function startStack(config: GatewayConfig, breakers?: CircuitBreakers): Promise<Stack> {
  const usage = new InMemoryUsageSink();
  const gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config)), { usageSink: usage, breakers });
  const server = await startLocalServer({ gateway, port: 0 });
  return {
    server, gateway, usage,
    client: (key = ACME_KEY) => new OpenAI({ baseURL: server.baseUrl, apiKey: key, maxRetries: 0, timeout: 10_000 }),
  };
}


const ask = (content = 'Hello there') => [{ role: 'user' as const, content }];

describe('openai client → local gateway → real adapters → loopback upstreams', () => {
  let bedrock: FakeBedrockRuntime;
  let vllm: FakeOpenAiUpstream;
  let stack: Stack;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = setEnv(FAKE_AWS_ENV);
    bedrock = await startFakeBedrockRuntime();
    vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    const base = testConfig({ bedrock: bedrock.endpoint, openai: vllm.baseUrl });
    stack = await startStack({
      ...base,
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 50 },
      // Long enough that no answer but a hung one can reach them on a loaded machine.
      timeouts: { connectMs: 3000, totalMs: 3000 },
      circuitBreaker: { failureThreshold: 1000, cooldownMs: 1000 },
    });
  });

  afterAll(async () => {
    await stack.server.close();
    await bedrock.close();
    await vllm.close();
    restoreEnv();
  });

  beforeEach(() => {
    bedrock.reset();
    vllm.reset();
    stack.usage.clear();
  });

  describe('JSON', () => {
    test('a completion from vLLM, with the gateway headers', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ text: 'Hi from vLLM', usage: { promptTokens: 20, completionTokens: 5 } }));
      const { data, response } = await stack.client().chat.completions.create({ model: 'chat', messages: ask() }).withResponse();
      expect(data.choices[0].message.content).toBe('Hi from vLLM');
      expect(data.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 });
      expect(data.model).toBe('chat');
      expect(Object.fromEntries([...response.headers].filter(([k]) => k.startsWith('x-gateway-')))).toEqual({
        'x-gateway-route': 'chat', 'x-gateway-model': 'qwen3-8b', 'x-gateway-attempts': '1', 'x-gateway-fallback': 'false', 'x-gateway-cost-usd': '0.000003',
      });
      const [record] = await records(stack.usage, 1);
      expect(record).toMatchObject({ requestId: response.headers.get('x-request-id'), tenantId: 'acme', outcome: 'success', inputTokens: 20, outputTokens: 5, costUsd: 0.000003 });
      expect(vllm.lastRequest().body).toMatchObject({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hello there' }] });
    });

    test('a completion from Bedrock through the tenant\'s own application inference profile', async () => {
      bedrock.enqueue(BedrockBehaviours.success({ text: 'Summary.', usage: { inputTokens: 30, outputTokens: 3, cacheReadInputTokens: 100 } }));
      const data = await stack.client(GLOBEX_KEY).chat.completions.create({ model: 'summary', messages: ask() });
      expect(data.choices[0].message.content).toBe('Summary.');
      expect(bedrock.lastRequest()).toMatchObject({ operation: 'converse', modelId: GLOBEX_PROFILE });
      expect(bedrock.lastRequest().modelId).not.toBe(ACME_PROFILE);
      const [record] = await records(stack.usage, 1);
      // 30 × 0.003 + 3 × 0.015 + 100 × 0.0003 per 1K
      expect(record).toMatchObject({ tenantId: 'globex', priceModelId: 'anthropic.claude-sonnet-4', costUsd: 0.000165, cacheReadInputTokens: 100 });
    });

    test('GET /v1/models lists the tenant\'s aliases', async () => {
      const page = await stack.client(GLOBEX_KEY).models.list();
      expect(page.data.map((m) => m.id)).toEqual(['auto', 'chat', 'guarded', 'summary']);
    });
  });

  describe('fault injection', () => {
    test('429 then success: retried on the same target', async () => {
      vllm.enqueue(OpenAiBehaviours.error(429, { retryAfter: '0' }), OpenAiBehaviours.success({ text: 'second time' }));
      const { data, response } = await stack.client().chat.completions.create({ model: 'chat', messages: ask() }).withResponse();
      expect(data.choices[0].message.content).toBe('second time');
      expect(response.headers.get('x-gateway-attempts')).toBe('2');
      expect(response.headers.get('x-gateway-fallback')).toBe('false');
      expect(vllm.requests).toHaveLength(2);
      const [record] = await records(stack.usage, 1);
      expect(record.attemptDetails.map((a) => `${a.targetId}:${a.result}`)).toEqual(['vllm:throttling', 'vllm:ok']);
    });

    test('persistent 429: falls back along the chain to Bedrock', async () => {
      vllm.setDefaultBehaviour(OpenAiBehaviours.error(429));
      try {
        bedrock.enqueue(BedrockBehaviours.success({ text: 'from Bedrock' }));
        const { data, response } = await stack.client().chat.completions.create({ model: 'chat', messages: ask() }).withResponse();
        expect(data.choices[0].message.content).toBe('from Bedrock');
        expect(response.headers.get('x-gateway-fallback')).toBe('true');
        expect(response.headers.get('x-gateway-model')).toBe('amazon.nova-lite-v1:0');
        expect(bedrock.lastRequest().modelId).toBe('amazon.nova-lite-v1:0');
        const [record] = await records(stack.usage, 1);
        expect(record).toMatchObject({ outcome: 'success', fallback: true, attempts: 3, targetId: 'bedrock-nova', provider: 'aws.bedrock' });
      } finally {
        vllm.setDefaultBehaviour(OpenAiBehaviours.success());
      }
    });

    test('throttled everywhere: 429 with Retry-After, the OpenAI envelope', async () => {
      vllm.setDefaultBehaviour(OpenAiBehaviours.error(429, { retryAfter: '3' }));
      bedrock.setDefaultBehaviour(BedrockBehaviours.error('ThrottlingException'));
      try {
        const e = await apiError(stack.client().chat.completions.create({ model: 'chat', messages: ask() }));
        expect(e.status).toBe(429);
        expect(e.headers?.get('retry-after')).toBe('3');
        expect(e.error).toEqual({ message: "The model 'chat' is receiving too many requests; retry later.", type: 'rate_limit_error', code: 'upstream_throttled', param: null });
        const [record] = await records(stack.usage, 1);
        // vLLM asked for 3 s (more than retry.maxDelayMs): failed over at once; Bedrock retried once.
        expect(record).toMatchObject({ status: 429, outcome: 'upstream_error', attempts: 3 });
        expect(record.attemptDetails.map((a) => `${a.targetId}:${a.result}`)).toEqual(['vllm:throttling', 'bedrock-nova:throttling', 'bedrock-nova:throttling']);
      } finally {
        vllm.setDefaultBehaviour(OpenAiBehaviours.success());
        bedrock.setDefaultBehaviour(BedrockBehaviours.success());
      }
    });

    test('500 everywhere: 502, no upstream internals', async () => {
      vllm.setDefaultBehaviour(OpenAiBehaviours.error(500, { message: 'CUDA out of memory at layer 17' }));
      bedrock.setDefaultBehaviour(BedrockBehaviours.error('InternalServerException', { message: 'internal detail xyz' }));
      try {
        const e = await apiError(stack.client().chat.completions.create({ model: 'chat', messages: ask() }));
        expect(e.status).toBe(502);
        expect(JSON.stringify(e.error)).not.toMatch(/CUDA|xyz/);
        expect(e.error).toMatchObject({ code: 'upstream_error', type: 'api_error' });
        const [record] = await records(stack.usage, 1);
        expect(record).toMatchObject({ status: 502, outcome: 'upstream_error', attempts: 4 });
      } finally {
        vllm.setDefaultBehaviour(OpenAiBehaviours.success());
        bedrock.setDefaultBehaviour(BedrockBehaviours.success());
      }
    });

    test('malformed upstream bodies fail over; malformed everywhere is a 502', async () => {
      vllm.enqueue(OpenAiBehaviours.malformed());
      bedrock.enqueue(BedrockBehaviours.success({ text: 'clean' }));
      const data = await stack.client().chat.completions.create({ model: 'chat', messages: ask() });
      expect(data.choices[0].message.content).toBe('clean');
      const [first] = await records(stack.usage, 1);
      expect(first.attemptDetails.map((a) => a.result)).toEqual(['malformedResponse', 'ok']);

      vllm.enqueue(OpenAiBehaviours.malformed());
      bedrock.enqueue(BedrockBehaviours.malformed());
      const e = await apiError(stack.client().chat.completions.create({ model: 'chat', messages: ask() }));
      expect(e.status).toBe(502);
      const all = await records(stack.usage, 2);
      expect(all[1]).toMatchObject({ status: 502, attempts: 2 });
    });

    test('hung upstreams: 504 at the deadline, the upstream requests closed', async () => {
      vllm.setDefaultBehaviour(OpenAiBehaviours.hang());
      bedrock.setDefaultBehaviour(BedrockBehaviours.hang());
      try {
        const started = Date.now();
        const e = await apiError(stack.client().chat.completions.create({ model: 'chat', messages: ask() }));
        const elapsed = Date.now() - started;
        expect(e.status).toBe(504);
        expect(e.error).toMatchObject({ code: 'upstream_timeout', type: 'timeout_error' });
        // The gateway's 3 s deadline ended it: not before it, and not the client's own 10 s timeout
        // (that would be a connection error, not this 504).
        expect(elapsed).toBeGreaterThanOrEqual(2900);
        await expect(vllm.requests[0].outcome).resolves.toBe('clientClosed');
        const [record] = await records(stack.usage, 1);
        expect(record).toMatchObject({ status: 504, outcome: 'upstream_error' });
      } finally {
        vllm.setDefaultBehaviour(OpenAiBehaviours.success());
        bedrock.setDefaultBehaviour(BedrockBehaviours.success());
      }
    });

    test('a slow upstream within the deadline still answers', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ text: 'slow but fine', delayMs: 300 }));
      const data = await stack.client().chat.completions.create({ model: 'chat', messages: ask() });
      expect(data.choices[0].message.content).toBe('slow but fine');
    });

    test('an upstream validation error is the client\'s 400, the chain stops', async () => {
      vllm.enqueue(OpenAiBehaviours.error(400, { message: 'bad input secret-detail' }));
      const e = await apiError(stack.client().chat.completions.create({ model: 'chat', messages: ask() }));
      expect(e.status).toBe(400);
      expect(JSON.stringify(e.error)).not.toContain('secret-detail');
      expect(bedrock.requests).toHaveLength(0);
    });
  });

  describe('streams', () => {
    test('content deltas, the usage chunk, [DONE]', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ deltas: ['Hel', 'lo ', 'there'], usage: { promptTokens: 9, completionTokens: 3 } }));
      const stream = await stack.client().chat.completions.create({ model: 'chat', messages: ask(), stream: true, stream_options: { include_usage: true } });
      const parts: string[] = [];
      let usage: unknown;
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) parts.push(chunk.choices[0].delta.content);
        if (chunk.usage) usage = chunk.usage;
      }
      expect(parts.join('')).toBe('Hello there');
      expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3 });
      const [record] = await records(stack.usage, 1);
      expect(record).toMatchObject({ stream: true, outcome: 'success', inputTokens: 9, outputTokens: 3, ttftMs: expect.any(Number) });
    });

    test('Bedrock ConverseStream through the real SDK event-stream decoder', async () => {
      bedrock.enqueue(BedrockBehaviours.success({ deltas: ['Sum', 'mary'], usage: { inputTokens: 7, outputTokens: 2 } }));
      const stream = await stack.client().chat.completions.create({ model: 'summary', messages: ask(), stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('Summary');
      expect(bedrock.lastRequest()).toMatchObject({ operation: 'converseStream', modelId: ACME_PROFILE });
    });

    test('an error before the first token fails over', async () => {
      vllm.enqueue(OpenAiBehaviours.error(503));
      vllm.enqueue(OpenAiBehaviours.error(503));
      bedrock.enqueue(BedrockBehaviours.success({ deltas: ['fallback ', 'ok'] }));
      const stream = await stack.client().chat.completions.create({ model: 'chat', messages: ask(), stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).toBe('fallback ok');
      const [record] = await records(stack.usage, 1);
      expect(record).toMatchObject({ fallback: true, attempts: 3, outcome: 'success' });
    });

    test('a lower-case throttlingException mid-stream after the first token: an error event, no [DONE], no failover', async () => {
      bedrock.enqueue(BedrockBehaviours.streamException('throttlingException', { deltas: ['partial ', 'answer'] }));
      const stream = await stack.client().chat.completions.create({ model: 'summary', messages: ask(), stream: true });
      const received: string[] = [];
      const e = await apiError((async () => {
        for await (const chunk of stream) received.push(chunk.choices[0]?.delta?.content ?? '');
      })());
      expect(received.join('')).toBe('partial answer');
      expect(e.error).toEqual({ message: "The model 'summary' is receiving too many requests; retry later.", type: 'rate_limit_error', code: 'upstream_throttled', param: null });
      expect(bedrock.requests).toHaveLength(1);
      const [record] = await records(stack.usage, 1);
      expect(record).toMatchObject({ outcome: 'stream_error', status: 200, usageEstimated: true, outputTokens: Math.ceil('partial answer'.length / 4) });
      expect(record.costUsd).toBeGreaterThan(0);
    });

    test('a vLLM error event mid-stream: the client\'s stream fails with the gateway envelope', async () => {
      vllm.enqueue(OpenAiBehaviours.streamError({ deltas: ['one ', 'two '] }));
      const stream = await stack.client().chat.completions.create({ model: 'chat', messages: ask(), stream: true });
      const e = await apiError((async () => { for await (const _ of stream) { /* drain */ } })());
      expect(e.error).toMatchObject({ type: 'api_error' });
      expect(bedrock.requests).toHaveLength(0);
      const [record] = await records(stack.usage, 1);
      expect(record.outcome).toBe('stream_error');
    });

    test('client disconnect mid-stream: the upstream call is closed and the usage record says so', async () => {
      vllm.enqueue(OpenAiBehaviours.success({ deltas: ['a ', 'b ', 'c ', 'd ', 'e '], eventDelayMs: 100 }));
      const stream = await stack.client().chat.completions.create({ model: 'chat', messages: ask(), stream: true });
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) break; // leaving the loop aborts the request
      }
      await expect(vllm.requests[0].outcome).resolves.toBe('clientClosed');
      const [record] = await records(stack.usage, 1);
      expect(record).toMatchObject({ outcome: 'client_disconnect', stream: true, usageEstimated: true });
      expect(record.outputTokens).toBeGreaterThan(0);
    });
  });

  describe('guardrails for a self-hosted route (ApplyGuardrail at the Bedrock fake)', () => {
    test('input blocked: the guardrail\'s message, vLLM never called', async () => {
      bedrock.enqueue(BedrockBehaviours.guardrail('GUARDRAIL_INTERVENED', { outputs: ['This request is not allowed.'] }));
      const { data, response } = await stack.client().chat.completions.create({ model: 'guarded', messages: ask('forbidden') }).withResponse();
      expect(data.choices[0]).toMatchObject({ message: { content: 'This request is not allowed.' }, finish_reason: 'content_filter' });
      expect(response.headers.get('x-gateway-guardrail-action')).toBe('INTERVENED');
      expect(bedrock.lastRequest()).toMatchObject({ operation: 'applyGuardrail', guardrailIdentifier: 'gr1abc', guardrailVersion: '2' });
      expect(bedrock.lastRequest().body).toMatchObject({ source: 'INPUT', content: [{ text: { text: 'forbidden' } }] });
      expect(vllm.requests).toHaveLength(0);
    });

    test('input and output checked, answer passed', async () => {
      bedrock.enqueue(BedrockBehaviours.guardrail('NONE'), BedrockBehaviours.guardrail('NONE'));
      vllm.enqueue(OpenAiBehaviours.success({ text: 'safe answer' }));
      const data = await stack.client().chat.completions.create({ model: 'guarded', messages: ask() });
      expect(data.choices[0].message.content).toBe('safe answer');
      expect(bedrock.requests.map((r) => (r.body as { source: string }).source)).toEqual(['INPUT', 'OUTPUT']);
    });
  });

  test('tenant isolation: another tenant\'s alias is a 404, and the upstreams never see the call', async () => {
    const e = await apiError(stack.client(GLOBEX_KEY).chat.completions.create({ model: 'secure', messages: ask() }));
    expect(e.status).toBe(404);
    expect(e.error).toMatchObject({ code: 'model_not_found' });
    expect(bedrock.requests).toHaveLength(0);
    expect(vllm.requests).toHaveLength(0);
  });

  test('a wrong key is a 401 the SDK recognises', async () => {
    const e = await apiError(stack.client('sk-wrong').chat.completions.create({ model: 'chat', messages: ask() }));
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('circuit breaker across requests (wire level)', () => {
  test('after consecutive failures the target is skipped until its cooldown passes', async () => {
    const restore = setEnv(FAKE_AWS_ENV);
    const bedrock = await startFakeBedrockRuntime();
    const vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    const base = testConfig({ bedrock: bedrock.endpoint, openai: vllm.baseUrl });
    // The breakers' clock is the test's: the cooldown passes when the test says so, not with the machine's load.
    let clock = Date.now();
    const circuitBreaker = { failureThreshold: 2, cooldownMs: 300 };
    const breakers = new CircuitBreakers({ ...circuitBreaker, now: () => clock });
    const stack = await startStack({ ...base, retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 10 }, circuitBreaker }, breakers);
    try {
      vllm.setDefaultBehaviour(OpenAiBehaviours.error(500));
      const client = stack.client();
      for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'chat', messages: ask() });
      expect(vllm.requests).toHaveLength(2);
      // Open: vLLM is skipped, Bedrock answers directly.
      const { response } = await client.chat.completions.create({ model: 'chat', messages: ask() }).withResponse();
      expect(vllm.requests).toHaveLength(2);
      expect(response.headers.get('x-gateway-attempts')).toBe('1');
      expect(response.headers.get('x-gateway-fallback')).toBe('true');
      // After the cooldown, one probe goes to vLLM again; it succeeds and closes the circuit.
      clock += 350;
      vllm.setDefaultBehaviour(OpenAiBehaviours.success({ text: 'recovered' }));
      const data = await client.chat.completions.create({ model: 'chat', messages: ask() });
      expect(data.choices[0].message.content).toBe('recovered');
      expect(vllm.requests).toHaveLength(3);
    } finally {
      await stack.server.close();
      await bedrock.close();
      await vllm.close();
      restore();
    }
  });
});
