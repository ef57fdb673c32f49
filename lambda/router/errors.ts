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

/** The OpenAI error envelope every error response carries. */
export interface ErrorEnvelope {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly code: string;
    readonly param: string | null;
  };
}

/**
 * An error the client sees: one HTTP status, one OpenAI error `type`, a stable `code`, the request
 * field at fault (`param`) when there is one. Messages are written for the client: they never carry
 * stack traces, upstream messages or other tenants' names.
 */
export abstract class GatewayError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  readonly code: string;
  readonly param: string | null;

  constructor(message: string, code: string, param?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.param = param ?? null;
  }

  /** Headers this error adds to the response (`Retry-After`, `Allow`). */
  headers(): Record<string, string> {
    return {};
  }

  envelope(): ErrorEnvelope {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** 400: the request is malformed or asks for something the gateway does not support. */
export class InvalidRequestError extends GatewayError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
}

/** 401: no API key, or an API key the gateway does not know. */
export class AuthenticationError extends GatewayError {
  readonly status = 401;
  readonly type = 'authentication_error';
}

/** 403: the tenant may not do this (sensitivity clearance, restricted data on an uncleared route). */
export class PermissionDeniedError extends GatewayError {
  readonly status = 403;
  readonly type = 'permission_error';
}

/**
 * 404: an unknown path, or a model alias the tenant may not call. Unknown aliases and other
 * tenants' aliases get the same answer, so a tenant cannot probe which aliases exist.
 */
export class NotFoundError extends GatewayError {
  readonly status = 404;
  readonly type = 'not_found_error';
}

/** 405: a known path with the wrong method. */
export class MethodNotAllowedError extends GatewayError {
  readonly status = 405;
  readonly type = 'invalid_request_error';

  constructor(method: string, path: string, private readonly allowed: readonly string[]) {
    super(`${method} is not supported on ${path}; use ${allowed.join(' or ')}.`, 'method_not_allowed');
  }

  headers(): Record<string, string> {
    return { allow: this.allowed.join(', ') };
  }
}

/** 408: the client did not send its request in time. */
export class RequestTimeoutError extends GatewayError {
  readonly status = 408;
  readonly type = 'invalid_request_error';
}

/** 413: the request body is larger than the gateway accepts. */
export class PayloadTooLargeError extends GatewayError {
  readonly status = 413;
  readonly type = 'invalid_request_error';
}

/** 429: throttled (by the upstream models or the tenant's budget); retry after `retryAfterSeconds`. */
export class RateLimitError extends GatewayError {
  readonly status = 429;
  readonly type = 'rate_limit_error';

  constructor(message: string, code: string, readonly retryAfterSeconds: number) {
    super(message, code);
  }

  headers(): Record<string, string> {
    return { 'retry-after': String(Math.max(1, Math.ceil(this.retryAfterSeconds))) };
  }
}

/** 500: a fault of the gateway itself (a bug, or an invalid configuration). */
export class InternalError extends GatewayError {
  readonly status = 500;
  readonly type = 'api_error';
}

/** 502: the models answered, but not usefully (errors, malformed answers) on every target tried. */
export class BadGatewayError extends GatewayError {
  readonly status = 502;
  readonly type = 'api_error';
}

/** 503: no target can take the request now (circuits open, upstreams unavailable). */
export class ServiceUnavailableError extends GatewayError {
  readonly status = 503;
  readonly type = 'api_error';

  constructor(message: string, code: string, readonly retryAfterSeconds?: number) {
    super(message, code);
  }

  headers(): Record<string, string> {
    return this.retryAfterSeconds === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(this.retryAfterSeconds))) };
  }
}

/** 504: the request's deadline passed before a target answered. */
export class GatewayTimeoutError extends GatewayError {
  readonly status = 504;
  readonly type = 'timeout_error';
}
