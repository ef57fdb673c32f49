/** Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS Architecture Blog). */

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The wait before retry number `retry` (1 for the first retry): a uniform random value between 0
 * and `min(maxDelayMs, baseDelayMs * 2^(retry-1))`.
 *
 * @example
 * backoffDelayMs(3, { baseDelayMs: 100, maxDelayMs: 2000 }) // somewhere in [0, 400]
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Sleeps `ms`, or less if `signal` aborts first (then it resolves early: the caller checks the
 * signal). Never rejects.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
