/**
 * The example local configuration's validated route (examples/local-config.json, `claims-extract`)
 * through local mode with the official openai client: a forbidden pattern and the route's JSON
 * schema fail on Ollama's model, the repair retry asks it again, the escalation asks the stronger
 * vLLM model (`claims-extract-strong`), and the chain ends in a reject. Every request leaves one
 * usage record listing each attempt. Both local servers are one loopback fake.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { UsageRecord } from '../../../lambda/router/usage/types';
import { GatewayConfig } from '../../../lambda/shared/config';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { sha256 } from '../../helpers/router-config';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');
const KEY = 'sk-local-globex';
const ask = [{ role: 'user' as const, content: 'Claim C-17: the customer paid 120 USD with card 4111 1111 1111 1111. Extract it.' }];

describe('the example local configuration\'s validated route (claims-extract) with the openai client', () => {
  let upstream: FakeOpenAiUpstream;
  let server: LocalServer;
  const usage = new InMemoryUsageSink();
  const client = (): OpenAI => new OpenAI({ baseURL: server.baseUrl, apiKey: KEY, maxRetries: 0, timeout: 10_000 });

  const record = (): Promise<UsageRecord> => usage.awaitOnly();

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ['llama3.2', 'qwen3-8b'] });
    const example = JSON.parse(readFileSync(join(EXAMPLES, 'local-config.json'), 'utf8')) as GatewayConfig;
    const config: GatewayConfig = {
      ...example,
      targets: example.targets.map((t) => ({ ...t, baseUrl: upstream.baseUrl })),
      localKeys: { [sha256(KEY)]: 'globex' },
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 5 },
    };
    const gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(config)), { usageSink: usage, configDir: EXAMPLES });
    server = await startLocalServer({ gateway, port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.reset();
    usage.clear();
  });

  test('card number → repair retry → not JSON → escalation to the stronger model, whose valid answer is returned', async () => {
    upstream.enqueue(
      OpenAiBehaviours.success({ text: '{"claimId":"4111 1111 1111 1111","amountUsd":120}' }),
      OpenAiBehaviours.success({ text: 'Claim C-17, 120 USD' }),
      OpenAiBehaviours.success({ text: '{"claimId":"C-17","amountUsd":120}' }),
    );

    const { data, response } = await client().chat.completions.create({ model: 'claims-extract', messages: ask }).withResponse();

    expect(JSON.parse(data.choices[0].message.content!)).toEqual({ claimId: 'C-17', amountUsd: 120 });
    expect(response.headers.get('x-gateway-validation')).toMatch(/^escalated; validator=route_schema; rule=schema; alias=claims-extract-strong$/);
    expect(upstream.requests.map((r) => (r.body as { model: string }).model)).toEqual(['llama3.2', 'llama3.2', 'qwen3-8b']);
    const r = await record();
    expect(r).toMatchObject({ validationOutcome: 'escalated', escalatedTo: 'claims-extract-strong', targetId: 'local-vllm', attempts: 3 });
    expect(r.attemptDetails.map((a) => [a.targetId, a.result, a.validator])).toEqual([
      ['local-ollama', 'validation_failed', 'forbidden_pattern'], ['local-ollama', 'validation_failed', 'route_schema'], ['local-vllm', expect.anything(), undefined],
    ]);
  });

  test('when the stronger model fails too, the chain ends in a 422 naming the validator, never the answer', async () => {
    upstream.enqueue(...['not json', '{"claimId":"C-17"}', '{"claimId":"4111-1111-1111-1111","amountUsd":120}'].map((text) => OpenAiBehaviours.success({ text })));

    const error = await client().chat.completions.create({ model: 'claims-extract', messages: ask }).then(() => undefined, (e: unknown) => e);

    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect([apiError.status, apiError.code]).toEqual([422, 'validation_failed']);
    expect(apiError.headers?.get('x-gateway-validation')).toBe('rejected; validator=forbidden_pattern; rule=forbiddenPatterns[0]');
    expect(apiError.message).not.toMatch(/4111/);
    expect(await record()).toMatchObject({
      status: 422, validationOutcome: 'rejected', validationPolicy: 'retry:1>escalate:claims-extract-strong>reject', validationAnswers: 3, attempts: 3,
    });
  });
});
