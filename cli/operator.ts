/**
 * What the operator commands (`incident`, `approvals`, `reviews`) share: their AWS clients and who the
 * operator is — the caller's IAM ARN from STS GetCallerIdentity, or the local user in local mode.
 */
import { userInfo } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createDynamoDbClient, DYNAMODB_PROFILES } from '../lambda/clients/dynamodb';

/** Who acted: an IAM ARN and its account, or `local:<user>`. */
export interface OperatorIdentity {
  readonly actor: string;
  readonly account?: string;
}

/** The flags the clients read: `--region`, `--endpoint` (DynamoDB), `--sts-endpoint`. */
export type ClientFlags = Readonly<Record<string, string | boolean | undefined>>;

/** A DynamoDB and an STS client for an operator command, with explicit timeouts. */
export function operatorClients(values: ClientFlags): { dynamodb: DynamoDBClient; sts: STSClient } {
  const region = typeof values.region === 'string' ? { region: values.region } : {};
  const dynamodb = createDynamoDbClient({ ...DYNAMODB_PROFILES.OPERATOR, ...region, ...(typeof values.endpoint === 'string' ? { endpoint: values.endpoint } : {}) });
  const sts = new STSClient({ maxAttempts: 3, ...region, ...(typeof values['sts-endpoint'] === 'string' ? { endpoint: values['sts-endpoint'] } : {}) });
  return { dynamodb, sts };
}

/** The caller's IAM identity (STS GetCallerIdentity). */
export async function callerIdentity(sts: STSClient): Promise<OperatorIdentity> {
  const out = await sts.send(new GetCallerIdentityCommand({}));
  if (!out.Arn) throw new Error('STS GetCallerIdentity returned no ARN');
  return { actor: out.Arn, ...(out.Account ? { account: out.Account } : {}) };
}

/** The local user, in local mode. */
export function localIdentity(): OperatorIdentity {
  return { actor: `local:${userInfo().username}` };
}
