/**
 * Bedrock batch jobs against fakes (the control plane, the bucket) and the real gateway pipeline
 * with fake adapters: lines grouped into a Converse job above the minimum, the rest served on
 * demand at the on-demand price; the job's end event settles every line through the pipeline at
 * the batch price without calling the model; job failure, partial failure, cancellation, expiry;
 * the event delivered twice records usage once.
 */
import { BedrockBatchJobs } from '../../../lambda/router/batch/bedrock-jobs';
import { parseBatchInput } from '../../../lambda/router/batch/input-file';
import { BatchRunner } from '../../../lambda/router/batch/runner';
import { BatchStatus, FilePurpose, InMemoryBatchStore, StoredBatch } from '../../../lambda/router/batch/store';
import { Outcome } from '../../../lambda/router/usage/types';
import { resolved } from '../../helpers/router-config';
import { testGateway, TestGateway } from '../../helpers/router-fakes';
import { classifyConfig, FakeBedrockJobs, jobEvent, line, MemoryObjects, NOVA } from './bedrock-fakes';

const BATCH_IN = 0.00003;
const BATCH_OUT = 0.00012;

/** Four lines for the Bedrock route, one for the self-hosted-first route, one the tenant may not call. */
const INPUT = [line('b1', 'classify'), line('b2', 'classify'), line('b3', 'classify'), line('b4', 'classify'), line('v1', 'chat'), line('x1', 'secure')].join('\n');

interface Setup {
  readonly t: TestGateway;
  readonly store: InMemoryBatchStore;
  readonly objects: MemoryObjects;
  readonly api: FakeBedrockJobs;
  readonly jobs: BedrockBatchJobs;
  readonly batch: StoredBatch;
}

async function setup(): Promise<Setup> {
  const t = testGateway({ config: classifyConfig(BATCH_IN, BATCH_OUT) });
  const store = new InMemoryBatchStore();
  const objects = new MemoryObjects();
  const api = new FakeBedrockJobs();
  let n = 0;
  const newId = (prefix: string): string => `${prefix}_${String(++n).padStart(24, '0')}`;
  const jobs = new BedrockBatchJobs({ store, objects, api, lines: t.gateway, bucket: 'gw-batch', roleArn: 'arn:aws:iam::111122223333:role/batch', minRecords: 3, newId });
  await store.putFile({ id: 'file_in', tenantId: 'globex', filename: 'in.jsonl', purpose: FilePurpose.BATCH, bytes: INPUT.length, createdAt: 0, expiresAt: 1e10, content: INPUT });
  const created: StoredBatch = {
    id: 'batch_00000000000000000000abcd', tenantId: 'globex', identity: { tenantId: 'globex' }, endpoint: '/v1/chat/completions',
    inputFileId: 'file_in', completionWindow: '24h', metadata: null, status: BatchStatus.VALIDATING,
    createdAt: Math.floor(Date.now() / 1000), expiresAt: Math.floor(Date.now() / 1000) + 86_400, total: 6, refusals: [],
  };
  await store.putBatch(created);
  const checked = await new BatchRunner({ store, lines: t.gateway, newId }).check(created, parseBatchInput(INPUT));
  t.usage.clear();
  const batch = await jobs.submit(checked);
  return { t, store, objects, api, jobs, batch };
}

const converseAnswer = (text: string) => ({
  output: { message: { role: 'assistant', content: [{ text }] } }, stopReason: 'end_turn', usage: { inputTokens: 10, outputTokens: 2, totalTokens: 12 },
});


async function writeOutput(s: Setup, records: readonly { recordId: string; ok: boolean }[]): Promise<string> {
  const jobName = s.api.created[0].jobName!;
  const body = records.map((r) => JSON.stringify(r.ok
    ? { recordId: r.recordId, modelInput: {}, modelOutput: converseAnswer(`label-${r.recordId}`) }
    : { recordId: r.recordId, modelInput: {}, error: { errorCode: 400, errorMessage: 'bad record' } })).join('\n');
  await s.objects.put(`jobs/${jobName}/output/job-id-1/input.jsonl.out`, `${body}\n`);
  await s.objects.put(`jobs/${jobName}/output/job-id-1/manifest.json.out`, '{}');
  return jobName;
}

async function fileLines(s: Setup, batch: StoredBatch, which: 'outputFileId' | 'errorFileId'): Promise<Record<string, Record<string, unknown>>> {
  const file = batch[which] === undefined ? undefined : await s.store.getFile('globex', batch[which]!);
  const parsed = (file?.content.trim().split('\n') ?? []).map((l) => JSON.parse(l) as Record<string, unknown>);
  return Object.fromEntries(parsed.map((p) => [p.custom_id as string, p]));
}

const ALL_RECORDS = ['R0000000000', 'R0000000001', 'R0000000002', 'R0000000003'];

describe('BedrockBatchJobs', () => {
  test('the Bedrock lines become one Converse job of records; the others run at once, on demand', async () => {
    const s = await setup();
    expect(s.api.created).toHaveLength(1);
    expect(s.api.created[0]).toMatchObject({ modelId: NOVA, modelInvocationType: 'Converse', clientRequestToken: s.api.created[0].jobName });
    const records = s.objects.objects.get(`jobs/${s.api.created[0].jobName}/input.jsonl`)!.trim().split('\n');
    expect(records).toHaveLength(4);
    // Only the self-hosted-first line reached a model so far, priced on demand; the refused line is recorded.
    expect(s.t.bedrock.calls).toHaveLength(0);
    expect(s.t.openai.calls).toHaveLength(1);
    expect(s.t.usage.records.map((r) => r.outcome).sort()).toEqual([Outcome.REJECTED, Outcome.SUCCESS].sort());
    expect(s.batch.status).toBe(BatchStatus.IN_PROGRESS);
  });

  test('submitting again (a retry after a crash) names the same job: one job for its token', async () => {
    const s = await setup();
    await s.jobs.submit(s.batch);
    expect(new Set(s.api.created.map((c) => c.clientRequestToken)).size).toBe(1);
  });

  test('the end event settles each record through the pipeline at the batch price, without calling the model', async () => {
    const s = await setup();
    s.t.usage.clear();
    const jobName = await writeOutput(s, ALL_RECORDS.map((recordId) => ({ recordId, ok: true })));
    const batch = (await s.jobs.onEvent(jobEvent('Completed', jobName)))!;
    expect(batch.status).toBe(BatchStatus.COMPLETED);
    expect(s.t.bedrock.calls).toHaveLength(0);
    expect(s.t.usage.records).toHaveLength(4);
    for (const r of s.t.usage.records) expect(r.costUsd).toBeCloseTo((10 * BATCH_IN + 2 * BATCH_OUT) / 1000, 12);
    const output = await fileLines(s, batch, 'outputFileId');
    expect(Object.keys(output).sort()).toEqual(['b1', 'b2', 'b3', 'b4', 'v1']);
    expect(output.b1).toMatchObject({ response: { status_code: 200, body: { choices: [{ message: { content: 'label-R0000000000' } }] } } });
  });

  test('the end event delivered twice records usage once', async () => {
    const s = await setup();
    const jobName = await writeOutput(s, ALL_RECORDS.map((recordId) => ({ recordId, ok: true })));
    s.t.usage.clear();
    await s.jobs.onEvent(jobEvent('Completed', jobName));
    await s.jobs.onEvent(jobEvent('Completed', jobName));
    expect(s.t.usage.records.map((r) => r.requestId).sort()).toEqual([1, 2, 3, 4].map((n) => `${s.batch.id}.${n}`));
  });

  test('a partially completed job: failed records and missing records land in the error file', async () => {
    const s = await setup();
    const jobName = await writeOutput(s, [{ recordId: ALL_RECORDS[0], ok: true }, { recordId: ALL_RECORDS[1], ok: false }]);
    const batch = (await s.jobs.onEvent(jobEvent('PartiallyCompleted', jobName)))!;
    const errors = await fileLines(s, batch, 'errorFileId');
    expect(errors.b2).toMatchObject({ response: { status_code: 400 } });
    expect(errors.b3).toMatchObject({ error: { code: 'batch_record_failed' } });
    expect(errors.b4).toMatchObject({ error: { code: 'batch_record_failed' } });
    expect(batch.status).toBe(BatchStatus.COMPLETED);
  });

  test.each([
    ['Failed', 'batch_job_failed'],
    ['Stopped', 'batch_cancelled'],
    ['Expired', 'batch_expired'],
  ])('a job that ended %s: every line without a record ends as %s, each with one usage record', async (status, code) => {
    const s = await setup();
    s.t.usage.clear();
    const batch = (await s.jobs.onEvent(jobEvent(status, s.api.created[0].jobName!)))!;
    const errors = await fileLines(s, batch, 'errorFileId');
    for (const id of ['b1', 'b2', 'b3', 'b4']) expect(errors[id]).toMatchObject({ error: { code } });
    expect(s.t.usage.records).toHaveLength(4);
  });

  test('events still running, of other jobs or other sources change nothing', async () => {
    const s = await setup();
    s.t.usage.clear();
    expect(await s.jobs.onEvent(jobEvent('InProgress', s.api.created[0].jobName!))).toBeUndefined();
    expect(await s.jobs.onEvent(jobEvent('Completed', 'gw-someone-else-0'))).toBeUndefined();
    expect(await s.jobs.onEvent({ source: 'aws.ec2' })).toBeUndefined();
    expect(s.t.usage.records).toHaveLength(0);
  });

  test('cancelling stops the batch\'s jobs', async () => {
    const s = await setup();
    await s.jobs.cancel(s.batch);
    expect(s.api.stopped).toEqual([`arn:aws:bedrock:us-east-1:111122223333:model-invocation-job/${s.api.created[0].jobName}`]);
  });

  test('a group below the minimum records is served on demand at the on-demand price', async () => {
    const s = await setup();
    const jobs = new BedrockBatchJobs({
      store: s.store, objects: s.objects, api: new FakeBedrockJobs(), lines: s.t.gateway, bucket: 'b', roleArn: 'r', minRecords: 5, newId: (p) => `${p}_x`,
    });
    const store2 = s.store;
    const fresh: StoredBatch = { ...s.batch, id: 'batch_00000000000000000000beef', status: BatchStatus.IN_PROGRESS };
    await store2.putBatch(fresh);
    s.t.usage.clear();
    const done = await jobs.submit(fresh);
    expect(done.status).toBe(BatchStatus.COMPLETED);
    expect(s.t.bedrock.calls).toHaveLength(4);
    const nova = s.t.usage.records.filter((r) => r.route === 'classify');
    expect(nova).toHaveLength(4);
    const onDemand = resolved().prices.get(NOVA)!;
    for (const r of nova) expect(r.costUsd).toBeCloseTo((r.inputTokens * onDemand.inputUsdPer1K + r.outputTokens * onDemand.outputUsdPer1K) / 1000, 12);
  });
});
