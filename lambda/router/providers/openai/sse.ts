/**
 * A server-sent events parser for streamed chat completions (pure, incremental).
 *
 * Follows the WHATWG event-stream rules the OpenAI-compatible servers rely on: lines end with LF,
 * CRLF or CR; a blank line dispatches the event; `data:` lines are joined with LF; a line starting
 * with `:` is a comment (keep-alive pings); one leading space after the colon is dropped; an event
 * without data is not dispatched. Input may be split anywhere — in the middle of a line, of a CRLF
 * pair, or (with `SseDecoder`) of a UTF-8 sequence.
 */

export interface SseEvent {
  /** The `event:` field. @default 'message' */
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private lastId?: string;
  private pendingCr = false;

  /**
   * Feeds text; returns the events it completed.
   *
   * @example new SseParser().push('data: {"a":1}\n\n') // [{ event: 'message', data: '{"a":1}' }]
   */
  push(text: string): SseEvent[] {
    let input = text;
    // A CR at the end of the previous piece may be the first half of a CRLF.
    if (this.pendingCr && input.startsWith('\n')) input = input.slice(1);
    this.pendingCr = false;
    this.buffer += input;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (ch === '\r') {
        if (i + 1 < this.buffer.length) {
          if (this.buffer[i + 1] === '\n') i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /**
   * Ends the input. Complete lines of an event that lacked only its blank line are dispatched (a
   * lenient reading of `data: [DONE]\n` at the very end); an event with a partial last line is
   * dropped, as the spec says — it was cut mid-way and its data cannot be trusted.
   */
  end(): SseEvent[] {
    if (this.buffer !== '') {
      this.buffer = '';
      this.data = [];
      this.eventType = '';
      return [];
    }
    const last = this.dispatch();
    return last ? [last] : [];
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastId = value;
        break;
      default:
        break; // `retry` and unknown fields do not matter here
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    if (this.data.length === 0) {
      this.eventType = '';
      return undefined;
    }
    const event: SseEvent = {
      event: this.eventType || 'message',
      data: this.data.join('\n'),
      ...(this.lastId !== undefined ? { id: this.lastId } : {}),
    };
    this.data = [];
    this.eventType = '';
    return event;
  }
}

/** Bytes in, events out: a UTF-8 decoder that keeps split multi-byte sequences, then the parser. */
export class SseDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser = new SseParser();

  push(bytes: Uint8Array): SseEvent[] {
    return this.parser.push(this.decoder.decode(bytes, { stream: true }));
  }

  end(): SseEvent[] {
    const rest = this.decoder.decode();
    const events = rest ? this.parser.push(rest) : [];
    return [...events, ...this.parser.end()];
  }
}
