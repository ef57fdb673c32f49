/**
 * A server-sent events parser for streamed chat completions (pure, incremental).
 *
 * Follows the WHATWG event-stream rules the OpenAI-compatible servers rely on: lines end with LF,
 * CRLF or CR; a blank line dispatches the event; `data:` lines are joined with LF; a line starting
 * with `:` is a comment (keep-alive pings); one leading space after the colon is dropped; an event
 * without data is not dispatched. Input may be split anywhere — in the middle of a line, of a CRLF
 * pair, or (with `SseDecoder`) of a UTF-8 sequence.
 *
 * Work is linear in the input: each piece is scanned once from its first character, and the
 * pieces of a line that spans many of them are joined once, when the line ends. A line, and an
 * event's data, may not exceed `maxEventChars` (an upstream that never ends its line cannot make
 * the router buffer without bound).
 */
import { UpstreamError } from '../../errors';

export interface SseEvent {
  /** The `event:` field. @default 'message' */
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/** Limits of one parser. */
export interface SseLimits {
  /**
   * The longest line, and the most data one event may carry, in characters. A stream chunk of a
   * chat completion is a few hundred characters; a longer line is a broken or hostile upstream.
   * @default 1048576 (1 MiB)
   */
  readonly maxEventChars?: number;
}

/** Default of `SseLimits.maxEventChars`. */
export const DEFAULT_MAX_SSE_EVENT_CHARS = 1_048_576;

const LF = 10;
const CR = 13;

export class SseParser {
  /** Characters examined for line ends so far: each input character once, however it is split. */
  scannedChars = 0;
  /** Pieces of the unfinished line, joined once when its end arrives (no rescans, no re-copies). */
  private pending: string[] = [];
  private pendingChars = 0;
  private data: string[] = [];
  private dataChars = 0;
  private eventType = '';
  private lastId?: string;
  private pendingCr = false;
  private readonly maxEventChars: number;

  constructor(limits: SseLimits = {}) {
    this.maxEventChars = limits.maxEventChars ?? DEFAULT_MAX_SSE_EVENT_CHARS;
  }

  /**
   * Feeds text; returns the events it completed. Only the new text is scanned. Throws a fallback
   * `UpstreamError` (`responseTooLarge`) when a line or an event's data exceeds `maxEventChars`.
   *
   * @example new SseParser().push('data: {"a":1}\n\n') // [{ event: 'message', data: '{"a":1}' }]
   */
  push(text: string): SseEvent[] {
    if (text.length === 0) return [];
    const events: SseEvent[] = [];
    let start = 0;
    // A CR at the end of the previous piece may be the first half of a CRLF.
    if (this.pendingCr && text.charCodeAt(0) === LF) start = 1;
    this.pendingCr = false;
    const n = text.length;
    this.scannedChars += n - start;
    for (let i = start; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch !== LF && ch !== CR) continue;
      const piece = text.slice(start, i);
      const line = this.pending.length > 0 ? this.pending.join('') + piece : piece;
      this.pending = [];
      this.pendingChars = 0;
      this.checkSize(line.length, 'a line');
      if (ch === CR) {
        if (i + 1 < n) {
          if (text.charCodeAt(i + 1) === LF) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    if (start < n) {
      this.pending.push(start === 0 ? text : text.slice(start));
      this.pendingChars += n - start;
      this.checkSize(this.pendingChars, 'a line');
    }
    return events;
  }

  /**
   * Ends the input. Complete lines of an event that lacked only its blank line are dispatched (a
   * lenient reading of `data: [DONE]\n` at the very end); an event with a partial last line is
   * dropped, as the spec says — it was cut mid-way and its data cannot be trusted.
   */
  end(): SseEvent[] {
    if (this.pendingChars > 0) {
      this.pending = [];
      this.pendingChars = 0;
      this.data = [];
      this.dataChars = 0;
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
        this.dataChars += value.length + 1;
        this.checkSize(this.dataChars - 1, "an event's data");
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
    this.dataChars = 0;
    this.eventType = '';
    return event;
  }

  private checkSize(chars: number, what: string): void {
    if (chars > this.maxEventChars) {
      throw new UpstreamError(`the upstream event stream sent ${what} longer than ${this.maxEventChars} characters`, {
        disposition: 'fallback', code: 'responseTooLarge',
      });
    }
  }
}

/** Bytes in, events out: a UTF-8 decoder that keeps split multi-byte sequences, then the parser. */
export class SseDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser: SseParser;

  constructor(limits: SseLimits = {}) {
    this.parser = new SseParser(limits);
  }

  /** Characters the parser has examined (see `SseParser.scannedChars`). */
  get scannedChars(): number {
    return this.parser.scannedChars;
  }

  push(bytes: Uint8Array): SseEvent[] {
    return this.parser.push(this.decoder.decode(bytes, { stream: true }));
  }

  end(): SseEvent[] {
    const rest = this.decoder.decode();
    const events = rest ? this.parser.push(rest) : [];
    return [...events, ...this.parser.end()];
  }
}
