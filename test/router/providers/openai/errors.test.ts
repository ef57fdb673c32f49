import { UpstreamError } from '../../../../lambda/router/errors';
import { classifyHttpStatus, classifyOpenAiError, classifyStreamError } from '../../../../lambda/router/providers/openai/errors';

const envelope = (message: string, code: unknown = null) => JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code } });

describe('classifyHttpStatus', () => {
  test.each([
    [429, 'retryable', 'throttling'],
    [408, 'retryable', 'timeout'],
    [500, 'retryable', 'serverError'],
    [502, 'retryable', 'serverError'],
    [503, 'retryable', 'serviceUnavailable'],
    [504, 'retryable', 'serverError'],
    [400, 'client', 'validation'],
    [422, 'client', 'validation'],
    [413, 'client', 'payloadTooLarge'],
    [401, 'fallback', 'upstreamAuth'],
    [403, 'fallback', 'upstreamAuth'],
    [404, 'fallback', 'modelNotFound'],
    [409, 'client', 'upstreamRejected'],
    [302, 'fallback', 'unexpectedStatus'],
  ])('%d → %s %s', (status, disposition, code) => {
    const error = classifyHttpStatus(status, envelope('x'), {});
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ disposition, code, upstreamStatus: status });
  });

  test('Retry-After in seconds and as an HTTP date', () => {
    expect(classifyHttpStatus(429, envelope('slow'), { 'retry-after': '2' }).retryAfterMs).toBe(2000);
    const now = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(classifyHttpStatus(503, '', { 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' }, now).retryAfterMs).toBe(30000);
    expect(classifyHttpStatus(429, '', {}).retryAfterMs).toBeUndefined();
    expect(classifyHttpStatus(429, '', { 'retry-after': 'soon' }).retryAfterMs).toBeUndefined();
  });

  test('a context-length 400 (vLLM wording, OpenAI code) is a reason to fail over', () => {
    const vllm = "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.";
    expect(classifyHttpStatus(400, envelope(vllm), {})).toMatchObject({ disposition: 'fallback', code: 'contextLengthExceeded' });
    expect(classifyHttpStatus(400, envelope('too long', 'context_length_exceeded'), {})).toMatchObject({ code: 'contextLengthExceeded' });
    expect(classifyHttpStatus(400, JSON.stringify({ object: 'error', message: vllm, type: 'BadRequestError', code: 400 }), {}))
      .toMatchObject({ code: 'contextLengthExceeded' });
  });

  test('the upstream message is kept for logs, shortened', () => {
    expect(classifyHttpStatus(500, envelope('x'.repeat(1000)), {}).message.length).toBeLessThan(400);
    expect(classifyHttpStatus(500, 'plain text body', {}).message).toContain('plain text body');
  });
});

describe('classifyStreamError', () => {
  test.each([
    [{ message: 'boom', type: 'server_error', code: 500 }, 'retryable', 'serverError'],
    [{ message: 'overloaded', code: '503' }, 'retryable', 'serviceUnavailable'],
    [{ message: 'bad', type: 'BadRequestError', code: 400 }, 'client', 'validation'],
    [{ message: 'slow down', type: 'rate_limit_exceeded' }, 'retryable', 'throttling'],
    [{ message: 'engine died', type: 'internal' }, 'fallback', 'streamError'],
    [{}, 'fallback', 'streamError'],
  ])('%j → %s %s', (body, disposition, code) => {
    expect(classifyStreamError(body)).toMatchObject({ disposition, code });
  });
});

describe('classifyOpenAiError', () => {
  test('transport errors by code; anything else → fallback unknown; UpstreamError passes through', () => {
    expect(classifyOpenAiError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatchObject({ disposition: 'retryable', code: 'network' });
    expect(classifyOpenAiError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'connectionRefused' });
    expect(classifyOpenAiError(Object.assign(new Error('getaddrinfo ENOTFOUND vllm'), { code: 'ENOTFOUND' }))).toMatchObject({ disposition: 'fallback', code: 'hostNotFound' });
    expect(classifyOpenAiError(new Error('socket hang up'))).toMatchObject({ disposition: 'retryable', code: 'network' });
    expect(classifyOpenAiError(new Error('weird'))).toMatchObject({ disposition: 'fallback', code: 'unknown' });
    const original = new UpstreamError('x', { disposition: 'retryable', code: 'connectTimeout' });
    expect(classifyOpenAiError(original)).toBe(original);
  });
});
