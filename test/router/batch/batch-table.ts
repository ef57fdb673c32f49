/** The batch state table in dynalite, from the same schema constants as the `BatchRoute` construct. */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BATCH_TABLE_KEYS, BATCH_TABLE_LIST_INDEX, BATCH_TABLE_OPEN_INDEX } from '../../../lambda/shared/batch-table-schema';

let tables = 0;

/** Creates a fresh batch table and returns its name. */
export async function createBatchTable(client: DynamoDBClient): Promise<string> {
  const name = `batch-${++tables}`;
  const { partitionKey: pk, sortKey: sk } = BATCH_TABLE_KEYS;
  const attributes = [pk, sk, BATCH_TABLE_LIST_INDEX.partitionKey, BATCH_TABLE_LIST_INDEX.sortKey, BATCH_TABLE_OPEN_INDEX.partitionKey];
  const index = (name: string, hash: string, range: string) => ({
    IndexName: name, KeySchema: [{ AttributeName: hash, KeyType: 'HASH' as const }, { AttributeName: range, KeyType: 'RANGE' as const }], Projection: { ProjectionType: 'ALL' as const },
  });
  await client.send(new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    KeySchema: [{ AttributeName: pk, KeyType: 'HASH' }, { AttributeName: sk, KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [
      index(BATCH_TABLE_LIST_INDEX.name, BATCH_TABLE_LIST_INDEX.partitionKey, BATCH_TABLE_LIST_INDEX.sortKey),
      index(BATCH_TABLE_OPEN_INDEX.name, BATCH_TABLE_OPEN_INDEX.partitionKey, BATCH_TABLE_OPEN_INDEX.sortKey),
    ],
  }));
  return name;
}
