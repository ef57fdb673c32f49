/**
 * Where the router's gateway configuration comes from, decided by the function's environment:
 *
 * - deployed (the `GatewayRouter` construct): an AWS AppConfig hosted configuration, named by
 *   `GATEWAY_APPCONFIG_APPLICATION`, `GATEWAY_APPCONFIG_ENVIRONMENT` and
 *   `GATEWAY_APPCONFIG_PROFILE` (all three, or none);
 * - otherwise a JSON file: `GATEWAY_CONFIG_PATH`, else `gateway-config.json` in the function's code
 *   directory (`LAMBDA_TASK_ROOT`), else in the working directory.
 */
import { isAbsolute, join } from 'node:path';
import { ConfigLoadError, ConfigProblemKind } from './errors';

/** Environment variables, as the router reads them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The environment variables that name the AppConfig configuration (set by the construct). */
export const APPCONFIG_ENV = {
  application: 'GATEWAY_APPCONFIG_APPLICATION',
  environment: 'GATEWAY_APPCONFIG_ENVIRONMENT',
  profile: 'GATEWAY_APPCONFIG_PROFILE',
} as const;

/**
 * The hosted configuration version the function was deployed with (set by the construct; it
 * changes with every configuration change, which replaces the function's execution environments).
 * The router only logs it.
 */
export const CONFIG_VERSION_ENV = 'GATEWAY_CONFIG_VERSION';

/** The configuration file's name beside the handler. */
export const CONFIG_FILE_NAME = 'gateway-config.json';

/** The environment variable that overrides the configuration file's path. */
export const CONFIG_PATH_ENV = 'GATEWAY_CONFIG_PATH';

/** A JSON file on disk (local mode, tests, or a configuration shipped in the asset). */
export interface FileConfigSource {
  readonly kind: 'file';
  readonly path: string;
}

/** An AWS AppConfig configuration, by application, environment and configuration profile id (or name). */
export interface AppConfigSource {
  readonly kind: 'appconfig';
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
}

export type ConfigSource = FileConfigSource | AppConfigSource;

/** A non-empty, trimmed value of an environment variable, or undefined. */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Where the configuration file is: `GATEWAY_CONFIG_PATH` (relative to the code directory when
 * relative), else `gateway-config.json` in `LAMBDA_TASK_ROOT`, else in the working directory.
 *
 * @example
 * configPath({ LAMBDA_TASK_ROOT: '/var/task' }); // '/var/task/gateway-config.json'
 */
export function configPath(env: Env = process.env): string {
  const explicit = env[CONFIG_PATH_ENV];
  const base = env.LAMBDA_TASK_ROOT ?? process.cwd();
  if (explicit) return isAbsolute(explicit) ? explicit : join(base, explicit);
  return join(base, CONFIG_FILE_NAME);
}

/**
 * The configuration source the environment names. Throws a `ConfigLoadError` when only some of
 * the AppConfig variables are set (a broken deployment must not silently fall back to a file).
 *
 * @example
 * configSourceOf({ GATEWAY_APPCONFIG_APPLICATION: 'a1b2c3d', GATEWAY_APPCONFIG_ENVIRONMENT: 'e4f5g6h', GATEWAY_APPCONFIG_PROFILE: 'p7q8r9s' });
 * // { kind: 'appconfig', application: 'a1b2c3d', environment: 'e4f5g6h', profile: 'p7q8r9s' }
 */
export function configSourceOf(env: Env = process.env): ConfigSource {
  const application = envValue(env, APPCONFIG_ENV.application);
  const environment = envValue(env, APPCONFIG_ENV.environment);
  const profile = envValue(env, APPCONFIG_ENV.profile);
  if (application && environment && profile) return { kind: 'appconfig', application, environment, profile };
  if (!application && !environment && !profile) return { kind: 'file', path: configPath(env) };
  const names = Object.values(APPCONFIG_ENV);
  const missing = names.filter((name) => !envValue(env, name));
  const present = names.filter((name) => !missing.includes(name));
  throw new ConfigLoadError({
    kind: ConfigProblemKind.UNAVAILABLE,
    retryable: false,
    problems: [`AWS AppConfig is only partly configured: ${missing.join(', ')} not set (set: ${present.join(', ')}). `
      + `Set all three of ${names.join(', ')} to read the configuration from AWS AppConfig, or none to read the configuration file.`],
  });
}

/**
 * The source in words, for messages.
 *
 * @example
 * describeConfigSource({ kind: 'file', path: '/var/task/gateway-config.json' }); // "file /var/task/gateway-config.json"
 */
export function describeConfigSource(source: ConfigSource): string {
  return source.kind === 'file'
    ? `file ${source.path}`
    : `AWS AppConfig application '${source.application}', environment '${source.environment}', configuration profile '${source.profile}'`;
}

/** The source as structured log fields (`gateway.config.*`). */
export function configSourceFields(source: ConfigSource | undefined): Record<string, string> {
  if (!source) return {};
  return source.kind === 'file'
    ? { 'gateway.config.source': 'file', 'gateway.config.path': source.path }
    : {
      'gateway.config.source': 'appconfig',
      'gateway.config.appconfig.application': source.application,
      'gateway.config.appconfig.environment': source.environment,
      'gateway.config.appconfig.profile': source.profile,
    };
}
