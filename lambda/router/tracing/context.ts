/**
 * Trace context: which trace a request continues. API Gateway (stage tracing) and Lambda (active
 * tracing) pass it as `X-Amzn-Trace-Id: Root=1-<8 hex time>-<24 hex>;Parent=<16 hex>;Sampled=1`; a
 * W3C client passes `traceparent: 00-<32 hex trace>-<16 hex parent>-<2 hex flags>`. Both map to the
 * same 128-bit trace id (X-Ray's `1-5759e988-bd862e3fe1be46a994272793` is W3C
 * `5759e988bd862e3fe1be46a994272793`), which the X-Ray OTLP endpoint accepts as is.
 */
import { randomBytes } from 'node:crypto';

export interface TraceContext {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** The caller's span (16 hex digits), the parent of the gateway's root span; absent for a new trace. */
  readonly parentSpanId?: string;
  /** Whether the caller sampled the trace (a trace that is not sampled is not exported). */
  readonly sampled: boolean;
}

const AMZN_ROOT = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Reads an `X-Amzn-Trace-Id` header; undefined when it has no valid `Root`.
 *
 * @example
 * parseAmznTraceId('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')
 * // { traceId: '5759e988bd862e3fe1be46a994272793', parentSpanId: '53995c3f42cd8ad8', sampled: true }
 */
export function parseAmznTraceId(header: string | undefined): TraceContext | undefined {
  if (header === undefined || header.length > 256) return undefined;
  let root: RegExpExecArray | null = null;
  let parent: string | undefined;
  let sampled = true;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim().toLowerCase();
    if (key === 'Root') root = AMZN_ROOT.exec(value);
    else if (key === 'Parent' && SPAN_ID.test(value) && value !== ZERO_SPAN) parent = value;
    else if (key === 'Sampled') sampled = value !== '0';
  }
  if (!root) return undefined;
  return { traceId: root[1] + root[2], ...(parent !== undefined ? { parentSpanId: parent } : {}), sampled };
}

/**
 * Reads a W3C `traceparent` header (version 00, or a later one read as 00); undefined when invalid.
 *
 * @example
 * parseTraceparent('00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01')
 */
export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  const match = header === undefined ? null : TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match || match[1] === 'ff' || match[2] === ZERO_TRACE || match[3] === ZERO_SPAN) return undefined;
  return { traceId: match[2], parentSpanId: match[3], sampled: (parseInt(match[4], 16) & 1) === 1 };
}

/** The `X-Amzn-Trace-Id` value of a span of this trace. */
export function toAmznTraceId(traceId: string, spanId: string, sampled: boolean): string {
  return `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${spanId};Sampled=${sampled ? 1 : 0}`;
}

/** The W3C `traceparent` value of a span of this trace. */
export function toTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/**
 * A new trace id that X-Ray also accepts in its own format: the first 8 hex digits are the epoch
 * seconds, the other 24 random.
 */
export function newTraceId(nowMs: number): string {
  return Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8) + randomBytes(12).toString('hex');
}

/** A new span id (16 hex digits, never all zero). */
export function newSpanId(): string {
  const id = randomBytes(8).toString('hex');
  return id === ZERO_SPAN ? newSpanId() : id;
}

/**
 * The trace a request continues: the invocation's own (the Lambda runtime's `_X_AMZN_TRACE_ID`,
 * whose `Parent` is the function's segment), else the request's `traceparent`, else its
 * `X-Amzn-Trace-Id` (API Gateway's); a new sampled trace when there is none.
 *
 * @example
 * const context = traceContextOf(request.headers, process.env._X_AMZN_TRACE_ID, Date.now());
 */
export function traceContextOf(
  headers: Readonly<Record<string, string>>, invocationTraceHeader: string | undefined, nowMs: number,
): TraceContext {
  return parseAmznTraceId(invocationTraceHeader)
    ?? parseTraceparent(headers.traceparent)
    ?? parseAmznTraceId(headers['x-amzn-trace-id'])
    ?? { traceId: newTraceId(nowMs), sampled: true };
}
