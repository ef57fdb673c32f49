import { Duration, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { Keda } from './keda';
import { ModelWeights } from './model-weights';
import { PodIdentityRole } from '../pod-identity-role';
import { IPrometheusSource, VLLM_POD_LABELS } from './prometheus-source';
import { AiGatewayValidationError } from '../../private/errors';
import { GpuInstanceSpec, GpuInstanceTypes } from '../gpu-instances';
import { GPU_NODE_ROLE, GPU_RESOURCE, gpuToleration, NODE_ROLE_LABEL } from '../scheduling';

// vLLM v0.29.0 (release commit 98dff2a8, September 2026). `--shutdown-timeout` exists since
// v0.18.0 (vllm-project/vllm#34730, #36666); `vllm:kv_cache_usage_perc` replaces the deprecated
// `vllm:gpu_cache_usage_perc`; `--load-format runai_streamer` streams safetensors from s3://.
/** The pinned vLLM OpenAI-compatible server image. */
export const VLLM_IMAGE = 'vllm/vllm-openai:v0.29.0';

/** vLLM's OpenAI-compatible API port. */
export const VLLM_PORT = 8000;

/** Probe period of the startup probe; failureThreshold × period covers `startupTimeout`. */
const STARTUP_PERIOD_SECONDS = 10;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Autoscaling of a model's replicas with KEDA on vLLM's queue and KV-cache metrics. */
export interface VllmAutoscaling {
  /** Where KEDA reads the vLLM metrics. */
  readonly prometheus: IPrometheusSource;

  /**
   * KEDA; the ScaledObject is applied after it (its CRDs).
   *
   * @default - KEDA is already installed in the cluster
   */
  readonly keda?: Keda;

  /**
   * Waiting requests per replica (`vllm:num_requests_waiting`) above which KEDA adds replicas.
   *
   * @default 5
   */
  readonly queueDepthPerReplica?: number;

  /**
   * Average KV-cache usage (`vllm:kv_cache_usage_perc`, 0–1) above which KEDA adds replicas.
   *
   * @default 0.8
   */
  readonly kvCacheUsageTarget?: number;

  /**
   * How long the HPA looks back before removing a replica (scale-down stabilization).
   *
   * @default Duration.minutes(10)
   */
  readonly scaleDownStabilization?: Duration;

  /**
   * How long KEDA waits after the last active trigger before scaling to `minReplicas` when that is 0.
   *
   * @default Duration.minutes(5)
   */
  readonly cooldown?: Duration;

  /**
   * How often KEDA evaluates the triggers.
   *
   * @default Duration.seconds(15)
   */
  readonly pollingInterval?: Duration;
}

/** What a vLLM model serves and how (everything of `VllmModelProps` but the cluster and autoscaling). */
export interface VllmModelOptions {
  /** The model's name: a DNS-1035 label (lower case, digits, '-'; ≤ 40 characters). Names the Deployment, Service, PDB, ScaledObject and service account. */
  readonly name: string;

  /**
   * The namespace of the model's objects. Created once per stack and cluster unless
   * `createNamespace` is false.
   *
   * @default 'models'
   */
  readonly modelNamespace?: string;

  /**
   * Whether to create the namespace. Set false when another stack (or you) creates it.
   *
   * @default true
   */
  readonly createNamespace?: boolean;

  /**
   * The Hugging Face model id, for Hugging Face weights. Omit it with `ModelWeights.fromS3`.
   *
   * @default - none (required with Hugging Face weights)
   */
  readonly modelId?: string;

  /**
   * Where the weights come from.
   *
   * @default ModelWeights.fromHuggingFace()
   */
  readonly weights?: ModelWeights;

  /**
   * The model name clients send (`--served-model-name`), and the `model_name` label of its metrics.
   *
   * @default - `name`
   */
  readonly servedModelName?: string;

  /**
   * The vLLM image.
   *
   * @default VLLM_IMAGE
   */
  readonly image?: string;

  /** The GPU instance type a replica runs on, e.g. `g6.xlarge` (see `GpuInstanceTypes`). */
  readonly instanceType: string;

  /**
   * GPUs per replica (`nvidia.com/gpu` limit).
   *
   * @default - every GPU of `instanceType`
   */
  readonly gpusPerReplica?: number;

  /**
   * `--tensor-parallel-size`; at most `gpusPerReplica`.
   *
   * @default - `gpusPerReplica`
   */
  readonly tensorParallelSize?: number;

  /**
   * `--gpu-memory-utilization`, in (0, 1].
   *
   * @default 0.9
   */
  readonly gpuMemoryUtilization?: number;

  /**
   * `--max-model-len`.
   *
   * @default - the model's own context length
   */
  readonly maxModelLen?: number;

  /**
   * `--enable-prefix-caching` (or `--no-enable-prefix-caching`).
   *
   * @default true
   */
  readonly enablePrefixCaching?: boolean;

  /**
   * More `vllm serve` arguments, appended last.
   *
   * @default - none
   */
  readonly extraArgs?: string[];

  /**
   * How long the model may take to load before Kubernetes restarts the container (startup probe:
   * period 10 s × failureThreshold). At least 2 minutes.
   *
   * @default Duration.minutes(15)
   */
  readonly startupTimeout?: Duration;

  /**
   * `--shutdown-timeout`: how long vLLM lets in-flight requests finish after SIGTERM.
   *
   * @default Duration.seconds(60)
   */
  readonly shutdownTimeout?: Duration;

  /**
   * The preStop sleep that lets endpoints and load balancers stop sending traffic before SIGTERM.
   *
   * @default Duration.seconds(15)
   */
  readonly preStopDelay?: Duration;

  /**
   * The size of `/dev/shm` (a memory emptyDir, counted in the pod's memory).
   *
   * @default - 1 GiB with one GPU per replica, 8 GiB with more (NCCL)
   */
  readonly sharedMemorySize?: Size;

  /**
   * The size limit of the Hugging Face cache (`HF_HOME`, an emptyDir on the node's disk — the
   * NVMe RAID0 where Karpenter sets it up).
   *
   * @default Size.gibibytes(200)
   */
  readonly modelCacheSize?: Size;

  /**
   * Run vLLM as non-root (UID 2000, GID 0, `HOME=/home/vllm`). The stock `vllm/vllm-openai` image
   * runs as root; set this only with a non-root image such as vLLM's `vllm-openai-nonroot` variant.
   *
   * @default false
   */
  readonly runAsNonRoot?: boolean;

  /**
   * The least replicas. 0 only with `scaleToZero`.
   *
   * @default 1
   */
  readonly minReplicas?: number;

  /**
   * The most replicas.
   *
   * @default - max(minReplicas, 2)
   */
  readonly maxReplicas?: number;

  /**
   * Allow `minReplicas: 0`. A model at zero replicas has no vLLM metrics, so the vLLM triggers
   * cannot wake it: requests fail over (Bedrock fallback) until something scales it up.
   *
   * @default false
   */
  readonly scaleToZero?: boolean;
}

/** Properties of `VllmModel`. */
export interface VllmModelProps extends VllmModelOptions {
  /** The cluster (with GPU nodes labelled `NODE_ROLE_LABEL=GPU_NODE_ROLE` and tainted `GPU_TAINT`). */
  readonly cluster: eks.ICluster;

  /**
   * KEDA autoscaling. Without it the Deployment runs `minReplicas` replicas.
   *
   * @default - no autoscaling
   */
  readonly autoscaling?: VllmAutoscaling;
}

/**
 * One model served by vLLM on the GPU nodes: service account with an IAM role (EKS Pod Identity), Deployment,
 * ClusterIP Service on port 8000, PodDisruptionBudget and, with `autoscaling`, a KEDA
 * ScaledObject on `vllm:num_requests_waiting` and `vllm:kv_cache_usage_perc`. Several models run
 * side by side, each its own `VllmModel`.
 *
 * @example
 * new VllmModel(this, 'Llama', {
 *   cluster, name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge',
 *   weights: ModelWeights.fromHuggingFace({ tokenSecret }), maxModelLen: 16384,
 *   autoscaling: { prometheus: metrics, keda },
 * });
 */
export class VllmModel extends Construct implements iam.IGrantable {
  /** The Service name (in `modelNamespace`). */
  public readonly serviceName: string;
  /** The namespace of the model's objects. */
  public readonly modelNamespace: string;
  /** The Service port. */
  public readonly port: number = VLLM_PORT;
  /** The model name clients send. */
  public readonly servedModelName: string;
  /** The GPU instance a replica is sized for. */
  public readonly instance: GpuInstanceSpec;
  /** GPUs per replica. */
  public readonly gpusPerReplica: number;
  /** The least replicas. */
  public readonly minReplicas: number;
  /** The most replicas. */
  public readonly maxReplicas: number;
  /** The model's Kubernetes service account name (in `modelNamespace`). */
  public readonly serviceAccountName: string;
  /** The pods' AWS identity (EKS Pod Identity on the service account); grant it what the model reads. */
  public readonly role: iam.IRole;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The in-cluster URL of the OpenAI-compatible API, e.g. `http://llama.models.svc.cluster.local:8000/v1`. */
  public readonly clusterUrl: string;

  private readonly objects: Record<string, unknown>[];
  private readonly cluster: eks.ICluster;
  private readonly namespaceResource?: IConstruct;

  constructor(scope: Construct, id: string, props: VllmModelProps) {
    super(scope, id);
    this.cluster = props.cluster;
    const name = props.name;
    if (Token.isUnresolved(name) || name.length > 40 || !DNS_LABEL.test(name)) {
      throw new AiGatewayValidationError(`name must be a DNS-1035 label of at most 40 characters (lower-case letters, digits and '-', starting with a letter); received '${name}'.`, this);
    }
    this.modelNamespace = props.modelNamespace ?? 'models';
    if (!DNS_LABEL.test(this.modelNamespace) || this.modelNamespace.length > 63) {
      throw new AiGatewayValidationError(`modelNamespace must be a DNS-1123 label; received '${this.modelNamespace}'.`, this);
    }
    this.servedModelName = props.servedModelName ?? name;
    this.serviceName = name;
    this.clusterUrl = `http://${name}.${this.modelNamespace}.svc.cluster.local:${VLLM_PORT}/v1`;

    this.instance = instanceSpec(props.instanceType, this);
    this.gpusPerReplica = props.gpusPerReplica ?? this.instance.gpuCount;
    if (!Number.isInteger(this.gpusPerReplica) || this.gpusPerReplica < 1 || this.gpusPerReplica > this.instance.gpuCount) {
      throw new AiGatewayValidationError(`gpusPerReplica must be an integer from 1 to ${this.instance.gpuCount} (the GPUs of ${props.instanceType}); received ${this.gpusPerReplica}.`, this);
    }
    const tp = props.tensorParallelSize ?? this.gpusPerReplica;
    if (!Number.isInteger(tp) || tp < 1 || tp > this.gpusPerReplica) {
      throw new AiGatewayValidationError(`tensorParallelSize must be an integer from 1 to ${this.gpusPerReplica} (gpusPerReplica on ${props.instanceType}); received ${tp}.`, this);
    }
    const gpuMemoryUtilization = props.gpuMemoryUtilization ?? 0.9;
    if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
      throw new AiGatewayValidationError(`gpuMemoryUtilization must be in (0, 1]; received ${gpuMemoryUtilization}.`, this);
    }
    if (props.maxModelLen !== undefined && (!Number.isInteger(props.maxModelLen) || props.maxModelLen < 1)) {
      throw new AiGatewayValidationError(`maxModelLen must be a positive integer; received ${props.maxModelLen}.`, this);
    }
    const startupSeconds = (props.startupTimeout ?? Duration.minutes(15)).toSeconds();
    if (startupSeconds < 120) {
      throw new AiGatewayValidationError(`startupTimeout must be at least 2 minutes (model images and weights take minutes to load); received ${startupSeconds} seconds.`, this);
    }
    const shutdownSeconds = (props.shutdownTimeout ?? Duration.seconds(60)).toSeconds();
    const preStopSeconds = (props.preStopDelay ?? Duration.seconds(15)).toSeconds();
    if (shutdownSeconds < 0 || preStopSeconds < 0) {
      throw new AiGatewayValidationError(`shutdownTimeout and preStopDelay must not be negative; received ${shutdownSeconds} and ${preStopSeconds} seconds.`, this);
    }
    const minReplicas = props.minReplicas ?? 1;
    if (!Number.isInteger(minReplicas) || minReplicas < 0) {
      throw new AiGatewayValidationError(`minReplicas must be a non-negative integer; received ${minReplicas}.`, this);
    }
    if (minReplicas === 0 && !props.scaleToZero) {
      throw new AiGatewayValidationError('minReplicas is 0 but scaleToZero is not set: set scaleToZero: true to allow a model with no replica, or minReplicas ≥ 1.', this);
    }
    if (minReplicas === 0 && !props.autoscaling) {
      throw new AiGatewayValidationError('minReplicas 0 (scaleToZero) needs autoscaling, or the model never runs.', this);
    }
    const maxReplicas = props.maxReplicas ?? Math.max(minReplicas, 2);
    if (!Number.isInteger(maxReplicas) || maxReplicas < 1 || maxReplicas < minReplicas) {
      throw new AiGatewayValidationError(`maxReplicas must be an integer ≥ 1 and ≥ minReplicas (${minReplicas}); received ${maxReplicas}.`, this);
    }
    this.minReplicas = minReplicas;
    this.maxReplicas = maxReplicas;

    const namespaceResource = props.createNamespace === false ? undefined : ensureNamespace(props.cluster, this.modelNamespace, this);
    this.namespaceResource = namespaceResource;

    this.serviceAccountName = name;
    const role = new PodIdentityRole(this, 'PodRole', {
      cluster: props.cluster,
      namespace: this.modelNamespace,
      serviceAccount: name,
      description: `vLLM model ${name} (EKS Pod Identity of ${this.modelNamespace}/${name})`,
    });
    this.role = role;
    this.grantPrincipal = role;
    const serviceAccount = new eks.KubernetesManifest(this, 'ServiceAccount', {
      cluster: props.cluster,
      manifest: [{
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: this.modelNamespace, labels: { ...VLLM_POD_LABELS, 'app.kubernetes.io/instance': name } },
        automountServiceAccountToken: false,
      }],
    });
    if (namespaceResource) serviceAccount.node.addDependency(namespaceResource);

    const weights = props.weights ?? ModelWeights.fromHuggingFace();
    const binding = weights._bind(this, role, props.modelId);

    // Requests: the replica's share of the instance minus what the kubelet, the OS and the
    // DaemonSets keep (≈ 0.5 vCPU + 5 %, 2.5 GiB + 5 % — above EKS's kube-reserved for these sizes).
    const share = this.gpusPerReplica / this.instance.gpuCount;
    const cpuMillis = Math.max(500, Math.floor((this.instance.vcpus * 1000 - 500 - this.instance.vcpus * 50) * share / 100) * 100);
    const memoryMiB = Math.max(2048, Math.floor((this.instance.memoryGiB * 1024 - 2560 - this.instance.memoryGiB * 1024 * 0.05) * share / 256) * 256);
    const shm = props.sharedMemorySize ?? Size.gibibytes(this.gpusPerReplica > 1 ? 8 : 1);
    if (shm.toMebibytes() >= memoryMiB / 2) {
      throw new AiGatewayValidationError(`sharedMemorySize must be below half the replica's memory (${memoryMiB} MiB on ${props.instanceType}); received ${shm.toMebibytes()} MiB.`, this);
    }
    const cacheSize = props.modelCacheSize ?? Size.gibibytes(200);

    // A fresh object each time: the kubectl provider adds its prune label to every object's metadata.
    const labels = () => ({ ...VLLM_POD_LABELS, 'app.kubernetes.io/instance': name });
    const selector = { 'app.kubernetes.io/name': VLLM_POD_LABELS['app.kubernetes.io/name'], 'app.kubernetes.io/instance': name };
    const args = [
      binding.modelPath,
      '--served-model-name', this.servedModelName,
      '--host', '0.0.0.0',
      '--port', String(VLLM_PORT),
      '--tensor-parallel-size', String(tp),
      '--gpu-memory-utilization', String(gpuMemoryUtilization),
      props.enablePrefixCaching === false ? '--no-enable-prefix-caching' : '--enable-prefix-caching',
      '--shutdown-timeout', String(shutdownSeconds),
      ...(props.maxModelLen !== undefined ? ['--max-model-len', String(props.maxModelLen)] : []),
      ...binding.args,
      ...(props.extraArgs ?? []),
    ];
    const gracePeriod = preStopSeconds + shutdownSeconds + 30;
    if (!(gracePeriod > preStopSeconds + shutdownSeconds)) {
      throw new AiGatewayValidationError('terminationGracePeriodSeconds must exceed preStopDelay + shutdownTimeout.', this);
    }
    const nonRoot = props.runAsNonRoot === true;
    const httpProbe = { httpGet: { path: '/health', port: 'http' } };

    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: this.modelNamespace, labels: labels() },
      spec: {
        replicas: Math.max(minReplicas, 1),
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: labels() },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: gracePeriod,
            tolerations: [gpuToleration()],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{
                    matchExpressions: [
                      { key: NODE_ROLE_LABEL, operator: 'In', values: [GPU_NODE_ROLE] },
                      { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [this.instance.instanceType] },
                    ],
                  }],
                },
              },
            },
            securityContext: {
              seccompProfile: { type: 'RuntimeDefault' },
              ...(nonRoot ? { runAsNonRoot: true, runAsUser: 2000, runAsGroup: 0, fsGroup: 0 } : {}),
            },
            ...(binding.initContainers.length > 0 ? { initContainers: binding.initContainers } : {}),
            containers: [{
              name: 'vllm',
              image: props.image ?? VLLM_IMAGE,
              command: ['vllm', 'serve'],
              args,
              ports: [{ name: 'http', containerPort: VLLM_PORT, protocol: 'TCP' }],
              env: [
                { name: 'HF_HOME', value: '/cache/huggingface' },
                ...(nonRoot ? [{ name: 'HOME', value: '/home/vllm' }] : []),
                ...binding.env,
              ],
              resources: {
                requests: { 'cpu': `${cpuMillis}m`, 'memory': `${memoryMiB}Mi`, [GPU_RESOURCE]: String(this.gpusPerReplica) },
                limits: { 'memory': `${memoryMiB}Mi`, [GPU_RESOURCE]: String(this.gpusPerReplica) },
              },
              startupProbe: { ...httpProbe, periodSeconds: STARTUP_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: Math.ceil(startupSeconds / STARTUP_PERIOD_SECONDS) },
              readinessProbe: { ...httpProbe, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
              livenessProbe: { ...httpProbe, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
              lifecycle: { preStop: { exec: { command: ['sleep', String(preStopSeconds)] } } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                ...(nonRoot ? { runAsNonRoot: true } : {}),
              },
              volumeMounts: [
                { name: 'shm', mountPath: '/dev/shm' },
                { name: 'model-cache', mountPath: '/cache' },
                ...binding.volumeMounts,
              ],
            }],
            volumes: [
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: `${shm.toMebibytes()}Mi` } },
              { name: 'model-cache', emptyDir: { sizeLimit: `${cacheSize.toGibibytes()}Gi` } },
              ...binding.volumes,
            ],
          },
        },
      },
    };

    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: this.modelNamespace, labels: labels() },
      spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: VLLM_PORT, targetPort: 'http', protocol: 'TCP' }] },
    };

    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, namespace: this.modelNamespace, labels: labels() },
      spec: {
        selector: { matchLabels: selector },
        ...(minReplicas > 1 ? { minAvailable: minReplicas - 1 } : { maxUnavailable: 1 }),
      },
    };

    this.objects = [deployment, service, pdb].map(clone);
    const workload = new eks.KubernetesManifest(this, 'Workload', { cluster: props.cluster, manifest: [deployment, service, pdb] });
    // Pod Identity credentials are injected at pod creation: the association must exist first.
    workload.node.addDependency(serviceAccount, role.association);
    if (namespaceResource) workload.node.addDependency(namespaceResource);

    if (props.autoscaling) {
      const scaling = this.scalingObjects(props.autoscaling, name);
      this.objects.push(...scaling.objects.map(clone));
      const scaler = new eks.KubernetesManifest(this, 'Autoscaling', { cluster: props.cluster, manifest: scaling.objects });
      scaler.node.addDependency(workload);
      if (scaling.triggerAuthentication) scaler.node.addDependency(scaling.triggerAuthentication);
      if (props.autoscaling.keda) scaler.node.addDependency(props.autoscaling.keda.chart);
    }
  }

  /** The Kubernetes objects this model applies (Deployment, Service, PodDisruptionBudget, ScaledObject), as rendered before CloudFormation resolves tokens. */
  public get kubernetesObjects(): { [key: string]: unknown }[] {
    return this.objects.map(clone);
  }

  private scalingObjects(a: VllmAutoscaling, name: string): { objects: Record<string, unknown>[]; triggerAuthentication?: IConstruct } {
    const queue = a.queueDepthPerReplica ?? 5;
    const kv = a.kvCacheUsageTarget ?? 0.8;
    if (!(queue > 0)) throw new AiGatewayValidationError(`autoscaling.queueDepthPerReplica must be above 0; received ${queue}.`, this);
    if (!(kv > 0 && kv <= 1)) throw new AiGatewayValidationError(`autoscaling.kvCacheUsageTarget must be in (0, 1]; received ${kv}.`, this);
    const stabilization = (a.scaleDownStabilization ?? Duration.minutes(10)).toSeconds();
    if (stabilization < 0 || stabilization > 3600) {
      throw new AiGatewayValidationError(`autoscaling.scaleDownStabilization must be between 0 and 3600 seconds (the HPA limit); received ${stabilization}.`, this);
    }
    const scope = `namespace="${this.modelNamespace}",model_name="${this.servedModelName}"`;
    let triggerAuthentication: IConstruct | undefined;
    const signing: Record<string, unknown> = {};
    if (a.prometheus.sigV4Region !== undefined) {
      triggerAuthentication = ensureAwsTriggerAuthentication(this.cluster, this.modelNamespace, this);
      if (this.namespaceResource) triggerAuthentication.node.addDependency(this.namespaceResource);
      if (a.keda) triggerAuthentication.node.addDependency(a.keda.chart);
      signing.awsRegion = a.prometheus.sigV4Region;
    }
    const trigger = (query: string, threshold: number) => ({
      type: 'prometheus',
      metricType: 'AverageValue',
      metadata: { serverAddress: a.prometheus.serverAddress, query, threshold: String(threshold), activationThreshold: '0', ...signing },
      ...(triggerAuthentication ? { authenticationRef: { name: AWS_TRIGGER_AUTH_NAME } } : {}),
    });
    const scaledObject = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name, namespace: this.modelNamespace, labels: { ...VLLM_POD_LABELS, 'app.kubernetes.io/instance': name } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicaCount: this.minReplicas,
        maxReplicaCount: this.maxReplicas,
        pollingInterval: (a.pollingInterval ?? Duration.seconds(15)).toSeconds(),
        cooldownPeriod: (a.cooldown ?? Duration.minutes(5)).toSeconds(),
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: { scaleDown: { stabilizationWindowSeconds: stabilization } },
          },
        },
        triggers: [
          trigger(`sum(vllm:num_requests_waiting{${scope}})`, queue),
          trigger(`sum(vllm:kv_cache_usage_perc{${scope}})`, kv),
        ],
      },
    };
    return { objects: [scaledObject], triggerAuthentication };
  }

}

function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}

/** The TriggerAuthentication each model namespace gets when its metrics are SigV4-signed. */
export const AWS_TRIGGER_AUTH_NAME = 'cdk-ai-gateway-aws';

function instanceSpec(instanceType: string, scope: IConstruct): GpuInstanceSpec {
  try {
    return GpuInstanceTypes.of(instanceType, scope);
  } catch (err) {
    throw new AiGatewayValidationError(`instanceType: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** One construct per stack, cluster and key, shared by every model that needs it. */
function singleton(cluster: eks.ICluster, key: string, scope: IConstruct, create: (parent: Construct, id: string) => IConstruct): IConstruct {
  const stack = Stack.of(scope);
  const id = `VllmShared${Names.uniqueId(cluster as unknown as IConstruct).slice(-16)}${key}`;
  return stack.node.tryFindChild(id) ?? create(stack, id);
}

function ensureNamespace(cluster: eks.ICluster, namespace: string, scope: IConstruct): IConstruct {
  return singleton(cluster, `Namespace${namespace}`, scope, (parent, id) => new eks.KubernetesManifest(parent, id, {
    cluster,
    manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'cdk-ai-gateway' } } }],
  }));
}

function ensureAwsTriggerAuthentication(cluster: eks.ICluster, namespace: string, scope: IConstruct): IConstruct {
  return singleton(cluster, `TriggerAuth${namespace}`, scope, (parent, id) => new eks.KubernetesManifest(parent, id, {
    cluster,
    manifest: [{
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'TriggerAuthentication',
      metadata: { name: AWS_TRIGGER_AUTH_NAME, namespace },
      // identityOwner defaults to `keda`: the operator's own Pod Identity role signs the queries.
      spec: { podIdentity: { provider: 'aws' } },
    }],
  }));
}
