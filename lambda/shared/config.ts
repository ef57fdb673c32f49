/**
 * The gateway configuration: tenants, targets, routes, automatic routing, prices, guardrails and
 * the reliability and size policies of the router.
 *
 * This module is shared by the construct library (`lib/`, where these types are construct props)
 * and the router Lambda (`lambda/router/`, which reads the same configuration as JSON at cold
 * start). It is dependency-free and jsii-compatible: enums instead of string unions, readonly
 * structs, maps as `{ [key: string]: T }`, one interface per concept with optional per-kind fields
 * (checked by `GatewayConfigValidator`) instead of union types.
 */
import { KnowledgeSourceConfig, RouteRetrievalConfig } from './config-retrieval';
import { TargetCapabilities } from './config-capabilities';
import { ImageFetchConfig, PromptCachingConfig, ServiceTier } from './config-surface';
import { RestrictedDataPolicy } from './config-restricted';
import { ResponseValidationConfig } from './config-validation';

/** How quickly the caller needs the answer; a routing hint. */
export enum LatencyClass {
  /** A person is waiting for the answer (chat, autocomplete). */
  INTERACTIVE = 'interactive',
  /** An application is waiting, but not a person at a keyboard. */
  STANDARD = 'standard',
  /** Nobody is waiting: offline jobs that should use the cheapest capacity. */
  BATCH = 'batch',
}

/** The data sensitivity of a request, lowest to highest. */
export enum Sensitivity {
  /** Public data. */
  PUBLIC = 'public',
  /** Internal data: the default for a request that does not say. */
  INTERNAL = 'internal',
  /** Regulated or confidential data: only reaches routes marked `restrictedAllowed`, never logged. */
  RESTRICTED = 'restricted',
}

/** The kind of model endpoint a target is. */
export enum TargetKind {
  /** Amazon Bedrock through Converse/ConverseStream: a model id, an inference profile id or ARN. */
  BEDROCK = 'bedrock',
  /** An HTTP server speaking OpenAI Chat Completions (vLLM, a local server). */
  OPENAI_COMPATIBLE = 'openai-compatible',
}

/** A tenant: one customer or internal team whose calls are attributed, limited and billed together. */
export interface TenantConfig {
  /**
   * The tenant's id: lower-case letters, digits, `-`, `_` and `.`, starting with a letter or
   * digit, at most 64 characters. It appears in usage records, metrics and cost allocation.
   */
  readonly id: string;

  /**
   * The tenant's tier, for usage plans and reporting.
   * @default "standard"
   */
  readonly tier?: string;

  /** The route aliases this tenant may call (each must be a route's `alias`). */
  readonly allowedAliases: string[];

  /**
   * The most sensitive data this tenant may send. A request labelled above it is refused (403).
   * @default Sensitivity.INTERNAL
   */
  readonly sensitivityClearance?: Sensitivity;

  /**
   * The sensitivity of this tenant's requests that do not carry a sensitivity hint. It may not
   * exceed `sensitivityClearance`.
   * @default - `Sensitivity.INTERNAL`, or `Sensitivity.PUBLIC` when the clearance is public
   */
  readonly defaultSensitivity?: Sensitivity;

  /**
   * The lowest sensitivity this tenant's requests get: a request may declare a higher one, never a
   * lower one (a lower hint is raised to the floor). A key may raise it further (its
   * `sensitivityFloor` in the tenant-key table). It may not exceed `sensitivityClearance`.
   * @default Sensitivity.PUBLIC (no floor)
   */
  readonly sensitivityFloor?: Sensitivity;

  /**
   * The id of a guardrail (a key of `guardrails`) applied to this tenant's requests. It takes
   * precedence over a route's guardrail.
   * @default - the route's guardrail, if any
   */
  readonly guardrail?: string;

  /**
   * The tenant's spending limits, enforced by the router when it has a usage table: each request
   * reserves its worst-case cost before the model call and is refused (429 `budget_exceeded`)
   * when the reservation would exceed a limit.
   * @default - no budget
   */
  readonly budget?: TenantBudget;

  /**
   * The prompt ids (each a key of `prompts`) this tenant may use. A request naming another prompt
   * is refused (403 `prompt_not_allowed`).
   * @default - every prompt of the configuration
   */
  readonly allowedPrompts?: string[];

  /**
   * The knowledge source ids (`knowledgeSources`) this tenant's requests may search.
   * @default - none: the tenant's requests cannot retrieve
   */
  readonly allowedKnowledgeSources?: string[];

  /**
   * A description for operators.
   * @default - none
   */
  readonly description?: string;
}

/** A tenant's spending limits in USD, per calendar month and optionally per day (UTC). */
export interface TenantBudget {
  /** The most the tenant may spend in a calendar month (UTC), in USD. */
  readonly monthlyUsd: number;

  /**
   * The most the tenant may spend in a calendar day (UTC), in USD.
   * @default - no daily limit
   */
  readonly dailyUsd?: number;

  /**
   * The share of a limit, in percent, past which the router emits a `gateway.budget.threshold`
   * log event (once per request that crosses it).
   * @default 80
   */
  readonly softThresholdPercent?: number;
}

/** Time limits of a model call, in milliseconds. */
export interface TimeoutPolicy {
  /**
   * Time allowed to establish a connection to the upstream.
   * @default 3000
   */
  readonly connectMs?: number;

  /**
   * Time allowed until the first streamed token arrives. A stream that is slower fails over.
   * @default - no separate limit; only `totalMs` applies
   */
  readonly firstTokenMs?: number;

  /**
   * The overall deadline of a request, retries and fallbacks included, from its arrival.
   * @default 60000
   */
  readonly totalMs?: number;
}

/**
 * A model endpoint the router can call. A Bedrock target has `modelId` (one model, profile id or
 * profile ARN for every tenant) or `profileArns` (one application inference profile per tenant,
 * with `priceModelId` naming the underlying model, because profile ARNs are opaque). An
 * OpenAI-compatible target has `baseUrl` and `model`.
 */
export interface TargetConfig {
  /** The target's id, referenced by routes: lower-case letters, digits, `-`, `_`, `.`; at most 64 characters. */
  readonly id: string;

  /** The kind of endpoint. */
  readonly kind: TargetKind;

  /**
   * Bedrock only: the `modelId` passed to Converse (a foundation model id, a cross-region
   * inference profile id or an inference profile ARN). Exactly one of `modelId` and
   * `profileArns` is required for a Bedrock target.
   * @default - none
   */
  readonly modelId?: string;

  /**
   * Bedrock only: the application inference profile ARN of each tenant (tenant id → ARN). A tenant
   * without an entry cannot be served by this target, and never uses another tenant's profile.
   * @default - none
   */
  readonly profileArns?: { [tenantId: string]: string };

  /**
   * The key of `prices` that prices this target's tokens. Required with `profileArns`.
   * @default - `modelId` for Bedrock targets, `model` for OpenAI-compatible targets
   */
  readonly priceModelId?: string;

  /**
   * Bedrock only: the AWS Region of the Bedrock Runtime endpoint.
   * @default - the Region the router runs in
   */
  readonly region?: string;

  /**
   * Bedrock only: an endpoint URL override (a VPC interface endpoint's DNS name, or a loopback
   * fake in tests).
   * @default - the public Bedrock Runtime endpoint of the Region
   */
  readonly endpoint?: string;

  /**
   * OpenAI-compatible only (required there): the base URL up to and including `/v1`, e.g.
   * `http://vllm.internal:8000/v1`.
   * @default - none
   */
  readonly baseUrl?: string;

  /**
   * OpenAI-compatible only (required there): the served model name sent as `model`.
   * @default - none
   */
  readonly model?: string;

  /**
   * OpenAI-compatible only: the name of an environment variable of the router that holds the
   * upstream's bearer token. The token itself never appears in the configuration.
   * @default - no Authorization header is sent upstream
   */
  readonly apiKeyEnv?: string;

  /**
   * Whether this target is cleared for restricted data. A route marked `restrictedAllowed` may
   * only contain targets that are.
   * @default false
   */
  readonly restrictedAllowed?: boolean;

  /**
   * The latency classes this target serves. A request of another class skips it (for example a
   * spot-capacity target that serves only `batch`).
   * @default - all latency classes
   */
  readonly latencyClasses?: LatencyClass[];

  /**
   * The most output tokens this target's model may be asked for. Every call carries an output limit
   * (the request's `max_tokens`, or `limits.maxTokensCap` when it sent none); on this target it is
   * lowered to this value, and the budget reservation counts the lower one. Set it to the model's
   * own maximum when that is below the cap: a Bedrock model refuses a larger `maxTokens`.
   * @default - the request's limit
   */
  readonly maxOutputTokens?: number;

  /**
   * Time limits for calls to this target, each overriding the gateway-wide `timeouts` value.
   * @default - the gateway-wide `timeouts`
   */
  readonly timeouts?: TimeoutPolicy;

  /**
   * What the target's model can do beyond plain chat (tools, enforced structured output, images,
   * prompt caching, service tiers) or whether it is an embedding model; routing skips a target
   * that lacks what a request needs.
   * @default - the model family's defaults: a chat model (see `TargetCapabilities`)
   */
  readonly capabilities?: TargetCapabilities;

  /**
   * A description for operators.
   * @default - none
   */
  readonly description?: string;
}

/** A route: an alias applications call, served by an ordered chain of targets (the fallback chain). */
export interface RouteConfig {
  /**
   * The alias applications send as `model`: lower-case letters, digits, `-`, `_`, `.`, `:`;
   * at most 64 characters; not `auto`.
   */
  readonly alias: string;

  /** Target ids, in order: the first healthy one serves, the others are its fallbacks. */
  readonly targets: string[];

  /**
   * The id of a guardrail (a key of `guardrails`) applied on this route. A tenant's own guardrail
   * takes precedence.
   * @default - none
   */
  readonly guardrail?: string;

  /**
   * Whether restricted requests may use this route. All its targets must be `restrictedAllowed`.
   * @default false
   */
  readonly restrictedAllowed?: boolean;

  /**
   * Retrieval on every request to this route (a request may still name its own source).
   * @default - none: only requests that ask for retrieval retrieve
   */
  readonly retrieval?: RouteRetrievalConfig;

  /**
   * The service tier of calls that do not ask for one (`service_tier` absent or `auto`), on
   * targets that support it; other targets of the chain are called at the default tier.
   * @default ServiceTier.DEFAULT
   */
  readonly serviceTier?: ServiceTier;

  /**
   * Bedrock prompt-cache points on targets that support prompt caching.
   * @default - no cache points
   */
  readonly promptCaching?: PromptCachingConfig;

  /**
   * Hosts whose `https` image URLs the gateway may fetch for this route.
   * @default - image URLs are refused; only base64 data URLs are accepted
   */
  readonly imageFetch?: ImageFetchConfig;

  /**
   * The id of a guardrail (a key of `guardrails`) whose sensitive-information policy anonymises
   * PII: the router applies it (ApplyGuardrail) to every system and message text of the request
   * before any target sees it, Bedrock and self-hosted alike. A guardrail that blocks refuses the
   * request; one that cannot be reached fails closed (503).
   * @default - no redaction
   */
  readonly redactionGuardrail?: string;
  /**
   * The checks every answer of this route must pass, and the policy when one fails. A prompt
   * version's own `validation` replaces it for requests served with that version.
   * @default - only the request's own `response_format` is checked (a mismatch is rejected)
   */
  readonly validation?: ResponseValidationConfig;

  /**
   * A description for operators, also returned by `GET /v1/models`.
   * @default - none
   */
  readonly description?: string;
}

/**
 * A rule for requests whose `model` is `auto`. Rules are tried in order; the first one whose
 * conditions all match, whose alias the tenant may call and (for restricted requests) whose route
 * is `restrictedAllowed`, chooses the route. A rule without conditions matches every request.
 */
export interface AutoRoutingRule {
  /** The route alias this rule selects. */
  readonly alias: string;

  /**
   * Matches requests whose workflow hint is one of these.
   * @default - any workflow, or none
   */
  readonly workflows?: string[];

  /**
   * Matches requests of these latency classes.
   * @default - any latency class
   */
  readonly latencyClasses?: LatencyClass[];

  /**
   * Matches requests of these sensitivities.
   * @default - any sensitivity
   */
  readonly sensitivities?: Sensitivity[];

  /**
   * Matches requests that declare a maximum cost of at most this many US dollars.
   * @default - matches regardless of the maximum cost
   */
  readonly maxCostUsdAtMost?: number;

  /**
   * A description for operators.
   * @default - none
   */
  readonly description?: string;
}

/** The price of a model's tokens, in US dollars per 1,000 tokens. */
export interface ModelPrice {
  /** USD per 1,000 input tokens. */
  readonly inputUsdPer1K: number;

  /** USD per 1,000 output tokens. */
  readonly outputUsdPer1K: number;

  /**
   * USD per 1,000 input tokens read from the prompt cache.
   * @default - `inputUsdPer1K` (conservative: cached tokens cost as much as other input)
   */
  readonly cacheReadUsdPer1K?: number;

  /**
   * USD per 1,000 input tokens written to the prompt cache.
   * @default - `inputUsdPer1K`
   */
  readonly cacheWriteUsdPer1K?: number;

  /**
   * USD per 1,000 input tokens of a batch line (`/v1/batches`); Bedrock batch inference is about
   * half the on-demand price for the models that support it.
   * @default - `inputUsdPer1K` (no discount assumed)
   */
  readonly batchInputUsdPer1K?: number;

  /**
   * USD per 1,000 output tokens of a batch line.
   * @default - `outputUsdPer1K` (no discount assumed)
   */
  readonly batchOutputUsdPer1K?: number;

  /**
   * The price factor of each service tier other than `default` (a `ServiceTier` value → factor
   * applied to every token price), e.g. `{ flex: 0.5, priority: 1.75 }`. A target may only offer
   * a tier (`capabilities.serviceTiers`) whose factor is set here.
   * @default - only the default tier is priced
   */
  readonly tierMultipliers?: { [serviceTier: string]: number };
}

/** A Bedrock guardrail version. */
export interface GuardrailRef {
  /** The guardrail's id or ARN. */
  readonly identifier: string;

  /** The guardrail version: a number such as `"3"`, or `"DRAFT"`. */
  readonly version: string;

  /**
   * The Region of the guardrail, for ApplyGuardrail calls made for non-Bedrock targets.
   * @default - the Region the router runs in
   */
  readonly region?: string;

  /**
   * An endpoint URL override for ApplyGuardrail calls (VPC endpoint, or a loopback fake in tests).
   * @default - the public Bedrock Runtime endpoint of the Region
   */
  readonly endpoint?: string;
}

/** Retries of a failed model call on the same target, before failing over. */
export interface RetryPolicy {
  /**
   * Attempts per target, the first one included (1 means no retry).
   * @default 3
   */
  readonly maxAttempts?: number;

  /**
   * The base of the full-jitter exponential backoff, in milliseconds.
   * @default 100
   */
  readonly baseDelayMs?: number;

  /**
   * The longest wait between attempts, in milliseconds. An upstream that asks for a longer wait
   * (`Retry-After`) is failed over instead.
   * @default 2000
   */
  readonly maxDelayMs?: number;
}

/** A per-target circuit breaker: after consecutive failures the target is skipped for a while. */
export interface CircuitBreakerPolicy {
  /**
   * Consecutive failed calls that open the circuit.
   * @default 5
   */
  readonly failureThreshold?: number;

  /**
   * How long an open circuit skips the target before one probe call is let through, in ms.
   * @default 30000
   */
  readonly cooldownMs?: number;
}

/** Size limits of a request. Larger requests are refused (413 or 400) before any model call. */
export interface RequestLimits {
  /**
   * The largest request body, in bytes.
   * @default 1048576
   */
  readonly maxBodyBytes?: number;

  /**
   * The most messages in one request.
   * @default 256
   */
  readonly maxMessages?: number;

  /**
   * The most characters in one message.
   * @default 200000
   */
  readonly maxMessageChars?: number;

  /**
   * The largest `max_tokens` a request may ask for; also the output bound of cost estimates when
   * a request does not set one.
   * @default 8192
   */
  readonly maxTokensCap?: number;

  /**
   * The largest image, in bytes after decoding (Bedrock accepts 3.75 MB per image).
   * @default 3932160
   */
  readonly maxImageBytes?: number;

  /**
   * The most images in one request (Bedrock accepts 20 per message).
   * @default 20
   */
  readonly maxImagesPerRequest?: number;

  /**
   * The most image bytes in one request, all images together, after decoding.
   * @default 15728640
   */
  readonly maxImageBytesPerRequest?: number;
}

/** The whole gateway configuration. */
export interface GatewayConfig {
  /** The tenants (at least one). */
  readonly tenants: TenantConfig[];

  /** The model endpoints (at least one). */
  readonly targets: TargetConfig[];

  /** The routes (at least one). */
  readonly routes: RouteConfig[];

  /**
   * Rules for requests whose `model` is `auto`.
   * @default - no rules: `auto` is refused
   */
  readonly autoRouting?: AutoRoutingRule[];

  /** Token prices per model id (the keys targets name with `priceModelId`, `modelId` or `model`). */
  readonly prices: { [modelId: string]: ModelPrice };

  /**
   * Guardrails by id, referenced by tenants and routes.
   * @default - none
   */
  readonly guardrails?: { [guardrailId: string]: GuardrailRef };

  /**
   * Retries on the same target.
   * @default - 3 attempts, 100 ms base delay, 2000 ms maximum delay
   */
  readonly retry?: RetryPolicy;

  /**
   * Time limits of model calls.
   * @default - 3000 ms to connect, 60000 ms per request, no first-token limit
   */
  readonly timeouts?: TimeoutPolicy;

  /**
   * The per-target circuit breaker.
   * @default - opens after 5 consecutive failures for 30000 ms
   */
  readonly circuitBreaker?: CircuitBreakerPolicy;

  /**
   * Request size limits.
   * @default - 1 MiB bodies, 256 messages, 200000 characters per message, max_tokens up to 8192
   */
  readonly limits?: RequestLimits;

  /**
   * Versioned prompt templates that requests name by id and version or label; the router renders
   * them in front of the client's messages.
   * @default - none
   */
  readonly prompts?: PromptConfig[];

  /**
   * Local mode only (`cdk-ai-gateway serve`): API keys by the hex SHA-256 of the key → tenant id.
   * Deployed gateways authenticate with their authorizer and ignore this map.
   * @default - none
   */
  readonly localKeys?: { [keySha256: string]: string };

  /**
   * Knowledge sources requests may search, granted per tenant (`allowedKnowledgeSources`).
   * @default - none
   */
  readonly knowledgeSources?: KnowledgeSourceConfig[];

  /**
   * How restricted data is admitted (approvals).
   * @default - restricted requests need no approval
   */
  readonly restrictedData?: RestrictedDataPolicy;
}

/** The role of a message turn of a prompt template. */
export enum PromptRole {
  /** A turn of the user. */
  USER = 'user',
  /** A turn of the assistant (an example answer, for few-shot prompts). */
  ASSISTANT = 'assistant',
}

/** The type of a prompt variable's value. */
export enum PromptVariableType {
  /** Text: a JSON string. */
  STRING = 'string',
  /** A finite number: a JSON number or a decimal string. */
  NUMBER = 'number',
  /** An integer: a JSON number or a string of digits. */
  INTEGER = 'integer',
  /** `true` or `false`: a JSON boolean or the strings "true" and "false". */
  BOOLEAN = 'boolean',
}

/** One message turn of a prompt template. */
export interface PromptMessage {
  /** Who says it. */
  readonly role: PromptRole;

  /** The text, with `{{variable}}` slots for declared variables. */
  readonly content: string;
}

/** A variable a prompt template declares: a `{{name}}` slot the request fills. */
export interface PromptVariable {
  /** The variable's name: a letter or `_`, then letters, digits or `_`; at most 64 characters. */
  readonly name: string;

  /**
   * The type of the value.
   * @default PromptVariableType.STRING
   */
  readonly valueType?: PromptVariableType;

  /**
   * Whether a request must give the variable. An optional variable left out renders as
   * `defaultValue`.
   * @default true
   */
  readonly required?: boolean;

  /**
   * The most characters the value may have (as rendered).
   * @default 10000
   */
  readonly maxLength?: number;

  /**
   * The only values allowed (as rendered).
   * @default - any value of the type
   */
  readonly allowedValues?: string[];

  /**
   * The value an optional variable renders as when the request leaves it out.
   * @default "" (an empty string)
   */
  readonly defaultValue?: string;

  /**
   * A description for template authors.
   * @default - none
   */
  readonly description?: string;
}

/** Inference parameters a prompt version applies when the request does not set them. */
export interface PromptInferenceParameters {
  /**
   * The most output tokens (`max_tokens`).
   * @default - the request's own, or the gateway's cap
   */
  readonly maxTokens?: number;

  /**
   * The sampling temperature, 0 to 2.
   * @default - the model's default
   */
  readonly temperature?: number;

  /**
   * Nucleus sampling, 0 to 1.
   * @default - the model's default
   */
  readonly topP?: number;

  /**
   * Stop sequences (at most 4).
   * @default - none
   */
  readonly stopSequences?: string[];
}

/**
 * One immutable version of a prompt: its messages template, declared variables, default inference
 * parameters and the route aliases it is meant for.
 */
export interface PromptVersionConfig {
  /** The version number, a positive integer. Numbers are never reused for other content. */
  readonly version: number;

  /**
   * The system prompt template, with `{{variable}}` slots.
   * @default - no system prompt
   */
  readonly system?: string;

  /**
   * The message turns of the template, put before the client's own messages.
   * @default - none (the template is only a system prompt)
   */
  readonly messages?: PromptMessage[];

  /**
   * The variables the template's slots use. Every `{{name}}` of the template must be declared
   * here, and every declared variable must appear in the template.
   * @default - no variables
   */
  readonly variables?: PromptVariable[];

  /**
   * Inference parameters applied when the request does not set them.
   * @default - none
   */
  readonly inference?: PromptInferenceParameters;

  /**
   * The route aliases this version may be used with. A request with `model: "auto"` is served by
   * the first of them the tenant may call.
   */
  readonly routes: string[];

  /**
   * The checks answers served with this version must pass; replaces the route's `validation`.
   * @default - the route's validation
   */
  readonly validation?: ResponseValidationConfig;

  /**
   * A description for operators (what changed in this version).
   * @default - none
   */
  readonly description?: string;
}

/**
 * A label of a prompt (`prod`, `canary`, any name): either one version, or a weighted split
 * between versions (weights in percent, summing to 100) that is sticky per `user`.
 */
export interface PromptLabelConfig {
  /**
   * The version this label points at. Exactly one of `version` and `weights` is required.
   * @default - none
   */
  readonly version?: number;

  /**
   * A weighted split: version number → percent, summing to 100, such as `{"3": 90, "4": 10}`.
   * @default - none
   */
  readonly weights?: { [version: string]: number };
}

/** A versioned prompt that requests name by id. */
export interface PromptConfig {
  /** The prompt id: lower-case letters, digits, `-`, `_`, `.`; at most 64 characters. */
  readonly id: string;

  /** The prompt's versions (at least one), each immutable. */
  readonly versions: PromptVersionConfig[];

  /**
   * Labels by name. A request that names no version gets the `prod` label, else the highest
   * version.
   * @default - no labels
   */
  readonly labels?: { [label: string]: PromptLabelConfig };

  /**
   * A description for operators.
   * @default - none
   */
  readonly description?: string;
}
