/**
 * In-memory fakes for router tests: scriptable provider adapters (with the real per-call deadline
 * and abort handling of providers/call-guard.ts), a guardrail applier, a response sink that
 * records what the gateway wrote, and a factory for a gateway wired to them.
 */
import { ResolvedGatewayConfig } from '../../lambda/shared/defaults';
import { UpstreamError } from '../../lambda/router/errors';
import { Gateway, GatewayOptions } from '../../lambda/router/gateway';
import { GatewayRequest, ResponseSink } from '../../lambda/router/http';
import { GuardrailApplier, GuardrailVerdict } from '../../lambda/router/pipeline/guardrail-types';
import { CallGuard } from '../../lambda/router/providers/call-guard';
import {
  BedrockTarget, CallOptions, Completion, FinishReason, GuardrailAction, OpenAiTarget, ProviderAdapter, ProviderRequest, StreamChunk, Target, TokenUsage,
} from '../../lambda/router/providers/types';
import { InMemoryUsageSink } from './in-memory-usage-sink';
import { ACME_KEY, resolved } from './router-config';

export type FakeStep =
  /** Answer (JSON) or stream `chunks` (default: the text split in words). */
  | {
    readonly kind: 'ok'; readonly text?: string; readonly chunks?: readonly string[]; readonly usage?: Partial<TokenUsage>;
    readonly finishReason?: FinishReason; readonly guardrailAction?: GuardrailAction; readonly delayMs?: number;
    readonly chunkDelayMs?: number; readonly servedModel?: string;
  }
  /** Fail before any chunk. */
  | { readonly kind: 'error'; readonly error: UpstreamError; readonly delayMs?: number }
  /** Never answer: ends only by the call's deadline or abort. */
  | { readonly kind: 'hang' }
  /** Stream some chunks, then fail. */
  | { readonly kind: 'midStreamError'; readonly chunks: readonly string[]; readonly error: UpstreamError; readonly chunkDelayMs?: number }
  /** Stream some chunks, then stall until the deadline or abort. */
  | { readonly kind: 'midStreamHang'; readonly chunks: readonly string[] };

export const Steps = {
  ok: (options: Omit<Extract<FakeStep, { kind: 'ok' }>, 'kind'> = {}): FakeStep => ({ kind: 'ok', ...options }),
  error: (error: UpstreamError, delayMs?: number): FakeStep => ({ kind: 'error', error, ...(delayMs ? { delayMs } : {}) }),
  hang: (): FakeStep => ({ kind: 'hang' }),
  midStreamError: (chunks: readonly string[], error: UpstreamError): FakeStep => ({ kind: 'midStreamError', chunks, error }),
  midStreamHang: (chunks: readonly string[]): FakeStep => ({ kind: 'midStreamHang', chunks }),
} as const;

/** Upstream errors as the real adapters classify them. */
export const Upstream = {
  throttling: (retryAfterMs?: number): UpstreamError => new UpstreamError('throttled', {
    disposition: 'retryable', code: 'throttling', upstreamStatus: 429, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  }),
  serverError: (): UpstreamError => new UpstreamError('internal', { disposition: 'retryable', code: 'internalServerError', upstreamStatus: 500 }),
  modelTimeout: (): UpstreamError => new UpstreamError('model timeout', { disposition: 'retryable', code: 'modelTimeout', upstreamStatus: 408 }),
  modelError: (): UpstreamError => new UpstreamError('model error', { disposition: 'fallback', code: 'modelError', upstreamStatus: 424 }),
  malformed: (): UpstreamError => new UpstreamError('bad body', { disposition: 'fallback', code: 'malformedResponse' }),
  validation: (): UpstreamError => new UpstreamError('secret upstream detail', { disposition: 'client', code: 'validation', upstreamStatus: 400 }),
  accessDenied: (): UpstreamError => new UpstreamError('denied', { disposition: 'client', code: 'accessDenied', upstreamStatus: 403 }),
  unavailable: (): UpstreamError => new UpstreamError('unavailable', { disposition: 'retryable', code: 'serviceUnavailable', upstreamStatus: 503 }),
} as const;

const wait = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

const never = (signal: AbortSignal): Promise<void> => new Promise((resolve) => {
  if (signal.aborted) resolve();
  else signal.addEventListener('abort', () => resolve(), { once: true });
});

function usageOf(step: Extract<FakeStep, { kind: 'ok' }>, request: ProviderRequest, text: string): TokenUsage {
  return {
    inputTokens: step.usage?.inputTokens ?? 10 + request.messages.length,
    outputTokens: step.usage?.outputTokens ?? text.split(/\s+/).filter(Boolean).length,
    cacheReadInputTokens: step.usage?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: step.usage?.cacheWriteInputTokens ?? 0,
  };
}

export interface RecordedCall {
  readonly target: Target;
  readonly request: ProviderRequest;
  readonly options: CallOptions;
  readonly stream: boolean;
  /** Whether the call's signal was aborted by the time the call ended. */
  aborted?: boolean;
}

/** A scriptable adapter. Steps are used in order; when none is queued, `defaultStep` answers. */
export class FakeAdapter<T extends Target> implements ProviderAdapter<T> {
  readonly calls: RecordedCall[] = [];
  private readonly queue: FakeStep[] = [];
  defaultStep: FakeStep = Steps.ok({ text: 'Hello from the fake model.' });

  constructor(readonly kind: T['kind']) {}

  enqueue(...steps: FakeStep[]): this {
    this.queue.push(...steps);
    return this;
  }

  private next(): FakeStep {
    return this.queue.shift() ?? this.defaultStep;
  }

  async complete(target: T, request: ProviderRequest, options: CallOptions): Promise<Completion> {
    const call: RecordedCall = { target, request, options, stream: false };
    this.calls.push(call);
    const step = this.next();
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      if (step.kind === 'hang' || step.kind === 'midStreamHang') {
        await never(guard.signal);
        guard.throwIfStopped();
      }
      if (step.kind === 'error' || step.kind === 'midStreamError') {
        if (step.kind === 'error' && step.delayMs) await wait(step.delayMs, guard.signal);
        guard.throwIfStopped();
        throw step.error;
      }
      if (step.kind !== 'ok') throw new Error('unreachable');
      if (step.delayMs) await wait(step.delayMs, guard.signal);
      guard.throwIfStopped();
      const text = step.text ?? (step.chunks ?? []).join('');
      return {
        text,
        finishReason: step.finishReason ?? 'stop',
        usage: usageOf(step, request, text),
        servedModel: step.servedModel ?? (target.kind === 'bedrock' ? target.modelId : target.model),
        ...(step.guardrailAction ? { guardrailAction: step.guardrailAction } : {}),
      };
    } catch (error) {
      throw guard.classify(error, (e) => new UpstreamError('fake failure', { disposition: 'fallback', code: 'unknown', cause: e }));
    } finally {
      call.aborted = options.signal.aborted;
      guard.release();
    }
  }

  async *stream(target: T, request: ProviderRequest, options: CallOptions): AsyncGenerator<StreamChunk, void, undefined> {
    const call: RecordedCall = { target, request, options, stream: true };
    this.calls.push(call);
    const step = this.next();
    const guard = new CallGuard(options);
    try {
      guard.throwIfStopped();
      if (step.kind === 'hang') {
        await never(guard.signal);
        guard.throwIfStopped();
      }
      if (step.kind === 'error') {
        if (step.delayMs) await wait(step.delayMs, guard.signal);
        guard.throwIfStopped();
        throw step.error;
      }
      if (step.kind === 'midStreamError' || step.kind === 'midStreamHang') {
        for (const text of step.chunks) {
          if (step.kind === 'midStreamError' && step.chunkDelayMs) await wait(step.chunkDelayMs, guard.signal);
          guard.throwIfStopped();
          yield { type: 'text', text };
        }
        if (step.kind === 'midStreamHang') {
          await never(guard.signal);
          guard.throwIfStopped();
        }
        throw (step as { error: UpstreamError }).error;
      }
      if (step.kind !== 'ok') throw new Error('unreachable');
      if (step.delayMs) await wait(step.delayMs, guard.signal);
      const chunks = step.chunks ?? (step.text ?? '').match(/\S+\s*|\s+/g) ?? [];
      for (const text of chunks) {
        if (step.chunkDelayMs) await wait(step.chunkDelayMs, guard.signal);
        guard.throwIfStopped();
        yield { type: 'text', text };
      }
      guard.throwIfStopped();
      yield {
        type: 'end',
        finishReason: step.finishReason ?? 'stop',
        usage: usageOf(step, request, chunks.join('')),
        servedModel: step.servedModel ?? (target.kind === 'bedrock' ? target.modelId : target.model),
        ...(step.guardrailAction ? { guardrailAction: step.guardrailAction } : {}),
      };
    } catch (error) {
      throw guard.classify(error, (e) => new UpstreamError('fake failure', { disposition: 'fallback', code: 'unknown', cause: e }));
    } finally {
      call.aborted = options.signal.aborted;
      guard.release();
    }
  }
}

/** A guardrail applier whose verdicts are scripted. */
export class FakeGuardrails implements GuardrailApplier {
  readonly calls: { source: 'INPUT' | 'OUTPUT'; text: string; identifier: string }[] = [];
  readonly verdicts: (GuardrailVerdict | Error)[] = [];

  async apply(guardrail: { identifier: string }, source: 'INPUT' | 'OUTPUT', text: string): Promise<GuardrailVerdict> {
    this.calls.push({ source, text, identifier: guardrail.identifier });
    const next = this.verdicts.shift() ?? { action: 'NONE', blocked: false };
    if (next instanceof Error) throw next;
    return next;
  }
}

/** Records what the gateway writes; `disconnect()` simulates the client going away. */
export class MemorySink implements ResponseSink {
  status?: number;
  headers: Record<string, string> = {};
  readonly chunks: string[] = [];
  ended = false;
  starts = 0;
  private readonly listeners: (() => void)[] = [];
  /** Disconnect after this many writes. */
  disconnectAfterWrites?: number;

  start(status: number, headers: Record<string, string>): void {
    this.starts += 1;
    this.status = status;
    this.headers = headers;
  }

  async write(chunk: string): Promise<void> {
    if (this.ended) throw new Error('write after end');
    this.chunks.push(chunk);
    if (this.disconnectAfterWrites !== undefined && this.chunks.length >= this.disconnectAfterWrites) this.disconnect();
  }

  async end(): Promise<void> {
    this.ended = true;
  }

  onClose(listener: () => void): void {
    this.listeners.push(listener);
  }

  disconnect(): void {
    for (const l of this.listeners.splice(0)) l();
  }

  get body(): string {
    return this.chunks.join('');
  }

  json(): Record<string, unknown> {
    return JSON.parse(this.body) as Record<string, unknown>;
  }

  /** The `data:` payloads of an SSE body, in order (`[DONE]` as the string). */
  events(): unknown[] {
    return this.body.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => {
      const data = e.slice(6);
      return data === '[DONE]' ? data : JSON.parse(data);
    });
  }
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly bedrock: FakeAdapter<BedrockTarget>;
  readonly openai: FakeAdapter<OpenAiTarget>;
  readonly guardrails: FakeGuardrails;
  readonly usage: InMemoryUsageSink;
  readonly config: ResolvedGatewayConfig;
}

/** A gateway over the test configuration, fake adapters and an in-memory usage sink. */
export function testGateway(options: Partial<GatewayOptions> & { config?: ResolvedGatewayConfig } = {}): TestGateway {
  const bedrock = new FakeAdapter<BedrockTarget>('bedrock');
  const openai = new FakeAdapter<OpenAiTarget>('openai');
  const guardrails = new FakeGuardrails();
  const usage = new InMemoryUsageSink();
  const config = options.config ?? resolved();
  const gateway = new Gateway({
    providers: { bedrock, openai },
    guardrails,
    usageSink: usage,
    random: () => 0.5,
    env: {},
    ...options,
    config,
  });
  return { gateway, bedrock, openai, guardrails, usage, config };
}

export interface RequestOptions {
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
  readonly method?: string;
  readonly path?: string;
  readonly rawBody?: string | Uint8Array;
}

/** A local-mode chat request (bearer key) for `body`. */
export function chatRequest(body: unknown, options: RequestOptions = {}): GatewayRequest {
  const key = options.key === undefined ? ACME_KEY : options.key;
  const raw = options.rawBody ?? JSON.stringify(body);
  return {
    method: options.method ?? 'POST',
    path: options.path ?? '/v1/chat/completions',
    headers: { ...(key !== null ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json', ...options.headers },
    body: typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw,
    credentials: { kind: 'bearer' },
    receivedAt: Date.now(),
  };
}

/** Serves one request and returns what the client saw. */
export async function send(gateway: Gateway, request: GatewayRequest, sink: MemorySink = new MemorySink()): Promise<MemorySink> {
  await gateway.handle(request, sink);
  return sink;
}

export const hello = (model = 'chat', extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model, messages: [{ role: 'user', content: 'Hello there' }], ...extra,
});
