/** The retrieval stage through the gateway: prompt assembly, citations, the context cap, grounding, the usage record. */
import { fitContext } from '../../../lambda/router/pipeline/retrieval';
import { GroundingScorer } from '../../../lambda/router/retrieval/grounding';
import { Outcome } from '../../../lambda/router/usage/types';
import { PromptRole } from '../../../lambda/shared/config';
import { ValidationFinalAction } from '../../../lambda/shared/config-validation';
import { resolved } from '../../helpers/router-config';
import { chatRequest, GLOBEX, send, Steps, testGateway } from './gateway-helpers';
import { localRetriever, retrievalConfig, retrievalResolved } from './fixtures';

const ask = (extra: Record<string, unknown> = {}, model = 'chat'): Record<string, unknown> => ({
  model, messages: [{ role: 'user', content: 'What is the refund policy for cards?' }], ...extra,
});

describe('retrieval through the gateway', () => {
  test('passages enter a system block numbered [n], the answer carries citations, the record the documents', async () => {
    // Prepare
    const t = testGateway({ config: retrievalResolved({ costPerQueryUsd: 0.001 }), retrievers: { local: localRetriever() } });
    t.openai.enqueue(Steps.ok({ text: 'Five days [1].' }));

    // Act
    const res = await send(t.gateway, chatRequest(ask({ retrieval: { source: 'handbook', top_k: 2, filter: { equals: { key: 'product', value: 'cards' } } } })));

    // Assess
    expect(res.status).toBe(200);
    const system = t.openai.calls[0].request.system.join('\n');
    expect(system).toContain('[1] (s3://docs/');
    expect(system).toContain('<passages>');
    const body = res.json() as unknown as { citations: { index: number; source: string; document_id: string }[] };
    expect(body.citations.map((c) => c.index)).toEqual([1, 2]);
    expect(body.citations.every((c) => c.source === 'handbook' && /^(acme|everyone)-(public|internal)-cards$/.test(c.document_id))).toBe(true);
    const record = t.usage.only();
    expect(record.retrieval).toMatchObject({ source: 'handbook', refused: 0, costUsd: 0.001 });
    expect(record.retrieval!.documents).toHaveLength(2);
    expect(record.retrieval!.contextTokens).toBeGreaterThan(0);
    expect(record.costUsd).toBeGreaterThanOrEqual(0.001);
  });

  test('a route that always retrieves uses the last user message as the query', async () => {
    const t = testGateway({ config: retrievalResolved(), retrievers: { local: localRetriever() } });
    t.openai.enqueue(Steps.ok({ text: 'ok' }));
    const res = await send(t.gateway, chatRequest(ask({}, 'rag')));
    expect(res.status).toBe(200);
    expect(t.usage.only().retrieval!.documents).toHaveLength(3);
  });

  test("the prompt's {{context}} slot receives the passages instead of a system block", async () => {
    // Prepare
    const base = retrievalConfig();
    const config = resolved({
      ...base,
      prompts: [{ id: 'rag-answer', versions: [{ version: 1, routes: ['chat'], system: 'Use only these sources:\n{{context}}' }] }],
    });
    const t = testGateway({ config, retrievers: { local: localRetriever() } });
    t.openai.enqueue(Steps.ok({ text: 'ok' }));

    // Act
    const res = await send(t.gateway, chatRequest(ask({ prompt: { id: 'rag-answer' }, retrieval: { source: 'handbook', top_k: 1 } })));

    // Assess
    expect(res.status).toBe(200);
    const system = t.openai.calls[0].request.system;
    expect(system[0]).toMatch(/^Use only these sources:\n\[1\] \(s3:\/\/docs\//);
    expect(system.join('\n')).not.toContain('<passages>');
    expect(system.join('\n')).not.toContain('\u0000');
  });

  test('a prompt with {{context}} and no retrieval renders the slot empty', async () => {
    const config = resolved({ ...retrievalConfig(), prompts: [{ id: 'p', versions: [{ version: 1, routes: ['chat'], messages: [{ role: PromptRole.USER, content: 'Context: {{context}}.' }] }] }] });
    const t = testGateway({ config });
    t.openai.enqueue(Steps.ok({ text: 'ok' }));
    await send(t.gateway, chatRequest(ask({ prompt: { id: 'p' } })));
    expect(t.openai.calls[0].request.messages[0].content).toBe('Context: .\n\nWhat is the refund policy for cards?');
  });

  test.each([
    [{ source: 'nope' }, 404, 'knowledge_source_not_found', 'retrieval.source'],
    [{ source: 'handbook', filter: { equals: { key: 'tenant', value: 'globex' } } }, 400, 'invalid_retrieval_filter', 'retrieval.filter.equals.key'],
    [{ source: 'handbook', filter: { orAll: [{ equals: { key: 'product', value: 'x' } }] } }, 400, 'invalid_retrieval_filter', 'retrieval.filter.orAll'],
    [{ source: 'handbook', filter: { regex: { key: 'product', value: '.*' } } }, 400, 'invalid_retrieval_filter', 'retrieval.filter'],
    [{ source: 'handbook', top_k: 11 }, 400, 'invalid_value', 'retrieval.top_k'],
    [{ source: 'handbook', extra: 1 }, 400, 'unknown_parameter', 'retrieval.extra'],
  ])('refuses %j with %i %s naming %s, before any model call', async (retrieval, status, code, param) => {
    const t = testGateway({ config: retrievalResolved(), retrievers: { local: localRetriever() } });
    const res = await send(t.gateway, chatRequest(ask({ retrieval })));
    expect(res.status).toBe(status);
    expect(res.json()).toMatchObject({ error: { code, param } });
    expect(t.openai.calls).toHaveLength(0);
    expect(t.usage.records).toHaveLength(1);
  });

  test('a tenant not granted the source gets the same 404 as for an unknown source', async () => {
    const t = testGateway({ config: retrievalResolved(), retrievers: { local: localRetriever() } });
    const res = await send(t.gateway, chatRequest(ask({ retrieval: { source: 'handbook' } }), { key: 'sk-test-initech-1' }));
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'knowledge_source_not_found' } });
  });

  test('a failing knowledge source is a 503 retrieval_unavailable with one usage record', async () => {
    const t = testGateway({ config: retrievalResolved({ kbEndpoint: 'http://127.0.0.1:9' }), retrievers: { bedrock: { retrieve: () => Promise.reject(new Error('down')) } } });
    const res = await send(t.gateway, chatRequest(ask({ retrieval: { source: 'kb' } }), { key: GLOBEX }));
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'retrieval_unavailable' } });
    expect(t.usage.only().outcome).toBe(Outcome.UPSTREAM_ERROR);
  });
});

describe('the context cap', () => {
  const passage = (id: string, score: number, chars: number) => ({ documentId: id, text: 'x'.repeat(chars), score, metadata: {} });

  test('drops the lowest-scored passages first to stay within maxContextTokens', () => {
    const kept = fitContext([passage('low', 0.2, 400), passage('top', 0.9, 400), passage('mid', 0.5, 400)], { topK: 10, minScore: 0, maxTokens: 250 });
    expect(kept.map((p) => p.documentId)).toEqual(['top', 'mid']);
    expect(kept.reduce((a, p) => a + p.tokens, 0)).toBeLessThanOrEqual(250);
  });

  test('a single passage longer than the whole budget is cut to it', () => {
    const kept = fitContext([passage('huge', 0.9, 100_000), passage('next', 0.8, 40)], { topK: 10, minScore: 0, maxTokens: 100 });
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ documentId: 'huge', truncated: true });
    expect(kept[0].tokens).toBeLessThanOrEqual(100);
  });

  test('passages below minScore never enter', () => {
    expect(fitContext([passage('a', 0.29, 4)], { topK: 10, minScore: 0.3, maxTokens: 100 })).toEqual([]);
  });

  test('long passages through the gateway stay within the cap', async () => {
    const t = testGateway({ config: retrievalResolved({ maxContextTokens: 30 }), retrievers: { local: localRetriever() } });
    t.openai.enqueue(Steps.ok({ text: 'ok' }));
    await send(t.gateway, chatRequest(ask({ retrieval: { source: 'handbook', top_k: 10 } })));
    const r = t.usage.only().retrieval!;
    expect(r.contextTokens).toBeLessThanOrEqual(30);
    expect(r.dropped).toBeGreaterThan(0);
  });
});

describe('grounding', () => {
  const scorer = (grounding: number): GroundingScorer & { calls: { sources: string; query: string; answer: string }[] } => {
    const calls: { sources: string; query: string; answer: string }[] = [];
    return { calls, score: async (_g, input) => { calls.push(input); return { grounding, relevance: 0.9 }; } };
  };

  test('an answer below the grounding threshold is rejected with grounding_failed and recorded as failed', async () => {
    // Prepare
    const grounding = scorer(0.3);
    const t = testGateway({ config: retrievalResolved(), retrievers: { local: localRetriever() }, grounding });
    t.openai.enqueue(Steps.ok({ text: 'Refunds take 90 days.' }));

    // Act
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded')));

    // Assess
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ error: { code: 'grounding_failed' } });
    expect(grounding.calls[0]).toMatchObject({ answer: 'Refunds take 90 days.', query: 'What is the refund policy for cards?' });
    expect(grounding.calls[0].sources).toContain('Refund policy for');
    const record = t.usage.only();
    expect(record.retrieval).toMatchObject({ groundingPassed: false, groundingScore: 0.3 });
    expect(record.errorCode).toBe('grounding_failed');
  });

  test('a grounded answer passes, also for a stream (buffered for the check)', async () => {
    const t = testGateway({ config: retrievalResolved(), retrievers: { local: localRetriever() }, grounding: scorer(0.95) });
    t.openai.enqueue(Steps.ok({ text: 'Five days [1].' }));
    const res = await send(t.gateway, chatRequest(ask({ stream: true }, 'grounded')));
    expect(res.status).toBe(200);
    expect(res.body).toContain('"citations"');
    expect(t.usage.only().retrieval).toMatchObject({ groundingPassed: true });
  });

  test('without a scorer the grounded route fails closed', async () => {
    const t = testGateway({ config: retrievalResolved(), retrievers: { local: localRetriever() } });
    t.openai.enqueue(Steps.ok({ text: 'x' }));
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded')));
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'guardrail_unavailable' } });
  });
});

describe('grounding under the route\'s validation policy', () => {
  /** A scorer that answers the given grounding scores in turn (relevance always passes). */
  const scores = (...grounding: number[]): GroundingScorer & { calls: { answer: string }[] } => {
    const calls: { answer: string }[] = [];
    return { calls, score: async (_g, input) => { calls.push(input); return { grounding: grounding[Math.min(calls.length, grounding.length) - 1], relevance: 0.9 }; } };
  };
  const check = { guardrail: 'pii', groundingThreshold: 0.7 };
  const config = () => {
    const base = retrievalConfig();
    return resolved({
      ...base,
      tenants: base.tenants.map((t) => (t.id === 'initech' ? t : { ...t, allowedAliases: [...t.allowedAliases, 'grounded-flag', 'grounded-reject', 'grounded-escalate'] })),
      routes: [
        ...base.routes,
        { alias: 'grounded-flag', targets: ['vllm'], retrieval: { source: 'handbook', grounding: check }, validation: { retries: 1, onFailure: ValidationFinalAction.FLAG } },
        { alias: 'grounded-reject', targets: ['vllm'], retrieval: { source: 'handbook', grounding: check }, validation: { onFailure: ValidationFinalAction.REJECT } },
        { alias: 'grounded-escalate', targets: ['vllm'], retrieval: { source: 'handbook', grounding: check }, validation: { escalateTo: 'chat', onFailure: ValidationFinalAction.REJECT } },
      ],
    });
  };

  test('a failed check is retried with a repair instruction naming grounding, then the answer is flagged; one usage record', async () => {
    // Prepare
    const grounding = scores(0.3, 0.4);
    const t = testGateway({ config: config(), retrievers: { local: localRetriever() }, grounding });
    t.openai.enqueue(Steps.ok({ text: 'Refunds take 90 days.' }));
    t.openai.enqueue(Steps.ok({ text: 'Refunds take 60 days.' }));

    // Act
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded-flag')));

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['x-gateway-validation']).toMatch(/^flagged; validator=grounding/);
    expect((res.json() as unknown as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('Refunds take 60 days.');
    expect(grounding.calls.map((c) => c.answer)).toEqual(['Refunds take 90 days.', 'Refunds take 60 days.']);
    const repair = t.openai.calls[1].request.messages.at(-1)!.content;
    expect(repair).toContain('(grounding, groundingThreshold 0.7)');
    expect(repair).toContain('grounding score 0.30 is below 0.7');
    expect(t.usage.records).toHaveLength(1);
    const record = t.usage.only();
    expect(record).toMatchObject({ validationOutcome: 'flagged', validator: 'grounding', validationRule: 'groundingThreshold 0.7', validationAnswers: 2 });
    expect(record.retrieval).toMatchObject({ groundingPassed: false, groundingScore: 0.4 });
    expect(record.attemptDetails?.filter((a) => a.validator === 'grounding')).toHaveLength(2);
  });

  test('a repaired answer that passes is returned with the repair recorded', async () => {
    const t = testGateway({ config: config(), retrievers: { local: localRetriever() }, grounding: scores(0.3, 0.95) });
    t.openai.enqueue(Steps.ok({ text: 'Refunds take 90 days.' }));
    t.openai.enqueue(Steps.ok({ text: 'Five days [1].' }));
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded-flag')));
    expect(res.status).toBe(200);
    expect(t.usage.only()).toMatchObject({ validationOutcome: 'repaired', validator: 'grounding', retrieval: { groundingPassed: true } });
  });

  test('under reject, a failed check is a 422 validation_failed naming grounding, never the answer; one usage record', async () => {
    // Prepare
    const t = testGateway({ config: config(), retrievers: { local: localRetriever() }, grounding: scores(0.2) });
    t.openai.enqueue(Steps.ok({ text: 'Refunds take 90 days.' }));

    // Act
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded-reject')));

    // Assess
    expect(res.status).toBe(422);
    const error = (res.json() as unknown as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain('validator grounding, rule groundingThreshold 0.7');
    expect(error.message).not.toContain('90 days');
    expect(t.openai.calls).toHaveLength(1);
    expect(t.usage.records).toHaveLength(1);
    expect(t.usage.only()).toMatchObject({ validationOutcome: 'rejected', validator: 'grounding', errorCode: 'validation_failed', retrieval: { groundingPassed: false } });
  });

  test('the escalation alias gets the same passages, and its answer is checked against them', async () => {
    // Prepare
    const grounding = scores(0.3, 0.9);
    const t = testGateway({ config: config(), retrievers: { local: localRetriever() }, grounding });
    t.openai.enqueue(Steps.ok({ text: 'Refunds take 90 days.' }));
    t.openai.enqueue(Steps.ok({ text: 'Five days [1].' }));

    // Act
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded-escalate')));

    // Assess
    expect(res.status).toBe(200);
    expect(t.openai.calls).toHaveLength(2);
    expect(t.openai.calls[1].request.system.join('\n')).toContain('<passages>');
    expect(grounding.calls.map((c) => c.answer)).toEqual(['Refunds take 90 days.', 'Five days [1].']);
    expect(t.usage.only()).toMatchObject({ validationOutcome: 'escalated', validator: 'grounding', retrieval: { groundingPassed: true } });
  });

  test('a check that cannot run still fails closed under a validation block', async () => {
    const t = testGateway({ config: config(), retrievers: { local: localRetriever() }, grounding: { score: () => Promise.reject(new Error('down')) } });
    t.openai.enqueue(Steps.ok({ text: 'x' }));
    const res = await send(t.gateway, chatRequest(ask({}, 'grounded-flag')));
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'guardrail_unavailable' } });
    expect(t.usage.records).toHaveLength(1);
  });
});
