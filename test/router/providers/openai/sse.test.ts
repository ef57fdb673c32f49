import fc from 'fast-check';
import { SseDecoder, SseParser, type SseEvent } from '../../../../lambda/router/providers/openai/sse';

function parseAll(pieces: readonly string[]): SseEvent[] {
  const parser = new SseParser();
  const events = pieces.flatMap((p) => parser.push(p));
  return [...events, ...parser.end()];
}

describe('SseParser', () => {
  test('data events, [DONE], and the default event type', () => {
    expect(parseAll(['data: {"a":1}\n\ndata: [DONE]\n\n'])).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  test('comments (keep-alives) and unknown fields are ignored; events without data are not dispatched', () => {
    expect(parseAll([': ping\n\nretry: 1000\n\nfoo: bar\ndata: x\n\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  test('multi-line data joins with LF; event and id fields are kept', () => {
    expect(parseAll(['event: error\nid: 7\ndata: line1\ndata: line2\n\n'])).toEqual([{ event: 'error', id: '7', data: 'line1\nline2' }]);
  });

  test('one space after the colon is dropped, not more; a field without a colon has an empty value', () => {
    expect(parseAll(['data:  two spaces\n\ndata\n\n'])).toEqual([
      { event: 'message', data: ' two spaces' },
      { event: 'message', data: '' },
    ]);
  });

  test('CRLF and CR line endings, including a CRLF split across pieces', () => {
    expect(parseAll(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\r\n\r\n'])).toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
      { event: 'message', data: 'c' },
    ]);
  });

  test('end(): complete lines without the final blank line are dispatched; a partial line is dropped', () => {
    expect(parseAll(['data: [DONE]\n'])).toEqual([{ event: 'message', data: '[DONE]' }]);
    expect(parseAll(['data: {"a":1}\n\ndata: {"choi'])).toEqual([{ event: 'message', data: '{"a":1}' }]);
  });

  test('property: any split of a well-formed stream gives the same events', () => {
    const eventArb = fc.record({
      data: fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s)), { minLength: 1, maxLength: 3 }),
      comment: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        fc.array(fc.nat(), { maxLength: 12 }),
        (events, eol, cuts) => {
          const wire = events
            .map((e) => `${e.comment ? `: keep-alive${eol}` : ''}${e.data.map((d) => `data: ${d}`).join(eol)}${eol}${eol}`)
            .join('');
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
          const pieces: string[] = [];
          let last = 0;
          for (const p of points) { pieces.push(wire.slice(last, p)); last = p; }
          pieces.push(wire.slice(last));
          expect(parseAll(pieces)).toEqual(events.map((e) => ({ event: 'message', data: e.data.join('\n') })));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SseDecoder', () => {
  test('a UTF-8 character split across byte chunks is decoded whole', () => {
    const bytes = new TextEncoder().encode('data: {"t":"héllo 🙂"}\n\n');
    const decoder = new SseDecoder();
    const events: SseEvent[] = [];
    for (let i = 0; i < bytes.length; i++) events.push(...decoder.push(bytes.subarray(i, i + 1)));
    events.push(...decoder.end());
    expect(events).toEqual([{ event: 'message', data: '{"t":"héllo 🙂"}' }]);
  });
});
