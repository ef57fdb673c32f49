/**
 * The deployed `BatchStore`: files, batches, jobs and line results in the batch state table
 * (layout: lambda/shared/batch-table-schema.ts), file contents and large lists in the batch bucket
 * (`ObjectStore`). A line's result is written once with `attribute_not_exists`: a replayed line
 * (an event delivered twice, a runner resumed after a crash, an SDK retry of a write DynamoDB
 * applied) never writes a second result.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  BATCH_BUCKET_PREFIXES, BATCH_ITEM_INLINE_BYTES, BATCH_OPEN_VALUE, BATCH_TABLE_LIST_INDEX, BATCH_TABLE_OPEN_INDEX, batchFileKey,
} from '../../shared/batch-table-schema';
import type { ObjectStore } from './bedrock-jobs';
import { BatchStore, isFinished, LineResult, StoredBatch, StoredFile, StoredJob } from './store';

export interface DynamoBatchStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The batch bucket: file contents and spilled lists. */
  readonly objects: ObjectStore;
  /** Days the items of a finished batch are kept. @default DynamoBatchStore.DEFAULT_RETENTION_DAYS */
  readonly retentionDays?: number;
}

type Item = Record<string, unknown>;

const SECONDS_PER_DAY = 86_400;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export class DynamoBatchStore implements BatchStore {
  /** Days the items of a finished batch are kept (the output files' retention). */
  static readonly DEFAULT_RETENTION_DAYS = 30;

  constructor(private readonly options: DynamoBatchStoreOptions) {}

  async putJob(job: StoredJob): Promise<void> {
    const { records, ...rest } = job;
    const stored = { ...rest, records: await this.spill(`jobs/${job.name}/records`, records) };
    await this.put({ pk: `BATCH#${job.batchId}`, sk: `JOB#${job.name}`, job: stored });
    await this.put({ pk: `JOB#${job.name}`, sk: 'JOB', job: stored });
  }

  async getJob(name: string): Promise<StoredJob | undefined> {
    const item = await this.get(`JOB#${name}`, 'JOB');
    return item ? this.job(item) : undefined;
  }

  async jobsOfBatch(batchId: string): Promise<StoredJob[]> {
    const items = await this.query({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :job)', ExpressionAttributeValues: { ':pk': `BATCH#${batchId}`, ':job': 'JOB#' } });
    return Promise.all(items.map((i) => this.job(i)));
  }

  async putFile(file: StoredFile): Promise<void> {
    const { content, ...meta } = file;
    await this.options.objects.put(batchFileKey(file.tenantId, file.id), content);
    await this.put({ pk: `TENANT#${file.tenantId}`, sk: `FILE#${file.id}`, file: meta, ttl: file.expiresAt });
  }

  async getFile(tenantId: string, id: string): Promise<StoredFile | undefined> {
    const item = await this.get(`TENANT#${tenantId}`, `FILE#${id}`);
    if (!item) return undefined;
    const content = await this.options.objects.get(batchFileKey(tenantId, id));
    return content === undefined ? undefined : { ...(item.file as Omit<StoredFile, 'content'>), content };
  }

  async putBatch(batch: StoredBatch): Promise<void> {
    const { refusals, ...rest } = batch;
    const finished = isFinished(batch.status);
    await this.put({
      pk: `TENANT#${batch.tenantId}`, sk: `BATCH#${batch.id}`,
      [BATCH_TABLE_LIST_INDEX.partitionKey]: `TENANT#${batch.tenantId}`,
      [BATCH_TABLE_LIST_INDEX.sortKey]: `${pad(batch.createdAt, 12)}#${batch.id}`,
      ...(finished ? { ttl: this.expiry() } : { [BATCH_TABLE_OPEN_INDEX.partitionKey]: BATCH_OPEN_VALUE }),
      batch: { ...rest, refusals: await this.spill(`batches/${batch.id}/refusals`, refusals) },
    });
  }

  async getBatch(tenantId: string, id: string): Promise<StoredBatch | undefined> {
    const item = await this.get(`TENANT#${tenantId}`, `BATCH#${id}`, true);
    return item ? this.batch(item) : undefined;
  }

  async listBatches(tenantId: string, after: string | undefined, limit: number): Promise<{ data: StoredBatch[]; hasMore: boolean }> {
    const { partitionKey, sortKey } = BATCH_TABLE_LIST_INDEX;
    const values: Item = { ':pk': `TENANT#${tenantId}` };
    let condition = `${partitionKey} = :pk`;
    if (after !== undefined) {
      const cursor = await this.get(`TENANT#${tenantId}`, `BATCH#${after}`);
      // An unknown cursor (another tenant's, or expired) lists nothing.
      if (!cursor) return { data: [], hasMore: false };
      condition += ` AND ${sortKey} < :cursor`;
      values[':cursor'] = cursor[sortKey];
    }
    const items = await this.query({
      IndexName: BATCH_TABLE_LIST_INDEX.name, KeyConditionExpression: condition, ExpressionAttributeValues: values, ScanIndexForward: false,
    }, limit + 1);
    const data = await Promise.all(items.slice(0, limit).map((i) => this.batch(i)));
    return { data, hasMore: items.length > limit };
  }

  async unfinishedBatches(): Promise<StoredBatch[]> {
    const items = await this.query({
      IndexName: BATCH_TABLE_OPEN_INDEX.name, KeyConditionExpression: '#open = :open',
      ExpressionAttributeNames: { '#open': BATCH_TABLE_OPEN_INDEX.partitionKey }, ExpressionAttributeValues: { ':open': BATCH_OPEN_VALUE },
    });
    // The index is eventually consistent: each batch is read again from its item.
    const batches = await Promise.all(items.map((i) => this.getBatch(String(i.pk).slice('TENANT#'.length), String(i.sk).slice('BATCH#'.length))));
    return batches.filter((b): b is StoredBatch => b !== undefined && !isFinished(b.status));
  }

  async putLineResult(batchId: string, result: LineResult): Promise<boolean> {
    const key = { pk: `BATCH#${batchId}`, sk: `LINE#${pad(result.line, 8)}` };
    try {
      await this.options.client.send(new PutCommand({
        TableName: this.options.tableName, Item: { ...key, result, ttl: this.expiry() }, ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Our own write applied before an SDK retry reads as written by us; anything else is a replay.
      const existing = await this.get(key.pk, key.sk, true);
      const written = existing?.result as LineResult | undefined;
      return written?.json === result.json && written.ok === result.ok;
    }
  }

  async lineResults(batchId: string): Promise<ReadonlyMap<number, LineResult>> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :line)', ExpressionAttributeValues: { ':pk': `BATCH#${batchId}`, ':line': 'LINE#' }, ConsistentRead: true,
    });
    return new Map(items.map((i) => [(i.result as LineResult).line, i.result as LineResult]));
  }

  private expiry(): number {
    return Math.floor(Date.now() / 1000) + (this.options.retentionDays ?? DynamoBatchStore.DEFAULT_RETENTION_DAYS) * SECONDS_PER_DAY;
  }

  /** A list inline, or the key of the object holding it when it is too large for an item. */
  private async spill<T>(name: string, list: readonly T[]): Promise<readonly T[] | { spilled: string }> {
    const json = JSON.stringify(list);
    if (Buffer.byteLength(json) <= BATCH_ITEM_INLINE_BYTES) return list;
    const key = `${BATCH_BUCKET_PREFIXES.spill}${name}.json`;
    await this.options.objects.put(key, json);
    return { spilled: key };
  }

  private async unspill<T>(value: unknown): Promise<T[]> {
    if (Array.isArray(value)) return value as T[];
    const key = (value as { spilled: string }).spilled;
    const json = await this.options.objects.get(key);
    if (json === undefined) throw new Error(`The batch bucket has no object ${key} (a spilled list).`);
    return JSON.parse(json) as T[];
  }

  private async job(item: Item): Promise<StoredJob> {
    const job = item.job as StoredJob;
    return { ...job, records: await this.unspill(job.records) };
  }

  private async batch(item: Item): Promise<StoredBatch> {
    const batch = item.batch as StoredBatch;
    return { ...batch, refusals: await this.unspill(batch.refusals) };
  }

  private async put(item: Item): Promise<void> {
    await this.options.client.send(new PutCommand({ TableName: this.options.tableName, Item: item }));
  }

  private async get(pk: string, sk: string, consistent = false): Promise<Item | undefined> {
    const out = await this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: { pk, sk }, ConsistentRead: consistent }));
    return out.Item;
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>, max = Number.POSITIVE_INFINITY): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.options.client.send(new QueryCommand({ ...input, TableName: this.options.tableName, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start !== undefined && items.length < max);
    return items;
  }
}
