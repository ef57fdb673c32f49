/**
 * The InvokeModel calls of an embeddings request on Bedrock, per model family (pure, no SDK: the
 * embeddings stage checks a request's limits with them before any call, and the router's main
 * bundle must not load the Bedrock Runtime client; ./embeddings.ts makes the calls).
 */
import { BedrockEmbeddingFamily } from '../../../shared/config-capabilities';
import { COHERE_V3_DIMENSIONS, TITAN_V2_DIMENSIONS } from '../../../shared/embedding-models';
import { UpstreamError } from '../../errors';
import type { EmbeddingRequest } from '../types';

/** Titan embeds one text per call: this many calls of one request run at once. */
export const TITAN_CONCURRENCY = 8;
/** Cohere Embed v3: texts per call, and characters per text (Bedrock's limits). */
export const COHERE_MAX_TEXTS = 96;
export const COHERE_MAX_CHARS = 2048;
/** The response header in which Bedrock reports the input tokens of an InvokeModel call. */
export const INPUT_TOKEN_HEADER = 'x-amzn-bedrock-input-token-count';

/** One InvokeModel body to send, and how to read its answer. */
export interface EmbeddingCall {
  readonly body: Record<string, unknown>;
  /** The inputs of `request.inputs` this call embeds (start index). */
  readonly start: number;
  readonly count: number;
}

function clientError(message: string, code: string): UpstreamError {
  return new UpstreamError(message, { disposition: 'client', code });
}

/**
 * The InvokeModel bodies for `request` on a model of `family`. Throws a client `UpstreamError`
 * (a 400 for the caller) for what the model cannot take: a `dimensions` it does not produce, a
 * Cohere text over 2,048 characters.
 *
 * @example embeddingCalls(BedrockEmbeddingFamily.TITAN_TEXT_V2, { requestId: 'r', inputs: ['a'], dimensions: 256 })
 */
export function embeddingCalls(family: BedrockEmbeddingFamily, request: EmbeddingRequest): EmbeddingCall[] {
  if (family === BedrockEmbeddingFamily.TITAN_TEXT_V2) {
    if (request.dimensions !== undefined && !TITAN_V2_DIMENSIONS.includes(request.dimensions)) {
      throw clientError(`Titan Text Embeddings V2 produces ${TITAN_V2_DIMENSIONS.join(', ')} dimensions, not ${request.dimensions}`, 'unsupportedDimensions');
    }
    return request.inputs.map((inputText, i) => ({
      body: { inputText, normalize: true, ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}) },
      start: i,
      count: 1,
    }));
  }
  if (request.dimensions !== undefined && request.dimensions !== COHERE_V3_DIMENSIONS) {
    throw clientError(`Cohere Embed v3 produces ${COHERE_V3_DIMENSIONS} dimensions, not ${request.dimensions}`, 'unsupportedDimensions');
  }
  const long = request.inputs.findIndex((t) => t.length > COHERE_MAX_CHARS);
  if (long >= 0) {
    throw clientError(`input[${long}] has ${request.inputs[long].length} characters; Cohere Embed v3 takes at most ${COHERE_MAX_CHARS}`, 'inputTooLong');
  }
  const calls: EmbeddingCall[] = [];
  for (let start = 0; start < request.inputs.length; start += COHERE_MAX_TEXTS) {
    const texts = request.inputs.slice(start, start + COHERE_MAX_TEXTS);
    calls.push({
      body: { texts, input_type: request.inputType ?? 'search_document', truncate: 'NONE', embedding_types: ['float'] },
      start,
      count: texts.length,
    });
  }
  return calls;
}


