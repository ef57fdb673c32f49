import * as crypto from 'crypto';
import { Duration, RemovalPolicy, Size, SizeRoundingBehavior, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { PodIdentityRole, nagResourceName } from '../pod-identity-role';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../../private/errors';
import { newKey } from '../../private/kms';
import { systemPlacement } from '../scheduling';

// AWS CLI v2 reads EKS Pod Identity credentials from 2.15.0 on (EKS user guide, "Use pod identity
// with the AWS SDK"); this is the image the token fetcher init container runs.
export const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.0';

/** Where the Hugging Face token file lives inside the pod (a memory-backed emptyDir). */
const HF_TOKEN_DIR = '/var/run/secrets/huggingface';

/** Options of `ModelWeights.fromHuggingFace`. */
export interface HuggingFaceWeightsOptions {
  /**
   * A Secrets Manager secret whose `SecretString` is the Hugging Face access token, for gated
   * models. The token never enters the CloudFormation template nor a Kubernetes Secret: an init
   * container reads it at pod start with the model's Pod Identity role and writes it to a
   * memory-backed volume, and vLLM reads it through `HF_TOKEN_PATH`.
   *
   * @default - no token: only public models can be downloaded
   */
  readonly tokenSecret?: secretsmanager.ISecret;

  /**
   * The customer-managed KMS key that encrypts `tokenSecret`, when the secret is imported (an
   * imported secret does not know its key). The model's role gets `kms:Decrypt` on it, only through
   * Secrets Manager in this Region (`kms:ViaService`). A secret created in the same app with
   * `encryptionKey` is granted through that key already.
   *
   * @default - the secret's own `encryptionKey`, or the AWS managed key `aws/secretsmanager` (no grant needed)
   */
  readonly tokenSecretKey?: kms.IKey;

  /**
   * The image of the init container that fetches the token (needs the AWS CLI ≥ 2.15.0 and `sh`).
   *
   * @default ModelWeights.AWS_CLI_IMAGE
   */
  readonly tokenFetcherImage?: string;
}

/** Options of `ModelWeights.fromHuggingFaceViaS3`, the default weight source. */
export interface HuggingFaceViaS3WeightsOptions extends HuggingFaceWeightsOptions {
  /**
   * The bucket that keeps the weights. A bucket you bring must allow the model roles' reads and
   * the copy Job's writes under `prefix` (its key, when it has one, is granted).
   *
   * @default - one bucket per stack, created by the library: SSE-KMS with a rotated customer key, TLS only, private, versioned, noncurrent versions expired after 30 days
   */
  readonly bucket?: s3.IBucket;

  /**
   * The key prefix of this model's files.
   *
   * @default - `huggingface/<modelId>/<revision>/`
   */
  readonly prefix?: string;

  /**
   * The Hugging Face revision (branch, tag or commit) to copy. Pin a commit to make the copy
   * reproducible: the prefix and the copy Job's name follow it.
   *
   * @default 'main'
   */
  readonly revision?: string;

  /**
   * Where the created bucket's S3 server access logs go (a bucket that accepts them, with the
   * `logging.s3.amazonaws.com` delivery policy). Ignored with `bucket`.
   *
   * @default - no server access logs (acknowledged: the bucket holds copies of published weights, read only by the model roles; CloudTrail records the API calls)
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * The scratch space of the copy Job on a system node (an emptyDir): at least the size of the
   * model's files. The system nodes' disk must hold it.
   *
   * @default Size.gibibytes(40)
   */
  readonly copyScratchSize?: Size;

  /**
   * The image that downloads from Hugging Face: Python 3 with `huggingface_hub` (the vLLM image has both).
   *
   * @default - the model's vLLM image
   */
  readonly downloaderImage?: string;
}

/** Where and how a model's weights are bound (internal). */
export interface WeightsContext {
  /** The model's cluster. */
  readonly cluster: eks.ICluster;
  /** The model's namespace. */
  readonly namespace: string;
  /** The model's name (Deployment, service account). */
  readonly name: string;
  /** The vLLM image. */
  readonly image: string;
  /** Whether the cluster runs EKS Auto Mode (system placement). */
  readonly autoMode: boolean;
  /** The namespace manifest, when the model creates it. */
  readonly namespaceResource?: IConstruct;
  /** The labels of the model's objects. */
  readonly labels: Record<string, string>;
}

/** What the weights contribute to the pod (internal). */
export interface WeightsBinding {
  /** The `--model` value. */
  readonly modelPath: string;
  /** Extra vLLM arguments. */
  readonly args: string[];
  /** Extra environment variables of the vLLM container. */
  readonly env: { name: string; value: string }[];
  /** Init containers to run before vLLM. */
  readonly initContainers: Record<string, unknown>[];
  /** Extra volumes of the pod. */
  readonly volumes: Record<string, unknown>[];
  /** Extra volume mounts of the vLLM container. */
  readonly volumeMounts: Record<string, unknown>[];
  /** What the Deployment must be applied after (the weights copy Job). */
  readonly dependencies?: IConstruct[];
  /** Kubernetes objects applied for the weights (the copy Job and its service account). */
  readonly objects?: Record<string, unknown>[];
}

/**
 * Where vLLM loads a model's weights from: the Hugging Face Hub (optionally with a token kept in
 * Secrets Manager) or an S3 prefix read through the model's EKS Pod Identity role.
 *
 * @example
 * ModelWeights.fromHuggingFace({ tokenSecret });
 * ModelWeights.fromS3(bucket, 'models/llama-3.1-8b-instruct/');
 */
export abstract class ModelWeights {
  /** The AWS CLI image that fetches the Hugging Face token at pod start. */
  public static readonly AWS_CLI_IMAGE: string = AWS_CLI_IMAGE;

  /** The marker object the copy Job writes under the prefix once every file is in S3. */
  public static readonly COPY_COMPLETE_MARKER: string = '.cdk-ai-gateway-copy-complete';

  /**
   * The default: the model's files copied once from the Hugging Face Hub to S3, and every replica
   * loads them from S3. A Kubernetes Job on the system nodes (never a GPU) downloads `modelId` at
   * `revision` and uploads it under the prefix, then writes `ModelWeights.COPY_COMPLETE_MARKER`;
   * it does nothing when the marker exists. Its Pod Identity role may write under the prefix only
   * (and read the token secret, with `kms:Decrypt` on a customer key). Each vLLM pod's init
   * container waits for the marker and syncs the prefix to the pod's local cache with a role that
   * may only read the prefix; the Deployment is applied after the Job.
   */
  public static fromHuggingFaceViaS3(options: HuggingFaceViaS3WeightsOptions = {}): ModelWeights {
    return new HuggingFaceViaS3Weights(options);
  }

  /**
   * Weights downloaded from the Hugging Face Hub by `modelId` by every replica at start (no S3
   * copy): simpler, but each replica depends on the Hub and its rate limits, and loads slower.
   */
  public static fromHuggingFace(options: HuggingFaceWeightsOptions = {}): ModelWeights {
    return new HuggingFaceWeights(options);
  }

  /**
   * Safetensors weights under `prefix` of `bucket`, streamed to the GPU with vLLM's
   * `--load-format runai_streamer` and an `s3://` model path. The model's Pod Identity role gets
   * `s3:GetObject` on the prefix, `s3:ListBucket` limited to it, and `kms:Decrypt` when the bucket
   * has a KMS key.
   *
   * @param prefix the key prefix holding `config.json`, the tokenizer and `*.safetensors`
   */
  public static fromS3(bucket: s3.IBucket, prefix: string): ModelWeights {
    return new S3Weights(bucket, prefix);
  }

  /** Whether vLLM is given an object-store path instead of `modelId` (`fromS3`; then `modelId` is not used). False for `fromHuggingFaceViaS3`, which copies `modelId` to S3. */
  public abstract readonly fromObjectStore: boolean;

  /**
   * Grants the model's role what it needs and returns the pod fragments.
   * @internal
   */
  public abstract _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined, context: WeightsContext): WeightsBinding;
}

/** The init container and volumes that fetch the Hugging Face token into a memory volume. */
function tokenFetcher(scope: IConstruct, role: iam.IGrantable, options: HuggingFaceWeightsOptions): Pick<WeightsBinding, 'env' | 'initContainers' | 'volumes' | 'volumeMounts'> {
  const secret = options.tokenSecret;
  if (!secret) return { env: [], initContainers: [], volumes: [], volumeMounts: [] };
  secret.grantRead(role);
  const key = options.tokenSecretKey;
  if (key && key !== secret.encryptionKey) {
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['kms:Decrypt'],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(scope).region}.${Stack.of(scope).urlSuffix}` } },
    });
  }
  const tokenFile = `${HF_TOKEN_DIR}/token`;
  return {
    env: [{ name: 'HF_TOKEN_PATH', value: tokenFile }],
    initContainers: [{
      name: 'fetch-hf-token',
      image: options.tokenFetcherImage ?? AWS_CLI_IMAGE,
      command: ['/bin/sh', '-c'],
      args: [`umask 077 && aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --region "$AWS_REGION" --query SecretString --output text > ${tokenFile}`],
      env: [
        { name: 'SECRET_ARN', value: secret.secretArn },
        { name: 'AWS_REGION', value: Stack.of(scope).region },
        { name: 'HOME', value: '/tmp' },
      ],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      securityContext: CONTAINER_SECURITY,
      volumeMounts: [{ name: 'hf-token', mountPath: HF_TOKEN_DIR }, { name: 'tmp', mountPath: '/tmp' }],
    }],
    volumes: [
      { name: 'hf-token', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ],
    volumeMounts: [{ name: 'hf-token', mountPath: HF_TOKEN_DIR, readOnly: true }],
  };
}

const CONTAINER_SECURITY = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };

class HuggingFaceWeights extends ModelWeights {
  public readonly fromObjectStore = false;

  constructor(private readonly options: HuggingFaceWeightsOptions) {
    super();
  }

  public _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined): WeightsBinding {
    if (!modelId) {
      throw new AiGatewayValidationError('modelId is required with Hugging Face weights (for example \'meta-llama/Llama-3.1-8B-Instruct\'); received none.', scope);
    }
    return { modelPath: modelId, args: [], ...tokenFetcher(scope, role, this.options) };
  }
}

class S3Weights extends ModelWeights {
  public readonly fromObjectStore = true;
  private readonly prefix: string;

  constructor(private readonly bucket: s3.IBucket, prefix: string) {
    super();
this.prefix = normalisePrefix('ModelWeights.fromS3', prefix);
  }

  public _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined, _context: WeightsContext): WeightsBinding {
    if (modelId !== undefined) {
      throw new AiGatewayValidationError(`modelId must be omitted with S3 weights (the model path is s3://<bucket>/${this.prefix}); received '${modelId}'.`, scope);
    }
    grantPrefixRead(scope, role, this.bucket, this.prefix);
    const region = this.bucket.env.region;
    return {
      modelPath: `s3://${this.bucket.bucketName}/${this.prefix}`,
      args: ['--load-format', 'runai_streamer'],
      env: [{ name: 'AWS_REGION', value: region }, { name: 'AWS_DEFAULT_REGION', value: region }],
      initContainers: [],
      volumes: [],
      volumeMounts: [],
    };
  }
}

/** Read-only on the keys under `prefix`: get, list limited to the prefix, decrypt with the bucket key. */
function grantPrefixRead(scope: IConstruct, role: PodIdentityRole, bucket: s3.IBucket, prefix: string): void {
  iam.Grant.addToPrincipal({ grantee: role, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(`${prefix}*`)] });
  grantPrefixList(role, bucket, prefix);
  bucket.encryptionKey?.grantDecrypt(role);
  acknowledgePrefixWildcard(scope, role, bucket, prefix, 's3:GetObject');
}

function grantPrefixList(role: PodIdentityRole, bucket: s3.IBucket, prefix: string): void {
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: ['s3:ListBucket'],
    resourceArns: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
  });
}

function acknowledgePrefixWildcard(scope: IConstruct, role: PodIdentityRole, bucket: s3.IBucket, prefix: string, actions: string): void {
  const policy = role.grantsPolicy;
  if (!policy) return;
  GatewayCompliance.acknowledge(policy, `AwsSolutions-IAM5[Resource::${nagResourceName(scope, bucket.arnForObjects(`${prefix}*`))}]`,
    `${actions} is limited to the keys under the model's weights prefix '${prefix}' of this one bucket; the wildcard `
    + 'only spans the files of that model (config, tokenizer, safetensors shards), whose names are not known at synth.');
}

/** Where the staged weights land in the vLLM pod. */
const LOCAL_WEIGHTS_DIR = '/cache/weights';
const HF_REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HF_REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

class HuggingFaceViaS3Weights extends ModelWeights {
  public readonly fromObjectStore = false;

  constructor(private readonly options: HuggingFaceViaS3WeightsOptions) {
    super();
    const revision = options.revision ?? 'main';
    if (!HF_REVISION.test(revision) || revision.includes('..')) {
      throw new AiGatewayValidationError(`ModelWeights.fromHuggingFaceViaS3: revision must be a branch, tag or commit of letters, digits, '.', '_', '-' and '/'; received '${revision}'.`);
    }
    if (options.prefix !== undefined) normalisePrefix('ModelWeights.fromHuggingFaceViaS3', options.prefix);
    const scratch = options.copyScratchSize?.toGibibytes({ rounding: SizeRoundingBehaviorNone }) ?? 40;
    if (!(scratch >= 1)) {
      throw new AiGatewayValidationError(`ModelWeights.fromHuggingFaceViaS3: copyScratchSize must be at least 1 GiB; received ${scratch} GiB.`);
    }
  }

  public _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined, context: WeightsContext): WeightsBinding {
    if (!modelId) {
      throw new AiGatewayValidationError('modelId is required with Hugging Face weights (the default, ModelWeights.fromHuggingFaceViaS3, copies that repository to S3), for example \'meta-llama/Llama-3.1-8B-Instruct\'; received none. With weights already in S3, use ModelWeights.fromS3 and omit modelId.', scope);
    }
    if (!HF_REPO_ID.test(modelId)) {
      throw new AiGatewayValidationError(`modelId must be a Hugging Face repository id '<owner>/<name>' (letters, digits, '.', '_', '-'), such as 'meta-llama/Llama-3.1-8B-Instruct'; received '${modelId}'.`, scope);
    }
    const revision = this.options.revision ?? 'main';
    const prefix = this.options.prefix !== undefined
      ? normalisePrefix('ModelWeights.fromHuggingFaceViaS3', this.options.prefix)
      : `huggingface/${modelId}/${revision}/`;
    const bucket = this.options.bucket ?? ModelWeightsBucket.of(scope, this.options.accessLogsBucket);
    const marker = `${prefix}${ModelWeights.COPY_COMPLETE_MARKER}`;
    const region = Stack.of(scope).region;
    const awsEnv = [{ name: 'AWS_REGION', value: region }, { name: 'AWS_DEFAULT_REGION', value: region }, { name: 'HOME', value: '/tmp' }];

    // The model pods: read-only on the prefix.
    grantPrefixRead(scope, role, bucket, prefix);

    const copy = this.copyJob(scope as Construct, { modelId, revision, prefix, bucket, marker, awsEnv, context });

    const syncScript = [
      'set -eu',
      `until aws s3api head-object --bucket "$BUCKET" --key "$MARKER" >/dev/null 2>&1; do echo "waiting for s3://$BUCKET/$MARKER (the weights copy Job)"; sleep 20; done`,
      `aws s3 sync "s3://$BUCKET/$PREFIX" ${LOCAL_WEIGHTS_DIR} --exclude "${ModelWeights.COPY_COMPLETE_MARKER}" --no-progress --only-show-errors`,
    ].join('\n');
    return {
      modelPath: LOCAL_WEIGHTS_DIR,
      args: [],
      env: [],
      initContainers: [{
        name: 'load-weights',
        image: AWS_CLI_IMAGE,
        command: ['/bin/sh', '-c'],
        args: [syncScript],
        env: [{ name: 'BUCKET', value: bucket.bucketName }, { name: 'PREFIX', value: prefix }, { name: 'MARKER', value: marker }, ...awsEnv],
        resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        securityContext: CONTAINER_SECURITY,
        volumeMounts: [{ name: 'model-cache', mountPath: '/cache' }, { name: 'aws-tmp', mountPath: '/tmp' }],
      }],
      volumes: [{ name: 'aws-tmp', emptyDir: { sizeLimit: '256Mi' } }],
      volumeMounts: [],
      dependencies: [copy.manifest],
      objects: copy.objects,
    };
  }

  /** The one-time copy Job, its service account and its write-only-to-the-prefix role. */
  private copyJob(scope: Construct, c: {
    modelId: string; revision: string; prefix: string; bucket: s3.IBucket; marker: string;
    awsEnv: { name: string; value: string }[]; context: WeightsContext;
  }): { manifest: eks.KubernetesManifest; objects: Record<string, unknown>[] } {
    const { context } = c;
    const saName = `${context.name}-weights-copy`;
    const copyRole = new PodIdentityRole(scope, 'WeightsCopyRole', {
      cluster: context.cluster,
      namespace: context.namespace,
      serviceAccount: saName,
      description: `One-time copy of ${c.modelId} from Hugging Face to S3 (EKS Pod Identity of ${context.namespace}/${saName})`,
    });
    iam.Grant.addToPrincipal({
      grantee: copyRole,
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: [c.bucket.arnForObjects(`${c.prefix}*`)],
    });
    grantPrefixList(copyRole, c.bucket, c.prefix);
    // Uploads to an SSE-KMS bucket need GenerateDataKey, multipart uploads Decrypt too.
    c.bucket.encryptionKey?.grant(copyRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledgePrefixWildcard(scope, copyRole, c.bucket, c.prefix, 's3:GetObject, s3:PutObject and s3:AbortMultipartUpload');
    const token = tokenFetcher(scope, copyRole, this.options);
    const scratchGi = this.options.copyScratchSize?.toGibibytes({ rounding: SizeRoundingBehaviorNone }) ?? 40;
    const placement = systemPlacement(context.autoMode);
    const hash = crypto.createHash('sha256').update(JSON.stringify([c.modelId, c.revision, c.prefix])).digest('hex').slice(0, 8);
    const check = `if aws s3api head-object --bucket "$BUCKET" --key "$MARKER" >/dev/null 2>&1; then echo "s3://$BUCKET/$MARKER exists: nothing to copy"; touch /work/skip; fi`;
    const download = [
      'set -eu',
      'if [ -f /work/skip ]; then exit 0; fi',
      'python3 -c "import os; from huggingface_hub import snapshot_download; '
        + 'snapshot_download(repo_id=os.environ[\'MODEL_ID\'], revision=os.environ[\'REVISION\'], local_dir=\'/work/model\', '
        + 'allow_patterns=[\'*.json\', \'*.safetensors\', \'*.model\', \'*.txt\', \'*.tiktoken\', \'*.jinja\'])"',
      'rm -rf /work/model/.cache',
    ].join('\n');
    const upload = [
      'set -eu',
      'if [ -f /work/skip ]; then exit 0; fi',
      'aws s3 sync /work/model "s3://$BUCKET/$PREFIX" --no-progress --only-show-errors',
      // The marker last: its presence means every file is in S3.
      'printf \'%s %s\\n\' "$MODEL_ID" "$REVISION" | aws s3 cp - "s3://$BUCKET/$MARKER"',
    ].join('\n');
    const bucketEnv = [{ name: 'BUCKET', value: c.bucket.bucketName }, { name: 'PREFIX', value: c.prefix }, { name: 'MARKER', value: c.marker }];
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      // The name follows what is copied: a Job's template is immutable, and a new model or
      // revision is a new copy.
      metadata: { name: `${context.name}-weights-${hash}`, namespace: context.namespace, labels: { ...context.labels, 'app.kubernetes.io/component': 'weights-copy' } },
      spec: {
        backoffLimit: 4,
        activeDeadlineSeconds: 4 * 3600,
        template: {
          metadata: { labels: { ...context.labels, 'app.kubernetes.io/component': 'weights-copy' } },
          spec: {
            serviceAccountName: saName,
            automountServiceAccountToken: false,
            restartPolicy: 'OnFailure',
            nodeSelector: placement.nodeSelector,
            ...(placement.tolerations.length > 0 ? { tolerations: placement.tolerations } : {}),
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            initContainers: [
              ...token.initContainers,
              {
                name: 'check-marker',
                image: AWS_CLI_IMAGE,
                command: ['/bin/sh', '-c'],
                args: [check],
                env: [...bucketEnv, ...c.awsEnv],
                resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                securityContext: CONTAINER_SECURITY,
                volumeMounts: [{ name: 'work', mountPath: '/work' }, { name: 'aws-tmp', mountPath: '/tmp' }],
              },
              {
                name: 'download',
                image: this.options.downloaderImage ?? context.image,
                command: ['/bin/sh', '-c'],
                args: [download],
                env: [
                  { name: 'MODEL_ID', value: c.modelId },
                  { name: 'REVISION', value: c.revision },
                  { name: 'HF_HOME', value: '/work/hf-home' },
                  { name: 'HF_HUB_ENABLE_HF_TRANSFER', value: '0' },
                  ...token.env,
                ],
                resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
                securityContext: CONTAINER_SECURITY,
                volumeMounts: [{ name: 'work', mountPath: '/work' }, ...token.volumeMounts],
              },
            ],
            containers: [{
              name: 'upload',
              image: AWS_CLI_IMAGE,
              command: ['/bin/sh', '-c'],
              args: [upload],
              env: [...bucketEnv, { name: 'MODEL_ID', value: c.modelId }, { name: 'REVISION', value: c.revision }, ...c.awsEnv],
              resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
              securityContext: CONTAINER_SECURITY,
              volumeMounts: [{ name: 'work', mountPath: '/work' }, { name: 'aws-tmp', mountPath: '/tmp' }],
            }],
            volumes: [
              { name: 'work', emptyDir: { sizeLimit: `${scratchGi}Gi` } },
              { name: 'aws-tmp', emptyDir: { sizeLimit: '256Mi' } },
              ...token.volumes.filter((v) => v.name !== 'tmp'),
              ...(token.volumes.some((v) => v.name === 'tmp') ? [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }] : []),
            ],
          },
        },
      },
    };
    const serviceAccount = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: saName, namespace: context.namespace, labels: { ...context.labels, 'app.kubernetes.io/component': 'weights-copy' } },
      automountServiceAccountToken: false,
    };
    const manifest = new eks.KubernetesManifest(scope, 'WeightsCopy', { cluster: context.cluster, manifest: [serviceAccount, job] });
    // Pod Identity credentials are injected at pod creation: the association must exist first.
    manifest.node.addDependency(copyRole.association);
    if (copyRole.grantsPolicy) manifest.node.addDependency(copyRole.grantsPolicy);
    if (context.namespaceResource) manifest.node.addDependency(context.namespaceResource);
    return { manifest, objects: [serviceAccount, job] };
  }
}

/** Rounds nothing: a fractional GiB is refused by the caller's check. */
const SizeRoundingBehaviorNone = SizeRoundingBehavior.NONE;

function normalisePrefix(what: string, prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  if (trimmed.length === 0 || trimmed.includes('*')) {
    throw new AiGatewayValidationError(`${what}: prefix must be a non-empty key prefix without wildcards, such as 'models/llama-3.1-8b/'; received '${prefix}'.`);
  }
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/**
 * The bucket that keeps the S3-staged weights of every model of a stack: SSE-KMS with a rotated
 * customer key (bucket key on), TLS only (1.2+), private, owner-enforced, versioned; noncurrent
 * versions expire after 30 days, incomplete uploads after 7. Retained on stack deletion.
 */
class ModelWeightsBucket extends Construct {
  public static of(scope: IConstruct, accessLogsBucket: s3.IBucket | undefined): s3.IBucket {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ModelWeightsBucket.ID) as ModelWeightsBucket | undefined;
    return (existing ?? new ModelWeightsBucket(stack, ModelWeightsBucket.ID, accessLogsBucket)).bucket;
  }

  private static readonly ID = 'ModelWeightsBucket';
  public readonly bucket: s3.Bucket;

  private constructor(scope: Construct, id: string, accessLogsBucket: s3.IBucket | undefined) {
    super(scope, id);
    const key = newKey(this, 'Key', 'Encrypts the model weights copied from Hugging Face (cdk-ai-gateway)', RemovalPolicy.RETAIN);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'ExpireReplacedWeights', noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      ...(accessLogsBucket ? { serverAccessLogsBucket: accessLogsBucket, serverAccessLogsPrefix: 'model-weights/' } : {}),
    });
    const weights = 'The bucket holds copies of model weights published on the Hugging Face Hub, which the Hub keeps as the source of record; a lost object is copied again by the copy Job.';
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      GatewayCompliance.acknowledge(this.bucket, `${pack}-S3BucketReplicationEnabled`, `${weights} Cross-Region replication would double the storage of tens of GiB per model for no recovery gain.`);
    }
    GatewayCompliance.acknowledge(this.bucket, 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      `${weights} Replacing a model revision must be possible; versioning keeps replaced objects for 30 days.`);
    GatewayCompliance.acknowledge(this.bucket, 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
      `${weights} Nothing reacts to new objects: the model pods wait for the copy Job's marker object instead.`);
    if (!accessLogsBucket) {
      const logs = `${weights} It holds no tenant data, and only the model pods' and the copy Job's Pod Identity roles read or write it (CloudTrail records their API calls). Pass accessLogsBucket to ModelWeights.fromHuggingFaceViaS3 for S3 server access logs.`;
      GatewayCompliance.acknowledge(this.bucket, 'AwsSolutions-S1', logs);
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
        GatewayCompliance.acknowledge(this.bucket, `${pack}-S3BucketLoggingEnabled`, logs);
      }
      GatewayCompliance.acknowledge(this.bucket, 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check', logs);
    }
  }
}
