import { UpstreamError } from '../../../lambda/router/errors';
import { CircuitOpen, ClientGone, completeOnTarget, DeadlineExceeded, openStreamOnTarget } from '../../../lambda/router/pipeline/invoke';
import { CircuitBreakers } from '../../../lambda/router/reliability/circuit-breaker';
import { resolved, testConfig } from '../../helpers/router-config';
import { Steps, Upstream } from '../../helpers/router-fakes';
import { harness, rejection, request, vllm } from '../../helpers/router-harness';

describe('completeOnTarget (retries on one target)', () => {
  test('429 then success: retried after a jittered backoff', async () => {
    const h = harness();
    h.openai.enqueue(Steps.error(Upstream.throttling()), Steps.ok({ text: 'done' }));
    const completion = await completeOnTarget(vllm(h), request, h.ctx);
    expect(completion.text).toBe('done');
    expect(h.attempts.map((a) => a.result)).toEqual(['throttling', 'ok']);
    expect(h.sleeps).toEqual([0]); // random 0.5 × ceiling 1 ms (baseDelayMs 1)
  });

  test('Retry-After within maxDelayMs is honoured', async () => {
    const h = harness();
    h.openai.enqueue(Steps.error(Upstream.throttling(15)), Steps.ok());
    await completeOnTarget(vllm(h), request, h.ctx);
    expect(h.sleeps).toEqual([15]);
  });

  test('Retry-After beyond maxDelayMs fails over instead of waiting', async () => {
    const h = harness();
    h.openai.enqueue(Steps.error(Upstream.throttling(5000)));
    const e = await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(e).toMatchObject({ code: 'throttling' });
    expect(h.sleeps).toEqual([]);
    expect(h.attempts).toHaveLength(1);
  });

  test('retries stop at maxAttempts', async () => {
    const h = harness();
    h.openai.defaultStep = Steps.error(Upstream.serverError());
    const e = await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(e).toBeInstanceOf(UpstreamError);
    expect(h.attempts.map((a) => a.result)).toEqual(['internalServerError', 'internalServerError', 'internalServerError']);
    expect(h.openai.calls).toHaveLength(3);
  });

  test('modelTimeout is retried at most once', async () => {
    const h = harness();
    h.openai.defaultStep = Steps.error(Upstream.modelTimeout());
    await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(h.openai.calls).toHaveLength(2);
  });

  test.each(['timeout', 'firstTokenTimeout', 'modelTimeout'])('a model timeout (%s) is retried at most once, on either target kind', async (code) => {
    const h = harness();
    const timedOut = new UpstreamError('timed out', { disposition: 'retryable', code });
    h.openai.defaultStep = Steps.error(timedOut);
    h.bedrock.defaultStep = Steps.error(timedOut);
    expect(await rejection(completeOnTarget(vllm(h), request, h.ctx))).toMatchObject({ code });
    expect(await rejection(completeOnTarget(h.plan.candidates[1], request, h.ctx))).toMatchObject({ code });
    expect([h.openai.calls.length, h.bedrock.calls.length]).toEqual([2, 2]);
  });

  test('a connect timeout is a connection failure: retried up to maxAttempts', async () => {
    const h = harness();
    h.openai.defaultStep = Steps.error(new UpstreamError('no connection', { disposition: 'retryable', code: 'connectTimeout' }));
    await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(h.openai.calls).toHaveLength(3);
  });

  test('a retry that finds the circuit open ends with the error that happened, not CircuitOpen', async () => {
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 30_000, now: () => 1_000 });
    const h = harness({ breakers });
    h.openai.defaultStep = Steps.error(new UpstreamError('deadline', { disposition: 'retryable', code: 'timeout' }));
    const e = await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e).toMatchObject({ code: 'timeout' });
    expect(h.openai.calls).toHaveLength(1);
    // A first attempt on an open circuit is still CircuitOpen (nothing happened to this request).
    expect(await rejection(completeOnTarget(vllm(h), request, h.ctx))).toBeInstanceOf(CircuitOpen);
  });

  test('fallback-worthy and client errors are not retried', async () => {
    const h = harness();
    h.openai.enqueue(Steps.error(Upstream.modelError()));
    expect(await rejection(completeOnTarget(vllm(h), request, h.ctx))).toMatchObject({ disposition: 'fallback' });
    h.openai.enqueue(Steps.error(Upstream.validation()));
    expect(await rejection(completeOnTarget(vllm(h), request, h.ctx))).toMatchObject({ disposition: 'client' });
    expect(h.openai.calls).toHaveLength(2);
  });

  test('never sleeps past the deadline', async () => {
    const h = harness({ deadlineMs: 10 });
    h.openai.enqueue(Steps.error(Upstream.throttling(15))); // within maxDelayMs (20), beyond the deadline
    await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(h.sleeps).toEqual([]);
  });

  test('each attempt gets the target timeout capped by what is left of the deadline', async () => {
    const h = harness({ deadlineMs: 300 });
    await completeOnTarget(vllm(h), request, h.ctx);
    const options = h.openai.calls[0].options;
    expect(options.timeoutMs).toBeLessThanOrEqual(300);
    expect(options.timeoutMs).toBeGreaterThan(200);
    expect(options.connectTimeoutMs).toBeLessThanOrEqual(300);
  });

  test('a hung upstream ends at the deadline', async () => {
    const h = harness({ deadlineMs: 150 });
    h.openai.defaultStep = Steps.hang();
    const started = Date.now();
    const e = await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(e instanceof DeadlineExceeded || (e instanceof UpstreamError && e.code === 'timeout')).toBe(true);
  });

  test('an open circuit refuses the call without calling the adapter', async () => {
    const breakers = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 60_000 });
    const h = harness({ breakers });
    breakers.recordFailure(vllm(h).breakerKey);
    expect(await rejection(completeOnTarget(vllm(h), request, h.ctx))).toBeInstanceOf(CircuitOpen);
    expect(h.openai.calls).toHaveLength(0);
  });

  test('failures feed the circuit breaker; client errors do not', async () => {
    const breakers = new CircuitBreakers({ failureThreshold: 3, cooldownMs: 60_000 });
    const h = harness({ breakers });
    h.openai.defaultStep = Steps.error(Upstream.validation());
    await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(breakers.isAvailable(vllm(h).breakerKey)).toBe(true);
    h.openai.defaultStep = Steps.error(Upstream.serverError());
    await rejection(completeOnTarget(vllm(h), request, h.ctx));
    expect(breakers.isAvailable(vllm(h).breakerKey)).toBe(false);
  });

  test('a client abort ends the call as ClientGone and is not retried', async () => {
    const h = harness();
    h.openai.defaultStep = Steps.hang();
    const pending = completeOnTarget(vllm(h), request, h.ctx);
    setTimeout(() => h.abort.abort(), 20);
    expect(await rejection(pending)).toBeInstanceOf(ClientGone);
    expect(h.openai.calls).toHaveLength(1);
    expect(h.openai.calls[0].aborted).toBe(true);
  });
});

describe('openStreamOnTarget', () => {
  test('succeeds at the first chunk; errors before it are retried', async () => {
    const h = harness();
    h.openai.enqueue(Steps.error(Upstream.throttling()), Steps.ok({ chunks: ['a', 'b'] }));
    const opened = await openStreamOnTarget(vllm(h), request, h.ctx);
    expect(opened.first).toEqual({ type: 'text', text: 'a' });
    expect((await opened.rest.next()).value).toEqual({ type: 'text', text: 'b' });
    opened.close();
    expect(h.attempts.map((a) => a.result)).toEqual(['throttling', 'ok']);
  });

  test('a first token slower than firstTokenMs is a retryable firstTokenTimeout', async () => {
    const base = testConfig();
    const config = resolved({ ...base, targets: base.targets.map((t) => (t.id === 'vllm' ? { ...t, timeouts: { firstTokenMs: 30 } } : t)) });
    const h = harness({ config });
    h.openai.enqueue(Steps.ok({ text: 'slow', delayMs: 2000 }), Steps.ok({ text: 'fast' }));
    const opened = await openStreamOnTarget(vllm(h), request, h.ctx);
    expect(opened.first).toEqual({ type: 'text', text: 'fast' });
    opened.close();
    expect(h.attempts.map((a) => a.result)).toEqual(['firstTokenTimeout', 'ok']);
  });

  test('close() aborts the upstream call', async () => {
    const h = harness();
    h.openai.enqueue(Steps.midStreamHang(['a']));
    const opened = await openStreamOnTarget(vllm(h), request, h.ctx);
    const rest = opened.rest.next();
    opened.close();
    await rest.catch(() => undefined);
    expect(h.openai.calls[0].aborted).toBe(true);
  });

  test('after the first chunk, a client abort still reaches the upstream call', async () => {
    const h = harness();
    h.openai.enqueue(Steps.midStreamHang(['a']));
    const opened = await openStreamOnTarget(vllm(h), request, h.ctx);
    const rest = opened.rest.next();
    h.abort.abort();
    await expect(rest).rejects.toMatchObject({ code: 'aborted' });
    opened.close();
  });
});
