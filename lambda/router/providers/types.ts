/**
 * The one interface every provider adapter implements, and the canonical shapes that flow through
 * it. The pipeline speaks only these types; each adapter maps them to and from its wire protocol
 * (Bedrock Converse/ConverseStream, OpenAI-compatible HTTP) and maps its failures onto
 * `UpstreamError` (see ../errors.ts).
 */
import type { BedrockEmbeddingFamily } from '../../shared/config-capabilities';
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

/** A tool call the assistant made (OpenAI `tool_calls[]`, Bedrock `toolUse`). */
export interface ToolCall {
  /** The call's id, echoed by the tool result that answers it. */
  readonly id: string;
  /** The function's name. */
  readonly name: string;
  /** The arguments as a JSON text (OpenAI sends them as a string; Bedrock as an object). */
  readonly arguments: string;
}

/** The result of a tool call, sent back by the client (an OpenAI `tool` message). */
export interface ToolResult {
  /** The id of the call it answers. */
  readonly toolCallId: string;
  readonly content: string;
}

/**
 * One turn of the conversation, after parsing. System prompts travel separately.
 *
 * Tool traffic rides on the two roles, as Converse models it: an assistant turn carries the tool
 * calls it made (`toolCalls`), and the OpenAI `tool` messages that answer them become the next user
 * turn's `toolResults` (with any user text that follows them). The conversation therefore still
 * alternates and ends with a user turn.
 */
export interface ChatTurn {
  readonly role: 'user' | 'assistant';
  /** The turn's text ('' for an assistant turn that only calls tools, or a user turn of tool results). */
  readonly content: string;
  /** Assistant turns: the tools it called. */
  readonly toolCalls?: readonly ToolCall[];
  /** User turns: results of the previous assistant turn's tool calls, in order. */
  readonly toolResults?: readonly ToolResult[];
  /**
   * The turn's parts in order, when it has images (user turns only); absent for text-only turns,
   * whose text is `content` (text parts joined by a line break).
   */
  readonly parts?: readonly ContentPart[];
}

/** A function the model may call (OpenAI `tools[]` of type `function`). */
export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** The JSON Schema of the arguments (an object schema). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** OpenAI `strict`: the arguments must follow the schema exactly. */
  readonly strict?: boolean;
}

/** Which tools the model may or must call (OpenAI `tool_choice`). */
export type ToolChoice =
  | { readonly type: 'auto' }
  | { readonly type: 'none' }
  | { readonly type: 'required' }
  | { readonly type: 'function'; readonly name: string };

/** The tools of a request: definitions, the choice and whether several calls may come at once. */
export interface ToolRequest {
  /** At least one tool. */
  readonly tools: readonly ToolDefinition[];
  readonly choice: ToolChoice;
  /** OpenAI `parallel_tool_calls`; absent: the provider's default (allowed). */
  readonly parallel?: boolean;
}

/** What a request asks of token log probabilities (OpenAI `logprobs: true` and `top_logprobs`). */
export interface LogprobsRequest {
  /** How many most likely alternatives to return at each position (OpenAI `top_logprobs`, 0 to 20). */
  readonly topLogprobs: number;
}

/** One alternative token at a position (OpenAI `top_logprobs[]`). */
export interface TopLogprob {
  readonly token: string;
  readonly logprob: number;
  /** The token's UTF-8 bytes, or null when the token has no byte representation. */
  readonly bytes: readonly number[] | null;
}

/** One output token with its log probability (OpenAI `choices[].logprobs.content[]`). */
export interface TokenLogprob extends TopLogprob {
  readonly top_logprobs: readonly TopLogprob[];
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
  /** The tools the model may call; absent: none (tool history in `messages` is still sent). */
  readonly tools?: ToolRequest;
  /** OpenAI `seed`: passed to OpenAI-compatible targets; Converse has no equivalent. */
  readonly seed?: number;
  /** OpenAI `presence_penalty`: passed to OpenAI-compatible targets; Converse has no equivalent. */
  readonly presencePenalty?: number;
  /** OpenAI `frequency_penalty`: passed to OpenAI-compatible targets; Converse has no equivalent. */
  readonly frequencyPenalty?: number;
  /**
   * OpenAI `logprobs` (with `top_logprobs`): return the log probability of each output token, and of
   * the `topLogprobs` most likely alternatives at each position. Only targets with the `logprobs`
   * capability receive it (routing skips the others); Converse has no equivalent.
   * @default no log probabilities
   */
  readonly logprobs?: LogprobsRequest;
  /**
   * The service tier of this call (set per target by routing: a tier the target offers).
   * @default the provider's default tier
   */
  readonly serviceTier?: ServiceTier;
  /** Where to place prompt-cache points (set per target by routing, on targets that cache). */
  readonly cache?: CachePlacement;
  /**
   * The start of `system[0]` that every request of its prompt version repeats (a registry prompt's
   * system template before its first variable), where `cache.afterPromptPrefix` places a cache point.
   * @default none (not rendered from a prompt)
   */
  readonly stablePrefix?: string;
  /**
   * Attribution carried to the provider where it supports it (Bedrock `requestMetadata`, which
   * appears in model invocation logs): tenant, workflow, prompt version, request id. Keys and
   * values already satisfy Bedrock's rules (≤ 256 chars of `[a-zA-Z0-9\s._:/=+$@-]`).
   */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The use an input is embedded for (Cohere Embed's `input_type`; other models ignore it). */
export type EmbeddingInputType = 'search_document' | 'search_query' | 'classification' | 'clustering';

/** An embeddings call, provider-neutral. */
export interface EmbeddingRequest {
  /** The gateway's request id. */
  readonly requestId: string;
  /** The texts to embed, in order; at least one, none empty. */
  readonly inputs: readonly string[];
  /** The size of each vector the client asked for (OpenAI `dimensions`). @default the model's own */
  readonly dimensions?: number;
  /** Cohere Embed's `input_type`. @default 'search_document' */
  readonly inputType?: EmbeddingInputType;
  /** The client's end-user id (OpenAI `user`), passed to OpenAI-compatible targets. */
  readonly user?: string;
}

/** The vectors of an embeddings call, one per input in the input's order. */
export interface Embeddings {
  readonly vectors: readonly (readonly number[])[];
  /** Input tokens billed for the call. */
  readonly inputTokens: number;
  /** The model that served the call, as the provider names it. */
  readonly servedModel: string;
  /** True when the provider reported no token count and `inputTokens` is the adapter's estimate. @default false */
  readonly usageEstimated?: boolean;
}

/** Where a Converse call places `cachePoint` blocks (the route's `promptCaching`). */
export interface CachePlacement {
  readonly afterSystem: boolean;
  /** After `toolConfig.tools`, for requests with tools (the tools mapping places it). */
  readonly afterTools: boolean;
  /** After the first N turns of the conversation as sent. */
  readonly afterTurns?: number;
  /** After `ProviderRequest.stablePrefix`, when the request has one (a registry prompt's stable start). */
  readonly afterPromptPrefix?: boolean;
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
   * @default false (a `json_schema` is enforced by forcing a tool whose input schema it is)
   */
  readonly structuredOutputs?: boolean;
  /** Set on embedding targets: the request body family InvokeModel is called with. @default a chat target */
  readonly embeddingFamily?: BedrockEmbeddingFamily;
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
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

/** Whether a provider-side guardrail changed the answer. */
export type GuardrailAction = 'NONE' | 'INTERVENED';

/** A complete (non-streamed) answer. */
export interface Completion {
  readonly text: string;
  /** The log probabilities of the text's tokens, when the request asked for them (`ProviderRequest.logprobs`). */
  readonly logprobs?: readonly TokenLogprob[];
  /** The tools the model called (finish reason `tool_calls`). */
  readonly toolCalls?: readonly ToolCall[];
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

/**
 * A piece of a streamed answer. A stream yields `text` and `tool_call` chunks and ends with exactly
 * one `end`. A `text` chunk carries the log probabilities of its tokens when the request asked for
 * them (its text may then be empty: a token that decodes to nothing yet). A tool call arrives as one chunk that opens it (its `index`, `id` and `name`, maybe
 * the first arguments) and chunks that add argument fragments (`index` and `arguments` only), as
 * OpenAI streams `tool_calls` deltas; `index` counts the answer's tool calls from 0.
 */
export type StreamChunk =
  | { readonly type: 'text'; readonly text: string; readonly logprobs?: readonly TokenLogprob[] }
  | { readonly type: 'tool_call'; readonly index: number; readonly id?: string; readonly name?: string; readonly arguments: string }
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
  /** Embeds `request.inputs` on an embedding target (`POST /v1/embeddings`); adapters without it serve no embeddings. */
  embed?(target: T, request: EmbeddingRequest, options: CallOptions): Promise<Embeddings>;
}
