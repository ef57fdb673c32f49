/**
 * The gateway's span model: one `RequestSpans` per request collects the spans of its stages (a tree
 * under the request's root span) and hands them, finished, to a `SpanExporter` once the answer has
 * been sent. Deliberately small (no context propagation through async hooks, no processors): the
 * stages name their parent explicitly, and a request without an exporter gets `NO_SPANS`, whose
 * methods do nothing.
 *
 * Stages call it through the request's `RequestTrace`:
 *
 * ```ts
 * const docs = await trace.spans.span(STAGE.RETRIEVAL, { 'gateway.retrieval.source': 'kb' }, async (span) => {
 *   const found = await retrieve(query);
 *   span.set('gateway.retrieval.documents', found.length);
 *   return found;
 * });
 * ```
 */
import { newSpanId, TraceContext } from './context';

/** A span attribute value (OTLP `AnyValue` subset). */
export type AttributeValue = string | number | boolean | readonly string[];
export type Attributes = Record<string, AttributeValue>;

/** OTLP `Span.SpanKind` numbers. */
export enum SpanKind {
  INTERNAL = 1,
  SERVER = 2,
  CLIENT = 3,
}

/** OTLP `Status.StatusCode` numbers. */
export enum SpanStatus {
  UNSET = 0,
  OK = 1,
  ERROR = 2,
}

/** A span once it ended: what an exporter receives. */
export interface FinishedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKind;
  /** Epoch ms (fractions allowed). */
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Attributes>;
  readonly status: SpanStatus;
  /** The error type of a failed span (`error.type` is also an attribute). */
  readonly statusMessage?: string;
}

/** A span being recorded. Every method is safe to call after `end()` (attributes still count until export). */
export interface Span {
  readonly spanId: string;
  /** Sets one attribute; `undefined` values are skipped. */
  set(key: string, value: AttributeValue | undefined): Span;
  /** Marks the span failed with an error type (a code such as `upstream_timeout`, never a message with user text). */
  fail(errorType: string): Span;
  /** Ends the span (at `at`, default now); later calls do nothing. */
  end(at?: number): void;
}

/** Options of {@link RequestSpans.start}. */
export interface StartOptions {
  /** @default SpanKind.INTERNAL */
  readonly kind?: SpanKind;
  /** @default the request's root span */
  readonly parent?: Span;
  /** Epoch ms. @default now */
  readonly startMs?: number;
}

/** The stage spans' names, for every lane that adds a stage. */
export const STAGE = {
  AUTHORIZER: 'gateway.authorizer',
  TENANT: 'gateway.tenant',
  PARSE: 'gateway.parse',
  PROMPT: 'gateway.prompt',
  TENANT_POLICY: 'gateway.tenant_policy',
  IMAGES: 'gateway.images',
  APPROVAL: 'gateway.approval',
  RETRIEVAL: 'gateway.retrieval',
  ROUTE: 'gateway.route',
  BUDGET: 'gateway.budget.reserve',
  REDACTION: 'gateway.redaction',
  INPUT_GUARDRAIL: 'gateway.guardrail.input',
  TARGET: 'gateway.target',
  OUTPUT_GUARDRAIL: 'gateway.guardrail.output',
  VALIDATION: 'gateway.validation',
  RESPONSE: 'gateway.response',
  USAGE: 'gateway.usage.record',
} as const;

class RecordedSpan implements Span {
  readonly attributes: Attributes;
  status = SpanStatus.UNSET;
  statusMessage?: string;
  endMs?: number;

  constructor(
    private readonly owner: RecordingRequestSpans,
    readonly spanId: string,
    readonly parentSpanId: string | undefined,
    readonly name: string,
    readonly kind: SpanKind,
    readonly startMs: number,
    attributes: Attributes | undefined,
  ) {
    this.attributes = {};
    if (attributes) for (const key in attributes) this.set(key, attributes[key]);
  }

  set(key: string, value: AttributeValue | undefined): Span {
    if (value !== undefined) this.attributes[key] = value;
    return this;
  }

  fail(errorType: string): Span {
    this.status = SpanStatus.ERROR;
    this.statusMessage = errorType;
    this.attributes['error.type'] = errorType;
    return this;
  }

  end(at?: number): void {
    if (this.endMs === undefined) this.endMs = Math.max(this.startMs, at ?? this.owner.now());
  }
}

const NO_SPAN: Span = {
  spanId: '0000000000000000',
  set: () => NO_SPAN,
  fail: () => NO_SPAN,
  end: () => undefined,
};

/** The spans of one request. */
export interface RequestSpans {
  /** Whether spans are recorded (false: every method does nothing). */
  readonly recording: boolean;
  readonly traceId: string;
  /** The request's root span (SERVER). */
  readonly root: Span;
  /** Starts a span; end it yourself. */
  start(name: string, attributes?: Attributes, options?: StartOptions): Span;
  /**
   * Runs `fn` inside a span that ends when `fn` settles; a throw marks it failed with the error's
   * `code` (gateway and upstream errors) or its name, and is rethrown.
   */
  span<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T | Promise<T>, options?: StartOptions): Promise<T>;
  /** `span()` for a synchronous stage (no extra turn of the event loop). */
  spanSync<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T, options?: StartOptions): T;
  /** Milliseconds per stage so far (the span name without `gateway.`; spans of one name added up; the root and model calls excluded), for the log line. */
  stageDurations(): Record<string, number>;
  /** Every span, ended now if still open (the root last). */
  finish(): FinishedSpan[];
}

/** The error type of a thrown value: a code when it has one, else its class name. */
export function errorTypeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return 'error';
}

class RecordingRequestSpans implements RequestSpans {
  readonly recording = true;
  readonly traceId: string;
  readonly root: RecordedSpan;
  private readonly spans: RecordedSpan[] = [];

  constructor(context: TraceContext, rootName: string, startMs: number, readonly now: () => number) {
    this.traceId = context.traceId;
    this.root = new RecordedSpan(this, newSpanId(), context.parentSpanId, rootName, SpanKind.SERVER, startMs, undefined);
  }

  start(name: string, attributes?: Attributes, options?: StartOptions): Span {
    const parent = options?.parent instanceof RecordedSpan ? options.parent : this.root;
    const span = new RecordedSpan(this, newSpanId(), parent.spanId, name, options?.kind ?? SpanKind.INTERNAL,
      options?.startMs ?? this.now(), attributes);
    this.spans.push(span);
    return span;
  }

  async span<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T | Promise<T>, options?: StartOptions): Promise<T> {
    const span = this.start(name, attributes, options);
    try {
      return await fn(span);
    } catch (error) {
      span.fail(errorTypeOf(error));
      throw error;
    } finally {
      span.end();
    }
  }

  spanSync<T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T, options?: StartOptions): T {
    const span = this.start(name, attributes, options);
    try {
      return fn(span);
    } catch (error) {
      span.fail(errorTypeOf(error));
      throw error;
    } finally {
      span.end();
    }
  }

  stageDurations(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const span of this.spans) {
      if (span.endMs === undefined || span.kind === SpanKind.CLIENT) continue;
      const stage = span.name.startsWith('gateway.') ? span.name.slice(8) : span.name;
      out[stage] = Math.round(((out[stage] ?? 0) + span.endMs - span.startMs) * 1000) / 1000;
    }
    return out;
  }

  finish(): FinishedSpan[] {
    const out: FinishedSpan[] = [];
    for (const span of [...this.spans, this.root]) {
      span.end();
      out.push({
        traceId: this.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId !== undefined ? { parentSpanId: span.parentSpanId } : {}),
        name: span.name,
        kind: span.kind,
        startMs: span.startMs,
        endMs: span.endMs!,
        attributes: span.attributes,
        status: span.status,
        ...(span.statusMessage !== undefined ? { statusMessage: span.statusMessage } : {}),
      });
    }
    return out;
  }
}

/** The spans of a request that is not traced: nothing is recorded, `span()` just runs `fn`. */
export const NO_SPANS: RequestSpans = {
  recording: false,
  traceId: '0'.repeat(32),
  root: NO_SPAN,
  start: () => NO_SPAN,
  span: async (_name, _attributes, fn) => fn(NO_SPAN),
  spanSync: (_name, _attributes, fn) => fn(NO_SPAN),
  stageDurations: () => ({}),
  finish: () => [],
};

/**
 * The spans of a request that continues `context` (a trace that is not sampled records nothing).
 *
 * @example
 * const spans = requestSpans(traceContextOf(request.headers, undefined, Date.now()), 'POST /v1/chat/completions', request.receivedAt, Date.now);
 */
export function requestSpans(context: TraceContext, rootName: string, startMs: number, now: () => number): RequestSpans {
  return context.sampled ? new RecordingRequestSpans(context, rootName, startMs, now) : NO_SPANS;
}
