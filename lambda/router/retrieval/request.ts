/**
 * The body's `retrieval` object: `{"source": "handbook", "query": "…", "top_k": 5, "filter": {…}}`,
 * a gateway extension to Chat Completions (the openai SDK sends it as an extra body field). Every
 * field is optional: a route with `retrieval` supplies the source, the last user message the query.
 * The filter's grammar is checked by the stage, once the source (and the keys it owns) is known.
 */
import { MAX_RETRIEVAL_RESULTS } from '../../shared/schema-retrieval';
import { InvalidRequestError } from '../errors';

/** What a request asks of the retrieval stage. */
export interface RetrievalRequest {
  readonly source?: string;
  readonly query?: string;
  readonly topK?: number;
  /** The client's filter as sent (checked by the stage). */
  readonly filter?: unknown;
}

/** The longest query the gateway sends to a knowledge source, in characters. */
export const MAX_QUERY_CHARS = 2000;
const FIELDS = ['source', 'query', 'top_k', 'filter'];
const P = 'retrieval';

/**
 * Parses the body's `retrieval` value; `undefined` when absent or null.
 *
 * @example
 * parseRetrievalRequest({ source: 'handbook', top_k: 3 }) // { source: 'handbook', topK: 3 }
 */
export function parseRetrievalRequest(value: unknown): RetrievalRequest | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError(`'${P}' must be an object such as {"source": "handbook", "query": "…", "top_k": 5}.`, 'invalid_type', P);
  }
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!FIELDS.includes(key)) throw new InvalidRequestError(`'${P}.${key.slice(0, 40)}' is not a retrieval field; allowed: ${FIELDS.join(', ')}.`, 'unknown_parameter', `${P}.${key.slice(0, 40)}`);
  }
  if (v.source !== undefined && (typeof v.source !== 'string' || v.source.length === 0 || v.source.length > 64)) {
    throw new InvalidRequestError(`'${P}.source' must be a knowledge source id (a string of 1 to 64 characters).`, 'invalid_type', `${P}.source`);
  }
  if (v.query !== undefined && (typeof v.query !== 'string' || v.query.trim().length === 0 || v.query.length > MAX_QUERY_CHARS)) {
    throw new InvalidRequestError(`'${P}.query' must be a non-empty string of at most ${MAX_QUERY_CHARS} characters.`, 'invalid_value', `${P}.query`);
  }
  const topK = v.top_k;
  if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > MAX_RETRIEVAL_RESULTS)) {
    throw new InvalidRequestError(`'${P}.top_k' must be an integer from 1 to ${MAX_RETRIEVAL_RESULTS}.`, 'invalid_value', `${P}.top_k`);
  }
  return {
    ...(v.source !== undefined ? { source: v.source as string } : {}),
    ...(v.query !== undefined ? { query: v.query as string } : {}),
    ...(topK !== undefined ? { topK: topK as number } : {}),
    ...(v.filter !== undefined && v.filter !== null ? { filter: v.filter } : {}),
  };
}
