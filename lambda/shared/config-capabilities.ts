/**
 * What a target's model can do beyond plain text chat (`TargetConfig.capabilities`). Routing
 * (lambda/router/pipeline/route.ts) skips a target that lacks a capability the request needs, so
 * no model is sent a request it would fail; when no target of the route remains, the request is
 * refused with a 400 naming the capability and the alias.
 *
 * A target is either a chat model (the default) or an embedding model (`embeddings`): an embedding
 * model serves only `POST /v1/embeddings` and a chat model only `POST /v1/chat/completions`, so a
 * route — whose targets must all be of one kind — is a chat route or an embeddings route.
 */
import { ServiceTier } from './config-surface';

/** A capability a request may need from a target (named in routing errors). */
export enum TargetCapability {
  /** Function calling: `tools`, `tool_choice`, `tool_calls` and `tool` messages. */
  TOOLS = 'tools',
  /** Enforced structured output: `response_format` `json_schema`. */
  STRUCTURED_OUTPUTS = 'structuredOutputs',
  /** Image input: `image_url` content parts. */
  IMAGES = 'images',
  /** Token log probabilities: `logprobs`, `top_logprobs`. */
  LOGPROBS = 'logprobs',
}

/** The capabilities of a target's model. Unset fields take the model family's default. */
export interface TargetCapabilities {
  /**
   * The model can call tools (OpenAI `tools`; Bedrock Converse `toolConfig`). A request with tools
   * skips a target without it.
   * @default - Bedrock: true for model families whose Converse supports tool use (Anthropic Claude 3
   * and later, Amazon Nova, Meta Llama 3.1 and later, Mistral Large and Small, Cohere Command R,
   * AI21 Jamba, Writer Palmyra, DeepSeek, Qwen 3, OpenAI gpt-oss), false for others;
   * OpenAI-compatible: false (vLLM needs `--enable-auto-tool-choice` and a `--tool-call-parser`)
   */
  readonly tools?: boolean;

  /**
   * The target can enforce a `json_schema` response format: on Bedrock by forcing a tool whose input
   * schema is the response schema (so it needs tool use), or natively (`nativeStructuredOutputs`);
   * on an OpenAI-compatible server by guided decoding (vLLM's default). A request with a
   * `json_schema` response format skips a target without it.
   * @default - Bedrock: the value of `tools` (or true with `nativeStructuredOutputs`);
   * OpenAI-compatible: true
   */
  readonly structuredOutputs?: boolean;

  /**
   * Bedrock only: the model supports Converse's native structured output (`outputConfig.textFormat`
   * with a JSON schema), used instead of a forced tool. Models without it reject the field.
   * @default false
   */
  readonly nativeStructuredOutputs?: boolean;

  /**
   * The model accepts images (OpenAI `image_url` content parts; Converse image blocks). Requests
   * with images skip targets without it.
   * @default false
   */
  readonly images?: boolean;

  /**
   * The target returns token log probabilities (OpenAI `logprobs`, `top_logprobs`; vLLM serves them).
   * A request with `logprobs: true` skips a target without it. Bedrock Converse has no log
   * probabilities, so a Bedrock target cannot have it.
   * @default - Bedrock: false; OpenAI-compatible: true
   */
  readonly logprobs?: boolean;

  /**
   * The model supports Bedrock prompt caching (Converse `cachePoint` blocks): a route's
   * `promptCaching` places cache points only on such targets. OpenAI-compatible servers (vLLM
   * `--enable-prefix-caching`) cache prefixes on their own and need no flag.
   * @default false
   */
  readonly promptCaching?: boolean;

  /**
   * The service tiers the model can be called with besides `default` (Bedrock `serviceTier`
   * flex/priority, latency-optimized inference). A request that asks for another tier skips this
   * target; each tier needs its price (`ModelPrice.tierMultipliers`).
   * @default - only the default tier
   */
  readonly serviceTiers?: ServiceTier[];

  /**
   * The target is an embedding model: it serves `POST /v1/embeddings` and never chat completions.
   * Bedrock embedding targets must be a model the router knows how to call (see
   * `BedrockEmbeddingFamily`): Amazon Titan Text Embeddings V2 or Cohere Embed v3.
   * @default false
   */
  readonly embeddings?: boolean;
}

/** The Bedrock embedding model families the router calls through InvokeModel. */
export enum BedrockEmbeddingFamily {
  /** Amazon Titan Text Embeddings V2 (`amazon.titan-embed-text-v2:0`): one text per call, 256, 512 or 1024 dimensions. */
  TITAN_TEXT_V2 = 'titan-text-v2',
  /** Cohere Embed v3 (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`): up to 96 texts per call, 1024 dimensions. */
  COHERE_V3 = 'cohere-v3',
}
