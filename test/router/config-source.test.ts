/**
 * The router's configuration source (lambda/router/config-source): which source the environment
 * names, the file path (local mode, unchanged), and AWS AppConfig through the real
 * `@aws-sdk/client-appconfigdata` client against a loopback AppConfigData fake.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APPCONFIG_FETCH_DEFAULTS, ConfigLoadError, configPath, ConfigProblemKind, configSourceOf, describeConfigSource, fetchAppConfig,
  loadConfig, type AppConfigSource, type LoadConfigOptions,
} from '../../lambda/router/config-source';
import { AppConfigFaults, startFakeAppConfigData, type FakeAppConfigData } from '../helpers/fake-appconfigdata';
import { FAKE_AWS_ENV, setEnv, testConfig, thrownBy } from '../helpers/router-config';

const IDS = { application: 'gwapp01', environment: 'gwenv01', profile: 'gwprof01' };
const APPCONFIG_ENV = { GATEWAY_APPCONFIG_APPLICATION: IDS.application, GATEWAY_APPCONFIG_ENVIRONMENT: IDS.environment, GATEWAY_APPCONFIG_PROFILE: IDS.profile };
const SOURCE: AppConfigSource = { kind: 'appconfig', ...IDS };
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example' };
/** Names the three ids, as every AppConfig error must. */
const NAMES_SOURCE = /AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'gwprof01'/;

/** The rejection of `p` as a ConfigLoadError (fails the test otherwise). */
async function loadError(p: Promise<unknown>): Promise<ConfigLoadError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof ConfigLoadError) return error;
    throw error;
  }
  throw new Error('expected a ConfigLoadError');
}

const loadError_ = (fn: () => unknown): ConfigLoadError => thrownBy(ConfigLoadError, fn);

describe('configSourceOf', () => {
  test('no AppConfig variables: the file beside the handler, or GATEWAY_CONFIG_PATH (relative to the code directory)', () => {
    expect(configSourceOf({ LAMBDA_TASK_ROOT: '/var/task' })).toEqual({ kind: 'file', path: '/var/task/gateway-config.json' });
    expect(configSourceOf({ LAMBDA_TASK_ROOT: '/var/task', GATEWAY_CONFIG_PATH: 'conf/gw.json' })).toEqual({ kind: 'file', path: '/var/task/conf/gw.json' });
    expect(configSourceOf({ LAMBDA_TASK_ROOT: '/var/task', GATEWAY_CONFIG_PATH: '/etc/gw.json' })).toEqual({ kind: 'file', path: '/etc/gw.json' });
    expect(configPath({})).toBe(join(process.cwd(), 'gateway-config.json'));
  });

  test('all three AppConfig variables: AppConfig, even when a file path is set too', () => {
    expect(configSourceOf({ ...APPCONFIG_ENV, GATEWAY_CONFIG_PATH: '/etc/gw.json' })).toEqual(SOURCE);
    expect(configSourceOf({ GATEWAY_APPCONFIG_APPLICATION: ' gwapp01 ', GATEWAY_APPCONFIG_ENVIRONMENT: 'gwenv01', GATEWAY_APPCONFIG_PROFILE: 'gwprof01' })).toEqual(SOURCE);
  });

  test('empty values count as unset', () => {
    expect(configSourceOf({ GATEWAY_APPCONFIG_APPLICATION: '', GATEWAY_APPCONFIG_ENVIRONMENT: ' ', GATEWAY_APPCONFIG_PROFILE: '', LAMBDA_TASK_ROOT: '/x' }))
      .toEqual({ kind: 'file', path: '/x/gateway-config.json' });
  });

  test('only some AppConfig variables: an error naming the missing ones, never a silent fall-back to a file', () => {
    const error = loadError_(() => configSourceOf({ GATEWAY_APPCONFIG_APPLICATION: 'gwapp01', GATEWAY_APPCONFIG_ENVIRONMENT: 'gwenv01' }));
    expect(error.kind).toBe(ConfigProblemKind.UNAVAILABLE);
    expect(error.retryable).toBe(false);
    expect(error.problems).toEqual([expect.stringMatching(/^AWS AppConfig is only partly configured: GATEWAY_APPCONFIG_PROFILE not set \(set: GATEWAY_APPCONFIG_APPLICATION, GATEWAY_APPCONFIG_ENVIRONMENT\)/)]);
    const two = loadError_(() => configSourceOf({ GATEWAY_APPCONFIG_PROFILE: 'p' }));
    expect(two.problems[0]).toMatch(/GATEWAY_APPCONFIG_APPLICATION, GATEWAY_APPCONFIG_ENVIRONMENT not set/);
  });

  test('describes each source in words', () => {
    expect(describeConfigSource(SOURCE)).toMatch(NAMES_SOURCE);
    expect(describeConfigSource({ kind: 'file', path: '/var/task/gateway-config.json' })).toBe('file /var/task/gateway-config.json');
  });
});

describe('loadConfig from a file (local mode, unchanged)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-source-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads, validates and resolves gateway-config.json beside the handler; reports the deployed version', async () => {
    // Prepare
    writeFileSync(join(dir, 'gateway-config.json'), JSON.stringify(testConfig()));

    // Act
    const loaded = await loadConfig({ LAMBDA_TASK_ROOT: dir, GATEWAY_CONFIG_VERSION: '4' });

    // Assess
    expect(loaded.source).toEqual({ kind: 'file', path: join(dir, 'gateway-config.json') });
    expect(loaded.version).toBe('4');
    expect(loaded.versionLabel).toBeUndefined();
    expect([...loaded.config.tenants.keys()]).toEqual(['acme', 'globex', 'initech']);
    expect(loaded.config.retry).toEqual({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 });
  });

  test('an invalid file: every validation problem, kind invalid, not retried, with the source', async () => {
    const path = join(dir, 'invalid.json');
    writeFileSync(path, JSON.stringify({ ...testConfig(), routes: [{ alias: 'chat', targets: ['missing'] }] }));
    const error = await loadError(loadConfig({ GATEWAY_CONFIG_PATH: path }));
    expect(error).toMatchObject({ kind: ConfigProblemKind.INVALID, retryable: false, source: { kind: 'file', path } });
    expect(error.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^routes\[0\]\.targets\[0\]: unknown target 'missing'/)]));
  });

  test('a missing file: unavailable, not retried, naming the path', async () => {
    const path = join(dir, 'nope.json');
    const error = await loadError(loadConfig({ GATEWAY_CONFIG_PATH: path }));
    expect(error).toMatchObject({ kind: ConfigProblemKind.UNAVAILABLE, retryable: false });
    expect(error.problems).toEqual([expect.stringMatching(/^Cannot read the gateway configuration \/.*\/nope\.json: (Error: )?ENOENT/)]);
  });

  test('a JSON syntax error names the file and does not quote its text; a byte order mark is accepted', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"tenants": [ secret-looking-text ]}');
    const error = await loadError(loadConfig({ GATEWAY_CONFIG_PATH: path }));
    expect(error.kind).toBe(ConfigProblemKind.INVALID);
    expect(error.problems).toEqual([expect.stringMatching(new RegExp(`^\\(file ${path}\\): not valid JSON: `))]);
    expect(error.problems[0]).not.toContain('secret-looking-text');
    const bom = join(dir, 'bom.json');
    writeFileSync(bom, `\ufeff${JSON.stringify(testConfig())}`);
    await expect(loadConfig({ GATEWAY_CONFIG_PATH: bom })).resolves.toMatchObject({ source: { kind: 'file', path: bom } });
  });
});

describe('loadConfig from AWS AppConfig (real AppConfigData client, loopback fake)', () => {
  let fake: FakeAppConfigData;
  let options: LoadConfigOptions;

  beforeAll(async () => {
    fake = await startFakeAppConfigData();
    options = { endpoint: fake.endpoint, region: 'us-east-1', credentials: CREDENTIALS };
  });

  afterAll(async () => {
    await fake.close();
  });

  beforeEach(() => {
    fake.reset();
    fake.deploy(IDS, { content: JSON.stringify(testConfig()), versionLabel: 'gateway-v7' });
  });

  test('a session, then the latest configuration: validated, resolved, with the version label and the deployed version', async () => {
    // Act
    const loaded = await loadConfig({ ...APPCONFIG_ENV, GATEWAY_CONFIG_VERSION: '7' }, options);

    // Assess
    expect(loaded.source).toEqual(SOURCE);
    expect(loaded.version).toBe('7');
    expect(loaded.versionLabel).toBe('gateway-v7');
    expect([...loaded.config.routes.keys()]).toEqual(['chat', 'summary', 'secure', 'batch-only', 'guarded']);
    const [start, get] = fake.requests;
    expect(fake.requests).toHaveLength(2);
    expect(start).toMatchObject({ operation: 'StartConfigurationSession', method: 'POST', path: '/configurationsessions' });
    expect(start.body).toEqual({
      ApplicationIdentifier: 'gwapp01', EnvironmentIdentifier: 'gwenv01', ConfigurationProfileIdentifier: 'gwprof01',
      RequiredMinimumPollIntervalInSeconds: APPCONFIG_FETCH_DEFAULTS.minimumPollIntervalSeconds,
    });
    expect(get).toMatchObject({ operation: 'GetLatestConfiguration', method: 'GET', path: '/configuration' });
    expect(get.query.get('configuration_token')).toMatch(/^tok-/);
    // Signed for AppConfig in the Region; both calls over one keep-alive connection.
    for (const r of fake.requests) expect(r.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/appconfig\/aws4_request/);
    expect(get.connectionId).toBe(start.connectionId);
  });

  test('the client is destroyed after the fetch: its keep-alive connection does not stay open', async () => {
    await loadConfig(APPCONFIG_ENV, options);
    for (let i = 0; i < 20 && fake.openConnections > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.openConnections).toBe(0);
  });

  test('an invalid configuration: kind invalid, every validation problem, not retried', async () => {
    fake.deploy(IDS, { content: JSON.stringify({ ...testConfig(), tenants: [{ id: 'acme', allowedAliases: ['chat'], sensitivityClearance: 'secret' }] }) });
    const error = await loadError(loadConfig(APPCONFIG_ENV, options));
    expect(error).toMatchObject({ kind: ConfigProblemKind.INVALID, retryable: false, source: SOURCE });
    expect(error.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^tenants\[0\]\.sensitivityClearance: 'secret' is not allowed/)]));
  });

  test('not JSON: one problem naming the AppConfig ids and the content type, without the text', async () => {
    fake.deploy(IDS, { content: 'tenants:\n  - id: acme-private-detail\n', contentType: 'application/x-yaml' });
    const error = await loadError(loadConfig(APPCONFIG_ENV, options));
    expect(error.kind).toBe(ConfigProblemKind.INVALID);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(NAMES_SOURCE);
    expect(error.problems[0]).toMatch(/content type application\/x-yaml\): not valid JSON/);
    expect(error.problems[0]).not.toContain('acme-private-detail');
  });

  test('bytes that are not UTF-8: invalid, naming the source', async () => {
    fake.deploy(IDS, { content: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    const error = await loadError(loadConfig(APPCONFIG_ENV, options));
    expect(error.kind).toBe(ConfigProblemKind.INVALID);
    expect(error.problems[0]).toMatch(/not valid UTF-8/);
    expect(error.problems[0]).toMatch(NAMES_SOURCE);
  });

  test('404 ResourceNotFoundException: unavailable, naming the ids and the call, not retried by the client', async () => {
    const error = await loadError(loadConfig({ ...APPCONFIG_ENV, GATEWAY_APPCONFIG_PROFILE: 'otherprof' }, options));
    expect(error).toMatchObject({ kind: ConfigProblemKind.UNAVAILABLE, retryable: true });
    expect(error.problems).toEqual([
      "AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'otherprof': StartConfigurationSession failed: "
      + 'ResourceNotFoundException (HTTP 404): Deployment not found for the application, environment and configuration profile',
    ]);
    expect(fake.requests).toHaveLength(1);
  });

  test('403 AccessDeniedException (IAM): unavailable, with the service message', async () => {
    fake.failNext('StartConfigurationSession', AppConfigFaults.accessDenied());
    const error = await loadError(loadConfig(APPCONFIG_ENV, options));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(NAMES_SOURCE);
    expect(error.problems[0]).toMatch(/StartConfigurationSession failed: AccessDeniedException \(HTTP 403\): User: .* is not authorized to perform: appconfig:StartConfigurationSession/);
  });

  test('an empty configuration on the first call of a new session is an error naming the ids', async () => {
    fake.failNext('GetLatestConfiguration', AppConfigFaults.empty());
    const error = await loadError(loadConfig(APPCONFIG_ENV, options));
    expect(error).toMatchObject({ kind: ConfigProblemKind.UNAVAILABLE, retryable: true, source: SOURCE });
    expect(error.problems).toEqual([expect.stringMatching(/^AWS AppConfig application 'gwapp01', environment 'gwenv01', configuration profile 'gwprof01': GetLatestConfiguration returned an empty configuration/)]);
  });

  test('a 5xx is retried by the client (maxAttempts 3) and the load succeeds', async () => {
    fake.failNext('StartConfigurationSession', AppConfigFaults.internal());
    fake.failNext('GetLatestConfiguration', AppConfigFaults.internal());
    const loaded = await loadConfig(APPCONFIG_ENV, options);
    expect(loaded.config.tenants.size).toBe(3);
    expect(fake.requests.map((r) => `${r.operation}${r.fault ? `:${r.fault}` : ''}`)).toEqual([
      'StartConfigurationSession:error', 'StartConfigurationSession', 'GetLatestConfiguration:error', 'GetLatestConfiguration',
    ]);
  });

  test('three 5xx in a row: the error says how many attempts were made', async () => {
    fake.failNext('StartConfigurationSession', AppConfigFaults.internal(), AppConfigFaults.internal(), AppConfigFaults.internal());
    const error = await loadError(loadConfig(APPCONFIG_ENV, options));
    expect(error.problems[0]).toMatch(/StartConfigurationSession failed: InternalServerException \(HTTP 500\) after 3 attempts: Internal failure/);
    expect(fake.requests).toHaveLength(3);
  });

  test('a hung endpoint: the request timeout ends each attempt, the overall deadline ends the load', async () => {
    // Request timeout, one attempt.
    fake.failNext('StartConfigurationSession', AppConfigFaults.hang());
    const timedOut = await loadError(loadConfig(APPCONFIG_ENV, { ...options, maxAttempts: 1, requestTimeoutMs: 150 }));
    expect(timedOut.problems[0]).toMatch(/StartConfigurationSession failed: TimeoutError/);
    expect(timedOut.retryable).toBe(true);
    // Overall deadline across attempts. The bounds cannot fail on a loaded machine: the deadline
    // (3 s) leaves StartConfigurationSession, which answers at once on loopback, ample time even
    // when the machine is busy, and the per-request timeout (30 s) is far beyond the deadline, so
    // only the deadline can end the hung GetLatestConfiguration calls.
    fake.failNext('GetLatestConfiguration', AppConfigFaults.hang(), AppConfigFaults.hang(), AppConfigFaults.hang());
    const started = Date.now();
    const late = await loadError(loadConfig(APPCONFIG_ENV, { ...options, requestTimeoutMs: 30_000, deadlineMs: 3000 }));
    expect(late.problems).toEqual([expect.stringMatching(/: GetLatestConfiguration did not complete within the 3000 ms deadline$/)]);
    expect(late.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('nothing listening: the connection error, naming the ids', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const error = await loadError(fetchAppConfig(SOURCE, { ...options, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }));
    expect(error.problems[0]).toMatch(NAMES_SOURCE);
    expect(error.problems[0]).toMatch(/StartConfigurationSession failed: .*ECONNREFUSED/);
  });

  test('the endpoint, Region and credentials can come from the environment (AWS_ENDPOINT_URL_APPCONFIGDATA, for tests)', async () => {
    const restore = setEnv({ ...FAKE_AWS_ENV, AWS_ENDPOINT_URL_APPCONFIGDATA: fake.endpoint, AWS_ENDPOINT_URL: undefined, AWS_EC2_METADATA_DISABLED: 'true' });
    try {
      const loaded = await loadConfig(APPCONFIG_ENV);
      expect(loaded.config.tenants.size).toBe(3);
      expect(fake.requests).toHaveLength(2);
    } finally {
      restore();
    }
  });
});
