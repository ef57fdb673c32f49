/**
 * The default values of the gateway configuration, in one place: the schema (and so the JSON
 * Schema's `default` keywords) and `resolveGatewayConfig` both read them.
 */
import {
  AutoRoutingRule, GatewayConfig, GuardrailRef, LatencyClass, ModelPrice, PromptConfig, PromptLabelConfig, PromptVersionConfig, RouteConfig,
  Sensitivity, TargetConfig, TenantConfig,
} from './config';
import { ResolvedKnowledgeSource, resolveKnowledgeSource } from './retrieval-defaults';
import { resolveCapabilities, ResolvedCapabilities } from './capability-defaults';

/** Default values of the optional settings. */
export const CONFIG_DEFAULTS = {
  tier: 'standard',
  sensitivityClearance: Sensitivity.INTERNAL,
  retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000 },
  timeouts: { connectMs: 3000, totalMs: 60_000 },
  circuitBreaker: { failureThreshold: 5, cooldownMs: 30_000 },
  limits: {
    maxBodyBytes: 1_048_576, maxMessages: 256, maxMessageChars: 200_000, maxTokensCap: 8192,
    // Bedrock's own limits: 3.75 MB per image, 20 images per message.
    maxImageBytes: 3_932_160, maxImagesPerRequest: 20, maxImageBytesPerRequest: 15_728_640,
  },
  /** How long an image fetch (a route's `imageFetch`) may take. */
  imageFetchTimeoutMs: 5000,
  promptVariableMaxLength: 10_000,
  /** The label a request that names no prompt version gets (else the highest version). */
  promptDefaultLabel: 'prod',
} as const;

/** The order of sensitivities, lowest first. */
export const SENSITIVITY_ORDER: readonly Sensitivity[] = [Sensitivity.PUBLIC, Sensitivity.INTERNAL, Sensitivity.RESTRICTED];

/** All latency classes. */
export const LATENCY_CLASSES: readonly LatencyClass[] = [LatencyClass.INTERACTIVE, LatencyClass.STANDARD, LatencyClass.BATCH];

/** Whether sensitivity `a` is above `b`. */
export function sensitivityAbove(a: Sensitivity, b: Sensitivity): boolean {
  return SENSITIVITY_ORDER.indexOf(a) > SENSITIVITY_ORDER.indexOf(b);
}

/** The higher of two sensitivities. */
export function maxSensitivity(a: Sensitivity, b: Sensitivity): Sensitivity {
  return sensitivityAbove(b, a) ? b : a;
}

/** Time limits with every value set (`firstTokenMs` stays optional: no limit by default). */
export interface ResolvedTimeouts {
  readonly connectMs: number;
  readonly firstTokenMs?: number;
  readonly totalMs: number;
}

export interface ResolvedTenant extends TenantConfig {
  readonly tier: string;
  readonly sensitivityClearance: Sensitivity;
  readonly defaultSensitivity: Sensitivity;
  readonly sensitivityFloor: Sensitivity;
}

export interface ResolvedTarget extends TargetConfig {
  readonly restrictedAllowed: boolean;
  readonly latencyClasses: LatencyClass[];
  readonly timeouts: ResolvedTimeouts;
  /** The key of `prices` for this target. */
  readonly priceModelId: string;
  /** What the target's model can do, the model family's defaults applied. */
  readonly resolvedCapabilities: ResolvedCapabilities;
}

export interface ResolvedRoute extends RouteConfig {
  readonly restrictedAllowed: boolean;
}

export interface ResolvedPrice {
  readonly inputUsdPer1K: number;
  readonly outputUsdPer1K: number;
  readonly cacheReadUsdPer1K: number;
  readonly cacheWriteUsdPer1K: number;
  /** Batch lines: input (cache reads and writes alike) and output per 1,000 tokens. @default the on-demand prices */
  readonly batch?: { readonly inputUsdPer1K: number; readonly outputUsdPer1K: number };
  /** Service tier → price factor (tiers other than `default`; absent: the tier is not priced). */
  readonly tierMultipliers?: Readonly<Record<string, number>>;
}

/** A prompt with its versions and labels indexed. */
export interface ResolvedPrompt {
  readonly id: string;
  readonly versions: ReadonlyMap<number, PromptVersionConfig>;
  readonly labels: ReadonlyMap<string, PromptLabelConfig>;
  /** The highest version number. */
  readonly latest: number;
}

/** A validated configuration with every default applied, as the router uses it. */
export interface ResolvedGatewayConfig {
  readonly tenants: ReadonlyMap<string, ResolvedTenant>;
  readonly targets: ReadonlyMap<string, ResolvedTarget>;
  readonly routes: ReadonlyMap<string, ResolvedRoute>;
  readonly autoRouting: readonly AutoRoutingRule[];
  readonly prices: ReadonlyMap<string, ResolvedPrice>;
  readonly guardrails: ReadonlyMap<string, GuardrailRef>;
  readonly retry: { readonly maxAttempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  readonly timeouts: ResolvedTimeouts;
  readonly circuitBreaker: { readonly failureThreshold: number; readonly cooldownMs: number };
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxMessages: number;
    readonly maxMessageChars: number;
    readonly maxTokensCap: number;
    readonly maxImageBytes: number;
    readonly maxImagesPerRequest: number;
    readonly maxImageBytesPerRequest: number;
  };
  /** Local mode: key SHA-256 (hex, lower case) → tenant id. */
  readonly localKeys: ReadonlyMap<string, string>;
  /** Prompts by id. */
  readonly prompts: ReadonlyMap<string, ResolvedPrompt>;
  /** Knowledge sources by id. */
  readonly knowledgeSources: ReadonlyMap<string, ResolvedKnowledgeSource>;
  /** How restricted data is admitted. */
  readonly restrictedData: { readonly requireApproval: boolean };
}

function resolvePrompt(p: PromptConfig): ResolvedPrompt {
  return {
    id: p.id,
    versions: new Map(p.versions.map((v) => [v.version, v])),
    labels: new Map(Object.entries(p.labels ?? {})),
    latest: Math.max(...p.versions.map((v) => v.version)),
  };
}

function resolvePrice(p: ModelPrice): ResolvedPrice {
  return {
    inputUsdPer1K: p.inputUsdPer1K,
    outputUsdPer1K: p.outputUsdPer1K,
    cacheReadUsdPer1K: p.cacheReadUsdPer1K ?? p.inputUsdPer1K,
    cacheWriteUsdPer1K: p.cacheWriteUsdPer1K ?? p.inputUsdPer1K,
    ...(p.batchInputUsdPer1K !== undefined || p.batchOutputUsdPer1K !== undefined
      ? { batch: { inputUsdPer1K: p.batchInputUsdPer1K ?? p.inputUsdPer1K, outputUsdPer1K: p.batchOutputUsdPer1K ?? p.outputUsdPer1K } }
      : {}),
    ...(p.tierMultipliers !== undefined ? { tierMultipliers: { ...p.tierMultipliers } } : {}),
  };
}

/**
 * Applies the defaults to a configuration that `GatewayConfigValidator` has accepted. Call it only
 * on a validated configuration: it does not check anything.
 *
 * @example
 * const resolved = resolveGatewayConfig(GatewayConfigValidator.validate(JSON.parse(text)));
 */
export function resolveGatewayConfig(config: GatewayConfig): ResolvedGatewayConfig {
  const timeouts: ResolvedTimeouts = {
    connectMs: config.timeouts?.connectMs ?? CONFIG_DEFAULTS.timeouts.connectMs,
    firstTokenMs: config.timeouts?.firstTokenMs,
    totalMs: config.timeouts?.totalMs ?? CONFIG_DEFAULTS.timeouts.totalMs,
  };
  const tenants = new Map<string, ResolvedTenant>();
  for (const t of config.tenants) {
    const clearance = t.sensitivityClearance ?? CONFIG_DEFAULTS.sensitivityClearance;
    const floor = t.sensitivityFloor ?? Sensitivity.PUBLIC;
    const fallbackDefault = maxSensitivity(sensitivityAbove(Sensitivity.INTERNAL, clearance) ? clearance : Sensitivity.INTERNAL, floor);
    tenants.set(t.id, {
      ...t,
      tier: t.tier ?? CONFIG_DEFAULTS.tier,
      sensitivityClearance: clearance,
      defaultSensitivity: t.defaultSensitivity ?? fallbackDefault,
      sensitivityFloor: floor,
    });
  }
  const targets = new Map<string, ResolvedTarget>();
  for (const t of config.targets) {
    targets.set(t.id, {
      ...t,
      restrictedAllowed: t.restrictedAllowed ?? false,
      latencyClasses: t.latencyClasses ?? [...LATENCY_CLASSES],
      timeouts: {
        connectMs: t.timeouts?.connectMs ?? timeouts.connectMs,
        firstTokenMs: t.timeouts?.firstTokenMs ?? timeouts.firstTokenMs,
        totalMs: t.timeouts?.totalMs ?? timeouts.totalMs,
      },
      priceModelId: priceKeyOf(t),
      resolvedCapabilities: resolveCapabilities(t.kind, t.modelId ?? priceKeyOf(t), t.capabilities),
    });
  }
  return {
    tenants,
    targets,
    routes: new Map(config.routes.map((r) => [r.alias, { ...r, restrictedAllowed: r.restrictedAllowed ?? false }])),
    autoRouting: config.autoRouting ?? [],
    prices: new Map(Object.entries(config.prices).map(([k, v]) => [k, resolvePrice(v)])),
    guardrails: new Map(Object.entries(config.guardrails ?? {})),
    retry: {
      maxAttempts: config.retry?.maxAttempts ?? CONFIG_DEFAULTS.retry.maxAttempts,
      baseDelayMs: config.retry?.baseDelayMs ?? CONFIG_DEFAULTS.retry.baseDelayMs,
      maxDelayMs: config.retry?.maxDelayMs ?? CONFIG_DEFAULTS.retry.maxDelayMs,
    },
    timeouts,
    circuitBreaker: {
      failureThreshold: config.circuitBreaker?.failureThreshold ?? CONFIG_DEFAULTS.circuitBreaker.failureThreshold,
      cooldownMs: config.circuitBreaker?.cooldownMs ?? CONFIG_DEFAULTS.circuitBreaker.cooldownMs,
    },
    limits: {
      maxBodyBytes: config.limits?.maxBodyBytes ?? CONFIG_DEFAULTS.limits.maxBodyBytes,
      maxMessages: config.limits?.maxMessages ?? CONFIG_DEFAULTS.limits.maxMessages,
      maxMessageChars: config.limits?.maxMessageChars ?? CONFIG_DEFAULTS.limits.maxMessageChars,
      maxTokensCap: config.limits?.maxTokensCap ?? CONFIG_DEFAULTS.limits.maxTokensCap,
      maxImageBytes: config.limits?.maxImageBytes ?? CONFIG_DEFAULTS.limits.maxImageBytes,
      maxImagesPerRequest: config.limits?.maxImagesPerRequest ?? CONFIG_DEFAULTS.limits.maxImagesPerRequest,
      maxImageBytesPerRequest: config.limits?.maxImageBytesPerRequest ?? CONFIG_DEFAULTS.limits.maxImageBytesPerRequest,
    },
    localKeys: new Map(Object.entries(config.localKeys ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    prompts: new Map((config.prompts ?? []).map((p) => [p.id, resolvePrompt(p)])),
    knowledgeSources: new Map((config.knowledgeSources ?? []).map((s) => [s.id, resolveKnowledgeSource(s)])),
    restrictedData: { requireApproval: config.restrictedData?.requireApproval ?? false },
  };
}

/** The key of `prices` that prices a target: `priceModelId`, else `modelId` or `model`. */
export function priceKeyOf(target: TargetConfig): string {
  return target.priceModelId ?? target.modelId ?? target.model ?? '';
}
