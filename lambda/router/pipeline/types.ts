/** The typed values that flow between the pipeline's stages. */
import { LatencyClass, Sensitivity } from '../../shared/config';
import { ServiceTier } from '../../shared/config-surface';
import { ResolvedPrice, ResolvedTarget } from '../../shared/defaults';
import { CachePlacement, ChatTurn, LogprobsRequest, ResponseFormat, Target, ToolRequest } from '../providers/types';
import type { RetrievalRequest } from '../retrieval/request';

/** A chat completion request after parsing and validation (the output of parse.ts). */
export interface ChatRequest {
  /** The alias the client asked for, or `auto`. */
  readonly model: string;
  readonly system: readonly string[];
  /** At least one turn; starts and ends with a user turn; roles alternate. */
  readonly messages: readonly ChatTurn[];
  /** The client's `max_tokens` / `max_completion_tokens` (route.ts applies the cap when absent). */
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stop?: readonly string[];
  readonly stream: boolean;
  /** `stream_options.include_usage`: send a usage chunk before `[DONE]`. */
  readonly includeUsage: boolean;
  readonly responseFormat?: ResponseFormat;
  /** `tools`, `tool_choice` and `parallel_tool_calls` (parse-tools.ts); absent: no tools. */
  readonly tools?: ToolRequest;
  /** The request's `metadata` (validated string map). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly user?: string;
  /** The body's `prompt` object, as the client sent it (parse.ts); prompt.ts resolves it. */
  readonly promptRef?: PromptReference;
  /** The prompt version the gateway resolved and rendered in front of `messages` (prompt.ts). */
  readonly prompt?: ResolvedPromptRef;
  /** The start of `system[0]` every request of that version repeats (prompt.ts), for a cache point. */
  readonly stablePrefix?: string;
  /** The body's `retrieval` object (parse.ts); pipeline/retrieval.ts runs it. */
  readonly retrieval?: RetrievalRequest;
  /**
   * The marker prompt.ts rendered in place of the template's `{{context}}` slot, replaced by the
   * passages (or nothing) once retrieval ran; absent when the template has no such slot.
   */
  readonly contextMarker?: string;
  readonly seed?: number;
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  /** `logprobs: true` (with `top_logprobs`): the answer carries token log probabilities. */
  readonly logprobs?: LogprobsRequest;
  /** The `service_tier` the client asked for (absent for `auto` or none: the route's tier). */
  readonly serviceTier?: ServiceTier;
}

/** A prompt named by a request: an id, a version number or label, and variable values. */
export interface PromptReference {
  readonly id: string;
  /** A version number such as "3", or a label such as "prod"; absent: the `prod` label, else the latest. */
  readonly version?: string;
  /** Variable values as sent (strings, numbers, booleans or `{type: "input_text", text}`). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** The prompt version a request was served with, as the gateway resolved it. */
export interface ResolvedPromptRef {
  readonly id: string;
  readonly version: number;
  /** The label that chose the version, if the request named one (or got `prod` by default). */
  readonly label?: string;
}

/** Routing hints from headers or `metadata` (the output of hints.ts). */
export interface RoutingHints {
  readonly workflow?: string;
  readonly latencyClass?: LatencyClass;
  readonly sensitivity?: Sensitivity;
  readonly maxCostUsd?: number;
  /** The prompt id the request names by header or metadata (a reference, resolved by prompt.ts). */
  readonly promptId?: string;
  /** The version number or label of that reference, if it has one. */
  readonly promptVersion?: string;
  /** Where the prompt reference came from (`x-gateway-prompt` or `metadata.prompt`), for errors. */
  readonly promptParam?: string;
  /** Prompt variables sent by header or metadata (a JSON object). */
  readonly promptVariables?: Readonly<Record<string, unknown>>;
  /** Where the variables came from, for errors. */
  readonly promptVariablesParam?: string;
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
  /** The lowest sensitivity of the caller's requests: the higher of the tenant's and the key's floor. */
  readonly sensitivityFloor: Sensitivity;
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
  /**
   * The most this request can cost on this target, in USD: `estimatedInputTokens` at the highest
   * input price (uncached, cache write, cache read) plus `maxOutputTokens` at the output price.
   */
  readonly estimatedCostUsd: number;
  /** The input-token bound of the request as this target's adapter sends it (providers/token-bound.ts). */
  readonly estimatedInputTokens: number;
  /** The output limit calls to this target carry: the plan's, lowered to the target's `maxOutputTokens`. */
  readonly maxOutputTokens: number;
  /** The service tier calls to this target use (`price` is that tier's). @default the default tier */
  readonly serviceTier?: ServiceTier;
  /** Where calls to this target place prompt-cache points. @default none */
  readonly cache?: CachePlacement;
}

/** Why a target of the route was not tried. */
export type SkipReason = 'no_profile_for_tenant' | 'missing_capability' | 'service_tier' | 'latency_class' | 'max_cost' | 'circuit_open' | 'not_restricted'
  | 'forced_fallback' | 'target_suspended'
  /** A chat request on an embedding model, or an embeddings request on a chat model. */
  | 'wrong_capability';

/** The route chosen and its candidate targets in fallback order (the output of route.ts). */
export interface RoutePlan {
  readonly alias: string;
  /**
   * The route's first target, whether or not it is a candidate: an answer from another target is
   * a fallback. Undefined: any skipped target makes the answer a fallback.
   */
  readonly primaryTargetId?: string;
  readonly candidates: readonly Candidate[];
  readonly skipped: readonly {
    readonly targetId: string;
    readonly reason: SkipReason;
    /** The request's cost bound on that target (0 when the target cannot serve the tenant). */
    readonly estimatedCostUsd: number;
  }[];
  /** The guardrail of this request: the tenant's, else the route's. */
  readonly guardrail?: ChosenGuardrail;
  /**
   * The output limit every target call carries and the reservation counts in full: the client's
   * `max_tokens` / `max_completion_tokens`, or `limits.maxTokensCap` when it sent none.
   */
  readonly estimatedOutputTokens: number;
  /** The largest input-token bound among the route's targets. */
  readonly estimatedInputTokens: number;
}
