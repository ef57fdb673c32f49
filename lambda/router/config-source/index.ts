/**
 * The router's configuration source: AWS AppConfig when the function's environment names it (the
 * deployed gateway), the configuration file otherwise (local mode, tests). Either way the
 * document goes through the same validation (`GatewayConfigValidator`) and defaults
 * (`resolveGatewayConfig`) as at synth.
 */
import { GatewayConfigError } from '../../shared/config-error';
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { AppConfigFetchOptions, fetchAppConfig } from './appconfig';
import { ConfigLoadError, ConfigProblemKind } from './errors';
import { loadGatewayConfig } from './file';
import { parseGatewayConfig } from './parse';
import {
  AppConfigSource, CONFIG_VERSION_ENV, ConfigSource, configSourceOf, describeConfigSource, Env, envValue,
} from './source';

export * from './appconfig';
export * from './errors';
export * from './file';
export * from './parse';
export * from './source';

/** A loaded configuration and where it came from. */
export interface LoadedGatewayConfig {
  readonly config: ResolvedGatewayConfig;
  readonly source: ConfigSource;
  /** `GATEWAY_CONFIG_VERSION`: the hosted configuration version the function was deployed with. */
  readonly version?: string;
  /** The version label AppConfig returned with the configuration, when it has one. */
  readonly versionLabel?: string;
  /** Time taken to fetch, validate and resolve the configuration. */
  readonly loadMs: number;
}

/** Options of {@link loadConfig}: how AppConfig is called (ignored for a file). */
export type LoadConfigOptions = AppConfigFetchOptions;

/** A `GatewayConfigError` (or anything else) from reading `source`, as a `ConfigLoadError`. */
function asLoadError(error: unknown, source: ConfigSource): ConfigLoadError {
  if (error instanceof ConfigLoadError) return error;
  if (error instanceof GatewayConfigError) {
    return new ConfigLoadError({ kind: ConfigProblemKind.INVALID, retryable: false, source, problems: error.issues });
  }
  // Unreadable file: the asset does not change during the environment's life.
  return new ConfigLoadError({
    kind: ConfigProblemKind.UNAVAILABLE, retryable: false, source, problems: [error instanceof Error ? error.message : String(error)],
  });
}

async function loadFromAppConfig(source: AppConfigSource, options: LoadConfigOptions): Promise<{ config: ResolvedGatewayConfig; versionLabel?: string }> {
  const fetched = await fetchAppConfig(source, options);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(fetched.content);
  } catch {
    throw new ConfigLoadError({
      kind: ConfigProblemKind.INVALID, retryable: false, source,
      problems: [`(${describeConfigSource(source)}): not valid UTF-8 (content type ${fetched.contentType ?? 'not given'})`],
    });
  }
  const origin = `${describeConfigSource(source)}${fetched.contentType ? `, content type ${fetched.contentType}` : ''}`;
  return { config: parseGatewayConfig(text, origin), ...(fetched.versionLabel ? { versionLabel: fetched.versionLabel } : {}) };
}

/**
 * Loads the gateway configuration from the source the environment names: AppConfig when
 * `GATEWAY_APPCONFIG_APPLICATION`, `GATEWAY_APPCONFIG_ENVIRONMENT` and `GATEWAY_APPCONFIG_PROFILE`
 * are set, else the configuration file (`GATEWAY_CONFIG_PATH`, default `gateway-config.json` in
 * `LAMBDA_TASK_ROOT`). Throws a `ConfigLoadError` with every problem and the source.
 *
 * @example
 * const { config, source, version } = await loadConfig(process.env);
 */
export async function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Promise<LoadedGatewayConfig> {
  const started = Date.now();
  const source = configSourceOf(env);
  const version = envValue(env, CONFIG_VERSION_ENV);
  try {
    const loaded = source.kind === 'appconfig'
      ? await loadFromAppConfig(source, options)
      : { config: loadGatewayConfig(source.path) };
    return { ...loaded, source, ...(version ? { version } : {}), loadMs: Date.now() - started };
  } catch (error) {
    throw asLoadError(error, source);
  }
}
