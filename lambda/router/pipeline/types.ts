/** The typed values that flow between the pipeline's stages. */
import { LatencyClass, Sensitivity } from '../../shared/config';
import { ResolvedPrice, ResolvedTarget } from '../../shared/defaults';
import { ChatTurn, ResponseFormat, Target } from '../providers/types';

/** A chat completion request after parsing and validation (the output of parse.ts). */
export interface ChatRequest {
  /** The alias the client asked for, or `auto`. */
  readonly model: string;
  readonly system: readonly string[];
  /** At least one turn; starts and ends with a user turn; roles alternate. */
  readonly messages: readonly ChatTurn[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stop?: readonly string[];
  readonly stream: boolean;
  /** `stream_options.include_usage`: send a usage chunk before `[DONE]`. */
  readonly includeUsage: boolean;
  readonly responseFormat?: ResponseFormat;
  /** The request's `metadata` (validated string map). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly user?: string;
  /** Characters of all system and message text, for estimates. */
  readonly inputChars: number;
}

/** Routing hints from headers or `metadata` (the output of hints.ts). */
export interface RoutingHints {
  readonly workflow?: string;
  readonly latencyClass?: LatencyClass;
  readonly sensitivity?: Sensitivity;
  readonly maxCostUsd?: number;
  readonly promptId?: string;
  readonly promptVersion?: string;
}

/** The caller, established by tenant.ts. */
export interface TenantContext {
  readonly tenantId: string;
  readonly tier: string;
  readonly keyId?: string;
  /** Aliases this caller may use: the tenant's, narrowed by the key's own list if it has one. */
  readonly allowedAliases: ReadonlySet<string>;
  readonly sensitivityClearance: Sensitivity;
  readonly defaultSensitivity: Sensitivity;
  /** The tenant's own guardrail id, if any. */
  readonly guardrail?: string;
}

/** What tenant policy decided (the output of policy.ts). */
export interface PolicyDecision {
  readonly sensitivity: Sensitivity;
  readonly latencyClass: LatencyClass;
}

/** A guardrail version chosen for a request. */
export interface ChosenGuardrail {
  /** The id in the configuration's `guardrails`. */
  readonly id: string;
  readonly identifier: string;
  readonly version: string;
  readonly region?: string;
  readonly endpoint?: string;
}

/** A target that may serve the request, resolved for this tenant. */
export interface Candidate {
  readonly config: ResolvedTarget;
  /** What the provider adapter receives (the tenant's profile ARN already chosen). */
  readonly target: Target;
  readonly price: ResolvedPrice;
  /** The circuit breaker key: target id and the model it calls (per-tenant profiles break apart). */
  readonly breakerKey: string;
  /** Worst-case cost estimate of this request on this target, in USD. */
  readonly estimatedCostUsd: number;
}

/** Why a target of the route was not tried. */
export type SkipReason = 'no_profile_for_tenant' | 'latency_class' | 'max_cost' | 'circuit_open' | 'not_restricted' | 'forced_fallback' | 'target_suspended';

/** The route chosen and its candidate targets in fallback order (the output of route.ts). */
export interface RoutePlan {
  readonly alias: string;
  readonly candidates: readonly Candidate[];
  readonly skipped: readonly { readonly targetId: string; readonly reason: SkipReason }[];
  /** The guardrail of this request: the tenant's, else the route's. */
  readonly guardrail?: ChosenGuardrail;
  /** Output tokens assumed by estimates: `max_tokens`, or the configured cap. */
  readonly estimatedOutputTokens: number;
  readonly estimatedInputTokens: number;
}
