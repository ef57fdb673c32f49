/**
 * The deployed batch worker against fakes (the Bedrock control plane, the bucket) and the real
 * pipeline with fake adapters, on an injected clock: the tick starts a tenant's batches up to its
 * running limit (pooled Bedrock lines in a job, the rest on demand), stops cancelled and expired
 * batches, resumes a started one; a job state change settles its lines, twice delivered once.
 */
import { BedrockBatchJobs } from '../../../lambda/router/batch/bedrock-jobs';
import { BatchRunner } from '../../../lambda/router/batch/runner';
import { BatchStatus, FilePurpose, InMemoryBatchStore, StoredBatch } from '../../../lambda/router/batch/store';
import { BatchWorker } from '../../../lambda/router/batch/worker';
import { parseBatchInput } from '../../../lambda/router/batch/input-file';
import { BATCH_TICK_EVENT } from '../../../lambda/shared/batch-table-schema';
import { testGateway, TestGateway } from '../../helpers/router-fakes';
import { classifyConfig, FakeBedrockJobs, jobEvent, line, MemoryObjects } from './bedrock-fakes';

const INPUT = [line('b1', 'classify'), line('b2', 'classify'), line('b3', 'classify'), line('v1', 'chat')].join('\n');
const T0 = 1_800_000_000_000;

interface Setup {
  readonly t: TestGateway;
  readonly store: InMemoryBatchStore;
  readonly api: FakeBedrockJobs;
  readonly worker: BatchWorker;
  readonly clock: { now: number };
  /** Creates and checks a batch of INPUT for globex, `ageS` seconds old. */
  batch(id: string, ageS?: number): Promise<StoredBatch>;
}

async function setup(maxRunning = 1): Promise<Setup> {
  const t = testGateway({ config: classifyConfig(0.00003, 0.00012) });
  const store = new InMemoryBatchStore();
  const api = new FakeBedrockJobs();
  const clock = { now: T0 };
  let n = 0;
  const newId = (prefix: string): string => `${prefix}_${String(++n).padStart(24, '0')}`;
  const now = (): number => clock.now;
  const jobs = new BedrockBatchJobs({ store, objects: new MemoryObjects(), api, lines: t.gateway, bucket: 'gw-batch', roleArn: 'arn:role', minRecords: 3, newId, now });
  const worker = new BatchWorker({ store, lines: t.gateway, jobs, maxRunningBatchesPerTenant: maxRunning, newId, now });
  await store.putFile({ id: 'file_in', tenantId: 'globex', filename: 'in.jsonl', purpose: FilePurpose.BATCH, bytes: INPUT.length, createdAt: 0, expiresAt: 1e10, content: INPUT });
  const batch = async (id: string, ageS = 0): Promise<StoredBatch> => {
    const createdAt = Math.floor(T0 / 1000) - ageS;
    const created: StoredBatch = {
      id, tenantId: 'globex', identity: { tenantId: 'globex' }, endpoint: '/v1/chat/completions', inputFileId: 'file_in', completionWindow: '24h',
      metadata: null, status: BatchStatus.VALIDATING, createdAt, expiresAt: createdAt + 86_400, total: 4, refusals: [],
    };
    await store.putBatch(created);
    return new BatchRunner({ store, lines: t.gateway, newId, now }).check(created, parseBatchInput(INPUT));
  };
  return { t, store, api, worker, clock, batch };
}

test('a tick starts the oldest batches up to the tenant limit, pooling Bedrock lines in a job; the others wait', async () => {
  // Prepare
  const s = await setup(1);
  await s.batch('batch_old', 60);
  await s.batch('batch_new', 10);
  // Act
  const { tick } = await s.worker.handle(BATCH_TICK_EVENT);
  // Assess
  expect([tick?.started, tick?.waiting, s.api.created.length]).toEqual([['batch_old'], ['batch_new'], 1]);
});

test('a job state change event settles its lines and finishes the batch; delivered again it records nothing twice', async () => {
  // Prepare
  const s = await setup();
  await s.batch('batch_a');
  await s.worker.handle(BATCH_TICK_EVENT);
  const records = s.t.usage.records.length;
  // Act
  await s.worker.handle(jobEvent('Failed', s.api.created[0].jobName!));
  await s.worker.handle(jobEvent('Failed', s.api.created[0].jobName!));
  // Assess
  expect(s.t.usage.records.length - records).toBe(3);
  expect((await s.store.getBatch('globex', 'batch_a'))?.status).toBe(BatchStatus.COMPLETED);
});

test('a tick stops the jobs of a cancelled batch; their Stopped event ends it cancelled', async () => {
  // Prepare
  const s = await setup();
  await s.batch('batch_c');
  await s.worker.handle(BATCH_TICK_EVENT);
  const started = (await s.store.getBatch('globex', 'batch_c'))!;
  await s.store.putBatch({ ...started, status: BatchStatus.CANCELLING });
  // Act
  const { tick } = await s.worker.handle(BATCH_TICK_EVENT);
  await s.worker.handle(jobEvent('Stopped', s.api.created[0].jobName!));
  // Assess
  expect([tick?.cancelled, s.api.stopped.length]).toEqual([['batch_c'], 1]);
  expect((await s.store.getBatch('globex', 'batch_c'))?.status).toBe(BatchStatus.CANCELLED);
});

test('a batch cancelled before it started starts no job and ends cancelled', async () => {
  // Prepare
  const s = await setup();
  const batch = await s.batch('batch_early');
  await s.store.putBatch({ ...batch, status: BatchStatus.CANCELLING });
  // Act
  await s.worker.handle(BATCH_TICK_EVENT);
  // Assess
  expect([s.api.created.length, (await s.store.getBatch('globex', 'batch_early'))?.status]).toEqual([0, BatchStatus.CANCELLED]);
});

test('a tick past the completion window stops the jobs and ends the other lines batch_expired', async () => {
  // Prepare
  const s = await setup();
  await s.batch('batch_x');
  await s.worker.handle(BATCH_TICK_EVENT);
  s.clock.now = T0 + 86_401_000;
  // Act
  const { tick } = await s.worker.handle(BATCH_TICK_EVENT);
  // Assess
  expect([tick?.expired, s.api.stopped]).toEqual([['batch_x'], [expect.stringContaining(s.api.created[0].jobName!)]]);
});

test('an event that is neither a job state change nor the tick is ignored', async () => {
  // Prepare
  const s = await setup();
  // Act
  const answer = await s.worker.handle({ source: 'aws.s3' });
  // Assess
  expect(answer).toEqual({ ignored: true });
});
