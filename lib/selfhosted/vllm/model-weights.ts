import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { PodIdentityRole, nagResourceName } from '../pod-identity-role';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../../private/errors';

// AWS CLI v2 reads EKS Pod Identity credentials from 2.15.0 on (EKS user guide, "Use pod identity
// with the AWS SDK"); this is the image the token fetcher init container runs.
const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.22.0';

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

  /** Weights downloaded from the Hugging Face Hub by `modelId`. */
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

  /** Whether the weights come from S3 (then `modelId` is not used). */
  public abstract readonly fromObjectStore: boolean;

  /**
   * Grants the model's role what it needs and returns the pod fragments.
   * @internal
   */
  public abstract _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined): WeightsBinding;
}

class HuggingFaceWeights extends ModelWeights {
  public readonly fromObjectStore = false;

  constructor(private readonly options: HuggingFaceWeightsOptions) {
    super();
  }

  public _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined): WeightsBinding {
    if (!modelId) {
      throw new AiGatewayValidationError('modelId is required with Hugging Face weights (for example \'meta-llama/Llama-3.1-8B-Instruct\'); received none.', scope);
    }
    const secret = this.options.tokenSecret;
    if (!secret) {
      return { modelPath: modelId, args: [], env: [], initContainers: [], volumes: [], volumeMounts: [] };
    }
    secret.grantRead(role);
    const key = this.options.tokenSecretKey;
    if (key && key !== secret.encryptionKey) {
      iam.Grant.addToPrincipal({
        grantee: role,
        actions: ['kms:Decrypt'],
        resourceArns: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(scope).region}.${Stack.of(scope).urlSuffix}` } },
      });
    }
    const tokenFile = `${HF_TOKEN_DIR}/token`;
    const region = Stack.of(scope).region;
    return {
      modelPath: modelId,
      args: [],
      env: [{ name: 'HF_TOKEN_PATH', value: tokenFile }],
      initContainers: [{
        name: 'fetch-hf-token',
        image: this.options.tokenFetcherImage ?? AWS_CLI_IMAGE,
        command: ['/bin/sh', '-c'],
        args: [`umask 077 && aws secretsmanager get-secret-value --secret-id "$SECRET_ARN" --region "$AWS_REGION" --query SecretString --output text > ${tokenFile}`],
        env: [
          { name: 'SECRET_ARN', value: secret.secretArn },
          { name: 'AWS_REGION', value: region },
          { name: 'HOME', value: '/tmp' },
        ],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
        volumeMounts: [{ name: 'hf-token', mountPath: HF_TOKEN_DIR }, { name: 'tmp', mountPath: '/tmp' }],
      }],
      volumes: [
        { name: 'hf-token', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      ],
      volumeMounts: [{ name: 'hf-token', mountPath: HF_TOKEN_DIR, readOnly: true }],
    };
  }
}

class S3Weights extends ModelWeights {
  public readonly fromObjectStore = true;
  private readonly prefix: string;

  constructor(private readonly bucket: s3.IBucket, prefix: string) {
    super();
    const trimmed = prefix.replace(/^\/+/, '');
    if (trimmed.length === 0 || trimmed.includes('*')) {
      throw new AiGatewayValidationError(`ModelWeights.fromS3: prefix must be a non-empty key prefix without wildcards, such as 'models/llama-3.1-8b/'; received '${prefix}'.`);
    }
    this.prefix = trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
  }

  public _bind(scope: IConstruct, role: PodIdentityRole, modelId: string | undefined): WeightsBinding {
    if (modelId !== undefined) {
      throw new AiGatewayValidationError(`modelId must be omitted with S3 weights (the model path is s3://<bucket>/${this.prefix}); received '${modelId}'.`, scope);
    }
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:GetObject'],
      resourceArns: [this.bucket.arnForObjects(`${this.prefix}*`)],
    });
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [this.prefix, `${this.prefix}*`] } },
    });
    this.bucket.encryptionKey?.grantDecrypt(role);
    const policy = role.grantsPolicy;
    if (policy) {
      GatewayCompliance.acknowledge(policy, `AwsSolutions-IAM5[Resource::${nagResourceName(scope, this.bucket.arnForObjects(`${this.prefix}*`))}]`,
        `s3:GetObject is limited to the keys under the model's weights prefix '${this.prefix}' of this one bucket; the wildcard `
        + 'only spans the files of that model (config, tokenizer, safetensors shards), whose names are not known at synth.');
    }
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
