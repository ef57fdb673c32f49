/**
 * The deployed router's init: the Lambda entry (lambda/router/lambda-entry.ts) loading its gateway
 * configuration from AWS AppConfig (the real AppConfigData client against a loopback fake, pointed
 * there by AWS_ENDPOINT_URL_APPCONFIGDATA), then serving requests with the real adapters against a
 * loopback OpenAI-compatible upstream; and what every request gets when the load failed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLambdaHandler, RouterEnvironment, type RouterEnvironmentOptions } from '../../lambda/router/lambda-entry';
import { AppConfigFaults, startFakeAppConfigData, type FakeAppConfigData } from '../helpers/fake-appconfigdata';
import { CapturedStream, chatEvent, fakeLambdaRuntime } from '../helpers/fake-lambda-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../helpers/fake-openai-upstream';
import { FAKE_AWS_ENV, setEnv, testConfig } from '../helpers/router-config';

const IDS = { application: 'gwapp01', environment: 'gwenv01', profile: 'gwprof01' };
const CHAT = { model: 'chat', messages: [{ role: 'user', content: 'Hi' }] };

describe('router init from AWS AppConfig', () => {
  let appconfig: FakeAppConfigData;
  let upstream: FakeOpenAiUpstream;
  let emptyTaskRoot: string;
  let restoreEnv: () => void;
  const stdout: string[] = [];
  let writeSpy: jest.SpyInstance;

  /** The JSON lines written to stdout since the last reset. */
  const lines = (): Record<string, unknown>[] => stdout.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

  /** A new execution environment (init), with the process environment plus `env`. */
  async function coldStart(env: Record<string, string> = {}, options: Omit<RouterEnvironmentOptions, 'env'> = {}) {
    const router = await RouterEnvironment.start({ ...options, env: { ...process.env, ...env } });
    return { router, handler: createLambdaHandler(router, fakeLambdaRuntime) };
  }

  async function invoke(handler: ReturnType<typeof createLambdaHandler>, body: unknown = CHAT) {
    const stream = new CapturedStream();
    await handler(chatEvent(body), stream, {});
    const { metadata, body: text } = stream.response();
    return { status: metadata.statusCode, headers: metadata.headers, body: JSON.parse(text) as Record<string, unknown> };
  }

  beforeAll(async () => {
    appconfig = await startFakeAppConfigData();
    upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
    emptyTaskRoot = mkdtempSync(join(tmpdir(), 'router-appconfig-'));
    restoreEnv = setEnv({
      ...FAKE_AWS_ENV,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_APPCONFIGDATA: appconfig.endpoint,
      AWS_ENDPOINT_URL: undefined,
      GATEWAY_APPCONFIG_APPLICATION: IDS.application,
      GATEWAY_APPCONFIG_ENVIRONMENT: IDS.environment,
      GATEWAY_APPCONFIG_PROFILE: IDS.profile,
      GATEWAY_CONFIG_VERSION: '12',
      // No configuration file anywhere: only AppConfig can serve.
      LAMBDA_TASK_ROOT: emptyTaskRoot,
      GATEWAY_CONFIG_PATH: undefined,
      GATEWAY_METRICS_NAMESPACE: undefined,
    });
    writeSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  });

  afterAll(async () => {
    writeSpy.mockRestore();
    restoreEnv();
    rmSync(emptyTaskRoot, { recursive: true, force: true });
    await Promise.all([appconfig.close(), upstream.close()]);
  });

  beforeEach(() => {
    stdout.length = 0;
    appconfig.reset();
    upstream.reset();
    appconfig.deploy(IDS, { content: JSON.stringify(testConfig({ openai: upstream.baseUrl })), versionLabel: 'release-12' });
  });

  test('a valid configuration: one cold-start line with the source and version, then requests are served end to end', async () => {
    // Act
    const { router, handler } = await coldStart();

    // Assess: the init line
    expect(router.failure).toBeUndefined();
    const [loaded] = lines();
    expect(lines()).toHaveLength(1);
    expect(loaded).toMatchObject({
      level: 'INFO',
      message: 'gateway configuration loaded',
      'gateway.config.source': 'appconfig',
      'gateway.config.appconfig.application': 'gwapp01',
      'gateway.config.appconfig.environment': 'gwenv01',
      'gateway.config.appconfig.profile': 'gwprof01',
      'gateway.config.version': '12',
      'gateway.config.version_label': 'release-12',
      'gateway.config.tenants': 3,
      'gateway.config.targets': 5,
      'gateway.config.routes': 5,
    });
    expect(loaded['gateway.config.load_ms']).toEqual(expect.any(Number));
    expect(appconfig.requests.map((r) => r.operation)).toEqual(['StartConfigurationSession', 'GetLatestConfiguration']);

    // Act: a request
    stdout.length = 0;
    upstream.enqueue(OpenAiBehaviours.success({ text: 'Hello via AppConfig', usage: { promptTokens: 10, completionTokens: 3 } }));
    const answer = await invoke(handler);

    // Assess: served by the upstream the AppConfig document names; AppConfig not called again
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ object: 'chat.completion', model: 'chat', choices: [{ message: { content: 'Hello via AppConfig' } }] });
    expect(upstream.lastRequest().body).toMatchObject({ model: 'qwen3-8b' });
    expect(appconfig.requests).toHaveLength(2);
    expect(lines()).toEqual([expect.objectContaining({ 'gateway.tenant.id': 'globex', 'gateway.outcome': 'success', 'gen_ai.usage.input_tokens': 10 })]);
  });

  test('an invalid configuration: the problems and the source in one line; every request a 500 configuration_error with its usage record; no refetch', async () => {
    // Prepare
    appconfig.deploy(IDS, { content: JSON.stringify({ ...testConfig(), routes: [{ alias: 'chat', targets: ['missing'] }] }) });
    let clock = 1_000_000;

    // Act
    const { router, handler } = await coldStart({}, { now: () => clock, retryIntervalMs: 1000 });

    // Assess
    expect(lines()).toEqual([expect.objectContaining({
      level: 'ERROR',
      message: 'invalid gateway configuration',
      'gateway.config.source': 'appconfig',
      'gateway.config.appconfig.application': 'gwapp01',
      'gateway.config.appconfig.environment': 'gwenv01',
      'gateway.config.appconfig.profile': 'gwprof01',
      'gateway.config.version': '12',
      'gateway.config.retry': false,
    })]);
    expect(lines()[0]['gateway.config.problems']).toEqual(expect.arrayContaining([expect.stringMatching(/^routes\[0\]\.targets\[0\]: unknown target 'missing'/)]));
    expect(router.failure?.kind).toBe('invalid');

    stdout.length = 0;
    clock += 60_000;
    const answer = await invoke(handler);
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({ error: { message: 'The gateway is misconfigured; its operators have been notified in its logs.', type: 'api_error', code: 'configuration_error', param: null } });
    expect(answer.headers['x-request-id']).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(lines()).toEqual([expect.objectContaining({ 'http.response.status_code': 500, 'gateway.outcome': 'internal_error', 'error.type': 'configuration_error' })]);
    // An invalid document is not fetched again: the next version replaces the environment.
    expect(appconfig.requests).toHaveLength(2);
  });

  test.each([
    ['404 ResourceNotFoundException (wrong profile id)', { GATEWAY_APPCONFIG_PROFILE: 'nosuchprofile' }, undefined,
      /^AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'nosuchprofile': StartConfigurationSession failed: ResourceNotFoundException \(HTTP 404\)/],
    ['403 AccessDeniedException (IAM)', {}, AppConfigFaults.accessDenied(),
      /^AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'gwprof01': StartConfigurationSession failed: AccessDeniedException \(HTTP 403\)/],
  ])('%s: one ERROR line naming the source; every request a 500 configuration_error', async (_name, env, fault, problem) => {
    // Prepare
    if (fault) appconfig.failNext('StartConfigurationSession', fault);

    // Act
    const { handler } = await coldStart(env);
    const logged = lines();
    stdout.length = 0;
    const answer = await invoke(handler);

    // Assess
    expect(logged).toEqual([expect.objectContaining({
      level: 'ERROR', message: 'gateway configuration unavailable', 'gateway.config.source': 'appconfig', 'gateway.config.retry': true,
      'gateway.config.problems': [expect.stringMatching(problem)],
    })]);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({ error: { type: 'api_error', code: 'configuration_error' } });
    expect(lines()).toEqual([expect.objectContaining({ 'error.type': 'configuration_error' })]);
    expect(upstream.requests).toHaveLength(0);
  });

  test('an empty configuration at init is an error naming the application, environment and profile', async () => {
    appconfig.failNext('GetLatestConfiguration', AppConfigFaults.empty());
    const { router, handler } = await coldStart();
    expect(lines()).toEqual([expect.objectContaining({
      level: 'ERROR', message: 'gateway configuration unavailable',
      'gateway.config.problems': [expect.stringMatching(/^AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'gwprof01': GetLatestConfiguration returned an empty configuration/)],
    })]);
    expect(router.failure?.retryable).toBe(true);
    expect((await invoke(handler, CHAT)).status).toBe(500);
  });

  test('a failed fetch is tried again on a request once the retry interval has passed, and the environment recovers', async () => {
    // Prepare: AppConfig fails at init (one attempt), then works
    appconfig.failNext('StartConfigurationSession', AppConfigFaults.internal());
    let clock = 1_000_000;
    const { router, handler } = await coldStart({}, { load: { maxAttempts: 1 }, retryIntervalMs: 5000, now: () => clock });
    expect(router.failure?.retryable).toBe(true);
    expect(appconfig.requests).toHaveLength(1);

    // Act 1: within the interval, no new fetch
    clock += 1000;
    const early = await invoke(handler);

    // Assess 1
    expect(early.status).toBe(500);
    expect(appconfig.requests).toHaveLength(1);

    // Act 2: after the interval, the request waits for a new fetch and is served
    stdout.length = 0;
    clock += 5000;
    upstream.enqueue(OpenAiBehaviours.success({ text: 'Recovered' }));
    const later = await invoke(handler);

    // Assess 2
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ choices: [{ message: { content: 'Recovered' } }] });
    expect(appconfig.requests.map((r) => r.operation)).toEqual(['StartConfigurationSession', 'StartConfigurationSession', 'GetLatestConfiguration']);
    expect(lines().map((l) => l.message)).toEqual(['gateway configuration loaded', 'chat.completions 200 success']);
    expect(router.failure).toBeUndefined();

    // Act 3: loaded for good
    await invoke(handler);
    expect(appconfig.requests).toHaveLength(3);
  });

  test('a failed retry is logged again and pushes the next one out by the interval', async () => {
    appconfig.failNext('StartConfigurationSession', AppConfigFaults.internal(), AppConfigFaults.internal());
    let clock = 1_000_000;
    const { handler } = await coldStart({}, { load: { maxAttempts: 1 }, reload: { maxAttempts: 1 }, retryIntervalMs: 5000, now: () => clock });
    clock += 5000;
    stdout.length = 0;
    expect((await invoke(handler)).status).toBe(500);
    expect(lines().map((l) => l.message)).toEqual(['gateway configuration unavailable', 'other 500 internal_error']);
    clock += 4999;
    await invoke(handler);
    expect(appconfig.requests).toHaveLength(2);
    clock += 1;
    expect((await invoke(handler)).status).toBe(200);
    expect(appconfig.requests).toHaveLength(4);
  });

  test('without the AppConfig variables the file is read as before (local mode), and AppConfig is not called', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'router-file-'));
    writeFileSync(join(dir, 'gateway-config.json'), JSON.stringify(testConfig({ openai: upstream.baseUrl })));
    const restore = setEnv({ GATEWAY_APPCONFIG_APPLICATION: undefined, GATEWAY_APPCONFIG_ENVIRONMENT: undefined, GATEWAY_APPCONFIG_PROFILE: undefined, LAMBDA_TASK_ROOT: dir });
    try {
      // Act
      const { handler } = await coldStart();
      const answer = await invoke(handler);

      // Assess
      expect(lines()[0]).toMatchObject({ level: 'INFO', message: 'gateway configuration loaded', 'gateway.config.source': 'file', 'gateway.config.path': join(dir, 'gateway-config.json'), 'gateway.config.version': '12' });
      expect(lines()[0]['gateway.config.appconfig.application']).toBeUndefined();
      expect(answer.status).toBe(200);
      expect(appconfig.requests).toHaveLength(0);
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
