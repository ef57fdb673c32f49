/**
 * The document client over a client of `createDynamoDbClient` (./dynamodb.ts): attributes that are
 * `undefined` are left out of items, which is what every writer of the gateway's tables expects.
 * A separate module so that callers of the low-level client only (the authorizer, the incident
 * controls and approvals loaders) do not load `@aws-sdk/lib-dynamodb`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient, DynamoDbClientOptions } from './dynamodb';

/**
 * @example
 * const doc = documentClient({ ...DYNAMODB_PROFILES.OPERATOR, region: 'eu-west-1' });
 */
export function documentClient(client: DynamoDBClient | DynamoDbClientOptions): DynamoDBDocumentClient {
  const base = client instanceof DynamoDBClient ? client : createDynamoDbClient(client);
  return DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
}
