/**
 * The shipped artefact: assets/router/index.mjs (built by `npm run bundle`, which `npm test` runs
 * first), imported by a fresh `node` process as the Lambda Node.js runtime imports it, configured
 * for AWS AppConfig (pointed at a loopback AppConfigData fake with AWS_ENDPOINT_URL_APPCONFIGDATA)
 * and serving from a loopback OpenAI-compatible upstream. Proves the bundle's top-level `await`:
 * the configuration is fetched and logged while the module evaluates, before the import resolves.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfigFaults, startFakeAppConfigData, type FakeAppConfigData } from '../helpers/fake-appconfigdata';
import { chatEvent, runBundledHandler } from '../helpers/fake-lambda-runtime';
import { OpenAiBehaviours, startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../helpers/fake-openai-upstream';
import { testConfig } from '../helpers/router-config';

const BUNDLE = join(__dirname, '..', '..', 'assets', 'router', 'index.mjs');
const IDS = { application: 'gwapp01', environment: 'gwenv01', profile: 'gwprof01' };

let appconfig: FakeAppConfigData;
let upstream: FakeOpenAiUpstream;
let taskRoot: string;

beforeAll(async () => {
  appconfig = await startFakeAppConfigData();
  upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  taskRoot = mkdtempSync(join(tmpdir(), 'router-bundle-'));
});

afterAll(async () => {
  rmSync(taskRoot, { recursive: true, force: true });
  await Promise.all([appconfig.close(), upstream.close()]);
});

beforeEach(() => {
  appconfig.reset();
  upstream.reset();
  appconfig.deploy(IDS, { content: JSON.stringify(testConfig({ openai: upstream.baseUrl })), versionLabel: 'release-3' });
});

/** The Lambda environment the construct gives the router, plus the test-only endpoint override. */
function lambdaEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_APPCONFIGDATA: appconfig.endpoint,
    LAMBDA_TASK_ROOT: taskRoot, // holds no configuration file
    GATEWAY_APPCONFIG_APPLICATION: IDS.application,
    GATEWAY_APPCONFIG_ENVIRONMENT: IDS.environment,
    GATEWAY_APPCONFIG_PROFILE: IDS.profile,
    GATEWAY_CONFIG_VERSION: '3',
    ...overrides,
  };
}

const json = (lines: readonly string[]): Record<string, unknown>[] =>
  lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

test('the bundle exists (npm run bundle) and is an ES module with a top-level await', () => {
  expect(existsSync(BUNDLE)).toBe(true);
  expect(readFileSync(BUNDLE, 'utf8')).toMatch(/=await [\w$]+\.start\(\)/);
});

test('the bundled router loads its configuration from AppConfig during init, then serves a request', async () => {
  // Prepare
  upstream.enqueue(OpenAiBehaviours.success({ text: 'Hello from the bundle', usage: { promptTokens: 8, completionTokens: 4 } }));

  // Act
  const run = await runBundledHandler(BUNDLE, lambdaEnv(), chatEvent({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }));

  // Assess: the configuration line comes before the import resolved (top-level await), the usage line after
  expect(run.error).toBeUndefined();
  const loadedAt = run.lines.findIndex((l) => l.includes('"message":"gateway configuration loaded"'));
  const importedAt = run.lines.indexOf('SHIM imported');
  expect(loadedAt).toBeGreaterThanOrEqual(0);
  expect(loadedAt).toBeLessThan(importedAt);
  expect(json(run.lines)[0]).toMatchObject({
    level: 'INFO', 'gateway.config.source': 'appconfig', 'gateway.config.appconfig.application': 'gwapp01',
    'gateway.config.appconfig.environment': 'gwenv01', 'gateway.config.appconfig.profile': 'gwprof01',
    'gateway.config.version': '3', 'gateway.config.version_label': 'release-3',
  });
  expect(run.statusCode).toBe(200);
  expect(run.headers).toMatchObject({ 'x-gateway-route': 'chat', 'x-gateway-model': 'qwen3-8b' });
  expect(JSON.parse(run.body ?? '{}')).toMatchObject({ choices: [{ message: { content: 'Hello from the bundle' } }] });
  expect(json(run.lines)[1]).toMatchObject({ 'gateway.tenant.id': 'globex', 'gateway.outcome': 'success', 'gen_ai.usage.input_tokens': 8 });
  expect(appconfig.requests.map((r) => r.operation)).toEqual(['StartConfigurationSession', 'GetLatestConfiguration']);
});

test('the bundled router when AppConfig refuses: one ERROR line naming the source during init, a 500 configuration_error', async () => {
  // Prepare: IAM refuses every attempt
  appconfig.failNext('StartConfigurationSession', AppConfigFaults.accessDenied());

  // Act
  const run = await runBundledHandler(BUNDLE, lambdaEnv(), chatEvent({ model: 'chat', messages: [{ role: 'user', content: 'Hi' }] }));

  // Assess
  expect(run.error).toBeUndefined();
  const [init, usage] = json(run.lines);
  expect(run.lines.findIndex((l) => l.includes('"level":"ERROR"'))).toBeLessThan(run.lines.indexOf('SHIM imported'));
  expect(init).toMatchObject({
    level: 'ERROR', message: 'gateway configuration unavailable', 'gateway.config.source': 'appconfig', 'gateway.config.version': '3',
    'gateway.config.problems': [expect.stringMatching(
      /^AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'gwprof01': StartConfigurationSession failed: AccessDeniedException \(HTTP 403\)/,
    )],
  });
  expect(run.statusCode).toBe(500);
  expect(JSON.parse(run.body ?? '{}')).toMatchObject({ error: { type: 'api_error', code: 'configuration_error' } });
  expect(usage).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'configuration_error' });
  expect(upstream.requests).toHaveLength(0);
});
