/**
 * createProviders(): the Bedrock adapter and the ApplyGuardrail client are loaded on their first
 * call (see lambda/router/runtime.ts) and share one warm client pool per process: after the load,
 * Converse, ConverseStream and ApplyGuardrail calls all go over the same keep-alive connection.
 */
import { createProviders } from '../../lambda/router/runtime';
import type { BedrockTarget } from '../../lambda/router/providers/types';
import { startFakeBedrockRuntime, type FakeBedrockRuntime } from '../helpers/fake-bedrock-runtime';
import { callOptions, collect, FAKE_CREDENTIALS, PROFILE_ARN, providerRequest, REGION } from './providers/helpers';

const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE'] as const;
let saved: Partial<Record<(typeof ENV_KEYS)[number], string>>;
let fake: FakeBedrockRuntime;

beforeAll(async () => { fake = await startFakeBedrockRuntime(); });
afterAll(() => fake.close());
beforeEach(() => {
  saved = {};
  for (const key of ENV_KEYS) {
    if (process.env[key] !== undefined) saved[key] = process.env[key];
    delete process.env[key];
  }
  // The default credential chain of the lazily created clients reads the environment, as in Lambda.
  process.env.AWS_ACCESS_KEY_ID = FAKE_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = FAKE_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = REGION;
  fake.reset();
});
afterEach(() => {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, saved);
});

test('the lazily loaded Bedrock adapter and guardrail client share one pool: one connection for every call', async () => {
  const { providers, guardrails } = createProviders();
  const target: BedrockTarget = { kind: 'bedrock', id: 'acme', modelId: PROFILE_ARN, endpoint: fake.endpoint };
  const guardrail = { identifier: 'arn:aws:bedrock:us-east-1:111122223333:guardrail/gr-abc123', version: '4', endpoint: fake.endpoint };
  expect(providers.bedrock.kind).toBe('bedrock');
  for (let i = 0; i < 5; i++) {
    const completion = await providers.bedrock.complete(target, providerRequest(), callOptions());
    expect(completion.text.length).toBeGreaterThan(0);
    const { chunks, error } = await collect(providers.bedrock.stream(target, providerRequest(), callOptions()));
    expect(error).toBeUndefined();
    expect(chunks[chunks.length - 1].type).toBe('end');
    await guardrails.apply(guardrail, 'INPUT', 'hello', callOptions());
  }
  expect(fake.requests.map((r) => r.operation)).toEqual(Array.from({ length: 5 }, () => ['converse', 'converseStream', 'applyGuardrail']).flat());
  expect(fake.connectionCount).toBe(1);
});

test('first calls made at the same time both wait for the load and succeed; later calls open no new connection', async () => {
  const { providers, guardrails } = createProviders();
  const target: BedrockTarget = { kind: 'bedrock', id: 'acme', modelId: PROFILE_ARN, endpoint: fake.endpoint };
  const guardrail = { identifier: 'arn:aws:bedrock:us-east-1:111122223333:guardrail/gr-abc123', version: '4', endpoint: fake.endpoint };
  const [completion, check] = await Promise.all([
    providers.bedrock.complete(target, providerRequest(), callOptions()),
    guardrails.apply(guardrail, 'INPUT', 'hello', callOptions()),
  ]);
  expect(completion.text.length).toBeGreaterThan(0);
  expect(check).toBeDefined();
  expect(fake.requests.map((r) => r.operation).sort()).toEqual(['applyGuardrail', 'converse']);
  // Two concurrent requests may need two sockets; later sequential calls reuse them (LIFO), never more.
  const afterFirst = fake.connectionCount;
  expect(afterFirst).toBeLessThanOrEqual(2);
  for (let i = 0; i < 5; i++) await providers.bedrock.complete(target, providerRequest(), callOptions());
  expect(fake.connectionCount).toBe(afterFirst);
});

test('the lazily loaded Bedrock stream is the adapter\'s own iterator after its first chunk: stopping early closes it', async () => {
  const { providers } = createProviders();
  const target: BedrockTarget = { kind: 'bedrock', id: 'acme', modelId: PROFILE_ARN, endpoint: fake.endpoint };
  const unopened = providers.bedrock.stream(target, providerRequest(), callOptions())[Symbol.asyncIterator]();
  expect(await unopened.return!()).toEqual({ done: true, value: undefined });
  expect(fake.requests).toHaveLength(0); // stopped before its first chunk: never called
  const iterator = providers.bedrock.stream(target, providerRequest(), callOptions())[Symbol.asyncIterator]();
  expect((await iterator.next()).done).toBe(false);
  await iterator.return!();
  expect(await iterator.next()).toEqual({ done: true, value: undefined });
  expect(fake.requests.map((r) => r.operation)).toEqual(['converseStream']);
});
