/**
 * Wire-level tests: OpenAiAdapter over real HTTP against the loopback OpenAI-compatible upstream
 * (test/helpers/fake-openai-upstream.ts).
 */
import * as net from 'node:net';
import { UpstreamError } from '../../../../lambda/router/errors';
import { OpenAiAdapter } from '../../../../lambda/router/providers/openai/adapter';
import type { OpenAiTarget, StreamChunk } from '../../../../lambda/router/providers/types';
import { startBlackhole, type Blackhole } from '../../../helpers/fake-blackhole';
import { OpenAiBehaviours as O, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../../helpers/fake-openai-upstream';
import { callOptions, collect, providerRequest, texts, timed, upstreamErrorOf } from '../helpers';

let upstream: FakeOpenAiUpstream;
let adapter: OpenAiAdapter;
let target: OpenAiTarget;

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'], apiKey: 'vllm-key' });
  adapter = new OpenAiAdapter();
  target = { kind: 'openai', id: 'vllm-qwen', baseUrl: upstream.baseUrl, model: 'qwen3-8b', apiKey: 'vllm-key' };
});
afterEach(() => upstream.reset());
afterAll(async () => {
  adapter.transport.destroy();
  await upstream.close();
});

const request = providerRequest({ maxTokens: 128, temperature: 0.3, responseFormat: { type: 'json_object' } });

describe('complete', () => {
  test('posts the chat completion with the mapped body, bearer key and request id', async () => {
    await adapter.complete(target, request, callOptions());
    const req = upstream.lastRequest();
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer vllm-key');
    expect(req.headers['x-request-id']).toBe('req-0001');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      model: 'qwen3-8b',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Summarise the ticket.' },
      ],
      max_tokens: 128,
      temperature: 0.3,
      response_format: { type: 'json_object' },
    });
  });

  test('maps the answer with usage and cached tokens', async () => {
    upstream.enqueue(O.success({ text: '{"ok":true}', finishReason: 'length', usage: { promptTokens: 30, completionTokens: 4, cachedTokens: 16 } }));
    expect(await adapter.complete(target, request, callOptions())).toEqual({
      text: '{"ok":true}',
      finishReason: 'length',
      usage: { inputTokens: 30, outputTokens: 4, cacheReadInputTokens: 16, cacheWriteInputTokens: 0 },
      servedModel: 'qwen3-8b',
    });
  });

  test('a base URL with a trailing slash works the same', async () => {
    await adapter.complete({ ...target, baseUrl: `${upstream.baseUrl}/` }, request, callOptions());
    expect(upstream.lastRequest().path).toBe('/v1/chat/completions');
  });

  test('429 with Retry-After → retryable throttling with retryAfterMs; then success', async () => {
    upstream.enqueue(O.error(429, { message: 'Too many requests', type: 'rate_limit_error', retryAfter: '2' }), O.success({ text: 'ok' }));
    const error = await upstreamErrorOf(adapter.complete(target, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'retryable', code: 'throttling', upstreamStatus: 429, retryAfterMs: 2000 });
    expect((await adapter.complete(target, request, callOptions())).text).toBe('ok');
    expect(upstream.requests).toHaveLength(2);
  });

  test('persistent 429: one request per call, every call retryable', async () => {
    upstream.setDefaultBehaviour(O.error(429));
    try {
      for (let i = 0; i < 3; i++) expect((await upstreamErrorOf(adapter.complete(target, request, callOptions()))).code).toBe('throttling');
      expect(upstream.requests).toHaveLength(3);
    } finally {
      upstream.setDefaultBehaviour(O.success());
    }
  });

  test.each([
    [500, 'retryable', 'serverError'],
    [503, 'retryable', 'serviceUnavailable'],
    [400, 'client', 'validation'],
    [404, 'fallback', 'modelNotFound'],
  ])('HTTP %d → %s %s', async (status, disposition, code) => {
    upstream.enqueue(O.error(status));
    expect(await upstreamErrorOf(adapter.complete(target, request, callOptions()))).toMatchObject({ disposition, code, upstreamStatus: status });
  });

  test('a wrong upstream key (401) → fallback upstreamAuth', async () => {
    const error = await upstreamErrorOf(adapter.complete({ ...target, apiKey: 'wrong' }, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'upstreamAuth', upstreamStatus: 401 });
  });

  test.each([
    ['invalid JSON', O.malformed()],
    ['JSON without choices', O.malformed({ body: '{"id":"x","object":"chat.completion"}' })],
  ])('%s → fallback malformedResponse', async (_label, behaviour) => {
    upstream.enqueue(behaviour);
    expect(await upstreamErrorOf(adapter.complete(target, request, callOptions()))).toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
  });

  test('a hung upstream (headers never come) fails with timeout within the deadline and the request is closed', async () => {
    upstream.enqueue(O.hang());
    const { value, ms } = await timed(() => upstreamErrorOf(adapter.complete(target, request, callOptions({ timeoutMs: 300 }))));
    // The deadline given ended it (the other timeouts are GENEROUS_*), not before it.
    expect(value).toMatchObject({ disposition: 'retryable', code: 'timeout', message: expect.stringMatching(/within 300 ms/) });
    expect(ms).toBeGreaterThanOrEqual(250);
    await expect(upstream.lastRequest().outcome).resolves.toBe('clientClosed');
  });

  test('a body that stalls half-way fails with timeout within the deadline', async () => {
    upstream.enqueue(O.success({ stallAfterEvents: 0 }));
    const { value, ms } = await timed(() => upstreamErrorOf(adapter.complete(target, request, callOptions({ timeoutMs: 300 }))));
    expect(value).toMatchObject({ code: 'timeout', message: expect.stringMatching(/within 300 ms/) });
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  test('slow within the deadline answers; slower times out', async () => {
    // Deadline timers start before the fake's delay timers, so in one process they fire in this
    // order however loaded the machine is; the slow answer gets a deadline it cannot miss.
    upstream.enqueue(O.success({ text: 'slow', delayMs: 150 }), O.success({ delayMs: 800 }));
    expect((await adapter.complete(target, request, callOptions())).text).toBe('slow');
    expect((await upstreamErrorOf(adapter.complete(target, request, callOptions({ timeoutMs: 300 })))).code).toBe('timeout');
  });

  test('a body cut mid-way → retryable network', async () => {
    upstream.enqueue(O.success({ cutAfterEvents: 0 }));
    expect(await upstreamErrorOf(adapter.complete(target, request, callOptions()))).toMatchObject({ disposition: 'retryable', code: 'network' });
  });

  test('abort while waiting → aborted, request closed; already aborted → no request', async () => {
    upstream.enqueue(O.hang());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 80);
    expect(await upstreamErrorOf(adapter.complete(target, request, callOptions({ signal: controller.signal })))).toMatchObject({ disposition: 'client', code: 'aborted' });
    await expect(upstream.lastRequest().outcome).resolves.toBe('clientClosed');
    upstream.reset();
    expect(await upstreamErrorOf(adapter.complete(target, request, callOptions({ signal: controller.signal })))).toMatchObject({ code: 'aborted' });
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('stream', () => {
  test('asks for usage; yields each delta, then one end chunk with usage and cached tokens', async () => {
    upstream.enqueue(O.success({ deltas: ['The ', 'answer', '.'], usage: { promptTokens: 40, completionTokens: 3, cachedTokens: 32 } }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(error).toBeUndefined();
    expect(upstream.lastRequest().body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(upstream.lastRequest().headers.accept).toBe('text/event-stream');
    expect(chunks).toEqual<StreamChunk[]>([
      { type: 'text', text: 'The ' },
      { type: 'text', text: 'answer' },
      { type: 'text', text: '.' },
      { type: 'end', finishReason: 'stop', usage: { inputTokens: 40, outputTokens: 3, cacheReadInputTokens: 32, cacheWriteInputTokens: 0 }, servedModel: 'qwen3-8b' },
    ]);
  });

  test('events split anywhere (tiny TCP writes, split UTF-8), keep-alive comments and CRLF lines', async () => {
    upstream.enqueue(O.success({ deltas: ['héllo ', 'wörld ', '🙂'], fragmentBytes: 3, keepAliveComments: true, crlf: true }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(error).toBeUndefined();
    expect(texts(chunks).join('')).toBe('héllo wörld 🙂');
    expect(chunks[chunks.length - 1]).toMatchObject({ type: 'end', finishReason: 'stop' });
  });

  test('a stream without a usage chunk ends with estimated, marked usage', async () => {
    upstream.enqueue(O.success({ deltas: ['abcd', 'efgh'], omitUsage: true }));
    const { chunks } = await collect(adapter.stream(target, providerRequest({ system: [], messages: [{ role: 'user', content: 'x'.repeat(20) }] }), callOptions()));
    expect(chunks[chunks.length - 1]).toEqual({
      type: 'end',
      finishReason: 'stop',
      usage: { inputTokens: 5, outputTokens: 2, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      servedModel: 'qwen3-8b',
      usageEstimated: true,
    });
  });

  test('finish_reason without [DONE] is a complete stream', async () => {
    upstream.enqueue(O.success({ deltas: ['a'], omitDone: true, finishReason: 'length' }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(error).toBeUndefined();
    expect(chunks[chunks.length - 1]).toMatchObject({ type: 'end', finishReason: 'length' });
  });

  test('an HTTP error before the stream → classified, nothing yielded', async () => {
    upstream.enqueue(O.error(503, { retryAfter: '1' }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(chunks).toEqual([]);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'serviceUnavailable', retryAfterMs: 1000 });
  });

  test('an error event before the first token → rejects, nothing yielded', async () => {
    upstream.enqueue(O.streamError({ code: 503, message: 'engine overloaded' }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(texts(chunks)).toEqual([]);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'serviceUnavailable' });
  });

  test('an error event after N tokens → the N chunks, then rejects', async () => {
    upstream.enqueue(O.streamError({ deltas: ['one ', 'two '], type: 'internal_error', code: null }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(texts(chunks)).toEqual(['one ', 'two ']);
    expect(chunks.some((c) => c.type === 'end')).toBe(false);
    expect(error).toMatchObject({ disposition: 'fallback', code: 'streamError' });
  });

  test('malformed event data → fallback malformedResponse', async () => {
    upstream.enqueue(O.malformed());
    const { error } = await collect(adapter.stream(target, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
  });

  test('a stream answered with an unexpected content type → fallback malformedResponse', async () => {
    upstream.enqueue(O.malformed({ contentType: 'text/html', body: '<html>gateway</html>' }));
    const { error } = await collect(adapter.stream(target, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
  });

  test('a server that ignores stream: true and answers JSON → the answer as one chunk', async () => {
    upstream.enqueue(O.malformed({
      contentType: 'application/json',
      body: JSON.stringify({ model: 'qwen3-8b', choices: [{ message: { content: 'whole' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1 } }),
    }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(error).toBeUndefined();
    expect(chunks).toEqual([
      { type: 'text', text: 'whole' },
      { type: 'end', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 1, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 }, servedModel: 'qwen3-8b' },
    ]);
  });

  test('a stream cut after some events → the chunks so far, then retryable', async () => {
    upstream.enqueue(O.success({ deltas: ['a ', 'b ', 'c '], cutAfterEvents: 3 }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(texts(chunks)).toEqual(['a ', 'b ']);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'network' });
  });

  test('a stream that ends cleanly without finish_reason or [DONE] → retryable streamTruncated', async () => {
    upstream.enqueue(O.malformed({ body: 'data: {"choices":[{"delta":{"content":"half"}}]}\n\n' }));
    const { chunks, error } = await collect(adapter.stream(target, request, callOptions()));
    expect(texts(chunks)).toEqual(['half']);
    expect(error).toMatchObject({ disposition: 'retryable', code: 'streamTruncated' });
  });

  test('a stream that stalls mid-way fails with timeout within the deadline', async () => {
    upstream.enqueue(O.success({ deltas: ['a ', 'b ', 'c '], stallAfterEvents: 2 }));
    const { value, ms } = await timed(() => collect(adapter.stream(target, request, callOptions({ timeoutMs: 400 }))));
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(texts(value.chunks)).toEqual(['a ']);
    expect(value.error).toMatchObject({ disposition: 'retryable', code: 'timeout', message: expect.stringMatching(/within 400 ms/) });
    await expect(upstream.lastRequest().outcome).resolves.toBe('clientClosed');
  });

  test('a client disconnect mid-stream (abort signal) → aborted, upstream connection closed', async () => {
    upstream.enqueue(O.success({ deltas: ['1 ', '2 ', '3 ', '4 ', '5 '], eventDelayMs: 40 }));
    const controller = new AbortController();
    const iterator = adapter.stream(target, request, callOptions({ signal: controller.signal }))[Symbol.asyncIterator]();
    const received: string[] = [];
    while (received.length < 2) {
      const next = await iterator.next();
      if (!next.done && next.value.type === 'text') received.push(next.value.text);
    }
    controller.abort();
    const rest = await iterator.next().then(() => undefined, (e: unknown) => e);
    expect(received).toEqual(['1 ', '2 ']);
    expect(rest).toMatchObject({ disposition: 'client', code: 'aborted' });
    await expect(upstream.lastRequest().outcome).resolves.toBe('clientClosed');
  });

  test('a consumer that stops reading early closes the upstream connection', async () => {
    upstream.enqueue(O.success({ deltas: ['1 ', '2 ', '3 '], eventDelayMs: 40 }));
    for await (const chunk of adapter.stream(target, request, callOptions())) {
      expect(chunk).toEqual({ type: 'text', text: '1 ' });
      break;
    }
    await expect(upstream.lastRequest().outcome).resolves.toBe('clientClosed');
  });
});

describe('connecting', () => {
  let hole: Blackhole;
  beforeAll(async () => { hole = await startBlackhole(); });
  afterAll(() => hole.close());

  test('an upstream that never accepts the connection fails with connectTimeout within the connect timeout', async () => {
    const fresh = new OpenAiAdapter();
    try {
      const { value, ms } = await timed(() => upstreamErrorOf(fresh.complete({ ...target, baseUrl: `${hole.url}/v1` }, request, callOptions({ connectTimeoutMs: 200 }))));
      expect(value).toMatchObject({ disposition: 'retryable', code: 'connectTimeout', message: expect.stringMatching(/within 200 ms/) });
      expect(ms).toBeGreaterThanOrEqual(150);
    } finally {
      fresh.transport.destroy();
    }
  });

  test('streams too', async () => {
    const fresh = new OpenAiAdapter();
    try {
      const { error } = await collect(fresh.stream({ ...target, baseUrl: `${hole.url}/v1` }, request, callOptions({ connectTimeoutMs: 200 })));
      expect(error).toMatchObject({ disposition: 'retryable', code: 'connectTimeout' });
    } finally {
      fresh.transport.destroy();
    }
  });

  test('a refused connection → retryable connectionRefused', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const error = await upstreamErrorOf(adapter.complete({ ...target, baseUrl: `http://127.0.0.1:${port}/v1` }, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'retryable', code: 'connectionRefused' });
  });
});

describe('bounded bodies', () => {
  let small: OpenAiAdapter;
  beforeAll(() => { small = new OpenAiAdapter({ maxBodyBytes: 4096, maxEventChars: 1024 }); });
  afterAll(() => small.transport.destroy());

  test('a JSON answer larger than maxBodyBytes → fallback responseTooLarge, and its connection is not reused', async () => {
    upstream.enqueue(O.success({ text: 'z'.repeat(5000) }), O.success({ text: 'fine' }));
    const error = await upstreamErrorOf(small.complete(target, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'responseTooLarge', message: expect.stringMatching(/larger than 4096 bytes/) });
    expect((await small.complete(target, request, callOptions())).text).toBe('fine');
    expect(upstream.requests[1].connectionId).not.toBe(upstream.requests[0].connectionId);
  });

  test('an event stream longer than maxBodyBytes is cut → fallback responseTooLarge, no end chunk', async () => {
    upstream.enqueue(O.success({ deltas: Array.from({ length: 100 }, (_, i) => `word${i} `) }));
    const { chunks, error } = await collect(small.stream(target, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'responseTooLarge' });
    expect(chunks.some((c) => c.type === 'end')).toBe(false);
  });

  test('a stream event longer than maxEventChars → fallback responseTooLarge', async () => {
    upstream.enqueue(O.success({ deltas: ['a'.repeat(2000)] }));
    const { error } = await collect(small.stream(target, request, callOptions()));
    expect(error).toMatchObject({ disposition: 'fallback', code: 'responseTooLarge', message: expect.stringMatching(/longer than 1024 characters/) });
  });
});
