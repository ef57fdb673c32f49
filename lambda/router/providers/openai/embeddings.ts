/**
 * `POST {baseUrl}/embeddings` on an OpenAI-compatible server (vLLM serves it for embedding
 * models): the request passes through with `encoding_format: 'float'` (the router encodes base64
 * for its own client, so it reads one shape), and the answer's vectors are taken in `index` order.
 * Pure mapping; the adapter does the call.
 */
import type { EmbeddingRequest, Embeddings, OpenAiTarget } from '../types';
import { embeddingAnswerObject, isVector, malformedEmbeddingAnswer as malformed } from '../embedding-answer';
import { estimateTokens } from '../usage';

/** `{baseUrl}/embeddings`, whether or not the base URL ends with a slash. */
export function embeddingsUrl(baseUrl: string): URL {
  return new URL(`${baseUrl.replace(/\/+$/, '')}/embeddings`);
}

/**
 * The upstream body.
 *
 * @example toEmbeddingsBody(target, { requestId: 'r', inputs: ['a'] }) // { model, input: ['a'], encoding_format: 'float' }
 */
export function toEmbeddingsBody(target: OpenAiTarget, request: EmbeddingRequest): Record<string, unknown> {
  return {
    model: target.model,
    input: request.inputs,
    encoding_format: 'float',
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    ...(request.user !== undefined ? { user: request.user } : {}),
  };
}


/**
 * The vectors of an upstream answer, one per input in input order; usage from `usage.prompt_tokens`
 * (estimated and marked when absent).
 *
 * @example fromEmbeddingsResponse(target, request, '{"data":[{"index":0,"embedding":[0.1]}],"usage":{"prompt_tokens":1}}')
 */
export function fromEmbeddingsResponse(target: OpenAiTarget, request: EmbeddingRequest, text: string): Embeddings {
  const body = embeddingAnswerObject(text);
  const data = body.data;
  if (!Array.isArray(data) || data.length !== request.inputs.length) throw malformed(`${request.inputs.length} embeddings`);
  const vectors = new Array<number[]>(data.length);
  for (const item of data as unknown[]) {
    const entry = typeof item === 'object' && item !== null ? item as Record<string, unknown> : {};
    const index = entry.index;
    const vector = entry.embedding;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= data.length || vectors[index] !== undefined) {
      throw malformed('a distinct index for each embedding');
    }
    if (!isVector(vector)) throw malformed('float embeddings');
    vectors[index] = vector;
  }
  const usage = typeof body.usage === 'object' && body.usage !== null ? body.usage as Record<string, unknown> : {};
  const reported = typeof usage.prompt_tokens === 'number' && Number.isInteger(usage.prompt_tokens) && usage.prompt_tokens >= 0
    ? usage.prompt_tokens : undefined;
  const servedModel = typeof body.model === 'string' && body.model.length > 0 ? body.model.slice(0, 256) : target.model;
  if (reported !== undefined) return { vectors, inputTokens: reported, servedModel };
  return { vectors, inputTokens: request.inputs.reduce((n, t) => n + estimateTokens(t), 0), servedModel, usageEstimated: true };
}
