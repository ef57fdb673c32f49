import { Annotations, Duration, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { Keda } from './keda';
import { CapacityMode } from '../eks/self-hosted-cluster';
import { ModelArchitecture, knownArchitecture, memoryFit } from './model-memory';
import { ModelWeights, WeightsBinding } from './model-weights';
import { IPrometheusSource, PrometheusSource } from './prometheus-source';
import { ToolCallParser } from './tool-call-parser';
import { PodIdentityRole } from '../pod-identity-role';
import { AiGatewayValidationError } from '../../private/errors';
import { GpuInstanceSpec, GpuInstanceTypes } from '../gpu-instances';
import { GPU_NODE_ROLE, GPU_RESOURCE, gpuToleration, NODE_ROLE_LABEL } from '../scheduling';

// vLLM v0.29.0 (release commit 98dff2a8, September 2026). `--shutdown-timeout` exists since
// v0.18.0 (vllm-project/vllm#34730, #36666); `vllm:kv_cache_usage_perc` replaces the deprecated
// `vllm:gpu_cache_usage_perc`; `--load-format runai_streamer` streams safetensors from s3://.
const VLLM_IMAGE = 'vllm/vllm-openai:v0.29.0';
/** The TriggerAuthentication each model namespace gets when its metrics are SigV4-signed. */
const AWS_TRIGGER_AUTH_NAME = 'cdk-ai-gateway-aws';

/** Probe period of the startup probe; failureThreshold × period covers `startupTimeout`. */
const STARTUP_PERIOD_SECONDS = 10;
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** The `vllm serve` flags of tool calling, set only through `toolCallParser`. */
const TOOL_FLAGS = ['--enable-auto-tool-choice', '--tool-call-parser'];

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
   * @default ModelWeights.fromHuggingFaceViaS3() (copied once to S3 by a Job, loaded from S3 by every replica)
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
   * @default VllmModel.DEFAULT_IMAGE
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
   * `--max-model-len`. When the model's architecture is known (`architecture`, or a model id the
   * library knows such as `meta-llama/Llama-3.1-8B-Instruct`) a length whose KV cache cannot fit
   * the replica's GPU memory is refused at synth.
   *
   * @default - the model's own context length, or the longest length that fits the GPU memory
   * when the model is known and its own context does not fit (synth info message)
   */
  readonly maxModelLen?: number;

  /**
   * The model's shape (parameters, layers, KV heads, head dimension, context), which sizes its KV
   * cache against the GPU memory.
   *
   * @default - known for the model ids the library lists; otherwise `maxModelLen` is not checked
   */
  readonly architecture?: ModelArchitecture;

  /**
   * `--enable-prefix-caching` (or `--no-enable-prefix-caching`).
   *
   * @default true
   */
  readonly enablePrefixCaching?: boolean;

  /**
   * The tool call parser of the model's family: vLLM serves `tools` with `tool_choice: auto`
   * (`--enable-auto-tool-choice --tool-call-parser <name>`), and the gateway target of the model
   * (`SelfHostedModels`) gets the `tools` capability. Without it, routing skips the model for
   * requests with tools.
   *
   * @default - no tool calling
   */
  readonly toolCallParser?: ToolCallParser;

  /**
   * More `vllm serve` arguments, appended last. Tool calling is `toolCallParser`, not these.
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
   * `--shutdown-timeout`: how long vLLM lets in-flight requests finish after SIGTERM. Keep it at
   * least the router's total deadline for the target, so a request the router still waits for is
   * never cut by a rollout or a node drain (`SelfHostedModels` sets it from the target's `totalMs`).
   *
   * @default Duration.seconds(120) (the router's default total deadline of a self-hosted target)
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
   * The size limit of the model cache (`HF_HOME`, and the weights synced from S3: an emptyDir on the node's disk — the
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
   * The least replicas (KEDA's `minReplicaCount`). Two keep the model serving while one replica's
   * node is replaced (expiry, drift, spot interruption, consolidation). 0 only with `scaleToZero`.
   *
   * @default 2
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
  /** The cluster (with GPU nodes labelled `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.GPU_NODE_ROLE` (`cdk-ai-gateway.io/node-role=gpu`) and tainted `NodeScheduling.GPU_TAINT`). */
  readonly cluster: eks.ICluster;

  /**
   * KEDA autoscaling. With it the Deployment has no `replicas` field (KEDA's HPA owns the count);
   * without it the Deployment runs `minReplicas` replicas.
   *
   * @default - no autoscaling
   */
  readonly autoscaling?: VllmAutoscaling;

  /**
   * Who provisions the cluster's nodes: where cluster jobs (the weights copy Job) run — the
   * system node group with self-managed Karpenter, Auto Mode's `system` or `general-purpose`
   * pool with EKS Auto Mode.
   *
   * @default CapacityMode.KARPENTER
   */
  readonly capacityMode?: CapacityMode;
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
  /** The pinned vLLM OpenAI-compatible server image (vLLM v0.29.0). */
  public static readonly DEFAULT_IMAGE: string = VLLM_IMAGE;
  /** vLLM's OpenAI-compatible API port. */
  public static readonly PORT: number = 8000;
  /** The name of the KEDA TriggerAuthentication each model namespace gets when its metrics are SigV4-signed. */
  public static readonly AWS_TRIGGER_AUTH_NAME: string = AWS_TRIGGER_AUTH_NAME;
  /** `--shutdown-timeout` in seconds when none is given: the router's default total deadline (120 s) of a self-hosted target. */
  public static readonly DEFAULT_SHUTDOWN_SECONDS: number = 120;

  /** The Service name (in `modelNamespace`). */
  public readonly serviceName: string;
  /** The namespace of the model's objects. */
  public readonly modelNamespace: string;
  /** The Service port. */
  public readonly port: number = VllmModel.PORT;
  /** The model name clients send. */
  public readonly servedModelName: string;
  /** The tool call parser vLLM runs with, when the model serves tool calls. */
  public readonly toolCallParser?: ToolCallParser;
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
  /** The `--max-model-len` given or chosen to fit the GPU memory (none: the model's own context). */
  public readonly maxModelLen?: number;
  /** The manifest that applies the Service (before any TargetGroupBinding for it). */
  public readonly serviceManifest: eks.KubernetesManifest;
  /** The manifest that applies the Deployment and PodDisruptionBudget. */
  public readonly workloadManifest: eks.KubernetesManifest;
  /**
   * How long a stopping replica keeps serving: the pre-stop delay (the load balancer stops sending
   * it new requests) plus the shutdown timeout (its open streams finish).
   */
  public readonly drainTime: Duration;

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
    const toolFlag = (props.extraArgs ?? []).find((a) => TOOL_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
    if (toolFlag !== undefined) {
      throw new AiGatewayValidationError(`extraArgs must not hold '${toolFlag}': set toolCallParser (for example ToolCallParser.HERMES), so the gateway knows the model can call tools.`, this);
    }
    this.toolCallParser = props.toolCallParser;
    this.servedModelName = props.servedModelName ?? name;
    this.serviceName = name;
    this.serviceAccountName = name;
    this.clusterUrl = `http://${name}.${this.modelNamespace}.svc.cluster.local:${VllmModel.PORT}/v1`;
    this.instance = instanceSpec(props.instanceType, this);
    const settings = this.resolveSettings(props);
    this.gpusPerReplica = settings.gpusPerReplica;
    this.minReplicas = settings.minReplicas;
    this.maxReplicas = settings.maxReplicas;
    this.maxModelLen = settings.maxModelLen;
    this.drainTime = Duration.seconds(settings.preStopSeconds + settings.shutdownSeconds);

    this.namespaceResource = props.createNamespace === false ? undefined : ensureNamespace(props.cluster, this.modelNamespace, this);
    const { role, serviceAccount } = this.newIdentity();
    this.role = role;
    this.grantPrincipal = role;
    const image = props.image ?? VllmModel.DEFAULT_IMAGE;
    const weights = (props.weights ?? ModelWeights.fromHuggingFaceViaS3())._bind(this, role, props.modelId, {
      cluster: props.cluster,
      namespace: this.modelNamespace,
      name,
      image,
      autoMode: props.capacityMode === CapacityMode.AUTO_MODE,
      namespaceResource: this.namespaceResource,
      labels: this.labels(),
    });

    const deployment = this.deploymentObject(props, settings, weights);
    const service = this.serviceObject();
    const pdb = this.disruptionBudgetObject();
    this.objects = [deployment, service, pdb, ...(weights.objects ?? [])].map(clone);

    // The Service first: the load balancer controller injects its readiness gate only into pods
    // created after a TargetGroupBinding for their Service exists, so a composer applies the
    // binding between `serviceManifest` and `workloadManifest`.
    this.serviceManifest = new eks.KubernetesManifest(this, 'Service', { cluster: props.cluster, manifest: [service] });
    this.workloadManifest = new eks.KubernetesManifest(this, 'Workload', { cluster: props.cluster, manifest: [deployment, pdb] });
    // Pod Identity credentials are injected at pod creation: the association must exist first.
    this.workloadManifest.node.addDependency(serviceAccount, role.association, this.serviceManifest);
    // The replicas load the weights the copy Job puts in S3: the Job is applied first (and the
    // pods' init container waits for its completion marker).
    for (const dependency of weights.dependencies ?? []) this.workloadManifest.node.addDependency(dependency);
    if (this.namespaceResource) {
      this.serviceManifest.node.addDependency(this.namespaceResource);
      this.workloadManifest.node.addDependency(this.namespaceResource);
    }

    if (props.autoscaling) this.addAutoscaling(props.autoscaling, name);
  }

  /** Validates the sizing, drain and replica props against the instance and returns what they resolve to. */
  private resolveSettings(props: VllmModelProps): ResolvedSettings {
    const fail = (message: string): never => { throw new AiGatewayValidationError(message, this); };
    const gpusPerReplica = props.gpusPerReplica ?? this.instance.gpuCount;
    if (!Number.isInteger(gpusPerReplica) || gpusPerReplica < 1 || gpusPerReplica > this.instance.gpuCount) {
      fail(`gpusPerReplica must be an integer from 1 to ${this.instance.gpuCount} (the GPUs of ${props.instanceType}); received ${gpusPerReplica}.`);
    }
    const tensorParallelSize = props.tensorParallelSize ?? gpusPerReplica;
    if (!Number.isInteger(tensorParallelSize) || tensorParallelSize < 1 || tensorParallelSize > gpusPerReplica) {
      fail(`tensorParallelSize must be an integer from 1 to ${gpusPerReplica} (gpusPerReplica on ${props.instanceType}); received ${tensorParallelSize}.`);
    }
    const gpuMemoryUtilization = props.gpuMemoryUtilization ?? 0.9;
    if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) fail(`gpuMemoryUtilization must be in (0, 1]; received ${gpuMemoryUtilization}.`);
    if (props.maxModelLen !== undefined && (!Number.isInteger(props.maxModelLen) || props.maxModelLen < 1)) {
      fail(`maxModelLen must be a positive integer; received ${props.maxModelLen}.`);
    }
    const startupSeconds = (props.startupTimeout ?? Duration.minutes(15)).toSeconds();
    if (startupSeconds < 120) fail(`startupTimeout must be at least 2 minutes (model images and weights take minutes to load); received ${startupSeconds} seconds.`);
    const shutdownSeconds = (props.shutdownTimeout ?? Duration.seconds(VllmModel.DEFAULT_SHUTDOWN_SECONDS)).toSeconds();
    const preStopSeconds = (props.preStopDelay ?? Duration.seconds(15)).toSeconds();
    if (shutdownSeconds < 0 || preStopSeconds < 0) fail(`shutdownTimeout and preStopDelay must not be negative; received ${shutdownSeconds} and ${preStopSeconds} seconds.`);
    const minReplicas = props.minReplicas ?? 2;
    if (!Number.isInteger(minReplicas) || minReplicas < 0) fail(`minReplicas must be a non-negative integer; received ${minReplicas}.`);
    if (minReplicas === 0 && !props.scaleToZero) {
      fail('minReplicas is 0 but scaleToZero is not set: set scaleToZero: true to allow a model with no replica, or minReplicas ≥ 1.');
    }
    if (minReplicas === 0 && !props.autoscaling) fail('minReplicas 0 (scaleToZero) needs autoscaling, or the model never runs.');
    const maxReplicas = props.maxReplicas ?? Math.max(minReplicas, 2);
    if (!Number.isInteger(maxReplicas) || maxReplicas < 1 || maxReplicas < minReplicas) {
      fail(`maxReplicas must be an integer ≥ 1 and ≥ minReplicas (${minReplicas}); received ${maxReplicas}.`);
    }
    const maxModelLen = this.checkContextLength(props, gpusPerReplica, gpuMemoryUtilization);
    return { gpusPerReplica, tensorParallelSize, gpuMemoryUtilization, startupSeconds, shutdownSeconds, preStopSeconds, minReplicas, maxReplicas, maxModelLen };
  }

  /**
   * `--max-model-len` against the replica's GPU memory, when the model's architecture is known
   * (`architecture`, or a model id this library knows): a length whose KV cache cannot fit is
   * refused; without `maxModelLen`, a model whose own context does not fit gets the longest
   * length that does (rounded down to 1,024 tokens) instead of failing at start.
   */
  private checkContextLength(props: VllmModelProps, gpus: number, utilization: number): number | undefined {
    const arch = props.architecture ?? knownArchitecture(props.modelId);
    if (!arch) return props.maxModelLen;
    const fit = memoryFit(arch, this.instance, gpus, utilization);
    const where = `${gpus} × ${this.instance.gpuModel} (${this.instance.gpuMemoryGiB} GiB) of ${this.instance.instanceType} at gpuMemoryUtilization ${utilization}`;
    const gib = (b: number) => (b / 2 ** 30).toFixed(1);
    if (fit.maxTokens < 1024) {
      throw new AiGatewayValidationError(`${props.modelId ?? props.name}: the weights (${gib(fit.weightBytes)} GiB) leave no room for a KV cache on ${where} `
        + `(${gib(fit.usableBytes)} GiB usable): choose an instance with more GPU memory, more gpusPerReplica, or a smaller or quantized model.`, this);
    }
    const fitting = Math.floor(fit.maxTokens / 1024) * 1024;
    if (props.maxModelLen !== undefined) {
      if (props.maxModelLen > fit.maxTokens) {
        throw new AiGatewayValidationError(`maxModelLen ${props.maxModelLen} does not fit ${props.modelId ?? props.name} on ${where}: after the weights `
          + `(${gib(fit.weightBytes)} GiB) the KV cache holds about ${fit.maxTokens} tokens (${fit.kvBytesPerToken / 1024} KiB each), and vLLM refuses to start `
          + `when one sequence of maxModelLen tokens cannot fit. Use maxModelLen ≤ ${fitting}, or more GPU memory.`, this);
      }
      return props.maxModelLen;
    }
    if (arch.contextLength <= fit.maxTokens) return undefined;
    Annotations.of(this).addInfo(`maxModelLen defaults to ${fitting} tokens: the model's own context of ${arch.contextLength} does not fit on ${where} `
      + `(KV cache for about ${fit.maxTokens} tokens after ${gib(fit.weightBytes)} GiB of weights). Set maxModelLen to choose another length that fits.`);
    return fitting;
  }

  /** The model's Kubernetes service account and its IAM role (EKS Pod Identity). */
  private newIdentity(): { role: PodIdentityRole; serviceAccount: eks.KubernetesManifest } {
    const name = this.serviceAccountName;
    const role = new PodIdentityRole(this, 'PodRole', {
      cluster: this.cluster,
      namespace: this.modelNamespace,
      serviceAccount: name,
      description: `vLLM model ${name} (EKS Pod Identity of ${this.modelNamespace}/${name})`,
    });
    const serviceAccount = new eks.KubernetesManifest(this, 'ServiceAccount', {
      cluster: this.cluster,
      manifest: [{
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name, namespace: this.modelNamespace, labels: this.labels() },
        automountServiceAccountToken: false,
      }],
    });
    if (this.namespaceResource) serviceAccount.node.addDependency(this.namespaceResource);
    return { role, serviceAccount };
  }

  /** A fresh object each time: the kubectl provider adds its prune label to every object's metadata. */
  private labels(): Record<string, string> {
    return { ...PrometheusSource.VLLM_POD_LABELS, 'app.kubernetes.io/instance': this.serviceName };
  }

  private selector(): Record<string, string> {
    return { 'app.kubernetes.io/name': PrometheusSource.VLLM_POD_LABELS['app.kubernetes.io/name'], 'app.kubernetes.io/instance': this.serviceName };
  }

  /** Requests: the replica's share of the instance minus what the kubelet, the OS and the DaemonSets keep. */
  private podResources(props: VllmModelProps): { cpuMillis: number; memoryMiB: number; shmMiB: number } {
    // ≈ 0.5 vCPU + 5 %, 2.5 GiB + 5 % — above EKS's kube-reserved for these sizes.
    const share = this.gpusPerReplica / this.instance.gpuCount;
    const cpuMillis = Math.max(500, Math.floor((this.instance.vcpus * 1000 - 500 - this.instance.vcpus * 50) * share / 100) * 100);
    const memoryMiB = Math.max(2048, Math.floor((this.instance.memoryGiB * 1024 - 2560 - this.instance.memoryGiB * 1024 * 0.05) * share / 256) * 256);
    const shm = props.sharedMemorySize ?? Size.gibibytes(this.gpusPerReplica > 1 ? 8 : 1);
    if (shm.toMebibytes() >= memoryMiB / 2) {
      throw new AiGatewayValidationError(`sharedMemorySize must be below half the replica's memory (${memoryMiB} MiB on ${props.instanceType}); received ${shm.toMebibytes()} MiB.`, this);
    }
    return { cpuMillis, memoryMiB, shmMiB: shm.toMebibytes() };
  }

  private vllmArgs(props: VllmModelProps, settings: ResolvedSettings, weights: WeightsBinding): string[] {
    return [
      weights.modelPath,
      '--served-model-name', this.servedModelName,
      '--host', '0.0.0.0',
      '--port', String(VllmModel.PORT),
      '--tensor-parallel-size', String(settings.tensorParallelSize),
      '--gpu-memory-utilization', String(settings.gpuMemoryUtilization),
      props.enablePrefixCaching === false ? '--no-enable-prefix-caching' : '--enable-prefix-caching',
      '--shutdown-timeout', String(settings.shutdownSeconds),
      ...(settings.maxModelLen !== undefined ? ['--max-model-len', String(settings.maxModelLen)] : []),
      ...weights.args,
      ...(props.toolCallParser ? ['--enable-auto-tool-choice', '--tool-call-parser', props.toolCallParser.name] : []),
      ...(props.extraArgs ?? []),
    ];
  }

  private deploymentObject(props: VllmModelProps, settings: ResolvedSettings, weights: WeightsBinding): Record<string, unknown> {
    const name = this.serviceName;
    const { cpuMillis, memoryMiB, shmMiB } = this.podResources(props);
    const cacheSize = props.modelCacheSize ?? Size.gibibytes(200);
    const nonRoot = props.runAsNonRoot === true;
    const httpProbe = { httpGet: { path: '/health', port: 'http' } };
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: this.modelNamespace, labels: this.labels() },
      spec: {
        // With KEDA the HPA owns the replica count: a `replicas` field would be re-applied by
        // every manifest update and kill warm replicas. Without it, `minReplicas` is fixed here.
        ...(props.autoscaling ? {} : { replicas: Math.max(settings.minReplicas, 1) }),
        selector: { matchLabels: this.selector() },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: {
            labels: this.labels(),
            // Karpenter never consolidates, drifts or expires a node while a replica serves on it;
            // the NodePool's terminationGracePeriod bounds how long that lasts.
            annotations: { 'karpenter.sh/do-not-disrupt': 'true' },
          },
          spec: {
            serviceAccountName: name,
            automountServiceAccountToken: false,
            terminationGracePeriodSeconds: this.drainTime.toSeconds() + 30,
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
            // Replicas on different nodes, so one node's loss or drain takes one replica.
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: this.selector() } }],
            securityContext: {
              seccompProfile: { type: 'RuntimeDefault' },
              ...(nonRoot ? { runAsNonRoot: true, runAsUser: 2000, runAsGroup: 0, fsGroup: 0 } : {}),
            },
            ...(weights.initContainers.length > 0 ? { initContainers: weights.initContainers } : {}),
            containers: [{
              name: 'vllm',
              image: props.image ?? VllmModel.DEFAULT_IMAGE,
              command: ['vllm', 'serve'],
              args: this.vllmArgs(props, settings, weights),
              ports: [{ name: 'http', containerPort: VllmModel.PORT, protocol: 'TCP' }],
              env: [
                { name: 'HF_HOME', value: '/cache/huggingface' },
                ...(nonRoot ? [{ name: 'HOME', value: '/home/vllm' }] : []),
                ...weights.env,
              ],
              resources: {
                requests: { 'cpu': `${cpuMillis}m`, 'memory': `${memoryMiB}Mi`, [GPU_RESOURCE]: String(this.gpusPerReplica) },
                limits: { 'memory': `${memoryMiB}Mi`, [GPU_RESOURCE]: String(this.gpusPerReplica) },
              },
              startupProbe: { ...httpProbe, periodSeconds: STARTUP_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: Math.ceil(settings.startupSeconds / STARTUP_PERIOD_SECONDS) },
              readinessProbe: { ...httpProbe, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
              livenessProbe: { ...httpProbe, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
              lifecycle: { preStop: { exec: { command: ['sleep', String(settings.preStopSeconds)] } } },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...(nonRoot ? { runAsNonRoot: true } : {}) },
              volumeMounts: [{ name: 'shm', mountPath: '/dev/shm' }, { name: 'model-cache', mountPath: '/cache' }, ...weights.volumeMounts],
            }],
            volumes: [
              { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: `${shmMiB}Mi` } },
              { name: 'model-cache', emptyDir: { sizeLimit: `${cacheSize.toGibibytes()}Gi` } },
              ...weights.volumes,
            ],
          },
        },
      },
    };
  }

  private serviceObject(): Record<string, unknown> {
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: this.serviceName, namespace: this.modelNamespace, labels: this.labels() },
      spec: { type: 'ClusterIP', selector: this.selector(), ports: [{ name: 'http', port: VllmModel.PORT, targetPort: 'http', protocol: 'TCP' }] },
    };
  }

  /** At least one replica stays while nodes are drained (expiry, drift, consolidation); more with more minimum replicas. */
  private disruptionBudgetObject(): Record<string, unknown> {
    return {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: this.serviceName, namespace: this.modelNamespace, labels: this.labels() },
      spec: { selector: { matchLabels: this.selector() }, minAvailable: Math.max(1, this.minReplicas - 1) },
    };
  }

  private addAutoscaling(autoscaling: VllmAutoscaling, name: string): void {
    const scaling = this.scalingObjects(autoscaling, name);
    this.objects.push(...scaling.objects.map(clone));
    const scaler = new eks.KubernetesManifest(this, 'Autoscaling', { cluster: this.cluster, manifest: scaling.objects });
    scaler.node.addDependency(this.workloadManifest);
    if (scaling.triggerAuthentication) scaler.node.addDependency(scaling.triggerAuthentication);
    if (autoscaling.keda) scaler.node.addDependency(autoscaling.keda.chart);
  }

  /** The Kubernetes objects this model applies (Deployment, Service, PodDisruptionBudget, the weights copy Job and its service account, ScaledObject), as rendered before CloudFormation resolves tokens. */
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
      metadata: { name, namespace: this.modelNamespace, labels: this.labels() },
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

/** The sizing, drain and replica settings of a model once validated. */
interface ResolvedSettings {
  readonly gpusPerReplica: number;
  readonly tensorParallelSize: number;
  readonly gpuMemoryUtilization: number;
  readonly startupSeconds: number;
  readonly shutdownSeconds: number;
  readonly preStopSeconds: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly maxModelLen?: number;
}

function clone<T>(o: T): T {
  return JSON.parse(JSON.stringify(o)) as T;
}


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
    manifest: [{
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        // The AWS Load Balancer Controller's webhook adds a readiness gate to the pods of Services
        // behind a TargetGroupBinding: a pod counts as ready for a rollout only once its target is
        // healthy in the load balancer.
        labels: { 'app.kubernetes.io/part-of': 'cdk-ai-gateway', 'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled' },
      },
    }],
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
