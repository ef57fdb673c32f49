/**
 * The Lambda entry (lambda/router/lambda-entry.ts, exported by the bundle's entry index.mts) as the
 * Lambda runtime drives it: a REST API proxy event, a response stream wrapped by
 * `awslambda.HttpResponseStream.from` (faked with the runtime's wire format), the configuration
 * read from GATEWAY_CONFIG_PATH at init, and the real adapters against a loopback
 * OpenAI-compatible upstream.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLambdaHandler, RouterEnvironment, type LambdaHandler, type RestApiProxyEvent } from '../../lambda/router/lambda-entry';
import { CapturedStream, chatEvent, fakeLambdaRuntime } from '../helpers/fake-lambda-runtime';
import { setEnv, testConfig } from '../helpers/router-config';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../helpers/fake-openai-upstream';

type Handler = LambdaHandler;

/** A new execution environment: the configuration loaded at init, then the handler. */
async function loadHandler(): Promise<Handler> {
  return createLambdaHandler(await RouterEnvironment.start(), fakeLambdaRuntime);
}

function event(body: unknown, overrides: Partial<RestApiProxyEvent> = {}): RestApiProxyEvent {
  return chatEvent(body, 'globex', overrides);
}

describe('router Lambda entry', () => {
  let upstream: FakeOpenAiUpstream;
  let dir: string;
  let handler: Handler;
  let restoreEnv: () => void;
  const stdout: string[] = [];
  let writeSpy: jest.SpyInstance;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    dir = mkdtempSync(join(tmpdir(), 'router-entry-'));
    writeFileSync(join(dir, 'gateway-config.json'), JSON.stringify(testConfig({ openai: upstream.baseUrl })));
    restoreEnv = setEnv({
      LAMBDA_TASK_ROOT: dir, GATEWAY_CONFIG_PATH: undefined, GATEWAY_METRICS_NAMESPACE: undefined,
      GATEWAY_APPCONFIG_APPLICATION: undefined, GATEWAY_APPCONFIG_ENVIRONMENT: undefined, GATEWAY_APPCONFIG_PROFILE: undefined,
    });
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    handler = await loadHandler();
  });

  afterAll(async () => {
    writeSpy.mockRestore();
    restoreEnv();
    rmSync(dir, { recursive: true, force: true });
    await upstream.close();
  });

  beforeEach(() => {
    stdout.length = 0;
    upstream.reset();
  });

  test('reads the configuration beside the handler and answers with the tenant from the authorizer context', async () => {
    // Prepare
    upstream.enqueue(OpenAiBehaviours.success({ text: 'Hello from vLLM', usage: { promptTokens: 12, completionTokens: 4 } }));
    const stream = new CapturedStream();

    // Act
    await handler(event({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), stream, {});

    // Assess
    const { metadata, body } = stream.response();
    expect(metadata.statusCode).toBe(200);
    expect(metadata.headers).toMatchObject({ 'x-request-id': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', 'x-gateway-route': 'chat', 'x-gateway-model': 'qwen3-8b' });
    expect(JSON.parse(body)).toMatchObject({ object: 'chat.completion', model: 'chat', choices: [{ message: { content: 'Hello from vLLM' } }] });
    expect(stream.writableEnded).toBe(true);
    expect(upstream.lastRequest().body).toMatchObject({ model: 'qwen3-8b', messages: [{ role: 'user', content: 'Hi' }] });
    // One log line: the usage record with the tenant of the authorizer context.
    const lines = stdout.filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ 'gateway.tenant.id': 'globex', 'gateway.key.id': 'k-1', 'gateway.workflow': 'support', 'gateway.outcome': 'success', 'gen_ai.usage.input_tokens': 12 });
  });

  test('streams server-sent events through the response stream', async () => {
    upstream.enqueue(OpenAiBehaviours.success({ deltas: ['Hel', 'lo'] }));
    const stream = new CapturedStream();
    await handler(event({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'Hi' }] }), stream, {});
    const { metadata, body } = stream.response();
    expect(metadata.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(body).toContain('"content":"Hel"');
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  test('routes by the matched resource, so a custom domain base path does not matter', async () => {
    const stream = new CapturedStream();
    await handler(event(undefined, { httpMethod: 'GET', resource: '/v1/models', path: '/ai/v1/models', body: null }), stream, {});
    expect(stream.response().metadata.statusCode).toBe(200);
    expect((JSON.parse(stream.response().body) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['auto', 'chat', 'guarded', 'summary']);
  });

  test('a base64 body is decoded; a body too large is refused before decoding', async () => {
    const ok = new CapturedStream();
    const b64 = Buffer.from(JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] })).toString('base64');
    await handler(event(undefined, { body: b64, isBase64Encoded: true }), ok, {});
    expect(ok.response().metadata.statusCode).toBe(200);
    const big = new CapturedStream();
    await handler(event(undefined, { body: 'A'.repeat(2_000_000), isBase64Encoded: true }), big, {});
    expect(big.response().metadata.statusCode).toBe(413);
  });

  test('a body too large whose limit falls inside an image URL: 400 image_too_large naming the part, base64 or not', async () => {
    const json = '{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},'
      + `{"type":"image_url","image_url":{"url":"data:image/png;base64,${'A'.repeat(2_000_000)}"}}]}]}`;
    for (const overrides of [{ body: json }, { body: Buffer.from(json).toString('base64'), isBase64Encoded: true }]) {
      const stream = new CapturedStream();
      await handler(event(undefined, overrides), stream, {});
      expect(stream.response().metadata.statusCode).toBe(400);
      expect(JSON.parse(stream.response().body)).toMatchObject({ error: { code: 'image_too_large', param: 'messages[0].content[1].image_url.url' } });
    }
  });

  test('no tenant in the authorizer context is a 401 envelope; a tenant cannot use another tenant\'s alias', async () => {
    const anonymous = new CapturedStream();
    await handler(event({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }, { requestContext: { requestId: 'r', authorizer: null } }), anonymous, {});
    expect(anonymous.response().metadata.statusCode).toBe(401);
    expect(JSON.parse(anonymous.response().body)).toEqual({ error: { message: 'The request carries no tenant identity.', type: 'authentication_error', code: 'missing_tenant', param: null } });
    const other = new CapturedStream();
    await handler(event({ model: 'secure', messages: [{ role: 'user', content: 'Hi' }] }), other, {});
    expect(other.response().metadata.statusCode).toBe(404);
  });

  test('an invalid configuration: every request gets a 500 configuration_error, the problems are logged once', async () => {
    // Prepare
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...testConfig(), routes: [{ alias: 'chat', targets: ['missing'] }] }));
    process.env.GATEWAY_CONFIG_PATH = bad;
    stdout.length = 0;

    // Act
    const broken = await loadHandler();

    // Assess
    const logged = stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'ERROR', message: 'invalid gateway configuration', 'gateway.config.source': 'file', 'gateway.config.path': bad });
    expect(logged[0]['gateway.config.problems']).toEqual(expect.arrayContaining([expect.stringMatching(/^routes\[0\]\.targets\[0\]: unknown target 'missing'/)]));
    const stream = new CapturedStream();
    await broken(event({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }), stream, {});
    expect(stream.response().metadata.statusCode).toBe(500);
    expect(JSON.parse(stream.response().body)).toMatchObject({ error: { type: 'api_error', code: 'configuration_error' } });
    delete process.env.GATEWAY_CONFIG_PATH;
  });
});
