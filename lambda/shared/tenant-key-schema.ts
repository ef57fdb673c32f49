/**
 * The layout of the tenant-key table, shared by the constructs that create it
 * (`lib/gateway/tenant-keys/`), the Lambda authorizer that reads it (`lambda/authorizer/`) and the
 * key-management CLI that writes it (`cli/keys/`). Dependency-free on purpose: `lib/` may import
 * it.
 *
 * One item per tenant key, addressed by the SHA-256 of the key — the key itself is never stored:
 *
 * | attribute    | type | meaning                                                                  |
 * |--------------|------|--------------------------------------------------------------------------|
 * | `pk`         | S    | `KEY#<hex SHA-256 of the key>` (partition key)                           |
 * | `keyId`      | S    | the first 12 hex characters of the hash: the key's name in logs and CLI   |
 * | `keyPrefix`  | S    | the first characters of the key (`sk-gw-abcd`), to help humans match it  |
 * | `tenantId`   | S    | the tenant the key authenticates (partition key of the `byTenant` index) |
 * | `tier`       | S    | the tenant's tier: which usage plan throttles it                        |
 * | `aliases`    | L    | route aliases this key may call (strings); empty: the tenant's own list  |
 * | `status`     | S    | `active` or `revoked`                                                    |
 * | `createdAt`  | S    | ISO 8601 (sort key of the `byTenant` index)                              |
 * | `expiresAt`  | S    | ISO 8601, optional: the key fails closed (403) from then on              |
 * | `revokedAt`  | S    | ISO 8601, set by `keys revoke`                                           |
 * | `usageKeyId` | S    | id of the tenant's API Gateway API key (its usage plan membership)      |
 * | `usageKey`   | S    | that API key's value: the authorizer's `usageIdentifierKey`             |
 * | `sensitivityFloor` | S | optional: the lowest sensitivity of the key's requests (`public`, `internal`, `restricted`); it raises the tenant's floor, never lowers it |
 */
import { ALIAS_PATTERN, ID_PATTERN } from './schema';

/** Attribute names of a tenant-key item. */
export const TENANT_KEY_ATTRIBUTES = {
  pk: 'pk',
  keyId: 'keyId',
  keyPrefix: 'keyPrefix',
  tenantId: 'tenantId',
  tier: 'tier',
  aliases: 'aliases',
  status: 'status',
  createdAt: 'createdAt',
  expiresAt: 'expiresAt',
  revokedAt: 'revokedAt',
  usageKeyId: 'usageKeyId',
  usageKey: 'usageKey',
  sensitivityFloor: 'sensitivityFloor',
} as const;

/** Prefix of the partition key of a key item; the hex SHA-256 of the key follows. */
export const TENANT_KEY_PK_PREFIX = 'KEY#';

/** The global secondary index that lists a tenant's keys (`keys list`, `keys revoke`). */
export const TENANT_KEY_INDEX = {
  name: 'byTenant',
  partitionKey: TENANT_KEY_ATTRIBUTES.tenantId,
  sortKey: TENANT_KEY_ATTRIBUTES.createdAt,
  /**
   * Attributes copied into the index besides the keys. `usageKey` is deliberately absent: the
   * index is for listing, and listing never needs the usage identifier.
   */
  projectedAttributes: [
    TENANT_KEY_ATTRIBUTES.keyId,
    TENANT_KEY_ATTRIBUTES.keyPrefix,
    TENANT_KEY_ATTRIBUTES.tier,
    TENANT_KEY_ATTRIBUTES.aliases,
    TENANT_KEY_ATTRIBUTES.status,
    TENANT_KEY_ATTRIBUTES.expiresAt,
    TENANT_KEY_ATTRIBUTES.revokedAt,
    TENANT_KEY_ATTRIBUTES.usageKeyId,
    TENANT_KEY_ATTRIBUTES.sensitivityFloor,
  ],
} as const;

/** Values of the `status` attribute. */
export const TENANT_KEY_STATUS = {
  active: 'active',
  revoked: 'revoked',
} as const;

/** Number of hex characters of the key hash that name a key (`keyId`). */
export const TENANT_KEY_ID_LENGTH = 12;

/**
 * Tenant ids: the gateway configuration's id rule (lower-case letters, digits, `-`, `_` and `.`,
 * starting with a letter or digit, at most 64 characters).
 */
export const TENANT_ID_PATTERN = ID_PATTERN;

/** Tier names: the same rule as tenant ids (the router's `AuthorizerContext.decode` checks it). */
export const TIER_NAME_PATTERN = ID_PATTERN;

/** Route aliases a key may be limited to: the gateway configuration's alias rule (`auto` excluded). */
export const KEY_ALIAS_PATTERN = ALIAS_PATTERN;

/**
 * Tags on each tenant's API Gateway API key. `keys create` finds the tenant's API key (and its
 * tier) by these tags, so the usage identifier it stores is the one the usage plan knows.
 */
export const TENANT_API_KEY_TAGS = {
  tenant: 'cdk-ai-gateway:tenant',
  tier: 'cdk-ai-gateway:tier',
  table: 'cdk-ai-gateway:tenant-key-table',
} as const;

/** Environment variables of the authorizer function. */
export const AUTHORIZER_ENV = {
  tableName: 'TENANT_KEY_TABLE_NAME',
  cacheTtlSeconds: 'KEY_CACHE_TTL_SECONDS',
  cacheMaxEntries: 'KEY_CACHE_MAX_ENTRIES',
} as const;
