import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IDependable } from 'constructs';
import { BATCH_BUCKET_PREFIXES } from '../../lambda/shared/batch-table-schema';
import { SELF_HOSTED_BATCH_ENV, SelfHostedBatchConfig, SelfHostedBatchTarget, SelfHostedBatchWeights } from '../../lambda/shared/self-hosted-batch-config';
import { AiGatewayValidationError } from '../private/errors';
import { GpuInstanceTypes } from '../selfhosted/gpu-instances';
import { nagResourceName, PodIdentityRole } from '../selfhosted/pod-identity-role';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { GPU_NODE_ROLE, gpuToleration, NODE_ROLE_LABEL } from '../selfhosted/scheduling';
import { CapacityMode } from '../selfhosted/eks/self-hosted-cluster';
import { VllmModel } from '../selfhosted/vllm/vllm-model';
import { AWS_CLI_IMAGE, ModelWeights } from '../selfhosted/vllm/model-weights';
import type { BatchRoute } from './batch-route';

/** A self-hosted target whose batch lines run as `vllm run-batch` Jobs. */
export interface SelfHostedBatchModel {
  /** The router target id (the `ISelfHostedTarget`'s `target.id`). */
  readonly targetId: string;
  /**
   * What vLLM loads (`--model`): a Hugging Face id the GPU node can download, or a path in `image`.
   * With `weights`, the model's Hugging Face id (its `modelId`); with `ModelWeights.fromS3` any name
   * (the Job loads the S3 path instead).
   */
  readonly model: string;
  /**
   * Where the weights come from: pass the model Deployment's own (`VllmModelProps.weights`) so the
   * Job loads them as its replicas do — from S3 (`ModelWeights.fromS3`, `fromHuggingFaceViaS3`) or
   * from Hugging Face with a token secret. The Jobs' Pod Identity role is granted what the weights
   * need (read on the S3 prefix and its key, or the token secret).
   * @default - vLLM downloads `model` from Hugging Face itself (public models only)
   */
  readonly weights?: ModelWeights;
  /** The name the target's requests carry as `model` (its `servedModelName`). */
  readonly servedModelName: string;
  /** The GPU instance type the Job runs on (the GPU pool must launch it). */
  readonly instanceType: string;
  /**
   * GPUs one Job requests.
   * @default 1
   */
  readonly gpus?: number;
  /**
   * The hourly cost of one instance in USD; a GPU hour is this divided by the instance's GPUs.
   * @default - the approximate us-east-1 on-demand price of `instanceType` (`GpuInstanceTypes`)
   */
  readonly hourlyUsd?: number;
  /**
   * The vLLM image.
   * @default VllmModel.DEFAULT_IMAGE
   */
  readonly image?: string;
  /**
   * Further vLLM engine arguments (the model Deployment's own, e.g. `--max-model-len`, `8192`).
   * @default - none
   */
  readonly engineArgs?: string[];
}

/** Idle hours, UTC: `[startHour, endHour)`, wrapping midnight when `startHour > endHour`. */
export interface BatchIdleHours {
  /** The first idle hour (0-23). */
  readonly startHour: number;
  /** The first hour no longer idle (0-23). */
  readonly endHour: number;
}

/** Properties of {@link SelfHostedBatch}. */
export interface SelfHostedBatchProps {
  /** The batch route whose worker launches the Jobs. Its worker must run in the cluster's VPC. */
  readonly batch: BatchRoute;
  /** The models' cluster (its authentication mode must admit access entries: `API` or `API_AND_CONFIG_MAP`). */
  readonly cluster: eks.ICluster;
  /** The targets whose lines run as Jobs; other self-hosted lines are served one by one. */
  readonly models: SelfHostedBatchModel[];
  /**
   * What the Kubernetes objects wait for: the GPU pool and the nodes (`SelfHostedModels.gpuNodePool.manifest`, the system node group).
   * @default - the cluster only
   */
  readonly after?: IDependable[];
  /**
   * The namespace of the Jobs, their service account and Role.
   * @default SelfHostedBatch.DEFAULT_NAMESPACE
   */
  readonly jobNamespace?: string;
  /**
   * Start Jobs inside these hours (UTC) when the batch's window still leaves an hour of run time after the idle start.
   * @default - Jobs start at once
   */
  readonly idleHours?: BatchIdleHours;
  /**
   * The priority of batch pods: below the model servers' (which run at the default priority, 0),
   * never preempting (`preemptionPolicy: Never`), so a batch Job waits for free GPUs and is the
   * first evicted when a model server needs one.
   * @default SelfHostedBatch.DEFAULT_PRIORITY
   */
  readonly priority?: number;
  /**
   * Who provisions the cluster's nodes: where a weights copy Job (`ModelWeights.fromHuggingFaceViaS3`) runs.
   * @default CapacityMode.KARPENTER
   */
  readonly capacityMode?: CapacityMode;
  /**
   * An image with the AWS CLI v2 (2.15 or later reads Pod Identity credentials) that moves the files.
   * @default - the AWS CLI image the model weights init containers use
   */
  readonly awsCliImage?: string;
}

/**
 * Self-hosted batch lines as `vllm run-batch` Kubernetes Jobs on the GPU pool, launched by the
 * batch worker through the EKS API:
 *
 * - the batch namespace, a service account, and a namespaced Role (Jobs: create, get, list,
 *   delete; pods and their logs: get, list) bound to a Kubernetes group — nothing cluster-wide;
 * - an EKS access entry that maps the worker's role to that group (no access policy);
 * - an EKS Pod Identity association that gives the service account a role which may only read
 *   `jobs/*\/input.jsonl` and write `jobs/*\/output.jsonl` of the batch bucket (and use its key through S3);
 * - a low `PriorityClass` (below the model servers', `preemptionPolicy: Never`);
 * - HTTPS from the worker to the cluster's API endpoint, and `eks:DescribeCluster` on the cluster (its endpoint and CA);
 * - the worker's configuration (`GATEWAY_BATCH_SELF_HOSTED`): cluster, namespace, each target's
 *   image, model, GPUs, GPU-hour price and placement (the GPU pool's node role and taint, its
 *   instance type; spot preferred).
 *
 * The worker depends on every one of them, so no Job is created before its namespace, RBAC,
 * priority class, access entry and Pod Identity association exist.
 *
 * @example
 * new SelfHostedBatch(this, 'SelfHostedBatch', {
 *   batch: gateway.batch!, cluster: selfHosted.cluster, after: [selfHosted.gpuNodePool.manifest],
 *   models: [{ targetId: 'llama-8b', model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: 'llama-8b', instanceType: 'g6.xlarge' }],
 *   idleHours: { startHour: 22, endHour: 6 },
 * });
 */
export class SelfHostedBatch extends Construct {
  /** The namespace of the Jobs unless told otherwise. */
  public static readonly DEFAULT_NAMESPACE = 'gateway-batch';
  /** The batch pods' priority unless told otherwise: below the default priority (0) of the model servers. */
  public static readonly DEFAULT_PRIORITY = -100;
  /**
   * The most bytes the worker's self-hosted batch configuration may take of Lambda's 4 KB of
   * environment (the worker's other variables take the rest), each deploy-time value counted as
   * {@link SelfHostedBatch.TOKEN_BYTES}.
   */
  public static readonly MAX_CONFIG_BYTES = 2800;
  /** What one deploy-time value (a bucket name, an ARN) is counted as in the configuration's size. */
  public static readonly TOKEN_BYTES = 100;
  /** The Kubernetes group the worker's access entry maps its role to. */
  public static readonly LAUNCHER_GROUP = 'cdk-ai-gateway:batch-launcher';

  /** The Jobs' namespace. */
  public readonly jobNamespace: string;
  /** The Jobs' service account (and the name of the priority class, the Role and its binding). */
  public readonly serviceAccountName: string;
  /** The namespace manifest. */
  public readonly namespaceManifest: eks.KubernetesManifest;
  /** The service account, Role and RoleBinding. */
  public readonly rbacManifest: eks.KubernetesManifest;
  /** The priority class of batch pods. */
  public readonly priorityClassManifest: eks.KubernetesManifest;
  /** The worker's access entry. */
  public readonly accessEntry: eks.CfnAccessEntry;
  /** The role the Jobs' pods run as (Pod Identity). */
  public readonly jobRole: iam.IRole;
  /** The Pod Identity association of the Jobs' service account. */
  public readonly podIdentityAssociation: eks.CfnPodIdentityAssociation;
  /** The models' cluster. */
  public readonly cluster: eks.ICluster;
  /** Whether the cluster runs EKS Auto Mode (where a weights copy Job runs). */
  public readonly autoMode: boolean;

  constructor(scope: Construct, id: string, props: SelfHostedBatchProps) {
    super(scope, id);
    this.jobNamespace = props.jobNamespace ?? SelfHostedBatch.DEFAULT_NAMESPACE;
    this.serviceAccountName = 'gateway-batch';
    const priority = props.priority ?? SelfHostedBatch.DEFAULT_PRIORITY;
    validate(this, props, this.jobNamespace, priority);
    const { batch, cluster } = props;
    this.cluster = cluster;
    this.autoMode = props.capacityMode === CapacityMode.AUTO_MODE;
    const worker = batch.worker;
    const stack = Stack.of(this);

    const labels = { 'app.kubernetes.io/part-of': 'cdk-ai-gateway', 'app.kubernetes.io/component': 'batch' };
    this.namespaceManifest = new eks.KubernetesManifest(this, 'Namespace', {
      cluster, manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.jobNamespace, labels } }],
    });
    this.priorityClassManifest = new eks.KubernetesManifest(this, 'PriorityClass', {
      cluster,
      manifest: [{
        apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: this.priorityClassName, labels },
        value: priority, preemptionPolicy: 'Never', globalDefault: false,
        description: 'cdk-ai-gateway batch Jobs: below the model servers, never preempting them',
      }],
    });
    this.rbacManifest = new eks.KubernetesManifest(this, 'Rbac', {
      cluster,
      manifest: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: this.serviceAccountName, namespace: this.jobNamespace, labels } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'batch-launcher', namespace: this.jobNamespace, labels },
          rules: [
            { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'delete'] },
            { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'batch-launcher', namespace: this.jobNamespace, labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'batch-launcher' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: SelfHostedBatch.LAUNCHER_GROUP }],
        },
      ],
    });
    // Objects of the namespace after the namespace; everything after the cluster's nodes.
    this.rbacManifest.node.addDependency(this.namespaceManifest);
    for (const manifest of [this.namespaceManifest, this.priorityClassManifest]) manifest.node.addDependency(...(props.after ?? []));

    // The worker's role, mapped to the launcher group only: no access policy, nothing cluster-wide.
    this.accessEntry = new eks.CfnAccessEntry(this, 'WorkerAccess', {
      clusterName: cluster.clusterName,
      principalArn: worker.role!.roleArn,
      type: 'STANDARD',
      kubernetesGroups: [SelfHostedBatch.LAUNCHER_GROUP],
    });

    const jobRole = new PodIdentityRole(this, 'JobRole', {
      cluster, namespace: this.jobNamespace, serviceAccount: this.serviceAccountName,
      description: `vllm run-batch Jobs of the cdk-ai-gateway batch route (EKS Pod Identity, ${this.jobNamespace}/${this.serviceAccountName}): read inputs, write outputs`,
    });
    this.jobRole = jobRole;
    this.podIdentityAssociation = jobRole.association;
    const jobs = `${batch.bucket.bucketArn}/${BATCH_BUCKET_PREFIXES.jobs}`;
    this.jobRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: [`${jobs}*/input.jsonl`] }));
    this.jobRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOutputs', actions: ['s3:PutObject'], resources: [`${jobs}*/output.jsonl`] }));
    for (const file of ['input.jsonl', 'output.jsonl']) {
      GatewayCompliance.acknowledge(jobRole.grantsPolicy!, `AwsSolutions-IAM5[Resource::${nagResourceName(this, batch.bucket.bucketArn)}/${BATCH_BUCKET_PREFIXES.jobs}*/${file}]`,
        `Each batch Job's files are under jobs/<job name>/, named by the worker when it creates the Job, so the role names the file (${file}) `
        + 'and not the job: the pods may read inputs and write outputs of batch Jobs only, never the tenants\' uploaded files or anything else in the bucket.');
    }
    const key = batch.bucket.encryptionKey;
    if (key) {
      this.jobRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'BucketKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }));
    }

    // HTTPS from the worker to the API server's endpoint (the cluster's security groups). The rules
    // live in this construct's scope, as the gateway's rules to its self-hosted targets do: with the
    // models in a stack the gateway depends on, `connections.allowFrom` would put the ingress rule in
    // the models' stack, naming the worker's security group of the gateway's stack (a cycle).
    const description = 'cdk-ai-gateway batch worker to the Kubernetes API';
    cluster.connections.securityGroups.forEach((clusterSg, i) => worker.connections.securityGroups.forEach((workerSg, j) => {
      new ec2.CfnSecurityGroupIngress(this, `ApiIngress${i}x${j}`, {
        groupId: clusterSg.securityGroupId, sourceSecurityGroupId: workerSg.securityGroupId, ipProtocol: 'tcp', fromPort: 443, toPort: 443, description,
      });
      if (!workerSg.allowAllOutbound) {
        new ec2.CfnSecurityGroupEgress(this, `ApiEgress${i}x${j}`, {
          groupId: workerSg.securityGroupId, destinationSecurityGroupId: clusterSg.securityGroupId, ipProtocol: 'tcp', fromPort: 443, toPort: 443, description,
        });
      }
    }));

    const config: SelfHostedBatchConfig = {
      clusterName: cluster.clusterName,
      region: stack.region,
      namespace: this.jobNamespace,
      serviceAccountName: this.serviceAccountName,
      priorityClassName: this.priorityClassName,
      awsCliImage: props.awsCliImage ?? AWS_CLI_IMAGE,
      ...(props.idleHours ? { idleHours: { startHour: props.idleHours.startHour, endHour: props.idleHours.endHour } } : {}),
      targets: Object.fromEntries(props.models.map((m) => [m.targetId, batchTarget(this, m, jobRole)])),
    };
    // The endpoint and the CA (1.5 KB of Lambda's 4 KB of environment) come from DescribeCluster at the worker's first use.
    const estimate = estimatedBytes(config);
    if (estimate > SelfHostedBatch.MAX_CONFIG_BYTES) {
      throw new AiGatewayValidationError(`The worker's self-hosted batch configuration would take about ${estimate} bytes of Lambda's 4 KB environment `
        + `(at most ${SelfHostedBatch.MAX_CONFIG_BYTES} fit beside the worker's other variables): each model with weights adds about 1 KB. `
        + 'Give weights only to the models whose own download cannot work (gated Hugging Face models, weights in S3), or fewer models.', this);
    }
    worker.addEnvironment(SELF_HOSTED_BATCH_ENV, stack.toJsonString(config));
    worker.addToRolePolicy(new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: [cluster.clusterArn] }));
    // No Job before its namespace, RBAC, priority class, access entry and Pod Identity association exist.
    worker.node.addDependency(this.namespaceManifest, this.rbacManifest, this.priorityClassManifest, this.accessEntry, this.podIdentityAssociation);
  }

  /** The priority class of batch pods. */
  public get priorityClassName(): string {
    return `${this.jobNamespace}-low`;
  }
}

/** The worker's view of one model: image, model, weights, GPUs, the GPU hour's price, the GPU pool's placement. */
function batchTarget(scope: SelfHostedBatch, m: SelfHostedBatchModel, role: PodIdentityRole): SelfHostedBatchTarget {
  const instance = GpuInstanceTypes.of(m.instanceType, scope);
  const image = m.image ?? VllmModel.DEFAULT_IMAGE;
  const weights = m.weights ? bindWeights(scope, m, m.weights, image, role) : undefined;
  const engineArgs = [...(weights?.args ?? []), ...(m.engineArgs ?? [])];
  return {
    image,
    model: weights?.model ?? m.model,
    servedModelName: m.servedModelName,
    ...(engineArgs.length > 0 ? { engineArgs } : {}),
    ...(weights ? { weights: weights.pod } : {}),
    gpus: m.gpus ?? 1,
    gpuHourUsd: (m.hourlyUsd ?? instance.onDemandUsdPerHour) / instance.gpuCount,
    nodeSelector: { [NODE_ROLE_LABEL]: GPU_NODE_ROLE, 'node.kubernetes.io/instance-type': m.instanceType },
    tolerations: [gpuToleration()],
  };
}

/** The configuration's JSON size with each unresolved value counted as `SelfHostedBatch.TOKEN_BYTES` characters. */
function estimatedBytes(config: SelfHostedBatchConfig): number {
  const text = JSON.stringify(config);
  let tokens = 0;
  const plain = text.replace(/\$\{Token\[[^\]]*\]\}/g, () => { tokens++; return ''; });
  return Buffer.byteLength(plain) + tokens * SelfHostedBatch.TOKEN_BYTES;
}

/** Where the Job's vLLM keeps what it loads (an emptyDir on the GPU node's disk), as the Deployment's `model-cache`. */
const MODEL_CACHE = { name: 'model-cache', mountPath: '/cache' };

/**
 * Binds the weights for the Jobs' service account (the grants go to the Jobs' role; a
 * `fromHuggingFaceViaS3` copy Job, when its marker is absent, runs once in the batch namespace) and
 * returns what the Job's pod adds. The fragments travel in the worker's environment (Lambda's 4 KB
 * limit: about 1 KB per target with S3-staged weights).
 */
function bindWeights(scope: SelfHostedBatch, m: SelfHostedBatchModel, weights: ModelWeights, image: string, role: PodIdentityRole): {
  model: string; args: string[]; pod: SelfHostedBatchWeights;
} {
  const name = `batch-${m.targetId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 40).replace(/-+$/, '');
  const binding = weights._bind(new Construct(scope, `Weights-${m.targetId}`), role, weights.fromObjectStore ? undefined : m.model, {
    cluster: scope.cluster, namespace: scope.jobNamespace, name, image, autoMode: scope.autoMode,
    namespaceResource: scope.namespaceManifest,
    labels: { 'app.kubernetes.io/part-of': 'cdk-ai-gateway', 'app.kubernetes.io/component': 'batch' },
  });
  return {
    model: binding.modelPath,
    args: binding.args,
    pod: {
      initContainers: binding.initContainers,
      volumes: [{ name: MODEL_CACHE.name, emptyDir: {} }, ...binding.volumes],
      volumeMounts: [MODEL_CACHE, ...binding.volumeMounts],
      env: [{ name: 'HF_HOME', value: `${MODEL_CACHE.mountPath}/huggingface` }, ...binding.env],
    },
  };
}

function validate(scope: Construct, props: SelfHostedBatchProps, namespace: string, priority: number): void {
  const fail = (message: string): never => { throw new AiGatewayValidationError(message, scope); };
  if (!props.batch.worker.isBoundToVpc) fail('The batch worker runs outside a VPC: SelfHostedBatch needs it in the cluster\'s VPC to reach the private API endpoint (set the gateway\'s vpc).');
  if (props.models.length === 0) fail('models must name at least one self-hosted target.');
  if (!/^[a-z0-9]([-a-z0-9]{0,57}[a-z0-9])?$/.test(namespace)) fail(`jobNamespace must be a DNS label of at most 59 characters (lower-case letters, digits, '-'); received '${namespace}'.`);
  if (!Number.isInteger(priority) || priority >= 0 || priority < -1_000_000) fail(`priority must be a whole number below 0 (the model servers' default priority) and at least -1000000; received ${priority}.`);
  const h = props.idleHours;
  const hour = (v: number) => Number.isInteger(v) && v >= 0 && v <= 23;
  if (h && (!hour(h.startHour) || !hour(h.endHour) || h.startHour === h.endHour)) {
    fail(`idleHours must be two different whole hours from 0 to 23 (UTC); received startHour ${h.startHour}, endHour ${h.endHour}.`);
  }
  const seen = new Set<string>();
  for (const m of props.models) {
    if (seen.has(m.targetId)) fail(`models: target '${m.targetId}' appears twice.`);
    seen.add(m.targetId);
    const instance = GpuInstanceTypes.of(m.instanceType, scope);
    const gpus = m.gpus ?? 1;
    if (!Number.isInteger(gpus) || gpus < 1 || gpus > instance.gpuCount) {
      fail(`models['${m.targetId}'].gpus must be a whole number from 1 to ${instance.gpuCount} (the GPUs of ${m.instanceType}); received ${gpus}.`);
    }
    if (m.hourlyUsd !== undefined && !Token.isUnresolved(m.hourlyUsd) && !(m.hourlyUsd > 0)) fail(`models['${m.targetId}'].hourlyUsd must be a positive price in USD; received ${m.hourlyUsd}.`);
  }
}
