/**
 * Stage: route selection. Resolves `auto` through the automatic routing rules, then orders the
 * route's targets (its fallback chain) and drops those that cannot serve this request: a Bedrock
 * target without a profile for this tenant, a target of the other kind (an embedding model for a
 * chat request, or the reverse), a target that does not serve the request's latency class, a
 * target that lacks a capability the request needs (tools, enforced structured output, images, logprobs:
 * `capabilities` of the target, one check: `missingCapability`), a target whose worst-case cost exceeds the request's maximum
 * cost, a target whose circuit is open. The guardrail is the tenant's, else the route's.
 *
 * Each candidate carries the request's cost bound on it (`estimatedCostUsd`): its input-token
 * bound (../providers/token-bound.ts, from the texts its adapter sends) at the highest input price,
 * plus its output limit — the client's `max_tokens`, or `limits.maxTokensCap`, lowered to the
 * target's `maxOutputTokens` — at the output price. Every call to the target carries that limit.
 *
 * Capabilities (../../shared/config-capabilities.ts): a request with images skips targets without
 * `images`; a request that asks for a service tier skips targets that do not offer it. Each
 * candidate carries its service tier (the request's, else the route's where the target offers
 * it) with the price of that tier (`ModelPrice.tierMultipliers`), and the route's cache-point
 * placement on targets with `promptCaching`.
 */
import { RouteConfig, Sensitivity, TargetKind } from '../../shared/config';
import { bedrockEmbeddingFamily, servesEmbeddings } from '../../shared/embedding-models';
import { TargetCapability } from '../../shared/config-capabilities';
import { ServiceTier } from '../../shared/config-surface';
import { ResolvedGatewayConfig, ResolvedPrice, ResolvedTarget } from '../../shared/defaults';
import { AUTO_ALIAS } from '../../shared/schema';
import { InvalidRequestError, PermissionDeniedError, ServiceUnavailableError, UpstreamError } from '../errors';
import { addedPromptTexts as bedrockAddedTexts } from '../providers/bedrock/mapping';
import { addedPromptTexts as openAiAddedTexts } from '../providers/openai/mapping';
import { inputTokenBound, requestTokenBound } from '../providers/token-bound';
import { CachePlacement, ProviderRequest, Target } from '../providers/types';
import { CircuitBreakers } from '../reliability/circuit-breaker';
import { batchPrice, worstCaseCostUsd } from '../usage/cost';
import {
  Candidate, ChatRequest, ChosenGuardrail, PolicyDecision, RoutePlan, RoutingHints, SkipReason, TenantContext,
} from './types';

export interface RouteSelectionInput {
  readonly tenant: TenantContext;
  readonly request: ChatRequest;
  readonly hints: RoutingHints;
  readonly policy: PolicyDecision;
  readonly config: ResolvedGatewayConfig;
  readonly breakers: CircuitBreakers;
  /** Environment variables (upstream API keys named by `apiKeyEnv`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A batch line: every target at its batch price (usage/cost.ts `batchPrice`). @default false */
  readonly batchPricing?: boolean;
  /** A batch line a self-hosted Job answered: every target at this price (the Job's GPU hours per token). @default the price table's */
  readonly linePrice?: ResolvedPrice;
}

function chooseGuardrail(tenant: TenantContext, route: RouteConfig, config: ResolvedGatewayConfig): ChosenGuardrail | undefined {
  const id = tenant.guardrail ?? route.guardrail;
  if (id === undefined) return undefined;
  const ref = config.guardrails.get(id);
  return ref ? { id, ...ref } : undefined;
}

/** The adapter's view of a target for this tenant, or undefined when it cannot serve the tenant. */
export function providerTarget(
  t: ResolvedTarget, tenantId: string, guardrail: ChosenGuardrail | undefined, env: Readonly<Record<string, string | undefined>>,
): Target | undefined {
  if (t.kind === TargetKind.BEDROCK) {
    const modelId = t.profileArns !== undefined
      ? (Object.prototype.hasOwnProperty.call(t.profileArns, tenantId) ? t.profileArns[tenantId] : undefined)
      : t.modelId;
    if (modelId === undefined) return undefined;
    return {
      kind: 'bedrock',
      id: t.id,
      modelId,
      ...(t.region !== undefined ? { region: t.region } : {}),
      ...(t.endpoint !== undefined ? { endpoint: t.endpoint } : {}),
      ...(guardrail ? { guardrail: { identifier: guardrail.identifier, version: guardrail.version } } : {}),
      ...(servesEmbeddings(t) ? { embeddingFamily: bedrockEmbeddingFamily(t.priceModelId) } : {}),
      ...(t.resolvedCapabilities.nativeStructuredOutputs ? { structuredOutputs: true } : {}),
    };
  }
  const apiKey = t.apiKeyEnv !== undefined ? env[t.apiKeyEnv] : undefined;
  return { kind: 'openai', id: t.id, baseUrl: t.baseUrl!, model: t.model!, ...(apiKey ? { apiKey } : {}) };
}

/**
 * The input-token bound of `request` on `target`: its texts and the texts the target's adapter adds
 * (../providers/token-bound.ts).
 *
 * @example const tokens = inputTokensBoundOn(candidate.target, providerRequest);
 */
export function inputTokensBoundOn(target: Target, request: ProviderRequest, base?: number): number {
  return inputTokenBound(request, target.kind === 'bedrock' ? bedrockAddedTexts(target, request) : openAiAddedTexts(request), base);
}

/**
 * `request` as `candidate` may receive it within its reservation. A gateway-side input guardrail
 * can replace the latest turn with masked text longer than the original (`{EMAIL}` for `a@b.c`), so
 * the input can outgrow the bound the reservation was made with; the output limit is then lowered
 * until the call's worst case is back within `candidate.estimatedCostUsd`. When not even one output
 * token fits, the call is refused (a client error: the request is too large for its reservation).
 *
 * @example callRequest = fitToReservation(candidate, maskedRequest);
 */
export function fitToReservation(candidate: Candidate, raw: ProviderRequest): ProviderRequest {
  const request = withOutputLimit(candidate, raw);
  const input = inputTokensBoundOn(candidate.target, request);
  if (input <= candidate.estimatedInputTokens) return request;
  const fits = (maxTokens: number): boolean => worstCaseCostUsd(input, maxTokens, candidate.price) <= candidate.estimatedCostUsd;
  if (fits(request.maxTokens)) return request;
  const perToken = candidate.price.outputUsdPer1K / 1000;
  const excess = worstCaseCostUsd(input, request.maxTokens, candidate.price) - candidate.estimatedCostUsd;
  let maxTokens = perToken > 0 ? request.maxTokens - Math.ceil(excess / perToken) : 0;
  while (maxTokens >= 1 && !fits(maxTokens)) maxTokens--;
  if (maxTokens < 1) {
    throw new UpstreamError(`the guardrail's masked input (${input} tokens at most) leaves no output within the request's reservation`, {
      disposition: 'client', code: 'inputExceedsReservation',
    });
  }
  return { ...request, maxTokens };
}

/**
 * `request` as `candidate`'s target is called with: its output limit (`withOutputLimit`), its
 * service tier and its cache-point placement.
 *
 * @example adapter.complete(target, targetRequest(candidate, request), options)
 */
export function targetRequest(candidate: Candidate, request: ProviderRequest): ProviderRequest {
  const limited = withOutputLimit(candidate, request);
  if (candidate.serviceTier === undefined && candidate.cache === undefined) return limited;
  return {
    ...limited,
    ...(candidate.serviceTier !== undefined ? { serviceTier: candidate.serviceTier } : {}),
    ...(candidate.cache !== undefined ? { cache: candidate.cache } : {}),
  };
}

/** Whether the request holds an image (decoded, or a URL still to fetch). */
export function hasImages(request: Pick<ChatRequest, 'messages'>): boolean {
  return request.messages.some((m) => (m.parts ?? []).some((p) => p.type !== 'text'));
}

/** `price` at service tier `tier`: every token price times the tier's factor. */
export function priceAtTier(price: ResolvedPrice, tier: ServiceTier | undefined): ResolvedPrice {
  const factor = tier === undefined || tier === ServiceTier.DEFAULT ? 1 : price.tierMultipliers?.[tier];
  if (factor === undefined || factor === 1) return price;
  return {
    ...price,
    inputUsdPer1K: price.inputUsdPer1K * factor,
    outputUsdPer1K: price.outputUsdPer1K * factor,
    cacheReadUsdPer1K: price.cacheReadUsdPer1K * factor,
    cacheWriteUsdPer1K: price.cacheWriteUsdPer1K * factor,
  };
}

/**
 * The tier a target is called at, or `null` when the request asks for a tier the target does not
 * offer: the request's tier, else the route's where the target offers it, else none (default).
 */
function tierOn(t: ResolvedTarget, requested: ServiceTier | undefined, route: RouteConfig): ServiceTier | undefined | null {
  const offers = (tier: ServiceTier): boolean => tier === ServiceTier.DEFAULT || (t.capabilities?.serviceTiers ?? []).includes(tier);
  if (requested !== undefined) return offers(requested) ? requested : null;
  const preferred = route.serviceTier;
  return preferred !== undefined && preferred !== ServiceTier.DEFAULT && offers(preferred) ? preferred : undefined;
}

/** The route's cache-point placement on `t`, when the route caches and `t` supports it. */
function cacheOn(t: ResolvedTarget, route: RouteConfig): CachePlacement | undefined {
  const caching = route.promptCaching;
  if (!caching || t.kind !== TargetKind.BEDROCK || t.capabilities?.promptCaching !== true) return undefined;
  return {
    afterSystem: caching.afterSystem ?? true,
    afterTools: caching.afterTools ?? true,
    ...(caching.afterMessages !== undefined ? { afterTurns: caching.afterMessages } : {}),
    afterPromptPrefix: caching.afterPromptPrefix ?? true,
  };
}

/**
 * `request` with the output limit of `candidate` (its target's `maxOutputTokens`, when lower than
 * the request's): what the target is called with.
 *
 * @example adapter.complete(target, withOutputLimit(candidate, request), options)
 */
export function withOutputLimit(candidate: Candidate, request: ProviderRequest): ProviderRequest {
  return request.maxTokens > candidate.maxOutputTokens ? { ...request, maxTokens: candidate.maxOutputTokens } : request;
}

/** What the adapters receive of `request`, for the bound (attribution metadata carries no tokens). */
function boundRequest(request: ChatRequest, maxTokens: number): ProviderRequest {
  return {
    requestId: '',
    system: request.system,
    messages: request.messages,
    metadata: {},
    maxTokens,
    ...(request.responseFormat !== undefined ? { responseFormat: request.responseFormat } : {}),
    ...(request.tools !== undefined ? { tools: request.tools } : {}),
  };
}

function modelOf(target: Target): string {
  return target.kind === 'bedrock' ? target.modelId : target.model;
}

type Skipped = RoutePlan['skipped'][number];

interface Attempted {
  readonly plan: RoutePlan;
  readonly route: RouteConfig;
}

/** What a plan reserves for: the kind of request, its output limit and its input bound on a target. */
export interface PlanBound {
  /** An embeddings request (served only by embedding targets) rather than a chat request. */
  readonly embeddings: boolean;
  /** The chat request, whose needs (tools, structured output) the targets' capabilities must meet. @default an embeddings request */
  readonly request?: ChatRequest;
  readonly outputTokens: number;
  inputTokensOn(target: Target): number;
}

/** A chat request's bound: the client's output limit (or the cap) and the texts each adapter sends. */
function chatBound(request: ChatRequest, config: ResolvedGatewayConfig): PlanBound {
  // The effective output limit: sent to every target, and reserved in full.
  const outputTokens = request.maxTokens ?? config.limits.maxTokensCap;
  const forBound = boundRequest(request, outputTokens);
  const base = requestTokenBound(forBound);
  return { embeddings: false, request, outputTokens, inputTokensOn: (target) => inputTokensBoundOn(target, forBound, base) };
}

function plan(
  input: Omit<RouteSelectionInput, 'request'>, route: RouteConfig & { restrictedAllowed: boolean }, bound: PlanBound,
): Attempted {
  const { tenant, policy, config, breakers, hints } = input;
  const guardrail = chooseGuardrail(tenant, route, config);
  const outputTokens = bound.outputTokens;
  const candidates: Candidate[] = [];
  const skipped: Skipped[] = [];
  let maxInputTokens = 0;
  const request = bound.request;
  const images = request !== undefined && hasImages(request);
  for (const id of route.targets) {
    const t = config.targets.get(id)!;
    const target = providerTarget(t, tenant.tenantId, guardrail, input.env);
    const tier = tierOn(t, request?.serviceTier, route);
    const listed = config.prices.get(t.priceModelId)!;
    const price = input.linePrice ?? priceAtTier(input.batchPricing === true ? batchPrice(listed) : listed, tier ?? undefined);
    const maxOutputTokens = Math.min(outputTokens, t.maxOutputTokens ?? outputTokens);
    const inputTokens = target ? bound.inputTokensOn(target) : 0;
    maxInputTokens = Math.max(maxInputTokens, inputTokens);
    const estimatedCostUsd = target ? worstCaseCostUsd(inputTokens, maxOutputTokens, price) : 0;
    let reason: SkipReason | undefined;
    if (!target) reason = 'no_profile_for_tenant';
    else if (servesEmbeddings(t) !== bound.embeddings) reason = 'wrong_capability';
    else if (policy.sensitivity === Sensitivity.RESTRICTED && !t.restrictedAllowed) reason = 'not_restricted';
    else if (request !== undefined && missingCapability(t, request, images) !== undefined) reason = 'missing_capability';
    else if (tier === null) reason = 'service_tier';
    else if (!t.latencyClasses.includes(policy.latencyClass)) reason = 'latency_class';
    else if (hints.maxCostUsd !== undefined && estimatedCostUsd > hints.maxCostUsd) reason = 'max_cost';
    else if (!breakers.isAvailable(`${t.id}|${modelOf(target)}`)) reason = 'circuit_open';
    if (reason || !target) {
      skipped.push({ targetId: id, reason: reason ?? 'no_profile_for_tenant', estimatedCostUsd });
      continue;
    }
    const cache = cacheOn(t, route);
    candidates.push({
      config: t, target, price, breakerKey: `${t.id}|${modelOf(target)}`, estimatedCostUsd, estimatedInputTokens: inputTokens, maxOutputTokens,
      ...(tier ? { serviceTier: tier } : {}),
      ...(cache ? { cache } : {}),
    });
  }
  return {
    route,
    plan: {
      alias: route.alias,
      primaryTargetId: route.targets[0],
      candidates,
      skipped,
      ...(guardrail ? { guardrail } : {}),
      estimatedInputTokens: maxInputTokens,
      estimatedOutputTokens: outputTokens,
    },
  };
}

function fmtUsd(n: number): string {
  return `$${n.toFixed(6).replace(/0+$/, '').replace(/\.$/, '')}`;
}

/** The error for a route none of whose targets can take the request. */
function noCandidates(attempt: Attempted, input: Omit<RouteSelectionInput, 'request'>, request: ChatRequest | undefined): Error {
  const { plan: p } = attempt;
  const reasons = new Set(p.skipped.map((s) => s.reason));
  if (reasons.has('wrong_capability') && p.skipped.every((s) => s.reason === 'wrong_capability' || s.reason === 'no_profile_for_tenant')) {
    const embeddingModel = servesEmbeddings(input.config.targets.get(p.skipped.find((s) => s.reason === 'wrong_capability')!.targetId)!);
    return new InvalidRequestError(embeddingModel
      ? `The model '${p.alias}' is an embedding model: call POST /v1/embeddings, not chat completions.`
      : `The model '${p.alias}' is a chat model: call POST /v1/chat/completions, or name an embedding model for embeddings.`,
    'model_not_supported', 'model');
  }
  if (reasons.has('circuit_open')) {
    const waits = p.skipped.filter((s) => s.reason === 'circuit_open').map((s) => {
      const t = input.config.targets.get(s.targetId)!;
      const target = providerTarget(t, input.tenant.tenantId, undefined, input.env);
      return target ? input.breakers.retryAfterMs(`${t.id}|${modelOf(target)}`) : 0;
    });
    return new ServiceUnavailableError(
      `The model '${p.alias}' is temporarily unavailable; retry later.`, 'targets_unavailable', Math.max(1, Math.min(...waits) / 1000));
  }
  if (reasons.has('max_cost')) {
    const cheapest = Math.min(...p.skipped.filter((s) => s.reason === 'max_cost').map((s) => s.estimatedCostUsd));
    return new InvalidRequestError(
      `The model '${p.alias}' may cost up to ${fmtUsd(cheapest)} for this request (at most ${p.estimatedInputTokens} input tokens, `
      + `${p.estimatedOutputTokens} output tokens allowed), above the maximum cost of ${fmtUsd(input.hints.maxCostUsd!)}. `
      + 'Lower max_tokens or raise the maximum cost.', 'max_cost_exceeded', 'max_cost_usd');
  }
  if (reasons.has('service_tier')) {
    return new InvalidRequestError(
      `The model '${p.alias}' does not offer the service tier '${request?.serviceTier}'; omit service_tier or use 'auto' or 'default'.`,
      'service_tier_not_offered', 'service_tier');
  }
  if (reasons.has('latency_class')) {
    return new InvalidRequestError(
      `The model '${p.alias}' does not serve the latency class '${input.policy.latencyClass}'.`, 'latency_class_not_served', 'latency_class');
  }
  if (reasons.has('missing_capability') && request !== undefined) {
    const images = hasImages(request);
    const missing = p.skipped.map((s) => missingCapability(input.config.targets.get(s.targetId)!, request, images)).find((c) => c !== undefined)!;
    if (missing === TargetCapability.IMAGES) {
      return new InvalidRequestError(
        `The model '${p.alias}' does not accept images (no target of the route has the images capability); send text only or use another model.`,
        'images_not_supported', 'messages');
    }
    const param = CAPABILITY_PARAMS[missing];
    return new InvalidRequestError(
      `The model '${p.alias}' has no target that supports ${CAPABILITY_NAMES[missing]}, which this request needs ('${param}'); `
      + 'use a model whose targets do, or leave the parameter out.', 'capability_not_supported', param);
  }
  return new PermissionDeniedError(`The model '${p.alias}' cannot serve this tenant or this data.`, 'no_eligible_target', 'model');
}

const CAPABILITY_NAMES: Record<TargetCapability, string> = {
  [TargetCapability.TOOLS]: 'tool calls',
  [TargetCapability.IMAGES]: 'image input',
  [TargetCapability.STRUCTURED_OUTPUTS]: "enforced structured output (response_format 'json_schema')",
  [TargetCapability.LOGPROBS]: 'token log probabilities (Bedrock Converse has none)',
};

/** The request parameter that needs each capability, named in the error. */
const CAPABILITY_PARAMS: Record<TargetCapability, string> = {
  [TargetCapability.TOOLS]: 'tools',
  [TargetCapability.IMAGES]: 'messages',
  [TargetCapability.STRUCTURED_OUTPUTS]: 'response_format',
  [TargetCapability.LOGPROBS]: 'logprobs',
};

/**
 * The first capability `request` needs that target `t` lacks, or undefined when it has them all:
 * tools offered to the model (`tool_choice` other than `none`) need `tools`; a `json_schema`
 * response format needs `structuredOutputs`; image parts (`images`: `hasImages(request)`) need
 * `images`; `logprobs` needs `logprobs`. Embedding models and service tiers are checked apart (`wrong_capability`, `service_tier`).
 *
 * @example missingCapability(target, { ...request, tools }, false) // TargetCapability.TOOLS
 */
export function missingCapability(
  t: ResolvedTarget, request: Pick<ChatRequest, 'tools' | 'responseFormat' | 'logprobs'>, images: boolean,
): TargetCapability | undefined {
  const caps = t.resolvedCapabilities;
  if (request.tools !== undefined && request.tools.choice.type !== 'none' && !caps.tools) return TargetCapability.TOOLS;
  if (request.responseFormat?.type === 'json_schema' && !caps.structuredOutputs) return TargetCapability.STRUCTURED_OUTPUTS;
  if (images && t.capabilities?.images !== true) return TargetCapability.IMAGES;
  if (request.logprobs !== undefined && !caps.logprobs) return TargetCapability.LOGPROBS;
  return undefined;
}

/**
 * Chooses the route and its candidate targets. Throws `InvalidRequestError` (no route or target
 * fits the request), `PermissionDeniedError` (nothing cleared for it) or `ServiceUnavailableError`
 * (every eligible target's circuit is open, with the time until one reopens).
 *
 * @example
 * const plan = selectRoute({ tenant, request, hints, policy, config, breakers, env: process.env });
 */
export function selectRoute(input: RouteSelectionInput): RoutePlan {
  const { config, tenant, request, policy, hints } = input;
  const bound = chatBound(request, config);
  if (request.model !== AUTO_ALIAS) {
    const attempt = plan(input, config.routes.get(request.model)!, bound);
    if (attempt.plan.candidates.length === 0) throw noCandidates(attempt, input, request);
    return attempt.plan;
  }
  let firstFailure: Attempted | undefined;
  let restrictedBlocked = false;
  for (const rule of config.autoRouting) {
    if (!tenant.allowedAliases.has(rule.alias)) continue;
    if (rule.workflows && !(hints.workflow !== undefined && rule.workflows.includes(hints.workflow))) continue;
    if (rule.latencyClasses && !rule.latencyClasses.includes(policy.latencyClass)) continue;
    if (rule.sensitivities && !rule.sensitivities.includes(policy.sensitivity)) continue;
    if (rule.maxCostUsdAtMost !== undefined && !(hints.maxCostUsd !== undefined && hints.maxCostUsd <= rule.maxCostUsdAtMost)) continue;
    const route = config.routes.get(rule.alias)!;
    if (policy.sensitivity === Sensitivity.RESTRICTED && !route.restrictedAllowed) {
      restrictedBlocked = true;
      continue;
    }
    const attempt = plan(input, route, bound);
    if (attempt.plan.candidates.length > 0) return attempt.plan;
    firstFailure ??= attempt;
  }
  if (firstFailure) throw noCandidates(firstFailure, input, request);
  if (restrictedBlocked) {
    throw new PermissionDeniedError('No model cleared for restricted data matches this request.', 'route_not_cleared', 'model');
  }
  throw new InvalidRequestError(
    "No automatic routing rule matches this request; name a model instead of 'auto'.", 'no_route_matched', 'model');
}

/**
 * The plan of a request on one named route with its own bound (an embeddings request: no `auto`,
 * see ./embeddings.ts). Throws as `selectRoute` does when no target can take it.
 *
 * @example const plan = planNamedRoute({ tenant, hints, policy, config, breakers, env }, 'embed', bound);
 */
export function planNamedRoute(input: Omit<RouteSelectionInput, 'request'>, alias: string, bound: PlanBound): RoutePlan {
  const attempt = plan(input, input.config.routes.get(alias)!, bound);
  if (attempt.plan.candidates.length === 0) throw noCandidates(attempt, input, bound.request);
  return attempt.plan;
}
