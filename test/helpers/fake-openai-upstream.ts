/**
 * A loopback OpenAI-compatible upstream (what vLLM serves), for tests that drive real HTTP
 * clients against it: the gateway's OpenAI-compatible adapter, or the `openai` SDK.
 *
 * - `POST /v1/chat/completions`: a `chat.completion` JSON answer, or with `"stream": true`
 *   server-sent events: a role chunk, content chunks, a chunk with `finish_reason`, a usage chunk
 *   (`choices: []`) when the request asked for `stream_options.include_usage`, then `data: [DONE]`.
 *   With `logprobs: true` each delta is one token with its log probability and `top_logprobs`
 *   alternatives (`fakeTokenLogprob`), in `choices[0].logprobs.content` of the JSON answer and of
 *   each content chunk.
 * - `GET /v1/models`: the served model names.
 * - Errors: any status with the OpenAI envelope `{"error":{"message","type","param","code"}}` and
 *   an optional `Retry-After`.
 *
 * Every request is recorded (path, headers, parsed body, the TCP connection it came on, how it
 * ended) and every TCP connection is counted, so tests can prove that a warm client reuses its
 * connections. Behaviours are scripted per call with `enqueue`; when the queue is empty the
 * default behaviour (a successful answer) is used.
 *
 * @example
 * const upstream = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
 * upstream.enqueue(OpenAiBehaviours.error(429, { retryAfter: '2' }), OpenAiBehaviours.success({ text: 'Hi' }));
 * const client = new OpenAI({ baseURL: upstream.baseUrl, apiKey: 'k', maxRetries: 0 });
 * await upstream.close();
 */
import * as http from 'node:http';
import { fakeEmbedding, fakeEmbeddingTokens } from './fake-embeddings';
import { scriptedServer } from './fake-server';

// ---------------------------------------------------------------------------------------------
// Behaviours
// ---------------------------------------------------------------------------------------------

/** Token counts the fake reports. Missing counts are derived from the request and the answer. */
export interface FakeOpenAiUsage {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** Reported as `usage.prompt_tokens_details.cached_tokens` when set. */
  readonly cachedTokens?: number;
}

/** A successful chat completion, JSON or SSE depending on the request's `stream`. */
export interface OpenAiSuccessBehaviour {
  readonly kind: 'success';
  /** The whole answer. @default 'Hello from the fake vLLM model.' */
  readonly text?: string;
  /** The stream's content deltas. @default `text` split after each run of whitespace */
  readonly deltas?: readonly string[];
  /** @default 'stop' */
  readonly finishReason?: string;
  /** @default prompt 9, completion = number of deltas */
  readonly usage?: FakeOpenAiUsage;
  /** Leave usage out (JSON: no `usage`; stream: no usage chunk even when asked for). */
  readonly omitUsage?: boolean;
  /**
   * Report the most the call could be billed, instead of `usage`: completion tokens = the request's
   * `max_tokens` / `max_completion_tokens` (a model that writes until its limit; without one, vLLM's
   * default of the context window, 32768, minus the prompt), prompt tokens = one per UTF-8 byte of
   * every message plus 5 per message and 3 per request (a tokenizer at its worst).
   */
  readonly spendOutputLimit?: boolean;
  /** Leave the final `data: [DONE]` out of the stream. */
  readonly omitDone?: boolean;
  /** The `model` the answer names. @default the request's `model` */
  readonly model?: string;
  /** Wait this long before sending the status line and headers. */
  readonly delayMs?: number;
  /** Wait this long between stream events. */
  readonly eventDelayMs?: number;
  /** Write the stream in pieces of this many bytes (events split anywhere, even inside UTF-8 sequences). */
  readonly fragmentBytes?: number;
  /** Put an SSE comment line (`: ping`) before every event, as keep-alive proxies do. */
  readonly keepAliveComments?: boolean;
  /** End stream lines with CRLF instead of LF. */
  readonly crlf?: boolean;
  /** Destroy the connection after this many stream events (JSON: after half of the body). */
  readonly cutAfterEvents?: number;
  /** Stop writing after this many stream events (JSON: after half of the body), keep the connection open. */
  readonly stallAfterEvents?: number;
  /**
   * Tool calls after the text (`message.tool_calls`; streamed as a delta with index, id, type and
   * name, then argument fragments). With tool calls the default finish reason is `tool_calls`.
   */
  readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly arguments: string }[];
}

/** An HTTP error with the OpenAI error envelope. */
export interface OpenAiErrorBehaviour {
  readonly kind: 'error';
  readonly status: number;
  /** @default `fake upstream error <status>` */
  readonly message?: string;
  /** @default 'server_error' for 5xx, 'invalid_request_error' otherwise */
  readonly type?: string;
  readonly code?: string | number | null;
  /** The `Retry-After` header (seconds or an HTTP date). */
  readonly retryAfter?: string;
  /** A raw body instead of the envelope. */
  readonly body?: string;
  readonly delayMs?: number;
}

/** Read the request, never answer; the request stays open until the client gives up. */
export interface OpenAiHangBehaviour {
  readonly kind: 'hang';
}

/** Destroy the connection as soon as the request has arrived, without any answer. */
export interface OpenAiResetBehaviour {
  readonly kind: 'reset';
}

/** A body the client cannot use: invalid JSON, or JSON without `choices`. */
export interface OpenAiMalformedBehaviour {
  readonly kind: 'malformed';
  /** @default `{"id": "chatcmpl-broken", "choices": [` (JSON) / `data: {not json}` events (stream) */
  readonly body?: string;
  /** @default 200 */
  readonly status?: number;
  /** @default 'application/json', or 'text/event-stream' for streamed requests */
  readonly contentType?: string;
  readonly delayMs?: number;
}

/** A stream that sends some content chunks, then an `error` object as an SSE event. */
export interface OpenAiStreamErrorBehaviour {
  readonly kind: 'streamError';
  /** Content deltas sent before the error. @default none */
  readonly deltas?: readonly string[];
  /** @default 'fake upstream failed mid-stream' */
  readonly message?: string;
  /** @default 'server_error' */
  readonly type?: string;
  /** @default 500 */
  readonly code?: string | number | null;
  /** Send `data: [DONE]` after the error, as vLLM does. @default true */
  readonly done?: boolean;
  readonly eventDelayMs?: number;
}

export type OpenAiBehaviour =
  | OpenAiSuccessBehaviour
  | OpenAiErrorBehaviour
  | OpenAiHangBehaviour
  | OpenAiResetBehaviour
  | OpenAiMalformedBehaviour
  | OpenAiStreamErrorBehaviour;

/** Factories for the behaviours, so tests read as a script. */
export const OpenAiBehaviours = {
  success: (options: Omit<OpenAiSuccessBehaviour, 'kind'> = {}): OpenAiSuccessBehaviour => ({ kind: 'success', ...options }),
  error: (status: number, options: Omit<OpenAiErrorBehaviour, 'kind' | 'status'> = {}): OpenAiErrorBehaviour =>
    ({ kind: 'error', status, ...options }),
  hang: (): OpenAiHangBehaviour => ({ kind: 'hang' }),
  reset: (): OpenAiResetBehaviour => ({ kind: 'reset' }),
  malformed: (options: Omit<OpenAiMalformedBehaviour, 'kind'> = {}): OpenAiMalformedBehaviour => ({ kind: 'malformed', ...options }),
  streamError: (options: Omit<OpenAiStreamErrorBehaviour, 'kind'> = {}): OpenAiStreamErrorBehaviour => ({ kind: 'streamError', ...options }),
} as const;

// ---------------------------------------------------------------------------------------------
// Recorded requests
// ---------------------------------------------------------------------------------------------

/**
 * How an exchange ended: the fake finished its answer, the client closed the request before the
 * answer was complete (abort, timeout), or the fake cut the connection on purpose.
 */
export type UpstreamExchangeOutcome = 'completed' | 'clientClosed' | 'cut';

export interface RecordedOpenAiRequest {
  /** 0-based position among the requests since start or `reset()`. */
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<http.IncomingHttpHeaders>;
  /** The parsed JSON body (undefined when the body is not JSON). */
  readonly body: unknown;
  readonly rawBody: string;
  /** Whether the request asked for a stream (`"stream": true`). */
  readonly stream: boolean;
  /** Which TCP connection carried the request (1-based, in accept order, across resets). */
  readonly connectionId: number;
  /** The behaviour that answered it (undefined for `/models` and unknown paths). */
  readonly behaviour?: OpenAiBehaviour['kind'];
  /** Settles when the exchange ends. */
  readonly outcome: Promise<UpstreamExchangeOutcome>;
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

export interface FakeOpenAiUpstreamOptions {
  /** Served model names, listed by `GET /v1/models`. @default ['fake-model'] */
  readonly models?: readonly string[];
  /** What answers when the queue is empty. @default OpenAiBehaviours.success() */
  readonly defaultBehaviour?: OpenAiBehaviour;
  /** Require `Authorization: Bearer <apiKey>`; others get a 401. @default no authentication */
  readonly apiKey?: string;
  /**
   * Refuse a chat completion without a positive integer `max_tokens` or `max_completion_tokens`
   * with a 400 (no behaviour is consumed), and count it in `missingOutputLimit`: without one vLLM
   * generates up to the context window, which no budget reservation bounds.
   * @default true
   */
  readonly requireOutputLimit?: boolean;
}

export interface FakeOpenAiUpstream {
  /** `http://127.0.0.1:<port>/v1`: the client's base URL. */
  readonly baseUrl: string;
  /** Every request since start or the last `reset()`, in arrival order. */
  readonly requests: readonly RecordedOpenAiRequest[];
  /** TCP connections accepted since start or the last `reset()`. */
  readonly connectionCount: number;
  /** TCP connections open right now. */
  readonly openConnections: number;
  /** Behaviours for the next chat completions, in order; each is used once. */
  enqueue(...behaviours: OpenAiBehaviour[]): void;
  /** Chat completions that arrived without an output limit, since start (never reset). */
  readonly missingOutputLimit: number;
  /** Behaviours still queued. */
  readonly pending: number;
  /** What answers when the queue is empty. */
  setDefaultBehaviour(behaviour: OpenAiBehaviour): void;
  /** The most recent request; throws when there is none. */
  lastRequest(): RecordedOpenAiRequest;
  /** Clears the queue, the recorded requests and the counters, and restores the default behaviour. Open connections stay open. */
  reset(): void;
  /** Destroys every open connection (the next call must reconnect). */
  dropConnections(): void;
  /** Stops the server and destroys every connection. */
  close(): Promise<void>;
}

const DEFAULT_TEXT = 'Hello from the fake vLLM model.';

/** Splits a text after each run of whitespace: 'a b c' → ['a ', 'b ', 'c']. */
/**
 * The fake's token log probabilities for a piece of the answer (one token per delta), as vLLM
 * reports them when asked (`logprobs: true`): the token, `-(position + 1) / 10`, its UTF-8 bytes,
 * and `top` alternatives (the token itself first, then `<token>#1`, … at lower log probabilities).
 */
export function fakeTokenLogprob(token: string, position: number, top: number): Record<string, unknown> {
  const logprob = -(position + 1) / 10;
  const alternatives = Array.from({ length: top }, (_, k) => {
    const alt = k === 0 ? token : `${token}#${k}`;
    return { token: alt, logprob: logprob - k, bytes: [...Buffer.from(alt, 'utf8')] };
  });
  return { token, logprob, bytes: [...Buffer.from(token, 'utf8')], top_logprobs: alternatives };
}

function splitDeltas(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * Starts the fake on 127.0.0.1 and an ephemeral port.
 *
 * @example
 * const upstream = await startFakeOpenAiUpstream();
 * afterAll(() => upstream.close());
 */
export async function startFakeOpenAiUpstream(options: FakeOpenAiUpstreamOptions = {}): Promise<FakeOpenAiUpstream> {
  const models = options.models ?? ['fake-model'];
  const core = scriptedServer<OpenAiBehaviour, RecordedOpenAiRequest>({
    name: 'fake-openai-upstream',
    defaultBehaviour: options.defaultBehaviour ?? OpenAiBehaviours.success(),
  });
  const sleep = core.sleep;
  let completionCounter = 0;
  let missingOutputLimit = 0;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const rawBody = await readAll(req);
    let body: unknown;
    try { body = rawBody ? JSON.parse(rawBody) : undefined; } catch { body = undefined; }
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const isCompletion = method === 'POST' && path === '/v1/chat/completions';
    const isEmbeddings = method === 'POST' && path === '/v1/embeddings';
    const stream = isRecord(body) && body.stream === true;
    const limitMissing = isCompletion && (options.requireOutputLimit ?? true) && !hasOutputLimit(body);
    if (limitMissing) missingOutputLimit += 1;
    let behaviour = (isCompletion && !limitMissing) || isEmbeddings ? core.next() : undefined;

    let settle: (o: UpstreamExchangeOutcome) => void = () => undefined;
    const outcome = new Promise<UpstreamExchangeOutcome>((resolve) => { settle = resolve; });
    let finished = false;
    let cutOnPurpose = false;
    let closed = false;
    res.on('close', () => { closed = true; settle(finished ? 'completed' : cutOnPurpose ? 'cut' : 'clientClosed'); });
    const finish = (chunk?: string): void => { finished = true; if (chunk === undefined) res.end(); else res.end(chunk); };
    const cut = (): void => { cutOnPurpose = true; req.socket.destroy(); };

    core.record({
      index: core.requests.length,
      method,
      path,
      headers: req.headers,
      body,
      rawBody,
      stream,
      connectionId: core.connectionIdOf(req.socket),
      behaviour: behaviour?.kind,
      outcome,
    });

    const json = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      finish(JSON.stringify(payload));
    };

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      json(401, { error: { message: 'Invalid API key', type: 'authentication_error', param: null, code: 'invalid_api_key' } });
      return;
    }
    if (limitMissing) {
      json(400, { error: { message: 'fake-openai-upstream: the request carries no max_tokens', type: 'invalid_request_error', param: 'max_tokens', code: null } });
      return;
    }
    if (method === 'GET' && path === '/v1/models') {
      json(200, {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'vllm', root: id, max_model_len: 32768 })),
      });
      return;
    }
    if (!behaviour) {
      json(404, { error: { message: `Not Found: ${method} ${path}`, type: 'not_found_error', param: null, code: 404 } });
      return;
    }

    const requestModel = isRecord(body) && typeof body.model === 'string' ? body.model : models[0];
    if (isEmbeddings && behaviour.kind === 'success') {
      await sleep(behaviour.delayMs);
      if (closed) return;
      json(200, embeddingsAnswer(body, requestModel, behaviour.omitUsage !== true));
      return;
    }
    if (behaviour.kind === 'success' && behaviour.spendOutputLimit) behaviour = { ...behaviour, usage: worstUsageOf(body) };
    const streamOptions = isRecord(body) && isRecord(body.stream_options) ? body.stream_options : undefined;
    const includeUsage = streamOptions?.include_usage === true;
    // `logprobs: true` (with `top_logprobs`): one token per delta, with its log probability.
    const wantsLogprobs = isRecord(body) && body.logprobs === true;
    const topLogprobs = isRecord(body) && typeof body.top_logprobs === 'number' ? body.top_logprobs : 0;
    const logprobsOf = (deltas: readonly string[], from = 0): unknown =>
      (wantsLogprobs ? { content: deltas.map((d, i) => fakeTokenLogprob(d, from + i, topLogprobs)), refusal: null } : null);
    completionCounter += 1;
    const id = `chatcmpl-fake-${completionCounter}`;
    const created = Math.floor(Date.now() / 1000);

    switch (behaviour.kind) {
      case 'hang':
        return;
      case 'reset':
        cut();
        return;
      case 'error': {
        await sleep(behaviour.delayMs);
        if (closed) return;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (behaviour.retryAfter !== undefined) headers['retry-after'] = behaviour.retryAfter;
        res.writeHead(behaviour.status, headers);
        finish(behaviour.body ?? JSON.stringify({
          error: {
            message: behaviour.message ?? `fake upstream error ${behaviour.status}`,
            type: behaviour.type ?? (behaviour.status >= 500 ? 'server_error' : 'invalid_request_error'),
            param: null,
            code: behaviour.code ?? null,
          },
        }));
        return;
      }
      case 'malformed': {
        await sleep(behaviour.delayMs);
        if (closed) return;
        res.writeHead(behaviour.status ?? 200, { 'content-type': behaviour.contentType ?? (stream ? 'text/event-stream' : 'application/json') });
        finish(behaviour.body ?? (stream ? 'data: {not json}\n\ndata: [DONE]\n\n' : '{"id": "chatcmpl-broken", "choices": ['));
        return;
      }
      case 'streamError':
      case 'success': {
        if (behaviour.kind === 'success') await sleep(behaviour.delayMs);
        if (closed) return;
        if (!stream) {
          if (behaviour.kind === 'streamError') {
            json(500, { error: { message: "fake misuse: a 'streamError' behaviour answered a non-streamed request", type: 'server_error', param: null, code: 500 } });
            return;
          }
          const text = behaviour.text ?? (behaviour.deltas ? behaviour.deltas.join('') : DEFAULT_TEXT);
          const deltas = behaviour.deltas ?? splitDeltas(text);
          const payload: Record<string, unknown> = {
            id,
            object: 'chat.completion',
            created,
            model: behaviour.model ?? requestModel,
            choices: [{
              index: 0,
              message: {
                role: 'assistant',
                content: behaviour.kind === 'success' && behaviour.toolCalls?.length && behaviour.text === undefined ? null : text,
                ...(behaviour.kind === 'success' && behaviour.toolCalls?.length
                  ? { tool_calls: behaviour.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
                  : {}),
              },
              logprobs: logprobsOf(deltas),
              finish_reason: behaviour.finishReason ?? (behaviour.kind === 'success' && behaviour.toolCalls?.length ? 'tool_calls' : 'stop'),
            }],
          };
          if (!behaviour.omitUsage) payload.usage = usageOf(behaviour.usage, deltas.length);
          const text$ = JSON.stringify(payload);
          res.writeHead(200, { 'content-type': 'application/json' });
          if (behaviour.cutAfterEvents !== undefined || behaviour.stallAfterEvents !== undefined) {
            await writeAndFlush(res, text$.slice(0, Math.floor(text$.length / 2)));
            if (behaviour.cutAfterEvents !== undefined) cut();
            return;
          }
          finish(text$);
          return;
        }

        const model = behaviour.kind === 'success' ? behaviour.model ?? requestModel : requestModel;
        const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
          JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...(includeUsage ? { usage: null } : {}), ...extra });
        const events: string[] = [chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }])];
        if (behaviour.kind === 'streamError') {
          for (const d of behaviour.deltas ?? []) events.push(chunk([{ index: 0, delta: { content: d }, logprobs: null, finish_reason: null }]));
          events.push(JSON.stringify({
            error: {
              message: behaviour.message ?? 'fake upstream failed mid-stream',
              type: behaviour.type ?? 'server_error',
              param: null,
              code: behaviour.code === undefined ? 500 : behaviour.code,
            },
          }));
          if (behaviour.done ?? true) events.push('[DONE]');
        } else {
          const calls = behaviour.toolCalls ?? [];
          const text = behaviour.text ?? (calls.length > 0 ? '' : DEFAULT_TEXT);
          const deltas = behaviour.deltas ?? (text === '' ? [] : splitDeltas(text));
          deltas.forEach((d, i) => events.push(chunk([{ index: 0, delta: { content: d }, logprobs: logprobsOf([d], i), finish_reason: null }])));
          calls.forEach((c, index) => {
            const half = Math.ceil(c.arguments.length / 2);
            const open = { index, id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments.slice(0, half) } };
            events.push(chunk([{ index: 0, delta: { tool_calls: [open] }, logprobs: null, finish_reason: null }]));
            events.push(chunk([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: c.arguments.slice(half) } }] }, logprobs: null, finish_reason: null }]));
          });
          events.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: behaviour.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop') }]));
          if (includeUsage && !behaviour.omitUsage) {
            events.push(JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(behaviour.usage, deltas.length) }));
          }
          if (!behaviour.omitDone) events.push('[DONE]');
        }

        const success = behaviour.kind === 'success' ? behaviour : undefined;
        const eol = success?.crlf ? '\r\n' : '\n';
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (let i = 0; i < events.length; i++) {
          if (success?.cutAfterEvents !== undefined && i === success.cutAfterEvents) { cut(); return; }
          if (success?.stallAfterEvents !== undefined && i === success.stallAfterEvents) return;
          if (i > 0) await sleep(behaviour.eventDelayMs);
          if (closed) return;
          const frame = `${success?.keepAliveComments ? `: ping${eol}${eol}` : ''}data: ${events[i]}${eol}${eol}`;
          await writeFragmented(res, Buffer.from(frame, 'utf8'), success?.fragmentBytes);
        }
        if (success?.cutAfterEvents !== undefined && success.cutAfterEvents >= events.length) { cut(); return; }
        if (success?.stallAfterEvents !== undefined && success.stallAfterEvents >= events.length) return;
        finish();
        return;
      }
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`fake-openai-upstream: ${String(error)}\n`);
      req.socket.destroy();
    });
  });
  const port = await core.listen(server);

  return core.controls({ baseUrl: `http://127.0.0.1:${port}/v1`, get missingOutputLimit() { return missingOutputLimit; } });
}

function usageOf(usage: FakeOpenAiUsage | undefined, deltaCount: number): Record<string, unknown> {
  const prompt = usage?.promptTokens ?? 9;
  const completion = usage?.completionTokens ?? deltaCount;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(usage?.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}),
  };
}

/** Resolves when the data has been handed to the kernel (so a later cut cannot discard it). */
function writeAndFlush(res: http.ServerResponse, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => { res.write(data, () => resolve()); });
}

async function writeFragmented(res: http.ServerResponse, bytes: Buffer, fragmentBytes: number | undefined): Promise<void> {
  if (!fragmentBytes || fragmentBytes >= bytes.length) {
    await writeAndFlush(res, bytes);
    return;
  }
  for (let offset = 0; offset < bytes.length; offset += fragmentBytes) {
    if (res.destroyed) return;
    // Each piece is flushed before the next is written, so they tend to arrive in separate reads.
    await writeAndFlush(res, bytes.subarray(offset, offset + fragmentBytes));
  }
}

/** The worst-case usage of a chat completion (see `spendOutputLimit`). */
function worstUsageOf(body: unknown): FakeOpenAiUsage {
  const messages = isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
  const promptTokens = messages.reduce<number>((sum, m) => {
    const content = isRecord(m) && typeof m.content === 'string' ? m.content : '';
    return sum + Buffer.byteLength(content, 'utf8') + 5;
  }, 3);
  const limit = isRecord(body) ? body.max_completion_tokens ?? body.max_tokens : undefined;
  return { promptTokens, completionTokens: typeof limit === 'number' ? limit : 32_768 - promptTokens };
}

/** Whether a chat completions body sets `max_tokens` or `max_completion_tokens` to a positive integer. */
function hasOutputLimit(body: unknown): boolean {
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;
  return isRecord(body) && (positive(body.max_tokens) || positive(body.max_completion_tokens));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readAll(stream: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

/**
 * `POST /v1/embeddings`: one vector per input (`dimensions` values, default 8), in reverse order of
 * `data` (clients must sort by `index`); usage unless `omitUsage`.
 */
function embeddingsAnswer(body: unknown, model: string, withUsage: boolean): Record<string, unknown> {
  const input = isRecord(body) ? body.input : undefined;
  const inputs = Array.isArray(input) ? input.map(String) : [String(input)];
  const dimensions = isRecord(body) && typeof body.dimensions === 'number' ? body.dimensions : 8;
  const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, dimensions) })).reverse();
  const tokens = inputs.reduce((n, t) => n + fakeEmbeddingTokens(t), 0);
  return { object: 'list', data, model, ...(withUsage ? { usage: { prompt_tokens: tokens, total_tokens: tokens } } : {}) };
}
