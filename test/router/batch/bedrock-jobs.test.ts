/**
 * Bedrock batch jobs against fakes (the control plane, the bucket) and the real gateway pipeline
 * with fake adapters: lines grouped into a Converse job above the minimum, the rest served on
 * demand at the on-demand price; the job's end event settles every line through the pipeline at
 * the batch price without calling the model; job failure, partial failure, cancellation, expiry;
 * the event delivered twice records usage once.
 */
import { BedrockBatchJobs } from '../../../lambda/router/batch/bedrock-jobs';
import { parseBatchInput } from '../../../lambda/router/batch/input-file';
import { recordedAnswers } from '../../../lambda/router/batch/precomputed';
import { BatchRunner } from '../../../lambda/router/batch/runner';
import { fromRunBatchEmbeddings, parseRunBatchOutput } from '../../../lambda/router/providers/openai/run-batch-records';
import { BatchStatus, FilePurpose, InMemoryBatchStore, StoredBatch } from '../../../lambda/router/batch/store';
import { Outcome } from '../../../lambda/router/usage/types';
import type { BedrockTarget, EmbeddingRequest, Embeddings, OpenAiTarget } from '../../../lambda/router/providers/types';
import { TargetKind } from '../../../lambda/shared/config';
import { resolved, testConfig } from '../../helpers/router-config';
import { FakeAdapter, testGateway, TestGateway } from '../../helpers/router-fakes';
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
  const { jobs, checked } = await checkedBatch(t, store, objects, api, 3, { id: 'batch_00000000000000000000abcd', endpoint: '/v1/chat/completions', input: INPUT });
  t.usage.clear();
  const batch = await jobs.submit(checked);
  return { t, store, objects, api, jobs, batch };
}

/** Globex's batch of `input`, stored and checked, and the jobs that would run it. */
async function checkedBatch(
  t: TestGateway, store: InMemoryBatchStore, objects: MemoryObjects, api: FakeBedrockJobs, minRecords: number,
  spec: { readonly id: string; readonly endpoint: string; readonly input: string },
): Promise<{ jobs: BedrockBatchJobs; checked: StoredBatch }> {
  let n = 0;
  const newId = (prefix: string): string => `${prefix}_${String(++n).padStart(24, '0')}`;
  const jobs = new BedrockBatchJobs({ store, objects, api, lines: t.gateway, bucket: 'gw-batch', roleArn: 'arn:aws:iam::111122223333:role/batch', minRecords, newId });
  await store.putFile({ id: 'file_in', tenantId: 'globex', filename: 'in.jsonl', purpose: FilePurpose.BATCH, bytes: spec.input.length, createdAt: 0, expiresAt: 1e10, content: spec.input });
  const created: StoredBatch = {
    id: spec.id, tenantId: 'globex', identity: { tenantId: 'globex' }, endpoint: spec.endpoint,
    inputFileId: 'file_in', completionWindow: '24h', metadata: null, status: BatchStatus.VALIDATING,
    createdAt: Math.floor(Date.now() / 1000), expiresAt: Math.floor(Date.now() / 1000) + 86_400, total: parseBatchInput(spec.input).length, refusals: [],
  };
  await store.putBatch(created);
  return { jobs, checked: await new BatchRunner({ store, lines: t.gateway, newId }).check(created, parseBatchInput(spec.input)) };
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

describe('BedrockBatchJobs: embeddings lines', () => {
  const TITAN = 'amazon.titan-embed-text-v2:0';
  const TITAN_ON_DEMAND = 0.00002;

  /** The fake Bedrock adapter, with embeddings. */
  class EmbeddingBedrock extends FakeAdapter<BedrockTarget> {
    readonly embedded: EmbeddingRequest[] = [];
    embed(target: BedrockTarget, request: EmbeddingRequest): Promise<Embeddings> {
      this.embedded.push(request);
      return Promise.resolve({ vectors: request.inputs.map(() => [0.25, 0.5]), inputTokens: 7, servedModel: target.modelId });
    }
  }

  test('run on demand at the on-demand price, never in a Converse job, each with one usage record', async () => {
    const base = testConfig();
    const config = resolved({
      ...base,
      tenants: base.tenants.map((t) => (t.id === 'globex' ? { ...t, allowedAliases: [...t.allowedAliases, 'embed'] } : t)),
      targets: [...base.targets, { id: 'titan', kind: TargetKind.BEDROCK, modelId: TITAN, region: 'us-east-1', capabilities: { embeddings: true } }],
      routes: [...base.routes, { alias: 'embed', targets: ['titan'] }],
      prices: { ...base.prices, [TITAN]: { inputUsdPer1K: TITAN_ON_DEMAND, outputUsdPer1K: 0, batchInputUsdPer1K: TITAN_ON_DEMAND / 2, batchOutputUsdPer1K: 0 } },
    });
    const bedrock = new EmbeddingBedrock('bedrock');
    const t = testGateway({ config, providers: { bedrock, openai: new FakeAdapter<OpenAiTarget>('openai') } });
    const store = new InMemoryBatchStore();
    const api = new FakeBedrockJobs();
    const input = ['e1', 'e2', 'e3'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/embeddings', body: { model: 'embed', input: [`text ${id}`, 'more'] } })).join('\n');
    const created = { id: 'batch_0000000000000000000embed', endpoint: '/v1/embeddings', input };
    const { jobs, checked } = await checkedBatch(t, store, new MemoryObjects(), api, 1, created);
    expect(checked.refusals).toEqual([]);
    const batch = await jobs.submit(checked);

    expect(api.created).toEqual([]);
    expect(bedrock.embedded.map((r) => r.inputs)).toEqual([['text e1', 'more'], ['text e2', 'more'], ['text e3', 'more']]);
    expect(batch.status).toBe(BatchStatus.COMPLETED);
    expect(t.usage.records.map((r) => r.requestId).sort()).toEqual([1, 2, 3].map((l) => `${created.id}.${l}`));
    for (const r of t.usage.records) {
      expect(r).toMatchObject({ operation: 'embeddings', inputTokens: 7, outputTokens: 0, outcome: Outcome.SUCCESS });
      expect(r.costUsd).toBeCloseTo((7 * TITAN_ON_DEMAND) / 1000, 12);
    }
    const output = await store.getFile('globex', batch.outputFileId!);
    const first = JSON.parse(output!.content.trim().split('\n')[0]) as { response: { body: unknown } };
    expect(first.response.body).toMatchObject({ object: 'list', model: 'embed', data: [{ index: 0, embedding: [0.25, 0.5] }, { index: 1 }] });
  });

  test('a line a run-batch job answered settles through the pipeline at the batch price, without calling the model', async () => {
    const base = testConfig();
    const config = resolved({
      ...base,
      tenants: base.tenants.map((t) => (t.id === 'globex' ? { ...t, allowedAliases: [...t.allowedAliases, 'embed'] } : t)),
      targets: [...base.targets, { id: 'vllm-embed', kind: TargetKind.OPENAI_COMPATIBLE, baseUrl: 'http://vllm-embed:8000/v1', model: 'bge-m3', capabilities: { embeddings: true } }],
      routes: [...base.routes, { alias: 'embed', targets: ['vllm-embed'] }],
      prices: { ...base.prices, 'bge-m3': { inputUsdPer1K: 0.00002, outputUsdPer1K: 0, batchInputUsdPer1K: 0.00001, batchOutputUsdPer1K: 0 } },
    });
    const openai = new FakeAdapter<OpenAiTarget>('openai');
    const t = testGateway({ config, providers: { bedrock: new FakeAdapter<BedrockTarget>('bedrock'), openai } });
    const body = Buffer.from(JSON.stringify({ model: 'embed', input: ['late parcel', 'refund'] }));
    const line = { requestId: 'batch_run.1', url: '/v1/embeddings', body, identity: { tenantId: 'globex' }, receivedAt: Date.now() };
    const plan = await t.gateway.planBatchLine(line);
    if (!('embeddingRequest' in plan)) throw new Error('expected an embeddings plan');
    expect(plan.target).toMatchObject({ kind: 'openai', model: 'bge-m3' });
    const output = parseRunBatchOutput(JSON.stringify({
      custom_id: 'batch_run.1', error: null,
      response: { status_code: 200, body: { model: 'bge-m3', data: [{ index: 0, embedding: [1, 0] }, { index: 1, embedding: [0, 1] }], usage: { prompt_tokens: 6 } } },
    }));
    const answers = recordedAnswers(() => { throw new Error('no chat lines here'); },
      (target, request) => fromRunBatchEmbeddings(target as OpenAiTarget, request, output));

    const answer = await t.gateway.serveBatchLine({ ...line, answers });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ object: 'list', model: 'embed', data: [{ index: 0, embedding: [1, 0] }, { index: 1, embedding: [0, 1] }] });
    expect(openai.calls).toHaveLength(0);
    const [record] = t.usage.records;
    expect(record).toMatchObject({ requestId: 'batch_run.1', operation: 'embeddings', inputTokens: 6, outputTokens: 0, outcome: Outcome.SUCCESS });
    expect(record.costUsd).toBeCloseTo((6 * 0.00001) / 1000, 12);
  });
});
