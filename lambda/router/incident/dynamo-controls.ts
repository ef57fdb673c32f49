/**
 * The deployed router's incident controls: one Query on `pk = CONTROL` of the controls table
 * (strongly consistent, every page), with explicit timeouts. Loaded only when the environment
 * names the table.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CONTROL_ATTRIBUTES as A, CONTROL_PARTITIONS, CONTROLS_ENV, isControlKind, MAX_CONTROLS_CACHE_SECONDS,
} from '../../shared/incident-controls-schema';
import { CachedControls, ControlEntry, ControlsLoader } from '../pipeline/controls';
import { cacheOptionsFromEnv, FromEnvOptions, Item, queryPartition } from '../dynamo-query';
import { createDynamoDbClient, DYNAMODB_PROFILES } from '../../clients/dynamodb';

export type { Item };
export { queryPartition };

/** An active control from its item; undefined for an item that is not one (it is ignored). */
export function controlFromItem(item: Item): ControlEntry | undefined {
  const kind = item[A.kind]?.S;
  const subject = item[A.subject]?.S;
  if (!isControlKind(kind) || !subject) return undefined;
  return { kind, subject, reason: item[A.reason]?.S ?? '', actor: item[A.actor]?.S ?? '', at: item[A.at]?.S ?? '' };
}

export class DynamoControlsLoader implements ControlsLoader {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async load(): Promise<readonly ControlEntry[]> {
    return (await queryPartition(this.client, this.tableName, CONTROL_PARTITIONS.active))
      .map(controlFromItem).filter((e): e is ControlEntry => e !== undefined);
  }
}

export type ControlsFromEnvOptions = FromEnvOptions;

/**
 * The cached controls of the table the environment names (`GATEWAY_CONTROLS_TABLE`, kept for
 * `GATEWAY_CONTROLS_CACHE_SECONDS`, 30 at most), or undefined when it names none.
 */
export function controlsFromEnv(env: Readonly<Record<string, string | undefined>>, options: ControlsFromEnvOptions = {}): CachedControls | undefined {
  const tableName = env[CONTROLS_ENV.tableName]?.trim();
  if (!tableName) return undefined;
  const client = createDynamoDbClient({ ...DYNAMODB_PROFILES.REQUEST_PATH, endpoint: options.endpoint });
  return new CachedControls(new DynamoControlsLoader(client, tableName), cacheOptionsFromEnv(env[CONTROLS_ENV.cacheSeconds], MAX_CONTROLS_CACHE_SECONDS, options));
}
