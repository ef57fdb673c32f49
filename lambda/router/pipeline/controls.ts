/**
 * Stage: incident controls — the operators' kill switch, applied to the route plan.
 *
 * An operator suspends a tenant, a key, a route or a target, or forces a route to its fallback,
 * with `cdk-ai-gateway incident …`; the controls live in a table (or, in local mode, a file) that
 * this stage reads at most every `cacheMs` (30 s at most), so a control takes effect within that
 * time on every warm router, without a deploy.
 *
 * | control            | effect                                                             |
 * |--------------------|--------------------------------------------------------------------|
 * | tenant suspended   | 403 `tenant_suspended`                                             |
 * | key suspended      | 403 `key_suspended`                                                |
 * | route suspended    | 503 `route_suspended`                                              |
 * | target suspended   | the target is skipped; no target left: 503 `targets_suspended`     |
 * | forced fallback    | the route's primary target is skipped; no fallback left: 503 `fallback_unavailable` |
 *
 * Fail-safe behaviour: when the controls cannot be read, the router keeps the last controls it read
 * (a suspension stays in force through a DynamoDB outage) and tries again after `retryMs`; a router
 * that has never read them serves without controls (a storage blip must not become an outage of
 * every tenant) and logs `incident controls unavailable` on each failed read. The authorizer,
 * which reads with strong consistency and fails closed, still refuses suspended tenants and keys.
 */
import { ResolvedGatewayConfig } from '../../shared/defaults';
import { CONTROL_KINDS, ControlKind, MAX_CONTROLS_CACHE_SECONDS } from '../../shared/incident-controls-schema';
import { PermissionDeniedError, ServiceUnavailableError } from '../errors';
import { CachedSnapshot, CachedSnapshotOptions } from '../reliability/cached-snapshot';
import { RoutePlan, TenantContext } from './types';

/** One active control. */
export interface ControlEntry {
  readonly kind: ControlKind;
  readonly subject: string;
  readonly reason: string;
  /** Who set it (an IAM ARN, or the local user). */
  readonly actor: string;
  /** ISO 8601 time it was set. */
  readonly at: string;
}

/** Where the active controls are read from (the table, a file, memory). */
export interface ControlsLoader {
  load(): Promise<readonly ControlEntry[]>;
}

export type CachedControlsOptions = CachedSnapshotOptions;

/** Controls by kind and subject, for lookups. */
export class ControlSet {
  static readonly EMPTY = new ControlSet([]);
  private readonly byKey = new Map<string, ControlEntry>();

  constructor(readonly entries: readonly ControlEntry[]) {
    for (const entry of entries) this.byKey.set(`${entry.kind}#${entry.subject}`, entry);
  }

  get(kind: ControlKind, subject: string | undefined): ControlEntry | undefined {
    return subject === undefined ? undefined : this.byKey.get(`${kind}#${subject}`);
  }
}

/**
 * The controls of one router process, read through `loader` at most every `cacheMs` (30 s at
 * most); concurrent requests share one read. See the module comment for what happens when a read
 * fails.
 */
export class CachedControls extends CachedSnapshot<ControlSet> {
  constructor(loader: ControlsLoader, options: CachedControlsOptions = {}) {
    super({ load: async () => new ControlSet(await loader.load()) }, {
      empty: ControlSet.EMPTY,
      maxCacheMs: MAX_CONTROLS_CACHE_SECONDS * 1000,
      unavailable: 'incident controls unavailable',
      keptLast: 'last controls read',
      keptNone: 'none (serving without controls)',
    }, options);
  }
}

/**
 * Throws 403 `tenant_suspended` or `key_suspended` when the caller's tenant or key is suspended:
 * the first check of every endpoint (`IncidentControlsStage.admit`), and again in
 * `applyIncidentControls` for plans made without an endpoint (batch lines).
 */
export function refuseSuspendedCaller(tenant: TenantContext, controls: ControlSet): void {
  if (controls.entries.length === 0) return;
  if (controls.get(CONTROL_KINDS.tenant, tenant.tenantId)) {
    throw new PermissionDeniedError('This tenant is suspended by the gateway operators.', 'tenant_suspended');
  }
  if (controls.get(CONTROL_KINDS.key, tenant.keyId)) {
    throw new PermissionDeniedError('This API key is suspended by the gateway operators.', 'key_suspended');
  }
}

/**
 * Applies the controls in force to a route plan (after route selection). Throws the client's
 * error for a suspended tenant, key or route, or when the controls leave no target.
 *
 * @example
 * const plan = applyIncidentControls(selectRoute(input), tenant, await controls.get(), config);
 */
export function applyIncidentControls(plan: RoutePlan, tenant: TenantContext, controls: ControlSet, config: ResolvedGatewayConfig): RoutePlan {
  if (controls.entries.length === 0) return plan;
  refuseSuspendedCaller(tenant, controls);
  if (controls.get(CONTROL_KINDS.route, plan.alias)) {
    throw new ServiceUnavailableError(`The model '${plan.alias}' is suspended by the gateway operators; retry later.`, 'route_suspended', 60);
  }
  const primary = config.routes.get(plan.alias)?.targets[0];
  const forced = controls.get(CONTROL_KINDS.fallback, plan.alias) !== undefined;
  const skipped = [...plan.skipped];
  const candidates = plan.candidates.filter((c) => {
    if (forced && c.config.id === primary) {
      skipped.push({ targetId: c.config.id, reason: 'forced_fallback', estimatedCostUsd: c.estimatedCostUsd });
      return false;
    }
    if (controls.get(CONTROL_KINDS.target, c.config.id)) {
      skipped.push({ targetId: c.config.id, reason: 'target_suspended', estimatedCostUsd: c.estimatedCostUsd });
      return false;
    }
    return true;
  });
  if (candidates.length === plan.candidates.length) return plan;
  if (candidates.length === 0) {
    const onlyForced = forced && !skipped.some((s) => s.reason === 'target_suspended');
    throw onlyForced
      ? new ServiceUnavailableError(`The model '${plan.alias}' is forced to its fallback, and it has none available; retry later.`, 'fallback_unavailable', 60)
      : new ServiceUnavailableError(`Every target of the model '${plan.alias}' is suspended by the gateway operators; retry later.`, 'targets_suspended', 60);
  }
  return { ...plan, candidates, skipped };
}

/**
 * The incident-controls stage of a gateway: `admit` before any other work of every endpoint,
 * `apply` on each route plan. Without a loader both pass everything.
 */
export class IncidentControlsStage {
  constructor(private readonly config: ResolvedGatewayConfig, private readonly controls?: CachedControls) {}

  /**
   * Refuses a suspended tenant or key (403); resolves when the caller may go on. Synchronous
   * (`undefined`, no promise, no extra tick) without a loader.
   */
  admit(tenant: TenantContext): Promise<void> | undefined {
    if (!this.controls) return undefined;
    return this.controls.get().then((controls) => refuseSuspendedCaller(tenant, controls));
  }

  /** The plan as the controls leave it; synchronous (no promise, no extra tick) without a loader. */
  apply(plan: RoutePlan, tenant: TenantContext): RoutePlan | Promise<RoutePlan> {
    if (!this.controls) return plan;
    return this.controls.get().then((controls) => applyIncidentControls(plan, tenant, controls, this.config));
  }
}
