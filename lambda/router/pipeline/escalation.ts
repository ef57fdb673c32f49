/**
 * The escalation route of a validation policy: the `escalateTo` alias planned for this request, or
 * nothing when the tenant may not call it or it does not admit the request's sensitivity (the
 * policy then goes straight to its final action). The request's sensitivity is carried over, so an
 * escalation never lowers it.
 */
import { GatewayError } from '../errors';
import { applyTenantPolicy } from './policy';
import { RouteSelectionInput, selectRoute } from './route';
import { RoutePlan } from './types';

/**
 * @example
 * const escalation = planEscalation(selection, 'strong');
 */
export function planEscalation(selection: RouteSelectionInput, alias: string): RoutePlan | undefined {
  try {
    const hints = { ...selection.hints, sensitivity: selection.policy.sensitivity };
    const policy = applyTenantPolicy(selection.tenant, alias, hints, selection.config);
    return selectRoute({ ...selection, hints, policy, request: { ...selection.request, model: alias } });
  } catch (error) {
    if (error instanceof GatewayError) return undefined;
    throw error;
  }
}
