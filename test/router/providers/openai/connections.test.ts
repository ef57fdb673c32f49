/**
 * Warm connections: a warm function must send request after request — JSON and streamed — to an
 * OpenAI-compatible upstream over one connection. Counted at the loopback upstream's TCP accept.
 */
import * as http from 'node:http';
import { OpenAiAdapter } from '../../../../lambda/router/providers/openai/adapter';
import type { OpenAiTarget } from '../../../../lambda/router/providers/types';
import { OpenAiBehaviours as O, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../../helpers/fake-openai-upstream';
import { callOptions, collect, providerRequest, upstreamErrorOf } from '../helpers';

const N = 100;
let upstream: FakeOpenAiUpstream;
let adapter: OpenAiAdapter;
let target: OpenAiTarget;

beforeAll(async () => { upstream = await startFakeOpenAiUpstream(); });
beforeEach(() => {
  adapter = new OpenAiAdapter();
  target = { kind: 'openai', id: 'vllm', baseUrl: upstream.baseUrl, model: 'fake-model' };
  upstream.reset();
});
afterEach(() => adapter.transport.destroy());
afterAll(() => upstream.close());

test(`${N} sequential JSON completions open one connection`, async () => {
  for (let i = 0; i < N; i++) await adapter.complete(target, providerRequest(), callOptions());
  expect(upstream.requests).toHaveLength(N);
  expect(upstream.connectionCount).toBe(1);
});

test(`${N} sequential streams open one connection`, async () => {
  for (let i = 0; i < N; i++) {
    const { chunks, error } = await collect(adapter.stream(target, providerRequest(), callOptions()));
    expect(error).toBeUndefined();
    expect(chunks[chunks.length - 1].type).toBe('end');
  }
  expect(upstream.requests.every((r) => r.stream)).toBe(true);
  expect(upstream.connectionCount).toBe(1);
});

test(`${N} sequential calls, JSON and streamed mixed, with HTTP error answers among them, open one connection`, async () => {
  for (let i = 0; i < N; i++) {
    if (i % 10 === 3) {
      upstream.enqueue(O.error(429, { retryAfter: '1' }));
      await upstreamErrorOf(adapter.complete(target, providerRequest(), callOptions()));
    } else if (i % 10 === 7) {
      upstream.enqueue(O.error(503));
      expect((await collect(adapter.stream(target, providerRequest(), callOptions()))).error).toBeDefined();
    } else if (i % 2 === 0) {
      await adapter.complete(target, providerRequest(), callOptions());
    } else {
      expect((await collect(adapter.stream(target, providerRequest(), callOptions()))).error).toBeUndefined();
    }
  }
  expect(upstream.requests).toHaveLength(N);
  expect(upstream.connectionCount).toBe(1);
});

test('the keep-alive agent is what keeps it to one: a client without keep-alive opens one per request (control)', async () => {
  const agent = new http.Agent({ keepAlive: false });
  const url = new URL(`${upstream.baseUrl}/chat/completions`);
  for (let i = 0; i < 5; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] }));
    });
  }
  agent.destroy();
  expect(upstream.connectionCount).toBe(5);
});

test('a pooled connection the upstream closed while idle is replaced transparently', async () => {
  await adapter.complete(target, providerRequest(), callOptions());
  upstream.dropConnections();
  // setImmediate runs after the event loop's poll phase: the client has read the upstream's FIN
  // by then, however late a loaded machine runs the timer.
  await new Promise((resolve) => setTimeout(() => setImmediate(resolve), 20));
  for (let i = 0; i < 5; i++) await adapter.complete(target, providerRequest(), callOptions());
  expect(upstream.requests).toHaveLength(6);
  expect(upstream.connectionCount).toBe(2);
});

test('a reset on a reused pooled connection, before any answer, is retried once on a new connection', async () => {
  await adapter.complete(target, providerRequest(), callOptions());
  upstream.enqueue(O.reset(), O.success({ text: 'second try' }));
  expect((await adapter.complete(target, providerRequest(), callOptions())).text).toBe('second try');
  expect(upstream.requests.map((r) => r.behaviour)).toEqual(['success', 'reset', 'success']);
  expect(upstream.connectionCount).toBe(2);
});

test('a reset on a fresh connection is not retried: retryable network error', async () => {
  upstream.enqueue(O.reset(), O.reset());
  expect(await upstreamErrorOf(adapter.complete(target, providerRequest(), callOptions()))).toMatchObject({ disposition: 'retryable', code: 'network' });
  expect(upstream.requests).toHaveLength(1);
  // and a second reset right after a reconnect is not retried either
  await adapter.complete(target, providerRequest(), callOptions()).catch(() => undefined);
  expect(upstream.requests).toHaveLength(2);
});

test('a stream that fails mid-way gives up its connection (the rest of its body is not read); the next call opens one', async () => {
  await adapter.complete(target, providerRequest(), callOptions());
  upstream.enqueue(O.streamError({ deltas: ['x'] }));
  expect((await collect(adapter.stream(target, providerRequest(), callOptions()))).error).toBeDefined();
  await adapter.complete(target, providerRequest(), callOptions());
  await adapter.complete(target, providerRequest(), callOptions());
  expect(upstream.connectionCount).toBe(2);
});

test('one agent per origin', async () => {
  await adapter.complete(target, providerRequest(), callOptions());
  await collect(adapter.stream(target, providerRequest(), callOptions()));
  expect(adapter.transport.agentCount).toBe(1);
});
