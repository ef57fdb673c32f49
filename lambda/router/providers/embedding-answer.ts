/**
 * What both providers' embedding answers share: the JSON object of the body, vectors of finite
 * numbers, and the error for an answer without what it must hold (a fallback `malformedResponse`).
 */
import { UpstreamError } from '../errors';

/** The error for an embedding answer without `what`. */
export function malformedEmbeddingAnswer(what: string): UpstreamError {
  return new UpstreamError(`the embedding model answered without ${what}`, { disposition: 'fallback', code: 'malformedResponse' });
}

/**
 * The body's JSON object (empty for JSON that is not an object); throws for text that is not JSON.
 *
 * @example embeddingAnswerObject('{"embedding":[0.1]}') // { embedding: [0.1] }
 */
export function embeddingAnswerObject(text: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformedEmbeddingAnswer('a JSON body');
  }
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? json as Record<string, unknown> : {};
}

/** Whether `value` is a non-empty vector of finite numbers. */
export function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'number' && Number.isFinite(x));
}
