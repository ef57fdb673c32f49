/**
 * Stage: the budget reservation of a planned request — the worst case of its most expensive
 * candidate (plus what retrieval costs), before any model call (chat completions and embeddings alike).
 */
import { BudgetGuard, BudgetReservation, NoBudgetGuard } from '../usage/budget';
import { RoutePlan } from './types';
import { RequestTrace } from './usage';

/**
 * Reserves the plan's worst-case cost (or `answersCostUsd`) for the traced request; throws the guard's `RateLimitError`
 * when the tenant's budget cannot cover it.
 *
 * @example budget.reservation = await reserveForPlan(this.budget, trace, plan, request.receivedAt);
 */
export function reserveForPlan(
  guard: BudgetGuard, trace: RequestTrace, plan: RoutePlan, receivedAt: number, extraCostUsd = 0,
  answersCostUsd = Math.max(...plan.candidates.map((c) => c.estimatedCostUsd)),
): Promise<BudgetReservation> {
  return guard.reserve({
    requestId: trace.requestId,
    tenantId: trace.tenant!.tenantId,
    route: plan.alias,
    // extraCostUsd: what the request costs whichever target serves it (a knowledge source's search).
    // answersCostUsd: the answers' worst case (the plan's bound, or what a validation policy may ask for).
    estimatedCostUsd: answersCostUsd + extraCostUsd,
    receivedAt,
    // Only a guard that keeps in-flight items needs them (NoBudgetGuard does not).
    ...(guard instanceof NoBudgetGuard ? {} : { recordFields: trace.abandonedRecordFields() }),
  });
}
