/**
 * Cold-start wiring shared by the Lambda entry and the local server: the configuration loaders
 * (see ./config-source) and the real provider adapters (one warm client pool per process).
 */
import { ResolvedGatewayConfig } from '../shared/defaults';
import { Gateway, GatewayOptions } from './gateway';
import { GuardrailApplier } from './pipeline/guardrail-types';
import { ProviderRegistry } from './pipeline/invoke';
import { BedrockAdapter } from './providers/bedrock/adapter';
import { BedrockGuardrailClient } from './providers/bedrock/apply-guardrail';
import { BedrockClientPool } from './providers/bedrock/client';
import { OpenAiAdapter } from './providers/openai/adapter';

// The configuration file (local mode and the CLI); the deployed router loads through
// `loadConfig` in ./config-source, which reads AWS AppConfig when the environment names it.
// (Imported from the modules, not the folder's index, so the CLI bundle leaves the AppConfig client out.)
export { loadGatewayConfig } from './config-source/file';
export { CONFIG_FILE_NAME, CONFIG_PATH_ENV, configPath } from './config-source/source';

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
