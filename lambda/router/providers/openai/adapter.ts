/**
 * The OpenAI-compatible adapter (vLLM, or any server that speaks `/v1/chat/completions`),
 * non-streaming and streaming, over warm keep-alive connections (./transport.ts).
 *
 * - `complete()` → a JSON chat completion.
 * - `stream()` → server-sent events, as an async generator: each content delta becomes a `text`
 *   chunk; the `finish_reason`, the usage chunk (asked for with `stream_options.include_usage`)
 *   and the served model become one `end` chunk after the body has ended (so the connection is
 *   back in the pool). A stream without usage gets estimated, marked usage. A stream that ends
 *   with neither `finish_reason` nor `[DONE]` was cut: retryable `streamTruncated`.
 * - An `error` object inside the stream rejects the iteration (see ./errors.ts).
 * - Bodies are bounded: more than `maxBodyBytes` (transport), or a stream line or event longer than
 *   `maxEventChars`, fails the call with a fallback `responseTooLarge` (502 `upstream_error` when no
 *   other target answers).
 * - Connect timeout, overall deadline (until the last byte) and the router's abort are enforced
 *   per call; a consumer that stops iterating early closes the upstream connection.
 */
import { UpstreamError } from '../../errors';
import { CallGuard } from '../call-guard';
import type { CallOptions, Completion, EmbeddingRequest, Embeddings, FinishReason, OpenAiTarget, ProviderAdapter, ProviderRequest, StreamChunk } from '../types';
import { resolveUsage, type ReportedUsage } from '../usage';
import { classifyHttpStatus, classifyOpenAiError, classifyStreamError } from './errors';
import { embeddingsUrl, fromEmbeddingsResponse, toEmbeddingsBody } from './embeddings';
import { fromChatCompletion, parseStreamEvent, toChatCompletionsBody } from './mapping';
import { SseDecoder, type SseLimits } from './sse';
import { HttpTransport, type HttpTransportOptions, type TransportResponse } from './transport';

export interface OpenAiAdapterOptions extends HttpTransportOptions, SseLimits {
  /** Share a transport. @default a transport of its own */
  readonly transport?: HttpTransport;
}

/** `{baseUrl}/chat/completions`, whether or not the base URL ends with a slash. */
export function chatCompletionsUrl(baseUrl: string): URL {
  return new URL(`${baseUrl.replace(/\/+$/, '')}/chat/completions`);
}

/**
 * @example
 * const vllm = new OpenAiAdapter();
 * const completion = await vllm.complete({ kind: 'openai', id: 'vllm', baseUrl: 'http://vllm:8000/v1', model: 'qwen3-8b' }, request, options);
 */
export class OpenAiAdapter implements ProviderAdapter<OpenAiTarget> {
  readonly kind = 'openai' as const;
  readonly transport: HttpTransport;
  /** `chatCompletionsUrl` per base URL: parsed once, not per call. */
  private readonly urls = new Map<string, URL>();
  /** `embeddingsUrl` per base URL. */
  private readonly embeddingUrls = new Map<string, URL>();
  private readonly sseLimits: SseLimits;

  constructor(options: OpenAiAdapterOptions = {}) {
    this.transport = options.transport ?? new HttpTransport(options);
    this.sseLimits = options.maxEventChars !== undefined ? { maxEventChars: options.maxEventChars } : {};
  }

  async complete(target: OpenAiTarget, request: ProviderRequest, options: CallOptions): Promise<Completion> {
    const guard = new CallGuard(options);
    let response: TransportResponse | undefined;
    try {
      guard.throwIfStopped();
      response = await this.send(target, request, false, guard, options);
      const body = await response.text();
      if (response.status < 200 || response.status >= 300) throw classifyHttpStatus(response.status, body, response.headers);
      return fromChatCompletion(target, request, body);
    } catch (error) {
      response?.discard();
      throw guard.classify(error, classifyOpenAiError);
    } finally {
      guard.release();
    }
  }

  async *stream(target: OpenAiTarget, request: ProviderRequest, options: CallOptions): AsyncGenerator<StreamChunk, void, undefined> {
    const guard = new CallGuard(options);
    let response: TransportResponse | undefined;
    let finished = false;
    try {
      guard.throwIfStopped();
      response = await this.send(target, request, true, guard, options);
      if (response.status < 200 || response.status >= 300) {
        throw classifyHttpStatus(response.status, await response.text(), response.headers);
      }
      const contentType = String(response.headers['content-type'] ?? '');
      if (contentType.includes('application/json')) {
        // A server that ignored `stream: true`: answer with what it sent, as one chunk.
        const completion = fromChatCompletion(target, request, await response.text());
        finished = true;
        guard.release();
        if (completion.text !== '' || completion.logprobs !== undefined) {
          yield { type: 'text', text: completion.text, ...(completion.logprobs !== undefined ? { logprobs: completion.logprobs } : {}) };
        }
        for (const [index, call] of (completion.toolCalls ?? []).entries()) yield { type: 'tool_call', index, ...call };
        yield { type: 'end', ...endOf(completion) };
        return;
      }
      if (!contentType.includes('text/event-stream')) {
        throw new UpstreamError(`upstream streamed with content-type ${contentType || '(none)'}`, { disposition: 'fallback', code: 'malformedResponse' });
      }

      const decoder = new SseDecoder(this.sseLimits);
      let output = '';
      let finishReason: FinishReason | undefined;
      let usage: ReportedUsage | undefined;
      let model: string | undefined;
      let done = false;
      let sawToolCall = false;
      const withLogprobs = request.logprobs !== undefined;
      const handle = (data: string): StreamChunk[] => {
        if (done) return []; // nothing after [DONE] counts
        const event = parseStreamEvent(data, withLogprobs);
        if (event.error) throw classifyStreamError(event.error);
        if (event.done) { done = true; return []; }
        if (event.finishReason) finishReason = event.finishReason;
        if (event.usage) usage = event.usage;
        if (event.model) model = event.model;
        const chunks: StreamChunk[] = event.text !== undefined || event.logprobs !== undefined
          ? [{ type: 'text', text: event.text ?? '', ...(event.logprobs !== undefined ? { logprobs: event.logprobs } : {}) }] : [];
        if (event.toolCalls) {
          sawToolCall = true;
          chunks.push(...event.toolCalls);
        }
        for (const c of chunks) output += c.type === 'text' ? c.text : c.type === 'tool_call' ? c.arguments : '';
        return chunks;
      };
      for await (const bytes of response.chunks()) {
        for (const event of decoder.push(bytes)) yield* handle(event.data);
      }
      for (const event of decoder.end()) yield* handle(event.data);
      if (!done && finishReason === undefined) {
        throw new UpstreamError('the event stream ended without finish_reason or [DONE]', { disposition: 'retryable', code: 'streamTruncated' });
      }
      const resolved = resolveUsage(usage, request, output);
      const end: StreamChunk = {
        type: 'end',
        finishReason: sawToolCall && (finishReason === undefined || finishReason === 'stop') ? 'tool_calls' : finishReason ?? 'stop',
        usage: resolved.usage,
        servedModel: model ?? target.model,
        ...(resolved.estimated ? { usageEstimated: true } : {}),
      };
      finished = true;
      guard.release();
      yield end;
    } catch (error) {
      response?.discard();
      throw guard.classify(error, classifyOpenAiError);
    } finally {
      if (!finished) response?.discard();
      guard.release(!finished);
    }
  }

  /** `POST {baseUrl}/embeddings` (./embeddings.ts). */
  async embed(target: OpenAiTarget, request: EmbeddingRequest, options: CallOptions): Promise<Embeddings> {
    const guard = new CallGuard(options);
    let response: TransportResponse | undefined;
    try {
      guard.throwIfStopped();
      let url = this.embeddingUrls.get(target.baseUrl);
      if (!url) {
        url = embeddingsUrl(target.baseUrl);
        this.embeddingUrls.set(target.baseUrl, url);
      }
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'x-request-id': request.requestId };
      if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
      response = await this.transport.send({ url, method: 'POST', headers, body: JSON.stringify(toEmbeddingsBody(target, request)) }, guard, options.connectTimeoutMs);
      const body = await response.text();
      if (response.status < 200 || response.status >= 300) throw classifyHttpStatus(response.status, body, response.headers);
      return fromEmbeddingsResponse(target, request, body);
    } catch (error) {
      response?.discard();
      throw guard.classify(error, classifyOpenAiError);
    } finally {
      guard.release();
    }
  }

  private urlOf(baseUrl: string): URL {
    let url = this.urls.get(baseUrl);
    if (!url) {
      url = chatCompletionsUrl(baseUrl);
      this.urls.set(baseUrl, url);
    }
    return url;
  }

  private send(target: OpenAiTarget, request: ProviderRequest, stream: boolean, guard: CallGuard, options: CallOptions): Promise<TransportResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'x-request-id': request.requestId,
    };
    if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
    return this.transport.send(
      { url: this.urlOf(target.baseUrl), method: 'POST', headers, body: JSON.stringify(toChatCompletionsBody(target, request, stream)) },
      guard,
      options.connectTimeoutMs,
    );
  }
}

function endOf(completion: Completion): Omit<Extract<StreamChunk, { type: 'end' }>, 'type'> {
  return {
    finishReason: completion.finishReason,
    usage: completion.usage,
    servedModel: completion.servedModel,
    ...(completion.usageEstimated ? { usageEstimated: true } : {}),
  };
}
