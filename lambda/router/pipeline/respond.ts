/**
 * Stage: the answer, in OpenAI's shapes. A JSON `chat.completion`, or server-sent events of
 * `chat.completion.chunk`s ending with `data: [DONE]` (a usage chunk before it when the request
 * asked for `stream_options.include_usage`); errors as the OpenAI error envelope; a stream that
 * fails after it started ends with an error event and no `[DONE]`.
 */
import { ErrorEnvelope, GatewayError } from '../errors';
import { ResponseSink } from '../http';
import { FinishReason, StreamChunk, TokenLogprob, TokenUsage, ToolCall } from '../providers/types';

/** Response header names. */
export const HEADERS = {
  requestId: 'x-request-id',
  route: 'x-gateway-route',
  model: 'x-gateway-model',
  attempts: 'x-gateway-attempts',
  fallback: 'x-gateway-fallback',
  costUsd: 'x-gateway-cost-usd',
  guardrailAction: 'x-gateway-guardrail-action',
  prompt: 'x-gateway-prompt',
  validation: 'x-gateway-validation',
  /** Routes that redact: how many sensitive-information matches were masked in the prompt. */
  redacted: 'x-gateway-redacted',
} as const;

/**
 * The `x-gateway-validation` value: the outcome, then (when an answer failed) the validator and
 * rule, and the alias an escalation was served by: `flagged; validator=route_schema; rule=schema`.
 *
 * @example validationHeader({ outcome: 'flagged', violation: { validator: 'length', rule: 'maxChars 10' } })
 */
export function validationHeader(v: {
  readonly outcome: string; readonly violation?: { readonly validator: string; readonly rule: string }; readonly escalatedTo?: string;
}): string {
  const parts = [v.outcome];
  if (v.violation) parts.push(`validator=${v.violation.validator}`, `rule=${v.violation.rule}`);
  if (v.escalatedTo !== undefined) parts.push(`alias=${v.escalatedTo}`);
  return parts.join('; ');
}

/** Cost as a header or body value: USD with up to 9 decimals, no exponent. */
export function formatUsd(cost: number): string {
  return cost.toFixed(9).replace(/\.?0+$/, '') || '0';
}

/** What the answer says about itself. */
export interface AnswerMeta {
  readonly requestId: string;
  /** The route alias (the `model` of the answer). */
  readonly alias: string;
  /** The model label for the `x-gateway-model` header. */
  readonly modelLabel: string;
  readonly attempts: number;
  readonly fallback: boolean;
  /** Epoch seconds, for `created`. */
  readonly created: number;
  /** The resolved prompt as `id@version`, for the `x-gateway-prompt` header. */
  readonly prompt?: string;
  /** The answer's `service_tier`, when the request or its route chose one. */
  readonly serviceTier?: string;
  /** The retrieved passages the prompt cited, as the answer's `citations` extension field. */
  readonly citations?: readonly Citation[];
  /** The `x-gateway-validation` value, when the answer was validated before the headers went out. */
  readonly validation?: string;
  /** Matches masked in the prompt, when the route redacts (`x-gateway-redacted`). */
  readonly redacted?: number;
}

/**
 * A passage the answer may cite as `[index]`: the gateway's `citations` extension field, at the top
 * level of a `chat.completion` and of a stream's finishing chunk (OpenAI clients ignore it; read it
 * from the raw response).
 */
export interface Citation {
  readonly index: number;
  /** The knowledge source id. */
  readonly source: string;
  readonly document_id: string;
  readonly score: number;
  readonly uri?: string;
}

export function baseHeaders(meta: AnswerMeta): Record<string, string> {
  return {
    [HEADERS.requestId]: meta.requestId,
    [HEADERS.route]: meta.alias,
    [HEADERS.model]: meta.modelLabel,
    [HEADERS.attempts]: String(meta.attempts),
    [HEADERS.fallback]: String(meta.fallback),
    ...(meta.prompt !== undefined ? { [HEADERS.prompt]: meta.prompt } : {}),
    ...(meta.validation !== undefined ? { [HEADERS.validation]: meta.validation } : {}),
    ...(meta.redacted !== undefined ? { [HEADERS.redacted]: String(meta.redacted) } : {}),
  };
}

/** OpenAI's usage object; `prompt_tokens` includes cached input, as OpenAI counts it. */
export function openAiUsage(usage: TokenUsage): Record<string, unknown> {
  const prompt = usage.inputTokens + usage.cacheReadInputTokens + usage.cacheWriteInputTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cacheReadInputTokens },
  };
}

/** A choice's `logprobs`: OpenAI's `{content, refusal}` when the answer carries them, else null. */
function choiceLogprobs(logprobs: readonly TokenLogprob[] | undefined): { content: readonly TokenLogprob[]; refusal: null } | null {
  return logprobs !== undefined ? { content: logprobs, refusal: null } : null;
}

/** Writes a complete JSON answer. */
export async function writeCompletion(
  sink: ResponseSink, meta: AnswerMeta,
  answer: {
    readonly text: string; readonly toolCalls?: readonly ToolCall[]; readonly finishReason: FinishReason; readonly usage: TokenUsage;
    readonly costUsd: number; readonly guardrailAction?: string; readonly logprobs?: readonly TokenLogprob[];
  },
): Promise<void> {
  const calls = answer.toolCalls ?? [];
  const body = {
    id: `chatcmpl-${meta.requestId}`,
    object: 'chat.completion',
    created: meta.created,
    model: meta.alias,
    ...(meta.serviceTier !== undefined ? { service_tier: meta.serviceTier } : {}),
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        // OpenAI sends null content with tool calls and no text.
        content: calls.length > 0 && answer.text === '' ? null : answer.text,
        refusal: null,
        ...(calls.length > 0
          ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      },
      logprobs: choiceLogprobs(answer.logprobs),
      finish_reason: answer.finishReason,
    }],
    usage: openAiUsage(answer.usage),
    ...(meta.citations !== undefined ? { citations: meta.citations } : {}),
  };
  sink.start(200, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...baseHeaders(meta),
    [HEADERS.costUsd]: formatUsd(answer.costUsd),
    ...(answer.guardrailAction ? { [HEADERS.guardrailAction]: answer.guardrailAction } : {}),
  });
  await sink.write(JSON.stringify(body));
  await sink.end();
}

/** Writes an error response (status, headers and the OpenAI envelope). */
export async function writeError(sink: ResponseSink, error: GatewayError, headers: Record<string, string>): Promise<void> {
  sink.start(error.status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
    ...error.headers(),
  });
  await sink.write(JSON.stringify(error.envelope()));
  await sink.end();
}

/**
 * Writes a stream of `chat.completion.chunk` events.
 *
 * A content delta is the same JSON every time but for its text, so the envelope around it is
 * serialised once per stream and each delta costs one `JSON.stringify` of its text (a stream
 * carries one event per token). The bytes are exactly those of `JSON.stringify` of the whole chunk.
 */
export class SseWriter {
  private started = false;
  private roleSent = false;
  /** `data: {"id":…,"model":…,"choices":[{"index":0,"delta":{` — serialised on first use. */
  private deltaPrefix?: string;

  constructor(private readonly sink: ResponseSink, private readonly meta: AnswerMeta) {}

  /** Sends the status and headers (once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.sink.start(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...baseHeaders(this.meta),
    });
  }

  private chunk(choices: unknown[], extra: Record<string, unknown> = {}): string {
    return `data: ${JSON.stringify({
      id: `chatcmpl-${this.meta.requestId}`,
      object: 'chat.completion.chunk',
      created: this.meta.created,
      model: this.meta.alias,
      ...(this.meta.serviceTier !== undefined ? { service_tier: this.meta.serviceTier } : {}),
      choices,
      ...extra,
    })}\n\n`;
  }

  /**
   * A content delta (the first one also carries the assistant role), with its tokens' log
   * probabilities when the request asked for them (then built whole, off the fast path).
   */
  async text(text: string, logprobs?: readonly TokenLogprob[]): Promise<void> {
    this.start();
    if (logprobs !== undefined) {
      const delta = this.roleSent ? { content: text } : { role: 'assistant', content: text };
      this.roleSent = true;
      await this.sink.write(this.chunk([{ index: 0, delta, logprobs: choiceLogprobs(logprobs), finish_reason: null }]));
      return;
    }
    this.deltaPrefix ??= `data: {"id":${JSON.stringify(`chatcmpl-${this.meta.requestId}`)},"object":"chat.completion.chunk",`
      + `"created":${JSON.stringify(this.meta.created)},"model":${JSON.stringify(this.meta.alias)},`
      + `${this.meta.serviceTier !== undefined ? `"service_tier":${JSON.stringify(this.meta.serviceTier)},` : ''}"choices":[{"index":0,"delta":{`;
    const role = this.roleSent ? '' : '"role":"assistant",';
    this.roleSent = true;
    await this.sink.write(`${this.deltaPrefix}${role}"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]}\n\n`);
  }

  /**
   * A tool call delta: the chunk that opens a call carries its id, type and name (and the first
   * role), later ones argument fragments — the shape the OpenAI SDKs' stream helpers assemble.
   */
  async toolCall(chunk: Extract<StreamChunk, { type: 'tool_call' }>): Promise<void> {
    this.start();
    const opens = chunk.id !== undefined || chunk.name !== undefined;
    const call = opens
      ? { index: chunk.index, id: chunk.id ?? '', type: 'function', function: { name: chunk.name ?? '', arguments: chunk.arguments } }
      : { index: chunk.index, function: { arguments: chunk.arguments } };
    const delta = { ...(this.roleSent ? {} : { role: 'assistant', content: null }), tool_calls: [call] };
    this.roleSent = true;
    await this.sink.write(this.chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]));
  }

  /**
   * The end of a successful stream: the finish reason, the usage chunk when asked for (with the
   * gateway's cost and guardrail action under `x_gateway`, since headers were sent before they
   * were known), then `[DONE]`.
   */
  async finish(
    finishReason: FinishReason, usage: TokenUsage | undefined,
    gateway: { readonly costUsd: number; readonly guardrailAction?: string; readonly validation?: string },
  ): Promise<void> {
    this.start();
    const delta = this.roleSent ? {} : { role: 'assistant', content: '' };
    this.roleSent = true;
    let out = this.chunk([{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      this.meta.citations !== undefined ? { citations: this.meta.citations } : {});
    const validation = gateway.validation !== undefined ? { validation: gateway.validation } : {};
    if (usage) {
      out += this.chunk([], {
        usage: openAiUsage(usage),
        x_gateway: { cost_usd: formatUsd(gateway.costUsd), ...(gateway.guardrailAction ? { guardrail_action: gateway.guardrailAction } : {}), ...validation },
      });
    } else if (gateway.validation !== undefined && !gateway.validation.startsWith('passed')) {
      // Headers went out before the answer was validated: a flagged stream says so in a last chunk.
      out += this.chunk([], { x_gateway: validation });
    }
    await this.sink.write(`${out}data: [DONE]\n\n`);
    await this.sink.end();
  }

  /** Ends a started stream with an error event and no `[DONE]`. */
  async fail(error: GatewayError): Promise<void> {
    this.start();
    const envelope: ErrorEnvelope = error.envelope();
    await this.sink.write(`data: ${JSON.stringify(envelope)}\n\n`);
    await this.sink.end();
  }
}
