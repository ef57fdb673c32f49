/**
 * Gateway configurations for router tests: one valid configuration covering every kind of target,
 * and the API keys of its local-mode tenants.
 */
import { createHash } from 'node:crypto';
import { GatewayConfig, LatencyClass, Sensitivity, TargetKind } from '../../lambda/shared/config';
import { resolveGatewayConfig, ResolvedGatewayConfig } from '../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../lambda/shared/validator';

export const ACME_KEY = 'sk-test-acme-1';
export const GLOBEX_KEY = 'sk-test-globex-1';
export const INITECH_KEY = 'sk-test-initech-1';

export const ACME_PROFILE = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/acmeprofile1';
export const GLOBEX_PROFILE = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/globexprofile1';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Endpoints the targets point at (loopback fakes in wire-level tests). */
export interface Endpoints {
  readonly bedrock?: string;
  readonly openai?: string;
  readonly openaiFallback?: string;
}

/**
 * A valid configuration:
 * - tenants `acme` (restricted clearance, guardrail), `globex` (internal), `initech` (public only, `chat` only)
 * - targets `vllm` (OpenAI-compatible), `vllm-backup`, `bedrock-nova` (shared model id),
 *   `bedrock-sonnet` (per-tenant application inference profiles), `bedrock-secure` (restricted)
 * - routes `chat` (vllm → bedrock-nova), `summary` (bedrock-sonnet), `secure` (restricted),
 *   `batch-only` (vllm-backup serving batch only), `guarded` (vllm with a guardrail)
 */
export function testConfig(endpoints: Endpoints = {}): GatewayConfig {
  const bedrockEndpoint = endpoints.bedrock ? { endpoint: endpoints.bedrock } : {};
  return {
    tenants: [
      { id: 'acme', tier: 'premium', allowedAliases: ['chat', 'summary', 'secure', 'batch-only', 'guarded'], sensitivityClearance: Sensitivity.RESTRICTED },
      { id: 'globex', allowedAliases: ['chat', 'summary', 'guarded'] },
      { id: 'initech', allowedAliases: ['chat'], sensitivityClearance: Sensitivity.PUBLIC },
    ],
    targets: [
      { id: 'vllm', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: endpoints.openai ?? 'http://127.0.0.1:9/v1', model: 'qwen3-8b' },
      { id: 'vllm-backup', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: endpoints.openaiFallback ?? endpoints.openai ?? 'http://127.0.0.1:9/v1', model: 'qwen3-8b-backup', latencyClasses: [LatencyClass.BATCH] },
      { id: 'bedrock-nova', kind: TargetKind.BEDROCK, modelId: 'amazon.nova-lite-v1:0', region: 'us-east-1', ...bedrockEndpoint },
      {
        id: 'bedrock-sonnet', kind: TargetKind.BEDROCK, region: 'us-east-1', ...bedrockEndpoint,
        profileArns: { acme: ACME_PROFILE, globex: GLOBEX_PROFILE },
        priceModelId: 'anthropic.claude-sonnet-4',
      },
      { id: 'bedrock-secure', kind: TargetKind.BEDROCK, modelId: 'amazon.nova-pro-v1:0', region: 'us-east-1', restrictedAllowed: true, ...bedrockEndpoint },
    ],
    routes: [
      { alias: 'chat', targets: ['vllm', 'bedrock-nova'], description: 'General chat' },
      { alias: 'summary', targets: ['bedrock-sonnet'] },
      { alias: 'secure', targets: ['bedrock-secure'], restrictedAllowed: true },
      { alias: 'batch-only', targets: ['vllm-backup'] },
      { alias: 'guarded', targets: ['vllm'], guardrail: 'pii' },
    ],
    autoRouting: [
      { alias: 'secure', sensitivities: [Sensitivity.RESTRICTED] },
      { alias: 'summary', workflows: ['summarise'] },
      { alias: 'chat' },
    ],
    prices: {
      'qwen3-8b': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002 },
      'qwen3-8b-backup': { inputUsdPer1K: 0.0001, outputUsdPer1K: 0.0002 },
      'amazon.nova-lite-v1:0': { inputUsdPer1K: 0.00006, outputUsdPer1K: 0.00024 },
      'amazon.nova-pro-v1:0': { inputUsdPer1K: 0.0008, outputUsdPer1K: 0.0032 },
      'anthropic.claude-sonnet-4': { inputUsdPer1K: 0.003, outputUsdPer1K: 0.015, cacheReadUsdPer1K: 0.0003, cacheWriteUsdPer1K: 0.00375 },
    },
    guardrails: { pii: { identifier: 'gr1abc', version: '2', region: 'us-east-1', ...bedrockEndpoint } },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 20 },
    timeouts: { connectMs: 500, totalMs: 5000 },
    circuitBreaker: { failureThreshold: 5, cooldownMs: 60_000 },
    localKeys: { [sha256(ACME_KEY)]: 'acme', [sha256(GLOBEX_KEY)]: 'globex', [sha256(INITECH_KEY)]: 'initech' },
  };
}

/** Validates and resolves a configuration (throws on a mistake in a test fixture). */
export function resolved(config: GatewayConfig = testConfig()): ResolvedGatewayConfig {
  return resolveGatewayConfig(GatewayConfigValidator.validate(config));
}

/** A deep copy with `patch` applied to the raw JSON, for negative validation tests. */
export function mutate(patch: (draft: Record<string, unknown>) => void, base: GatewayConfig = testConfig()): unknown {
  const draft = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  patch(draft);
  return draft;
}

/**
 * Sets environment variables and returns a function that restores exactly what was there before
 * (deleting the ones that were unset).
 *
 * @example
 * const restore = setEnv({ AWS_REGION: 'us-east-1', AWS_PROFILE: undefined });
 * afterAll(restore);
 */
export function setEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** Fake AWS credentials for SDK clients that talk to loopback fakes. */
export const FAKE_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example', AWS_REGION: 'us-east-1', AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined,
};

/**
 * The error `fn` throws when it is a `type`; another error is rethrown and no error at all fails
 * the test, so the caller can assert on the error's fields.
 *
 * @example
 * const e = thrownBy(GatewayError, () => resolveTenant(source, {}, config));
 */
export function thrownBy<E extends Error>(type: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name} to be thrown`);
}
