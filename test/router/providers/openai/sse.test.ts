import fc from 'fast-check';
import { UpstreamError } from '../../../../lambda/router/errors';
import { DEFAULT_MAX_SSE_EVENT_CHARS, SseDecoder, SseParser, type SseEvent } from '../../../../lambda/router/providers/openai/sse';

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

describe('bounded work and size', () => {
  test('a 4 MiB line in 16 KiB pieces is scanned once: work grows with the input, not with its square', () => {
    // Prepare: one event whose data line is 4 MiB, as a hostile or broken upstream could send it.
    const payload = 'x'.repeat(4 * 1024 * 1024);
    const wire = `data: ${payload}\n\n`;
    const piece = 16 * 1024;
    const decoder = new SseDecoder({ maxEventChars: 8 * 1024 * 1024 });
    const bytes = Buffer.from(wire, 'utf8');
    // Act
    const events: SseEvent[] = [];
    for (let i = 0; i < bytes.length; i += piece) events.push(...decoder.push(bytes.subarray(i, i + piece)));
    events.push(...decoder.end());
    // Assess: every character examined exactly once (a rescan per piece would examine ~2^31 of them).
    expect(decoder.scannedChars).toBe(wire.length);
    expect(events).toHaveLength(1);
    expect(events[0].data.length).toBe(payload.length);
  });

  test('the work is the input length whatever the split', () => {
    fc.assert(fc.property(fc.array(fc.nat({ max: 2000 }), { maxLength: 30 }), (cuts) => {
      const wire = `data: ${'y'.repeat(1500)}\r\n\r\ndata: z\n\n`;
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const parser = new SseParser();
      let last = 0;
      for (const p of [...points, wire.length]) { parser.push(wire.slice(last, p)); last = p; }
      expect(parser.scannedChars).toBeLessThanOrEqual(wire.length);
      expect(parser.scannedChars).toBeGreaterThanOrEqual(wire.length - 1); // the LF of a split CRLF is skipped
    }));
  });

  test('a line longer than maxEventChars fails the stream with a fallback responseTooLarge, even before it ends', () => {
    const parser = new SseParser({ maxEventChars: 100 });
    expect(parser.push(`data: ${'a'.repeat(90)}\n\n`)).toHaveLength(1);
    parser.push(`data: ${'b'.repeat(60)}`);
    let error: unknown;
    try { parser.push('b'.repeat(60)); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ disposition: 'fallback', code: 'responseTooLarge', message: expect.stringMatching(/a line longer than 100 characters/) });
  });

  test("an event's data made of many short lines is capped too", () => {
    const parser = new SseParser({ maxEventChars: 100 });
    expect(() => parser.push('data: 0123456789\n'.repeat(11))).toThrow(/an event's data longer than 100 characters/);
  });

  test('the default cap is 1 MiB', () => {
    const parser = new SseParser();
    expect(() => parser.push(`data: ${'c'.repeat(DEFAULT_MAX_SSE_EVENT_CHARS)}`)).toThrow(UpstreamError);
  });
});
