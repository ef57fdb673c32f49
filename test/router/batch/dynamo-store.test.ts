/**
 * The deployed batch state: `DynamoBatchStore` against dynalite (behind the fault-injection proxy)
 * and `S3ObjectStore` against a loopback S3, both with the real AWS SDK. A line's result is written
 * once under replays and under writes DynamoDB applied but answered late or never; files, batch
 * listings, unfinished batches and lists too large for an item survive the round trip.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoBatchStore } from '../../../lambda/router/batch/dynamo-store';
import { S3ObjectStore } from '../../../lambda/router/batch/s3-objects';
import { BatchStatus, FilePurpose, LineResult, StoredBatch } from '../../../lambda/router/batch/store';
import { batchFileKey } from '../../../lambda/shared/batch-table-schema';
import { Fault } from '../../helpers/dynamo-fault-proxy';
import { FakeS3, startFakeS3 } from '../../helpers/fake-s3';
import { documentClient, faultClient, useUsageDynamo } from '../usage/usage-fixtures';
import { createBatchTable } from './batch-table';

const BUCKET = 'batch-bucket';
const local = useUsageDynamo();
let s3: FakeS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startFakeS3({ pageSize: 2 });
  client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' } });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

async function newStore(): Promise<{ store: DynamoBatchStore; objects: S3ObjectStore }> {
  const tableName = await createBatchTable(local.dynamo.client);
  const objects = new S3ObjectStore({ client, bucket: BUCKET });
  return { store: new DynamoBatchStore({ client: documentClient(faultClient(local.proxy)), tableName, objects }), objects };
}

function batch(id: string, createdAt: number, status = BatchStatus.IN_PROGRESS, tenantId = 'acme'): StoredBatch {
  return {
    id, tenantId, identity: { tenantId }, endpoint: '/v1/chat/completions', inputFileId: 'file_1', completionWindow: '24h', metadata: null,
    status, createdAt, expiresAt: createdAt + 86_400, total: 2, refusals: [],
  };
}

function result(line: number): LineResult {
  return { line, ok: true, json: `{"custom_id":"c${line}"}`, inputTokens: 3, outputTokens: 2 };
}

describe('DynamoBatchStore', () => {
  test('a file keeps its content in the bucket and its metadata in the table, readable by its tenant only', async () => {
    // Prepare
    const { store } = await newStore();
    const file = { id: 'file_a', tenantId: 'acme', filename: 'in.jsonl', purpose: FilePurpose.BATCH, bytes: 5, createdAt: 1, expiresAt: 2, content: 'lines' };
    // Act
    await store.putFile(file);
    // Assess
    expect(s3.objects.get(`${BUCKET}/${batchFileKey('acme', 'file_a')}`)).toBe('lines');
    expect(await store.getFile('acme', 'file_a')).toEqual(file);
    expect(await store.getFile('globex', 'file_a')).toBeUndefined();
  });

  test("a tenant's batches list newest first, page by page after a cursor", async () => {
    // Prepare
    const { store } = await newStore();
    for (const [id, at] of [['batch_1', 100], ['batch_3', 300], ['batch_2', 200]] as const) await store.putBatch(batch(id, at));
    await store.putBatch(batch('batch_other', 400, BatchStatus.IN_PROGRESS, 'globex'));
    // Act
    const first = await store.listBatches('acme', undefined, 2);
    const rest = await store.listBatches('acme', 'batch_2', 2);
    // Assess
    expect([first.data.map((b) => b.id), first.hasMore]).toEqual([['batch_3', 'batch_2'], true]);
    expect([rest.data.map((b) => b.id), rest.hasMore]).toEqual([['batch_1'], false]);
  });

  test('unfinished batches of every tenant are found; a finished batch leaves the index', async () => {
    // Prepare
    const { store } = await newStore();
    await store.putBatch(batch('batch_open', 1));
    await store.putBatch(batch('batch_globex', 2, BatchStatus.VALIDATING, 'globex'));
    await store.putBatch(batch('batch_done', 3));
    // Act
    await store.putBatch(batch('batch_done', 3, BatchStatus.COMPLETED));
    // Assess
    expect((await store.unfinishedBatches()).map((b) => b.id).sort()).toEqual(['batch_globex', 'batch_open']);
  });

  test('a line result is written once: a replay is refused and keeps the first', async () => {
    // Prepare
    const { store } = await newStore();
    // Act
    const first = await store.putLineResult('batch_1', result(1));
    const replay = await store.putLineResult('batch_1', { ...result(1), ok: false, json: '{"replayed":true}' });
    // Assess
    expect([first, replay]).toEqual([true, false]);
    expect([...(await store.lineResults('batch_1')).values()]).toEqual([result(1)]);
  });

  test.each<Fault>(['late', 'drop'])('a line result whose write is answered %s is written once and reported as written', async (fault) => {
    // Prepare
    const { store } = await newStore();
    local.proxy.inject('PutItem', fault);
    // Act
    const written = await store.putLineResult('batch_1', result(7));
    // Assess
    expect(local.proxy.injected()).toBeGreaterThan(0);
    expect(written).toBe(true);
    expect([...(await store.lineResults('batch_1')).values()]).toEqual([result(7)]);
  });

  test("a job's records too large for an item are kept in the bucket and read back", async () => {
    // Prepare
    const { store } = await newStore();
    const records = Array.from({ length: 5000 }, (_, i) => ({ recordId: `R${String(i).padStart(10, '0')}`, line: i + 1 }));
    const job = { name: 'gw-1-0', batchId: 'batch_1', tenantId: 'acme', modelId: 'm', records, jobArn: 'arn:job' };
    // Act
    await store.putJob(job);
    // Assess
    expect(s3.objects.has(`${BUCKET}/spill/jobs/gw-1-0/records.json`)).toBe(true);
    expect(await store.getJob('gw-1-0')).toEqual(job);
    expect(await store.jobsOfBatch('batch_1')).toEqual([job]);
  });
});

describe('S3ObjectStore', () => {
  test('lists every key under a prefix across pages', async () => {
    // Prepare
    const objects = new S3ObjectStore({ client, bucket: BUCKET });
    for (const n of [1, 2, 3, 4, 5]) await objects.put(`jobs/list/output/${n}.jsonl.out`, `${n}`);
    // Act
    const keys = await objects.list('jobs/list/output/');
    // Assess
    expect(keys).toEqual([1, 2, 3, 4, 5].map((n) => `jobs/list/output/${n}.jsonl.out`));
  });

  test('reads a missing object as undefined', async () => {
    // Prepare
    const objects = new S3ObjectStore({ client, bucket: BUCKET });
    // Act
    const missing = await objects.get('files/none.jsonl');
    // Assess
    expect(missing).toBeUndefined();
  });

  test('a presigned upload URL takes one PUT of the object', async () => {
    // Prepare
    const objects = new S3ObjectStore({ client, bucket: BUCKET });
    const url = await objects.uploadUrl('files/acme/file_big.jsonl');
    // Act
    const res = await fetch(url, { method: 'PUT', body: 'big file', headers: { 'content-type': 'application/jsonl' } });
    // Assess
    expect(res.status).toBe(200);
    expect(await objects.get('files/acme/file_big.jsonl')).toBe('big file');
  });
});
