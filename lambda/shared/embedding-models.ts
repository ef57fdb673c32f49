/**
 * The Bedrock embedding models the router calls, and which targets are embedding models (runtime
 * helpers for the router, the cross-checks and the constructs; not part of the jsii API).
 */
import { BedrockEmbeddingFamily, TargetCapabilities } from './config-capabilities';

/** The output sizes Titan Text Embeddings V2 accepts (`dimensions`); 1024 is its default. */
export const TITAN_V2_DIMENSIONS: readonly number[] = [256, 512, 1024];
/** The output size of Cohere Embed v3 (fixed). */
export const COHERE_V3_DIMENSIONS = 1024;

const FAMILIES: readonly (readonly [RegExp, BedrockEmbeddingFamily])[] = [
  [/(^|[.:/])amazon\.titan-embed-text-v2(:\d+)?$/, BedrockEmbeddingFamily.TITAN_TEXT_V2],
  [/(^|[.:/])cohere\.embed-(english|multilingual)-v3(:\d+)?$/, BedrockEmbeddingFamily.COHERE_V3],
];

/**
 * The embedding family of a Bedrock model id (a foundation model id, a cross-region profile id
 * such as `us.cohere.embed-english-v3`, or a foundation-model ARN), or undefined when the model is
 * not an embedding model the router can call.
 *
 * @example bedrockEmbeddingFamily('amazon.titan-embed-text-v2:0') // BedrockEmbeddingFamily.TITAN_TEXT_V2
 */
export function bedrockEmbeddingFamily(modelId: string): BedrockEmbeddingFamily | undefined {
  for (const [pattern, family] of FAMILIES) if (pattern.test(modelId)) return family;
  return undefined;
}

/**
 * Whether a target is an embedding model (`capabilities.embeddings`).
 *
 * @example servesEmbeddings({ capabilities: { embeddings: true } }) // true
 */
export function servesEmbeddings(target: { readonly capabilities?: TargetCapabilities }): boolean {
  return target.capabilities?.embeddings === true;
}
