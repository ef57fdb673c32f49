import { LogUsageSink, toLogLine } from '../../../lambda/router/telemetry/log-sink';
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';

const record: UsageRecord = {
  requestId: 'r-1', timestamp: '2026-01-01T00:00:00.000Z', operation: 'chat.completions', tenantId: 'acme', tier: 'premium', keyId: 'abc',
  workflow: 'support', promptId: 'greet', promptVersion: '4', sensitivity: 'internal', latencyClass: 'interactive', requestedModel: 'auto',
  route: 'chat', targetId: 'vllm', provider: 'openai', servedModel: 'qwen3-8b', priceModelId: 'qwen3-8b', stream: true, status: 200,
  outcome: Outcome.SUCCESS, attempts: 2, attemptDetails: [{ targetId: 'vllm', result: 'throttling', upstreamStatus: 429, durationMs: 3 }, { targetId: 'vllm', result: 'ok', durationMs: 9 }],
  fallback: false, inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 20, cacheWriteInputTokens: 5, usageEstimated: false,
  costUsd: 0.0123, ttftMs: 45, latencyMs: 120, guardrailAction: 'NONE',
};

describe('toLogLine', () => {
  test('the whole trace under OpenTelemetry GenAI and gateway.* names', () => {
    const line = toLogLine(record, 'CdkAiGateway');
    expect(line).toMatchObject({
      timestamp: '2026-01-01T00:00:00.000Z', level: 'INFO',
      'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'auto', 'gen_ai.response.model': 'qwen3-8b',
      'gen_ai.usage.input_tokens': 125, 'gen_ai.usage.output_tokens': 50,
      'gen_ai.usage.cache_read.input_tokens': 20, 'gen_ai.usage.cache_creation.input_tokens': 5,
      'gateway.request.id': 'r-1', 'gateway.tenant.id': 'acme', 'gateway.workflow': 'support', 'gateway.prompt.id': 'greet', 'gateway.prompt.version': '4',
      'gateway.route': 'chat', 'gateway.attempts': 2, 'gateway.fallback': false, 'gateway.ttft_ms': 45, 'gateway.latency_ms': 120,
      'gateway.cost_usd': 0.0123, 'gateway.guardrail.action': 'NONE', 'gateway.outcome': 'success', 'http.response.status_code': 200,
    });
  });

  test('Embedded Metric Format with bounded dimensions {Route} and {Tenant, Route}', () => {
    const line = toLogLine(record, 'Ns');
    expect(line._aws).toEqual({
      Timestamp: Date.parse('2026-01-01T00:00:00.000Z'),
      CloudWatchMetrics: [{
        Namespace: 'Ns',
        Dimensions: [['Route'], ['Tenant', 'Route']],
        Metrics: [
          { Name: 'Requests', Unit: 'Count' }, { Name: 'Rejections', Unit: 'Count' }, { Name: 'Errors', Unit: 'Count' },
          { Name: 'InputTokens', Unit: 'Count' }, { Name: 'OutputTokens', Unit: 'Count' }, { Name: 'CacheReadInputTokens', Unit: 'Count' },
          { Name: 'CacheWriteInputTokens', Unit: 'Count' }, { Name: 'CostUsd', Unit: 'None' }, { Name: 'LatencyMs', Unit: 'Milliseconds' },
          { Name: 'Attempts', Unit: 'Count' }, { Name: 'Fallbacks', Unit: 'Count' }, { Name: 'TimeToFirstTokenMs', Unit: 'Milliseconds' },
        ],
      }],
    });
    expect(line).toMatchObject({ Route: 'chat', Tenant: 'acme', Requests: 1, Errors: 0, InputTokens: 100, CostUsd: 0.0123, TimeToFirstTokenMs: 45 });
  });

  test('a rejection before the tenant and route were known uses fixed dimension values', () => {
    const line = toLogLine({ ...record, tenantId: undefined, route: undefined, outcome: Outcome.REJECTED, status: 401, ttftMs: undefined }, 'Ns');
    expect(line).toMatchObject({ Route: 'none', Tenant: 'unauthenticated', Rejections: 1, Errors: 0, level: 'WARN' });
    expect(line).not.toHaveProperty('TimeToFirstTokenMs');
    expect(line).not.toHaveProperty('gateway.tenant.id');
  });

  test('LogUsageSink writes one JSON line per record, namespace from the environment', async () => {
    const saved = process.env.GATEWAY_METRICS_NAMESPACE;
    process.env.GATEWAY_METRICS_NAMESPACE = 'FromEnv';
    try {
      const lines: string[] = [];
      await new LogUsageSink({ write: (l) => { lines.push(l); } }).record(record);
      expect(lines).toHaveLength(1);
      expect(lines[0].endsWith('\n')).toBe(true);
      expect((JSON.parse(lines[0]) as { _aws: { CloudWatchMetrics: { Namespace: string }[] } })._aws.CloudWatchMetrics[0].Namespace).toBe('FromEnv');
    } finally {
      if (saved === undefined) delete process.env.GATEWAY_METRICS_NAMESPACE;
      else process.env.GATEWAY_METRICS_NAMESPACE = saved;
    }
  });
});
