/**
 * What a target's model does besides chat completions. A target is either a chat model (the
 * default) or an embedding model (`capabilities.embeddings`): an embedding model serves only
 * `POST /v1/embeddings` and a chat model only `POST /v1/chat/completions`, so a route — whose
 * targets must all be of one kind — is a chat route or an embeddings route.
 */

/** What a target can serve. */
export interface TargetCapabilities {
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
