/**
 * Classification rules both adapters share: transport failures, `Retry-After`, and the one kind
 * of "bad request" that another target can still serve (a prompt longer than this model's
 * context window).
 */
import { UpstreamError } from '../errors';

/** Node.js socket error codes that mean the connection broke: worth a retry on a new connection. */
const BROKEN_CONNECTION_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/**
 * Classifies transport failures (no HTTP answer, or an answer cut mid-way); undefined when the
 * error is not one.
 *
 * | failure | disposition | code |
 * |---|---|---|
 * | connect timeout (SDK `TimeoutError` "did not establish a connection") | retryable | `connectTimeout` |
 * | connection refused (`ECONNREFUSED`) | retryable | `connectionRefused` |
 * | host not found (`ENOTFOUND`) | fallback | `hostNotFound` |
 * | reset, broken pipe, socket timeout, premature close, "socket hang up", "aborted" | retryable | `network` |
 *
 * Errors are read by shape, not `instanceof`: Node.js core errors can come from another realm
 * (test runners' VM contexts), and the AWS SDK then wraps them as
 * `AWS SDK error wrapper for <Name>: <message>`, losing `code` — the wrapped text is parsed too.
 *
 * @example classifyNetworkError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))?.code // 'network'
 */
export function classifyNetworkError(error: unknown): UpstreamError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const fields = error as { name?: unknown; message?: unknown; code?: unknown };
  const rawMessage = typeof fields.message === 'string' ? fields.message : '';
  const wrapped = /^AWS SDK error wrapper for (\w+): (.*)$/m.exec(rawMessage);
  const name = wrapped ? wrapped[1] : typeof fields.name === 'string' ? fields.name : '';
  const message = (wrapped ? wrapped[2] : rawMessage).split('\n')[0].trim();
  const code = typeof fields.code === 'string' ? fields.code : /\b(E[A-Z]{4,}|ERR_[A-Z_]+)\b/.exec(message)?.[1];

  if (name === 'TimeoutError' && /establish a connection/i.test(message)) {
    return new UpstreamError('could not connect to the upstream within the connect timeout', {
      disposition: 'retryable',
      code: 'connectTimeout',
      cause: error,
    });
  }
  if (code === 'ECONNREFUSED') {
    return new UpstreamError('the upstream refused the connection', { disposition: 'retryable', code: 'connectionRefused', cause: error });
  }
  if (code === 'ENOTFOUND') {
    return new UpstreamError('the upstream host name does not resolve', { disposition: 'fallback', code: 'hostNotFound', cause: error });
  }
  if (
    (code !== undefined && BROKEN_CONNECTION_CODES.has(code)) ||
    name === 'TimeoutError' ||
    /^(socket hang up|aborted|premature close)$/i.test(message)
  ) {
    return new UpstreamError(`the upstream connection broke: ${message}`, { disposition: 'retryable', code: 'network', cause: error });
  }
  return undefined;
}

/**
 * Parses a `Retry-After` value (delta-seconds or an HTTP date) into milliseconds from `now`.
 * Undefined when absent or unparsable; 0 for a date in the past.
 *
 * @example parseRetryAfter('2') // 2000
 * @example parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:30 GMT')) // 30000
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * True when an upstream's "bad request" says the prompt does not fit the model's context window.
 * Such a request is fine for a model with a larger window, so it is a reason to fail over rather
 * than to answer the client with an error.
 */
export function isContextLengthError(message: string | undefined, code?: unknown): boolean {
  if (code === 'context_length_exceeded') return true;
  if (!message) return false;
  return /context (length|window)|maximum context|input is too long|prompt is too long|too many (input )?tokens/i.test(message);
}

/** Shortens an upstream message for logs (the client never sees it). */
export function truncateForLog(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
