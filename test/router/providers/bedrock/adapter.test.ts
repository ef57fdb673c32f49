/**
 * Wire-level tests: the real Bedrock Runtime SDK client (through BedrockAdapter) against the
 * loopback Bedrock Runtime (test/helpers/fake-bedrock-runtime.ts).
 */
import * as net from 'node:net';
import { UpstreamError } from '../../../../lambda/router/errors';
import { BedrockAdapter } from '../../../../lambda/router/providers/bedrock/adapter';
import type { BedrockTarget, StreamChunk } from '../../../../lambda/router/providers/types';
import { startBlackhole, type Blackhole } from '../../../helpers/fake-blackhole';
import { BedrockBehaviours as B, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../../helpers/fake-bedrock-runtime';
import { callOptions, collect, FAKE_CREDENTIALS, PROFILE_ARN, providerRequest, REGION, texts, timed, upstreamErrorOf } from '../helpers';

let fake: FakeBedrockRuntime;
let adapter: BedrockAdapter;
let target: BedrockTarget;

beforeAll(async () => {
  fake = await startFakeBedrockRuntime();
  adapter = new BedrockAdapter({ credentials: FAKE_CREDENTIALS, defaultRegion: REGION });
  target = {
    kind: 'bedrock',
    id: 'acme-claude',
    modelId: PROFILE_ARN,
    endpoint: fake.endpoint,
    guardrail: { identifier: 'gr-abc123', version: '3' },
  };
});

afterEach(() => fake.reset());

afterAll(async () => {
  adapter.pool.destroy();
  await fake.close();
});

const fullRequest = providerRequest({
  system: ['You are terse.', 'Answer in English.'],
  messages: [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello.' },
    { role: 'user', content: 'Summarise the ticket.' },
  ],
  maxTokens: 256,
  temperature: 0.2,
  topP: 0.9,
  stop: ['END'],
});

describe('complete (Converse)', () => {
  test('sends the Converse request to the profile ARN, signed, with every mapped field', async () => {
    // Act
    await adapter.complete(target, fullRequest, callOptions());

    // Assess
    const req = fake.lastRequest();
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/model/${encodeURIComponent(PROFILE_ARN)}/converse`);
    expect(req.modelId).toBe(PROFILE_ARN);
    expect(req.headers['content-type']).toBe('application/json');
    expect(String(req.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKEFAKEFAKE\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(req.body).toEqual({
      system: [{ text: 'You are terse.' }, { text: 'Answer in English.' }],
      messages: [
        { role: 'user', content: [{ text: 'Hi' }] },
        { role: 'assistant', content: [{ text: 'Hello.' }] },
        { role: 'user', content: [{ text: 'Summarise the ticket.' }] },
      ],
      inferenceConfig: { maxTokens: 256, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      guardrailConfig: { guardrailIdentifier: 'gr-abc123', guardrailVersion: '3', trace: 'enabled' },
      requestMetadata: { tenant: 'acme', workflow: 'support-summary', promptVersion: 'summary@3', requestId: 'req-0001' },
    });
  });

  test('maps the answer: text, finish reason, usage with cache tokens, served model, guardrail action', async () => {
    // Prepare
    fake.enqueue(B.success({
      text: 'The customer wants a refund.',
      stopReason: 'max_tokens',
      usage: { inputTokens: 1200, outputTokens: 7, cacheReadInputTokens: 1024, cacheWriteInputTokens: 16 },
    }));

    // Act
    const completion = await adapter.complete(target, fullRequest, callOptions());

    // Assess
    expect(completion).toEqual({
      text: 'The customer wants a refund.',
      finishReason: 'length',
      usage: { inputTokens: 1200, outputTokens: 7, cacheReadInputTokens: 1024, cacheWriteInputTokens: 16 },
      servedModel: PROFILE_ARN,
      guardrailAction: 'NONE',
    });
    expect(completion.usageEstimated).toBeUndefined();
  });

  test('a guardrail intervention is a content_filter finish with guardrailAction INTERVENED', async () => {
    fake.enqueue(B.success({ text: 'Sorry, I cannot help with that.', stopReason: 'guardrail_intervened' }));
    const completion = await adapter.complete(target, fullRequest, callOptions());
    expect(completion.finishReason).toBe('content_filter');
    expect(completion.guardrailAction).toBe('INTERVENED');
    expect(completion.text).toBe('Sorry, I cannot help with that.');
  });

  test('an answer without usage gets estimated usage, marked as such', async () => {
    fake.enqueue(B.success({ text: '12345678', omitUsage: true }));
    const completion = await adapter.complete(target, providerRequest({ system: [], messages: [{ role: 'user', content: 'abcdefghijkl' }] }), callOptions());
    expect(completion.usage).toEqual({ inputTokens: 3, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    expect(completion.usageEstimated).toBe(true);
  });

  test('429 ThrottlingException → retryable throttling with the upstream status', async () => {
    fake.enqueue(B.error('ThrottlingException', { message: 'Too many requests, please wait before trying again.' }));
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition: 'retryable', code: 'throttling', upstreamStatus: 429 });
  });

  test('429 then success: the adapter does not retry by itself; the next call succeeds', async () => {
    fake.enqueue(B.error('ThrottlingException'), B.success({ text: 'ok' }));
    const first = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(fake.requests).toHaveLength(1);
    const second = await adapter.complete(target, fullRequest, callOptions());
    expect(first.code).toBe('throttling');
    expect(second.text).toBe('ok');
    expect(fake.requests).toHaveLength(2);
  });

  test('persistent 429: every call fails retryable, one request per call (maxAttempts 1)', async () => {
    fake.setDefaultBehaviour(B.error('ThrottlingException'));
    try {
      for (let i = 0; i < 3; i++) {
        const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
        expect(error.disposition).toBe('retryable');
      }
      expect(fake.requests).toHaveLength(3);
    } finally {
      fake.setDefaultBehaviour(B.success());
    }
  });

  test.each([
    ['InternalServerException', 500, 'retryable', 'internalServerError'],
    ['ServiceUnavailableException', 503, 'retryable', 'serviceUnavailable'],
    ['ModelNotReadyException', 429, 'retryable', 'modelNotReady'],
    ['ModelTimeoutException', 408, 'retryable', 'modelTimeout'],
    ['ModelErrorException', 424, 'fallback', 'modelError'],
    ['ValidationException', 400, 'client', 'validation'],
    ['AccessDeniedException', 403, 'client', 'accessDenied'],
    ['ResourceNotFoundException', 404, 'client', 'resourceNotFound'],
  ])('%s (%d) → %s %s', async (name, status, disposition, code) => {
    fake.enqueue(B.error(name));
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition, code, upstreamStatus: status });
  });

  test('a ValidationException about the context window is a reason to fail over', async () => {
    fake.enqueue(B.error('ValidationException', { message: 'Input is too long for requested model.' }));
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'contextLengthExceeded', upstreamStatus: 400 });
  });

  test('a malformed JSON body → fallback malformedResponse', async () => {
    fake.enqueue(B.malformed());
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
  });

  test('a hung upstream fails with retryable timeout within the deadline, and the request is closed', async () => {
    fake.enqueue(B.hang());
    const { value: error, ms } = await timed(() => upstreamErrorOf(adapter.complete(target, fullRequest, callOptions({ timeoutMs: 300 }))));
    // The deadline given ended it (the other timeouts are GENEROUS_*), not before it.
    expect(error).toMatchObject({ disposition: 'retryable', code: 'timeout', message: expect.stringMatching(/within 300 ms/) });
    expect(ms).toBeGreaterThanOrEqual(250);
    await expect(fake.lastRequest().outcome).resolves.toBe('clientClosed');
  });

  test('a slow upstream within the deadline answers; beyond it, times out', async () => {
    // Deadline timers start before the fake's delay timers, so in one process they fire in this
    // order however loaded the machine is; the slow answer gets a deadline it cannot miss.
    fake.enqueue(B.success({ text: 'slow but fine', delayMs: 150 }), B.success({ delayMs: 800 }));
    const ok = await adapter.complete(target, fullRequest, callOptions());
    expect(ok.text).toBe('slow but fine');
    const { value: error, ms } = await timed(() => upstreamErrorOf(adapter.complete(target, fullRequest, callOptions({ timeoutMs: 300 }))));
    expect(error).toMatchObject({ code: 'timeout', message: expect.stringMatching(/within 300 ms/) });
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  test('a body cut mid-way → retryable network error', async () => {
    fake.enqueue(B.success({ cutAfterEvents: 0 }));
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(error.disposition).toBe('retryable');
    expect(error.code).toBe('network');
  });

  test('a connection reset before any answer → retryable network error', async () => {
    fake.enqueue(B.reset());
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition: 'retryable', code: 'network' });
    expect(fake.requests).toHaveLength(1);
  });

  test('an already aborted signal fails with aborted, without a request', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions({ signal: controller.signal })));
    expect(error).toMatchObject({ disposition: 'client', code: 'aborted' });
    expect(fake.requests).toHaveLength(0);
  });

  test('an abort while waiting for the answer fails with aborted and closes the request', async () => {
    fake.enqueue(B.hang());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await upstreamErrorOf(adapter.complete(target, fullRequest, callOptions({ signal: controller.signal })));
    expect(error).toMatchObject({ disposition: 'client', code: 'aborted' });
    await expect(fake.lastRequest().outcome).resolves.toBe('clientClosed');
  });
});

describe('stream (ConverseStream)', () => {
  test('sends ConverseStream with a synchronous guardrail, yields every delta, then one end chunk', async () => {
    // Prepare
    fake.enqueue(B.success({
      deltas: ['The ', 'customer ', 'wants ', 'a refund.'],
      usage: { inputTokens: 1500, outputTokens: 4, cacheReadInputTokens: 1400, cacheWriteInputTokens: 0 },
    }));

    // Act
    const { chunks, error } = await collect(adapter.stream(target, fullRequest, callOptions()));

    // Assess
    expect(error).toBeUndefined();
    const req = fake.lastRequest();
    expect(req.path).toBe(`/model/${encodeURIComponent(PROFILE_ARN)}/converse-stream`);
    expect(req.body).toMatchObject({
      guardrailConfig: { guardrailIdentifier: 'gr-abc123', guardrailVersion: '3', trace: 'enabled', streamProcessingMode: 'sync' },
      requestMetadata: { tenant: 'acme', requestId: 'req-0001' },
      inferenceConfig: { maxTokens: 256 },
    });
    expect(chunks).toEqual<StreamChunk[]>([
      { type: 'text', text: 'The ' },
      { type: 'text', text: 'customer ' },
      { type: 'text', text: 'wants ' },
      { type: 'text', text: 'a refund.' },
      {
        type: 'end',
        finishReason: 'stop',
        usage: { inputTokens: 1500, outputTokens: 4, cacheReadInputTokens: 1400, cacheWriteInputTokens: 0 },
        servedModel: PROFILE_ARN,
        guardrailAction: 'NONE',
      },
    ]);
  });

  test('a stream without a metadata event ends with estimated, marked usage', async () => {
    fake.enqueue(B.success({ deltas: ['abcd', 'efgh'], omitUsage: true }));
    const { chunks } = await collect(adapter.stream(target, providerRequest({ system: [], messages: [{ role: 'user', content: 'x'.repeat(40) }] }), callOptions()));
    expect(chunks[chunks.length - 1]).toEqual({
      type: 'end',
      finishReason: 'stop',
      usage: { inputTokens: 10, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      servedModel: PROFILE_ARN,
      guardrailAction: 'NONE',
      usageEstimated: true,
    });
  });

  test('an exception before the first token (lower-case throttlingException) → retryable, nothing yielded', async () => {
    fake.enqueue(B.streamException('throttlingException', { message: 'Too many tokens, please wait.' }));
    const { chunks, error } = await collect(adapter.stream(target, fullRequest, callOptions()));
    expect(chunks).toEqual([]);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'throttling' });
  });

  test('an exception after N tokens: the iterator yields the N chunks, then rejects', async () => {
    fake.enqueue(B.streamException('modelStreamErrorException', { deltas: ['one ', 'two ', 'three '] }));
    const { chunks, error } = await collect(adapter.stream(target, fullRequest, callOptions()));
    expect(texts(chunks)).toEqual(['one ', 'two ', 'three ']);
    expect(chunks.some((c) => c.type === 'end')).toBe(false);
    expect(error).toMatchObject({ disposition: 'fallback', code: 'modelStreamError' });
  });

  test.each([
    ['internalServerException', 'retryable', 'internalServerError'],
    ['serviceUnavailableException', 'retryable', 'serviceUnavailable'],
    ['validationException', 'client', 'validation'],
    ['modelTimeoutException', 'retryable', 'modelTimeout'],
  ])('mid-stream %s → %s %s', async (exceptionType, disposition, code) => {
    fake.enqueue(B.streamException(exceptionType, { deltas: ['partial '] }));
    const { chunks, error } = await collect(adapter.stream(target, fullRequest, callOptions()));
    expect(texts(chunks)).toEqual(['partial ']);
    expect(error).toMatchObject({ disposition, code });
  });

  test('an HTTP error before the stream starts → classified like Converse', async () => {
    fake.enqueue(B.error('ServiceUnavailableException'));
    const { chunks, error } = await collect(adapter.stream(target, fullRequest, callOptions()));
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'serviceUnavailable', upstreamStatus: 503 });
  });

  test('a corrupt event-stream frame → fallback malformedResponse', async () => {
    fake.enqueue(B.malformed());
    const { error } = await collect(adapter.stream(target, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
  });

  test('a stream cut after some events → the chunks so far, then a retryable error', async () => {
    fake.enqueue(B.success({ deltas: ['a ', 'b ', 'c ', 'd '], cutAfterEvents: 3 }));
    const { chunks, error } = await collect(adapter.stream(target, fullRequest, callOptions()));
    expect(texts(chunks)).toEqual(['a ', 'b ']);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'network' });
  });

  test('a stream that stalls mid-way fails with timeout within the deadline', async () => {
    fake.enqueue(B.success({ deltas: ['a ', 'b ', 'c '], stallAfterEvents: 2 }));
    const { value: result, ms } = await timed(() => collect(adapter.stream(target, fullRequest, callOptions({ timeoutMs: 400 }))));
    expect(texts(result.chunks)).toEqual(['a ']);
    expect(result.error).toMatchObject({ disposition: 'retryable', code: 'timeout', message: expect.stringMatching(/within 400 ms/) });
    expect(ms).toBeGreaterThanOrEqual(350);
    await expect(fake.lastRequest().outcome).resolves.toBe('clientClosed');
  });

  test('a client disconnect mid-stream (abort signal) rejects with aborted and closes the upstream request', async () => {
    // Prepare
    fake.enqueue(B.success({ deltas: ['1 ', '2 ', '3 ', '4 ', '5 '], eventDelayMs: 40 }));
    const controller = new AbortController();
    const received: string[] = [];

    // Act
    const iterator = adapter.stream(target, fullRequest, callOptions({ signal: controller.signal }))[Symbol.asyncIterator]();
    for (let i = 0; i < 2; i++) {
      const next = await iterator.next();
      if (!next.done && next.value.type === 'text') received.push(next.value.text);
    }
    controller.abort();
    const rest = await iterator.next().then(() => undefined, (e: unknown) => e);

    // Assess
    expect(received).toEqual(['1 ', '2 ']);
    expect(rest).toMatchObject({ disposition: 'client', code: 'aborted' });
    await expect(fake.lastRequest().outcome).resolves.toBe('clientClosed');
  });

  test('a consumer that stops reading early closes the upstream request', async () => {
    fake.enqueue(B.success({ deltas: ['1 ', '2 ', '3 ', '4 '], eventDelayMs: 40 }));
    for await (const chunk of adapter.stream(target, fullRequest, callOptions())) {
      expect(chunk).toEqual({ type: 'text', text: '1 ' });
      break;
    }
    await expect(fake.lastRequest().outcome).resolves.toBe('clientClosed');
  });
});

describe('connecting', () => {
  let hole: Blackhole;
  beforeAll(async () => { hole = await startBlackhole(); });
  afterAll(() => hole.close());

  test('an endpoint that never accepts the connection fails with connectTimeout within the connect timeout', async () => {
    const unreachable: BedrockTarget = { ...target, endpoint: hole.url };
    const { value: error, ms } = await timed(() =>
      upstreamErrorOf(adapter.complete(unreachable, fullRequest, callOptions({ connectTimeoutMs: 200, timeoutMs: 5000 }))));
    expect(error).toMatchObject({ disposition: 'retryable', code: 'connectTimeout' });
    expect(ms).toBeLessThan(1000);
  });

  test('a refused connection → retryable connectionRefused', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const error = await upstreamErrorOf(adapter.complete({ ...target, endpoint: `http://127.0.0.1:${port}` }, fullRequest, callOptions()));
    expect(error).toMatchObject({ disposition: 'retryable', code: 'connectionRefused' });
  });

  test('no Region anywhere → fallback configuration error, before any request', async () => {
    const saved = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      const bare = new BedrockAdapter({ credentials: FAKE_CREDENTIALS });
      const error = await upstreamErrorOf(bare.complete({ ...target, region: undefined }, fullRequest, callOptions()));
      expect(error).toMatchObject({ disposition: 'fallback', code: 'configuration' });
      expect(fake.requests).toHaveLength(0);
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });
});
