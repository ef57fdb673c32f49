/**
 * A loopback Amazon Bedrock Runtime that speaks the service's wire protocol, for tests that drive
 * the real `@aws-sdk/client-bedrock-runtime` client against it.
 *
 * - `POST /model/{modelId}/converse`: REST-JSON (`application/json`) Converse answer.
 * - `POST /model/{modelId}/converse-stream`: `application/vnd.amazon.eventstream` binary frames
 *   (`:message-type` event/exception, `:event-type`, `:exception-type`, `:content-type`), encoded
 *   with `EventStreamCodec`, in the service's order: `messageStart`, `contentBlockDelta`…,
 *   `contentBlockStop`, `messageStop`, `metadata`. Exceptions mid-stream use lower-camel names
 *   (`throttlingException`), as the service sends them.
 * - `POST /guardrail/{id}/version/{version}/apply`: ApplyGuardrail.
 * - Prompt caching: a Converse(Stream) body with `cachePoint` blocks (in `system` or a message's
 *   content) is answered with cache usage, unless the behaviour sets its own. Each cache point
 *   names the prefix of blocks before it (⌈UTF-8 bytes / 4⌉ of its texts, 1,600 per image); the
 *   longest prefix seen before (since start or `reset()`) is read from the cache, the tokens from
 *   there to the last cache point are written, and every prefix is remembered; `inputTokens` is the
 *   rest. With one cache point: writes the first time, reads after. Image blocks arrive base64-encoded (the SDK's JSON protocol), as recorded.
 * - Errors: the HTTP status of the exception, `x-amzn-errortype: <Name>:<namespace>` and a JSON
 *   `{"message": ...}` body, as the service sends them.
 *
 * Every request is recorded (path, decoded model id, headers, parsed body, the TCP connection it
 * came on, how it ended), and every TCP connection is counted, so tests can prove that a warm
 * client reuses its connections. Behaviours are scripted per call with `enqueue`; when the queue is
 * empty the default behaviour (a successful answer) is used.
 *
 * `protocol: 'h2c'` serves HTTP/2 cleartext (`http2.createServer`) instead of HTTP/1.1: the SDK's
 * default request handler (`NodeHttp2Handler`) needs it, which lets a test show what that handler
 * does to connections.
 *
 * @example
 * const fake = await startFakeBedrockRuntime();
 * fake.enqueue(BedrockBehaviours.error('ThrottlingException'), BedrockBehaviours.success({ text: 'Hi' }));
 * const client = new BedrockRuntimeClient({ endpoint: fake.endpoint, region: 'us-east-1', credentials });
 * // ... first call rejects with ThrottlingException, the second answers 'Hi'
 * expect(fake.requests[1].modelId).toBe(profileArn);
 * await fake.close();
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fakeEmbedding, fakeEmbeddingTokens } from './fake-embeddings';
import { scriptedServer } from './fake-server';

// ---------------------------------------------------------------------------------------------
// Behaviours
// ---------------------------------------------------------------------------------------------

/** Token counts the fake reports. Missing counts are derived from the request and the answer. */
export interface FakeBedrockUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}

/** A successful Converse / ConverseStream answer (and `action: NONE` for ApplyGuardrail). */
export interface BedrockSuccessBehaviour {
  readonly kind: 'success';
  /** The whole answer. @default 'Hello from the fake Bedrock model.' */
  readonly text?: string;
  /** The stream's text deltas. @default `text` split after each run of whitespace */
  readonly deltas?: readonly string[];
  /** @default 'end_turn' */
  readonly stopReason?: string;
  /** @default inputTokens 12, outputTokens = number of deltas, no cache tokens */
  readonly usage?: FakeBedrockUsage;
  /** Leave `usage` out of the JSON answer, and the `metadata` event out of the stream. */
  readonly omitUsage?: boolean;
  /**
   * Report the most the call could be billed, instead of `usage`: output tokens = the call's
   * `inferenceConfig.maxTokens` (a model that writes until its limit; 32768 without one), input
   * tokens = one per UTF-8 byte of every system and message text plus 5 per block and 3 per call
   * (a tokenizer at its worst).
   */
  readonly spendOutputLimit?: boolean;
  /** `trace` of the answer / of the stream's `metadata` event (e.g. `{ guardrail: {...} }`). */
  readonly trace?: Readonly<Record<string, unknown>>;
  /** @default 7 */
  readonly latencyMs?: number;
  /** Wait this long before sending the status line and headers. */
  readonly delayMs?: number;
  /** Wait this long between stream events. */
  readonly eventDelayMs?: number;
  /** Destroy the connection after this many stream events (JSON: after half of the body). */
  readonly cutAfterEvents?: number;
  /** Stop writing after this many stream events (JSON: after half of the body), keep the connection open. */
  readonly stallAfterEvents?: number;
  /**
   * Tool use blocks after the text (Converse `toolUse`; streamed as `contentBlockStart` with the id
   * and name, then the input's JSON in `inputDeltas` fragments). With tool uses the default
   * `stopReason` is `tool_use`.
   */
  readonly toolUses?: readonly FakeToolUse[];
}

/** A tool use the fake answers with. */
export interface FakeToolUse {
  readonly toolUseId: string;
  readonly name: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The fragments the stream sends. @default the input's JSON cut in two */
  readonly inputDeltas?: readonly string[];
}

/**
 * The service's rule the fake enforces: `toolUse`/`toolResult` blocks need a `toolConfig`, and a
 * `toolResult` needs the `toolUse` of the same id in the assistant turn before it. The message, or
 * undefined when the body is valid.
 */
export function toolRuleViolation(body: unknown): string | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    messages?: { role?: string; content?: { toolUse?: { toolUseId?: string }; toolResult?: { toolUseId?: string } }[] }[]; toolConfig?: unknown;
  };
  let previousUses = new Set<string>();
  for (const m of b.messages ?? []) {
    const blocks = m.content ?? [];
    if (blocks.some((c) => c.toolUse || c.toolResult) && b.toolConfig === undefined) {
      return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
    }
    for (const c of blocks) {
      if (c.toolResult && !previousUses.has(c.toolResult.toolUseId ?? '')) {
        return 'Expected toolResult blocks at messages.N.content for the following Ids: the previous turn\'s toolUse ids';
      }
    }
    previousUses = new Set(blocks.flatMap((c) => (c.toolUse ? [c.toolUse.toolUseId ?? ''] : [])));
  }
  return undefined;
}

/** An HTTP error as Bedrock Runtime sends it. */
export interface BedrockErrorBehaviour {
  readonly kind: 'error';
  /** The exception name: `ThrottlingException`, `ModelTimeoutException`, ... */
  readonly errorName: string;
  /** @default the service's status for that exception (see ERROR_STATUS), or 400 */
  readonly status?: number;
  /** @default `<errorName> raised by the fake` */
  readonly message?: string;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
}

/** Read the request, never answer; the request stays open until the client gives up. */
export interface BedrockHangBehaviour {
  readonly kind: 'hang';
}

/** Destroy the connection as soon as the request has arrived, without any answer. */
export interface BedrockResetBehaviour {
  readonly kind: 'reset';
}

/** A 200 with a body the SDK cannot parse. */
export interface BedrockMalformedBehaviour {
  readonly kind: 'malformed';
  /** @default JSON: `{"output": not json`; stream: one frame whose message CRC is corrupted */
  readonly body?: string;
  /** @default 200 */
  readonly status?: number;
  readonly delayMs?: number;
}

/** A stream that sends some text deltas, then an exception event. */
export interface BedrockStreamExceptionBehaviour {
  readonly kind: 'streamException';
  /** The `:exception-type`, e.g. `throttlingException`, `modelStreamErrorException`. */
  readonly exceptionType: string;
  /** @default `<exceptionType> raised by the fake` */
  readonly message?: string;
  /** Text deltas sent before the exception. @default none (exception right after messageStart) */
  readonly deltas?: readonly string[];
  readonly eventDelayMs?: number;
}

/** An ApplyGuardrail answer. */
export interface BedrockGuardrailBehaviour {
  readonly kind: 'guardrail';
  readonly action: 'NONE' | 'GUARDRAIL_INTERVENED';
  /** The guardrail's output texts (its blocked message when it intervened). @default none */
  readonly outputs?: readonly string[];
  /** @default 1 unit of content policy */
  readonly usage?: Readonly<Record<string, number>>;
  /** @default intervened: one content filter with action BLOCKED; none: [] */
  readonly assessments?: readonly unknown[];
  readonly delayMs?: number;
}

export type BedrockBehaviour =
  | BedrockSuccessBehaviour
  | BedrockErrorBehaviour
  | BedrockHangBehaviour
  | BedrockResetBehaviour
  | BedrockMalformedBehaviour
  | BedrockStreamExceptionBehaviour
  | BedrockGuardrailBehaviour;

/** Factories for the behaviours, so tests read as a script. */
export const BedrockBehaviours = {
  success: (options: Omit<BedrockSuccessBehaviour, 'kind'> = {}): BedrockSuccessBehaviour => ({ kind: 'success', ...options }),
  error: (errorName: string, options: Omit<BedrockErrorBehaviour, 'kind' | 'errorName'> = {}): BedrockErrorBehaviour =>
    ({ kind: 'error', errorName, ...options }),
  hang: (): BedrockHangBehaviour => ({ kind: 'hang' }),
  reset: (): BedrockResetBehaviour => ({ kind: 'reset' }),
  malformed: (options: Omit<BedrockMalformedBehaviour, 'kind'> = {}): BedrockMalformedBehaviour => ({ kind: 'malformed', ...options }),
  streamException: (
    exceptionType: string,
    options: Omit<BedrockStreamExceptionBehaviour, 'kind' | 'exceptionType'> = {},
  ): BedrockStreamExceptionBehaviour => ({ kind: 'streamException', exceptionType, ...options }),
  guardrail: (
    action: BedrockGuardrailBehaviour['action'],
    options: Omit<BedrockGuardrailBehaviour, 'kind' | 'action'> = {},
  ): BedrockGuardrailBehaviour => ({ kind: 'guardrail', action, ...options }),
} as const;

/** The HTTP status Bedrock Runtime uses for each exception (the SDK's error schemas agree). */
export const BEDROCK_ERROR_STATUS: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  ConflictException: 400,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelStreamErrorException: 424,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
};

// ---------------------------------------------------------------------------------------------
// Recorded requests
// ---------------------------------------------------------------------------------------------

export type FakeBedrockOperation = 'converse' | 'converseStream' | 'invokeModel' | 'applyGuardrail' | 'unknown';

/**
 * How an exchange ended: the fake finished its answer, the client closed the request before the
 * answer was complete (abort, timeout), or the fake cut the connection on purpose.
 */
export type ExchangeOutcome = 'completed' | 'clientClosed' | 'cut';

export interface RecordedBedrockRequest {
  /** 0-based position among the requests since start or `reset()`. */
  readonly index: number;
  readonly method: string;
  /** The path as sent (URL-encoded). */
  readonly path: string;
  readonly operation: FakeBedrockOperation;
  /** The decoded `{modelId}` path segment, for Converse(Stream). */
  readonly modelId?: string;
  /** The decoded guardrail identifier and version, for ApplyGuardrail. */
  readonly guardrailIdentifier?: string;
  readonly guardrailVersion?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body (undefined when the body is not JSON). */
  readonly body: unknown;
  readonly rawBody: string;
  /** Which TCP connection carried the request (1-based, in accept order, across resets). */
  readonly connectionId: number;
  /** The behaviour that answered it (undefined for unknown paths). */
  readonly behaviour?: BedrockBehaviour['kind'];
  /** Settles when the exchange ends. */
  readonly outcome: Promise<ExchangeOutcome>;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

export interface FakeBedrockRuntimeOptions {
  /** `http1` (HTTP/1.1, for `NodeHttpHandler`) or `h2c` (HTTP/2 cleartext, for the SDK's default `NodeHttp2Handler`). @default 'http1' */
  readonly protocol?: 'http1' | 'h2c';
  /** What answers when the queue is empty. @default BedrockBehaviours.success() */
  readonly defaultBehaviour?: BedrockBehaviour;
  /**
   * Refuse a Converse(Stream) call without a positive integer `inferenceConfig.maxTokens` with a 400
   * `ValidationException` (no behaviour is consumed), and count it in `missingOutputLimit`: the
   * gateway must never let a model run on its own default output length.
   * @default true
   */
  readonly requireOutputLimit?: boolean;
}

export interface FakeBedrockRuntime {
  /** `http://127.0.0.1:<port>`: pass as the client's `endpoint`. */
  readonly endpoint: string;
  readonly protocol: 'http1' | 'h2c';
  /** Every request since start or the last `reset()`, in arrival order. */
  readonly requests: readonly RecordedBedrockRequest[];
  /** TCP connections accepted since start or the last `reset()`. */
  readonly connectionCount: number;
  /** HTTP/2 sessions opened since start or the last `reset()` (h2c only; 0 for http1). */
  readonly sessionCount: number;
  /** TCP connections open right now. */
  readonly openConnections: number;
  /** Behaviours for the next calls, in order; each is used once. */
  enqueue(...behaviours: BedrockBehaviour[]): void;
  /** Converse(Stream) calls that arrived without an output limit, since start (never reset). */
  readonly missingOutputLimit: number;
  /** Behaviours still queued. */
  readonly pending: number;
  /** What answers when the queue is empty. */
  setDefaultBehaviour(behaviour: BedrockBehaviour): void;
  /** The most recent request; throws when there is none. */
  lastRequest(): RecordedBedrockRequest;
  /** Clears the queue, the recorded requests and the counters, and restores the default behaviour. Open connections stay open. */
  reset(): void;
  /** Destroys every open connection (the next call must reconnect). */
  dropConnections(): void;
  /** Stops the server and destroys every connection. */
  close(): Promise<void>;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
const codec = new EventStreamCodec((bytes) => utf8Decoder.decode(bytes), (text) => utf8Encoder.encode(text));
const ERROR_NAMESPACE = 'http://internal.amazon.com/coral/com.amazon.bedrock/';
const DEFAULT_TEXT = 'Hello from the fake Bedrock model.';

/** Bedrock pads event payloads with a `p` field so event sizes do not leak token lengths. */
const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGH';

/** One request/response exchange, over HTTP/1.1 or HTTP/2. */
interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly connectionId: number;
  readBody(): Promise<Buffer>;
  writeHead(status: number, headers: Record<string, string>): void;
  /** Resolves when the chunk has been handed to the kernel (so a later `cut()` cannot discard it). */
  write(chunk: Uint8Array | string): Promise<void>;
  end(chunk?: Uint8Array | string): void;
  /** Destroys the connection (HTTP/1.1) or resets the stream (HTTP/2). */
  cut(): void;
  /** True once the client went away or the exchange ended. */
  readonly closed: boolean;
  onClose(listener: () => void): void;
}

/** Splits a text after each run of whitespace: 'a b c' → ['a ', 'b ', 'c']. */
export function splitDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Encodes one event-stream frame. */
export function encodeEventFrame(messageType: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  const str = (value: string): { type: 'string'; value: string } => ({ type: 'string', value });
  const headers: MessageHeaders = { ':message-type': str(messageType) };
  headers[messageType === 'event' ? ':event-type' : ':exception-type'] = str(type);
  headers[':content-type'] = str('application/json');
  return codec.encode({ headers, body: utf8Encoder.encode(JSON.stringify(payload)) });
}

/**
 * Starts the fake on 127.0.0.1 and an ephemeral port.
 *
 * @example
 * const fake = await startFakeBedrockRuntime();
 * afterAll(() => fake.close());
 */
export async function startFakeBedrockRuntime(options: FakeBedrockRuntimeOptions = {}): Promise<FakeBedrockRuntime> {
  const protocol = options.protocol ?? 'http1';
  let sessionCount = 0;
  const sessions = new Set<http2.ServerHttp2Session>();
  const cachedPrefixes = new Set<string>();
  const core = scriptedServer<BedrockBehaviour, RecordedBedrockRequest>({
    name: 'fake-bedrock-runtime',
    defaultBehaviour: options.defaultBehaviour ?? BedrockBehaviours.success(),
    onReset: () => { sessionCount = 0; cachedPrefixes.clear(); },
    onDropConnections: () => { for (const session of sessions) session.destroy(); },
  });
  const sleep = core.sleep;
  let missingOutputLimit = 0;

  const handle = async (ex: Exchange): Promise<void> => {
    const raw = (await ex.readBody()).toString('utf8');
    let body: unknown;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = undefined; }
    const path = ex.url.split('?')[0];
    const route = parsePath(path);
    const isModelCall = route.operation === 'converse' || route.operation === 'converseStream';
    const limitMissing = isModelCall && (options.requireOutputLimit ?? true) && !hasOutputLimit(body);
    if (limitMissing) missingOutputLimit += 1;
    // Unknown paths (and refused calls) answer without consuming a scripted behaviour.
    const behaviour = route.operation === 'unknown' || limitMissing ? undefined : core.next();
    let settle: (o: ExchangeOutcome) => void = () => undefined;
    const outcome = new Promise<ExchangeOutcome>((resolve) => { settle = resolve; });
    let cutOnPurpose = false;
    let finished = false;
    ex.onClose(() => settle(finished ? 'completed' : cutOnPurpose ? 'cut' : 'clientClosed'));
    const finish = (chunk?: Uint8Array | string): void => { finished = true; ex.end(chunk); };
    const cut = (): void => { cutOnPurpose = true; ex.cut(); };
    core.record({
      index: core.requests.length,
      method: ex.method,
      path,
      operation: route.operation,
      modelId: route.modelId,
      guardrailIdentifier: route.guardrailIdentifier,
      guardrailVersion: route.guardrailVersion,
      headers: ex.headers,
      body,
      rawBody: raw,
      connectionId: ex.connectionId,
      behaviour: behaviour?.kind,
      outcome,
    });

    const baseHeaders = { 'x-amzn-requestid': `fake-${core.requests.length}-${Date.now()}` };
    if (limitMissing) {
      ex.writeHead(400, { ...baseHeaders, 'content-type': 'application/json', 'x-amzn-errortype': `ValidationException:${ERROR_NAMESPACE}` });
      finish(JSON.stringify({ message: 'fake-bedrock-runtime: the call carries no inferenceConfig.maxTokens' }));
      return;
    }
    if (!behaviour) {
      ex.writeHead(404, { ...baseHeaders, 'content-type': 'application/json', 'x-amzn-errortype': `UnknownOperationException:${ERROR_NAMESPACE}` });
      finish(JSON.stringify({ message: `No operation at ${ex.method} ${path}` }));
      return;
    }

    switch (behaviour.kind) {
      case 'hang':
        return; // the client's timeout or abort closes it; close() destroys it otherwise
      case 'reset':
        cut();
        return;
      case 'error': {
        await sleep(behaviour.delayMs);
        if (ex.closed) return;
        const status = behaviour.status ?? BEDROCK_ERROR_STATUS[behaviour.errorName] ?? 400;
        ex.writeHead(status, {
          ...baseHeaders,
          'content-type': 'application/json',
          'x-amzn-errortype': `${behaviour.errorName}:${ERROR_NAMESPACE}`,
          ...behaviour.headers,
        });
        finish(JSON.stringify({ message: behaviour.message ?? `${behaviour.errorName} raised by the fake` }));
        return;
      }
      case 'malformed': {
        await sleep(behaviour.delayMs);
        if (ex.closed) return;
        if (route.operation === 'converseStream') {
          ex.writeHead(behaviour.status ?? 200, { ...baseHeaders, 'content-type': 'application/vnd.amazon.eventstream' });
          finish(behaviour.body ?? corruptedFrame());
        } else {
          ex.writeHead(behaviour.status ?? 200, { ...baseHeaders, 'content-type': 'application/json' });
          finish(behaviour.body ?? '{"output": not json');
        }
        return;
      }
      case 'guardrail': {
        await sleep(behaviour.delayMs);
        if (ex.closed) return;
        if (route.operation !== 'applyGuardrail') {
          ex.writeHead(500, { ...baseHeaders, 'content-type': 'application/json', 'x-amzn-errortype': `InternalServerException:${ERROR_NAMESPACE}` });
          finish(JSON.stringify({ message: `fake misuse: a 'guardrail' behaviour answered ${route.operation}` }));
          return;
        }
        ex.writeHead(200, { ...baseHeaders, 'content-type': 'application/json' });
        finish(JSON.stringify(guardrailAnswer(behaviour.action, behaviour.outputs ?? [], behaviour.usage, behaviour.assessments)));
        return;
      }
      case 'success':
      case 'streamException': {
        const violation = toolRuleViolation(body);
        if (violation !== undefined) {
          ex.writeHead(400, { ...baseHeaders, 'content-type': 'application/json', 'x-amzn-errortype': `ValidationException:${ERROR_NAMESPACE}` });
          finish(JSON.stringify({ message: violation }));
          return;
        }
        let spent = behaviour.kind === 'success' && behaviour.spendOutputLimit ? { ...behaviour, usage: worstUsageOf(body) } : behaviour;
        const cached = behaviour.kind === 'success' && behaviour.usage?.cacheReadInputTokens === undefined
          && behaviour.usage?.cacheWriteInputTokens === undefined ? cacheUsageOf(body, cachedPrefixes) : undefined;
        if (cached && spent.kind === 'success') spent = { ...spent, usage: { ...spent.usage, ...cached } };
        await answer(ex, route.operation, spent, baseHeaders, { sleep, finish, cut }, body);
        return;
      }
    }
  };

  const answer = async (
    ex: Exchange,
    operation: FakeBedrockOperation,
    behaviour: BedrockSuccessBehaviour | BedrockStreamExceptionBehaviour,
    baseHeaders: Record<string, string>,
    io: { sleep: (ms?: number) => Promise<void>; finish: (chunk?: Uint8Array | string) => void; cut: () => void },
    body?: unknown,
  ): Promise<void> => {
    if (behaviour.kind === 'success') await io.sleep(behaviour.delayMs);
    if (ex.closed) return;

    if (operation === 'applyGuardrail') {
      ex.writeHead(200, { ...baseHeaders, 'content-type': 'application/json' });
      io.finish(JSON.stringify(guardrailAnswer('NONE', [], undefined, undefined)));
      return;
    }

    if (operation === 'invokeModel') {
      const answer = embeddingAnswer(ex.url, body);
      ex.writeHead(200, { ...baseHeaders, 'content-type': 'application/json', ...answer.headers });
      io.finish(JSON.stringify(answer.body));
      return;
    }

    if (operation === 'converse') {
      if (behaviour.kind === 'streamException') {
        ex.writeHead(500, { ...baseHeaders, 'content-type': 'application/json', 'x-amzn-errortype': `InternalServerException:${ERROR_NAMESPACE}` });
        io.finish(JSON.stringify({ message: "fake misuse: a 'streamException' behaviour answered converse" }));
        return;
      }
      const text = behaviour.text ?? (behaviour.deltas ? behaviour.deltas.join('') : DEFAULT_TEXT);
      const deltas = behaviour.deltas ?? splitDeltas(text);
      const payload: Record<string, unknown> = {
        output: {
          message: {
            role: 'assistant',
            content: [
              ...(text !== '' || !behaviour.toolUses?.length ? [{ text }] : []),
              ...(behaviour.toolUses ?? []).map((t) => ({ toolUse: { toolUseId: t.toolUseId, name: t.name, input: t.input } })),
            ],
          },
        },
        stopReason: behaviour.stopReason ?? (behaviour.toolUses?.length ? 'tool_use' : 'end_turn'),
        metrics: { latencyMs: behaviour.latencyMs ?? 7 },
      };
      if (!behaviour.omitUsage) payload.usage = usageOf(behaviour.usage, deltas.length);
      if (behaviour.trace) payload.trace = behaviour.trace;
      const json = JSON.stringify(payload);
      ex.writeHead(200, { ...baseHeaders, 'content-type': 'application/json' });
      if (behaviour.cutAfterEvents !== undefined || behaviour.stallAfterEvents !== undefined) {
        await ex.write(json.slice(0, Math.floor(json.length / 2)));
        if (behaviour.cutAfterEvents !== undefined) io.cut();
        return;
      }
      io.finish(json);
      return;
    }

    // converseStream
    ex.writeHead(200, { ...baseHeaders, 'content-type': 'application/vnd.amazon.eventstream' });
    const events: Uint8Array[] = [encodeEventFrame('event', 'messageStart', { role: 'assistant', p: PADDING })];
    if (behaviour.kind === 'streamException') {
      for (const text of behaviour.deltas ?? []) {
        events.push(encodeEventFrame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text }, p: PADDING }));
      }
      events.push(encodeEventFrame('exception', behaviour.exceptionType, {
        message: behaviour.message ?? `${behaviour.exceptionType} raised by the fake`,
      }));
    } else {
      const text = behaviour.text ?? DEFAULT_TEXT;
      const deltas = behaviour.deltas ?? splitDeltas(text);
      for (const d of deltas) {
        events.push(encodeEventFrame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: d }, p: PADDING }));
      }
      events.push(encodeEventFrame('event', 'contentBlockStop', { contentBlockIndex: 0, p: PADDING }));
      (behaviour.toolUses ?? []).forEach((t, i) => {
        const contentBlockIndex = i + 1;
        events.push(encodeEventFrame('event', 'contentBlockStart', { contentBlockIndex, start: { toolUse: { toolUseId: t.toolUseId, name: t.name } }, p: PADDING }));
        const json = JSON.stringify(t.input);
        for (const input of t.inputDeltas ?? [json.slice(0, Math.ceil(json.length / 2)), json.slice(Math.ceil(json.length / 2))]) {
          events.push(encodeEventFrame('event', 'contentBlockDelta', { contentBlockIndex, delta: { toolUse: { input } }, p: PADDING }));
        }
        events.push(encodeEventFrame('event', 'contentBlockStop', { contentBlockIndex, p: PADDING }));
      });
      events.push(encodeEventFrame('event', 'messageStop', { stopReason: behaviour.stopReason ?? (behaviour.toolUses?.length ? 'tool_use' : 'end_turn'), p: PADDING }));
      if (!behaviour.omitUsage) {
        const metadata: Record<string, unknown> = {
          usage: usageOf(behaviour.usage, deltas.length),
          metrics: { latencyMs: behaviour.latencyMs ?? 7 },
          p: PADDING,
        };
        if (behaviour.trace) metadata.trace = behaviour.trace;
        events.push(encodeEventFrame('event', 'metadata', metadata));
      }
    }
    const cutAfter = behaviour.kind === 'success' ? behaviour.cutAfterEvents : undefined;
    const stallAfter = behaviour.kind === 'success' ? behaviour.stallAfterEvents : undefined;
    for (let i = 0; i < events.length; i++) {
      if (cutAfter !== undefined && i === cutAfter) { io.cut(); return; }
      if (stallAfter !== undefined && i === stallAfter) return;
      if (i > 0) await io.sleep(behaviour.eventDelayMs);
      if (ex.closed) return;
      await ex.write(events[i]);
    }
    if (cutAfter !== undefined && cutAfter >= events.length) { io.cut(); return; }
    if (stallAfter !== undefined && stallAfter >= events.length) return;
    io.finish();
  };

  const run = (ex: Exchange): void => {
    handle(ex).catch((error: unknown) => {
      // A bug in the fake must be loud, not a hung test.
      process.stderr.write(`fake-bedrock-runtime: ${String(error)}\n`);
      ex.cut();
    });
  };

  let server: http.Server | http2.Http2Server;
  if (protocol === 'h2c') {
    const h2 = http2.createServer();
    h2.on('session', (session: http2.ServerHttp2Session) => {
      sessionCount += 1;
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    h2.on('request', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
      const socket = req.stream.session?.socket as Socket | undefined;
      run(h2Exchange(req, res, core.connectionIdOf(socket)));
    });
    server = h2;
  } else {
    const h1 = http.createServer();
    h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      run(h1Exchange(req, res, core.connectionIdOf(req.socket)));
    });
    server = h1;
  }
  const port = await core.listen(server);

  return core.controls({
    endpoint: `http://127.0.0.1:${port}`,
    protocol,
    get sessionCount() { return sessionCount; },
    get missingOutputLimit() { return missingOutputLimit; },
  });
}

/** The worst-case usage of a Converse call (see `spendOutputLimit`). */
function worstUsageOf(body: unknown): FakeBedrockUsage {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    system?: { text?: string }[]; messages?: { content?: { text?: string }[] }[]; inferenceConfig?: { maxTokens?: number };
  };
  const blocks = [...(b.system ?? []), ...(b.messages ?? []).flatMap((m) => m.content ?? [])];
  const inputTokens = blocks.reduce((sum, block) => sum + Buffer.byteLength(block.text ?? '', 'utf8') + 5, 3);
  return { inputTokens, outputTokens: b.inferenceConfig?.maxTokens ?? 32_768 };
}

interface ConverseBlock { text?: string; image?: unknown; cachePoint?: unknown; toolSpec?: unknown }

/** Tokens the fake counts for a block: ⌈UTF-8 bytes / 4⌉ of a text or a tool's JSON, 1,600 for an image. */
function blockTokens(block: ConverseBlock): number {
  if (block.image !== undefined) return 1600;
  if (block.toolSpec !== undefined) return Math.ceil(Buffer.byteLength(JSON.stringify(block.toolSpec), 'utf8') / 4);
  return Math.ceil(Buffer.byteLength(block.text ?? '', 'utf8') / 4);
}

/**
 * The cache usage of a body with cache points (see the module comment), or undefined without any.
 * A prefix is identified by the JSON of every block before its cache point.
 */
function cacheUsageOf(body: unknown, seen: Set<string>): FakeBedrockUsage | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    toolConfig?: { tools?: ConverseBlock[] }; system?: ConverseBlock[]; messages?: { content?: ConverseBlock[] }[];
  };
  // Bedrock's prefix order: tools, system, messages.
  const blocks = [...(b.toolConfig?.tools ?? []), ...(b.system ?? []), ...(b.messages ?? []).flatMap((m) => m.content ?? [])];
  const points = blocks.flatMap((block, i) => (block.cachePoint !== undefined ? [i] : []));
  if (points.length === 0) return undefined;
  const tokensOf = (from: number, to: number): number => blocks.slice(from, to).reduce((sum, block) => sum + (block.cachePoint === undefined ? blockTokens(block) : 0), 0);
  const keys = points.map((p) => JSON.stringify(blocks.slice(0, p).filter((block) => block.cachePoint === undefined)));
  let hit = -1;
  keys.forEach((key, k) => { if (seen.has(key)) hit = k; });
  for (const key of keys) seen.add(key);
  const last = points[points.length - 1];
  const read = hit < 0 ? 0 : tokensOf(0, points[hit]);
  return { inputTokens: tokensOf(last + 1, blocks.length), cacheReadInputTokens: read, cacheWriteInputTokens: tokensOf(0, last) - read };
}

/** Whether a Converse body sets `inferenceConfig.maxTokens` to a positive integer. */
function hasOutputLimit(body: unknown): boolean {
  const inference = typeof body === 'object' && body !== null ? (body as { inferenceConfig?: unknown }).inferenceConfig : undefined;
  const maxTokens = typeof inference === 'object' && inference !== null ? (inference as { maxTokens?: unknown }).maxTokens : undefined;
  return typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens > 0;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Route {
  readonly operation: FakeBedrockOperation;
  readonly modelId?: string;
  readonly guardrailIdentifier?: string;
  readonly guardrailVersion?: string;
}

function parsePath(path: string): Route {
  const model = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/.exec(path);
  if (model) {
    const operation = model[2] === 'converse' ? 'converse' : model[2] === 'invoke' ? 'invokeModel' : 'converseStream';
    return { operation, modelId: decodeURIComponent(model[1]) };
  }
  const guardrail = /^\/guardrail\/([^/]+)\/version\/([^/]+)\/apply$/.exec(path);
  if (guardrail) {
    return {
      operation: 'applyGuardrail',
      guardrailIdentifier: decodeURIComponent(guardrail[1]),
      guardrailVersion: decodeURIComponent(guardrail[2]),
    };
  }
  return { operation: 'unknown' };
}

function usageOf(usage: FakeBedrockUsage | undefined, deltaCount: number): Record<string, number> {
  const inputTokens = usage?.inputTokens ?? 12;
  const outputTokens = usage?.outputTokens ?? deltaCount;
  const out: Record<string, number> = { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens };
  if (usage?.cacheReadInputTokens !== undefined) out.cacheReadInputTokens = usage.cacheReadInputTokens;
  if (usage?.cacheWriteInputTokens !== undefined) out.cacheWriteInputTokens = usage.cacheWriteInputTokens;
  return out;
}

function guardrailAnswer(
  action: 'NONE' | 'GUARDRAIL_INTERVENED',
  outputs: readonly string[],
  usage: Readonly<Record<string, number>> | undefined,
  assessments: readonly unknown[] | undefined,
): Record<string, unknown> {
  const intervened = action === 'GUARDRAIL_INTERVENED';
  return {
    action,
    ...(intervened ? { actionReason: 'Guardrail blocked.' } : {}),
    outputs: outputs.map((text) => ({ text })),
    assessments: assessments ?? (intervened
      ? [{ contentPolicy: { filters: [{ type: 'VIOLENCE', confidence: 'HIGH', filterStrength: 'HIGH', action: 'BLOCKED', detected: true }] } }]
      : []),
    usage: usage ?? {
      topicPolicyUnits: 0,
      contentPolicyUnits: 1,
      wordPolicyUnits: 0,
      sensitiveInformationPolicyUnits: 0,
      sensitiveInformationPolicyFreeUnits: 0,
      contextualGroundingPolicyUnits: 0,
    },
  };
}

/** A well-framed event whose message CRC is wrong: the SDK's decoder must reject it. */
function corruptedFrame(): Uint8Array {
  const frame = encodeEventFrame('event', 'contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } });
  const copy = Uint8Array.from(frame);
  copy[copy.length - 1] ^= 0xff;
  return copy;
}

function readAll(stream: http.IncomingMessage | http2.Http2ServerRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function h1Exchange(req: http.IncomingMessage, res: http.ServerResponse, connectionId: number): Exchange {
  let closed = false;
  const listeners: Array<() => void> = [];
  res.on('close', () => { closed = true; for (const l of listeners) l(); });
  return {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    connectionId,
    readBody: () => readAll(req),
    writeHead: (status, headers) => { res.writeHead(status, headers); },
    write: (chunk) => new Promise<void>((resolve) => { res.write(chunk, () => resolve()); }),
    end: (chunk) => { if (chunk === undefined) res.end(); else res.end(chunk); },
    cut: () => { req.socket.destroy(); },
    get closed() { return closed; },
    onClose: (l) => { listeners.push(l); },
  };
}

function h2Exchange(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, connectionId: number): Exchange {
  let closed = false;
  const listeners: Array<() => void> = [];
  res.on('close', () => { closed = true; for (const l of listeners) l(); });
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!k.startsWith(':')) headers[k] = v;
  return {
    method: req.method,
    url: req.url,
    headers,
    connectionId,
    readBody: () => readAll(req),
    writeHead: (status, h) => { res.writeHead(status, h); },
    write: (chunk) => new Promise<void>((resolve) => { res.write(chunk, () => resolve()); }),
    end: (chunk) => { if (chunk === undefined) res.end(); else res.end(chunk); },
    cut: () => { req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR); },
    get closed() { return closed; },
    onClose: (l) => { listeners.push(l); },
  };
}

/**
 * InvokeModel of an embedding model: Titan Text Embeddings V2 (`{embedding, inputTextTokenCount}`,
 * `dimensions` default 1024) or Cohere Embed v3 (`{embeddings: {float}}` for `embedding_types`,
 * else a bare list; the token count only in the `X-Amzn-Bedrock-Input-Token-Count` header, as Bedrock
 * sends it). Cohere vectors have 1024 values.
 */
function embeddingAnswer(url: string, body: unknown): { body: Record<string, unknown>; headers: Record<string, string> } {
  const b = typeof body === 'object' && body !== null ? body as Record<string, unknown> : {};
  if (/cohere\.embed/.test(decodeURIComponent(url))) {
    const texts = Array.isArray(b.texts) ? b.texts.map(String) : [];
    const vectors = texts.map((t) => fakeEmbedding(t, 1024));
    const typed = Array.isArray(b.embedding_types);
    return {
      body: { id: 'fake-cohere', texts, response_type: typed ? 'embeddings_by_type' : 'embeddings_floats', embeddings: typed ? { float: vectors } : vectors },
      headers: { 'x-amzn-bedrock-input-token-count': String(texts.reduce((n, t) => n + fakeEmbeddingTokens(t), 0)) },
    };
  }
  const text = String(b.inputText ?? '');
  const dimensions = typeof b.dimensions === 'number' ? b.dimensions : 1024;
  const embedding = fakeEmbedding(text, dimensions);
  return { body: { embedding, inputTextTokenCount: fakeEmbeddingTokens(text), embeddingsByType: { float: embedding } }, headers: {} };
}
