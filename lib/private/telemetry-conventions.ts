/**
 * What the router writes, as `lambda/router/telemetry/log-sink.ts` defines it (lib/ may not import
 * router code; `test/observability/telemetry-conventions.test.ts` checks these against the sink's
 * real output). Shared by the observability construct and the gateway's budget alarm.
 */

/** The metrics of the router's Embedded Metric Format block. */
export const GATEWAY_METRIC = [
  'Requests', 'Rejections', 'Errors', 'InputTokens', 'OutputTokens', 'CacheReadInputTokens',
  'CacheWriteInputTokens', 'CostUsd', 'LatencyMs', 'Attempts', 'Fallbacks', 'ValidationFailures', 'TimeToFirstTokenMs',
] as const;

/**
 * The metrics per resolved prompt version, by {@link PROMPT_METRIC_DIMENSIONS}: `Requests`,
 * `Errors`, `CostUsd`, `ValidationFailures` (as above) and `PromptValidationFailures` (requests the version refused).
 */
export const PROMPT_METRIC = ['Requests', 'Errors', 'PromptValidationFailures', 'CostUsd', 'ValidationFailures'] as const;
export const PROMPT_METRIC_DIMENSIONS = ['Prompt', 'PromptVersion'] as const;

/**
 * The metrics of requests that retrieved, by {@link RETRIEVAL_METRIC_DIMENSIONS}: search latency,
 * passages in the prompt, their tokens, the search's cost, grounding failures.
 */
export const RETRIEVAL_METRIC = ['RetrievalLatencyMs', 'RetrievedPassages', 'ContextTokens', 'RetrievalCostUsd', 'GroundingFailures'] as const;
export const RETRIEVAL_METRIC_DIMENSIONS = ['KnowledgeSource'] as const;

/** The router's metrics namespace unless `GATEWAY_METRICS_NAMESPACE` names another. */
export const METRICS_NAMESPACE = 'CdkAiGateway';

/** The budget guard's metric: percent of a period's limit committed, by Tenant and BudgetPeriod. */
export const BUDGET_METRIC = 'BudgetUsedPercent';
export const BUDGET_METRIC_DIMENSIONS = ['Tenant', 'BudgetPeriod'] as const;

/** The `Route` dimension value of requests rejected before a route was chosen. */
export const ROUTE_NONE = 'none';

/** The `Tenant` dimension value of requests without a valid tenant key. */
export const TENANT_UNAUTHENTICATED = 'unauthenticated';

/** Fields of the router's log line used by the saved queries. */
export const LOG_FIELD = {
  tenant: 'gateway.tenant.id',
  workflow: 'gateway.workflow',
  promptId: 'gateway.prompt.id',
  promptVersion: 'gateway.prompt.version',
  route: 'gateway.route',
  target: 'gateway.target.id',
  costUsd: 'gateway.cost_usd',
  /** The part of the cost that bought no answer (failed attempts, cut streams, clients gone). */
  wasteUsd: 'gateway.waste_usd',
  ttftMs: 'gateway.ttft_ms',
  latencyMs: 'gateway.latency_ms',
  outcome: 'gateway.outcome',
  guardrailAction: 'gateway.guardrail.action',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  errorType: 'error.type',
  /** The EMF value of the `Fallbacks` metric on the same line: 1 when the request fell back. */
  fallbacks: 'Fallbacks',
  /** The first model call attempt (Logs Insights flattens arrays with the element index). */
  firstAttemptTarget: 'gateway.attempts.detail.0.targetId',
  firstAttemptResult: 'gateway.attempts.detail.0.result',
  /** Requests that retrieved: the knowledge source, search latency, context tokens, cost, grounding. */
  retrievalSource: 'gateway.retrieval.source',
  retrievalLatencyMs: 'gateway.retrieval.latency_ms',
  retrievalContextTokens: 'gateway.retrieval.context_tokens',
  retrievalCostUsd: 'gateway.retrieval.cost_usd',
  retrievalRefused: 'gateway.retrieval.refused',
  /** The EMF value on the same line: 1 when the route's grounding check failed the answer. */
  groundingFailures: 'GroundingFailures',
} as const;

/** `gateway.guardrail.action` of a request a guardrail blocked or masked. */
export const GUARDRAIL_INTERVENED = 'INTERVENED';

/** `gateway.outcome` of a request refused before any model call. */
export const OUTCOME_REJECTED = 'rejected';

/**
 * The trace chain's fields on the router's log line (present when the request was traced, a chat
 * request, or a recorded feedback): `lambda/router/telemetry/log-sink.ts`.
 */
export const TRACE_FIELD = {
  traceId: 'gateway.trace_id',
  /** Milliseconds per pipeline stage: `gateway.stage_ms.<stage>` (see {@link TRACE_STAGES}). */
  stageMsPrefix: 'gateway.stage_ms',
  /** true when a validation refused the request (chat requests only). */
  validationFailed: 'gateway.validation.failed',
  /** The score of a recorded feedback; its line's workflow and prompt version are the rated request's. */
  feedbackScore: 'gateway.feedback.score',
} as const;

/**
 * The pipeline stages whose times the dashboard shows, in request order (span names without
 * `gateway.`, from `lambda/router/tracing/spans.ts` STAGE).
 */
export const TRACE_STAGES = [
  'authorizer', 'tenant', 'parse', 'prompt', 'tenant_policy', 'approval', 'retrieval', 'images', 'route', 'budget.reserve', 'redaction',
  'guardrail.input', 'target', 'guardrail.output', 'validation', 'response',
] as const;
