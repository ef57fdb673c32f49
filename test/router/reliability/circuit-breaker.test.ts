import { CircuitBreakers, CircuitState } from '../../../lambda/router/reliability/circuit-breaker';
import { backoffDelayMs, sleep } from '../../../lambda/router/reliability/backoff';

describe('CircuitBreakers', () => {
  let now = 0;
  const make = () => new CircuitBreakers({ failureThreshold: 3, cooldownMs: 1000, now: () => now });
  beforeEach(() => { now = 0; });

  test('opens after the threshold of consecutive failures, not before', () => {
    const b = make();
    b.recordFailure('t');
    b.recordFailure('t');
    expect(b.state('t')).toBe(CircuitState.CLOSED);
    b.recordFailure('t');
    expect(b.state('t')).toBe(CircuitState.OPEN);
    expect(b.tryAcquire('t')).toBe(false);
    expect(b.isAvailable('t')).toBe(false);
  });

  test('a success resets the count', () => {
    const b = make();
    b.recordFailure('t');
    b.recordFailure('t');
    b.recordSuccess('t');
    b.recordFailure('t');
    expect(b.state('t')).toBe(CircuitState.CLOSED);
  });

  test('after the cooldown, one probe: success closes, failure reopens', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.recordFailure('t');
    now = 400;
    expect(b.retryAfterMs('t')).toBe(600);
    now = 1000;
    expect(b.state('t')).toBe(CircuitState.HALF_OPEN);
    expect(b.tryAcquire('t')).toBe(true);
    expect(b.tryAcquire('t')).toBe(false);
    expect(b.isAvailable('t')).toBe(false);
    b.recordFailure('t');
    expect(b.state('t')).toBe(CircuitState.OPEN);
    now = 2000;
    expect(b.tryAcquire('t')).toBe(true);
    b.recordSuccess('t');
    expect(b.state('t')).toBe(CircuitState.CLOSED);
    expect(b.tryAcquire('t')).toBe(true);
  });

  test('release frees the probe of a call that ended in a client error', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.recordFailure('t');
    now = 1000;
    expect(b.tryAcquire('t')).toBe(true);
    b.release('t');
    expect(b.tryAcquire('t')).toBe(true);
  });

  test('circuits are independent per key', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.recordFailure('a');
    expect(b.tryAcquire('b')).toBe(true);
  });
});

describe('backoffDelayMs', () => {
  test('full jitter under an exponential ceiling capped by maxDelayMs', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, policy, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });
});

describe('sleep', () => {
  test('an abort cuts it short', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const done = sleep(10_000, controller.signal);
    controller.abort();
    await done;
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
