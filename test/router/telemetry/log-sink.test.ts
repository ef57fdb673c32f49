import { LogUsageSink, toLogLine } from '../../../lambda/router/telemetry/log-sink';
import { Outcome, UsageRecord } from '../../../lambda/router/usage/types';

const record: UsageRecord = {
  requestId: 'r-1', timestamp: '2026-01-01T00:00:00.000Z', operation: 'chat.completions', tenantId: 'acme', tier: 'premium', keyId: 'abc',
  workflow: 'support', promptId: 'greet', promptVersion: '4', sensitivity: 'internal', latencyClass: 'interactive', requestedModel: 'auto',
  route: 'chat', targetId: 'vllm', provider: 'openai', servedModel: 'qwen3-8b', priceModelId: 'qwen3-8b', serviceTier: 'flex', stream: true, status: 200,
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
          { Name: 'Attempts', Unit: 'Count' }, { Name: 'Fallbacks', Unit: 'Count' }, { Name: 'ValidationFailures', Unit: 'Count' },
          { Name: 'TimeToFirstTokenMs', Unit: 'Milliseconds' },
        ],
      }, {
        Namespace: 'Ns',
        Dimensions: [['Prompt', 'PromptVersion']],
        Metrics: [
          { Name: 'Requests', Unit: 'Count' }, { Name: 'Errors', Unit: 'Count' }, { Name: 'PromptValidationFailures', Unit: 'Count' },
          { Name: 'CostUsd', Unit: 'None' }, { Name: 'ValidationFailures', Unit: 'Count' },
        ],
      }],
    });
    expect(line).toMatchObject({
      Route: 'chat', Tenant: 'acme', Requests: 1, Errors: 0, InputTokens: 100, CostUsd: 0.0123, TimeToFirstTokenMs: 45,
      Prompt: 'greet', PromptVersion: '4', PromptValidationFailures: 0,
    });
  });

  test('per prompt version: a request the resolved version refused is a validation failure, an upstream error is an error', () => {
    const refused = toLogLine({ ...record, outcome: Outcome.REJECTED, status: 400, errorCode: 'missing_prompt_variable', ttftMs: undefined }, 'Ns');
    expect(refused).toMatchObject({ Prompt: 'greet', PromptVersion: '4', PromptValidationFailures: 1, Errors: 0, Requests: 1 });
    const budget = toLogLine({ ...record, outcome: Outcome.REJECTED, status: 429, errorCode: 'budget_exceeded', ttftMs: undefined }, 'Ns');
    expect(budget).toMatchObject({ PromptValidationFailures: 0, Errors: 0 });
    const failed = toLogLine({ ...record, outcome: Outcome.UPSTREAM_ERROR, status: 502, errorCode: 'upstream_error', ttftMs: undefined }, 'Ns');
    expect(failed).toMatchObject({ PromptValidationFailures: 0, Errors: 1 });
  });

  test('a request without a resolved prompt has no per-prompt metrics', () => {
    const line = toLogLine({ ...record, promptId: undefined, promptVersion: undefined }, 'Ns');
    expect((line._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics).toHaveLength(1);
    expect(line).not.toHaveProperty('Prompt');
    expect(line).not.toHaveProperty('PromptValidationFailures');
  });

  test('a rejection before the tenant and route were known uses fixed dimension values', () => {
    const line = toLogLine({ ...record, tenantId: undefined, route: undefined, outcome: Outcome.REJECTED, status: 401, ttftMs: undefined }, 'Ns');
    expect(line).toMatchObject({ Route: 'none', Tenant: 'unauthenticated', Rejections: 1, Errors: 0, level: 'WARN' });
    expect(line).not.toHaveProperty('TimeToFirstTokenMs');
    expect(line).not.toHaveProperty('gateway.tenant.id');
  });

  test('the serialised line, field by field and in order (a record with every field, one with none of the optional ones)', () => {
    expect(JSON.stringify(toLogLine({ ...record, errorCode: 'upstream_error', errorDetail: 'Error: boom', outcome: Outcome.UPSTREAM_ERROR }, 'Ns'))).toBe(
      '{"timestamp":"2026-01-01T00:00:00.000Z","level":"ERROR","message":"chat.completions 200 upstream_error","gen_ai.operation.name":"chat",'
      + '"gen_ai.system":"openai","gen_ai.request.model":"auto","gen_ai.response.model":"qwen3-8b","gen_ai.usage.input_tokens":125,'
      + '"gen_ai.usage.output_tokens":50,"gen_ai.usage.cache_read.input_tokens":20,"gen_ai.usage.cache_creation.input_tokens":5,'
      + '"http.response.status_code":200,"error.type":"upstream_error","gateway.request.id":"r-1","gateway.tenant.id":"acme",'
      + '"gateway.tenant.tier":"premium","gateway.key.id":"abc","gateway.workflow":"support","gateway.prompt.id":"greet",'
      + '"gateway.prompt.version":"4","gateway.sensitivity":"internal","gateway.latency_class":"interactive","gateway.route":"chat",'
      + '"gateway.target.id":"vllm","gateway.price_model_id":"qwen3-8b","gateway.service_tier":"flex","gateway.stream":true,"gateway.attempts":2,'
      + '"gateway.attempts.detail":[{"targetId":"vllm","result":"throttling","upstreamStatus":429,"durationMs":3},{"targetId":"vllm","result":"ok","durationMs":9}],'
      + '"gateway.fallback":false,"gateway.usage.uncached_input_tokens":100,"gateway.usage.estimated":false,"gateway.ttft_ms":45,'
      + '"gateway.latency_ms":120,"gateway.cost_usd":0.0123,"gateway.waste_usd":0,"gateway.guardrail.action":"NONE","gateway.outcome":"upstream_error",'
      + '"gateway.error.detail":"Error: boom","gateway.validation.failed":false,"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"Ns",'
      + '"Dimensions":[["Route"],["Tenant","Route"]],"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Rejections","Unit":"Count"},'
      + '{"Name":"Errors","Unit":"Count"},{"Name":"InputTokens","Unit":"Count"},{"Name":"OutputTokens","Unit":"Count"},'
      + '{"Name":"CacheReadInputTokens","Unit":"Count"},{"Name":"CacheWriteInputTokens","Unit":"Count"},{"Name":"CostUsd","Unit":"None"},'
      + '{"Name":"LatencyMs","Unit":"Milliseconds"},{"Name":"Attempts","Unit":"Count"},{"Name":"Fallbacks","Unit":"Count"},{"Name":"ValidationFailures","Unit":"Count"},'
      + '{"Name":"TimeToFirstTokenMs","Unit":"Milliseconds"}]},{"Namespace":"Ns","Dimensions":[["Prompt","PromptVersion"]],'
      + '"Metrics":[{"Name":"Requests","Unit":"Count"},{"Name":"Errors","Unit":"Count"},{"Name":"PromptValidationFailures","Unit":"Count"},'
      + '{"Name":"CostUsd","Unit":"None"},{"Name":"ValidationFailures","Unit":"Count"}]}]},"Route":"chat","Tenant":"acme","Requests":1,"Rejections":0,"Errors":1,'
      + '"InputTokens":100,"OutputTokens":50,"CacheReadInputTokens":20,"CacheWriteInputTokens":5,"CostUsd":0.0123,"LatencyMs":120,'
      + '"Attempts":2,"Fallbacks":0,"ValidationFailures":0,"TimeToFirstTokenMs":45,"Prompt":"greet","PromptVersion":"4","PromptValidationFailures":0}',
    );
    const minimal: UsageRecord = {
      requestId: 'r-2', timestamp: '2026-01-01T00:00:00.000Z', operation: 'other', stream: false, status: 401, outcome: Outcome.REJECTED,
      attempts: 0, attemptDetails: [], fallback: false, inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0,
      usageEstimated: false, costUsd: 0, latencyMs: 1,
    };
    expect(JSON.stringify(toLogLine(minimal, 'Ns'))).toBe(
      '{"timestamp":"2026-01-01T00:00:00.000Z","level":"WARN","message":"other 401 rejected","gen_ai.operation.name":"other",'
      + '"gen_ai.usage.input_tokens":0,"gen_ai.usage.output_tokens":0,"gen_ai.usage.cache_read.input_tokens":0,'
      + '"gen_ai.usage.cache_creation.input_tokens":0,"http.response.status_code":401,"gateway.request.id":"r-2","gateway.stream":false,'
      + '"gateway.attempts":0,"gateway.fallback":false,"gateway.usage.uncached_input_tokens":0,"gateway.usage.estimated":false,'
      + '"gateway.latency_ms":1,"gateway.cost_usd":0,"gateway.waste_usd":0,"gateway.outcome":"rejected","_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":'
      + '[{"Namespace":"Ns","Dimensions":[["Route"],["Tenant","Route"]],"Metrics":[{"Name":"Requests","Unit":"Count"},'
      + '{"Name":"Rejections","Unit":"Count"},{"Name":"Errors","Unit":"Count"},{"Name":"InputTokens","Unit":"Count"},'
      + '{"Name":"OutputTokens","Unit":"Count"},{"Name":"CacheReadInputTokens","Unit":"Count"},{"Name":"CacheWriteInputTokens","Unit":"Count"},'
      + '{"Name":"CostUsd","Unit":"None"},{"Name":"LatencyMs","Unit":"Milliseconds"},{"Name":"Attempts","Unit":"Count"},'
      + '{"Name":"Fallbacks","Unit":"Count"},{"Name":"ValidationFailures","Unit":"Count"}]}]},"Route":"none","Tenant":"unauthenticated","Requests":1,"Rejections":1,"Errors":0,'
      + '"InputTokens":0,"OutputTokens":0,"CacheReadInputTokens":0,"CacheWriteInputTokens":0,"CostUsd":0,"LatencyMs":1,"Attempts":0,"Fallbacks":0,"ValidationFailures":0}',
    );
  });

  test('the trace chain fields: trace id, stage times, feedback score, validation failure', () => {
    const traced = toLogLine({ ...record, traceId: 'a'.repeat(32), stageMs: { route: 0.5, target: 12 } }, 'Ns');
    expect(traced).toMatchObject({ 'gateway.trace_id': 'a'.repeat(32), 'gateway.stage_ms': { route: 0.5, target: 12 }, 'gateway.validation.failed': false });
    expect(toLogLine({ ...record, errorCode: 'missing_prompt_variable', outcome: Outcome.REJECTED }, 'Ns')['gateway.validation.failed']).toBe(true);
    const feedback = toLogLine({ ...record, operation: 'feedback', feedbackScore: -3 }, 'Ns');
    expect(feedback['gateway.feedback.score']).toBe(-3);
    expect(feedback).not.toHaveProperty('gateway.validation.failed');
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
