/**
 * The budget hook: a reservation before the model call (refused → 429 `budget_exceeded`) and a
 * settlement with the actual cost after it. The default reserves nothing; the DynamoDB
 * implementation with conditional writes is ./dynamo-budget.ts.
 */

export interface BudgetRequest {
  readonly requestId: string;
  readonly tenantId: string;
  readonly route: string;
  /** Worst-case cost of the request on the most expensive candidate target, in USD. */
  readonly estimatedCostUsd: number;
  /** Epoch ms the request arrived. @default now */
  readonly receivedAt?: number;
  /**
   * Fields of the usage record the sweeper writes if the invocation dies before settling
   * (workflow, prompt, key, tier, stream, …), kept on the request's in-flight item.
   */
  readonly recordFields?: Readonly<Record<string, string | boolean>>;
}

/** The key of a request's in-flight item. */
export interface InflightKey {
  readonly pk: string;
  readonly sk: string;
}

export interface BudgetReservation {
  readonly requestId: string;
  readonly tenantId: string;
  readonly reservedUsd: number;
  /** The budget items the amount is reserved on (the guard's own keys), to settle on the same ones. */
  readonly periods?: readonly string[];
  /** The request's in-flight item, deleted by its settlement (or settled by the sweeper). */
  readonly inflight?: InflightKey;
  /**
   * True when the usage ledger settles this reservation in the same transaction as the usage
   * record (then the gateway does not call `settle`).
   */
  readonly settlesWithRecord?: boolean;
  /**
   * Work the guard started with the reservation that the request need not wait for (reading the
   * budget back for the use metric and the threshold event, off the path to the model). The
   * gateway awaits it before the usage record, so it ends within the invocation. Never rejects.
   */
  readonly pending?: Promise<void>;
}

export interface BudgetGuard {
  /**
   * Reserves the estimated cost. Throws a `RateLimitError` (code `budget_exceeded`, with the time
   * until the budget renews) when the tenant's budget cannot cover it.
   */
  reserve(request: BudgetRequest): Promise<BudgetReservation>;
  /** Replaces the reservation by the actual cost (0 when no tokens were spent). Must not throw. */
  settle(reservation: BudgetReservation, actualCostUsd: number): Promise<void>;
}

/** No budgets: every reservation succeeds, settlement does nothing. */
export class NoBudgetGuard implements BudgetGuard {
  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    return { requestId: request.requestId, tenantId: request.tenantId, reservedUsd: 0 };
  }

  async settle(): Promise<void> {
    // nothing reserved, nothing to settle
  }
}
