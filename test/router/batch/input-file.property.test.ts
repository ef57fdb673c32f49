/**
 * The batch input file parser on generated input: any text either parses or is refused with an
 * `InvalidRequestError` naming `file` (never another error), and well-formed files give back every
 * request, in order, with its custom_id and body.
 */
import fc from 'fast-check';
import { InvalidRequestError } from '../../../lambda/router/errors';
import { parseBatchInput } from '../../../lambda/router/batch/input-file';

const request = fc.record({
  custom_id: fc.string({ minLength: 1, maxLength: 40 }),
  body: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
});

test('any text parses or is refused as an invalid batch file', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.array(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))).map((ls) => ls.join('\n'))), (text) => {
    try {
      parseBatchInput(text);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).param).toBe('file');
    }
  }), { numRuns: 300 });
});

test('a well-formed file gives back every request in order', () => {
  fc.assert(fc.property(fc.uniqueArray(request, { minLength: 1, maxLength: 20, selector: (r) => r.custom_id }), fc.boolean(), (requests, crlf) => {
    const text = requests.map((r) => JSON.stringify({ ...r, method: 'POST', url: '/v1/chat/completions' })).join(crlf ? '\r\n' : '\n');
    const parsed = parseBatchInput(text);
    expect(parsed.map((l) => l.customId)).toEqual(requests.map((r) => r.custom_id));
    expect(parsed.map((l) => JSON.parse(l.body) as unknown)).toEqual(requests.map((r) => JSON.parse(JSON.stringify(r.body)) as unknown));
  }), { numRuns: 200 });
});
