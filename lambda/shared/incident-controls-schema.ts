/**
 * The layout of the incident-controls table, shared by the construct that creates it
 * (`lib/incident/`), the router that reads it (`lambda/router/incident/`) and the operator CLI that
 * writes it (`cli/incident.ts`). Dependency-free on purpose: `lib/` may import it.
 *
 * Two kinds of items, in one table keyed by `pk` (partition) and `sk` (sort):
 *
 * | item             | `pk`       | `sk`                                 | attributes                                        |
 * |------------------|------------|--------------------------------------|---------------------------------------------------|
 * | an active control | `CONTROL` | `<kind>#<subject>`                   | `kind`, `subject`, `reason`, `actor`, `account`, `at` |
 * | a history entry  | `HISTORY`  | `<ISO 8601 time>#<random id>`        | `action`, `kind`, `subject`, `reason`, `actor`, `account`, `at` |
 *
 * The router reads the active controls with one Query on `pk = CONTROL` (its role may read nothing
 * else). The CLI writes a control and its history entry in one transaction, the history entry
 * only if it does not exist yet (never overwritten); `resume` deletes the control and appends
 * a history entry the same way.
 */

/** What a control stops. */
export const CONTROL_KINDS = {
  /** Every request of the tenant: 403 `tenant_suspended`. */
  tenant: 'tenant',
  /** Every request with the key (by its 12-character key id): 403 `key_suspended`. */
  key: 'key',
  /** Every request for the route alias: 503 `route_suspended`. */
  route: 'route',
  /** The target is skipped on every route; a route left without targets answers 503 `targets_suspended`. */
  target: 'target',
  /** The route skips its primary target and serves from its fallbacks. */
  fallback: 'fallback',
} as const;
export type ControlKind = (typeof CONTROL_KINDS)[keyof typeof CONTROL_KINDS];

/** What an operator did, in a history entry. */
export const CONTROL_ACTIONS = { suspend: 'suspend', resume: 'resume' } as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[keyof typeof CONTROL_ACTIONS];

/** Attribute names of the items. */
export const CONTROL_ATTRIBUTES = {
  pk: 'pk',
  sk: 'sk',
  kind: 'kind',
  subject: 'subject',
  reason: 'reason',
  /** The IAM ARN of the operator (STS GetCallerIdentity), or the local user in local mode. */
  actor: 'actor',
  account: 'account',
  /** ISO 8601 time of the action. */
  at: 'at',
  action: 'action',
} as const;

/** Partition key values. */
export const CONTROL_PARTITIONS = { active: 'CONTROL', history: 'HISTORY' } as const;

/** Environment of the router: the table's name, and how long it keeps the controls it read. */
export const CONTROLS_ENV = {
  tableName: 'GATEWAY_CONTROLS_TABLE',
  cacheSeconds: 'GATEWAY_CONTROLS_CACHE_SECONDS',
} as const;

/** The longest the router keeps controls before it reads them again, in seconds. */
export const MAX_CONTROLS_CACHE_SECONDS = 30;

/** The sort key of an active control. */
export function controlSortKey(kind: ControlKind, subject: string): string {
  return `${kind}#${subject}`;
}

/** Whether `value` is one of the control kinds. */
export function isControlKind(value: unknown): value is ControlKind {
  return typeof value === 'string' && (Object.values(CONTROL_KINDS) as string[]).includes(value);
}
