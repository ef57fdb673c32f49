/**
 * ProviderRequest ↔ OpenAI Chat Completions (pure).
 *
 * Request body for `POST {baseUrl}/chat/completions`:
 * - `model`: the target's served model name;
 * - `messages`: one `system` message first (the system prompts joined by a blank line: many chat
 *   templates served by vLLM accept only one, and only first), then the turns with consecutive
 *   same-role turns merged (see ../conversation.ts);
 * - `max_tokens` always (the router's effective limit; `max_tokens`, not `max_completion_tokens`,
 *   because every OpenAI-compatible server knows it), `temperature`, `top_p`, `stop`, `seed`,
 *   `presence_penalty`, `frequency_penalty` when set; `service_tier` for flex and priority;
 *   `logprobs: true` and `top_logprobs` when the request asks for log probabilities;
 * - tools: passed through (./tools.ts);
 * - a turn with images: `content` as parts (`text`, and `image_url` with a base64 data URL of the
 *   decoded bytes — fetched images included, so the upstream never fetches anything);
 * - `response_format`: passed through (`json_object`, or `json_schema` with name, schema, strict) —
 *   vLLM enforces it with guided decoding;
 * - streams: `stream: true` and `stream_options: {include_usage: true}`, so usage is known for every
 *   streamed call.
 *
 * Response: `choices[0].message.content`, `finish_reason` mapped, usage with
 * `prompt_tokens_details.cached_tokens` as cache reads, `model` as the served model;
 * `choices[0].logprobs.content` (JSON) or each chunk's (stream), when asked for, checked entry by
 * entry (`logprobsOf`) and carried to the answer in OpenAI's shape.
 */
import { UpstreamError } from '../../errors';
import { ServiceTier } from '../../../shared/config-surface';
import { toDataUrl } from '../../images/data-url';
import { normaliseTurns } from '../conversation';
import type { ChatTurn, Completion, FinishReason, OpenAiTarget, ProviderRequest, StreamChunk, TokenLogprob, TopLogprob } from '../types';
import { resolveUsage, type ReportedUsage } from '../usage';
import { parseErrorBody, type UpstreamErrorBody } from './errors';
import { chatMessagesOf, toolCallDeltasOf, toolCallsOf, toolFieldsOf } from './tools';

/** JSON body of a chat completions request. */
export type ChatCompletionsBody = Record<string, unknown>;

/**
 * @example toChatCompletionsBody(target, request, true) // { model, messages, stream: true, stream_options: { include_usage: true }, ... }
 */
export function toChatCompletionsBody(target: OpenAiTarget, request: ProviderRequest, stream: boolean): ChatCompletionsBody {
  const messages: Record<string, unknown>[] = [];
  const system = request.system.filter((s) => s.trim() !== '');
  if (system.length > 0) messages.push({ role: 'system', content: system.join('\n\n') });
  for (const turn of normaliseTurns(request.messages, { dropBlank: false, userFirst: false })) {
    messages.push(...chatMessagesOf(turn, messageContent(turn)));
  }
  const body: ChatCompletionsBody = { model: target.model, messages, ...toolFieldsOf(request) };
  // Always set: without it vLLM generates up to the context window minus the prompt.
  body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = [...request.stop];
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.logprobs !== undefined) {
    body.logprobs = true;
    if (request.logprobs.topLogprobs > 0) body.top_logprobs = request.logprobs.topLogprobs;
  }
  if (request.serviceTier === ServiceTier.FLEX || request.serviceTier === ServiceTier.PRIORITY) body.service_tier = request.serviceTier;
  const format = responseFormatOf(request);
  if (format) body.response_format = format;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

/** A message's `content`: its text, or its parts (images as base64 data URLs). */
function messageContent(turn: ChatTurn): unknown {
  if (!turn.parts) return turn.content;
  return turn.parts.map((part) => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    if (part.type === 'image') return { type: 'image_url', image_url: { url: toDataUrl(part.format, part.bytes) } };
    // The image stage fetches every remote image before routing; one here is a bug, not an answer.
    throw new UpstreamError('an image URL reached the OpenAI adapter unfetched', { disposition: 'client', code: 'validation' });
  });
}

/**
 * The texts a chat completions call adds to the request's own system prompts and turns: the
 * `response_format` as JSON (vLLM enforces a schema by guided decoding, other servers put it in the
 * prompt: counted either way). The input-token bound (../token-bound.ts) counts them with the
 * request's texts, without building the call.
 *
 * @example addedPromptTexts({ responseFormat: { type: 'json_object' } }) // ['{"type":"json_object"}']
 */
export function addedPromptTexts(request: Pick<ProviderRequest, 'responseFormat' | 'tools'>): string[] {
  const format = responseFormatOf(request);
  const texts = format ? [JSON.stringify(format)] : [];
  const tools = toolFieldsOf(request).tools;
  if (Array.isArray(tools)) texts.push(...tools.map((t) => JSON.stringify(t)));
  return texts;
}

/** The `response_format` field of the body, or undefined for plain text. */
function responseFormatOf(request: Pick<ProviderRequest, 'responseFormat'>): Record<string, unknown> | undefined {
  const format = request.responseFormat;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: { name: format.name, schema: format.schema, ...(format.strict !== undefined ? { strict: format.strict } : {}) },
  };
}

/**
 * OpenAI finish reason → the gateway's: `length`, `content_filter` and `tool_calls` as they are;
 * `function_call` (legacy, never asked for) and a missing or unknown reason → `stop`.
 */
export function finishReasonOf(reason: unknown): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls') return 'tool_calls';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

function malformed(detail: string): UpstreamError {
  return new UpstreamError(`malformed upstream answer: ${detail}`, { disposition: 'fallback', code: 'malformedResponse' });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function topLogprobOf(value: unknown, at: string): TopLogprob {
  if (!isRecord(value) || typeof value.token !== 'string' || typeof value.logprob !== 'number') {
    throw malformed(`${at} is not a token with its logprob`);
  }
  const bytes = value.bytes;
  if (!(bytes === null || bytes === undefined || (Array.isArray(bytes) && bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)))) {
    throw malformed(`${at}.bytes is not a list of bytes`);
  }
  return { token: value.token, logprob: value.logprob, bytes: bytes ?? null };
}

/**
 * A choice's `logprobs.content` as token log probabilities (OpenAI's shape, rebuilt from the
 * checked fields: nothing else of the upstream's object reaches the client); undefined when the
 * choice has none. An entry of the wrong shape throws a fallback `UpstreamError` (`malformedResponse`).
 *
 * @example logprobsOf({ content: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [] }] })
 */
export function logprobsOf(logprobs: unknown): TokenLogprob[] | undefined {
  if (!isRecord(logprobs) || !Array.isArray(logprobs.content)) return undefined;
  return logprobs.content.map((entry: unknown, i) => {
    const at = `logprobs.content[${i}]`;
    const token = topLogprobOf(entry, at);
    const top: unknown = isRecord(entry) ? entry.top_logprobs ?? [] : [];
    if (!Array.isArray(top)) throw malformed(`${at}.top_logprobs is not a list`);
    return { ...token, top_logprobs: top.map((t: unknown, j) => topLogprobOf(t, `${at}.top_logprobs[${j}]`)) };
  });
}

/** OpenAI `usage` → reported usage; undefined when absent or not an object. */
export function reportedUsageOf(usage: unknown): ReportedUsage | undefined {
  if (!isRecord(usage)) return undefined;
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : undefined;
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  return {
    inputTokens: num(usage.prompt_tokens),
    outputTokens: num(usage.completion_tokens),
    cacheReadInputTokens: num(details?.cached_tokens),
  };
}

/**
 * Parses a `chat.completion` body. Invalid JSON, or JSON without `choices[0].message`, throws a
 * fallback `UpstreamError` (`malformedResponse`).
 */
export function fromChatCompletion(target: OpenAiTarget, request: ProviderRequest, rawBody: string): Completion {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw malformed('the body is not JSON');
  }
  if (!isRecord(json)) throw malformed('the body is not a JSON object');
  const choices = json.choices;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  if (!isRecord(first) || !isRecord(first.message)) throw malformed('no choices[0].message');
  const content = first.message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') throw malformed('choices[0].message.content is not a string');
  const text = content ?? '';
  const toolCalls = toolCallsOf(first.message);
  const { usage, estimated } = resolveUsage(reportedUsageOf(json.usage), request, text + toolCalls.map((c) => c.arguments).join(''));
  const logprobs = request.logprobs !== undefined ? logprobsOf(first.logprobs) : undefined;
  return {
    text,
    ...(logprobs !== undefined ? { logprobs } : {}),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    finishReason: toolCalls.length > 0 ? 'tool_calls' : finishReasonOf(first.finish_reason),
    usage,
    servedModel: typeof json.model === 'string' && json.model !== '' ? json.model : target.model,
    ...(estimated ? { usageEstimated: true } : {}),
  };
}

/** What one `data:` event of a stream carries. */
export interface StreamEventContent {
  readonly done: boolean;
  readonly text?: string;
  /** The log probabilities of the event's tokens (only parsed when `withLogprobs`). */
  readonly logprobs?: readonly TokenLogprob[];
  /** The event's tool call deltas. */
  readonly toolCalls?: readonly Extract<StreamChunk, { type: 'tool_call' }>[];
  readonly finishReason?: FinishReason;
  readonly usage?: ReportedUsage;
  readonly model?: string;
  readonly error?: UpstreamErrorBody;
}

/**
 * Parses one event's data: `[DONE]`, a `chat.completion.chunk`, or an error object. Data that is
 * not JSON throws a fallback `UpstreamError` (`malformedResponse`). With `withLogprobs` (the request
 * asked for them), the choice's `logprobs.content` is read too.
 */
export function parseStreamEvent(data: string, withLogprobs = false): StreamEventContent {
  if (data.trim() === '[DONE]') return { done: true };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw malformed('a stream event is not JSON');
  }
  if (!isRecord(json)) throw malformed('a stream event is not a JSON object');
  const error = parseErrorBody(json);
  if (error) return { done: false, error };
  const choices = Array.isArray(json.choices) ? json.choices : [];
  const first: unknown = choices[0];
  let text: string | undefined;
  let toolCalls: Extract<StreamChunk, { type: 'tool_call' }>[] = [];
  let finishReason: FinishReason | undefined;
  let logprobs: TokenLogprob[] | undefined;
  if (isRecord(first)) {
    const delta = isRecord(first.delta) ? first.delta : undefined;
    if (typeof delta?.content === 'string' && delta.content !== '') text = delta.content;
    if (withLogprobs) logprobs = logprobsOf(first.logprobs);
    if (delta) toolCalls = toolCallDeltasOf(delta);
    if (typeof first.finish_reason === 'string') finishReason = finishReasonOf(first.finish_reason);
  }
  return {
    done: false,
    ...(text !== undefined ? { text } : {}),
    ...(logprobs !== undefined && logprobs.length > 0 ? { logprobs } : {}),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(finishReason !== undefined ? { finishReason } : {}),
    ...(isRecord(json.usage) ? { usage: reportedUsageOf(json.usage) } : {}),
    ...(typeof json.model === 'string' && json.model !== '' ? { model: json.model } : {}),
  };
}
