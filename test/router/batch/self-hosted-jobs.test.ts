/**
 * Self-hosted batch lines as `vllm run-batch` Kubernetes Jobs: the worker's tick against a fake
 * Kubernetes API server on loopback (the real HTTP client and EKS token), the real pipeline with
 * fake adapters, an in-memory bucket and store, and an injected clock. Success priced from GPU
 * hours, Job failure, partial output, cancellation, expiry, idle hours, a replayed tick and a crash
 * between the Job's creation and its settlement: every line ends once, with one usage record.
 */
import { eksBearerToken } from '../../../lambda/router/batch/eks-token';
import { httpKubernetesJobs, KubernetesJobsApi } from '../../../lambda/router/batch/kubernetes-jobs';
import { BatchRunner } from '../../../lambda/router/batch/runner';
import { SelfHostedBatchJobs, selfHostedJobName } from '../../../lambda/router/batch/self-hosted-jobs';
import { BatchStatus, FilePurpose, InMemoryBatchStore, LineResult, StoredBatch, StoredJob } from '../../../lambda/router/batch/store';
import { BatchWorker } from '../../../lambda/router/batch/worker';
import { clusterJobsApi } from '../../../lambda/router/batch/self-hosted-wiring';
import { parseBatchInput } from '../../../lambda/router/batch/input-file';
import { SelfHostedBatchConfig } from '../../../lambda/shared/self-hosted-batch-config';
import { fakeKubernetes, FakeKubernetes } from '../../helpers/fake-kubernetes';
import { testGateway, TestGateway } from '../../helpers/router-fakes';
import { MemoryObjects } from './bedrock-fakes';
import { manifestErrors } from '../../selfhosted/helpers/validate-manifests';

const T0 = Date.UTC(2027, 0, 15, 8); // 08:00 UTC
const MINUTE = 60_000;
const NAMESPACE = 'gateway-batch';
const L4_GPU_HOUR_USD = 0.8048;

const chatLine = (id: string): string =>
  JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'chat', messages: [{ role: 'user', content: `Summarise ${id}` }], max_tokens: 500 } });
const INPUT = [chatLine('a'), chatLine('b')].join('\n');

const CONFIG: SelfHostedBatchConfig = {
  clusterName: 'models', endpoint: 'https://unused.example', region: 'us-east-1', namespace: NAMESPACE,
  serviceAccountName: 'gateway-batch', priorityClassName: 'gateway-batch', awsCliImage: 'public.ecr.aws/aws-cli/aws-cli:2.22.35',
  targets: {
    vllm: {
      image: 'vllm/vllm-openai:v0.10.1', model: 'Qwen/Qwen3-8B', servedModelName: 'qwen3-8b', gpus: 1, gpuHourUsd: L4_GPU_HOUR_USD,
      nodeSelector: { 'cdk-ai-gateway.io/node-role': 'gpu', 'node.kubernetes.io/instance-type': 'g6.xlarge' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    },
  },
};

/** What `vllm run-batch` writes for a line: a chat completion with these token counts. */
function runBatchOutput(customId: string, promptTokens: number, completionTokens: number): string {
  return JSON.stringify({
    id: `vllm-${customId}`, custom_id: customId,
    response: {
      status_code: 200, request_id: `vllm-batch-${customId}`,
      body: {
        id: `chatcmpl-${customId}`, object: 'chat.completion', model: 'qwen3-8b',
        choices: [{ index: 0, message: { role: 'assistant', content: `Summary of ${customId}` }, finish_reason: 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
      },
    },
    error: null,
  });
}

let kube: FakeKubernetes;
beforeAll(async () => { kube = await fakeKubernetes({ clusterName: 'models', namespace: NAMESPACE }); });
afterAll(() => kube.close());

interface Setup {
  readonly t: TestGateway;
  readonly store: InMemoryBatchStore;
  readonly objects: MemoryObjects;
  readonly worker: BatchWorker;
  readonly clock: { now: number };
  /** Creates and checks a batch of INPUT for globex. */
  batch(id: string): Promise<StoredBatch>;
  tick(): Promise<unknown>;
  results(id: string): Promise<LineResult[]>;
}

let batches = 0;
async function setup(options: { config?: SelfHostedBatchConfig; store?: InMemoryBatchStore; api?: (api: KubernetesJobsApi) => KubernetesJobsApi } = {}): Promise<Setup> {
  const t = testGateway();
  const store = options.store ?? new InMemoryBatchStore();
  const objects = new MemoryObjects();
  const clock = { now: T0 };
  let n = 0;
  const newId = (prefix: string): string => `${prefix}_${String(++n).padStart(24, '0')}`;
  const now = (): number => clock.now;
  const http = httpKubernetesJobs({
    endpoint: kube.url,
    token: () => eksBearerToken({ clusterName: 'models', region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' }, now }),
  });
  const selfHosted = new SelfHostedBatchJobs({
    store, objects, api: options.api ? options.api(http) : http, lines: t.gateway, config: options.config ?? CONFIG, bucket: 'gw-batch', newId, now,
  });
  const worker = new BatchWorker({ store, lines: t.gateway, selfHosted, maxRunningBatchesPerTenant: 4, newId, now });
  await store.putFile({ id: 'file_in', tenantId: 'globex', filename: 'in.jsonl', purpose: FilePurpose.BATCH, bytes: INPUT.length, createdAt: 0, expiresAt: 1e10, content: INPUT });
  const batch = async (id: string): Promise<StoredBatch> => {
    const createdAt = Math.floor(T0 / 1000);
    const created: StoredBatch = {
      id, tenantId: 'globex', identity: { tenantId: 'globex' }, endpoint: '/v1/chat/completions', inputFileId: 'file_in', completionWindow: '24h',
      metadata: null, status: BatchStatus.VALIDATING, createdAt, expiresAt: createdAt + 86_400, total: 2, refusals: [],
    };
    await store.putBatch(created);
    return new BatchRunner({ store, lines: t.gateway, newId, now }).check(created, parseBatchInput(INPUT));
  };
  const results = async (id: string): Promise<LineResult[]> => [...(await store.lineResults(id)).values()].sort((a, b) => a.line - b.line);
  return { t, store, objects, worker, clock, batch, tick: () => worker.tick(), results };
}

/** A fresh batch id (the fake API server is shared by the file's tests). */
const nextBatchId = (): string => `batch_${String(++batches).padStart(24, '0')}`;
const statusOf = async (s: Setup, id: string) => (await s.store.getBatch('globex', id))?.status;
const codes = (results: readonly LineResult[]) => results.map((r) => r.code ?? 'ok');

describe('starting a batch', () => {
  test('self-hosted lines go to one Job (input in the bucket, deadline the rest of the window), not on demand', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    s.clock.now = T0 + 10 * MINUTE;
    // Act
    await s.tick();
    // Assess
    const name = selfHostedJobName(id, 0);
    const job = kube.jobs.get(name) as { metadata: { namespace: string }; spec: { activeDeadlineSeconds: number; template: { spec: Record<string, unknown> } } };
    const input = s.objects.objects.get(`jobs/${name}/input.jsonl`)!.trim().split('\n').map((l) => JSON.parse(l) as { custom_id: string; body: { model: string } });
    expect({
      namespace: job.metadata.namespace,
      deadline: job.spec.activeDeadlineSeconds,
      priorityClass: job.spec.template.spec.priorityClassName,
      serviceAccount: job.spec.template.spec.serviceAccountName,
      lines: input.map((l) => [l.custom_id, l.body.model]),
      onDemandCalls: s.t.openai.calls.length,
      results: (await s.results(id)).length,
      refusedTokens: kube.refusals.length,
      schemaErrors: manifestErrors([{ ...job, status: undefined }] as unknown as Parameters<typeof manifestErrors>[0]),
    }).toEqual({
      namespace: NAMESPACE, deadline: 86_400 - 600, priorityClass: 'gateway-batch', serviceAccount: 'gateway-batch',
      lines: [['line-1', 'qwen3-8b'], ['line-2', 'qwen3-8b']], onDemandCalls: 0, results: 0, refusedTokens: 0, schemaErrors: [],
    });
  });

  test('a target with weights: the Job created on the API server syncs them before run-batch, which loads the synced path', async () => {
    // Prepare
    const cache = { name: 'model-cache', mountPath: '/cache' };
    const weights = {
      initContainers: [{ name: 'load-weights', image: CONFIG.awsCliImage, command: ['/bin/sh', '-c'], args: ['aws s3 sync "s3://$BUCKET/$PREFIX" /cache/weights'], volumeMounts: [cache] }],
      volumes: [{ name: 'model-cache', emptyDir: {} }],
      volumeMounts: [cache],
      env: [{ name: 'HF_HOME', value: '/cache/huggingface' }],
    };
    const s = await setup({ config: { ...CONFIG, targets: { vllm: { ...CONFIG.targets.vllm, model: '/cache/weights', weights } } } });
    const id = nextBatchId();
    await s.batch(id);
    // Act
    await s.tick();
    // Assess
    type Container = { name: string; args: string[]; env?: unknown[]; volumeMounts: unknown[] };
    const pod = (kube.jobs.get(selfHostedJobName(id, 0)) as { spec: { template: { spec: { initContainers: Container[]; volumes: { name: string }[] } } } }).spec.template.spec;
    const run = pod.initContainers.find((c) => c.name === 'run')!;
    expect({
      init: pod.initContainers.map((c) => c.name),
      volumes: pod.volumes.map((v) => v.name),
      model: run.args[run.args.indexOf('--model') + 1],
      env: run.env,
      mounts: run.volumeMounts,
    }).toEqual({
      init: ['fetch', 'load-weights', 'run'], volumes: ['work', 'model-cache'], model: '/cache/weights',
      env: [{ name: 'HF_HOME', value: '/cache/huggingface' }], mounts: [{ name: 'work', mountPath: '/work' }, cache],
    });
  });

  test('inside the window but outside the idle hours the Job waits for them; the tick at the idle start creates it', async () => {
    // Prepare
    const s = await setup({ config: { ...CONFIG, idleHours: { startHour: 22, endHour: 6 } } });
    const id = nextBatchId();
    await s.batch(id);
    // Act
    await s.tick();
    const before = kube.jobs.has(selfHostedJobName(id, 0));
    s.clock.now = Date.UTC(2027, 0, 15, 22, 2);
    await s.tick();
    // Assess
    expect([before, kube.jobs.has(selfHostedJobName(id, 0))]).toEqual([false, true]);
  });
});

describe('settling a Job', () => {
  test('a completed Job settles each line once, priced from its GPU hours shared by tokens', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    const name = selfHostedJobName(id, 0);
    s.objects.objects.set(`jobs/${name}/output.jsonl`, `${runBatchOutput('line-1', 600, 400)}\n${runBatchOutput('line-2', 2000, 1000)}\n`);
    // Half an hour of one L4 GPU at $0.8048 an hour: $0.4024, 1,000 and 3,000 tokens.
    kube.complete(name, T0 + 5 * MINUTE, T0 + 35 * MINUTE);
    s.clock.now = T0 + 40 * MINUTE;
    // Act
    await s.tick();
    await s.tick();
    // Assess
    const records = s.t.usage.records.filter((r) => r.requestId.startsWith(id));
    expect({
      status: await statusOf(s, id),
      codes: codes(await s.results(id)),
      costs: records.map((r) => [r.requestId, r.inputTokens, r.outputTokens, r.costUsd]).sort(),
      modelCalls: s.t.openai.calls.length,
    }).toEqual({
      status: BatchStatus.COMPLETED,
      codes: ['ok', 'ok'],
      costs: [[`${id}.1`, 600, 400, 0.1006], [`${id}.2`, 2000, 1000, 0.3018]],
      modelCalls: 0,
    });
  });

  test('a failed Job ends its lines batch_job_failed, one usage record each, unpriced', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    kube.fail(selfHostedJobName(id, 0), 'BackoffLimitExceeded', T0, T0 + 20 * MINUTE);
    // Act
    await s.tick();
    // Assess
    const records = s.t.usage.records.filter((r) => r.requestId.startsWith(id));
    expect([await statusOf(s, id), codes(await s.results(id)), records.length, records.map((r) => r.costUsd)])
      .toEqual([BatchStatus.COMPLETED, ['batch_job_failed', 'batch_job_failed'], 2, [0, 0]]);
  });

  test('a Job that completed with part of its output: the answered line pays the whole run, the other ends batch_record_missing', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    const name = selfHostedJobName(id, 0);
    s.objects.objects.set(`jobs/${name}/output.jsonl`, `${runBatchOutput('line-2', 500, 500)}\nnot json\n`);
    kube.complete(name, T0, T0 + 60 * MINUTE);
    // Act
    await s.tick();
    // Assess
    const records = s.t.usage.records.filter((r) => r.requestId.startsWith(id));
    expect([codes(await s.results(id)), records.map((r) => [r.requestId, r.costUsd]).sort()])
      .toEqual([['batch_record_missing', 'ok'], [[`${id}.1`, 0], [`${id}.2`, L4_GPU_HOUR_USD]]]);
  });

  test('a Job past its deadline (DeadlineExceeded) ends its lines batch_expired', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    kube.fail(selfHostedJobName(id, 0), 'DeadlineExceeded', T0, T0 + 60 * MINUTE);
    // Act
    await s.tick();
    // Assess
    expect([await statusOf(s, id), codes(await s.results(id))]).toEqual([BatchStatus.EXPIRED, ['batch_expired', 'batch_expired']]);
  });
});

describe('stopping', () => {
  test('a cancelled batch deletes its running Job with its pods (Background) and ends its lines batch_cancelled', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    const batch = await s.batch(id);
    await s.tick();
    const name = selfHostedJobName(id, 0);
    kube.start(name, T0 + MINUTE);
    await s.store.putBatch({ ...(await s.store.getBatch('globex', id))!, status: BatchStatus.CANCELLING, cancellingAt: batch.createdAt + 60 });
    // Act
    await s.tick();
    // Assess
    const deletes = kube.calls.filter((c) => c.method === 'DELETE' && c.path.endsWith(`/${name}`));
    expect({
      status: await statusOf(s, id), codes: codes(await s.results(id)), deleted: deletes.map((c) => c.body?.propagationPolicy), gone: !kube.jobs.has(name),
      records: s.t.usage.records.filter((r) => r.requestId.startsWith(id)).length,
    }).toEqual({ status: BatchStatus.CANCELLED, codes: ['batch_cancelled', 'batch_cancelled'], deleted: ['Background'], gone: true, records: 2 });
  });

  test('a cancelled batch whose Job already completed keeps its answers (the GPUs ran)', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    const name = selfHostedJobName(id, 0);
    s.objects.objects.set(`jobs/${name}/output.jsonl`, `${runBatchOutput('line-1', 10, 10)}\n${runBatchOutput('line-2', 10, 10)}\n`);
    kube.complete(name, T0, T0 + MINUTE);
    await s.store.putBatch({ ...(await s.store.getBatch('globex', id))!, status: BatchStatus.CANCELLING });
    // Act
    await s.tick();
    // Assess
    expect([await statusOf(s, id), codes(await s.results(id)), kube.calls.some((c) => c.method === 'DELETE' && c.path.endsWith(`/${name}`))])
      .toEqual([BatchStatus.CANCELLED, ['ok', 'ok'], false]);
  });

  test('a batch past its completion window deletes its Job and ends its lines batch_expired', async () => {
    // Prepare
    const s = await setup();
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    s.clock.now = T0 + 86_400_000;
    // Act
    await s.tick();
    // Assess
    expect([await statusOf(s, id), codes(await s.results(id)), kube.jobs.has(selfHostedJobName(id, 0))])
      .toEqual([BatchStatus.EXPIRED, ['batch_expired', 'batch_expired'], false]);
  });
});

describe('replays and crashes', () => {
  test('a crash after the Job was created but before it was recorded: the next tick finds it (409), one Job, lines settled once', async () => {
    // Prepare: the store fails the write that records the launch, once.
    const store = new InMemoryBatchStore();
    const putJob = store.putJob.bind(store);
    let crashed = false;
    store.putJob = (job: StoredJob) => {
      if (job.launchedAt !== undefined && !crashed) {
        crashed = true;
        return Promise.reject(new Error('SIGKILL'));
      }
      return putJob(job);
    };
    const s = await setup({ store });
    const id = nextBatchId();
    await s.batch(id);
    await expect(s.tick()).rejects.toThrow('SIGKILL');
    // Act
    await s.tick();
    const name = selfHostedJobName(id, 0);
    s.objects.objects.set(`jobs/${name}/output.jsonl`, `${runBatchOutput('line-1', 10, 10)}\n${runBatchOutput('line-2', 10, 10)}\n`);
    kube.complete(name, T0, T0 + MINUTE);
    await s.tick();
    await s.tick();
    // Assess
    const creates = kube.calls.filter((c) => c.method === 'POST' && (c.body?.metadata as { name?: string } | undefined)?.name === name);
    expect([creates.length, (await s.store.getJob(name))?.launchedAt !== undefined, codes(await s.results(id)),
      s.t.usage.records.filter((r) => r.requestId.startsWith(id)).length]).toEqual([2, true, ['ok', 'ok'], 2]);
  });

  test('a crash in the middle of settling: the next tick settles the rest at the same price, each line once', async () => {
    // Prepare: the Job's status read fails once after the Job ended (between create and settle), then a line result write fails once.
    const store = new InMemoryBatchStore();
    const putLineResult = store.putLineResult.bind(store);
    let crashedSettling = false;
    store.putLineResult = (batchId: string, result: LineResult) => {
      if (result.line === 2 && !crashedSettling) {
        crashedSettling = true;
        return Promise.reject(new Error('SIGKILL'));
      }
      return putLineResult(batchId, result);
    };
    let crashedReading = false;
    const s = await setup({
      store,
      api: (api) => ({ ...api, get: (ns, name) => (crashedReading ? api.get(ns, name) : (crashedReading = true, Promise.reject(new Error('ECONNRESET')))) }),
    });
    const id = nextBatchId();
    await s.batch(id);
    await s.tick();
    const name = selfHostedJobName(id, 0);
    s.objects.objects.set(`jobs/${name}/output.jsonl`, `${runBatchOutput('line-1', 600, 400)}\n${runBatchOutput('line-2', 2000, 1000)}\n`);
    kube.complete(name, T0, T0 + 30 * MINUTE);
    await expect(s.tick()).rejects.toThrow('ECONNRESET');
    await expect(s.tick()).rejects.toThrow('SIGKILL');
    // The Job is gone by now (its TTL): the stored run prices the replay.
    await kube.close().then(async () => { kube = await fakeKubernetes({ clusterName: 'models', namespace: NAMESPACE }); });
    // Act
    await s.tick();
    // Assess: the ledger keeps the first record of a request id (a conditional write); every record of a line is the same.
    const records = s.t.usage.records.filter((r) => r.requestId.startsWith(id));
    const byLine = new Map<string, Set<number>>();
    for (const r of records) byLine.set(r.requestId, (byLine.get(r.requestId) ?? new Set()).add(r.costUsd));
    expect([await statusOf(s, id), codes(await s.results(id)), [...byLine].map(([k, v]) => [k, [...v]]).sort()])
      .toEqual([BatchStatus.COMPLETED, ['ok', 'ok'], [[`${id}.1`, [0.1006]], [`${id}.2`, [0.3018]]]]);
  });
});

describe('the deployed wiring', () => {
  test('clusterJobsApi signs with the function\'s credentials from its environment and creates the Job once', async () => {
    // Prepare
    const api = clusterJobsApi({ ...CONFIG, endpoint: kube.url }, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'gwk-wiring-0', namespace: NAMESPACE }, spec: {} };
    const refusals = kube.refusals.length;
    // Act
    const outcomes = [await api.create(job), await api.create(job)];
    const state = await api.get(NAMESPACE, 'gwk-wiring-0');
    await api.remove(NAMESPACE, 'gwk-wiring-0');
    await api.remove(NAMESPACE, 'gwk-wiring-0');
    // Assess
    expect([outcomes, state, kube.jobs.has('gwk-wiring-0'), kube.refusals.length - refusals]).toEqual([['created', 'exists'], { phase: 'running' }, false, 0]);
  });
});
