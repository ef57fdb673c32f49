/**
 * The `vllm run-batch` Job: valid for batch/v1, files through S3 around the GPU step, GPU pool
 * placement with spot preferred, the completion window as deadline; and when a batch starts
 * relative to the idle hours.
 */
import { CAPACITY_TYPE_LABEL, runBatchJob, RunBatchJobSpec, startTime } from '../../../lambda/batch/vllm-run-batch-job';
import { expectValidManifests, KubeObject } from '../../selfhosted/helpers/validate-manifests';

const SPEC: RunBatchJobSpec = {
  name: 'gw-batch-0123abcd',
  namespace: 'models',
  serviceAccountName: 'gateway-batch',
  vllmImage: 'vllm/vllm-openai:v0.11.0',
  awsCliImage: 'public.ecr.aws/aws-cli/aws-cli:2.31.0',
  model: 'Qwen/Qwen3-8B',
  servedModelName: 'qwen3-8b',
  engineArgs: ['--max-model-len', '8192'],
  inputS3Uri: 's3://bucket/batches/acme/b1/input.jsonl',
  outputS3Uri: 's3://bucket/batches/acme/b1/output.jsonl',
  gpus: 1,
  nodeSelector: { 'cdk-ai-gateway.io/node-role': 'gpu' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
  priorityClassName: 'gateway-batch',
  deadlineSeconds: 20 * 3600,
  labels: { 'cdk-ai-gateway.io/tenant': 'acme' },
};

type Pod = { initContainers: { name: string; args: string[]; resources?: unknown }[]; containers: { name: string; args: string[] }[]; [k: string]: unknown };
const pod = (job: Record<string, unknown>): Pod => (job as { spec: { template: { spec: Pod } } }).spec.template.spec;

describe('runBatchJob', () => {
  const job = runBatchJob(SPEC);

  test('is a valid batch/v1 Job', () => {
    expectValidManifests([job as unknown as KubeObject]);
  });

  test('fetches the input, runs run-batch on the GPUs, then stores the output', () => {
    const spec = pod(job);
    expect(spec.initContainers.map((c) => c.name)).toEqual(['fetch', 'run']);
    expect(spec.initContainers[0].args).toEqual(expect.arrayContaining([SPEC.inputS3Uri, '/work/input.jsonl']));
    expect(spec.initContainers[1].args).toEqual([
      'run-batch', '-i', '/work/input.jsonl', '-o', '/work/output.jsonl', '--model', 'Qwen/Qwen3-8B', '--served-model-name', 'qwen3-8b', '--max-model-len', '8192',
    ]);
    expect(spec.initContainers[1].resources).toEqual({ limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1' } });
    expect(spec.containers[0].args).toEqual(expect.arrayContaining(['/work/output.jsonl', SPEC.outputS3Uri]));
  });

  test('lands on the GPU pool, prefers spot and runs at the batch priority', () => {
    expect(pod(job)).toMatchObject({
      nodeSelector: SPEC.nodeSelector,
      tolerations: SPEC.tolerations,
      priorityClassName: 'gateway-batch',
      serviceAccountName: 'gateway-batch',
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ preference: { matchExpressions: [{ key: CAPACITY_TYPE_LABEL, values: ['spot'] }] } }] } },
    });
  });

  test('ends by the completion window and retries a lost pod', () => {
    expect(job).toMatchObject({ spec: { activeDeadlineSeconds: 20 * 3600, backoffLimit: 3 } });
  });

  test.each([
    ['name', { name: 'Batch_1' }],
    ['gpus', { gpus: 0 }],
    ['deadlineSeconds', { deadlineSeconds: 0 }],
  ])('refuses a bad %s', (field, patch) => {
    expect(() => runBatchJob({ ...SPEC, ...patch })).toThrow(new RegExp(field === 'name' ? 'Job name' : field));
  });
});

describe('runBatchJob with the model\'s weights', () => {
  type Container = { name: string; args: string[]; env?: { name: string; value: string }[]; volumeMounts: { name: string; mountPath: string }[] };
  type WeightsPod = { initContainers: Container[]; volumes: { name: string }[] };
  const weightsPod = (job: Record<string, unknown>): WeightsPod => pod(job) as unknown as WeightsPod;
  const run = (job: Record<string, unknown>): Container => weightsPod(job).initContainers.find((c) => c.name === 'run')!;
  const cache = { name: 'model-cache', mountPath: '/cache' };

  // What SelfHostedBatch writes for ModelWeights.fromHuggingFaceViaS3: the Deployment's S3 sync.
  const s3Weights = runBatchJob({
    ...SPEC,
    model: '/cache/weights',
    weights: {
      initContainers: [{ name: 'load-weights', image: 'public.ecr.aws/aws-cli/aws-cli:2.22.0', command: ['/bin/sh', '-c'], args: ['aws s3 sync "s3://$BUCKET/$PREFIX" /cache/weights'], volumeMounts: [cache, { name: 'aws-tmp', mountPath: '/tmp' }] }],
      volumes: [{ name: 'model-cache', emptyDir: {} }, { name: 'aws-tmp', emptyDir: { sizeLimit: '256Mi' } }],
      volumeMounts: [cache],
      env: [{ name: 'HF_HOME', value: '/cache/huggingface' }],
    },
  });
  // ModelWeights.fromHuggingFace({ tokenSecret }): the token fetched into a memory volume, HF_TOKEN_PATH.
  const tokenWeights = runBatchJob({
    ...SPEC,
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    weights: {
      initContainers: [{ name: 'fetch-hf-token', image: 'public.ecr.aws/aws-cli/aws-cli:2.22.0', command: ['/bin/sh', '-c'], args: ['aws secretsmanager get-secret-value > /var/run/secrets/huggingface/token'], volumeMounts: [{ name: 'hf-token', mountPath: '/var/run/secrets/huggingface' }] }],
      volumes: [{ name: 'model-cache', emptyDir: {} }, { name: 'hf-token', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }],
      volumeMounts: [cache, { name: 'hf-token', mountPath: '/var/run/secrets/huggingface', readOnly: true }],
      env: [{ name: 'HF_HOME', value: '/cache/huggingface' }, { name: 'HF_TOKEN_PATH', value: '/var/run/secrets/huggingface/token' }],
    },
  });

  test('are valid batch/v1 Jobs', () => {
    expectValidManifests([s3Weights as unknown as KubeObject, tokenWeights as unknown as KubeObject]);
  });

  test('S3 weights: synced after the input is fetched and before run-batch, which loads the synced path', () => {
    expect(weightsPod(s3Weights).initContainers.map((c) => c.name)).toEqual(['fetch', 'load-weights', 'run']);
    expect(weightsPod(s3Weights).volumes.map((v) => v.name)).toEqual(['work', 'model-cache', 'aws-tmp']);
    const args = run(s3Weights).args;
    expect(args[args.indexOf('--model') + 1]).toBe('/cache/weights');
    expect(run(s3Weights).volumeMounts).toEqual([{ name: 'work', mountPath: '/work' }, cache]);
    expect(run(s3Weights).env).toEqual([{ name: 'HF_HOME', value: '/cache/huggingface' }]);
  });

  test('Hugging Face token: fetched before run-batch, which reads it through HF_TOKEN_PATH from the memory volume', () => {
    expect(weightsPod(tokenWeights).initContainers.map((c) => c.name)).toEqual(['fetch', 'fetch-hf-token', 'run']);
    expect(run(tokenWeights).env).toContainEqual({ name: 'HF_TOKEN_PATH', value: '/var/run/secrets/huggingface/token' });
    expect(run(tokenWeights).volumeMounts).toContainEqual({ name: 'hf-token', mountPath: '/var/run/secrets/huggingface', readOnly: true });
    const args = run(tokenWeights).args;
    expect(args[args.indexOf('--model') + 1]).toBe('meta-llama/Llama-3.1-8B-Instruct');
  });

  test('without weights the run container has no extra environment, mounts or init containers', () => {
    expect(run(runBatchJob(SPEC)).env).toBeUndefined();
    expect(run(runBatchJob(SPEC)).volumeMounts).toEqual([{ name: 'work', mountPath: '/work' }]);
  });

  test('refuses weights that reuse the Job\'s own volume or container names', () => {
    const clash = (name: string) => () => runBatchJob({ ...SPEC, weights: { initContainers: [{ name }], volumes: [], volumeMounts: [], env: [] } });
    expect(clash('run')).toThrow(/weights must not name a volume or container "run"/);
    expect(() => runBatchJob({ ...SPEC, weights: { initContainers: [], volumes: [{ name: 'work' }], volumeMounts: [], env: [] } })).toThrow(/"work"/);
  });
});

describe('startTime', () => {
  const at = (h: number): number => Date.UTC(2026, 11, 7, h);
  const NIGHT = { startHour: 22, endHour: 6 };

  test('starts now inside the idle hours (wrapping midnight)', () => {
    expect(startTime(at(23), NIGHT, at(23) + 24 * 3600_000, 3600_000)).toBe(at(23));
    expect(startTime(at(3), NIGHT, at(3) + 24 * 3600_000, 3600_000)).toBe(at(3));
  });

  test('waits for the next idle start when the run still fits the window', () => {
    expect(startTime(at(12), NIGHT, at(12) + 24 * 3600_000, 2 * 3600_000)).toBe(at(22));
  });

  test('starts now when waiting would miss the deadline', () => {
    expect(startTime(at(12), NIGHT, at(12) + 11 * 3600_000, 2 * 3600_000)).toBe(at(12));
  });

  test('starts now without idle hours', () => {
    expect(startTime(at(12), undefined, at(13), 1)).toBe(at(12));
  });
});
