/**
 * Warm connections: a warm function must send request after request — Converse and
 * ConverseStream — over one connection. Counted at the loopback Bedrock Runtime's TCP accept.
 */
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockAdapter } from '../../../../lambda/router/providers/bedrock/adapter';
import type { BedrockTarget } from '../../../../lambda/router/providers/types';
import { BedrockBehaviours as B, startFakeBedrockRuntime, type FakeBedrockRuntime } from '../../../helpers/fake-bedrock-runtime';
import { callOptions, collect, FAKE_CREDENTIALS, GENEROUS_CONNECT_TIMEOUT_MS, PROFILE_ARN, providerRequest, REGION, upstreamErrorOf } from '../helpers';

const N = 100;

describe('BedrockAdapter (keep-alive HTTP/1.1 handler)', () => {
  let fake: FakeBedrockRuntime;
  let adapter: BedrockAdapter;
  let target: BedrockTarget;

  beforeAll(async () => { fake = await startFakeBedrockRuntime(); });
  beforeEach(() => {
    // A fresh adapter is a cold start: its first call opens the one connection.
    adapter = new BedrockAdapter({ credentials: FAKE_CREDENTIALS, defaultRegion: REGION });
    target = { kind: 'bedrock', id: 'acme', modelId: PROFILE_ARN, endpoint: fake.endpoint };
    fake.reset();
  });
  afterEach(() => adapter.pool.destroy());
  afterAll(() => fake.close());

  test(`${N} sequential Converse calls open one connection`, async () => {
    for (let i = 0; i < N; i++) await adapter.complete(target, providerRequest(), callOptions());
    expect(fake.requests).toHaveLength(N);
    expect(fake.connectionCount).toBe(1);
    expect(new Set(fake.requests.map((r) => r.connectionId)).size).toBe(1);
  });

  test(`${N} sequential ConverseStream calls open one connection`, async () => {
    for (let i = 0; i < N; i++) {
      const { chunks, error } = await collect(adapter.stream(target, providerRequest(), callOptions()));
      expect(error).toBeUndefined();
      expect(chunks[chunks.length - 1].type).toBe('end');
    }
    expect(fake.requests).toHaveLength(N);
    expect(fake.requests.every((r) => r.operation === 'converseStream')).toBe(true);
    expect(fake.connectionCount).toBe(1);
  });

  test(`${N} sequential calls, JSON and streamed mixed, with upstream errors among them, open one connection`, async () => {
    for (let i = 0; i < N; i++) {
      if (i % 10 === 5) {
        fake.enqueue(B.error('ThrottlingException'));
        await upstreamErrorOf(adapter.complete(target, providerRequest(), callOptions()));
      } else if (i % 2 === 0) {
        await adapter.complete(target, providerRequest(), callOptions());
      } else {
        const { error } = await collect(adapter.stream(target, providerRequest(), callOptions()));
        expect(error).toBeUndefined();
      }
    }
    expect(fake.requests).toHaveLength(N);
    expect(fake.connectionCount).toBe(1);
  });

  test('the pool creates one client per Region and endpoint, and reuses it', async () => {
    await adapter.complete(target, providerRequest(), callOptions());
    await adapter.complete(target, providerRequest(), callOptions());
    await collect(adapter.stream(target, providerRequest(), callOptions()));
    expect(adapter.pool.size).toBe(1);
    await adapter.complete({ ...target, region: 'eu-west-1' }, providerRequest(), callOptions());
    expect(adapter.pool.size).toBe(2);
    expect(adapter.pool.endpointCount).toBe(2);
  });

  test('calls with different connect timeouts (the router clamps them to the time left) share one connection; clients stay bounded', async () => {
    const bounded = new BedrockAdapter({ credentials: FAKE_CREDENTIALS, defaultRegion: REGION, maxClients: 4 });
    try {
      for (let i = 0; i < 20; i++) {
        await bounded.complete(target, providerRequest(), callOptions({ connectTimeoutMs: GENEROUS_CONNECT_TIMEOUT_MS - i }));
        await collect(bounded.stream(target, providerRequest(), callOptions({ connectTimeoutMs: GENEROUS_CONNECT_TIMEOUT_MS - i })));
      }
      expect(fake.requests).toHaveLength(40);
      expect(fake.connectionCount).toBe(1);
      expect(bounded.pool.size).toBe(4);
      expect(bounded.pool.endpointCount).toBe(1);
    } finally {
      bounded.pool.destroy();
    }
  });

  test('after the upstream drops idle connections, the next call reconnects once', async () => {
    await adapter.complete(target, providerRequest(), callOptions());
    fake.dropConnections();
    // setImmediate runs after the event loop's poll phase: the client has read the upstream's FIN
    // by then, however late a loaded machine runs the timer.
    await new Promise((resolve) => setTimeout(() => setImmediate(resolve), 20));
    for (let i = 0; i < 5; i++) await adapter.complete(target, providerRequest(), callOptions());
    expect(fake.connectionCount).toBe(2);
  });
});

describe("the SDK's default request handler (why the adapter replaces it)", () => {
  let h2: FakeBedrockRuntime;
  let client: BedrockRuntimeClient;

  beforeAll(async () => {
    h2 = await startFakeBedrockRuntime({ protocol: 'h2c' });
    // No requestHandler: NodeHttp2Handler with disableConcurrentStreams: true.
    client = new BedrockRuntimeClient({ endpoint: h2.endpoint, region: REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(async () => {
    client.destroy();
    await h2.close();
  });

  test('opens a new HTTP/2 session and TCP connection for every Converse and ConverseStream call', async () => {
    const calls = 5;
    const messages = [{ role: 'user' as const, content: [{ text: 'hi' }] }];
    for (let i = 0; i < calls; i++) {
      const out = await client.send(new ConverseCommand({ modelId: PROFILE_ARN, messages, inferenceConfig: { maxTokens: 16 } }));
      expect(out.output?.message?.content?.[0]?.text).toBe('Hello from the fake Bedrock model.');
    }
    for (let i = 0; i < calls; i++) {
      const out = await client.send(new ConverseStreamCommand({ modelId: PROFILE_ARN, messages, inferenceConfig: { maxTokens: 16 } }));
      for await (const event of out.stream ?? []) void event;
    }
    expect(h2.requests).toHaveLength(2 * calls);
    expect(h2.sessionCount).toBe(2 * calls);
    expect(h2.connectionCount).toBe(2 * calls);
  });
});
