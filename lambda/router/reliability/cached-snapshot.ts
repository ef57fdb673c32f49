/**
 * A snapshot of operator state (incident controls, approvals) that the router reads from a table
 * or a file at most every `cacheMs`, shared by concurrent requests.
 *
 * When a read fails, the last snapshot read stays in force and the next read is tried after
 * `retryMs`; a router that has never read one uses `empty`. Each failure is logged in one
 * structured line (`message`, what was kept, the error's name — never its text).
 */

/** Where a snapshot is read from. */
export interface SnapshotLoader<T> {
  load(): Promise<T>;
}

export interface CachedSnapshotOptions {
  /** How long a snapshot is kept before it is read again, in ms (at most the kind's maximum). @default the maximum */
  readonly cacheMs?: number;
  /** After a failed read, how long before the next attempt, in ms. @default 5_000 */
  readonly retryMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Writes one structured log line. @default a JSON line on stderr */
  readonly log?: (line: Record<string, unknown>) => void;
}

/** What a kind of snapshot is called in logs, its empty value and its longest cache period. */
export interface SnapshotKind<T> {
  /** The empty snapshot, used before the first successful read. */
  readonly empty: T;
  /** The longest cache period, in ms. */
  readonly maxCacheMs: number;
  /** The log message of a failed read (`incident controls unavailable`). */
  readonly unavailable: string;
  /** What `kept` says when a previous snapshot stays in force. */
  readonly keptLast: string;
  /** What `kept` says when there is none (`empty` is used). */
  readonly keptNone: string;
}

export class CachedSnapshot<T> {
  private current?: T;
  private validUntil = Number.NEGATIVE_INFINITY;
  private reading?: Promise<T>;
  private readonly cacheMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly log: (line: Record<string, unknown>) => void;

  constructor(private readonly loader: SnapshotLoader<T>, private readonly kind: SnapshotKind<T>, options: CachedSnapshotOptions = {}) {
    const cacheMs = options.cacheMs ?? kind.maxCacheMs;
    if (!Number.isFinite(cacheMs) || cacheMs < 0 || cacheMs > kind.maxCacheMs) {
      throw new RangeError(`cacheMs must be between 0 and ${kind.maxCacheMs}, received ${cacheMs}`);
    }
    this.cacheMs = cacheMs;
    this.retryMs = Math.min(options.retryMs ?? 5_000, cacheMs || 5_000);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => { process.stderr.write(`${JSON.stringify(line)}\n`); });
  }

  /** The snapshot in force now. Never throws. */
  async get(): Promise<T> {
    if (this.current !== undefined && this.now() < this.validUntil) return this.current;
    this.reading ??= this.read().finally(() => { this.reading = undefined; });
    return this.reading;
  }

  private async read(): Promise<T> {
    try {
      const snapshot = await this.loader.load();
      this.current = snapshot;
      this.validUntil = this.now() + this.cacheMs;
      return snapshot;
    } catch (error) {
      this.validUntil = this.now() + this.retryMs;
      this.log({
        timestamp: new Date(this.now()).toISOString(),
        level: 'ERROR',
        message: this.kind.unavailable,
        kept: this.current !== undefined ? this.kind.keptLast : this.kind.keptNone,
        error: error instanceof Error ? error.name : 'error',
      });
      this.current ??= this.kind.empty;
      return this.current;
    }
  }
}
