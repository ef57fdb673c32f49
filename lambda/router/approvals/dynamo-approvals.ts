/**
 * The deployed router's approvals: one Query on `pk = APPROVAL` of the approvals table (strongly
 * consistent, every page). Loaded only when the environment names the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ApprovalEntry, APPROVAL_ATTRIBUTES as A, APPROVAL_PARTITIONS, APPROVALS_ENV, MAX_APPROVALS_CACHE_SECONDS,
} from '../../shared/approvals-schema';
import { cacheOptionsFromEnv, FromEnvOptions, Item, queryPartition } from '../dynamo-query';
import { createDynamoDbClient, DYNAMODB_PROFILES } from '../../clients/dynamodb';
import { SnapshotLoader } from '../reliability/cached-snapshot';
import { CachedApprovals, isApprovalEntry } from './approval-set';

/** An approval from its item (in force or history); undefined for an item that is not one. */
export function approvalFromItem(item: Item): ApprovalEntry | undefined {
  const entry = {
    tenantId: item[A.tenantId]?.S,
    workflow: item[A.workflow]?.S,
    approver: item[A.approver]?.S,
    ticket: item[A.ticket]?.S,
    reason: item[A.reason]?.S,
    grantedAt: item[A.grantedAt]?.S,
    expiresAt: item[A.expiresAt]?.S,
  };
  return isApprovalEntry(entry) ? entry : undefined;
}

export class DynamoApprovalsLoader implements SnapshotLoader<readonly ApprovalEntry[]> {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async load(): Promise<readonly ApprovalEntry[]> {
    return (await queryPartition(this.client, this.tableName, APPROVAL_PARTITIONS.active))
      .map(approvalFromItem).filter((e): e is ApprovalEntry => e !== undefined);
  }
}

/**
 * The cached approvals of the table the environment names (`GATEWAY_APPROVALS_TABLE`, kept for
 * `GATEWAY_APPROVALS_CACHE_SECONDS`, 30 at most), or undefined when it names none.
 */
export function approvalsFromEnv(env: Readonly<Record<string, string | undefined>>, options: FromEnvOptions = {}): CachedApprovals | undefined {
  const tableName = env[APPROVALS_ENV.tableName]?.trim();
  if (!tableName) return undefined;
  return new CachedApprovals(new DynamoApprovalsLoader(createDynamoDbClient({ ...DYNAMODB_PROFILES.REQUEST_PATH, endpoint: options.endpoint }), tableName),
    cacheOptionsFromEnv(env[APPROVALS_ENV.cacheSeconds], MAX_APPROVALS_CACHE_SECONDS, options));
}
