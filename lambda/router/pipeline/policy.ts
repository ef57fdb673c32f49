/**
 * Stage: tenant policy. The alias must be one the caller may use (unknown aliases and other
 * tenants' aliases get the same 404, so nothing leaks about which exist); the request's sensitivity
 * is the higher of its hint (or the tenant's default) and the caller's floor (tenant and key), and
 * must be within the tenant's clearance; restricted requests may name only routes marked
 * `restrictedAllowed` (for `auto`, route.ts picks only such routes).
 */
import { LatencyClass, Sensitivity } from '../../shared/config';
import { maxSensitivity, ResolvedGatewayConfig, sensitivityAbove } from '../../shared/defaults';
import { AUTO_ALIAS } from '../../shared/schema';
import { NotFoundError, PermissionDeniedError } from '../errors';
import { PolicyDecision, RoutingHints, TenantContext } from './types';

/** The latency class of a request without a latency hint. */
export const DEFAULT_LATENCY_CLASS = LatencyClass.STANDARD;

/** The 404 for an alias the caller may not use, whether or not it exists. */
export function modelNotFound(model: string): NotFoundError {
  const shown = model.length > 64 ? `${model.slice(0, 64)}…` : model;
  return new NotFoundError(`The model '${shown}' does not exist or you do not have access to it.`, 'model_not_found', 'model');
}

/**
 * Applies the tenant's policy to a request for `model`.
 *
 * @example
 * const decision = applyTenantPolicy(tenant, 'support-summary', hints, config);
 */
export function applyTenantPolicy(
  tenant: TenantContext, model: string, hints: RoutingHints, config: ResolvedGatewayConfig,
): PolicyDecision {
  if (model === AUTO_ALIAS) {
    const reachable = config.autoRouting.some((rule) => tenant.allowedAliases.has(rule.alias));
    if (!reachable) throw modelNotFound(model);
  } else if (!tenant.allowedAliases.has(model) || !config.routes.has(model)) {
    throw modelNotFound(model);
  }
  // A hint may raise the sensitivity, never lower it below the caller's floor.
  const sensitivity = maxSensitivity(hints.sensitivity ?? tenant.defaultSensitivity, tenant.sensitivityFloor);
  if (sensitivityAbove(sensitivity, tenant.sensitivityClearance)) {
    throw new PermissionDeniedError(
      `This tenant is not cleared for ${sensitivity} data (its clearance is ${tenant.sensitivityClearance}).`,
      'sensitivity_not_cleared', 'sensitivity');
  }
  if (model !== AUTO_ALIAS && sensitivity === Sensitivity.RESTRICTED && !config.routes.get(model)!.restrictedAllowed) {
    throw new PermissionDeniedError(
      `The model '${model}' is not cleared for restricted data; use a model cleared for it.`, 'route_not_cleared', 'model');
  }
  return { sensitivity, latencyClass: hints.latencyClass ?? DEFAULT_LATENCY_CLASS };
}
