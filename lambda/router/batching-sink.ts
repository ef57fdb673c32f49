/**
 * The write batching both transports share (the local server's Node.js response, the Lambda
 * response stream): as few transport writes per answer as the answer allows.
 *
 * - The status and headers are held until the first flush, so they travel with the first body bytes.
 * - Body pieces written in one turn of the event loop are joined and flushed together, right after
 *   the I/O that produced them (`setImmediate`), so the first byte is not delayed: every event
 *   decoded from one upstream read goes out in one write.
 * - A response that ends before its first flush (every JSON answer) goes out whole, with its
 *   headers, in one write (`sendHead` receives the whole body, e.g. for `Content-Length`).
 * - Backpressure: when the transport refuses more, `write()` resolves only once it drained (or
 *   closed), so a slow client slows the upstream read instead of filling memory.
 * - A client that goes away before the end is reported once to the `onClose` listeners.
 */
import type { ResponseSink } from './http';

const DONE: Promise<void> = Promise.resolve();

export abstract class BatchingResponseSink implements ResponseSink {
  private readonly closeListeners: (() => void)[] = [];
  private head: { readonly status: number; readonly headers: Record<string, string> } | undefined;
  private headSent = false;
  private pending: string[] = [];
  private flushScheduled = false;
  private draining: Promise<void> | undefined;
  private ended = false;
  private gone = false;
  private readonly flushNow = (): void => this.flush();

  start(status: number, headers: Record<string, string>): void {
    if (this.headSent || this.head) return;
    this.head = { status, headers };
  }

  write(chunk: string): Promise<void> {
    if (this.ended || this.gone || this.closed()) return DONE;
    if (chunk.length > 0) this.pending.push(chunk);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
    return this.draining ?? DONE;
  }

  end(): Promise<void> {
    if (this.ended) return DONE;
    this.ended = true;
    if (this.gone || this.closed()) {
      this.pending = [];
      return this.endClosed();
    }
    const body = this.takePending();
    const head = this.takeHead();
    if (head) this.sendHead(head.status, head.headers, body);
    return this.endBody(body, head !== undefined);
  }

  onClose(listener: () => void): void {
    if (this.gone) listener();
    else this.closeListeners.push(listener);
  }

  /** For subclasses: the client went away. Listeners are called once, and only before the end. */
  protected clientGone(): void {
    if (this.ended || this.gone) return;
    this.gone = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  /** Whether the transport can take no more bytes (ended, destroyed). */
  protected abstract closed(): boolean;

  /**
   * Sends the status and headers. `wholeBody` is the entire body when the response ends in the same
   * write (so `Content-Length` can be set), undefined when more is coming.
   */
  protected abstract sendHead(status: number, headers: Record<string, string>, wholeBody: string | undefined): void;

  /** Writes body bytes; false when the transport wants the writer to wait for `drained()`. */
  protected abstract writeBody(chunk: string): boolean;

  /** Resolves when the transport can take more after a refused write, or has closed. */
  protected abstract drained(): Promise<void>;

  /**
   * Writes the last body bytes (maybe none) and ends the response; resolves once it ended.
   * `headJustSent`: `sendHead` was called for this very write.
   */
  protected abstract endBody(body: string, headJustSent: boolean): Promise<void>;

  /** Ends a response whose client is gone (transports that must still be closed close here). */
  protected abstract endClosed(): Promise<void>;

  private takeHead(): { readonly status: number; readonly headers: Record<string, string> } | undefined {
    const head = this.head;
    if (!head || this.headSent) return undefined;
    this.head = undefined;
    this.headSent = true;
    return head;
  }

  private takePending(): string {
    const { pending } = this;
    if (pending.length === 0) return '';
    this.pending = [];
    return pending.length === 1 ? pending[0] : pending.join('');
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.ended) return;
    if (this.gone || this.closed()) {
      this.pending = [];
      return;
    }
    const head = this.takeHead();
    if (head) this.sendHead(head.status, head.headers, undefined);
    if (this.pending.length === 0) return;
    if (this.writeBody(this.takePending()) || this.draining) return;
    this.draining = this.drained().then(() => {
      this.draining = undefined;
    });
  }
}

/** Whether `headers` has `name` (lower case), in any case. */
export function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  for (const key in headers) if (key.toLowerCase() === name) return true;
  return false;
}
