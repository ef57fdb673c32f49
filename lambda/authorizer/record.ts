/**
 * A tenant-key item as a typed value, and its DynamoDB form. The authorizer reads items with
 * `fromItem`, the key CLI writes them with `toItem`: one codec, so both sides agree on the
 * layout defined in ../shared/tenant-key-schema.ts.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  KEY_ALIAS_PATTERN, TENANT_ID_PATTERN, TENANT_KEY_ATTRIBUTES as A, TENANT_KEY_PK_PREFIX, TENANT_KEY_STATUS, TIER_NAME_PATTERN,
} from '../shared/tenant-key-schema';
import { Sensitivity } from '../shared/config';
import { keyIdOf } from './key';

export type TenantKeyStatus = (typeof TENANT_KEY_STATUS)[keyof typeof TENANT_KEY_STATUS];

/** One tenant key, as stored (by hash; the key itself is never stored). */
export interface TenantKeyRecord {
  /** Hex SHA-256 of the key. */
  readonly keyHash: string;
  /** First 12 hex characters of the hash. */
  readonly keyId: string;
  /** The key's first characters, for humans (`sk-gw-abcd`). */
  readonly keyPrefix: string;
  readonly tenantId: string;
  readonly tier: string;
  /** Route aliases this key may call; empty: no restriction beyond the tenant's own list. */
  readonly aliases: readonly string[];
  readonly status: TenantKeyStatus;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601; absent: the key does not expire. */
  readonly expiresAt?: string;
  /** ISO 8601; set when the key was revoked. */
  readonly revokedAt?: string;
  /** Id of the tenant's API Gateway API key. */
  readonly usageKeyId?: string;
  /** Value of that API key: the authorizer's `usageIdentifierKey`. */
  readonly usageKey?: string;
  /** The lowest sensitivity of the key's requests; absent: the tenant's floor. */
  readonly sensitivityFloor?: Sensitivity;
}

export type Item = Record<string, AttributeValue>;

const HEX_HASH = /^[0-9a-f]{64}$/;
const ALIAS = new RegExp(KEY_ALIAS_PATTERN);
const TENANT_ID = new RegExp(TENANT_ID_PATTERN);
const TIER = new RegExp(TIER_NAME_PATTERN);

/** Whether `value` is a valid route alias (the gateway configuration's rule; `auto` is not an alias). */
export function isAlias(value: string): boolean {
  return ALIAS.test(value) && value !== 'auto';
}

/** Whether `value` is one of the sensitivities. */
export function isSensitivity(value: string | undefined): value is Sensitivity {
  return (Object.values(Sensitivity) as (string | undefined)[]).includes(value);
}

/** Whether `value` is a valid tenant id. */
export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value);
}

/** Whether `value` is a valid tier name. */
export function isTierName(value: string): boolean {
  return TIER.test(value);
}

/** The DynamoDB item of a record. */
export function toItem(record: TenantKeyRecord): Item {
  const item: Item = {
    [A.pk]: { S: TENANT_KEY_PK_PREFIX + record.keyHash },
    [A.keyId]: { S: record.keyId },
    [A.keyPrefix]: { S: record.keyPrefix },
    [A.tenantId]: { S: record.tenantId },
    [A.tier]: { S: record.tier },
    [A.aliases]: { L: record.aliases.map((a) => ({ S: a })) },
    [A.status]: { S: record.status },
    [A.createdAt]: { S: record.createdAt },
  };
  if (record.expiresAt !== undefined) item[A.expiresAt] = { S: record.expiresAt };
  if (record.revokedAt !== undefined) item[A.revokedAt] = { S: record.revokedAt };
  if (record.usageKeyId !== undefined) item[A.usageKeyId] = { S: record.usageKeyId };
  if (record.usageKey !== undefined) item[A.usageKey] = { S: record.usageKey };
  if (record.sensitivityFloor !== undefined) item[A.sensitivityFloor] = { S: record.sensitivityFloor };
  return item;
}

export type ParsedItem =
  | { readonly ok: true; readonly record: TenantKeyRecord }
  | { readonly ok: false; readonly problem: string };

function str(item: Item, name: string): string | undefined {
  const v = item[name];
  return v !== undefined && 'S' in v && typeof v.S === 'string' ? v.S : undefined;
}

function isIsoDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * The record of a DynamoDB item, checked attribute by attribute. An item that does not follow the
 * layout is reported, never guessed at: the authorizer fails closed on it.
 */
export function fromItem(item: Item): ParsedItem {
  const pk = str(item, A.pk);
  if (pk === undefined || !pk.startsWith(TENANT_KEY_PK_PREFIX)) return { ok: false, problem: `${A.pk} is missing or not ${TENANT_KEY_PK_PREFIX}<hash>` };
  const keyHash = pk.slice(TENANT_KEY_PK_PREFIX.length);
  if (!HEX_HASH.test(keyHash)) return { ok: false, problem: `${A.pk} does not hold a hex SHA-256` };
  const tenantId = str(item, A.tenantId);
  if (tenantId === undefined || !isTenantId(tenantId)) return { ok: false, problem: `${A.tenantId} is missing or invalid` };
  const tier = str(item, A.tier);
  if (tier === undefined || !isTierName(tier)) return { ok: false, problem: `${A.tier} is missing or invalid` };
  const status = str(item, A.status);
  if (status !== TENANT_KEY_STATUS.active && status !== TENANT_KEY_STATUS.revoked) {
    return { ok: false, problem: `${A.status} is neither ${TENANT_KEY_STATUS.active} nor ${TENANT_KEY_STATUS.revoked}` };
  }
  const createdAt = str(item, A.createdAt);
  if (createdAt === undefined || !isIsoDate(createdAt)) return { ok: false, problem: `${A.createdAt} is missing or not ISO 8601` };
  const expiresAt = str(item, A.expiresAt);
  if (item[A.expiresAt] !== undefined && (expiresAt === undefined || !isIsoDate(expiresAt))) {
    return { ok: false, problem: `${A.expiresAt} is not ISO 8601` };
  }
  const aliasesValue = item[A.aliases];
  let aliases: string[] = [];
  if (aliasesValue !== undefined) {
    if (!('L' in aliasesValue) || !Array.isArray(aliasesValue.L)) return { ok: false, problem: `${A.aliases} is not a list` };
    for (const entry of aliasesValue.L) {
      if (!('S' in entry) || typeof entry.S !== 'string' || !isAlias(entry.S)) return { ok: false, problem: `${A.aliases} holds an invalid alias` };
    }
    aliases = aliasesValue.L.map((entry) => entry.S as string);
  }
  const floor = str(item, A.sensitivityFloor);
  if (item[A.sensitivityFloor] !== undefined && !isSensitivity(floor)) {
    return { ok: false, problem: `${A.sensitivityFloor} is not one of ${Object.values(Sensitivity).join(', ')}` };
  }
  const record: TenantKeyRecord = {
    keyHash,
    keyId: str(item, A.keyId) ?? keyIdOf(keyHash),
    keyPrefix: str(item, A.keyPrefix) ?? '',
    tenantId,
    tier,
    aliases,
    status,
    createdAt,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(str(item, A.revokedAt) !== undefined ? { revokedAt: str(item, A.revokedAt) } : {}),
    ...(str(item, A.usageKeyId) !== undefined ? { usageKeyId: str(item, A.usageKeyId) } : {}),
    ...(str(item, A.usageKey) !== undefined ? { usageKey: str(item, A.usageKey) } : {}),
    ...(isSensitivity(floor) ? { sensitivityFloor: floor } : {}),
  };
  return { ok: true, record };
}
