/**
 * Where prompt label overrides and their history live (see `lambda/shared/prompt-label-schema.ts`):
 * the usage table when deployed, a JSON file (or memory) in local mode. The router only lists the
 * overrides; the rollback function and the CLI move labels.
 *
 * A move is keyed by its event id: an event already in the history writes nothing (a replayed
 * event), the override is written first and the history entry after it (conditional on not
 * existing), so a retry after a failure in between completes the record without a duplicate. A
 * move with `unlessVersion` is skipped when the label already points there (two alarms of one
 * canary roll it back once).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  DEFAULT_LABEL_OVERRIDE_CACHE_MS, LabelHistoryEntry, LabelOverride, labelHistoryPartition, MAX_LABEL_OVERRIDE_CACHE_MS, labelHistorySortKey, labelOverrideSortKey, PROMPT_LABELS_PARTITION,
} from '../../shared/prompt-label-schema';
import { USAGE_TABLE_KEYS } from '../../shared/usage-table-schema';

/** What a move did. */
export enum MoveResult {
  /** The override and its history entry were written. */
  MOVED = 'moved',
  /** An entry with this event id exists: nothing was written (a replayed event). */
  DUPLICATE = 'duplicate',
  /** The label already points at `unlessVersion`: nothing was written. */
  ALREADY_THERE = 'already_there',
}

/** Options of a move. */
export interface MoveOptions {
  /** Skip the move when the label's override already points at this version. */
  readonly unlessVersion?: number;
}

/** Reads and moves label overrides. */
export interface LabelStore {
  /** Every override. */
  list(): Promise<LabelOverride[]>;
  /** Points a label at `entry.version` and appends `entry` to the prompt's history. */
  move(entry: LabelHistoryEntry, options?: MoveOptions): Promise<MoveResult>;
  /** The prompt's history, oldest first (at most `limit` of the newest). */
  history(promptId: string, limit?: number): Promise<LabelHistoryEntry[]>;
}

/** The key of an override in the maps the router uses. */
export function overrideKey(promptId: string, label: string): string {
  return labelOverrideSortKey(promptId, label);
}

function overrideFields(o: LabelOverride): LabelOverride {
  return {
    promptId: o.promptId, label: o.label, version: o.version,
    ...(o.previousVersion !== undefined ? { previousVersion: o.previousVersion } : {}),
    updatedAt: o.updatedAt, source: o.source, actor: o.actor, reason: o.reason,
  };
}

/** The label overrides and history in the usage table. */
export class DynamoLabelStore implements LabelStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly tableName: string) {}

  async list(): Promise<LabelOverride[]> {
    const items: LabelOverride[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': USAGE_TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':pk': PROMPT_LABELS_PARTITION },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) items.push(overrideFields(item as LabelOverride));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async move(entry: LabelHistoryEntry, options: MoveOptions = {}): Promise<MoveResult> {
    const { partitionKey: pk, sortKey: sk } = USAGE_TABLE_KEYS;
    const historyKey = { [pk]: labelHistoryPartition(entry.promptId), [sk]: labelHistorySortKey(entry.updatedAt, entry.label, entry.eventId) };
    const overrideKeyItem = { [pk]: PROMPT_LABELS_PARTITION, [sk]: labelOverrideSortKey(entry.promptId, entry.label) };
    // 1. An event already recorded is not applied again (even if the label moved since).
    const recorded = await this.client.send(new GetCommand({ TableName: this.tableName, Key: historyKey, ConsistentRead: true }));
    if (recorded.Item) return MoveResult.DUPLICATE;
    // 2. The override, unless it already points at `unlessVersion`. The same event id passes: a
    //    retry after a failure between the two writes completes the history.
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...overrideKeyItem, ...overrideFields(entry), lastEventId: entry.eventId },
        ...(options.unlessVersion !== undefined ? {
          ConditionExpression: 'attribute_not_exists(#pk) OR #version <> :unless OR #lastEventId = :event',
          ExpressionAttributeNames: { '#pk': pk, '#version': 'version', '#lastEventId': 'lastEventId' },
          ExpressionAttributeValues: { ':unless': options.unlessVersion, ':event': entry.eventId },
        } : {}),
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return MoveResult.ALREADY_THERE;
      throw error;
    }
    // 3. The history entry, append-only.
    try {
      await this.client.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...historyKey, ...entry },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': pk },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return MoveResult.DUPLICATE;
      throw error;
    }
    return MoveResult.MOVED;
  }

  async history(promptId: string, limit = 100): Promise<LabelHistoryEntry[]> {
    const page = await this.client.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': USAGE_TABLE_KEYS.partitionKey },
      ExpressionAttributeValues: { ':pk': labelHistoryPartition(promptId) },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (page.Items ?? []).map((item) => {
      const { [USAGE_TABLE_KEYS.partitionKey]: _pk, [USAGE_TABLE_KEYS.sortKey]: _sk, ...entry } = item;
      return entry as LabelHistoryEntry;
    }).reverse();
  }
}

/** The file local mode keeps label overrides in, beside the configuration file. */
export const LOCAL_LABEL_STORE_FILE = 'prompt-labels.json';

/** Overrides and history in memory, optionally kept in a JSON file (local mode and the CLI). */
export class FileLabelStore implements LabelStore {
  private overrides = new Map<string, LabelOverride & { readonly lastEventId: string }>();
  private entries: LabelHistoryEntry[] = [];

  /**
   * @param path the JSON file, read before every operation (so a server sees the CLI's moves) and
   * written after every move; none keeps everything in memory.
   */
  constructor(private readonly path?: string) {
    this.load();
  }

  private load(): void {
    if (this.path === undefined) return;
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const data = JSON.parse(text) as { overrides?: (LabelOverride & { lastEventId: string })[]; history?: LabelHistoryEntry[] };
    this.overrides = new Map((data.overrides ?? []).map((o) => [overrideKey(o.promptId, o.label), o]));
    this.entries = data.history ?? [];
  }

  async list(): Promise<LabelOverride[]> {
    this.load();
    return [...this.overrides.values()].map(overrideFields);
  }

  async move(entry: LabelHistoryEntry, options: MoveOptions = {}): Promise<MoveResult> {
    this.load();
    const key = overrideKey(entry.promptId, entry.label);
    if (this.entries.some((e) => e.promptId === entry.promptId && e.eventId === entry.eventId)) return MoveResult.DUPLICATE;
    const current = this.overrides.get(key);
    if (options.unlessVersion !== undefined && current?.version === options.unlessVersion) return MoveResult.ALREADY_THERE;
    this.overrides.set(key, { ...overrideFields(entry), lastEventId: entry.eventId });
    this.entries.push(entry);
    this.save();
    return MoveResult.MOVED;
  }

  async history(promptId: string, limit = 100): Promise<LabelHistoryEntry[]> {
    this.load();
    return this.entries.filter((e) => e.promptId === promptId).slice(-limit);
  }

  private save(): void {
    if (this.path === undefined) return;
    const temporary = `${this.path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ overrides: [...this.overrides.values()], history: this.entries }, null, 2)}\n`);
    renameSync(temporary, this.path);
  }
}

/** The overrides the router honours: a snapshot, re-read at most every `ttlMs`. */
export interface LabelOverrideSource {
  /** `overrideKey(promptId, label)` → version. */
  current(): Promise<ReadonlyMap<string, number>>;
}

export interface CachedLabelOverridesOptions {
  readonly store: LabelStore;
  /** How long a read is used (at most 30 s). @default 15000 */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Writes one structured log line. @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
}

/**
 * The router's view of the overrides: read from the store at most once per `ttlMs` per instance.
 * A failed read is logged and does not fail the request: the last snapshot read stays in use, and
 * without one the configured labels apply (no override). The next read is tried after `ttlMs`.
 *
 * @example
 * const overrides = new CachedLabelOverrides({ store: new DynamoLabelStore(client, table) });
 * resolvePromptVersion(prompt, 'canary', user, 'prompt.version', await overrides.current());
 */
export class CachedLabelOverrides implements LabelOverrideSource {
  private snapshot: ReadonlyMap<string, number> = new Map();
  private expires = Number.NEGATIVE_INFINITY;
  private loading?: Promise<ReadonlyMap<string, number>>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly log: (line: Record<string, unknown>) => void;

  constructor(private readonly options: CachedLabelOverridesOptions) {
    this.ttlMs = Math.min(options.ttlMs ?? DEFAULT_LABEL_OVERRIDE_CACHE_MS, MAX_LABEL_OVERRIDE_CACHE_MS);
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => { process.stdout.write(`${JSON.stringify(line)}\n`); });
  }

  current(): Promise<ReadonlyMap<string, number>> {
    if (this.now() < this.expires) return Promise.resolve(this.snapshot);
    this.loading ??= this.refresh().finally(() => { this.loading = undefined; });
    return this.loading;
  }

  private async refresh(): Promise<ReadonlyMap<string, number>> {
    try {
      const overrides = await this.options.store.list();
      this.snapshot = new Map(overrides.map((o) => [overrideKey(o.promptId, o.label), o.version]));
    } catch (error) {
      this.log({
        timestamp: new Date(this.now()).toISOString(),
        level: 'WARN',
        message: 'prompt label overrides could not be read; using the last overrides read, or the configured labels',
        'error.type': error instanceof Error ? error.name : 'Error',
        'gateway.error.detail': error instanceof Error ? error.message : String(error),
        'gateway.prompt.overrides_in_use': this.snapshot.size,
      });
    }
    this.expires = this.now() + this.ttlMs;
    return this.snapshot;
  }
}
