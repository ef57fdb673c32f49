import { CfnElement, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CapacityMode } from '../../../lib/selfhosted/eks/self-hosted-cluster';
import { GPU_RESOURCE, NodeScheduling, systemNodeSelector } from '../../../lib/selfhosted/scheduling';
import { ModelWeights, VllmModel } from '../../../lib/selfhosted/vllm';
import { statementsOfRole } from '../../helpers/iam-statements';
import { kubernetesManifests, manifestsOfKind } from '../helpers/template-manifests';
import { expectValidManifests, KubeObject } from '../helpers/validate-manifests';
import { clusterStack } from './fixtures';

type Json = Record<string, unknown>;
const args0 = (c: Json): string => (c.args as string[])[0];

function logicalIdOf(stack: Stack, c: Construct): string {
  const element = CfnElement.isCfnElement(c) ? c : c.node.defaultChild;
  return stack.getLogicalId(element as CfnElement);
}
function onlyJob(template: Template): KubeObject {
  const jobs = manifestsOfKind(template, 'Job');
  expect(jobs).toHaveLength(1);
  return jobs[0];
}
function podSpec(o: KubeObject): Json {
  return ((o as Json).spec as Json & { template: { spec: Json } }).template.spec;
}
const MARKER = `huggingface/Qwen/Qwen2.5-7B-Instruct/main/${ModelWeights.COPY_COMPLETE_MARKER}`;

describe('default weights: copied once from Hugging Face to S3, loaded from S3', () => {
  let stack: Stack;
  let template: Template;
  let model: VllmModel;
  let tokenKey: kms.Key;

  beforeAll(() => {
    const built = clusterStack();
    stack = built.stack;
    tokenKey = new kms.Key(stack, 'TokenKey', { enableKeyRotation: true });
    const tokenSecret = secretsmanager.Secret.fromSecretNameV2(stack, 'Hf', 'hf-token');
    model = new VllmModel(stack, 'Qwen', {
      cluster: built.cluster, name: 'qwen', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge',
      // Only the token: the weights source itself is the default.
      weights: ModelWeights.fromHuggingFaceViaS3({ tokenSecret, tokenSecretKey: tokenKey }),
    });
    new VllmModel(stack, 'Other', { cluster: built.cluster, name: 'other', modelId: 'Qwen/Qwen2.5-1.5B-Instruct', instanceType: 'g6.xlarge' });
    template = Template.fromStack(stack);
  });

  test('every manifest is valid against the upstream schemas, the Job included', () => {
    const manifests = kubernetesManifests(template);
    expect(manifests.filter((m) => m.kind === 'Job')).toHaveLength(2);
    expectValidManifests(manifests);
    expect(model.kubernetesObjects.map((o) => o.kind)).toEqual(['Deployment', 'Service', 'PodDisruptionBudget', 'ServiceAccount', 'Job']);
  });

  test('one bucket per stack: SSE-KMS with a rotated key, private, versioned, lifecycle, retained', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        VersioningConfiguration: { Status: 'Enabled' },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 30 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })] },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('model weights') });
  });

  test('the bucket policy refuses anything but TLS 1.2+', () => {
    const statements = Object.values(template.findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument.Statement as Json[];
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    ]));
  });

  test('the copy Job: one-time, idempotent on the marker, on the system nodes, never a GPU', () => {
    const job = onlyJob(Template.fromJSON({ Resources: Object.fromEntries(Object.entries(template.toJSON().Resources).filter(([id]) => id.startsWith('Qwen'))) }));
    expect(job.metadata?.name).toMatch(/^qwen-weights-[0-9a-f]{8}$/);
    expect(job.metadata?.namespace).toBe('models');
    const spec = podSpec(job);
    expect(spec.serviceAccountName).toBe('qwen-weights-copy');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.nodeSelector).toEqual(systemNodeSelector());
    expect(JSON.stringify(spec)).not.toContain(GPU_RESOURCE);
    expect(JSON.stringify(spec.tolerations ?? [])).not.toContain(NodeScheduling.GPU_TAINT.key);
    const containers = [...(spec.initContainers as Json[]), ...(spec.containers as Json[])];
    expect(containers.map((c) => c.name)).toEqual(['fetch-hf-token', 'check-marker', 'download', 'upload']);
    const env = (c: Json) => Object.fromEntries((c.env as Json[]).map((e) => [e.name, e.value]));
    const [, check, download, upload] = containers;
    expect(env(check).MARKER).toBe(MARKER);
    expect(args0(check)).toMatch(/head-object --bucket "\$BUCKET" --key "\$MARKER".*touch \/work\/skip/);
    expect(args0(download)).toMatch(/if \[ -f \/work\/skip \]; then exit 0; fi/);
    expect(args0(download)).toContain('snapshot_download');
    expect(env(download)).toMatchObject({ MODEL_ID: 'Qwen/Qwen2.5-7B-Instruct', REVISION: 'main', HF_TOKEN_PATH: '/var/run/secrets/huggingface/token' });
    expect(download.image).toBe(VllmModel.DEFAULT_IMAGE);
    expect(upload.image).toBe(ModelWeights.AWS_CLI_IMAGE);
    // The marker is written last, once every file is uploaded.
    const lines = args0(upload).split('\n');
    expect(lines.findIndex((l) => l.includes('aws s3 sync'))).toBeLessThan(lines.findIndex((l) => l.includes('"s3://$BUCKET/$MARKER"')));
    expect(lines[1]).toBe('if [ -f /work/skip ]; then exit 0; fi');
    expect((job as Json).spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 14400 });
  });

  test('the copy role writes under the prefix only, reads the token and decrypts it with its customer key through Secrets Manager', () => {
    const role = stack.node.findChild('Qwen').node.findChild('WeightsCopyRole') as Construct;
    const statements = statementsOfRole(template, logicalIdOf(stack, role));
    const s3Statements = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3Statements).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: expect.anything() },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: expect.anything(), Condition: { StringLike: { 's3:prefix': ['huggingface/Qwen/Qwen2.5-7B-Instruct/main/', 'huggingface/Qwen/Qwen2.5-7B-Instruct/main/*'] } } },
    ]);
    expect(JSON.stringify(s3Statements[0].Resource)).toMatch(/"\/huggingface\/Qwen\/Qwen2\.5-7B-Instruct\/main\/\*"\]\]\}$/);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalIdOf(stack, tokenKey), 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.us-east-1.', { Ref: 'AWS::URLSuffix' }]] } } },
    }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'] }));
    expect(statements.some((s) => JSON.stringify(s.Action).includes('s3:DeleteObject'))).toBe(false);
  });

  test('the model role only reads the prefix; it never sees the token', () => {
    const statements = statementsOfRole(template, logicalIdOf(stack, model.role as unknown as Construct));
    expect(statements.map((s) => s.Action)).toEqual(['s3:GetObject', 's3:ListBucket', 'kms:Decrypt']);
    expect(JSON.stringify(statements[0].Resource)).toContain('/huggingface/Qwen/Qwen2.5-7B-Instruct/main/*');
  });

  test('vLLM pods wait for the marker, sync the prefix to the local cache and serve from it', () => {
    const deployment = manifestsOfKind(template, 'Deployment', 'qwen')[0];
    const spec = podSpec(deployment);
    const [init] = spec.initContainers as Json[];
    expect(init.name).toBe('load-weights');
    expect(init.image).toBe(ModelWeights.AWS_CLI_IMAGE);
    expect(args0(init)).toMatch(/until aws s3api head-object --bucket "\$BUCKET" --key "\$MARKER"/);
    expect(args0(init)).toMatch(/aws s3 sync "s3:\/\/\$BUCKET\/\$PREFIX" \/cache\/weights/);
    expect(init.volumeMounts).toContainEqual({ name: 'model-cache', mountPath: '/cache' });
    const vllm = (spec.containers as Json[])[0];
    expect(args0(vllm)).toBe('/cache/weights');
    expect(vllm.args).not.toContain('runai_streamer');
    expect(JSON.stringify(spec)).not.toContain('HF_TOKEN_PATH');
  });

  test('ordering edge: the Deployment is applied only after the copy Job', () => {
    const workload = template.toJSON().Resources[logicalIdOf(stack, model.workloadManifest)];
    const copy = stack.node.findChild('Qwen').node.findChild('WeightsCopy') as Construct;
    expect(workload.DependsOn).toContain(logicalIdOf(stack, copy));
  });
});

describe('S3-staged weights in other settings', () => {
  test('a bucket you bring: no bucket created, its key granted, your prefix and revision', () => {
    const { stack, cluster } = clusterStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const bucket = new s3.Bucket(stack, 'Mine', { encryptionKey: key, enforceSSL: true });
    const model = new VllmModel(stack, 'M', {
      cluster, name: 'm', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge',
      weights: ModelWeights.fromHuggingFaceViaS3({ bucket, prefix: 'weights/qwen', revision: 'a09a35458c702b33eeacc393d103063234e8bc28' }),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    const statements = statementsOfRole(template, logicalIdOf(stack, model.role as unknown as Construct));
    expect(statements[1].Condition).toEqual({ StringLike: { 's3:prefix': ['weights/qwen/', 'weights/qwen/*'] } });
    expect(statements[2]).toMatchObject({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalIdOf(stack, key), 'Arn'] } });
    const download = (podSpec(onlyJob(template)).initContainers as Json[]).find((c) => c.name === 'download')!;
    expect(download.env).toContainEqual({ name: 'REVISION', value: 'a09a35458c702b33eeacc393d103063234e8bc28' });
  });

  test('EKS Auto Mode: the Job tolerates the system pool taint and selects Linux, not the node-role label', () => {
    const { stack, cluster } = clusterStack();
    new VllmModel(stack, 'M', { cluster, name: 'm', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge', capacityMode: CapacityMode.AUTO_MODE });
    const spec = podSpec(onlyJob(Template.fromStack(stack)));
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(spec.tolerations).toEqual([{ key: NodeScheduling.AUTO_MODE_SYSTEM_TAINT_KEY, operator: 'Exists', effect: 'NoSchedule' }]);
  });

  test('a new revision is a new Job (a Job template is immutable)', () => {
    const name = (revision?: string) => {
      const { stack, cluster } = clusterStack();
      new VllmModel(stack, 'M', { cluster, name: 'm', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge', weights: ModelWeights.fromHuggingFaceViaS3({ revision }) });
      return onlyJob(Template.fromStack(stack)).metadata?.name;
    };
    expect(name()).toBe(name('main'));
    expect(name('v2')).not.toBe(name());
  });

  test.each<[string, () => ModelWeights, string | undefined, RegExp]>([
    ['a revision with spaces', () => ModelWeights.fromHuggingFaceViaS3({ revision: 'my branch' }), 'Qwen/Qwen2.5-7B-Instruct', /revision must be a branch, tag or commit.*received 'my branch'/],
    ['a wildcard prefix', () => ModelWeights.fromHuggingFaceViaS3({ prefix: 'models/*' }), 'Qwen/Qwen2.5-7B-Instruct', /prefix must be a non-empty key prefix without wildcards.*received 'models\/\*'/],
    ['a scratch volume under 1 GiB', () => ModelWeights.fromHuggingFaceViaS3({ copyScratchSize: Size.mebibytes(512) }), 'Qwen/Qwen2.5-7B-Instruct', /copyScratchSize must be at least 1 GiB; received 0.5 GiB/],
    ['no model id', () => ModelWeights.fromHuggingFaceViaS3(), undefined, /modelId is required with Hugging Face weights.*ModelWeights\.fromS3/],
    ['a model id that is not a repository', () => ModelWeights.fromHuggingFaceViaS3(), 'llama 3', /modelId must be a Hugging Face repository id '<owner>\/<name>'.*received 'llama 3'/],
  ])('refused: %s', (_case, weights, modelId, message) => {
    const { stack, cluster } = clusterStack();
    expect(() => new VllmModel(stack, 'M', { cluster, name: 'm', modelId, instanceType: 'g6.xlarge', weights: weights() })).toThrow(message);
  });
});
