/**
 * What a target's model can do beyond plain chat, so routing never sends a request to a target
 * that would fail it (`TargetConfig.capabilities`). One boolean per capability: further
 * capabilities (images, prompt caching, service tiers, embeddings) are further fields.
 */
/** A capability a request may need from a target (named in routing errors). */
export enum TargetCapability {
  /** Function calling: `tools`, `tool_choice`, `tool_calls` and `tool` messages. */
  TOOLS = 'tools',
  /** Enforced structured output: `response_format` `json_schema`. */
  STRUCTURED_OUTPUTS = 'structuredOutputs',
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
}
