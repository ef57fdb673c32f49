import {
  BUDGET_METRIC, BUDGET_METRIC_DIMENSIONS, GATEWAY_METRIC, TRACE_FIELD, TRACE_STAGES, RETRIEVAL_METRIC, RETRIEVAL_METRIC_DIMENSIONS, PROMPT_METRIC, PROMPT_METRIC_DIMENSIONS, GUARDRAIL_INTERVENED, LOG_FIELD, METRICS_NAMESPACE, OUTCOME_REJECTED, ROUTE_NONE, TENANT_UNAUTHENTICATED,
} from '../../lib/private/telemetry-conventions';
import { DEFAULT_METRICS_NAMESPACE, METRIC_DIMENSIONS, toLogLine } from '../../lambda/router/telemetry/log-sink';
import { BUDGET_METRIC as ROUTER_BUDGET_METRIC, BUDGET_METRIC_DIMENSIONS as ROUTER_BUDGET_DIMENSIONS } from '../../lambda/router/usage/dynamo-budget';
import { Outcome, UsageRecord } from '../../lambda/router/usage/types';
import { STAGE } from '../../lambda/router/tracing/spans';
import { observabilityStack } from './fixtures';

// lib/ may not import the router, so the observability construct keeps its own copy of the names
// the router writes. These tests run the router's real log sink and hold the copy to it.

const fellBack: UsageRecord = {
  requestId: 'r-1', timestamp: '2026-01-01T00:00:00.000Z', operation: 'chat.completions', tenantId: 'acme', tier: 'standard',
  keyId: 'k1', workflow: 'support', promptId: 'greet', promptVersion: '4', sensitivity: 'internal', latencyClass: 'interactive',
  requestedModel: 'classify', route: 'classify', targetId: 'haiku-eu', provider: 'aws.bedrock', servedModel: 'haiku',
  priceModelId: 'haiku', stream: true, status: 200, outcome: Outcome.SUCCESS, errorCode: undefined, attempts: 2,
  attemptDetails: [
    { targetId: 'haiku-us', result: 'throttling', upstreamStatus: 429, durationMs: 12 },
    { targetId: 'haiku-eu', result: 'ok', durationMs: 300 },
  ],
  fallback: true, inputTokens: 100, outputTokens: 40, cacheReadInputTokens: 0, cacheWriteInputTokens: 0, usageEstimated: false,
  costUsd: 0.0004, ttftMs: 210, latencyMs: 900, guardrailAction: GUARDRAIL_INTERVENED,
};

/** The line's fields as CloudWatch Logs Insights names them: nested objects and arrays flattened with dots. */
function insightsFields(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) insightsFields(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = value;
  }
  return out;
}

describe('telemetry conventions of the observability construct', () => {
  test('the metric names are exactly those of the router\'s Embedded Metric Format block', () => {
    const line = toLogLine(fellBack, DEFAULT_METRICS_NAMESPACE);
    const emf = (line._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0];
    expect(emf.Metrics.map((m) => m.Name).sort()).toEqual([...GATEWAY_METRIC].sort());
  });

  test('the per-prompt-version metrics and dimensions are exactly those of the router\'s second EMF directive', () => {
    const line = toLogLine(fellBack, DEFAULT_METRICS_NAMESPACE);
    const emf = (line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[1];
    expect(emf.Metrics.map((m) => m.Name)).toEqual([...PROMPT_METRIC]);
    expect(emf.Dimensions).toEqual([[...PROMPT_METRIC_DIMENSIONS]]);
    expect(line).toMatchObject({ Prompt: 'greet', PromptVersion: '4' });
  });

  test('the default namespace and the dimension sets are the router\'s', () => {
    const { observability } = observabilityStack();
    expect(observability.metricsNamespace).toBe(DEFAULT_METRICS_NAMESPACE);
    expect(METRIC_DIMENSIONS.map((d) => [...d])).toEqual([['Route'], ['Tenant', 'Route']]);
    expect(observability.metricRequests('classify').dimensions).toEqual({ Route: 'classify' });
    expect(observability.metricRequests('classify', { tenant: 'acme' }).dimensions).toEqual({ Tenant: 'acme', Route: 'classify' });
  });

  test('every log field the saved queries read is in the line, with the value the query expects', () => {
    const fields = insightsFields(toLogLine(fellBack, DEFAULT_METRICS_NAMESPACE));
    for (const name of Object.values(LOG_FIELD)) {
      if (name === LOG_FIELD.errorType) continue; // only on failed requests, checked below
      if (name.startsWith('gateway.retrieval.') || name === LOG_FIELD.groundingFailures) continue; // only on requests that retrieved, checked below
      expect(fields).toHaveProperty([name]);
    }
    expect(fields[LOG_FIELD.fallbacks]).toBe(1);
    expect(fields[LOG_FIELD.guardrailAction]).toBe('INTERVENED');
    expect(fields[LOG_FIELD.firstAttemptTarget]).toBe('haiku-us');
    expect(fields[LOG_FIELD.firstAttemptResult]).toBe('throttling');
    expect(fields[LOG_FIELD.tenant]).toBe('acme');
    expect(fields[LOG_FIELD.workflow]).toBe('support');
    expect(fields[LOG_FIELD.costUsd]).toBe(0.0004);
  });

  test('a request without fallback has Fallbacks 0; a failed one has error.type', () => {
    const failed = toLogLine({
      ...fellBack, fallback: false, outcome: Outcome.UPSTREAM_ERROR, status: 502, errorCode: 'upstream_error', guardrailAction: undefined,
    }, DEFAULT_METRICS_NAMESPACE);
    expect(failed[LOG_FIELD.fallbacks]).toBe(0);
    expect(failed[LOG_FIELD.errorType]).toBe('upstream_error');
  });

  test('rejected requests without route or tenant carry the dimension values the construct accepts', () => {
    const line = toLogLine({
      ...fellBack, tenantId: undefined, route: undefined, outcome: Outcome.REJECTED, status: 401, attempts: 0, attemptDetails: [], fallback: false,
    }, DEFAULT_METRICS_NAMESPACE);
    expect(line.Route).toBe(ROUTE_NONE);
    expect(line.Tenant).toBe(TENANT_UNAUTHENTICATED);
    expect(line[LOG_FIELD.outcome]).toBe(OUTCOME_REJECTED);
    const { observability } = observabilityStack();
    expect(observability.metricRejections(ROUTE_NONE, { tenant: TENANT_UNAUTHENTICATED }).dimensions).toEqual({ Tenant: 'unauthenticated', Route: 'none' });
  });

  test('the budget metric and the namespace are the ones the router emits', () => {
    expect(BUDGET_METRIC).toBe(ROUTER_BUDGET_METRIC);
    expect([...BUDGET_METRIC_DIMENSIONS]).toEqual([...ROUTER_BUDGET_DIMENSIONS]);
    expect(METRICS_NAMESPACE).toBe(DEFAULT_METRICS_NAMESPACE);
  });

  test('the trace chain fields are those of the line: trace id, stage times, validation flag, feedback score', () => {
    const fields = insightsFields(toLogLine({ ...fellBack, traceId: 'f'.repeat(32), stageMs: { route: 1 } }, DEFAULT_METRICS_NAMESPACE));
    expect(fields[TRACE_FIELD.traceId]).toBe('f'.repeat(32));
    expect(fields[`${TRACE_FIELD.stageMsPrefix}.route`]).toBe(1);
    expect(fields[TRACE_FIELD.validationFailed]).toBe(false);
    const feedback = insightsFields(toLogLine({ ...fellBack, operation: 'feedback', feedbackScore: 2 }, DEFAULT_METRICS_NAMESPACE));
    expect(feedback[TRACE_FIELD.feedbackScore]).toBe(2);
  });

  test('the dashboard stages are the router\'s stage spans (the usage record, written after its own line, excepted)', () => {
    const router = Object.values(STAGE).map((s) => s.replace(/^gateway\./, '')).filter((s) => s !== 'usage.record');
    expect([...TRACE_STAGES].sort()).toEqual(router.sort());
  });
});

describe('retrieval telemetry conventions', () => {
  const retrieved: UsageRecord = {
    ...fellBack,
    retrieval: { source: 'handbook', latencyMs: 42, documents: [{ id: 's3://d/a.txt', score: 0.8 }], dropped: 1, refused: 0, contextTokens: 120, costUsd: 0.0002, groundingScore: 0.4, groundingPassed: false },
  };

  test('the retrieval metrics and dimensions are exactly those of the router\'s retrieval EMF directive', () => {
    const line = toLogLine(retrieved, DEFAULT_METRICS_NAMESPACE);
    const directives = (line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
    const emf = directives[directives.length - 1];
    expect(emf.Metrics.map((m) => m.Name)).toEqual([...RETRIEVAL_METRIC]);
    expect(emf.Dimensions).toEqual([[...RETRIEVAL_METRIC_DIMENSIONS]]);
    expect(line.GroundingFailures).toBe(1);
  });

  test('the retrieval log fields the saved query reads are on the line', () => {
    const fields = insightsFields(toLogLine(retrieved, DEFAULT_METRICS_NAMESPACE));
    for (const key of ['retrievalSource', 'retrievalLatencyMs', 'retrievalContextTokens', 'retrievalCostUsd', 'retrievalRefused', 'groundingFailures'] as const) {
      expect(fields).toHaveProperty([LOG_FIELD[key]]);
    }
  });

  test('a request without retrieval has no retrieval directive', () => {
    const directives = (toLogLine(fellBack, DEFAULT_METRICS_NAMESPACE)._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
    expect(directives.flatMap((d) => d.Metrics.map((m) => m.Name))).not.toContain('RetrievalLatencyMs');
  });
});
