/**
 * The default usage sink: one JSON line per request on stdout, which is both the request's
 * structured log (the whole trace, with OpenTelemetry GenAI attribute names plus a `gateway.*`
 * namespace) and its CloudWatch metrics (Embedded Metric Format: the `_aws` block makes CloudWatch
 * Logs extract the metrics from the same line).
 *
 * Metric dimensions are bounded by the configuration: {Route} and {Tenant, Route}, whose values
 * are configured route aliases and tenant ids (or `none` / `unauthenticated`), never free text
 * from a request. Requests that the gateway resolved to a prompt version (a configured prompt id
 * and one of its version numbers, never the client's claim) also carry {Prompt, PromptVersion}
 * metrics — requests, errors, validation failures and cost — which canary rollback alarms watch.
 *
 * Message text, `user` and `metadata` values never appear in the line, for any request.
 */
import { PROMPT_VALIDATION_ERROR_CODES } from '../pipeline/prompt';
import { GROUNDING_FAILED } from '../retrieval/grounding-check';
import { VALIDATION_FAILED } from '../validation/types';
import { Outcome, UsageRecord, UsageSink } from '../usage/types';

/**
 * The error codes of requests refused by a validation (today: a prompt version's variables, size
 * and routes) or an answer's check (a route's grounding check); `gateway.validation.failed` on the
 * log line is true for them. Response validation adds its codes here.
 */
export const VALIDATION_ERROR_CODES: ReadonlySet<string> = new Set([...PROMPT_VALIDATION_ERROR_CODES, GROUNDING_FAILED]);

/** The metrics namespace unless `GATEWAY_METRICS_NAMESPACE` names another. */
export const DEFAULT_METRICS_NAMESPACE = 'CdkAiGateway';

/** The EMF dimension sets: per route, and per tenant and route. */
export const METRIC_DIMENSIONS = [['Route'], ['Tenant', 'Route']] as const;

type Unit = 'Count' | 'Milliseconds' | 'None';

/** The metrics of every line, in order, then the one only streamed answers have. */
const METRICS: readonly (readonly [string, Unit])[] = [
  ['Requests', 'Count'], ['Rejections', 'Count'], ['Errors', 'Count'], ['InputTokens', 'Count'], ['OutputTokens', 'Count'],
  ['CacheReadInputTokens', 'Count'], ['CacheWriteInputTokens', 'Count'], ['CostUsd', 'None'], ['LatencyMs', 'Milliseconds'],
  ['Attempts', 'Count'], ['Fallbacks', 'Count'], ['ValidationFailures', 'Count'],
];
const TTFT_METRIC = ['TimeToFirstTokenMs', 'Milliseconds'] as const;

/** The dimension set of the per-prompt-version metrics. */
export const PROMPT_METRIC_DIMENSIONS = [['Prompt', 'PromptVersion']] as const;

/**
 * The metrics per prompt version: `Requests`, `Errors` and `CostUsd` as above, and
 * `PromptValidationFailures`, 1 when the resolved version refused the request (its variables, its
 * rendered size or its routes: the codes of `PROMPT_VALIDATION_ERROR_CODES`), and
 * `ValidationFailures`, the answers of the request that failed response validation.
 */
export const PROMPT_METRICS = ['Requests', 'Errors', 'PromptValidationFailures', 'CostUsd', 'ValidationFailures'] as const;
const PROMPT_METRIC_DEFINITIONS = Object.freeze(PROMPT_METRICS.map((Name) => Object.freeze({ Name, Unit: Name === 'CostUsd' ? 'None' : 'Count' })));
const PROMPT_DIMENSIONS = Object.freeze(PROMPT_METRIC_DIMENSIONS.map((d) => Object.freeze([...d])));

/** The dimension set of the retrieval metrics: the knowledge source id (a configured id, never free text). */
export const RETRIEVAL_METRIC_DIMENSIONS = [['KnowledgeSource']] as const;

/**
 * The metrics of requests that retrieved: search latency, passages in the prompt, their tokens, the
 * search's cost, and `GroundingFailures` (1 when the route's grounding check failed the answer).
 */
export const RETRIEVAL_METRICS = [
  ['RetrievalLatencyMs', 'Milliseconds'], ['RetrievedPassages', 'Count'], ['ContextTokens', 'Count'], ['RetrievalCostUsd', 'None'], ['GroundingFailures', 'Count'],
] as const;
const RETRIEVAL_METRIC_DEFINITIONS = Object.freeze(RETRIEVAL_METRICS.map(([Name, Unit]) => Object.freeze({ Name, Unit })));
const RETRIEVAL_DIMENSIONS = Object.freeze(RETRIEVAL_METRIC_DIMENSIONS.map((d) => Object.freeze([...d])));

/** The EMF metric definitions (the same for every line but for the TTFT metric), built once. */
const definitions = (metrics: readonly (readonly [string, Unit])[]): readonly { Name: string; Unit: Unit }[] =>
  Object.freeze(metrics.map(([Name, Unit]) => Object.freeze({ Name, Unit })));
const METRIC_DEFINITIONS = definitions(METRICS);
const METRIC_DEFINITIONS_WITH_TTFT = definitions([...METRICS, TTFT_METRIC]);
const DIMENSIONS = Object.freeze(METRIC_DIMENSIONS.map((d) => Object.freeze([...d])));

function metricValues(r: UsageRecord): number[] {
  return [
    1,
    r.outcome === Outcome.REJECTED ? 1 : 0,
    r.outcome === Outcome.SUCCESS || r.outcome === Outcome.REJECTED || r.outcome === Outcome.CLIENT_DISCONNECT ? 0 : 1,
    r.inputTokens,
    r.outputTokens,
    r.cacheReadInputTokens,
    r.cacheWriteInputTokens,
    r.costUsd,
    r.latencyMs,
    r.attempts,
    r.fallback ? 1 : 0,
    validationFailures(r),
  ];
}

/** The answers of a request that failed response validation (repaired, escalated, flagged or rejected). */
function validationFailures(r: UsageRecord): number {
  let n = 0;
  for (const a of r.attemptDetails) if (a.result === VALIDATION_FAILED) n++;
  return n;
}

function levelOf(r: UsageRecord): string {
  if (r.outcome === Outcome.SUCCESS) return 'INFO';
  if (r.outcome === Outcome.REJECTED || r.outcome === Outcome.CLIENT_DISCONNECT) return 'WARN';
  return 'ERROR';
}

/**
 * The log line of a usage record (an object; `JSON.stringify` it). Fields without a value are
 * left out. Built per request on the response path, so without intermediate objects: the metric
 * definitions are shared, frozen constants.
 *
 * @example
 * process.stdout.write(`${JSON.stringify(toLogLine(record, 'CdkAiGateway'))}\n`);
 */
export function toLogLine(r: UsageRecord, namespace: string): Record<string, unknown> {
  const line: Record<string, unknown> = {
    timestamp: r.timestamp,
    level: levelOf(r),
    message: `${r.operation} ${r.status} ${r.outcome}`,
    'gen_ai.operation.name': r.operation === 'chat.completions' ? 'chat' : r.operation,
  };
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) line[key] = value;
  };
  put('gen_ai.system', r.provider);
  put('gen_ai.request.model', r.requestedModel);
  put('gen_ai.response.model', r.servedModel);
  line['gen_ai.usage.input_tokens'] = r.inputTokens + r.cacheReadInputTokens + r.cacheWriteInputTokens;
  line['gen_ai.usage.output_tokens'] = r.outputTokens;
  line['gen_ai.usage.cache_read.input_tokens'] = r.cacheReadInputTokens;
  line['gen_ai.usage.cache_creation.input_tokens'] = r.cacheWriteInputTokens;
  line['http.response.status_code'] = r.status;
  put('error.type', r.errorCode);
  line['gateway.request.id'] = r.requestId;
  put('gateway.tenant.id', r.tenantId);
  put('gateway.tenant.tier', r.tier);
  put('gateway.key.id', r.keyId);
  put('gateway.workflow', r.workflow);
  put('gateway.prompt.id', r.promptId);
  put('gateway.prompt.version', r.promptVersion);
  put('gateway.sensitivity', r.sensitivity);
  put('gateway.latency_class', r.latencyClass);
  put('gateway.route', r.route);
  put('gateway.target.id', r.targetId);
  put('gateway.price_model_id', r.priceModelId);
  put('gateway.service_tier', r.serviceTier);
  line['gateway.stream'] = r.stream;
  line['gateway.attempts'] = r.attempts;
  if (r.attemptDetails.length > 0) line['gateway.attempts.detail'] = r.attemptDetails;
  line['gateway.fallback'] = r.fallback;
  line['gateway.usage.uncached_input_tokens'] = r.inputTokens;
  line['gateway.usage.estimated'] = r.usageEstimated;
  put('gateway.ttft_ms', r.ttftMs);
  line['gateway.latency_ms'] = r.latencyMs;
  line['gateway.cost_usd'] = r.costUsd;
  line['gateway.waste_usd'] = r.wasteUsd ?? 0;
  put('gateway.guardrail.action', r.guardrailAction);
  put('gateway.redaction.masked_entities', r.redactedEntities);
  if (r.approval) {
    line['gateway.approval.ticket'] = r.approval.ticket;
    line['gateway.approval.approver'] = r.approval.approver;
    line['gateway.approval.granted_at'] = r.approval.grantedAt;
  }
  put('gateway.validation.outcome', r.validationOutcome);
  put('gateway.validation.validator', r.validator);
  put('gateway.validation.rule', r.validationRule);
  put('gateway.validation.policy', r.validationPolicy);
  put('gateway.validation.answers', r.validationAnswers);
  put('gateway.validation.escalated_to', r.escalatedTo);
  put('gateway.validation.escalation_skipped', r.escalationSkipped);
  line['gateway.outcome'] = r.outcome;
  put('gateway.error.detail', r.errorDetail);
  const retrieval = r.retrieval;
  if (retrieval) {
    line['gateway.retrieval.source'] = retrieval.source;
    line['gateway.retrieval.latency_ms'] = retrieval.latencyMs;
    line['gateway.retrieval.documents'] = retrieval.documents;
    line['gateway.retrieval.dropped'] = retrieval.dropped;
    line['gateway.retrieval.refused'] = retrieval.refused;
    line['gateway.retrieval.context_tokens'] = retrieval.contextTokens;
    line['gateway.retrieval.cost_usd'] = retrieval.costUsd;
    put('gateway.retrieval.grounding_score', retrieval.groundingScore);
    put('gateway.retrieval.grounding_passed', retrieval.groundingPassed);
  }
  put('gateway.feedback.score', r.feedbackScore);
  if (r.operation === 'chat.completions') line['gateway.validation.failed'] = r.errorCode !== undefined && VALIDATION_ERROR_CODES.has(r.errorCode);
  put('gateway.trace_id', r.traceId);
  put('gateway.stage_ms', r.stageMs);
  // Embedded Metric Format
  const directives: Record<string, unknown>[] = [{
    Namespace: namespace,
    Dimensions: DIMENSIONS,
    Metrics: r.ttftMs !== undefined ? METRIC_DEFINITIONS_WITH_TTFT : METRIC_DEFINITIONS,
  }];
  const prompted = r.promptId !== undefined && r.promptVersion !== undefined;
  if (prompted) directives.push({ Namespace: namespace, Dimensions: PROMPT_DIMENSIONS, Metrics: PROMPT_METRIC_DEFINITIONS });
  if (retrieval) directives.push({ Namespace: namespace, Dimensions: RETRIEVAL_DIMENSIONS, Metrics: RETRIEVAL_METRIC_DEFINITIONS });
  line._aws = { Timestamp: Date.parse(r.timestamp), CloudWatchMetrics: directives };
  line.Route = r.route ?? 'none';
  line.Tenant = r.tenantId ?? 'unauthenticated';
  const values = metricValues(r);
  for (let i = 0; i < METRICS.length; i++) line[METRICS[i][0]] = values[i];
  if (r.ttftMs !== undefined) line[TTFT_METRIC[0]] = r.ttftMs;
  if (prompted) {
    line.Prompt = r.promptId;
    line.PromptVersion = r.promptVersion;
    line.PromptValidationFailures = r.errorCode !== undefined && PROMPT_VALIDATION_ERROR_CODES.has(r.errorCode) ? 1 : 0;
    // ValidationFailures is on the line already (the per-route metric of the same name).
  }
  if (retrieval) {
    line.KnowledgeSource = retrieval.source;
    line.RetrievalLatencyMs = retrieval.latencyMs;
    line.RetrievedPassages = retrieval.documents.length;
    line.ContextTokens = retrieval.contextTokens;
    line.RetrievalCostUsd = retrieval.costUsd;
    line.GroundingFailures = retrieval.groundingPassed === false ? 1 : 0;
  }
  return line;
}

export interface LogUsageSinkOptions {
  /** @default process.env.GATEWAY_METRICS_NAMESPACE, else 'CdkAiGateway' */
  readonly namespace?: string;
  /** Where lines go. @default process.stdout */
  readonly write?: (line: string) => void;
}

/** Writes each usage record as one JSON log line with EMF metrics. */
export class LogUsageSink implements UsageSink {
  private readonly namespace: string;
  private readonly write: (line: string) => void;

  constructor(options: LogUsageSinkOptions = {}) {
    this.namespace = options.namespace ?? process.env.GATEWAY_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE;
    this.write = options.write ?? ((line) => { process.stdout.write(line); });
  }

  async record(record: UsageRecord): Promise<void> {
    this.write(`${JSON.stringify(toLogLine(record, this.namespace))}\n`);
  }
}
