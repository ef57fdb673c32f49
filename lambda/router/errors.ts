/**
 * The router's error taxonomy.
 *
 * Two families:
 * - `UpstreamError`: what a provider adapter throws when a model call fails. Its `disposition`
 *   says what the router may do about it (retry the same target, fail over to the next target, or
 *   give up because the request itself is wrong). Adapters map their transport's errors onto it.
 * - `GatewayError` and its subclasses: what the client sees. Each maps to one HTTP status and one
 *   OpenAI error envelope `{"error":{"message","type","code","param"}}`. Messages never carry
 *   stack traces or upstream internals.
 */

/** What the router may do after an upstream failure. */
export type Disposition =
  /** Transient (throttling, 5xx, timeout, model not ready): retry with backoff, then fail over. */
  | 'retryable'
  /** The target cannot serve this request now (model error, stream error): fail over, no retry. */
  | 'fallback'
  /** The request is wrong for every target (validation, access denied): answer the client. */
  | 'client';

export interface UpstreamErrorOptions {
  readonly disposition: Disposition;
  /** A stable, lower-camel code: `throttling`, `serviceUnavailable`, `timeout`, `validation`, ... */
  readonly code: string;
  /** The upstream's HTTP status, when there was one. */
  readonly upstreamStatus?: number;
  /** A retry hint from the upstream (`Retry-After`), in milliseconds. */
  readonly retryAfterMs?: number;
  /** The underlying error, for logs only; never shown to the client. */
  readonly cause?: unknown;
}

/** A failed model call, classified. Thrown by provider adapters; never shown to clients as is. */
export class UpstreamError extends Error {
  readonly disposition: Disposition;
  readonly code: string;
  readonly upstreamStatus?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, options: UpstreamErrorOptions) {
    super(message, { cause: options.cause });
    this.name = 'UpstreamError';
    this.disposition = options.disposition;
    this.code = options.code;
    this.upstreamStatus = options.upstreamStatus;
    this.retryAfterMs = options.retryAfterMs;
  }
}
