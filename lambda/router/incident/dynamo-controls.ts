/**
 * The deployed router's incident controls: one Query on `pk = CONTROL` of the controls table
 * (strongly consistent, every page), with explicit timeouts. Loaded only when the environment
 * names the table.
 */
import { DynamoDBClient, QueryCommand, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CONTROL_ATTRIBUTES as A, CONTROL_PARTITIONS, CONTROLS_ENV, isControlKind, MAX_CONTROLS_CACHE_SECONDS,
} from '../../shared/incident-controls-schema';
import { CachedControls, ControlEntry, ControlsLoader } from '../pipeline/controls';

/** One item of a Query answer. */
export type Item = NonNullable<QueryCommandOutput['Items']>[number];

/** An active control from its item; undefined for an item that is not one (it is ignored). */
export function controlFromItem(item: Item): ControlEntry | undefined {
  const kind = item[A.kind]?.S;
  const subject = item[A.subject]?.S;
  if (!isControlKind(kind) || !subject) return undefined;
  return { kind, subject, reason: item[A.reason]?.S ?? '', actor: item[A.actor]?.S ?? '', at: item[A.at]?.S ?? '' };
}

/** The items of one partition of the controls table, strongly consistent, every page (up to `limit`). */
export async function queryPartition(
  client: DynamoDBClient, tableName: string, pk: string, options: { forward?: boolean; limit?: number } = {},
): Promise<Item[]> {
  const items: Item[] = [];
  let start: QueryCommandOutput['LastEvaluatedKey'];
  do {
    const out = await client.send(new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': A.pk },
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

export class DynamoControlsLoader implements ControlsLoader {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async load(): Promise<readonly ControlEntry[]> {
    return (await queryPartition(this.client, this.tableName, CONTROL_PARTITIONS.active))
      .map(controlFromItem).filter((e): e is ControlEntry => e !== undefined);
  }
}

export interface ControlsFromEnvOptions {
  /** Endpoint override (tests). @default - the Regional endpoint */
  readonly endpoint?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The cached controls of the table the environment names (`GATEWAY_CONTROLS_TABLE`, kept for
 * `GATEWAY_CONTROLS_CACHE_SECONDS`, 30 at most), or undefined when it names none.
 */
export function controlsFromEnv(env: Readonly<Record<string, string | undefined>>, options: ControlsFromEnvOptions = {}): CachedControls | undefined {
  const tableName = env[CONTROLS_ENV.tableName]?.trim();
  if (!tableName) return undefined;
  const seconds = Number(env[CONTROLS_ENV.cacheSeconds] ?? MAX_CONTROLS_CACHE_SECONDS);
  const client = new DynamoDBClient({
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true }),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
  return new CachedControls(new DynamoControlsLoader(client, tableName), {
    cacheMs: Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), MAX_CONTROLS_CACHE_SECONDS) * 1000 : MAX_CONTROLS_CACHE_SECONDS * 1000,
    ...(options.now ? { now: options.now } : {}),
  });
}
