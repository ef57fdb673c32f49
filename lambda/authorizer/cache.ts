/**
 * A small per-container cache with a time-to-live and a size bound (least recently used entries
 * go first), so a warm authorizer skips DynamoDB for keys it has just seen. Keyed by the key's
 * SHA-256, never by the key.
 */

export interface TtlCacheOptions {
  /** How long an entry lives, in ms. 0 disables the cache. */
  readonly ttlMs: number;
  /** The most entries kept; the least recently used entry is dropped to make room. */
  readonly maxEntries: number;
  /** The clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expiresAtMs: number;
}

/**
 * @example
 * const cache = new TtlCache<Decision>({ ttlMs: 30_000, maxEntries: 10_000 });
 * cache.set(keyHash, decision);
 * cache.get(keyHash); // the decision, for 30 s at most
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly now: () => number;

  constructor(private readonly options: TtlCacheOptions) {
    if (!Number.isFinite(options.ttlMs) || options.ttlMs < 0) throw new RangeError(`ttlMs must be ≥ 0, received ${options.ttlMs}`);
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, received ${options.maxEntries}`);
    }
    this.now = options.now ?? Date.now;
  }

  /** The live value for `key`, if any. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert so Map order stays least-recently-used first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Keeps `value` for the cache's TTL, or until `notAfterMs` if that comes first (a key that
   * expires must not outlive its expiry in the cache).
   */
  set(key: string, value: V, notAfterMs?: number): void {
    if (this.options.ttlMs === 0) return;
    const expiresAtMs = Math.min(this.now() + this.options.ttlMs, notAfterMs ?? Number.POSITIVE_INFINITY);
    if (expiresAtMs <= this.now()) return;
    this.entries.delete(key);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs });
  }

  /** Number of entries held (live or not yet swept). */
  get size(): number {
    return this.entries.size;
  }

  /** Drops every entry. */
  clear(): void {
    this.entries.clear();
  }
}
