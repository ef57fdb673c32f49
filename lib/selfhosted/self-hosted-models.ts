import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IDependable } from 'constructs';
import { LatencyClass, TimeoutPolicy } from '../../lambda/shared/config';
import { GatewayCompliance } from '../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../private/errors';
import { CapacityMode, SelfHostedCluster, SelfHostedClusterProps } from './eks/self-hosted-cluster';
import { AwsLoadBalancerController } from './endpoint/load-balancer-controller';
import { PrivateModelEndpoint } from './endpoint/private-model-endpoint';
import { GpuInstanceTypes } from './gpu-instances';
import { GpuNodePool, GpuNodePoolOptions } from './karpenter/gpu-node-pool';
import { Karpenter } from './karpenter/karpenter';
import { ISelfHostedTarget } from './self-hosted-target';
import { SelfHostedSupportMatrix } from './support-matrix';
import { Keda } from './vllm/keda';
import { GpuObservability } from './vllm/gpu-observability';
import { IPrometheusSource, ManagedPrometheus, PrometheusSource } from './vllm/prometheus-source';
import { VllmModel, VllmModelOptions } from './vllm/vllm-model';

/** One self-hosted model: how vLLM serves it, and how the gateway routes to it and prices it. */
export interface SelfHostedModelOptions extends VllmModelOptions {
  /**
   * The output tokens per second one replica generates across its concurrent requests — measured
   * with your prompts, or an assumption. With the GPU instance's hourly price it sets the price
   * per 1K tokens the gateway charges tenants (`SelfHostedPrice.fromGpuHour`).
   */
  readonly tokensPerSecond: number;

  /**
   * The hourly cost of one GPU instance in USD (reserved or savings-plan rates, other Regions).
   * @default - the approximate us-east-1 on-demand price of `instanceType` (`GpuInstanceTypes`)
   */
  readonly hourlyUsd?: number;

  /**
   * The router target id routes name in `targets`.
   * @default - `name`
   */
  readonly targetId?: string;

  /**
   * The model may serve restricted data (the gateway sends restricted requests only to targets
   * cleared for them). Needs `tls`: a target cleared for restricted data is reached only over TLS.
   * @default false
   */
  readonly restrictedAllowed?: boolean;

  /**
   * The latency classes this model serves; requests of other classes skip it.
   * @default - all
   */
  readonly latencyClasses?: LatencyClass[];

  /**
   * The measured share of paid GPU time that serves tokens, in percent (1 to 100): a week of
   * `avg_over_time(cdk_ai_gateway:model_utilization_ratio[7d]) × 100` from `GpuObservability`.
   * The price per token divides by it, so idle GPU hours are charged to the tokens served.
   * @default 100 (every paid GPU second is assumed to serve)
   */
  readonly utilizationPercent?: number;

  /**
   * The router's time limits for this model; each field given replaces the endpoint's default.
   * @default - `PrivateModelEndpoint`'s defaults (2 s to connect, 30 s to the first token, 120 s in all)
   */
  readonly timeouts?: TimeoutPolicy;
}

/**
 * TLS from the router to the models: each model's internal load balancer gets a TLS listener on
 * 443 with a certificate for `<target id>.<domainName>`, and its target's base URL is
 * `https://<target id>.<domainName>/v1`.
 */
export interface SelfHostedTlsOptions {
  /**
   * The parent domain of the models' names (lower case, e.g. `models.internal.example.com`); the
   * certificate must cover `*.<domainName>`.
   */
  readonly domainName: string;

  /**
   * A certificate you bring (ACM, public or private) that covers `*.<domainName>`. Exclusive with
   * `certificateAuthority`.
   * @default - one issued by `certificateAuthority`
   */
  readonly certificate?: acm.ICertificate;

  /**
   * An AWS Private CA to issue a private certificate for `*.<domainName>` (ACM `PrivateCertificate`).
   * The router must trust the CA: give its Lambda the CA bundle in `NODE_EXTRA_CA_CERTS`.
   * @default - `certificate` is required
   */
  readonly certificateAuthority?: acmpca.ICertificateAuthority;

  /**
   * A private hosted zone of the VPC in which each model's name gets an alias record to its load balancer.
   * @default - no records: point the names at the load balancers yourself
   */
  readonly privateHostedZone?: route53.IPrivateHostedZone;
}

/**
 * An Amazon ECR pull-through cache for the vLLM image (Docker Hub): nodes pull
 * `<account>.dkr.ecr.<region>.amazonaws.com/<repositoryPrefix>/vllm/vllm-openai:<tag>` from ECR in
 * the Region instead of Docker Hub (anonymous pulls are limited per IP; a vLLM image is ~10 GB).
 */
export interface ImageCacheOptions {
  /**
   * The Docker Hub credentials ECR pulls with: a Secrets Manager secret in this account and Region
   * whose name begins with `ecr-pullthroughcache/`, holding `{"username": …, "accessToken": …}`.
   */
  readonly dockerHubCredentials: secretsmanager.ISecret;

  /**
   * The ECR repository prefix of the cached images.
   * @default 'docker-hub'
   */
  readonly repositoryPrefix?: string;
}

/** Properties of {@link SelfHostedModels}. */
export interface SelfHostedModelsProps {
  /** The models, each its own vLLM Deployment, private endpoint and route target. */
  readonly models: SelfHostedModelOptions[];

  /**
   * The cluster this construct creates (VPC, capacity mode, node groups, kubectl layer).
   * @default - `SelfHostedCluster` defaults: a new VPC, private endpoint, self-managed Karpenter
   */
  readonly clusterProps?: SelfHostedClusterProps;

  /**
   * An existing cluster to deploy into instead of creating one. It needs a kubectl provider, the
   * `eks-pod-identity-agent` add-on, system nodes labelled `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.SYSTEM_NODE_ROLE` (`cdk-ai-gateway.io/node-role=system`),
   * and `vpc`. Exclusive with `clusterProps`.
   * @default - a new `SelfHostedCluster`
   */
  readonly existingCluster?: eks.ICluster;

  /**
   * Who provides the capacity of `existingCluster` (a created cluster takes it from `clusterProps`).
   * @default CapacityMode.KARPENTER
   */
  readonly existingClusterCapacityMode?: CapacityMode;

  /**
   * The VPC of `existingCluster`.
   * @default - the VPC of the created cluster
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The GPU NodePool Karpenter (or EKS Auto Mode) launches model nodes from.
   * @default - `GpuNodePool` defaults: g6, g6e and g5, spot and on-demand, AL2023 NVIDIA
   */
  readonly gpuNodePool?: GpuNodePoolOptions;

  /**
   * Autoscale each model with KEDA on vLLM's queue and KV-cache metrics.
   * @default true
   */
  readonly autoscaling?: boolean;

  /**
   * Where KEDA reads the vLLM metrics.
   * @default - Amazon Managed Service for Prometheus with a managed scraper (`PrometheusSource.managed`)
   */
  readonly metrics?: IPrometheusSource;

  /**
   * Deletion protection on the models' internal load balancers.
   * @default true
   */
  readonly loadBalancerDeletionProtection?: boolean;

  /**
   * GPU observability (`GpuObservability`): the DCGM exporter, capacity-waste recording rules,
   * alerting rules on saturation, restarts and GPU faults, and a Grafana dashboard. Needs the
   * managed Prometheus workspace (the default `metrics`).
   * @default true with the default `metrics`
   */
  readonly observability?: boolean;

  /**
   * Where the workspace's alert manager sends firing alerts (see `GpuObservability.alarmTopic`).
   * @default - alerts stay in the workspace
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Pull the vLLM image through an ECR pull-through cache of Docker Hub (self-managed Karpenter
   * mode). Models with their own `image` keep it.
   * @default - the image comes from Docker Hub directly
   */
  readonly imageCache?: ImageCacheOptions;

  /**
   * TLS between the router and the models (required by models with `restrictedAllowed`).
   * @default - plain HTTP inside the VPC on port 80
   */
  readonly tls?: SelfHostedTlsOptions;
}

/**
 * The self-hosted route, composed: an EKS cluster (or yours), GPU capacity from Karpenter (or EKS
 * Auto Mode), vLLM models autoscaled by KEDA, each behind an internal Network Load Balancer that
 * admits only the gateway's router. `targets` goes to `AiGateway`'s `selfHostedTargets`.
 *
 * @example
 * const selfHosted = new SelfHostedModels(this, 'SelfHosted', {
 *   models: [{ name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge',
 *     weights: ModelWeights.fromHuggingFace({ tokenSecret }), tokensPerSecond: 400 }],
 * });
 * new AiGateway(this, 'Gateway', { ..., vpc: selfHosted.vpc, selfHostedTargets: selfHosted.targets,
 *   routes: [{ alias: 'chat', targets: ['llama-8b'], model: ModelSource.foundationModel('amazon.nova-lite-v1:0') }] });
 */
export class SelfHostedModels extends Construct {
  /** The cluster the models run on. */
  public readonly cluster: eks.ICluster;
  /** The cluster this construct created (none with `existingCluster`). */
  public readonly selfHostedCluster?: SelfHostedCluster;
  /** The VPC of the cluster and the endpoints. */
  public readonly vpc: ec2.IVpc;
  /** Who provides the capacity. */
  public readonly capacityMode: CapacityMode;
  /** Self-managed Karpenter (`CapacityMode.KARPENTER` only). */
  public readonly karpenter?: Karpenter;
  /** The GPU NodePool the models' nodes come from. */
  public readonly gpuNodePool: GpuNodePool;
  /** The load balancer controller that binds the endpoints' target groups to the models' pods. */
  public readonly loadBalancerController: AwsLoadBalancerController;
  /** KEDA (with `autoscaling`). */
  public readonly keda?: Keda;
  /** The metrics source of the autoscaling (with `autoscaling`). */
  public readonly metrics?: IPrometheusSource;
  /** The models, in the order of `models`. */
  public readonly models: VllmModel[];
  /** The models' private endpoints, in the order of `models`. */
  public readonly endpoints: PrivateModelEndpoint[];
  /** The route targets for `AiGateway`'s `selfHostedTargets`, in the order of `models`. */
  public readonly targets: ISelfHostedTarget[];
  /** The ECR pull-through cache rule (with `imageCache`). */
  public readonly pullThroughCacheRule?: ecr.CfnPullThroughCacheRule;
  /** GPU observability (with `observability`). */
  public readonly observability?: GpuObservability;
  /** The certificate of the models' TLS listeners (with `tls`). */
  public readonly certificate?: acm.ICertificate;

  constructor(scope: Construct, id: string, props: SelfHostedModelsProps) {
    super(scope, id);
    validateProps(this, props);

    if (props.existingCluster) {
      this.cluster = props.existingCluster;
      this.vpc = props.vpc!;
      this.capacityMode = props.existingClusterCapacityMode ?? CapacityMode.KARPENTER;
    } else {
      this.selfHostedCluster = new SelfHostedCluster(this, 'Cluster', props.clusterProps);
      this.cluster = this.selfHostedCluster.cluster;
      this.vpc = this.selfHostedCluster.vpc;
      this.capacityMode = this.selfHostedCluster.capacityMode;
    }

    // Cluster services are installed by Helm with wait: on a new cluster their pods need the system
    // nodes and CoreDNS first, or the first deployment times out.
    const systemReady = systemReadinessOf(this.selfHostedCluster);

    if (this.capacityMode === CapacityMode.KARPENTER) {
      const karpenter = this.karpenter = new Karpenter(this, 'Karpenter', { cluster: this.cluster });
      karpenter.chart.node.addDependency(...systemReady);
      this.gpuNodePool = karpenter.addGpuNodePool('GpuNodePool', props.gpuNodePool);
      // The managed GPU node group needs the device plugin too when it runs AL2023, whatever the pool's AMI.
      const group = props.clusterProps?.gpuNodeGroup;
      if (group && (group.amiType ?? eks.NodegroupAmiType.AL2023_X86_64_NVIDIA) === eks.NodegroupAmiType.AL2023_X86_64_NVIDIA) {
        karpenter.ensureDevicePlugin();
      }
    } else {
      this.gpuNodePool = GpuNodePool.forAutoMode(this, 'GpuNodePool', { ...props.gpuNodePool, cluster: this.cluster });
    }

    // EKS Auto Mode's own load balancing serves eks.amazonaws.com TargetGroupBindings; the AWS
    // documentation supports running the controller beside it, which keeps one binding API for both modes.
    this.loadBalancerController = new AwsLoadBalancerController(this, 'LoadBalancerController', {
      cluster: this.cluster, vpc: this.vpc, capacityMode: this.capacityMode,
    });
    this.loadBalancerController.chart.node.addDependency(...systemReady);

    if (props.autoscaling ?? true) {
      this.keda = new Keda(this, 'Keda', { cluster: this.cluster, capacityMode: this.capacityMode });
      this.keda.chart.node.addDependency(...systemReady);
      this.metrics = props.metrics ?? PrometheusSource.managed(this, 'Metrics', { cluster: this.cluster, keda: this.keda });
    }

    this.warnUnsupportedKubernetes();
    if (props.tls) {
      this.certificate = props.tls.certificate ?? new acm.PrivateCertificate(this, 'Certificate', {
        domainName: `*.${props.tls.domainName}`,
        certificateAuthority: props.tls.certificateAuthority!,
      });
    }

    this.models = [];
    this.endpoints = [];
    this.targets = [];
    let cachedImage: string | undefined;
    if (props.imageCache) {
      const cache = this.addImageCache(props.imageCache);
      this.pullThroughCacheRule = cache.rule;
      cachedImage = cache.image;
    }

    props.models.forEach((options, i) => {
      // vLLM drains for as long as the router may still wait for an answer (the target's total deadline).
      const totalMs = options.timeouts?.totalMs ?? PrivateModelEndpoint.DEFAULT_TIMEOUTS.totalMs ?? 120_000;
      const shutdownTimeout = options.shutdownTimeout ?? Duration.seconds(Math.ceil(totalMs / 1000));
      const model = new VllmModel(this, `Model${i}`, {
        ...options,
        image: options.image ?? cachedImage,
        shutdownTimeout,
        cluster: this.cluster,
        capacityMode: this.capacityMode,
        autoscaling: this.metrics ? { prometheus: this.metrics, keda: this.keda } : undefined,
      });
      // Models are scheduled on the pool's nodes: apply them once the pool exists.
      model.node.addDependency(this.gpuNodePool.manifest);
      const endpoint = new PrivateModelEndpoint(this, `Endpoint${i}`, {
        cluster: this.cluster,
        vpc: this.vpc,
        serviceName: model.serviceName,
        serviceNamespace: model.modelNamespace,
        servicePort: model.port,
        targetPort: model.port,
        deletionProtection: props.loadBalancerDeletionProtection,
        loadBalancerController: this.loadBalancerController,
        // A draining pod keeps its connections until its streams end.
        deregistrationDelay: Duration.seconds(Math.min(3600, Math.max(120, model.drainTime.toSeconds()))),
        ...(props.tls ? {
          certificate: this.certificate,
          domainName: `${options.targetId ?? options.name}.${props.tls.domainName}`,
          privateHostedZone: props.tls.privateHostedZone,
        } : {}),
      });
      // Service → TargetGroupBinding → Deployment: the controller injects its pod readiness gate
      // only into pods created once a binding for their Service exists, so a rollout never
      // leaves the target group with only initial or draining targets.
      endpoint.targetGroupBinding.node.addDependency(model.serviceManifest);
      model.workloadManifest.node.addDependency(endpoint.targetGroupBinding);
      const price = PrivateModelEndpoint.gpuPrice({
        instanceType: options.instanceType,
        tokensPerSecond: options.tokensPerSecond,
        hourlyUsd: options.hourlyUsd,
        replicasPerInstance: Math.floor(model.instance.gpuCount / model.gpusPerReplica),
        utilizationPercent: options.utilizationPercent,
      });
      this.models.push(model);
      this.endpoints.push(endpoint);
      this.targets.push(endpoint.selfHostedTarget({
        id: options.targetId ?? options.name,
        servedModelName: model.servedModelName,
        price,
        restrictedAllowed: options.restrictedAllowed,
        latencyClasses: options.latencyClasses,
        timeouts: options.timeouts,
        description: `vLLM ${options.modelId ?? options.name} on ${options.instanceType} (self-hosted, private endpoint)`,
        // vLLM answers tool requests only with a tool call parser: without one, routing skips the model for them.
        ...(model.toolCallParser ? { capabilities: { tools: true } } : {}),
      }));
    });

    if (props.observability ?? true) {
      if (!(this.metrics instanceof ManagedPrometheus)) {
        if (props.observability === true) {
          throw new AiGatewayValidationError('observability needs the managed Prometheus workspace: leave metrics unset (and autoscaling on), or set observability: false.', this);
        }
      } else {
        this.observability = new GpuObservability(this, 'Observability', {
          cluster: this.cluster,
          metrics: this.metrics,
          alarmTopic: props.alarmTopic,
          models: props.models.map((options, i) => {
            const model = this.models[i];
            // The instance's hour shared by the replicas it holds: the same split as the price (gpuPrice above).
            const replicasPerInstance = Math.floor(model.instance.gpuCount / model.gpusPerReplica);
            return {
              servedModelName: model.servedModelName,
              gpusPerReplica: model.gpusPerReplica,
              replicaHourlyUsd: (options.hourlyUsd ?? model.instance.onDemandUsdPerHour) / replicasPerInstance,
              pricedTokensPerSecond: options.tokensPerSecond,
            };
          }),
        });
      }
    }
  }

  /**
   * The pull-through cache rule, and the node roles' right to import upstream images into
   * repositories under its prefix. Returns the cached vLLM image.
   */
  private addImageCache(options: ImageCacheOptions): { rule: ecr.CfnPullThroughCacheRule; image: string } {
    const prefix = options.repositoryPrefix ?? 'docker-hub';
    const stack = Stack.of(this);
    const rule = new ecr.CfnPullThroughCacheRule(this, 'ImageCache', {
      ecrRepositoryPrefix: prefix,
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      credentialArn: options.dockerHubCredentials.secretArn,
    });
    const repositories = `arn:${stack.partition}:ecr:${stack.region}:${stack.account}:repository/${prefix}/*`;
    const policy = new iam.ManagedPolicy(this, 'ImageCachePolicy', {
      description: `GPU and system nodes: pull images through the ECR pull-through cache ${prefix}/ (import on first pull)`,
      statements: [new iam.PolicyStatement({ actions: ['ecr:BatchImportUpstreamImage', 'ecr:CreateRepository'], resources: [repositories] })],
      roles: [this.karpenter!.nodeRole, ...(this.selfHostedCluster?.nodeRole ? [this.selfHostedCluster.nodeRole] : [])],
    });
    // cdk-nag names a finding by the flattened ARN: intrinsics become <AWS::Region>, literals stay.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    GatewayCompliance.acknowledge(policy, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:${region}:${account}:repository/${prefix}/*]`,
      `The pull-through cache creates one repository per upstream image under ${prefix}/ on its first pull, so their names are not known `
      + 'in advance; the nodes may only import upstream images into, and create, repositories under that prefix in this account and Region.');
    return { rule, image: `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${prefix}/${VllmModel.DEFAULT_IMAGE}` };
  }

  /** A synth warning when the created cluster's Kubernetes version is outside the support matrix of what is installed on it. */
  private warnUnsupportedKubernetes(): void {
    const version = this.selfHostedCluster?.kubernetesVersion.version;
    if (version === undefined) return;
    const installed = installedComponents(this);
    const unsupported = SelfHostedSupportMatrix.unsupportedOn(version).filter((c) => installed.includes(c.component));
    if (unsupported.length === 0) return;
    Annotations.of(this).addWarningV2('cdk-ai-gateway:selfhosted-unsupported-kubernetes',
      `Kubernetes ${version} is outside the documented range of ${unsupported.map((c) => `${c.component} ${c.version} (${c.kubernetesMin}–${c.kubernetesMax ?? 'any'})`).join(', ')}: `
      + 'pin versions that support it (the props of Karpenter, Keda, AwsLoadBalancerController) or choose another clusterProps.version. See the support matrix in lib/selfhosted/README.md.');
  }
}

/** The components of the support matrix a `SelfHostedModels` installs. */
function installedComponents(models: SelfHostedModels): string[] {
  return [
    ...(models.karpenter ? ['Karpenter'] : []),
    ...(models.karpenter?.devicePlugin ? ['NVIDIA device plugin'] : []),
    ...(models.keda ? ['KEDA'] : []),
    'AWS Load Balancer Controller',
  ];
}

/** What a chart's pods need before Helm can see them ready (nothing known of an existing cluster or in Auto Mode). */
function systemReadinessOf(cluster: SelfHostedCluster | undefined): IDependable[] {
  if (!cluster?.systemNodeGroup) return [];
  const coreDns = cluster.addons.coredns;
  return coreDns ? [cluster.systemNodeGroup, coreDns] : [cluster.systemNodeGroup];
}

function validateProps(scope: Construct, props: SelfHostedModelsProps): void {
  const fail = (message: string) => { throw new AiGatewayValidationError(message, scope); };
  if (props.models.length === 0) fail('models must name at least one model.');
  if (props.existingCluster) {
    if (props.clusterProps) fail('existingCluster and clusterProps are exclusive: clusterProps configures the cluster this construct creates.');
    if (!props.vpc) fail('existingCluster needs vpc, the VPC of the cluster, for the models\' load balancers.');
  } else {
    if (props.vpc) fail('vpc applies only with existingCluster; give a new cluster its VPC in clusterProps.vpc.');
    if (props.existingClusterCapacityMode) fail('existingClusterCapacityMode applies only with existingCluster; give a new cluster its mode in clusterProps.capacityMode.');
  }
  if (props.metrics && props.autoscaling === false) fail('metrics is set, but autoscaling is false.');
  if (props.alarmTopic && props.observability === false) fail('alarmTopic is set, but observability is false: alerts come from the observability rules.');
  for (const m of props.models) {
    if (m.utilizationPercent !== undefined && !(m.utilizationPercent >= 1 && m.utilizationPercent <= 100)) {
      fail(`models['${m.name}'].utilizationPercent must be from 1 to 100 (the measured share of paid GPU time that serves tokens); received ${m.utilizationPercent}.`);
    }
  }
  if (props.imageCache) {
    const capacityMode = props.existingCluster ? props.existingClusterCapacityMode : props.clusterProps?.capacityMode;
    if (capacityMode === CapacityMode.AUTO_MODE) {
      fail('imageCache applies to self-managed Karpenter: EKS Auto Mode nodes use a node role this construct does not manage; create the pull-through cache yourself and give each model its image.');
    }
    const prefix = props.imageCache.repositoryPrefix ?? 'docker-hub';
    if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(prefix) || prefix.length < 2 || prefix.length > 30) {
      fail(`imageCache.repositoryPrefix must be 2 to 30 lower-case letters, digits, '.', '_' or '-' (an ECR repository prefix); received '${prefix}'.`);
    }
  }
  if (props.tls) {
    const { certificate, certificateAuthority, domainName } = props.tls;
    if ((certificate === undefined) === (certificateAuthority === undefined)) {
      fail('tls needs exactly one of certificate (yours, covering *.<domainName>) and certificateAuthority (an AWS Private CA to issue one).');
    }
    if (!Token.isUnresolved(domainName) && !/^(?=.{1,240}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName)) {
      fail(`tls.domainName must be a lower-case DNS name such as models.internal.example.com (each model is <target id>.<domainName>); received '${domainName}'.`);
    }
  }
  for (const m of props.models) {
    if (m.restrictedAllowed && !props.tls) {
      fail(`models['${m.name}'].restrictedAllowed needs tls: a target cleared for restricted data is reached only over TLS. Set tls (a certificate or a private CA for a domain of the VPC), or leave restrictedAllowed unset.`);
    }
  }
  const seen = new Set<string>();
  for (const m of props.models) {
    const id = m.targetId ?? m.name;
    if (seen.has(id)) fail(`models: target id '${id}' appears twice; give each model its own name or targetId.`);
    seen.add(id);
  }
  // A model's pods select its instance type: the GPU pool must be able to launch it.
  const families = props.gpuNodePool?.instanceFamilies ?? GpuInstanceTypes.DEFAULT_FAMILIES;
  const sizes = props.gpuNodePool?.instanceSizes;
  for (const m of props.models) {
    const spec = GpuInstanceTypes.of(m.instanceType, scope);
    if (!families.includes(spec.family) || (sizes && !sizes.includes(spec.size))) {
      fail(`models['${m.name}'].instanceType '${m.instanceType}' is not one the GPU pool launches (gpuNodePool.instanceFamilies `
        + `${families.join(', ')}${sizes ? `; instanceSizes ${sizes.join(', ')}` : ''}): add it to gpuNodePool, or pick one of those.`);
    }
  }
  const names = props.models.map((m) => `${m.modelNamespace ?? 'models'}/${m.name}`);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) fail(`models: '${dup}' appears twice; each model needs its own name in its namespace.`);
}
