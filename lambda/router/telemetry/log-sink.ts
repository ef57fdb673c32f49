/**
 * The default usage sink: one JSON line per request on stdout, which is both the request's
 * structured log (the whole trace, with OpenTelemetry GenAI attribute names plus a `gateway.*`
 * namespace) and its CloudWatch metrics (Embedded Metric Format: the `_aws` block makes CloudWatch
 * Logs extract the metrics from the same line).
 *
 * Metric dimensions are bounded by the configuration: {Route} and {Tenant, Route}, whose values
 * are configured route aliases and tenant ids (or `none` / `unauthenticated`), never free text
 * from a request.
 *
 * Message text, `user` and `metadata` values never appear in the line, for any request.
 */
import { Outcome, UsageRecord, UsageSink } from '../usage/types';

/** The metrics namespace unless `GATEWAY_METRICS_NAMESPACE` names another. */
export const DEFAULT_METRICS_NAMESPACE = 'CdkAiGateway';

/** The EMF dimension sets: per route, and per tenant and route. */
export const METRIC_DIMENSIONS = [['Route'], ['Tenant', 'Route']] as const;

type Unit = 'Count' | 'Milliseconds' | 'None';

function metricsOf(r: UsageRecord): [string, Unit, number][] {
  const metrics: [string, Unit, number][] = [
    ['Requests', 'Count', 1],
    ['Rejections', 'Count', r.outcome === Outcome.REJECTED ? 1 : 0],
    ['Errors', 'Count', r.outcome === Outcome.SUCCESS || r.outcome === Outcome.REJECTED || r.outcome === Outcome.CLIENT_DISCONNECT ? 0 : 1],
    ['InputTokens', 'Count', r.inputTokens],
    ['OutputTokens', 'Count', r.outputTokens],
    ['CacheReadInputTokens', 'Count', r.cacheReadInputTokens],
    ['CacheWriteInputTokens', 'Count', r.cacheWriteInputTokens],
    ['CostUsd', 'None', r.costUsd],
    ['LatencyMs', 'Milliseconds', r.latencyMs],
    ['Attempts', 'Count', r.attempts],
    ['Fallbacks', 'Count', r.fallback ? 1 : 0],
  ];
  if (r.ttftMs !== undefined) metrics.push(['TimeToFirstTokenMs', 'Milliseconds', r.ttftMs]);
  return metrics;
}

function levelOf(r: UsageRecord): string {
  if (r.outcome === Outcome.SUCCESS) return 'INFO';
  if (r.outcome === Outcome.REJECTED || r.outcome === Outcome.CLIENT_DISCONNECT) return 'WARN';
  return 'ERROR';
}

/**
 * The log line of a usage record (an object; `JSON.stringify` it).
 *
 * @example
 * process.stdout.write(`${JSON.stringify(toLogLine(record, 'CdkAiGateway'))}\n`);
 */
export function toLogLine(r: UsageRecord, namespace: string): Record<string, unknown> {
  const metrics = metricsOf(r);
  const line: Record<string, unknown> = {
    timestamp: r.timestamp,
    level: levelOf(r),
    message: `${r.operation} ${r.status} ${r.outcome}`,
    'gen_ai.operation.name': r.operation === 'chat.completions' ? 'chat' : r.operation,
    'gen_ai.system': r.provider,
    'gen_ai.request.model': r.requestedModel,
    'gen_ai.response.model': r.servedModel,
    'gen_ai.usage.input_tokens': r.inputTokens + r.cacheReadInputTokens + r.cacheWriteInputTokens,
    'gen_ai.usage.output_tokens': r.outputTokens,
    'gen_ai.usage.cache_read.input_tokens': r.cacheReadInputTokens,
    'gen_ai.usage.cache_creation.input_tokens': r.cacheWriteInputTokens,
    'http.response.status_code': r.status,
    'error.type': r.errorCode,
    'gateway.request.id': r.requestId,
    'gateway.tenant.id': r.tenantId,
    'gateway.tenant.tier': r.tier,
    'gateway.key.id': r.keyId,
    'gateway.workflow': r.workflow,
    'gateway.prompt.id': r.promptId,
    'gateway.prompt.version': r.promptVersion,
    'gateway.sensitivity': r.sensitivity,
    'gateway.latency_class': r.latencyClass,
    'gateway.route': r.route,
    'gateway.target.id': r.targetId,
    'gateway.price_model_id': r.priceModelId,
    'gateway.stream': r.stream,
    'gateway.attempts': r.attempts,
    'gateway.attempts.detail': r.attemptDetails.length > 0 ? r.attemptDetails : undefined,
    'gateway.fallback': r.fallback,
    'gateway.usage.uncached_input_tokens': r.inputTokens,
    'gateway.usage.estimated': r.usageEstimated,
    'gateway.ttft_ms': r.ttftMs,
    'gateway.latency_ms': r.latencyMs,
    'gateway.cost_usd': r.costUsd,
    'gateway.guardrail.action': r.guardrailAction,
    'gateway.outcome': r.outcome,
    'gateway.error.detail': r.errorDetail,
    // Embedded Metric Format
    _aws: {
      Timestamp: Date.parse(r.timestamp),
      CloudWatchMetrics: [{
        Namespace: namespace,
        Dimensions: METRIC_DIMENSIONS.map((d) => [...d]),
        Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })),
      }],
    },
    Route: r.route ?? 'none',
    Tenant: r.tenantId ?? 'unauthenticated',
  };
  for (const [name, , value] of metrics) line[name] = value;
  for (const key of Object.keys(line)) if (line[key] === undefined) delete line[key];
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
