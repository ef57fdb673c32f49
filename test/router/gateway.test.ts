import { RateLimitError } from '../../lambda/router/errors';
import { LogUsageSink } from '../../lambda/router/telemetry/log-sink';
import { BudgetGuard, BudgetReservation, BudgetRequest } from '../../lambda/router/usage/budget';
import { Outcome, UsageRecord } from '../../lambda/router/usage/types';
import { ACME_KEY, ACME_PROFILE, GLOBEX_KEY, INITECH_KEY, sha256 } from '../helpers/router-config';
import { chatRequest, hello, MemorySink, send, Steps, testGateway, Upstream } from '../helpers/router-fakes';
import { greetConfig } from '../prompts/fixtures';

const ENVELOPE = { error: { message: expect.any(String), type: expect.any(String), code: expect.any(String), param: null } };

describe('Gateway.handle: JSON answers', () => {
  test('answers in the OpenAI shape with the gateway headers, and records one usage record', async () => {
    // Prepare
    const t = testGateway({ config: greetConfig() });
    t.openai.enqueue(Steps.ok({ text: 'Hi back', usage: { inputTokens: 1000, outputTokens: 500 } }));

    // Act
    const res = await send(t.gateway, chatRequest(hello('chat', { metadata: { workflow: 'support', prompt: 'greet@4' } })));

    // Assess
    expect(res.status).toBe(200);
    const requestId = res.headers['x-request-id'];
    expect(res.headers).toEqual({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'x-gateway-route': 'chat',
      'x-gateway-model': 'qwen3-8b',
      'x-gateway-attempts': '1',
      'x-gateway-fallback': 'false',
      'x-gateway-cost-usd': '0.0002', // 1000 × 0.0001/1K + 500 × 0.0002/1K
      'x-gateway-prompt': 'greet@4',
    });
    expect(res.json()).toEqual({
      id: `chatcmpl-${requestId}`,
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'chat',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi back', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 0 } },
    });
    expect(t.usage.only()).toEqual({
      requestId,
      timestamp: expect.any(String),
      operation: 'chat.completions',
      tenantId: 'acme',
      tier: 'premium',
      keyId: sha256(ACME_KEY).slice(0, 12),
      workflow: 'support',
      promptId: 'greet',
      promptVersion: '4',
      sensitivity: 'internal',
      latencyClass: 'standard',
      requestedModel: 'chat',
      route: 'chat',
      targetId: 'vllm',
      provider: 'openai',
      servedModel: 'qwen3-8b',
      priceModelId: 'qwen3-8b',
      stream: false,
      status: 200,
      outcome: Outcome.SUCCESS,
      attempts: 1,
      attemptDetails: [{ targetId: 'vllm', result: 'ok', durationMs: expect.any(Number) }],
      fallback: false,
      inputTokens: 1000,
      outputTokens: 500,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
      usageEstimated: false,
      wasteUsd: 0,
      wasteInputTokens: 0,
      wasteOutputTokens: 0,
      costUsd: 0.0002,
      latencyMs: expect.any(Number),
    });
  });

  test('the provider request carries attribution metadata sanitised for Bedrock requestMetadata', async () => {
    const t = testGateway();
    await send(t.gateway, chatRequest(hello('chat', { max_tokens: 50, temperature: 0.3 }), { headers: { 'x-gateway-workflow': 'kyc/review' } }));
    const call = t.openai.calls[0];
    expect(call.request).toEqual({
      requestId: expect.any(String),
      system: [],
      messages: [{ role: 'user', content: 'Hello there' }],
      maxTokens: 50,
      temperature: 0.3,
      metadata: { requestId: expect.any(String), tenantId: 'acme', route: 'chat', workflow: 'kyc/review', keyId: sha256(ACME_KEY).slice(0, 12) },
    });
    for (const v of Object.values(call.request.metadata)) expect(v).toMatch(/^[a-zA-Z0-9\s._:/=+$@-]{1,256}$/);
  });

  test('cost includes cache-read and cache-write tokens at their prices; profile targets are priced by their model', async () => {
    const t = testGateway();
    t.bedrock.enqueue(Steps.ok({ text: 'x', usage: { inputTokens: 100, outputTokens: 200, cacheReadInputTokens: 1000, cacheWriteInputTokens: 2000 } }));
    const res = await send(t.gateway, chatRequest(hello('summary')));
    // 100×0.003 + 200×0.015 + 1000×0.0003 + 2000×0.00375 per 1K = 0.0003 + 0.003 + 0.0003 + 0.0075
    expect(res.headers['x-gateway-cost-usd']).toBe('0.0111');
    expect(res.headers['x-gateway-model']).toBe('anthropic.claude-sonnet-4');
    expect(t.bedrock.calls[0].target).toMatchObject({ modelId: ACME_PROFILE });
    expect(t.usage.only()).toMatchObject({ costUsd: 0.0111, priceModelId: 'anthropic.claude-sonnet-4', cacheReadInputTokens: 1000, cacheWriteInputTokens: 2000 });
    expect(res.json().usage).toEqual({ prompt_tokens: 3100, completion_tokens: 200, total_tokens: 3300, prompt_tokens_details: { cached_tokens: 1000 } });
  });

  test('fallback: persistent 429 on vLLM is served by Bedrock, with the headers saying so', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.error(Upstream.throttling());
    const res = await send(t.gateway, chatRequest(hello()));
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'x-gateway-attempts': '4', 'x-gateway-fallback': 'true', 'x-gateway-model': 'amazon.nova-lite-v1:0' });
    expect(t.usage.only()).toMatchObject({ outcome: 'success', attempts: 4, fallback: true, targetId: 'bedrock-nova', provider: 'aws.bedrock' });
  });
});

describe('Gateway.handle: errors', () => {
  test.each<[string, Parameters<typeof chatRequest>, number, string, string, string | null]>([
    ['no API key', [hello(), { key: null }], 401, 'missing_api_key', 'authentication_error', null],
    ['an unknown API key', [hello(), { key: 'sk-wrong' }], 401, 'invalid_api_key', 'authentication_error', null],
    ['invalid JSON', [undefined, { rawBody: '{"model":' }], 400, 'invalid_json', 'invalid_request_error', 'body'],
    ['an unknown alias', [hello('nope')], 404, 'model_not_found', 'not_found_error', 'model'],
    ['another tenant\'s alias', [hello('secure'), { key: GLOBEX_KEY }], 404, 'model_not_found', 'not_found_error', 'model'],
    ['restricted data from a tenant not cleared', [hello('chat'), { key: GLOBEX_KEY, headers: { 'x-gateway-sensitivity': 'restricted' } }], 403, 'sensitivity_not_cleared', 'permission_error', 'sensitivity'],
    ['internal data from a public-only tenant', [hello('chat'), { key: INITECH_KEY, headers: { 'x-gateway-sensitivity': 'internal' } }], 403, 'sensitivity_not_cleared', 'permission_error', 'sensitivity'],
    ['an oversize body', [undefined, { rawBody: `{"model":"chat","messages":[{"role":"user","content":"${'x'.repeat(1_100_000)}"}]}` }], 413, 'request_too_large', 'invalid_request_error', null],
    ['a wrong method', [hello(), { method: 'GET' }], 405, 'method_not_allowed', 'invalid_request_error', null],
    ['an unknown path', [hello(), { path: '/v1/audio/speech' }], 404, 'unknown_url', 'not_found_error', null],
  ])('%s: the status, the OpenAI envelope and a usage record', async (_name, args, status, code, type, param) => {
    const t = testGateway();
    const res = await send(t.gateway, chatRequest(...args));
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toEqual({ error: { message: expect.any(String), type, code, param } });
    expect(res.headers['x-request-id']).toBe(t.usage.only().requestId);
    expect(t.usage.only()).toMatchObject({ status, errorCode: code, outcome: 'rejected', attempts: 0, costUsd: 0 });
    expect(t.openai.calls.length + t.bedrock.calls.length).toBe(0);
  });

  test('405 names the allowed method in Allow', async () => {
    const t = testGateway();
    expect((await send(t.gateway, chatRequest(hello(), { method: 'PUT' }))).headers.allow).toBe('POST');
  });

  test('every target failing: 502 with no upstream internals, tokens and attempts recorded', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.error(Upstream.serverError());
    t.bedrock.defaultStep = Steps.error(Upstream.modelError());
    const res = await send(t.gateway, chatRequest(hello()));
    expect(res.status).toBe(502);
    expect(res.json()).toEqual({ error: { message: "The model 'chat' failed to produce an answer.", type: 'api_error', code: 'upstream_error', param: null } });
    expect(res.headers['x-gateway-attempts']).toBe('4');
    expect(t.usage.only()).toMatchObject({ status: 502, outcome: 'upstream_error', attempts: 4, errorCode: 'upstream_error' });
    expect(t.usage.only().attemptDetails.map((a) => a.result)).toEqual(['internalServerError', 'internalServerError', 'internalServerError', 'modelError']);
  });

  test('429 from every target: 429 with Retry-After', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.error(Upstream.throttling(2000));
    t.bedrock.defaultStep = Steps.error(Upstream.throttling());
    const res = await send(t.gateway, chatRequest(hello()));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toEqual({ error: { message: expect.any(String), type: 'rate_limit_error', code: 'upstream_throttled', param: null } });
  });

  test('hung upstreams: 504 within the deadline', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.hang();
    t.bedrock.defaultStep = Steps.hang();
    const request = { ...chatRequest(hello()), receivedAt: Date.now() - 4800 }; // 200 ms of the 5 s deadline left
    const started = Date.now();
    const res = await send(t.gateway, request);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(res.status).toBe(504);
    expect(res.json()).toMatchObject({ error: { type: 'timeout_error', code: 'upstream_timeout' } });
    expect(t.usage.only()).toMatchObject({ status: 504, outcome: 'upstream_error' });
  });

  test('a bug in a stage is a 500 envelope, with the stack in the usage record for the operator only', async () => {
    const t = testGateway();
    t.openai.complete = () => { throw new TypeError('boom'); };
    const res = await send(t.gateway, chatRequest(hello()));
    // The adapter's non-UpstreamError is treated as a fallback-worthy failure; Bedrock answers.
    expect(res.status).toBe(200);
    const t2 = testGateway();
    (t2.gateway as unknown as { models: () => never }).models = () => { throw new TypeError('boom'); };
    const res2 = await send(t2.gateway, chatRequest(undefined, { method: 'GET', path: '/v1/models' }));
    expect(res2.status).toBe(500);
    expect(res2.json()).toEqual({ error: { message: expect.stringMatching(/^The gateway failed to process this request \(request id .+\)\.$/), type: 'api_error', code: 'internal_error', param: null } });
    expect(res2.body).not.toContain('boom');
    expect(t2.usage.only()).toMatchObject({ status: 500, outcome: 'internal_error', errorCode: 'internal_error', errorDetail: expect.stringContaining('TypeError: boom') });
  });
});

describe('Gateway.handle: streams', () => {
  test('streams chunks, a finish chunk, the usage chunk when asked, then [DONE]', async () => {
    const t = testGateway();
    t.openai.enqueue(Steps.ok({ chunks: ['Hel', 'lo'], usage: { inputTokens: 10, outputTokens: 2 } }));
    const res = await send(t.gateway, chatRequest(hello('chat', { stream: true, stream_options: { include_usage: true } })));
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8', 'x-gateway-route': 'chat', 'x-gateway-attempts': '1' });
    const id = `chatcmpl-${res.headers['x-request-id']}`;
    const chunk = (choices: unknown[], extra = {}) => ({ id, object: 'chat.completion.chunk', created: expect.any(Number), model: 'chat', choices, ...extra });
    expect(res.events()).toEqual([
      chunk([{ index: 0, delta: { role: 'assistant', content: 'Hel' }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'lo' }, logprobs: null, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
      chunk([], { usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 } }, x_gateway: { cost_usd: '0.0000014' } }),
      '[DONE]',
    ]);
    expect(t.usage.only()).toMatchObject({ stream: true, outcome: 'success', status: 200, inputTokens: 10, outputTokens: 2, costUsd: 0.0000014, ttftMs: expect.any(Number) });
  });

  test('no usage chunk without include_usage', async () => {
    const t = testGateway();
    const res = await send(t.gateway, chatRequest(hello('chat', { stream: true })));
    expect(res.events().some((e) => typeof e === 'object' && e !== null && 'usage' in e)).toBe(false);
    expect(res.events().at(-1)).toBe('[DONE]');
    expect(t.usage.only().outputTokens).toBeGreaterThan(0);
  });

  test('an error before the first token fails over: the client sees one clean stream', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.error(Upstream.modelError());
    t.bedrock.enqueue(Steps.ok({ chunks: ['from ', 'bedrock'] }));
    const res = await send(t.gateway, chatRequest(hello('chat', { stream: true })));
    expect(res.starts).toBe(1);
    expect(res.headers).toMatchObject({ 'x-gateway-fallback': 'true', 'x-gateway-attempts': '2', 'x-gateway-model': 'amazon.nova-lite-v1:0' });
    expect(res.events().at(-1)).toBe('[DONE]');
    expect(t.usage.only()).toMatchObject({ outcome: 'success', fallback: true, targetId: 'bedrock-nova' });
  });

  test('every target failing before the first token: a proper HTTP error, not a stream', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.error(Upstream.throttling());
    t.bedrock.defaultStep = Steps.error(Upstream.throttling());
    const res = await send(t.gateway, chatRequest(hello('chat', { stream: true })));
    expect(res.status).toBe(429);
    expect(res.json()).toEqual(ENVELOPE);
  });

  test('an error after the first token: an error event, no [DONE], no failover, usage estimated', async () => {
    const t = testGateway();
    t.openai.enqueue(Steps.midStreamError(['partial ', 'answer'], Upstream.serverError()));
    const res = await send(t.gateway, chatRequest(hello('chat', { stream: true })));
    expect(res.status).toBe(200);
    const events = res.events();
    expect(events).not.toContain('[DONE]');
    expect(events.at(-1)).toEqual({ error: { message: "The model 'chat' failed to produce an answer.", type: 'api_error', code: 'upstream_error', param: null } });
    expect(t.bedrock.calls).toHaveLength(0);
    expect(t.usage.only()).toMatchObject({
      outcome: 'stream_error', status: 200, errorCode: 'upstream_error', usageEstimated: true,
      outputTokens: Math.ceil('partial answer'.length / 4), costUsd: expect.any(Number),
    });
    expect(t.usage.only().costUsd).toBeGreaterThan(0);
  });

  test('a stream stalling after the first token ends at the deadline with a timeout error event', async () => {
    const t = testGateway();
    t.openai.enqueue(Steps.midStreamHang(['partial']));
    const res = await send(t.gateway, { ...chatRequest(hello('chat', { stream: true })), receivedAt: Date.now() - 4850 });
    expect(res.events().at(-1)).toMatchObject({ error: { code: 'upstream_timeout', type: 'timeout_error' } });
    expect(t.usage.only()).toMatchObject({ outcome: 'stream_error', usageEstimated: true });
  });

  test('client disconnect mid-stream aborts the upstream call and records the tokens so far', async () => {
    const t = testGateway();
    t.openai.enqueue(Steps.midStreamHang(['one ', 'two ']));
    const sink = new MemorySink();
    sink.disconnectAfterWrites = 2;
    await send(t.gateway, chatRequest(hello('chat', { stream: true })), sink);
    expect(t.openai.calls[0].aborted).toBe(true);
    expect(t.usage.only()).toMatchObject({ outcome: 'client_disconnect', usageEstimated: true, outputTokens: 2, status: 200 });
  });

  test('client disconnect before any answer (JSON) aborts the call and records the estimated input', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.hang();
    const sink = new MemorySink();
    setTimeout(() => sink.disconnect(), 30);
    await send(t.gateway, chatRequest(hello()), sink);
    expect(t.openai.calls[0].aborted).toBe(true);
    expect(t.bedrock.calls).toHaveLength(0);
    expect(t.usage.only()).toMatchObject({ outcome: 'client_disconnect', status: 499, usageEstimated: true, outputTokens: 0 });
    expect(t.usage.only().inputTokens).toBeGreaterThan(0);
  });
});

describe('Gateway.handle: guardrails', () => {
  test('OpenAI-compatible target: input and output go through ApplyGuardrail', async () => {
    const t = testGateway();
    t.openai.enqueue(Steps.ok({ text: 'model answer' }));
    const res = await send(t.gateway, chatRequest(hello('guarded')));
    expect(t.guardrails.calls).toEqual([
      { source: 'INPUT', text: 'Hello there', identifier: 'gr1abc' },
      { source: 'OUTPUT', text: 'model answer', identifier: 'gr1abc' },
    ]);
    expect(res.headers['x-gateway-guardrail-action']).toBe('NONE');
    expect(t.usage.only().guardrailAction).toBe('NONE');
  });

  test('a blocked input never reaches the model; the answer is the guardrail message', async () => {
    const t = testGateway();
    t.guardrails.verdicts.push({ action: 'INTERVENED', blocked: true, text: 'Sorry, I cannot help with that.' });
    const res = await send(t.gateway, chatRequest(hello('guarded')));
    expect(t.openai.calls).toHaveLength(0);
    expect(res.json()).toMatchObject({ choices: [{ message: { content: 'Sorry, I cannot help with that.' }, finish_reason: 'content_filter' }] });
    expect(res.headers['x-gateway-guardrail-action']).toBe('INTERVENED');
    expect(t.usage.only()).toMatchObject({ outcome: 'success', guardrailAction: 'INTERVENED', attempts: 0, costUsd: 0 });
  });

  test('a masked input is sent masked', async () => {
    const t = testGateway();
    t.guardrails.verdicts.push({ action: 'INTERVENED', blocked: false, text: 'My card is {CREDIT_DEBIT_CARD_NUMBER}' });
    await send(t.gateway, chatRequest(hello('guarded')));
    expect(t.openai.calls[0].request.messages).toEqual([{ role: 'user', content: 'My card is {CREDIT_DEBIT_CARD_NUMBER}' }]);
  });

  test('a blocked output is replaced; a stream with a gateway-side guardrail is buffered, then sent', async () => {
    const t = testGateway();
    t.guardrails.verdicts.push({ action: 'NONE', blocked: false }, { action: 'INTERVENED', blocked: true, text: 'Answer withheld.' });
    t.openai.enqueue(Steps.ok({ text: 'leaky answer' }));
    const res = await send(t.gateway, chatRequest(hello('guarded', { stream: true })));
    expect(t.openai.calls[0].stream).toBe(false);
    const events = res.events();
    expect(events[0]).toMatchObject({ choices: [{ delta: { role: 'assistant', content: 'Answer withheld.' } }] });
    expect(events[1]).toMatchObject({ choices: [{ finish_reason: 'content_filter' }] });
    expect(events.at(-1)).toBe('[DONE]');
    expect(res.body).not.toContain('leaky');
  });

  test('an unreachable guardrail fails closed: 503, the model is not called', async () => {
    const t = testGateway();
    t.guardrails.verdicts.push(Upstream.unavailable());
    const res = await send(t.gateway, chatRequest(hello('guarded')));
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'guardrail_unavailable' } });
    expect(t.openai.calls).toHaveLength(0);
  });
});

describe('Gateway.handle: tenants and policy', () => {
  test('GET /v1/models lists exactly the aliases the tenant may call', async () => {
    const t = testGateway();
    const res = await send(t.gateway, chatRequest(undefined, { method: 'GET', path: '/v1/models', key: INITECH_KEY }));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({
      object: 'list',
      data: [
        { id: 'auto', object: 'model', created: 0, owned_by: 'cdk-ai-gateway' },
        { id: 'chat', object: 'model', created: 0, owned_by: 'cdk-ai-gateway', description: 'General chat' },
      ],
    });
    expect(t.usage.only()).toMatchObject({ operation: 'models', tenantId: 'initech', outcome: 'success' });
  });

  test('the tenant comes from the key, never from the body', async () => {
    const t = testGateway();
    await send(t.gateway, chatRequest(hello('chat', { user: 'acme', metadata: { tenantId: 'acme', tenant: 'acme' } }), { key: GLOBEX_KEY }));
    expect(t.usage.only().tenantId).toBe('globex');
    expect(t.openai.calls[0].request.metadata.tenantId).toBe('globex');
  });

  test('restricted requests reach only routes cleared for them (auto picks one)', async () => {
    const t = testGateway();
    const res = await send(t.gateway, chatRequest(hello('auto'), { headers: { 'x-gateway-sensitivity': 'restricted' } }));
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-route']).toBe('secure');
    expect(t.bedrock.calls[0].target).toMatchObject({ id: 'bedrock-secure' });
  });

  test('the budget guard reserves the worst case and settles the actual cost; a refusal is a 429', async () => {
    const reserved: BudgetRequest[] = [];
    const settled: number[] = [];
    const budget: BudgetGuard = {
      reserve: async (r) => {
        reserved.push(r);
        if (reserved.length > 1) throw new RateLimitError('The tenant budget is exhausted.', 'budget_exceeded', 3600);
        return { requestId: r.requestId, tenantId: r.tenantId, reservedUsd: r.estimatedCostUsd } as BudgetReservation;
      },
      settle: async (_r, cost) => { settled.push(cost); },
    };
    const t = testGateway({ budget });
    t.openai.enqueue(Steps.ok({ usage: { inputTokens: 1000, outputTokens: 1000 } }));
    await send(t.gateway, chatRequest(hello('chat', { max_tokens: 100 })));
    expect(reserved[0]).toMatchObject({ tenantId: 'acme', route: 'chat' });
    expect(reserved[0].estimatedCostUsd).toBeGreaterThan(0);
    expect(settled).toEqual([0.0003]);
    const res = await send(t.gateway, chatRequest(hello()));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('3600');
    expect(t.usage.records[1]).toMatchObject({ status: 429, outcome: 'rejected', errorCode: 'budget_exceeded' });
  });
});

describe('Gateway.handle: telemetry privacy', () => {
  test('the text of a restricted request never appears on stdout or stderr, even when it fails', async () => {
    // Prepare: the default sink, writing to the real stdout, captured.
    const lines: string[] = [];
    const errors: string[] = [];
    const canary = 'CANARY-PATIENT-RECORD-4711';
    const t = testGateway({ usageSink: new LogUsageSink() });
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { lines.push(String(chunk)); return true; });
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { errors.push(String(chunk)); return true; });
    t.bedrock.enqueue(Steps.ok({ text: `echo ${canary}` }), Steps.midStreamError([`${canary} `], Upstream.serverError()));
    const restricted = { 'x-gateway-sensitivity': 'restricted' };
    const body = (extra = {}) => ({ model: 'secure', messages: [{ role: 'user', content: `Diagnose ${canary}` }], user: canary, metadata: { note: canary }, ...extra });

    // Act
    try {
      await send(t.gateway, chatRequest(body(), { headers: restricted }));
      await send(t.gateway, chatRequest(body({ stream: true }), { headers: restricted }));
      await send(t.gateway, chatRequest(body({ temperature: canary }), { headers: restricted }));
      await send(t.gateway, chatRequest(body(), { headers: restricted, key: GLOBEX_KEY }));
    } finally {
      out.mockRestore();
      err.mockRestore();
    }

    // Assess
    expect(lines).toHaveLength(4);
    for (const line of [...lines, ...errors]) expect(line).not.toContain(canary);
    expect(lines.map((l) => (JSON.parse(l) as Record<string, unknown>)['gateway.outcome'])).toEqual(['success', 'stream_error', 'rejected', 'rejected']);
  });
});

describe('exactly one usage record per request', () => {
  test('across a mix of outcomes', async () => {
    const t = testGateway();
    t.openai.defaultStep = Steps.error(Upstream.throttling());
    const requests = [
      chatRequest(hello()), chatRequest(hello(), { key: null }), chatRequest(hello('nope')),
      chatRequest(hello('chat', { stream: true })), chatRequest(undefined, { rawBody: 'garbage' }),
    ];
    for (const r of requests) await send(t.gateway, r);
    expect(t.usage.records).toHaveLength(requests.length);
    expect(new Set(t.usage.records.map((r: UsageRecord) => r.requestId)).size).toBe(requests.length);
  });
});
