/**
 * The per-call deadline and abort handling every adapter shares.
 *
 * A `CallGuard` turns a call's `CallOptions` into one `AbortSignal` for the transport: it fires
 * when the router's signal aborts (client disconnect, the router's own deadline) or when the
 * call's `timeoutMs` runs out, whichever comes first. Transports abort the request on that signal,
 * which closes the upstream connection, so a hung upstream (no headers, or a body that stalls
 * mid-stream) ends within the deadline.
 *
 * The guard also remembers why it stopped, so the error a transport throws after an abort
 * (`AbortError`, `ECONNRESET`, "aborted", ...) is reported as what it really is:
 * - deadline → `UpstreamError` retryable, code `timeout`;
 * - the router's signal → `UpstreamError` client, code `aborted` (never retried: nobody is waiting).
 */
import { UpstreamError } from '../errors';
import type { CallOptions } from './types';

/** Why a guarded call was stopped before it finished. */
export type StopCause = 'deadline' | 'aborted' | 'released';

/** The reason handed to `AbortController.abort()`, so transports can tell a guard stop apart. */
export class CallStopped extends Error {
  constructor(readonly stopCause: StopCause) {
    super(`call stopped: ${stopCause}`);
    this.name = 'CallStopped';
  }
}

export class CallGuard {
  /** Aborts when the call must stop. Hand it to the transport. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  private readonly controller = new AbortController();
  private readonly caller: AbortSignal;
  private readonly onCallerAbort = (): void => this.stop('aborted');
  private timer?: NodeJS.Timeout;
  private stoppedBy?: StopCause;
  private released = false;

  /**
   * @example
   * const guard = new CallGuard(options);
   * try { return await client.send(command, { abortSignal: guard.signal }); }
   * catch (e) { throw guard.classify(e, classifyBedrockError); }
   * finally { guard.release(); }
   */
  constructor(options: CallOptions) {
    this.signal = this.controller.signal;
    this.caller = options.signal;
    this.timeoutMs = options.timeoutMs;
    if (options.signal.aborted) {
      this.stop('aborted');
      return;
    }
    options.signal.addEventListener('abort', this.onCallerAbort, { once: true });
    this.timer = setTimeout(() => this.stop('deadline'), Math.max(0, options.timeoutMs));
  }

  /** Why the call was stopped, if it was. */
  get stopCause(): StopCause | undefined {
    return this.stoppedBy;
  }

  /** Throws the call's `UpstreamError` when it was stopped (e.g. before starting work). */
  throwIfStopped(): void {
    const error = this.stopError();
    if (error) throw error;
  }

  /**
   * Ends the guard: clears the timer and the listener on the router's signal. With
   * `abortInFlight`, also aborts the transport (a consumer that stopped reading a stream early),
   * which closes the upstream connection. Idempotent.
   */
  release(abortInFlight = false): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    this.caller.removeEventListener('abort', this.onCallerAbort);
    if (abortInFlight) this.stop('released');
  }

  /**
   * Maps an error thrown during the call to an `UpstreamError`. An `UpstreamError` passes through;
   * after a stop, the stop's cause wins over whatever the transport reported; otherwise the
   * provider's classifier decides.
   */
  classify(error: unknown, classifyUpstream: (error: unknown) => UpstreamError): UpstreamError {
    if (error instanceof UpstreamError) return error;
    return this.stopError(error) ?? classifyUpstream(error);
  }

  private stop(cause: StopCause): void {
    if (this.stoppedBy) return;
    this.stoppedBy = cause;
    clearTimeout(this.timer);
    this.controller.abort(new CallStopped(cause));
  }

  private stopError(cause?: unknown): UpstreamError | undefined {
    switch (this.stoppedBy) {
      case 'deadline':
        return new UpstreamError(`upstream did not finish within ${this.timeoutMs} ms`, {
          disposition: 'retryable',
          code: 'timeout',
          cause,
        });
      case 'aborted':
      case 'released':
        return new UpstreamError('the call was aborted by the caller', { disposition: 'client', code: 'aborted', cause });
      default:
        return undefined;
    }
  }
}
