import { UpstreamError } from '../../../../lambda/router/errors';
import { BEDROCK_EXCEPTION_RULES, classifyBedrockError } from '../../../../lambda/router/providers/bedrock/errors';

/** An SDK-shaped service exception. */
function sdkError(name: string, status?: number, message = `${name} happened`, headers?: Record<string, string>): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    ...(headers ? { $response: { statusCode: status, headers } } : {}),
  });
}

describe('classifyBedrockError: every exception of the service', () => {
  test.each([
    ['ThrottlingException', 429, 'retryable', 'throttling'],
    ['ModelNotReadyException', 429, 'retryable', 'modelNotReady'],
    ['ServiceUnavailableException', 503, 'retryable', 'serviceUnavailable'],
    ['InternalServerException', 500, 'retryable', 'internalServerError'],
    ['ModelTimeoutException', 408, 'retryable', 'modelTimeout'],
    ['ModelErrorException', 424, 'fallback', 'modelError'],
    ['ModelStreamErrorException', 424, 'fallback', 'modelStreamError'],
    ['ServiceQuotaExceededException', 400, 'fallback', 'quotaExceeded'],
    ['ValidationException', 400, 'client', 'validation'],
    ['AccessDeniedException', 403, 'client', 'accessDenied'],
    ['ResourceNotFoundException', 404, 'client', 'resourceNotFound'],
    ['ConflictException', 400, 'client', 'conflict'],
  ])('%s (%d) → %s %s', (name, status, disposition, code) => {
    const error = classifyBedrockError(sdkError(name, status));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ disposition, code, upstreamStatus: status });
    expect(error.cause).toBeInstanceOf(Error);
  });

  test('the table covers every exception listed', () => {
    expect(Object.keys(BEDROCK_EXCEPTION_RULES)).toHaveLength(12);
  });

  test.each([
    ['throttlingException', 'retryable', 'throttling'],
    ['modelStreamErrorException', 'fallback', 'modelStreamError'],
    ['internalServerException', 'retryable', 'internalServerError'],
    ['serviceUnavailableException', 'retryable', 'serviceUnavailable'],
    ['validationException', 'client', 'validation'],
    ['modelTimeoutException', 'retryable', 'modelTimeout'],
    ['THROTTLINGEXCEPTION', 'retryable', 'throttling'],
  ])('mid-stream code %s (no HTTP status) → %s %s', (name, disposition, code) => {
    const error = classifyBedrockError(Object.assign(new Error('{"message":"x"}'), { name }));
    expect(error).toMatchObject({ disposition, code });
    expect(error.upstreamStatus).toBeUndefined();
  });

  test('a context-window ValidationException is a reason to fail over', () => {
    expect(classifyBedrockError(sdkError('ValidationException', 400, 'Input is too long for requested model.')))
      .toMatchObject({ disposition: 'fallback', code: 'contextLengthExceeded' });
    expect(classifyBedrockError(sdkError('ValidationException', 400, 'prompt is too long: 210000 tokens > 200000 maximum')))
      .toMatchObject({ disposition: 'fallback', code: 'contextLengthExceeded' });
  });

  test('a Retry-After header on the raw response becomes retryAfterMs', () => {
    expect(classifyBedrockError(sdkError('ThrottlingException', 429, 'slow', { 'retry-after': '3' })).retryAfterMs).toBe(3000);
  });

  test.each([
    [429, 'retryable', 'throttling'],
    [408, 'retryable', 'timeout'],
    [500, 'retryable', 'serverError'],
    [502, 'retryable', 'serverError'],
    [418, 'client', 'upstreamRejected'],
  ])('an unknown exception with status %d → %s %s', (status, disposition, code) => {
    expect(classifyBedrockError(sdkError('SomethingNewException', status))).toMatchObject({ disposition, code, upstreamStatus: status });
  });

  test('deserialization failures → fallback malformedResponse', () => {
    const syntax = Object.assign(new SyntaxError('Unexpected token o in JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      $metadata: { httpStatusCode: 200 },
    });
    expect(classifyBedrockError(syntax)).toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
    expect(classifyBedrockError(Object.assign(new Error('The message checksum (1) did not match the expected value of 2'), { $metadata: { httpStatusCode: 200 } })))
      .toMatchObject({ disposition: 'fallback', code: 'malformedResponse' });
  });

  test('a connection cut while the body was read is a network error, not a malformed answer', () => {
    const cut = Object.assign(new Error('aborted\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      code: 'ECONNRESET',
      $metadata: { httpStatusCode: 200 },
    });
    expect(classifyBedrockError(cut)).toMatchObject({ disposition: 'retryable', code: 'network' });
  });

  test('transport errors: connect timeout, refused, reset, SDK-wrapped', () => {
    expect(classifyBedrockError(Object.assign(new Error('@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 200 ms.'), { name: 'TimeoutError' })))
      .toMatchObject({ disposition: 'retryable', code: 'connectTimeout' });
    expect(classifyBedrockError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })))
      .toMatchObject({ disposition: 'retryable', code: 'connectionRefused' });
    expect(classifyBedrockError(new Error('AWS SDK error wrapper for Error: read ECONNRESET')))
      .toMatchObject({ disposition: 'retryable', code: 'network' });
  });

  test('anything else → fallback unknown; an UpstreamError passes through', () => {
    expect(classifyBedrockError(new Error('???'))).toMatchObject({ disposition: 'fallback', code: 'unknown' });
    expect(classifyBedrockError('a string')).toMatchObject({ disposition: 'fallback', code: 'unknown' });
    const original = new UpstreamError('x', { disposition: 'client', code: 'aborted' });
    expect(classifyBedrockError(original)).toBe(original);
  });
});
