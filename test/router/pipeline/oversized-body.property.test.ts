/**
 * The scan that names the field a body over the limit was cut in (lambda/router/pipeline/oversized-body.ts):
 * for any document and any cut inside a string value, the path of that value; for any bytes,
 * no error; for a complete document, no path.
 */
import fc from 'fast-check';
import { InvalidRequestError, PayloadTooLargeError } from '../../../lambda/router/errors';
import { MAX_SCAN_DEPTH, openStringPath, oversizedChatBody } from '../../../lambda/router/pipeline/oversized-body';

const MARKER = 'QQMARKERQQ';

type Segment = { readonly key: string } | { readonly index: number };

/** A document holding `MARKER` + `tail` at `segments`, with unrelated siblings before it, and the path as the scan writes it. */
const located = fc.tuple(
  fc.array(fc.oneof(
    fc.record({ key: fc.string({ maxLength: 12 }).filter((k) => !k.includes(MARKER)) }),
    fc.record({ index: fc.nat(4) }),
  ), { minLength: 1, maxLength: 8 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.string({ maxLength: 40 }),
).map(([segments, siblings, tail]) => {
  let value: unknown = MARKER + tail;
  for (const segment of [...segments].reverse()) {
    if ('key' in segment) {
      const others = Object.fromEntries(siblings.map((s, i) => [`sibling${i}-${segment.key}`, s]));
      value = { ...others, [segment.key]: value };
    } else {
      value = [...Array.from({ length: segment.index }, (_, i) => siblings[i % Math.max(1, siblings.length)] ?? null), value];
    }
  }
  // Wrapped in an object, so the path always starts with a key.
  const path = (segments as Segment[]).map((s) => ('key' in s ? `.${s.key}` : `[${s.index}]`)).join('');
  return { json: JSON.stringify({ root: value }), path: `root${path}` };
});

describe('openStringPath', () => {
  test('any cut inside the marked string value gives its path', () => {
    fc.assert(fc.property(located, fc.nat(), ({ json, path }, offset) => {
      const bytes = Buffer.from(json, 'utf8');
      // Anywhere from the string's first character to its last (the closing quote excluded).
      const start = bytes.indexOf(MARKER);
      const cut = start + (offset % (findClosingQuote(bytes, start) - start + 1));
      expect(openStringPath(bytes.subarray(0, cut))).toBe(path);
    }), { numRuns: 300 });
  });

  test('any bytes: no error; a complete document: no path', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(() => openStringPath(bytes)).not.toThrow();
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      expect(openStringPath(Buffer.from(JSON.stringify(value), 'utf8'))).toBeUndefined();
    }), { numRuns: 300 });
  });

  test('escaped quotes and backslashes inside strings, and keys with escapes', () => {
    expect(openStringPath(Buffer.from('{"a\\"b":["x\\\\",{"c":"say \\"hi\\" and'))).toBe('a"b[1].c');
    expect(openStringPath(Buffer.from('{"a":"done","b":'))).toBeUndefined();
    expect(openStringPath(Buffer.from('{"unfinished ke'))).toBeUndefined();
  });

  test('nesting deeper than the scan keeps: no path', () => {
    expect(openStringPath(Buffer.from(`${'['.repeat(MAX_SCAN_DEPTH + 1)}"x`))).toBeUndefined();
    expect(openStringPath(Buffer.from(`${'['.repeat(MAX_SCAN_DEPTH)}"x`))).toBe('[0]'.repeat(MAX_SCAN_DEPTH));
  });
});

describe('oversizedChatBody', () => {
  const limits = { maxBodyBytes: 100, maxImageBytes: 50 };

  test('cut inside an image URL: 400 image_too_large naming the part and both limits', () => {
    const error = oversizedChatBody(Buffer.from('{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA'), limits);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect({ status: error.status, code: error.code, param: error.param }).toEqual({ status: 400, code: 'image_too_large', param: 'messages[0].content[0].image_url.url' });
    expect(error.message).toMatch(/100 bytes.*50 bytes/);
  });

  test.each([
    ['cut inside a text message', '{"messages":[{"role":"user","content":"xxxx'],
    ['cut between fields', '{"messages":[{"role":"user","content":"x"},'],
    ['an image_url field elsewhere', '{"tools":[{"image_url":{"url":"data:'],
    ['no bytes read', ''],
  ])('%s: 413 request_too_large', (_name, text) => {
    const error = oversizedChatBody(Buffer.from(text), limits);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect({ status: error.status, code: error.code }).toEqual({ status: 413, code: 'request_too_large' });
  });
});

/** The index of the quote closing the JSON string whose content starts at `from`. */
function findClosingQuote(bytes: Buffer, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] === 0x5c) i++;
    else if (bytes[i] === 0x22) return i;
  }
  return bytes.length;
}
