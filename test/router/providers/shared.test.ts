import { UpstreamError } from '../../../lambda/router/errors';
import { CallGuard, CallStopped } from '../../../lambda/router/providers/call-guard';
import { CONTINUATION_PROMPT, normaliseTurns } from '../../../lambda/router/providers/conversation';
import { classifyNetworkError, isContextLengthError, parseRetryAfter } from '../../../lambda/router/providers/upstream-errors';
import { estimateInputTokens, estimateTokens, resolveUsage } from '../../../lambda/router/providers/usage';
import { callOptions, providerRequest } from './helpers';

describe('normaliseTurns', () => {
  test('merges consecutive same-role turns with a blank line', () => {
    expect(normaliseTurns([
      { role: 'user', content: 'a' },
      { role: 'user', content: 'b' },
      { role: 'assistant', content: 'c' },
      { role: 'assistant', content: 'd' },
      { role: 'user', content: 'e' },
    ], { dropBlank: false, userFirst: false })).toEqual([
      { role: 'user', content: 'a\n\nb' },
      { role: 'assistant', content: 'c\n\nd' },
      { role: 'user', content: 'e' },
    ]);
  });

  test('dropBlank removes blank turns before merging; userFirst puts a user turn before a leading assistant turn', () => {
    expect(normaliseTurns([
      { role: 'assistant', content: 'hi' },
      { role: 'user', content: 'x' },
      { role: 'assistant', content: '  ' },
      { role: 'user', content: 'y' },
    ], { dropBlank: true, userFirst: true })).toEqual([
      { role: 'user', content: CONTINUATION_PROMPT },
      { role: 'assistant', content: 'hi' },
      { role: 'user', content: 'x\n\ny' },
    ]);
  });

  test('does not mutate its input', () => {
    const input = [{ role: 'user' as const, content: 'a' }, { role: 'user' as const, content: 'b' }];
    normaliseTurns(input, { dropBlank: true, userFirst: true });
    expect(input).toEqual([{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }]);
  });
});

describe('usage', () => {
  test('estimates ⌈chars / 4⌉', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateInputTokens(providerRequest({ system: ['12345678'], messages: [{ role: 'user', content: '1234' }] }))).toBe(3);
  });

  test('reported usage is used as is and not marked', () => {
    expect(resolveUsage({ inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 5, cacheWriteInputTokens: 1 }, providerRequest(), 'x'))
      .toEqual({ usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 5, cacheWriteInputTokens: 1 }, estimated: false });
  });

  test('missing counts are estimated and the result marked; cache counts default to 0', () => {
    const request = providerRequest({ system: [], messages: [{ role: 'user', content: 'x'.repeat(16) }] });
    expect(resolveUsage(undefined, request, 'y'.repeat(9))).toEqual({
      usage: { inputTokens: 4, outputTokens: 3, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      estimated: true,
    });
    expect(resolveUsage({ inputTokens: 100 }, request, 'yyyy')).toEqual({
      usage: { inputTokens: 100, outputTokens: 1, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
      estimated: true,
    });
  });

  test('invalid counts (negative, NaN) count as missing', () => {
    expect(resolveUsage({ inputTokens: -1, outputTokens: Number.NaN }, providerRequest({ system: [], messages: [{ role: 'user', content: 'abcd' }] }), 'abcd'))
      .toMatchObject({ usage: { inputTokens: 1, outputTokens: 1 }, estimated: true });
  });
});

describe('parseRetryAfter', () => {
  test('delta-seconds, fractions, HTTP dates, past dates, garbage', () => {
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0.5 ')).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['3', '4'])).toBe(3000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('isContextLengthError', () => {
  test.each([
    "This model's maximum context length is 8192 tokens.",
    'Input is too long for requested model.',
    'prompt is too long: 200001 tokens > 200000 maximum',
    'The input exceeds the context window of the model',
  ])('%s', (message) => expect(isContextLengthError(message)).toBe(true));

  test('other messages and the OpenAI code', () => {
    expect(isContextLengthError('temperature must be between 0 and 2')).toBe(false);
    expect(isContextLengthError(undefined, 'context_length_exceeded')).toBe(true);
  });
});

describe('classifyNetworkError', () => {
  test.each([
    ['ECONNRESET', 'retryable', 'network'],
    ['EPIPE', 'retryable', 'network'],
    ['ETIMEDOUT', 'retryable', 'network'],
    ['EAI_AGAIN', 'retryable', 'network'],
    ['ERR_STREAM_PREMATURE_CLOSE', 'retryable', 'network'],
    ['ECONNREFUSED', 'retryable', 'connectionRefused'],
    ['ENOTFOUND', 'fallback', 'hostNotFound'],
  ])('code %s → %s %s', (code, disposition, expected) => {
    expect(classifyNetworkError(Object.assign(new Error(`x ${code}`), { code }))).toMatchObject({ disposition, code: expected });
  });

  test('errors from another realm (no instanceof Error) and SDK-wrapped ones are read by shape', () => {
    expect(classifyNetworkError({ name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET' })).toMatchObject({ code: 'network' });
    expect(classifyNetworkError(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 10.0.0.1:443'))).toMatchObject({ code: 'connectionRefused' });
    expect(classifyNetworkError(new Error('AWS SDK error wrapper for TimeoutError: socket hang up'))).toMatchObject({ code: 'network' });
  });

  test('not a transport error → undefined', () => {
    expect(classifyNetworkError(new Error('Unexpected token'))).toBeUndefined();
    expect(classifyNetworkError('string')).toBeUndefined();
    expect(classifyNetworkError(null)).toBeUndefined();
  });
});

describe('CallGuard', () => {
  test('the deadline aborts the signal with a CallStopped reason and classifies as retryable timeout', async () => {
    const guard = new CallGuard(callOptions({ timeoutMs: 30 }));
    await new Promise((resolve) => guard.signal.addEventListener('abort', resolve));
    expect(guard.stopCause).toBe('deadline');
    expect(guard.signal.reason).toBeInstanceOf(CallStopped);
    expect(guard.classify(new Error('socket hang up'), () => { throw new Error('not called'); }))
      .toMatchObject({ disposition: 'retryable', code: 'timeout' });
    guard.release();
  });

  test('the caller\'s abort wins: client aborted, never retried', () => {
    const controller = new AbortController();
    const guard = new CallGuard(callOptions({ signal: controller.signal }));
    controller.abort();
    expect(guard.signal.aborted).toBe(true);
    expect(() => guard.throwIfStopped()).toThrow(expect.objectContaining({ disposition: 'client', code: 'aborted' }));
    guard.release();
  });

  test('an already aborted caller signal stops the guard at once', () => {
    const controller = new AbortController();
    controller.abort();
    const guard = new CallGuard(callOptions({ signal: controller.signal }));
    expect(guard.signal.aborted).toBe(true);
    expect(guard.stopCause).toBe('aborted');
  });

  test('without a stop, the provider classifier decides; UpstreamErrors pass through', () => {
    const guard = new CallGuard(callOptions());
    const own = new UpstreamError('x', { disposition: 'fallback', code: 'modelError' });
    expect(guard.classify(own, () => { throw new Error('not called'); })).toBe(own);
    const mapped = new UpstreamError('y', { disposition: 'client', code: 'validation' });
    expect(guard.classify(new Error('400'), () => mapped)).toBe(mapped);
    guard.release();
  });

  test('release() clears the timer and the listener; release(true) aborts the transport', () => {
    const controller = new AbortController();
    const guard = new CallGuard(callOptions({ signal: controller.signal, timeoutMs: 10 }));
    guard.release();
    controller.abort();
    expect(guard.signal.aborted).toBe(false);
    const other = new CallGuard(callOptions());
    other.release(true);
    expect(other.signal.aborted).toBe(true);
    expect(other.stopCause).toBe('released');
  });
});
