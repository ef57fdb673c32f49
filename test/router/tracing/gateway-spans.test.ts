import { InMemorySpanExporter } from '../../../lambda/router/tracing/exporter';
import { FinishedSpan, SpanKind, SpanStatus, STAGE } from '../../../lambda/router/tracing/spans';
import { Outcome } from '../../../lambda/router/usage/types';
import { resolved } from '../../helpers/router-config';
import { chatRequest, hello, send, Steps, testGateway, Upstream } from '../../helpers/router-fakes';
import { promptConfig } from '../../prompts/fixtures';

const PARENT = '00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01';

function traced(config = resolved(promptConfig())) {
  const traces = new InMemorySpanExporter();
  return { ...testGateway({ config, traces }), traces };
}

const byName = (spans: readonly FinishedSpan[], name: string): FinishedSpan[] => spans.filter((s) => s.name === name);
const one = (spans: readonly FinishedSpan[], name: string): FinishedSpan => {
  const found = byName(spans, name);
  expect(found).toHaveLength(1);
  return found[0];
};
const rootOf = (spans: readonly FinishedSpan[]): FinishedSpan => spans.find((s) => s.kind === SpanKind.SERVER)!;
const childrenOf = (spans: readonly FinishedSpan[], parent: FinishedSpan): string[] => spans.filter((s) => s.parentSpanId === parent.spanId).map((s) => s.name);

describe('spans of a chat request', () => {
  test('success: one trace continuing the caller, a span per stage under the root, the model call as a GenAI CLIENT span', async () => {
    // Prepare
    const t = traced();
    t.openai.enqueue(Steps.ok({ text: 'Refunded.', usage: { inputTokens: 40, outputTokens: 5 } }));

    // Act
    const res = await send(t.gateway, chatRequest({
      model: 'chat', max_tokens: 64, temperature: 0.2, metadata: { workflow: 'support' },
      prompt: { id: 'support-reply', version: 'prod', variables: { product: 'Acme Pay', ticket: 'Charged twice' } },
    }, { headers: { traceparent: PARENT } }));

    // Assess
    const spans = t.traces.spans;
    const root = rootOf(spans);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['5759e988bd862e3fe1be46a994272793']));
    expect(root).toMatchObject({ name: 'POST /v1/chat/completions', parentSpanId: '53995c3f42cd8ad8', status: SpanStatus.UNSET });
    expect(childrenOf(spans, root)).toEqual([
      STAGE.TENANT, STAGE.PARSE, STAGE.PROMPT, STAGE.TENANT_POLICY, STAGE.ROUTE, STAGE.BUDGET, STAGE.TARGET, STAGE.RESPONSE, STAGE.USAGE,
    ]);
    const target = one(spans, STAGE.TARGET);
    expect(target.attributes).toEqual({ 'gateway.target.id': 'vllm', 'gateway.fallback.index': 0 });
    const call = spans.find((s) => s.parentSpanId === target.spanId)!;
    expect(call).toMatchObject({ name: 'chat qwen3-8b', kind: SpanKind.CLIENT, status: SpanStatus.UNSET });
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'qwen3-8b',
      'gen_ai.request.max_tokens': 64, 'gen_ai.request.temperature': 0.2, 'gen_ai.response.model': 'qwen3-8b',
      'gen_ai.response.finish_reasons': ['stop'], 'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 5,
      'gateway.target.id': 'vllm', 'gateway.attempt': 1,
    });
    expect(one(spans, STAGE.PROMPT).attributes).toEqual({ 'gateway.prompt.id': 'support-reply', 'gateway.prompt.version': '1' });
    expect(one(spans, STAGE.ROUTE).attributes).toMatchObject({ 'gateway.route': 'chat', 'gateway.route.candidates': ['vllm', 'bedrock-nova'] });
    const record = t.usage.only();
    expect(root.attributes).toMatchObject({
      'gateway.request.id': res.headers['x-request-id'], 'gateway.tenant.id': 'acme', 'gateway.workflow': 'support',
      'gateway.prompt.version': '1', 'gateway.route': 'chat', 'gateway.outcome': Outcome.SUCCESS, 'http.response.status_code': 200,
      'gen_ai.usage.output_tokens': 5, 'gateway.fallback': false,
    });
    expect(record.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect(Object.keys(record.stageMs ?? {})).toEqual(expect.arrayContaining(['tenant', 'parse', 'prompt', 'route', 'target', 'response']));
    for (const s of spans) expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);
  });

  test('no message text, user or metadata value is in any span', async () => {
    const t = traced();
    await send(t.gateway, chatRequest(hello('chat', { user: 'secret-user', metadata: { note: 'secret-note' } })));
    const text = JSON.stringify(t.traces.spans);
    expect(text).not.toMatch(/Hello there|secret-user|secret-note/);
  });

  test('fallback: each failed attempt is a failed CLIENT span under the first target, the serving target follows', async () => {
    const t = traced();
    t.openai.defaultStep = Steps.error(Upstream.throttling());
    await send(t.gateway, chatRequest(hello()));
    const spans = t.traces.spans;
    const [first, second] = byName(spans, STAGE.TARGET);
    expect(first).toMatchObject({ status: SpanStatus.ERROR, attributes: { 'gateway.target.id': 'vllm', 'gateway.fallback.index': 0, 'error.type': 'throttling' } });
    expect(second).toMatchObject({ status: SpanStatus.UNSET, attributes: { 'gateway.target.id': 'bedrock-nova', 'gateway.fallback.index': 1 } });
    const failed = spans.filter((s) => s.parentSpanId === first.spanId);
    expect(failed.map((s) => [s.attributes['gateway.attempt'], s.attributes['error.type'], s.attributes['http.response.status_code']]))
      .toEqual([[1, 'throttling', 429], [2, 'throttling', 429], [3, 'throttling', 429]]);
    expect(spans.filter((s) => s.parentSpanId === second.spanId)).toEqual([expect.objectContaining({
      name: 'chat amazon.nova-lite-v1:0', attributes: expect.objectContaining({ 'gen_ai.provider.name': 'aws.bedrock' }),
    })]);
    expect(rootOf(spans).attributes).toMatchObject({ 'gateway.fallback': true, 'gateway.attempts': 4 });
  });

  test('validation failure: the prompt stage fails with its error type, no model is called, the root carries the error', async () => {
    const t = traced();
    const res = await send(t.gateway, chatRequest({ model: 'chat', prompt: { id: 'support-reply', version: 'prod', variables: { product: 'P' } } }));
    expect(res.status).toBe(400);
    const spans = t.traces.spans;
    const code = (res.json() as { error: { code: string } }).error.code;
    expect(one(spans, STAGE.PROMPT)).toMatchObject({ status: SpanStatus.ERROR, attributes: { 'error.type': code } });
    expect(byName(spans, STAGE.TARGET)).toEqual([]);
    expect(rootOf(spans)).toMatchObject({ status: SpanStatus.ERROR, statusMessage: code, attributes: expect.objectContaining({ 'http.response.status_code': 400 }) });
  });

  test('stream cut: the attempt succeeded at its first chunk, the response span fails at the cut and ends at the last byte', async () => {
    const t = traced();
    t.openai.enqueue(Steps.midStreamError(['Hel', 'lo'], Upstream.serverError()));
    const res = await send(t.gateway, chatRequest(hello('chat', { stream: true })));
    expect(res.status).toBe(200);
    const spans = t.traces.spans;
    const response = one(spans, STAGE.RESPONSE);
    expect(response).toMatchObject({ status: SpanStatus.ERROR, attributes: { 'gateway.stream': true, 'error.type': 'upstream_error' } });
    const call = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(call.status).toBe(SpanStatus.UNSET);
    expect(call.endMs).toBeLessThanOrEqual(response.endMs);
    expect(call.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    expect(rootOf(spans).attributes).toMatchObject({ 'gateway.outcome': Outcome.STREAM_ERROR, 'error.type': 'upstream_error' });
    expect(t.usage.only().stageMs).toHaveProperty('response');
  });

  test('a streamed success carries usage on its CLIENT span', async () => {
    const t = traced();
    t.openai.enqueue(Steps.ok({ chunks: ['a', 'b'], usage: { inputTokens: 7, outputTokens: 2 } }));
    await send(t.gateway, chatRequest(hello('chat', { stream: true })));
    const call = t.traces.spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(call.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 2, 'gen_ai.response.finish_reasons': ['stop'] });
  });

  test('gateway-side guardrails are spans of their own, inside the target they guard, with their action', async () => {
    const t = traced(resolved());
    t.guardrails.verdicts.push({ action: 'INTERVENED', blocked: false, text: 'masked' });
    await send(t.gateway, chatRequest(hello('guarded')));
    const spans = t.traces.spans;
    const target = one(spans, STAGE.TARGET);
    expect(one(spans, STAGE.INPUT_GUARDRAIL)).toMatchObject({ attributes: { 'gateway.guardrail.action': 'INTERVENED' } });
    expect(one(spans, STAGE.OUTPUT_GUARDRAIL)).toMatchObject({ attributes: { 'gateway.guardrail.action': 'NONE' } });
    expect(childrenOf(spans, target)).toEqual([STAGE.INPUT_GUARDRAIL, 'chat qwen3-8b', STAGE.OUTPUT_GUARDRAIL]);
  });
});

describe('trace context', () => {
  test("continues API Gateway's X-Amzn-Trace-Id", async () => {
    const t = traced();
    await send(t.gateway, chatRequest(hello(), { headers: { 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=1111111111111111;Sampled=1' } }));
    const root = rootOf(t.traces.spans);
    expect(root.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect(root.parentSpanId).toBe('1111111111111111');
  });

  test("prefers the invocation's own trace header (Lambda's segment) to the request's", async () => {
    const t = traced();
    const request = { ...chatRequest(hello(), { headers: { traceparent: PARENT } }), tracing: { traceHeader: 'Root=1-66666666-777777777777777777777777;Parent=2222222222222222;Sampled=1' } };
    await send(t.gateway, request);
    expect(rootOf(t.traces.spans)).toMatchObject({ traceId: '66666666777777777777777777777777', parentSpanId: '2222222222222222' });
  });

  test('the authorizer is a span from its timing in the request context, and the root starts with it', async () => {
    const t = traced();
    const base = chatRequest(hello());
    await send(t.gateway, { ...base, tracing: { authorizer: { startMs: base.receivedAt - 30, durationMs: 12 } } });
    const spans = t.traces.spans;
    const authorizer = one(spans, STAGE.AUTHORIZER);
    expect(authorizer.endMs - authorizer.startMs).toBe(12);
    expect(rootOf(spans).startMs).toBe(base.receivedAt - 30);
  });

  test('a trace the caller did not sample records nothing', async () => {
    const t = traced();
    await send(t.gateway, chatRequest(hello(), { headers: { traceparent: PARENT.replace(/-01$/, '-00') } }));
    expect(t.traces.spans).toEqual([]);
    expect(t.usage.only().traceId).toBeUndefined();
  });

  test('without an exporter, records carry no trace and no stage times', async () => {
    const t = testGateway();
    await send(t.gateway, chatRequest(hello()));
    expect(t.usage.only()).not.toHaveProperty('traceId');
    expect(t.usage.only()).not.toHaveProperty('stageMs');
  });

  test('a new trace without any header has an X-Ray-compatible id (epoch seconds first)', async () => {
    const t = traced();
    const before = Math.floor(Date.now() / 1000);
    await send(t.gateway, chatRequest(hello()));
    const root = rootOf(t.traces.spans);
    expect(root.parentSpanId).toBeUndefined();
    expect(parseInt(root.traceId.slice(0, 8), 16)).toBeGreaterThanOrEqual(before);
  });
});
