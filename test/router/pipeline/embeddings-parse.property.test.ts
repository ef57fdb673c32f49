/**
 * Input handling of `POST /v1/embeddings`, fuzzed: any JSON body either parses into a request
 * whose fields respect the documented limits, or is refused with a 400 that names a parameter.
 */
import * as fc from 'fast-check';
import { InvalidRequestError } from '../../../lambda/router/errors';
import { MAX_EMBEDDING_INPUTS, parseEmbeddingsRequest } from '../../../lambda/router/pipeline/embeddings-parse';
import { resolved } from '../../helpers/router-config';

const limits = resolved().limits;
const PARAMS = /^(body|model|input(\[\d+\])?|dimensions|encoding_format|input_type|user|metadata)$/;
const body = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

const inputArb = fc.oneof(
  fc.string(), fc.array(fc.string(), { maxLength: 5 }), fc.integer(), fc.array(fc.integer(), { maxLength: 4 }),
  fc.array(fc.array(fc.integer(), { maxLength: 3 }), { maxLength: 3 }), fc.constant(null), fc.object(),
);
const requestArb = fc.record({
  model: fc.oneof(fc.constant('embed'), fc.string(), fc.integer()),
  input: inputArb,
  dimensions: fc.oneof(fc.integer({ min: -5, max: 10_000 }), fc.double(), fc.string()),
  encoding_format: fc.oneof(fc.constantFrom('float', 'base64', 'int8'), fc.integer()),
  input_type: fc.constantFrom('search_query', 'search_document', 'image', 3),
  user: fc.oneof(fc.string({ maxLength: 300 }), fc.boolean()),
}, { requiredKeys: [] });

test('every body parses within the limits or is a 400 naming its parameter', () => {
  fc.assert(fc.property(requestArb, (value) => {
    try {
      const parsed = parseEmbeddingsRequest(body(value), undefined, limits);
      expect(parsed.inputs.length).toBeGreaterThan(0);
      expect(parsed.inputs.length).toBeLessThanOrEqual(MAX_EMBEDDING_INPUTS);
      for (const text of parsed.inputs) {
        expect(typeof text).toBe('string');
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThanOrEqual(limits.maxMessageChars);
      }
      expect(['float', 'base64']).toContain(parsed.encodingFormat);
      if (parsed.dimensions !== undefined) expect(Number.isInteger(parsed.dimensions) && parsed.dimensions >= 1).toBe(true);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).status).toBe(400);
      expect((error as InvalidRequestError).param).toMatch(PARAMS);
    }
  }), { numRuns: 500 });
});

test('token ids, as integers or arrays of integers, are always refused with the reason', () => {
  fc.assert(fc.property(fc.oneof(fc.integer(), fc.array(fc.integer(), { minLength: 1, maxLength: 5 }).map((a) => [a])), (input) => {
    expect(() => parseEmbeddingsRequest(body({ model: 'embed', input }), undefined, limits)).toThrow(/token ids is not supported/);
  }), { numRuns: 100 });
});

test('more than 2,048 inputs is a 400 naming input', () => {
  expect(() => parseEmbeddingsRequest(body({ model: 'embed', input: Array.from({ length: 2049 }, () => 'x') }), undefined, limits))
    .toThrow(expect.objectContaining({ param: 'input', code: 'too_many_inputs' }));
});
