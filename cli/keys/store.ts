/**
 * The key CLI's DynamoDB operations on the tenant-key table. Every write is conditional: a new key
 * never overwrites an item, a revocation only touches an item of the named tenant.
 */
import {
  ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, paginateQuery, PutItemCommand, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { partitionKeyOf } from '../../lambda/authorizer/key';
import { fromItem, TenantKeyRecord, toItem } from '../../lambda/authorizer/record';
import { TENANT_KEY_ATTRIBUTES as A, TENANT_KEY_INDEX, TENANT_KEY_STATUS } from '../../lambda/shared/tenant-key-schema';
import { KeysCommandError } from './errors';

/** Writes a new key item; fails if an item with the same hash exists (it never overwrites). */
export async function putNewKey(ddb: DynamoDBClient, table: string, record: TenantKeyRecord): Promise<void> {
  try {
    await ddb.send(new PutItemCommand({
      TableName: table,
      Item: toItem(record),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': A.pk },
    }));
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) {
      throw new KeysCommandError(`A key with id ${record.keyId} already exists; nothing was written. Run the command again.`);
    }
    throw err;
  }
}

/**
 * The tenant's keys, oldest first, from the `byTenant` index (which holds no usage identifier).
 * Items that do not follow the layout are reported through `onInvalid` and skipped.
 */
export async function queryTenantKeys(
  ddb: DynamoDBClient, table: string, tenantId: string, onInvalid: (problem: string) => void = () => undefined,
): Promise<TenantKeyRecord[]> {
  const records: TenantKeyRecord[] = [];
  const pages = paginateQuery({ client: ddb }, {
    TableName: table,
    IndexName: TENANT_KEY_INDEX.name,
    KeyConditionExpression: '#tenant = :tenant',
    ExpressionAttributeNames: { '#tenant': A.tenantId },
    ExpressionAttributeValues: { ':tenant': { S: tenantId } },
    ScanIndexForward: true,
  });
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const parsed = fromItem(item);
      if (parsed.ok) records.push(parsed.record);
      else onInvalid(`${item[A.pk]?.S?.slice(0, 16) ?? '(no pk)'}…: ${parsed.problem}`);
    }
  }
  return records;
}

/** One key item by its full hash (strongly consistent), or undefined. */
export async function getKey(ddb: DynamoDBClient, table: string, keyHash: string): Promise<TenantKeyRecord | undefined> {
  const out = await ddb.send(new GetItemCommand({ TableName: table, Key: { [A.pk]: { S: partitionKeyOf(keyHash) } }, ConsistentRead: true }));
  if (out.Item === undefined) return undefined;
  const parsed = fromItem(out.Item);
  if (!parsed.ok) throw new KeysCommandError(`The item of key ${keyHash.slice(0, 12)} does not follow the tenant-key layout: ${parsed.problem}.`);
  return parsed.record;
}

export type RevokeResult = { readonly revoked: true; readonly revokedAt: string } | { readonly revoked: false };

/**
 * Sets the key's status to revoked if it is active and belongs to `tenantId`. Returns
 * `{ revoked: false }` when the condition does not hold (already revoked, or another tenant's).
 */
export async function revokeKey(ddb: DynamoDBClient, table: string, keyHash: string, tenantId: string, now: Date): Promise<RevokeResult> {
  const revokedAt = now.toISOString();
  try {
    await ddb.send(new UpdateItemCommand({
      TableName: table,
      Key: { [A.pk]: { S: partitionKeyOf(keyHash) } },
      UpdateExpression: 'SET #status = :revoked, #revokedAt = :now',
      ConditionExpression: 'attribute_exists(#pk) AND #tenant = :tenant AND #status = :active',
      ExpressionAttributeNames: { '#pk': A.pk, '#status': A.status, '#revokedAt': A.revokedAt, '#tenant': A.tenantId },
      ExpressionAttributeValues: {
        ':revoked': { S: TENANT_KEY_STATUS.revoked },
        ':active': { S: TENANT_KEY_STATUS.active },
        ':tenant': { S: tenantId },
        ':now': { S: revokedAt },
      },
    }));
    return { revoked: true, revokedAt };
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return { revoked: false };
    throw err;
  }
}

/**
 * Rewrites the tier and usage identifier of one active key of `tenantId`. Returns false when
 * the key is no longer active or not the tenant's.
 */
export async function updateUsage(
  ddb: DynamoDBClient, table: string, keyHash: string, tenantId: string, usage: { readonly tier: string; readonly usageKeyId: string; readonly usageKey: string },
): Promise<boolean> {
  try {
    await ddb.send(new UpdateItemCommand({
      TableName: table,
      Key: { [A.pk]: { S: partitionKeyOf(keyHash) } },
      UpdateExpression: 'SET #tier = :tier, #usageKeyId = :usageKeyId, #usageKey = :usageKey',
      ConditionExpression: 'attribute_exists(#pk) AND #tenant = :tenant AND #status = :active',
      ExpressionAttributeNames: {
        '#pk': A.pk, '#tier': A.tier, '#usageKeyId': A.usageKeyId, '#usageKey': A.usageKey, '#tenant': A.tenantId, '#status': A.status,
      },
      ExpressionAttributeValues: {
        ':tier': { S: usage.tier },
        ':usageKeyId': { S: usage.usageKeyId },
        ':usageKey': { S: usage.usageKey },
        ':tenant': { S: tenantId },
        ':active': { S: TENANT_KEY_STATUS.active },
      },
    }));
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}
