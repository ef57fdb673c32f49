import { UpstreamError } from '../../../lambda/router/errors';
import { ChainFailed, runWithFallback } from '../../../lambda/router/pipeline/fallback';
import { completeOnTarget, InvokeContext } from '../../../lambda/router/pipeline/invoke';
import { OpenAiTarget, ProviderAdapter } from '../../../lambda/router/providers/types';
import { CircuitBreakers } from '../../../lambda/router/reliability/circuit-breaker';
import { Candidate } from '../../../lambda/router/pipeline/types';
import { Steps, Upstream } from '../../helpers/router-fakes';
import { Harness, harness, rejection, request } from '../../helpers/router-harness';

describe('runWithFallback', () => {
  const call = (h: Harness) => (c: Candidate) => completeOnTarget(c, request, h.ctx);

  test('persistent 429 on the first target falls back to the next', async () => {
    const h = harness();
    h.openai.defaultStep = Steps.error(Upstream.throttling());
    h.bedrock.enqueue(Steps.ok({ text: 'from bedrock' }));
    const r = await runWithFallback(h.plan, h.ctx, call(h));
    expect(r.result.text).toBe('from bedrock');
    expect(r.candidate.config.id).toBe('bedrock-nova');
    expect(r.fallback).toBe(true);
    expect(h.attempts.map((a) => `${a.targetId}:${a.result}`)).toEqual(['vllm:throttling', 'vllm:throttling', 'vllm:throttling', 'bedrock-nova:ok']);
  });

  test('the first target answering is no fallback', async () => {
    const h = harness();
    expect((await runWithFallback(h.plan, h.ctx, call(h))).fallback).toBe(false);
  });

  test('a later target skipped (e.g. no tools capability) does not make the first target\'s answer a fallback', async () => {
    const h = harness();
    const [first, ...rest] = h.plan.candidates;
    const plan = { ...h.plan, candidates: [first], skipped: rest.map((c) => ({ targetId: c.config.id, reason: 'missing_capability' as const, estimatedCostUsd: 0 })) };
    const r = await runWithFallback(plan, h.ctx, call(h));
    expect(r.candidate.config.id).toBe(h.plan.primaryTargetId);
    expect(r.fallback).toBe(false);
  });

  test('the route\'s first target skipped: the next target\'s answer is a fallback', async () => {
    const h = harness();
    const [first, ...rest] = h.plan.candidates;
    const plan = { ...h.plan, candidates: rest, skipped: [{ targetId: first.config.id, reason: 'missing_capability' as const, estimatedCostUsd: 0 }] };
    const r = await runWithFallback(plan, h.ctx, call(h));
    expect(r.candidate.config.id).not.toBe(h.plan.primaryTargetId);
    expect(r.fallback).toBe(true);
  });

  test.each<[string, UpstreamError, number, string]>([
    ['throttling everywhere → 429', Upstream.throttling(), 429, 'upstream_throttled'],
    ['5xx everywhere → 502', Upstream.serverError(), 502, 'upstream_error'],
    ['unavailable everywhere → 503', Upstream.unavailable(), 503, 'upstream_unavailable'],
    ['malformed bodies everywhere → 502', Upstream.malformed(), 502, 'upstream_error'],
    ['the gateway\'s own access denied everywhere → 502', Upstream.accessDenied(), 502, 'upstream_configuration_error'],
  ])('%s', async (_name, error, status, code) => {
    const h = harness();
    h.openai.defaultStep = Steps.error(error);
    h.bedrock.defaultStep = Steps.error(error);
    const e = await rejection(runWithFallback(h.plan, h.ctx, call(h)));
    expect(e).toBeInstanceOf(ChainFailed);
    expect({ status: (e as ChainFailed).error.status, code: (e as ChainFailed).error.code }).toEqual({ status, code });
    expect((e as ChainFailed).error.message).not.toMatch(/throttled|internal|denied|bad body/);
  });

  test('429 carries the longest Retry-After hint', async () => {
    const h = harness();
    h.openai.defaultStep = Steps.error(Upstream.throttling(3000));
    h.bedrock.defaultStep = Steps.error(Upstream.throttling(7000));
    const e = (await rejection(runWithFallback(h.plan, h.ctx, call(h)))) as ChainFailed;
    expect(e.error.headers()).toEqual({ 'retry-after': '7' });
  });

  test('a client error from the upstream stops the chain with a 400 that hides the upstream message', async () => {
    const h = harness();
    h.openai.enqueue(Steps.error(Upstream.validation()));
    const e = (await rejection(runWithFallback(h.plan, h.ctx, call(h)))) as ChainFailed;
    expect({ status: e.error.status, code: e.error.code }).toEqual({ status: 400, code: 'upstream_rejected_request' });
    expect(e.error.message).not.toContain('secret upstream detail');
    expect(h.bedrock.calls).toHaveLength(0);
  });

  test('a hung target whose circuit, and the next target\'s, open mid-request → 504 upstream_timeout, not 503', async () => {
    // Prepare: an injected clock; every failure opens a circuit (as concurrent requests' failures would).
    const clock = { t: 1_000_000 };
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 30_000, now: () => clock.t });
    const h = harness({ breakers });
    const nova = h.plan.candidates[1];
    let hungCalls = 0;
    // The vllm target hangs until the call's own deadline (the clock moves by it); meanwhile other
    // requests open bedrock-nova's circuit.
    const hung: ProviderAdapter<OpenAiTarget> = {
      kind: 'openai',
      complete: async (_target, _request, options) => {
        hungCalls += 1;
        clock.t += options.timeoutMs;
        breakers.recordFailure(nova.breakerKey);
        throw new UpstreamError(`no answer within ${options.timeoutMs} ms`, { disposition: 'retryable', code: 'timeout' });
      },
      stream: () => { throw new Error('not used'); },
    };
    const ctx: InvokeContext = { ...h.ctx, providers: { bedrock: h.bedrock, openai: hung }, now: () => clock.t, deadline: clock.t + 60_000 };
    // Act
    const e = await rejection(runWithFallback(h.plan, ctx, (c) => completeOnTarget(c, request, ctx)));
    // Assess: the client learns what happened to its call
    expect(e).toBeInstanceOf(ChainFailed);
    expect({ status: (e as ChainFailed).error.status, code: (e as ChainFailed).error.code }).toEqual({ status: 504, code: 'upstream_timeout' });
    expect(hungCalls).toBe(1);
    expect(h.bedrock.calls).toHaveLength(0);
  });

  test('targets whose circuits were open before the request → 503 targets_unavailable', async () => {
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 30_000, now: () => 1_000 });
    const h = harness({ breakers });
    for (const c of h.plan.candidates) breakers.recordFailure(c.breakerKey);
    const e = (await rejection(runWithFallback(h.plan, h.ctx, call(h)))) as ChainFailed;
    expect({ status: e.error.status, code: e.error.code }).toEqual({ status: 503, code: 'targets_unavailable' });
  });

  test('the deadline passing during the chain is a 504', async () => {
    const h = harness({ deadlineMs: 100 });
    h.openai.defaultStep = Steps.hang();
    h.bedrock.defaultStep = Steps.hang();
    const e = (await rejection(runWithFallback(h.plan, h.ctx, call(h)))) as ChainFailed;
    expect({ status: e.error.status, code: e.error.code }).toEqual({ status: 504, code: 'upstream_timeout' });
  });
});
