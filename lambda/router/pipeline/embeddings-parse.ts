/**
 * Stage: parse and validate an OpenAI embeddings request (`POST /v1/embeddings`).
 *
 * | field | accepted |
 * |---|---|
 * | `model` | a route alias of an embedding model (`auto` is for chat) |
 * | `input` | a non-empty string, or an array of 1 to 2,048 non-empty strings; each at most `limits.maxMessageChars` characters |
 * | `dimensions` | an integer from 1 to 8,192 (the target checks what its model produces) |
 * | `encoding_format` | `float` (default) or `base64` |
 * | `user` | a string of at most 256 characters |
 * | `input_type` | Cohere Embed's `search_document` (default), `search_query`, `classification`, `clustering` |
 * | `metadata` | routing hints, as for chat completions |
 *
 * Token arrays (`input` as integers or arrays of integers, which OpenAI accepts for its own
 * tokenizer) are refused: a token id means nothing to another model's tokenizer.
 */
import { BodyError } from '../http';
import { PayloadTooLargeError, RequestTimeoutError } from '../errors';
import { RequestLimits } from '../../shared/config';
import type { EmbeddingInputType } from '../providers/types';
import { decodeBody, optionalNumber, optionalString, parseMetadata } from './parse';
import { bad, kind, present } from './parse-helpers';

/** How the client wants the vectors: JSON numbers, or base64 of little-endian float32s. */
export type EncodingFormat = 'float' | 'base64';

/** An embeddings request after parsing and validation. */
export interface EmbeddingsRequest {
  readonly model: string;
  readonly inputs: readonly string[];
  readonly dimensions?: number;
  readonly encodingFormat: EncodingFormat;
  readonly user?: string;
  readonly inputType?: EmbeddingInputType;
  readonly metadata: Readonly<Record<string, string>>;
}

/** OpenAI's limit of inputs per request. */
export const MAX_EMBEDDING_INPUTS = 2048;
/** The largest `dimensions` accepted (no embedding model the gateway serves produces more). */
export const MAX_EMBEDDING_DIMENSIONS = 8192;
const MAX_USER_CHARS = 256;
const MAX_MODEL_CHARS = 256;
const ENCODING_FORMATS: readonly EncodingFormat[] = ['float', 'base64'];
const INPUT_TYPES: readonly EmbeddingInputType[] = ['search_document', 'search_query', 'classification', 'clustering'];
const TOKEN_ARRAYS = "'input' as token ids is not supported: the gateway's models use different tokenizers; send the text as a string or an array of strings.";

function parseInput(value: unknown, maxChars: number): string[] {
  if (value === undefined || value === null) throw bad("'input' is required.", 'input', 'missing_required_parameter');
  if (typeof value === 'number') throw bad(TOKEN_ARRAYS, 'input', 'unsupported_input');
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw bad(`'input' must be a string or an array of strings, not ${kind(value)}.`, 'input', 'invalid_type');
  if (list.length === 0) throw bad("'input' must not be an empty array.", 'input');
  if (list.length > MAX_EMBEDDING_INPUTS) throw bad(`'input' has ${list.length} items; the limit is ${MAX_EMBEDDING_INPUTS}.`, 'input', 'too_many_inputs');
  return list.map((item: unknown, i) => {
    const at = typeof value === 'string' ? 'input' : `input[${i}]`;
    if (typeof item === 'number' || (Array.isArray(item) && item.every((x) => typeof x === 'number'))) {
      throw bad(TOKEN_ARRAYS, 'input', 'unsupported_input');
    }
    if (typeof item !== 'string') throw bad(`'${at}' must be a string, not ${kind(item)}.`, at, 'invalid_type');
    if (item.length === 0) throw bad(`'${at}' must not be empty.`, at);
    if (item.length > maxChars) throw bad(`'${at}' has ${item.length} characters; the limit is ${maxChars}.`, at, 'input_too_long');
    return item;
  });
}

function oneOf<T extends string>(body: Record<string, unknown>, key: string, allowed: readonly T[]): T | undefined {
  if (!present(body, key)) return undefined;
  const v = body[key];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw bad(`'${key}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}${typeof v === 'string' ? `, not '${v.slice(0, 40)}'` : `, not ${kind(v)}`}.`, key);
  }
  return v as T;
}

/**
 * Parses and validates the body of `POST /v1/embeddings`. Throws `InvalidRequestError` (400,
 * naming the parameter), `PayloadTooLargeError` (413) or `RequestTimeoutError` (408).
 *
 * @example
 * const request = parseEmbeddingsRequest(Buffer.from('{"model":"embed","input":"hello"}'), undefined, limits);
 */
export function parseEmbeddingsRequest(body: Uint8Array, bodyError: BodyError | undefined, limits: Required<RequestLimits>): EmbeddingsRequest {
  if (bodyError === BodyError.TOO_LARGE) {
    throw new PayloadTooLargeError(`The request body exceeds the limit of ${limits.maxBodyBytes} bytes.`, 'request_too_large');
  }
  if (bodyError === BodyError.TIMEOUT) throw new RequestTimeoutError('The request body was not received in time.', 'request_timeout');
  const json = decodeBody(body, limits);
  if (!present(json, 'model')) throw bad("'model' is required.", 'model', 'missing_required_parameter');
  const model = optionalString(json, 'model', MAX_MODEL_CHARS)!;
  if (model.length === 0) throw bad("'model' must not be empty.", 'model');
  const inputs = parseInput(json.input, limits.maxMessageChars);
  const dimensions = optionalNumber(json, 'dimensions', 1, MAX_EMBEDDING_DIMENSIONS, true);
  const encodingFormat = oneOf(json, 'encoding_format', ENCODING_FORMATS) ?? 'float';
  const inputType = oneOf(json, 'input_type', INPUT_TYPES);
  const user = optionalString(json, 'user', MAX_USER_CHARS);
  return {
    model,
    inputs,
    encodingFormat,
    metadata: present(json, 'metadata') ? parseMetadata(json.metadata) : {},
    ...(dimensions !== undefined ? { dimensions } : {}),
    ...(inputType !== undefined ? { inputType } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}
