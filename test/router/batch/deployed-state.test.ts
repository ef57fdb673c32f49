/**
 * The Batch API on its deployed state, through local mode: `DynamoBatchStore` (dynalite) and the
 * batch bucket (a loopback S3), with the real AWS SDK. `cdk-ai-gateway batch submit` sends a file
 * above its inline limit through a presigned upload; the batch runs to one result and one usage
 * record per line, and running it again (a resumed runner) serves nothing twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { runBatchCommand } from '../../../cli/batch';
import { BatchService } from '../../../lambda/router/batch/batch-service';
import { DynamoBatchStore } from '../../../lambda/router/batch/dynamo-store';
import { BatchRunner } from '../../../lambda/router/batch/runner';
import { S3ObjectStore } from '../../../lambda/router/batch/s3-objects';
import { BatchStatus } from '../../../lambda/router/batch/store';
import { BucketFileUploads } from '../../../lambda/router/batch/uploads';
import { Gateway } from '../../../lambda/router/gateway';
import { LocalServer, startLocalServer } from '../../../lambda/router/local/server';
import { createGateway } from '../../../lambda/router/runtime';
import { resolveGatewayConfig } from '../../../lambda/shared/defaults';
import { GatewayConfigValidator } from '../../../lambda/shared/validator';
import { startFakeOpenAiUpstream, type FakeOpenAiUpstream } from '../../helpers/fake-openai-upstream';
import { FakeS3, startFakeS3 } from '../../helpers/fake-s3';
import { InMemoryUsageSink } from '../../helpers/in-memory-usage-sink';
import { ACME_KEY, testConfig } from '../../helpers/router-config';
import { useUsageDynamo } from '../usage/usage-fixtures';
import { createBatchTable } from './batch-table';

const local = useUsageDynamo();
let vllm: FakeOpenAiUpstream;
let s3: FakeS3;
let s3Client: S3Client;
let server: LocalServer;
let gateway: Gateway;
let store: DynamoBatchStore;
let service: BatchService;
let usage: InMemoryUsageSink;
let dir: string;

const line = (id: string): string => JSON.stringify({
  custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: 'Classify: late parcel.' }], max_tokens: 16 },
});

beforeAll(async () => {
  vllm = await startFakeOpenAiUpstream({ models: ['qwen3-8b'] });
  s3 = await startFakeS3();
  s3Client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret' } });
  const objects = new S3ObjectStore({ client: s3Client, bucket: 'batch-bucket' });
  store = new DynamoBatchStore({ client: local.doc, tableName: await createBatchTable(local.dynamo.client), objects });
  service = new BatchService({ store, uploads: new BucketFileUploads(objects) });
  usage = new InMemoryUsageSink();
  gateway = createGateway(resolveGatewayConfig(GatewayConfigValidator.validate(testConfig({ openai: vllm.baseUrl }))), { usageSink: usage, batch: service });
  server = await startLocalServer({ gateway, port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'gw-batch-deployed-'));
});

afterAll(async () => {
  await server.close();
  await vllm.close();
  s3Client.destroy();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

async function submit(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBatchCommand(['submit', ...args, '--url', server.baseUrl, '--key-env', 'GW_KEY'], { stdout: (t) => { out.push(t); }, stderr: (t) => { err.push(t); } }, { GW_KEY: ACME_KEY });
  return { code, out, err };
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ACME_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

test('batch submit sends a file above its inline limit through a presigned upload straight to the bucket', async () => {
  // Prepare
  const input = join(dir, 'big.jsonl');
  writeFileSync(input, `${[line('a'), line('b'), line('c')].join('\n')}\n`);
  // Act
  const submitted = await submit([input, '--inline-limit', '10']);
  // Assess
  expect(submitted).toMatchObject({ code: 0, err: [] });
  expect(s3.requests.filter((r) => r.startsWith('PUT /batch-bucket/files/acme/') && r.includes('X-Amz-Signature='))).toHaveLength(1);
});

test('every line of a batch on the deployed state ends in one result and one usage record, and a resumed run serves none again', async () => {
  // Prepare
  const input = join(dir, 'three.jsonl');
  writeFileSync(input, `${[line('x'), line('y'), line('z')].join('\n')}\n`);
  usage.clear();
  const id = (await submit([input])).out[0].split(' ')[0];
  await service.idle();
  const batch = await store.getBatch('acme', id);
  // Act
  await new BatchRunner({ store, lines: gateway, newId: (p) => `${p}_again` }).run(batch!);
  // Assess
  expect(batch?.status).toBe(BatchStatus.COMPLETED);
  expect((await store.lineResults(id)).size).toBe(3);
  expect(usage.records.filter((r) => r.requestId.startsWith(`${id}.`))).toHaveLength(3);
});

test('completing an upload nothing was PUT to is refused naming file_id', async () => {
  // Prepare
  const upload = await (await post('/files/uploads', { purpose: 'batch' })).json() as { id: string };
  // Act
  const res = await post(`/files/uploads/${upload.id}/complete`, { filename: 'x.jsonl' });
  // Assess
  expect([res.status, (await res.json() as { error: { code: string; param: string } }).error]).toEqual([404, expect.objectContaining({ code: 'upload_not_found', param: 'file_id' })]);
});

test('an upload for another purpose is refused naming purpose', async () => {
  // Act
  const res = await post('/files/uploads', { purpose: 'fine-tune' });
  // Assess
  expect([res.status, (await res.json() as { error: { param: string } }).error.param]).toEqual([400, 'purpose']);
});
