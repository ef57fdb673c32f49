/**
 * Cold-start wiring shared by the Lambda entry and the local server: the configuration file read
 * and validated once, and the real provider adapters (one warm client pool per process).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { GatewayConfigError } from '../shared/config-error';
import { resolveGatewayConfig, ResolvedGatewayConfig } from '../shared/defaults';
import { GatewayConfigValidator } from '../shared/validator';
import { Gateway, GatewayOptions } from './gateway';
import { GuardrailApplier } from './pipeline/guardrail-types';
import { ProviderRegistry } from './pipeline/invoke';
import { BedrockAdapter } from './providers/bedrock/adapter';
import { BedrockGuardrailClient } from './providers/bedrock/apply-guardrail';
import { BedrockClientPool } from './providers/bedrock/client';
import { OpenAiAdapter } from './providers/openai/adapter';

/** The configuration file's name beside the handler, where the construct writes it. */
export const CONFIG_FILE_NAME = 'gateway-config.json';

/** The environment variable that overrides the configuration file's path. */
export const CONFIG_PATH_ENV = 'GATEWAY_CONFIG_PATH';

/**
 * Where the configuration file is: `GATEWAY_CONFIG_PATH`, else `gateway-config.json` in the
 * function's code directory (`LAMBDA_TASK_ROOT`), else in the working directory.
 */
export function configPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env[CONFIG_PATH_ENV];
  const base = env.LAMBDA_TASK_ROOT ?? process.cwd();
  if (explicit) return isAbsolute(explicit) ? explicit : join(base, explicit);
  return join(base, CONFIG_FILE_NAME);
}

/**
 * Reads, validates and resolves a configuration file. Throws `GatewayConfigError` listing every
 * problem, or an `Error` naming the file when it cannot be read or is not JSON.
 *
 * @example
 * const config = loadGatewayConfig('/var/task/gateway-config.json');
 */
export function loadGatewayConfig(path: string): ResolvedGatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the gateway configuration ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GatewayConfigError([`(file ${path}): not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return resolveGatewayConfig(GatewayConfigValidator.validate(value));
}

/** The real adapters and the ApplyGuardrail client, sharing one Bedrock client pool. */
export function createProviders(): { providers: ProviderRegistry; guardrails: GuardrailApplier } {
  const pool = new BedrockClientPool();
  return {
    providers: { bedrock: new BedrockAdapter({ pool }), openai: new OpenAiAdapter() },
    guardrails: new BedrockGuardrailClient({ pool }),
  };
}

/**
 * A gateway over a resolved configuration with the real adapters; options override the defaults
 * (tests pass their own usage sink, clock or adapters).
 */
export function createGateway(config: ResolvedGatewayConfig, options: Partial<GatewayOptions> = {}): Gateway {
  const real = options.providers ? undefined : createProviders();
  return new Gateway({
    ...options,
    config,
    providers: options.providers ?? real!.providers,
    guardrails: options.guardrails ?? real?.guardrails,
  });
}
