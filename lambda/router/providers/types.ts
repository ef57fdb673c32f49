/**
 * The one interface every provider adapter implements, and the canonical shapes that flow through
 * it. The pipeline speaks only these types; each adapter maps them to and from its wire protocol
 * (Bedrock Converse/ConverseStream, OpenAI-compatible HTTP) and maps its failures onto
 * `UpstreamError` (see ../errors.ts).
 */
import type { ServiceTier } from '../../shared/config-surface';
import type { ImageFormat } from '../images/sniff';

/** A decoded image of a user turn: its bytes and what sniffing them found (../images/sniff.ts). */
export interface ImagePart {
  readonly type: 'image';
  readonly format: ImageFormat;
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * An `https` image URL not fetched yet: the image stage (../pipeline/images.ts) replaces it with
 * an `ImagePart` before routing, or refuses the request. Adapters never receive one.
 */
export interface RemoteImagePart {
  readonly type: 'remote_image';
  readonly url: string;
  /** The request parameter it came from, for errors (`messages[0].content[1].image_url.url`). */
  readonly param: string;
}

/** A text part of a turn with images. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

export type ContentPart = TextPart | ImagePart | RemoteImagePart;

/** One turn of the conversation, after parsing. System prompts travel separately. */
export interface ChatTurn {
  readonly role: 'user' | 'assistant';
  /** The turn's text (its text parts joined by a line break). */
  readonly content: string;
  /**
   * The turn's parts in order, when it has images (user turns only); absent for text-only turns,
   * whose text is `content`.
   */
  readonly parts?: readonly ContentPart[];
}

/** The output format the client asked for (OpenAI `response_format`). */
export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly name: string; readonly schema: Readonly<Record<string, unknown>>; readonly strict?: boolean };

/** A model call, provider-neutral. */
export interface ProviderRequest {
  /** The gateway's request id. */
  readonly requestId: string;
  /** System prompts, in order (OpenAI `system`/`developer` messages). */
  readonly system: readonly string[];
  /** The conversation, oldest first; at least one turn, the last one from the user. */
  readonly messages: readonly ChatTurn[];
  /**
   * The most output tokens the call may produce, sent to every target (Bedrock
   * `inferenceConfig.maxTokens`, OpenAI `max_tokens`): the client's value, or the gateway's cap when
   * the client sent none. Required, so no call runs on a model's own default.
   */
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly stop?: readonly string[];
  readonly responseFormat?: ResponseFormat;
  /** OpenAI `seed`: passed to OpenAI-compatible targets; Converse has no equivalent. */
  readonly seed?: number;
  /** OpenAI `presence_penalty`: passed to OpenAI-compatible targets; Converse has no equivalent. */
  readonly presencePenalty?: number;
  /** OpenAI `frequency_penalty`: passed to OpenAI-compatible targets; Converse has no equivalent. */
  readonly frequencyPenalty?: number;
  /**
   * The service tier of this call (set per target by routing: a tier the target offers).
   * @default the provider's default tier
   */
  readonly serviceTier?: ServiceTier;
  /** Where to place prompt-cache points (set per target by routing, on targets that cache). */
  readonly cache?: CachePlacement;
  /**
   * Attribution carried to the provider where it supports it (Bedrock `requestMetadata`, which
   * appears in model invocation logs): tenant, workflow, prompt version, request id. Keys and
   * values already satisfy Bedrock's rules (≤ 256 chars of `[a-zA-Z0-9\s._:/=+$@-]`).
   */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Where a Converse call places `cachePoint` blocks (the route's `promptCaching`). */
export interface CachePlacement {
  readonly afterSystem: boolean;
  /** After `toolConfig.tools`, for requests with tools (the tools mapping places it). */
  readonly afterTools: boolean;
  /** After the first N turns of the conversation as sent. */
  readonly afterTurns?: number;
}

/** A Bedrock target: an application inference profile ARN, a cross-region profile id or a model id. */
export interface BedrockTarget {
  readonly kind: 'bedrock';
  /** The target's name in the gateway configuration (used for health and circuit breaking). */
  readonly id: string;
  /** Passed to Converse as `modelId`. */
  readonly modelId: string;
  /** AWS Region of the Bedrock Runtime endpoint. @default the function's Region */
  readonly region?: string;
  /** Endpoint override (VPC endpoint, or a loopback fake in tests). */
  readonly endpoint?: string;
  /** Bedrock guardrail applied by Converse itself. */
  readonly guardrail?: { readonly identifier: string; readonly version: string };
  /**
   * The model supports Bedrock structured outputs (`outputConfig.textFormat`), so a `json_schema`
   * response format is enforced by the service. Only some models do; others reject the field.
   * @default false (JSON output is asked for with a system instruction)
   */
  readonly structuredOutputs?: boolean;
}

/** An OpenAI-compatible HTTP target (vLLM, or any server that speaks `/v1/chat/completions`). */
export interface OpenAiTarget {
  readonly kind: 'openai';
  readonly id: string;
  /** Base URL up to and including `/v1`, e.g. `http://vllm.internal:8000/v1`. */
  readonly baseUrl: string;
  /** The served model name sent as `model`. */
  readonly model: string;
  /** Bearer token for the upstream, if it needs one. */
  readonly apiKey?: string;
}

export type Target = BedrockTarget | OpenAiTarget;

/** Per-call limits set by the router. */
export interface CallOptions {
  /** Aborts the call (client disconnect, or the router's overall deadline). */
  readonly signal: AbortSignal;
  /** Time allowed to establish a connection, in ms. */
  readonly connectTimeoutMs: number;
  /** Time allowed for the whole call (for streams: until the last byte), in ms. */
  readonly timeoutMs: number;
}

/** Tokens as the provider reports them. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

/** Why generation stopped, in OpenAI's vocabulary. */
export type FinishReason = 'stop' | 'length' | 'content_filter';

/** Whether a provider-side guardrail changed the answer. */
export type GuardrailAction = 'NONE' | 'INTERVENED';

/** A complete (non-streamed) answer. */
export interface Completion {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: TokenUsage;
  /** The model that served the call, as the provider names it. */
  readonly servedModel: string;
  readonly guardrailAction?: GuardrailAction;
  /**
   * True when the provider reported no usage and `usage` is the adapter's estimate (characters / 4,
   * see providers/usage.ts). @default false
   */
  readonly usageEstimated?: boolean;
}

/** A piece of a streamed answer. A stream yields `text` chunks and ends with exactly one `end`. */
export type StreamChunk =
  | { readonly type: 'text'; readonly text: string }
  | {
    readonly type: 'end';
    readonly finishReason: FinishReason;
    readonly usage: TokenUsage;
    readonly servedModel: string;
    readonly guardrailAction?: GuardrailAction;
    /** True when the provider reported no usage and `usage` is the adapter's estimate. @default false */
    readonly usageEstimated?: boolean;
  };

/**
 * A provider adapter. `complete` and `stream` throw (or, for streams, reject mid-iteration with)
 * `UpstreamError` on failure; they never retry: retries, fallback and circuit breaking belong to
 * the router. Adapters create their SDK clients / HTTP agents once per cold start and keep the
 * connections warm.
 */
export interface ProviderAdapter<T extends Target = Target> {
  readonly kind: T['kind'];
  complete(target: T, request: ProviderRequest, options: CallOptions): Promise<Completion>;
  stream(target: T, request: ProviderRequest, options: CallOptions): AsyncIterable<StreamChunk>;
}
