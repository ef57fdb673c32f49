/**
 * DynamoDB reads shared by the router's operator-state loaders (incident controls, approvals):
 * a Query over one partition of a table keyed by `pk`/`sk` (clients: lambda/clients/dynamodb.ts).
 */
import { DynamoDBClient, QueryCommand, QueryCommandOutput } from '@aws-sdk/client-dynamodb';

/** Options of the `…FromEnv` factories. */
export interface FromEnvOptions {
  /** Endpoint override (tests). @default - the Regional endpoint */
  readonly endpoint?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The cache options of a `…_CACHE_SECONDS` variable: clamped to 0…`maxSeconds`, the maximum when unset or not a number. */
export function cacheOptionsFromEnv(raw: string | undefined, maxSeconds: number, options: FromEnvOptions): { cacheMs: number; now?: () => number } {
  const seconds = Number(raw ?? maxSeconds);
  return {
    cacheMs: (Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), maxSeconds) : maxSeconds) * 1000,
    ...(options.now ? { now: options.now } : {}),
  };
}

/** One item of a Query answer. */
export type Item = NonNullable<QueryCommandOutput['Items']>[number];

/** The items of one partition (`pk`) of a table, strongly consistent, every page (up to `limit`). */
export async function queryPartition(
  client: DynamoDBClient, tableName: string, pk: string, options: { forward?: boolean; limit?: number } = {},
): Promise<Item[]> {
  const items: Item[] = [];
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const out = await client.send(new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
      ScanIndexForward: options.forward ?? true,
      ...(options.limit !== undefined ? { Limit: options.limit - items.length } : {}),
      ...(start ? { ExclusiveStartKey: start } : {}),
    }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && (options.limit === undefined || items.length < options.limit));
  return items;
}

