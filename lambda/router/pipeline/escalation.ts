/**
 * The escalation route of a validation policy: the `escalateTo` alias planned for this request,
 * under the same rules as the first route — tenant policy (the tenant may call it, it admits the
 * request's sensitivity; the sensitivity is carried over, so an escalation never lowers it) and the
 * operators' incident controls (a suspended route is not escalated to, suspended targets are
 * skipped, forced fallbacks apply). When the escalation cannot be used, the policy goes straight to
 * its final action and the usage record names the reason (`escalationSkipped`).
 */
import { GatewayError } from '../errors';
import { IncidentControlsStage } from './controls';
import { applyTenantPolicy } from './policy';
import { RouteSelectionInput, selectRoute } from './route';
import { RoutePlan } from './types';

/** The escalation of a request: its plan, or why it cannot be used (the refusal's error code). */
export type EscalationPlan =
  | { readonly alias: string; readonly plan: RoutePlan; readonly unavailable?: undefined }
  | { readonly alias: string; readonly plan?: undefined; readonly unavailable: string };

/**
 * An escalation that was planned but could not be served as planned (its redaction or input
 * guardrail blocked the prompt): the policy goes on to its final action, and `code` is recorded.
 */
export class EscalationUnavailable extends Error {
  constructor(readonly code: string) {
    super(`the escalation could not be used (${code})`);
    this.name = 'EscalationUnavailable';
  }
}

/**
 * @example
 * const escalation = await planEscalation(selection, 'strong', controls);
 * if (escalation.plan) { ... } else { trace records escalation.unavailable }
 */
export async function planEscalation(selection: RouteSelectionInput, alias: string, controls: IncidentControlsStage): Promise<EscalationPlan> {
  try {
    const hints = { ...selection.hints, sensitivity: selection.policy.sensitivity };
    const policy = applyTenantPolicy(selection.tenant, alias, hints, selection.config);
    const planned = selectRoute({ ...selection, hints, policy, request: { ...selection.request, model: alias } });
    return { alias, plan: await controls.apply(planned, selection.tenant) };
  } catch (error) {
    if (error instanceof GatewayError) return { alias, unavailable: error.code };
    throw error;
  }
}
