/**
 * Fetches the deployed gateway configuration from AWS AppConfig (the AppConfigData API): one
 * `StartConfigurationSession`, then one `GetLatestConfiguration` with the session's initial token.
 *
 * The router reads its configuration once per execution environment, at init; it never polls the
 * session again. Every configuration change publishes a new hosted configuration version, and the
 * construct puts that version number in the function's environment (`GATEWAY_CONFIG_VERSION`), so
 * a change updates the function and replaces its execution environments: no polling is needed.
 *
 * The client is made for this one fetch and destroyed afterwards:
 * - `maxAttempts: 3` with the SDK's standard retry (throttling and 5xx back off): this is init,
 *   not the request path, and a failed load costs the environment its first requests;
 * - a connect timeout and a per-request timeout on a keep-alive `NodeHttpHandler` (both calls go
 *   over one connection), and an overall deadline below Lambda's 10-second init limit, so a hung
 *   endpoint ends in an error that names the configuration rather than in an init timeout.
 *
 * Endpoint: the SDK's own. Tests (and tools such as LocalStack) point it elsewhere with the SDK's
 * standard `AWS_ENDPOINT_URL_APPCONFIGDATA` variable; the construct never sets it.
 *
 * IAM: `appconfig:StartConfigurationSession` and `appconfig:GetLatestConfiguration` on
 * `arn:aws:appconfig:<region>:<account>:application/<app>/environment/<env>/configuration/<profile>`.
 */
import * as http from 'node:http';
import * as https from 'node:https';
// Types only: the client is loaded with `import()` when a configuration is fetched, so a router
// that reads its configuration from a file never compiles it (see scripts/bundle.mjs).
import type { AppConfigDataClient, AppConfigDataClientConfig } from '@aws-sdk/client-appconfigdata';
import { ConfigLoadError, ConfigProblemKind } from './errors';
import { AppConfigSource, describeConfigSource } from './source';

/** Defaults of an AppConfig fetch at init. */
export const APPCONFIG_FETCH_DEFAULTS = {
  /** Attempts per call, retries included (the SDK's standard retry strategy). */
  maxAttempts: 3,
  /** TCP (and TLS) connect timeout per attempt. */
  connectTimeoutMs: 1000,
  /** Time for one attempt's request and response. */
  requestTimeoutMs: 2500,
  /** Both calls, every attempt and back-off included: below Lambda's 10-second init limit. */
  deadlineMs: 7000,
  /**
   * The session's minimum poll interval (15–86400). The router never polls the session again, so
   * the value only bounds a session nobody uses after the first call.
   */
  minimumPollIntervalSeconds: 60,
} as const;

/** Options of {@link fetchAppConfig}. */
export interface AppConfigFetchOptions {
  /** @default the SDK's Region chain (`AWS_REGION` in Lambda) */
  readonly region?: string;
  /** @default the SDK's (AppConfigData in the Region, or `AWS_ENDPOINT_URL_APPCONFIGDATA`) */
  readonly endpoint?: string;
  /** @default the SDK's default provider chain (the function's role) */
  readonly credentials?: AppConfigDataClientConfig['credentials'];
  /** @default 3 */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly connectTimeoutMs?: number;
  /** @default 2500 */
  readonly requestTimeoutMs?: number;
  /** @default 7000 */
  readonly deadlineMs?: number;
}

/** What AppConfig returned. */
export interface FetchedAppConfig {
  /** The configuration document's bytes (never empty). */
  readonly content: Uint8Array;
  /** The content type of the hosted configuration version (`application/json`). */
  readonly contentType?: string;
  /** The version label of the hosted configuration version, when it has one. */
  readonly versionLabel?: string;
}

/**
 * The AppConfigData client of one fetch: keep-alive connections, explicit timeouts and attempts.
 * Destroy it when done (its sockets would otherwise stay open for the life of the environment).
 *
 * @example
 * const client = await createAppConfigDataClient({ maxAttempts: 3 });
 * try { ... } finally { client.destroy(); }
 */
export async function createAppConfigDataClient(options: AppConfigFetchOptions = {}): Promise<AppConfigDataClient> {
  const [{ AppConfigDataClient }, { NodeHttpHandler }] = await Promise.all([
    import('@aws-sdk/client-appconfigdata'),
    import('@smithy/node-http-handler'),
  ]);
  const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: 1 };
  return new AppConfigDataClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: options.maxAttempts ?? APPCONFIG_FETCH_DEFAULTS.maxAttempts,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      connectionTimeout: options.connectTimeoutMs ?? APPCONFIG_FETCH_DEFAULTS.connectTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? APPCONFIG_FETCH_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  });
}

/** An SDK or network error in one line: name, HTTP status, message, attempts. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const meta = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
  const code = (error as { code?: unknown }).code;
  const status = meta?.httpStatusCode ? ` (HTTP ${meta.httpStatusCode})` : typeof code === 'string' && code !== error.name ? ` (${code})` : '';
  const attempts = meta?.attempts && meta.attempts > 1 ? ` after ${meta.attempts} attempts` : '';
  return `${error.name}${status}${attempts}: ${error.message}`;
}

/**
 * Fetches the configuration deployed to an AppConfig environment. Throws a `ConfigLoadError`
 * (kind `unavailable`, retryable) that names the application, environment and profile when a
 * call fails, the deadline passes, or AppConfig answers with an empty configuration.
 *
 * @example
 * const { content, versionLabel } = await fetchAppConfig({ kind: 'appconfig', application: 'a1', environment: 'e1', profile: 'p1' });
 */
export async function fetchAppConfig(source: AppConfigSource, options: AppConfigFetchOptions = {}): Promise<FetchedAppConfig> {
  const deadlineMs = options.deadlineMs ?? APPCONFIG_FETCH_DEFAULTS.deadlineMs;
  const unavailable = (problem: string): ConfigLoadError => new ConfigLoadError({
    kind: ConfigProblemKind.UNAVAILABLE, retryable: true, source, problems: [`${describeConfigSource(source)}: ${problem}`],
  });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), deadlineMs);
  let client: AppConfigDataClient | undefined;
  let step = 'StartConfigurationSession';
  try {
    const { GetLatestConfigurationCommand, StartConfigurationSessionCommand } = await import('@aws-sdk/client-appconfigdata');
    client = await createAppConfigDataClient(options);
    const session = await client.send(new StartConfigurationSessionCommand({
      ApplicationIdentifier: source.application,
      EnvironmentIdentifier: source.environment,
      ConfigurationProfileIdentifier: source.profile,
      RequiredMinimumPollIntervalInSeconds: APPCONFIG_FETCH_DEFAULTS.minimumPollIntervalSeconds,
    }), { abortSignal: deadline.signal });
    if (!session.InitialConfigurationToken) throw unavailable('StartConfigurationSession returned no configuration token');
    step = 'GetLatestConfiguration';
    const latest = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: session.InitialConfigurationToken }), {
      abortSignal: deadline.signal,
    });
    const content = latest.Configuration ?? new Uint8Array(0);
    if (content.byteLength === 0) {
      // A new session's first answer holds the deployed configuration; empty means nothing usable is deployed.
      throw unavailable('GetLatestConfiguration returned an empty configuration on a new session: '
        + 'deploy a configuration to this environment (an empty document is not a gateway configuration)');
    }
    return {
      content,
      ...(latest.ContentType ? { contentType: latest.ContentType } : {}),
      ...(latest.VersionLabel ? { versionLabel: latest.VersionLabel } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigLoadError) throw error;
    if (deadline.signal.aborted) throw unavailable(`${step} did not complete within the ${deadlineMs} ms deadline`);
    throw unavailable(`${step} failed: ${describeFetchError(error)}`);
  } finally {
    clearTimeout(timer);
    client?.destroy();
  }
}
