/**
 * The authorizer's decision, independent of API Gateway's event shape: parse the bearer key,
 * look its SHA-256 up in the tenant-key table (through a small per-container cache), and decide.
 *
 * | situation                                         | decision       | API Gateway answers |
 * |---------------------------------------------------|----------------|---------------------|
 * | no, several or malformed `Authorization` headers  | `unauthorized` | 401                 |
 * | a well-formed key that is not in the table        | `unauthorized` | 401                 |
 * | a revoked key, an expired key, an unreadable item | `deny`         | 403                 |
 * | an active key                                     | `allow`        | the route's answer  |
 * | DynamoDB fails or times out                       | throws         | 500, not cached     |
 *
 * Nothing here ever logs or returns the key; the key's hash leaves this module only as its
 * 12-character `keyId`.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { TENANT_KEY_ATTRIBUTES as A, TENANT_KEY_STATUS } from '../shared/tenant-key-schema';
import { TtlCache } from './cache';
import { HeaderProblem, parseAuthorization, RequestHeaders } from './header';
import { hashTenantKey, keyIdOf, partitionKeyOf } from './key';
import { fromItem, isTenantId, TenantKeyRecord } from './record';

/** What the table says about a key hash; this, not the decision, is cached (expiry is re-checked on every call). */
export type KeyLookup =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'record'; readonly record: TenantKeyRecord }
  | { readonly kind: 'invalid'; readonly problem: string; readonly tenantId?: string };

export const DenyReason = {
  REVOKED: 'revoked',
  EXPIRED: 'expired',
  INVALID_RECORD: 'invalid-record',
} as const;
export type DenyReason = (typeof DenyReason)[keyof typeof DenyReason];

export const UNKNOWN_KEY = 'unknown-key';
export type UnauthorizedReason = HeaderProblem | typeof UNKNOWN_KEY;

export type Decision =
  | { readonly outcome: 'allow'; readonly record: TenantKeyRecord; readonly cached: boolean }
  | { readonly outcome: 'deny'; readonly reason: DenyReason; readonly keyId: string; readonly tenantId?: string; readonly cached: boolean; readonly detail?: string }
  | { readonly outcome: 'unauthorized'; readonly reason: UnauthorizedReason; readonly keyId?: string; readonly cached: boolean };

export interface AuthorizerDependencies {
  /** A DynamoDB client, created once per container with explicit timeouts and attempts. */
  readonly dynamodb: DynamoDBClient;
  /** Name of the tenant-key table. */
  readonly tableName: string;
  /** The per-container lookup cache, keyed by key hash. */
  readonly cache: TtlCache<KeyLookup>;
  /** The clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** The attributes the authorizer reads (never more: `ProjectionExpression`). */
const READ_ATTRIBUTES = [A.pk, A.keyId, A.keyPrefix, A.tenantId, A.tier, A.aliases, A.status, A.createdAt, A.expiresAt, A.usageKey, A.sensitivityFloor] as const;

/**
 * Looks `keyHash` up in the table with a strongly consistent read, so a revocation is seen by
 * the next lookup.
 */
export async function lookUpKey(deps: Pick<AuthorizerDependencies, 'dynamodb' | 'tableName'>, keyHash: string): Promise<KeyLookup> {
  const names: Record<string, string> = {};
  READ_ATTRIBUTES.forEach((name, i) => { names[`#a${i}`] = name; });
  const out = await deps.dynamodb.send(new GetItemCommand({
    TableName: deps.tableName,
    Key: { [A.pk]: { S: partitionKeyOf(keyHash) } },
    ConsistentRead: true,
    ProjectionExpression: Object.keys(names).join(', '),
    ExpressionAttributeNames: names,
  }));
  if (out.Item === undefined) return { kind: 'unknown' };
  const parsed = fromItem(out.Item);
  if (!parsed.ok) {
    const tenantId = out.Item[A.tenantId]?.S;
    return { kind: 'invalid', problem: parsed.problem, ...(tenantId !== undefined && isTenantId(tenantId) ? { tenantId } : {}) };
  }
  if (parsed.record.keyHash !== keyHash) return { kind: 'invalid', problem: 'the item is stored under another hash' };
  return { kind: 'record', record: parsed.record };
}

/**
 * Decides on one request. Throws when the table cannot be read: the caller must turn that into
 * an error response (500), never into an Allow.
 *
 * @example
 * const decision = await authorize({ headers: { Authorization: `Bearer ${key}` } }, deps);
 * if (decision.outcome === 'allow') console.log(decision.record.tenantId);
 */
export async function authorize(request: RequestHeaders, deps: AuthorizerDependencies): Promise<Decision> {
  const parsed = parseAuthorization(request);
  if (!parsed.ok) return { outcome: 'unauthorized', reason: parsed.problem, cached: false };

  const keyHash = hashTenantKey(parsed.key);
  const keyId = keyIdOf(keyHash);
  let lookup = deps.cache.get(keyHash);
  const cached = lookup !== undefined;
  if (lookup === undefined) {
    lookup = await lookUpKey(deps, keyHash);
    deps.cache.set(keyHash, lookup);
  }
  return decide(lookup, keyId, (deps.now ?? Date.now)(), cached);
}

/** The decision for a looked-up key at time `nowMs`. */
export function decide(lookup: KeyLookup, keyId: string, nowMs: number, cached: boolean): Decision {
  switch (lookup.kind) {
    case 'unknown':
      return { outcome: 'unauthorized', reason: UNKNOWN_KEY, keyId, cached };
    case 'invalid':
      return {
        outcome: 'deny', reason: DenyReason.INVALID_RECORD, keyId, cached, detail: lookup.problem,
        ...(lookup.tenantId !== undefined ? { tenantId: lookup.tenantId } : {}),
      };
    case 'record': {
      const { record } = lookup;
      if (record.status !== TENANT_KEY_STATUS.active) {
        return { outcome: 'deny', reason: DenyReason.REVOKED, keyId, tenantId: record.tenantId, cached };
      }
      if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= nowMs) {
        return { outcome: 'deny', reason: DenyReason.EXPIRED, keyId, tenantId: record.tenantId, cached };
      }
      return { outcome: 'allow', record, cached };
    }
  }
}
