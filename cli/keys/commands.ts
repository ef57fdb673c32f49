/**
 * The `keys` subcommands. Each takes validated options and the clients, writes its output
 * through `KeysOutput`, and throws `KeysCommandError` on failure.
 *
 * The clear key exists only in `create`, between its generation and the one line that prints it.
 */
import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { displayPrefixOf, generateTenantKey, hashTenantKey, keyIdOf } from '../../lambda/authorizer/key';
import { TenantKeyRecord } from '../../lambda/authorizer/record';
import { TENANT_API_KEY_TAGS, TENANT_KEY_STATUS } from '../../lambda/shared/tenant-key-schema';
import { findTenantApiKey, TenantApiKey } from './api-keys';
import { CreateOptions, ListOptions, RevokeOptions, SyncOptions } from './args';
import { KeysCommandError, UsageError } from './errors';
import { formatTable } from './output';
import { getKey, putNewKey, queryTenantKeys, revokeKey, updateUsage } from './store';

/** Where the commands write: results on stdout, messages for humans on stderr. */
export interface KeysOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export interface KeysContext {
  readonly dynamodb: DynamoDBClient;
  /** Created only when a command needs API Gateway. */
  readonly apiGateway: () => APIGatewayClient;
  readonly output: KeysOutput;
  readonly now: () => Date;
}

const DAY_MS = 86_400_000;

/** What `list` and `create --json` show of a key: never the key, never the usage identifier. */
function describe(record: TenantKeyRecord, now: Date): Record<string, unknown> {
  return {
    keyId: record.keyId,
    keyPrefix: record.keyPrefix,
    tenantId: record.tenantId,
    tier: record.tier,
    status: statusOf(record, now),
    aliases: [...record.aliases],
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    revokedAt: record.revokedAt ?? null,
    usageKeyId: record.usageKeyId ?? null,
    sensitivityFloor: record.sensitivityFloor ?? null,
  };
}

function statusOf(record: TenantKeyRecord, now: Date): string {
  if (record.status === TENANT_KEY_STATUS.revoked) return 'revoked';
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

async function resolveUsage(ctx: KeysContext, table: string, tenantId: string, apiKeyId: string | undefined): Promise<TenantApiKey> {
  return findTenantApiKey(ctx.apiGateway(), { tableName: table, tenantId, ...(apiKeyId !== undefined ? { apiKeyId } : {}) });
}

/** `keys create`: generate, store the hash, print the key once. */
export async function createKey(ctx: KeysContext, options: CreateOptions): Promise<void> {
  let usage: TenantApiKey | undefined;
  if (!options.noUsagePlan) {
    usage = await resolveUsage(ctx, options.table, options.tenant, options.apiKeyId);
    if (options.tier !== undefined && usage.tier !== undefined && usage.tier !== options.tier) {
      throw new UsageError(`--tier: ${JSON.stringify(options.tier)} differs from the tier of tenant ${options.tenant}'s API key (${usage.tier}); omit --tier or use ${usage.tier}.`);
    }
  }
  const tier = options.tier ?? usage?.tier;
  if (tier === undefined) {
    throw new UsageError(`--tier is required: API key ${usage?.id ?? ''} of tenant ${options.tenant} carries no tier tag.`);
  }

  const now = ctx.now();
  const key = generateTenantKey();
  const keyHash = hashTenantKey(key);
  const record: TenantKeyRecord = {
    keyHash,
    keyId: keyIdOf(keyHash),
    keyPrefix: displayPrefixOf(key),
    tenantId: options.tenant,
    tier,
    aliases: options.aliases,
    status: TENANT_KEY_STATUS.active,
    createdAt: now.toISOString(),
    ...(options.expiresInDays !== undefined ? { expiresAt: new Date(now.getTime() + options.expiresInDays * DAY_MS).toISOString() } : {}),
    ...(options.sensitivityFloor !== undefined ? { sensitivityFloor: options.sensitivityFloor } : {}),
    ...(usage !== undefined ? { usageKeyId: usage.id, usageKey: usage.value } : {}),
  };
  await putNewKey(ctx.dynamodb, options.table, record);

  if (options.json) {
    ctx.output.stdout(JSON.stringify({ key, ...describe(record, now) }));
  } else {
    ctx.output.stderr(
      `Created key ${record.keyId} for tenant ${record.tenantId}: tier ${record.tier}, ` +
      `aliases ${record.aliases.length > 0 ? record.aliases.join(',') : '(tenant default)'}, ` +
      `expires ${record.expiresAt ?? 'never'}, sensitivity floor ${record.sensitivityFloor ?? '(tenant default)'}${usage !== undefined ? `, usage plan API key ${usage.id}` : ', no usage plan'}.`,
    );
    ctx.output.stdout(key);
  }
  ctx.output.stderr('Store this key now: it is shown only this once. The gateway keeps only its SHA-256 and cannot show it again.');
}

/** `keys list`: the tenant's keys, never a key. */
export async function listKeys(ctx: KeysContext, options: ListOptions): Promise<void> {
  const now = ctx.now();
  const records = await queryTenantKeys(ctx.dynamodb, options.table, options.tenant, (problem) => ctx.output.stderr(`warning: skipped an unreadable item (${problem})`));
  if (options.json) {
    ctx.output.stdout(JSON.stringify(records.map((r) => describe(r, now))));
    return;
  }
  if (records.length === 0) {
    ctx.output.stderr(`Tenant ${options.tenant} has no keys in ${options.table}.`);
    return;
  }
  ctx.output.stdout(formatTable(
    ['KEY ID', 'PREFIX', 'TIER', 'STATUS', 'CREATED', 'EXPIRES', 'ALIASES'],
    records.map((r) => [
      r.keyId, `${r.keyPrefix}…`, r.tier, statusOf(r, now), r.createdAt, r.expiresAt ?? 'never',
      r.aliases.length > 0 ? r.aliases.join(',') : '(tenant default)',
    ]),
  ));
}

/** `keys revoke`: one key of the tenant, by a prefix of its id. */
export async function revokeTenantKey(ctx: KeysContext, options: RevokeOptions): Promise<void> {
  let keyHash: string;
  if (options.keyId.length === 64) {
    const record = await getKey(ctx.dynamodb, options.table, options.keyId);
    if (record === undefined || record.tenantId !== options.tenant) {
      throw new KeysCommandError(`Tenant ${options.tenant} has no key ${options.keyId.slice(0, 12)}… in ${options.table}.`);
    }
    keyHash = record.keyHash;
  } else {
    const matches = (await queryTenantKeys(ctx.dynamodb, options.table, options.tenant)).filter((r) => r.keyHash.startsWith(options.keyId));
    if (matches.length === 0) throw new KeysCommandError(`Tenant ${options.tenant} has no key whose id starts with ${options.keyId} in ${options.table}.`);
    if (matches.length > 1) {
      throw new KeysCommandError(`Key id ${options.keyId} matches ${matches.length} keys of tenant ${options.tenant} (${matches.map((m) => m.keyId).join(', ')}): give more characters.`);
    }
    keyHash = matches[0].keyHash;
  }

  const result = await revokeKey(ctx.dynamodb, options.table, keyHash, options.tenant, ctx.now());
  const keyId = keyIdOf(keyHash);
  if (result.revoked) {
    if (options.json) ctx.output.stdout(JSON.stringify({ keyId, tenantId: options.tenant, status: 'revoked', revokedAt: result.revokedAt }));
    else ctx.output.stdout(`Revoked key ${keyId} of tenant ${options.tenant} at ${result.revokedAt}.`);
    ctx.output.stderr('Requests with it fail with 403 once the authorizer caches expire (API Gateway result cache TTL plus the in-memory TTL).');
    return;
  }
  const current = await getKey(ctx.dynamodb, options.table, keyHash);
  if (current !== undefined && current.tenantId === options.tenant && current.status === TENANT_KEY_STATUS.revoked) {
    if (options.json) ctx.output.stdout(JSON.stringify({ keyId, tenantId: options.tenant, status: 'revoked', revokedAt: current.revokedAt ?? null }));
    else ctx.output.stdout(`Key ${keyId} of tenant ${options.tenant} was already revoked${current.revokedAt !== undefined ? ` at ${current.revokedAt}` : ''}.`);
    return;
  }
  throw new KeysCommandError(`Key ${keyId} changed while it was being revoked; run 'keys list' and try again.`);
}

/** `keys sync`: after a tier change, point the tenant's active keys at its API key and tier. */
export async function syncTenantKeys(ctx: KeysContext, options: SyncOptions): Promise<void> {
  const usage = await resolveUsage(ctx, options.table, options.tenant, options.apiKeyId);
  if (usage.tier === undefined) throw new KeysCommandError(`API key ${usage.id} of tenant ${options.tenant} carries no tier tag (${TENANT_API_KEY_TAGS.tier}).`);
  const now = ctx.now();
  const records = (await queryTenantKeys(ctx.dynamodb, options.table, options.tenant)).filter((r) => statusOf(r, now) === 'active');
  let updated = 0;
  for (const record of records) {
    if (record.tier === usage.tier && record.usageKeyId === usage.id) continue;
    if (await updateUsage(ctx.dynamodb, options.table, record.keyHash, options.tenant, { tier: usage.tier, usageKeyId: usage.id, usageKey: usage.value })) updated += 1;
  }
  if (options.json) ctx.output.stdout(JSON.stringify({ tenantId: options.tenant, tier: usage.tier, usageKeyId: usage.id, activeKeys: records.length, updated }));
  else ctx.output.stdout(`Tenant ${options.tenant}: ${updated} of ${records.length} active keys now use tier ${usage.tier} (API key ${usage.id}).`);
}
