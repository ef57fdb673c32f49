/**
 * Stage: the provider call on one target, with retries.
 *
 * - Retries only `retryable` upstream errors, up to `retry.maxAttempts` attempts per target, with
 *   full-jitter exponential backoff; an upstream's `Retry-After` is honoured when it is at most
 *   `retry.maxDelayMs` (a longer one fails over instead of waiting). A model timeout — of any target
 *   kind: Bedrock's `modelTimeout`, the call's own deadline (`timeout`), no first token in time
 *   (`firstTokenTimeout`) — is retried at most once (a model that timed out twice will not answer
 *   the third time); a connect timeout is a connection failure and retried like one.
 * - A retry that finds the target's circuit open (other requests' failures opened it meanwhile)
 *   ends with the error this request actually had, not with `CircuitOpen`: the client learns that
 *   its call timed out (504) rather than that the target was unavailable before it was tried (503).
 * - Never sleeps past the request's deadline; each attempt's timeout is the target's `totalMs`
 *   capped by what is left of the deadline.
 * - Every call carries the candidate's output limit (the request's, lowered to the target's
 *   `maxOutputTokens`), the one its reservation counted.
 * - The target's circuit breaker is consulted before every attempt and told every result.
 * - Streams: an attempt succeeds once its first chunk arrives (within `firstTokenMs` when set);
 *   failures before that are retried like any other, failures after it belong to the answer stage.
 */
import { UpstreamError } from '../errors';
import {
  BedrockTarget, CallOptions, Completion, EmbeddingRequest, Embeddings, OpenAiTarget, ProviderAdapter, ProviderRequest, StreamChunk,
} from '../providers/types';
import { backoffDelayMs } from '../reliability/backoff';
import { CircuitBreakers } from '../reliability/circuit-breaker';
import { attemptSpan, embeddingsAttemptSpan, SpanDescription } from '../tracing/gen-ai';
import { errorTypeOf, RequestSpans, Span, SpanKind } from '../tracing/spans';
import { AttemptRecord } from '../usage/types';
import { targetRequest } from './route';
import { Candidate } from './types';

/** The adapters, one per target kind. */
export interface ProviderRegistry {
  readonly bedrock: ProviderAdapter<BedrockTarget>;
  readonly openai: ProviderAdapter<OpenAiTarget>;
}

/** What an attempt loop needs from the request around it. */
export interface InvokeContext {
  readonly providers: ProviderRegistry;
  readonly breakers: CircuitBreakers;
  readonly retry: { readonly maxAttempts: number; readonly baseDelayMs: number; readonly maxDelayMs: number };
  /** Epoch ms after which no attempt may run. */
  readonly deadline: number;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  readonly now: () => number;
  readonly random: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Every attempt, as it ends. */
  readonly attempts: AttemptRecord[];
  /** Spans of the attempts (one CLIENT span each, under `parent`). @default none */
  readonly tracing?: AttemptTracing;
}

/** Where attempt spans go, and the span of the attempt that served (for its response attributes). */
export interface AttemptTracing {
  readonly spans: RequestSpans;
  /** The span of the target being tried. @default the request's root span */
  readonly parent?: Span;
  /** Set by the attempt loop: the span of the attempt that succeeded. */
  served?: Span;
}

/** The target's circuit is open (or its half-open probe is taken): try the next target. */
export class CircuitOpen extends Error {
  constructor(readonly targetId: string) {
    super(`circuit open for ${targetId}`);
    this.name = 'CircuitOpen';
  }
}

/** The request's deadline passed. */
export class DeadlineExceeded extends Error {
  constructor() {
    super('the request deadline passed');
    this.name = 'DeadlineExceeded';
  }
}

/** The client went away; nothing more should be done for it. */
export class ClientGone extends Error {
  constructor() {
    super('the client disconnected');
    this.name = 'ClientGone';
  }
}

/** A stream whose first chunk has arrived. */
export interface OpenedStream {
  readonly first: StreamChunk;
  /** The rest of the stream. */
  readonly rest: AsyncIterator<StreamChunk>;
  /** Stops the upstream call (idempotent); call it when the stream is abandoned or finished. */
  close(): void;
}

const FIRST_TOKEN = 'first_token_timeout';
/** The codes of a model that did not answer in time, whatever the target kind. */
export const MODEL_TIMEOUT_CODES: ReadonlySet<string> = new Set(['modelTimeout', 'timeout', 'firstTokenTimeout']);

function asUpstreamError(error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  return new UpstreamError('the provider adapter failed unexpectedly', { disposition: 'fallback', code: 'adapterError', cause: error });
}

/**
 * An attempt's controller: aborted by the attempt itself (with its own reason), or by the client's
 * `signal` (with the client's reason), whichever comes first. Cheaper than `AbortSignal.any`, which
 * tracks its sources with weak references and was a visible share of the request path's CPU; the
 * one listener lives as long as the request's signal, i.e. the request.
 */
function linkedController(signal: AbortSignal): AbortController {
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}

/**
 * Calls `attempt` on `candidate` until it succeeds or the retry policy gives up. Throws the last
 * `UpstreamError`, `CircuitOpen`, `DeadlineExceeded` or `ClientGone`.
 */
async function withRetries<T>(
  candidate: Candidate, describe: (attempt: number) => SpanDescription, ctx: InvokeContext,
  attempt: (options: CallOptions, attemptSignal: AbortController) => Promise<T>,
): Promise<T> {
  const { retry } = ctx;
  const timeouts = candidate.config.timeouts;
  let modelTimeouts = 0;
  let lastError: UpstreamError | undefined;
  for (let n = 1; ; n++) {
    if (ctx.signal.aborted) throw new ClientGone();
    const remaining = ctx.deadline - ctx.now();
    if (remaining <= 0) throw new DeadlineExceeded();
    // On a retry, an open circuit ends the attempts with this request's own last error.
    if (!ctx.breakers.tryAcquire(candidate.breakerKey)) throw lastError ?? new CircuitOpen(candidate.config.id);
    const started = ctx.now();
    const spanOf = ctx.tracing ? describe(n) : undefined;
    const span = ctx.tracing && spanOf ? ctx.tracing.spans.start(spanOf.name, spanOf.attributes, { kind: SpanKind.CLIENT, parent: ctx.tracing.parent }) : undefined;
    // The attempt's own stop (first-token timeout, an abandoned stream), joined with the client's.
    const controller = linkedController(ctx.signal);
    try {
      const result = await attempt({
        signal: controller.signal,
        connectTimeoutMs: Math.max(1, Math.min(timeouts.connectMs, remaining)),
        timeoutMs: Math.max(1, Math.min(timeouts.totalMs, remaining)),
      }, controller);
      ctx.breakers.recordSuccess(candidate.breakerKey);
      ctx.attempts.push({ targetId: candidate.config.id, result: 'ok', durationMs: ctx.now() - started });
      if (ctx.tracing && span) {
        span.end();
        ctx.tracing.served = span;
      }
      return result;
    } catch (raw) {
      let error = asUpstreamError(raw);
      if (controller.signal.reason === FIRST_TOKEN) {
        error = new UpstreamError(`no first token within ${timeouts.firstTokenMs} ms`, { disposition: 'retryable', code: 'firstTokenTimeout', cause: raw });
      }
      ctx.attempts.push({
        targetId: candidate.config.id,
        result: ctx.signal.aborted ? 'aborted' : error.code,
        ...(error.upstreamStatus !== undefined ? { upstreamStatus: error.upstreamStatus } : {}),
        durationMs: ctx.now() - started,
      });
      span?.set('http.response.status_code', error.upstreamStatus).fail(ctx.signal.aborted ? 'aborted' : errorTypeOf(error));
      span?.end();
      if (ctx.signal.aborted) {
        ctx.breakers.release(candidate.breakerKey);
        throw new ClientGone();
      }
      if (error.disposition === 'client') {
        ctx.breakers.release(candidate.breakerKey);
        throw error;
      }
      ctx.breakers.recordFailure(candidate.breakerKey);
      lastError = error;
      if (error.disposition !== 'retryable' || n >= retry.maxAttempts) throw error;
      if (MODEL_TIMEOUT_CODES.has(error.code) && ++modelTimeouts > 1) throw error;
      if (error.retryAfterMs !== undefined && error.retryAfterMs > retry.maxDelayMs) throw error;
      const wait = error.retryAfterMs ?? backoffDelayMs(n, retry, ctx.random);
      if (ctx.now() + wait >= ctx.deadline) throw error;
      await ctx.sleep(wait, ctx.signal);
    }
  }
}

function adapterFor(ctx: InvokeContext, candidate: Candidate): {
  complete: (request: ProviderRequest, options: CallOptions) => Promise<Completion>;
  stream: (request: ProviderRequest, options: CallOptions) => AsyncIterable<StreamChunk>;
} {
  const target = candidate.target;
  if (target.kind === 'bedrock') {
    return {
      complete: (r, o) => ctx.providers.bedrock.complete(target, r, o),
      stream: (r, o) => ctx.providers.bedrock.stream(target, r, o),
    };
  }
  return {
    complete: (r, o) => ctx.providers.openai.complete(target, r, o),
    stream: (r, o) => ctx.providers.openai.stream(target, r, o),
  };
}

/**
 * The embeddings of `request` from `candidate`, with retries (an adapter without `embed` fails
 * over: it serves no embeddings).
 *
 * @example
 * const embeddings = await embedOnTarget(candidate, embeddingRequest, ctx);
 */
export function embedOnTarget(candidate: Candidate, request: EmbeddingRequest, ctx: InvokeContext): Promise<Embeddings> {
  const target = candidate.target;
  return withRetries(candidate, (n) => embeddingsAttemptSpan(candidate, request, n), ctx, (options) => {
    const embed = target.kind === 'bedrock'
      ? ctx.providers.bedrock.embed?.bind(ctx.providers.bedrock, target)
      : ctx.providers.openai.embed?.bind(ctx.providers.openai, target);
    if (!embed) throw new UpstreamError(`the ${target.kind} adapter serves no embeddings`, { disposition: 'fallback', code: 'notEmbeddingModel' });
    return embed(request, options);
  });
}

/**
 * A complete (non-streamed) answer from `candidate`, with retries.
 *
 * @example
 * const completion = await completeOnTarget(candidate, providerRequest, ctx);
 */
export function completeOnTarget(candidate: Candidate, request: ProviderRequest, ctx: InvokeContext): Promise<Completion> {
  const adapter = adapterFor(ctx, candidate);
  const call = targetRequest(candidate, request);
  return withRetries(candidate, (n) => attemptSpan(candidate, call, n), ctx, (options) => adapter.complete(call, options));
}

/**
 * Opens a stream on `candidate` and waits for its first chunk, with retries. The returned stream
 * keeps the attempt's abort signal: a client disconnect still aborts the upstream call.
 *
 * @example
 * const opened = await openStreamOnTarget(candidate, providerRequest, ctx);
 */
export function openStreamOnTarget(candidate: Candidate, request: ProviderRequest, ctx: InvokeContext): Promise<OpenedStream> {
  const adapter = adapterFor(ctx, candidate);
  const firstTokenMs = candidate.config.timeouts.firstTokenMs;
  const call = targetRequest(candidate, request);
  return withRetries(candidate, (n) => attemptSpan(candidate, call, n), ctx, async (options, controller) => {
    const iterator = adapter.stream(call, options)[Symbol.asyncIterator]();
    const timer = firstTokenMs !== undefined ? setTimeout(() => controller.abort(FIRST_TOKEN), firstTokenMs) : undefined;
    const stop = (): void => {
      void iterator.return?.().catch(() => undefined);
      if (!controller.signal.aborted) controller.abort('closed');
    };
    try {
      const first = await iterator.next();
      if (first.done) {
        throw new UpstreamError('the stream ended without any chunk', { disposition: 'retryable', code: 'streamTruncated' });
      }
      // A client that left while the first chunk was in flight.
      if (ctx.signal.aborted) throw new ClientGone();
      return { first: first.value, rest: iterator, close: stop };
    } catch (error) {
      stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  });
}
