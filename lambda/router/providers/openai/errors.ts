/**
 * OpenAI-compatible upstream failures → the router's `UpstreamError` taxonomy (pure).
 *
 * | upstream answer | disposition | code | why |
 * |---|---|---|---|
 * | 429 | retryable | `throttling` | `Retry-After` (seconds or HTTP date) → `retryAfterMs` |
 * | 408 | retryable | `timeout` | |
 * | 503 | retryable | `serviceUnavailable` | vLLM loading or draining; `Retry-After` honoured |
 * | 500, 502, 504, other 5xx | retryable | `serverError` | |
 * | 400 / 413 / 422 saying the prompt exceeds the context window | fallback | `contextLengthExceeded` | a model with a larger window can serve it |
 * | 400, 422 | client | `validation` | the request itself is wrong |
 * | 413 | client | `payloadTooLarge` | |
 * | 401, 403 | fallback | `upstreamAuth` | the gateway's credential for this upstream is wrong — not the tenant's fault; another target can serve |
 * | 404 | fallback | `modelNotFound` | the served model name (or base URL) is not what the target says: a misconfigured target, not a bad request |
 * | other 4xx | client | `upstreamRejected` | |
 * | 2xx with unparsable JSON, no `choices`, or a non-SSE stream | fallback | `malformedResponse` | |
 * | other status (1xx, 3xx) | fallback | `unexpectedStatus` | |
 * | `error` object inside a stream | by its numeric `code` as above; `rate_limit*` type → retryable `throttling`; otherwise fallback `streamError` | | |
 * | transport failures | see `classifyNetworkError` | | |
 */
import type { IncomingHttpHeaders } from 'node:http';
import { UpstreamError, type Disposition } from '../../errors';
import { classifyNetworkError, isContextLengthError, parseRetryAfter, truncateForLog } from '../upstream-errors';

/** The upstream's error message and code, from the OpenAI envelope or vLLM's flat error shape. */
export interface UpstreamErrorBody {
  readonly message?: string;
  readonly type?: string;
  readonly code?: unknown;
}

/**
 * Reads `{"error": {"message", "type", "code"}}` (OpenAI) or `{"object": "error", "message", "type", "code"}`
 * (older vLLM). Undefined when the body is neither.
 */
export function parseErrorBody(body: unknown): UpstreamErrorBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const inner = typeof record.error === 'object' && record.error !== null ? (record.error as Record<string, unknown>) : undefined;
  const source = inner ?? (record.object === 'error' ? record : undefined);
  if (!source) return undefined;
  return {
    message: typeof source.message === 'string' ? source.message : undefined,
    type: typeof source.type === 'string' ? source.type : undefined,
    code: source.code,
  };
}

/**
 * Classifies a non-2xx answer.
 *
 * @example classifyHttpStatus(429, '{"error":{"message":"slow down"}}', { 'retry-after': '2' }).retryAfterMs // 2000
 */
export function classifyHttpStatus(status: number, rawBody: string, headers: IncomingHttpHeaders, now: number = Date.now()): UpstreamError {
  let parsed: unknown;
  try { parsed = JSON.parse(rawBody); } catch { parsed = undefined; }
  const body = parseErrorBody(parsed);
  const detail = truncateForLog(body?.message ?? rawBody);
  const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
  const make = (disposition: Disposition, code: string): UpstreamError =>
    new UpstreamError(`upstream answered ${status}: ${detail}`, { disposition, code, upstreamStatus: status, retryAfterMs });

  if (status === 429) return make('retryable', 'throttling');
  if (status === 408) return make('retryable', 'timeout');
  if (status === 503) return make('retryable', 'serviceUnavailable');
  if (status >= 500) return make('retryable', 'serverError');
  if ((status === 400 || status === 413 || status === 422) && isContextLengthError(body?.message ?? rawBody, body?.code)) {
    return make('fallback', 'contextLengthExceeded');
  }
  if (status === 400 || status === 422) return make('client', 'validation');
  if (status === 413) return make('client', 'payloadTooLarge');
  if (status === 401 || status === 403) return make('fallback', 'upstreamAuth');
  if (status === 404) return make('fallback', 'modelNotFound');
  if (status >= 400) return make('client', 'upstreamRejected');
  return make('fallback', 'unexpectedStatus');
}

/**
 * Classifies an `error` object received inside an event stream.
 *
 * @example classifyStreamError({ message: 'engine dead', type: 'server_error', code: 500 }).disposition // 'retryable'
 */
export function classifyStreamError(error: UpstreamErrorBody): UpstreamError {
  const detail = truncateForLog(error.message ?? 'error event in the stream');
  const status = typeof error.code === 'number' ? error.code : typeof error.code === 'string' && /^\d{3}$/.test(error.code) ? Number(error.code) : undefined;
  if (status !== undefined && status >= 400 && status < 600) {
    const classified = classifyHttpStatus(status, JSON.stringify({ error }), {});
    return new UpstreamError(`upstream stream error (${status}): ${detail}`, {
      disposition: classified.disposition,
      code: classified.code,
      upstreamStatus: status,
    });
  }
  if (/rate.?limit/i.test(error.type ?? '') || /rate.?limit/i.test(String(error.code ?? ''))) {
    return new UpstreamError(`upstream stream error: ${detail}`, { disposition: 'retryable', code: 'throttling' });
  }
  return new UpstreamError(`upstream stream error: ${detail}`, { disposition: 'fallback', code: 'streamError' });
}

/** Classifies whatever else a call threw (transport failures); unknown errors → fallback `unknown`. */
export function classifyOpenAiError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  return classifyNetworkError(error) ?? new UpstreamError(`upstream call failed: ${error instanceof Error ? error.message : String(error)}`, {
    disposition: 'fallback',
    code: 'unknown',
    cause: error,
  });
}
