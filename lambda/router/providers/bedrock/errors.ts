/**
 * Bedrock Runtime failures → the router's `UpstreamError` taxonomy (pure).
 *
 * Exception names are compared case-insensitively: HTTP errors arrive as `ThrottlingException`,
 * while ConverseStream exception events carry lower-camel codes (`throttlingException`,
 * `modelStreamErrorException`); the SDK maps the ones its schema knows back to the class name,
 * and reports any other one with the raw code as `name`.
 *
 * | exception | HTTP | disposition | code |
 * |---|---|---|---|
 * | ThrottlingException | 429 | retryable | `throttling` |
 * | ModelNotReadyException | 429 | retryable | `modelNotReady` |
 * | ServiceUnavailableException | 503 | retryable | `serviceUnavailable` |
 * | InternalServerException | 500 | retryable | `internalServerError` |
 * | ModelTimeoutException | 408 | retryable | `modelTimeout` (the router retries it at most once) |
 * | ModelErrorException | 424 | fallback | `modelError` |
 * | ModelStreamErrorException | 424 | fallback | `modelStreamError` |
 * | ServiceQuotaExceededException | 400 | fallback | `quotaExceeded` |
 * | ValidationException, prompt longer than the context window | 400 | fallback | `contextLengthExceeded` |
 * | ValidationException | 400 | client | `validation` |
 * | AccessDeniedException | 403 | client | `accessDenied` |
 * | ResourceNotFoundException | 404 | client | `resourceNotFound` |
 * | ConflictException | 400 | client | `conflict` |
 * | unknown name, 429 / 408 / 5xx | – | retryable | `throttling` / `timeout` / `serverError` |
 * | unknown name, other 4xx | – | client | `upstreamRejected` |
 * | unparsable answer (JSON or event-stream frame) | 200 | fallback | `malformedResponse` |
 * | transport failures | – | see `classifyNetworkError` | |
 * | anything else | – | fallback | `unknown` |
 */
import { UpstreamError, type Disposition } from '../../errors';
import { classifyNetworkError, isContextLengthError, parseRetryAfter, truncateForLog } from '../upstream-errors';

interface Rule {
  readonly disposition: Disposition;
  readonly code: string;
}

/** Keyed by the lower-cased exception name. */
export const BEDROCK_EXCEPTION_RULES: Readonly<Record<string, Rule>> = {
  throttlingexception: { disposition: 'retryable', code: 'throttling' },
  modelnotreadyexception: { disposition: 'retryable', code: 'modelNotReady' },
  serviceunavailableexception: { disposition: 'retryable', code: 'serviceUnavailable' },
  internalserverexception: { disposition: 'retryable', code: 'internalServerError' },
  modeltimeoutexception: { disposition: 'retryable', code: 'modelTimeout' },
  modelerrorexception: { disposition: 'fallback', code: 'modelError' },
  modelstreamerrorexception: { disposition: 'fallback', code: 'modelStreamError' },
  servicequotaexceededexception: { disposition: 'fallback', code: 'quotaExceeded' },
  validationexception: { disposition: 'client', code: 'validation' },
  accessdeniedexception: { disposition: 'client', code: 'accessDenied' },
  resourcenotfoundexception: { disposition: 'client', code: 'resourceNotFound' },
  conflictexception: { disposition: 'client', code: 'conflict' },
};

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly $response?: { readonly statusCode?: unknown; readonly headers?: Record<string, string | undefined> };
}

/**
 * @example
 * classifyBedrockError(Object.assign(new Error('slow down'), { name: 'throttlingException' })).disposition // 'retryable'
 */
export function classifyBedrockError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : '';
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const status = statusOf(shape);
  const retryAfterMs = parseRetryAfter(shape.$response?.headers?.['retry-after']);
  const make = (disposition: Disposition, code: string): UpstreamError =>
    new UpstreamError(`Bedrock ${name || 'error'}${status ? ` (${status})` : ''}: ${truncateForLog(message)}`, {
      disposition,
      code,
      upstreamStatus: status,
      retryAfterMs,
      cause: error,
    });

  const rule = BEDROCK_EXCEPTION_RULES[name.toLowerCase()];
  if (rule) {
    if (rule.code === 'validation' && isContextLengthError(message)) return make('fallback', 'contextLengthExceeded');
    return make(rule.disposition, rule.code);
  }
  // A connection cut while the SDK reads the body also carries "Deserialization error": network first.
  const network = classifyNetworkError(error);
  if (network) return network;
  if (isDeserializationError(name, message)) return make('fallback', 'malformedResponse');
  if (status !== undefined) {
    if (status === 429) return make('retryable', 'throttling');
    if (status === 408) return make('retryable', 'timeout');
    if (status >= 500) return make('retryable', 'serverError');
    if (status >= 400) return make('client', 'upstreamRejected');
  }
  return make('fallback', 'unknown');
}

function statusOf(shape: SdkErrorShape): number | undefined {
  const s = shape.$metadata?.httpStatusCode ?? shape.$response?.statusCode;
  return typeof s === 'number' && s > 0 ? s : undefined;
}

/** The SDK could not parse a 200 answer: a JSON syntax error or a corrupt event-stream frame. */
function isDeserializationError(name: string, message: string): boolean {
  return (
    /Deserialization error/i.test(message) ||
    name === 'SyntaxError' ||
    /checksum .* did not match|Truncated event message|Unrecognizable event type/i.test(message)
  );
}
