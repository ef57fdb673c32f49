/**
 * The transport-neutral request and response of the gateway. The Lambda entry (index.ts) and the
 * local server (local/server.ts) each translate their transport into these and call the same
 * `Gateway.handle()`.
 */

import type { GatewayError } from './errors';
import type { ResolvedPrice } from '../shared/defaults';
import type { ProviderRegistry } from './pipeline/invoke';

/** Why a transport could not deliver the whole body. */
export enum BodyError {
  /** The body exceeded the configured `limits.maxBodyBytes`. */
  TOO_LARGE = 'too_large',
  /** The client did not finish sending the body in time. */
  TIMEOUT = 'timeout',
}

/** How the caller identifies itself. */
export type Credentials =
  /** Deployed: the Lambda authorizer's context (see lambda/shared/authorizer-context.ts). */
  | { readonly kind: 'authorizer'; readonly context: Readonly<Record<string, unknown>> | undefined }
  /** Local mode: the `Authorization: Bearer <key>` header, looked up in the configuration's `localKeys`. */
  | { readonly kind: 'bearer' };

export interface GatewayRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** The path without a stage prefix or query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Query string parameters (first value of each), e.g. `{ month: '2026-11' }` for `GET /v1/usage`. */
  readonly query?: Readonly<Record<string, string>>;
  /** Header names in lower case; one value per name. */
  readonly headers: Readonly<Record<string, string>>;
  /** The raw body bytes (empty when there was none). */
  readonly body: Uint8Array;
  /** Set when the transport gave up reading the body. */
  readonly bodyError?: BodyError;
  /**
   * With `bodyError` TOO_LARGE: the body's first bytes, at most the limit (what the transport read
   * before it stopped), so the gateway can name the field that made the body too large.
   * @default none
   */
  readonly bodyPrefix?: Uint8Array;
  readonly credentials: Credentials;
  /** An id the transport already has for this request (API Gateway's request id). */
  readonly requestId?: string;
  /** When the request arrived (epoch ms); the deadline counts from here. */
  readonly receivedAt: number;
  /** What the transport knows of the request's trace. @default the request's headers only */
  readonly tracing?: TransportTracing;
  /**
   * Set only by the batch runner (never from a transport): the request is a line of a batch,
   * priced at the batch price; with `refusal`, a line that will not run and is recorded as refused;
   * with `answers`, a line a batch job already answered (the adapters that return its answer);
   * with `onDemandPrice`, a line no batch job took, priced on demand.
   */
  readonly batchLine?: { readonly refusal?: GatewayError; readonly answers?: ProviderRegistry; readonly onDemandPrice?: boolean; readonly price?: ResolvedPrice };
}

/** The trace context and timings a transport has beyond the request's headers. */
export interface TransportTracing {
  /** The invocation's own `X-Amzn-Trace-Id` (Lambda's segment), preferred over the headers'. */
  readonly traceHeader?: string;
  /** When the authorizer ran (epoch ms) and how long it took, from API Gateway's request context. */
  readonly authorizer?: { readonly startMs: number; readonly durationMs: number };
}

/** Where the gateway writes its answer. */
export interface ResponseSink {
  /** Sends the status line and headers. Called once, before any write. */
  start(status: number, headers: Record<string, string>): void;
  /** Writes a piece of the body; resolves when the transport can take more. */
  write(chunk: string): Promise<void>;
  /** Ends the response. */
  end(): Promise<void>;
  /** Registers a listener called once if the client goes away before the response ended. */
  onClose(listener: () => void): void;
}

const MAX_HEADER_NAME = 128;
const MAX_HEADER_VALUE = 8192;

/**
 * Normalises transport headers: lower-case names, first value of multi-valued headers, names and
 * values beyond sane lengths dropped (they are never ones the gateway reads).
 *
 * @example
 * normaliseHeaders({ 'X-Gateway-Workflow': 'support' }) // { 'x-gateway-workflow': 'support' }
 */
export function normaliseHeaders(
  raw: Readonly<Record<string, string | readonly string[] | undefined | null>> | undefined | null,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!raw || typeof raw !== 'object') return out;
  for (const [name, value] of Object.entries(raw)) {
    if (name.length === 0 || name.length > MAX_HEADER_NAME) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first !== 'string' || first.length > MAX_HEADER_VALUE) continue;
    const key = name.toLowerCase();
    if (!(key in out)) out[key] = first;
  }
  return out;
}
