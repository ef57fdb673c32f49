/**
 * A circuit breaker per target: `failureThreshold` consecutive failures open the circuit; an open
 * circuit skips the target for `cooldownMs`; then one probe call is let through (half-open). The
 * probe's success closes the circuit, its failure opens it again for another cooldown.
 *
 * State lives in the warm container (one `CircuitBreakers` per module), so each Lambda execution
 * environment learns on its own: a deliberate trade-off against a shared store on the request path.
 */

export enum CircuitState {
  CLOSED = 'closed',
  OPEN = 'open',
  HALF_OPEN = 'half_open',
}

interface Circuit {
  state: CircuitState;
  failures: number;
  openedAt: number;
  probeInFlight: boolean;
}

export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  /** The clock, for tests. @default Date.now */
  readonly now?: () => number;
}

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  private circuit(key: string): Circuit {
    let c = this.circuits.get(key);
    if (!c) {
      c = { state: CircuitState.CLOSED, failures: 0, openedAt: 0, probeInFlight: false };
      this.circuits.set(key, c);
    }
    return c;
  }

  /** The state of a circuit, moving an open circuit whose cooldown has passed to half-open. */
  state(key: string): CircuitState {
    const c = this.circuits.get(key);
    if (!c) return CircuitState.CLOSED;
    if (c.state === CircuitState.OPEN && this.now() - c.openedAt >= this.options.cooldownMs) {
      c.state = CircuitState.HALF_OPEN;
      c.probeInFlight = false;
    }
    return c.state;
  }

  /** Whether a call to the target could be made now (without reserving the half-open probe). */
  isAvailable(key: string): boolean {
    const state = this.state(key);
    if (state === CircuitState.CLOSED) return true;
    if (state === CircuitState.HALF_OPEN) return !this.circuit(key).probeInFlight;
    return false;
  }

  /** Reserves a call: true when it may go ahead (in half-open state, only the single probe may). */
  tryAcquire(key: string): boolean {
    const state = this.state(key);
    if (state === CircuitState.CLOSED) return true;
    if (state === CircuitState.OPEN) return false;
    const c = this.circuit(key);
    if (c.probeInFlight) return false;
    c.probeInFlight = true;
    return true;
  }

  /** Milliseconds until an open circuit lets a probe through (0 when not open). */
  retryAfterMs(key: string): number {
    const c = this.circuits.get(key);
    if (!c || this.state(key) !== CircuitState.OPEN) return 0;
    return Math.max(0, c.openedAt + this.options.cooldownMs - this.now());
  }

  recordSuccess(key: string): void {
    const c = this.circuit(key);
    c.state = CircuitState.CLOSED;
    c.failures = 0;
    c.probeInFlight = false;
  }

  recordFailure(key: string): void {
    const c = this.circuit(key);
    c.failures += 1;
    if (c.state === CircuitState.HALF_OPEN || c.failures >= this.options.failureThreshold) {
      c.state = CircuitState.OPEN;
      c.openedAt = this.now();
      c.probeInFlight = false;
    }
  }

  /**
   * Releases a reserved call that ended neither in success nor in a target failure (a client
   * error or a client disconnect): a half-open circuit lets the next call probe.
   */
  release(key: string): void {
    const c = this.circuits.get(key);
    if (c) c.probeInFlight = false;
  }
}
