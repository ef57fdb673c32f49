import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import { CapacityMode } from '../eks/self-hosted-cluster';
import { GpuInstanceTypes } from '../gpu-instances';
import { GPU_NODE_ROLE, GPU_RESOURCE, GPU_TAINT, NODE_ROLE_LABEL } from '../scheduling';
import { karpenterDuration } from './durations';
import type { Karpenter } from './karpenter';

// Pinned AMI aliases. Karpenter resolves `<family>@<version>` to the EKS optimized AMI of that
// release for the cluster's Kubernetes version; `@latest` would roll every GPU node whenever AWS
// publishes an AMI, so the default is a pin that you bump deliberately (check that the release
// has AMIs for your cluster's Kubernetes version).
// - AL2023: awslabs/amazon-eks-ami release v20260818 (the upstream tag referenced by
//   awslabs/amazon-eks-ami PRs #2801 and #2815, September 2026); Karpenter picks the NVIDIA
//   variant (amazon-eks-node-al2023-x86_64-nvidia-*) for NVIDIA instance types.
// - Bottlerocket: v1.64.0, released 2026-08-05 (bottlerocket-os/bottlerocket tracking issue
//   #4895); Karpenter picks the aws-k8s-<version>-nvidia variant for NVIDIA instance types.
const DEFAULT_AL2023_ALIAS = 'al2023@v20260818';
const DEFAULT_BOTTLEROCKET_ALIAS = 'bottlerocket@v1.64.0';

/** The smallest root/data volume: the NVIDIA AMI, a vLLM image (~10 GB) and one small model's weights. */
const MIN_VOLUME_GIB = 50;
/** gp3's maximum volume size. */
const MAX_VOLUME_GIB = 16384;
const DEFAULT_VOLUME_GIB = 200;

// Tags Karpenter sets itself and refuses in EC2NodeClass spec.tags (Karpenter v1 EC2NodeClass
// CRD validation: kubernetes.io/cluster/*, karpenter.sh/nodepool, karpenter.sh/nodeclaim,
// karpenter.k8s.aws/ec2nodeclass, eks:eks-cluster-name).
const RESERVED_TAG_PATTERNS = [/^kubernetes\.io\/cluster\//, /^karpenter\.sh\/nodepool$/, /^karpenter\.sh\/nodeclaim$/, /^karpenter\.k8s\.aws\/ec2nodeclass$/, /^eks:eks-cluster-name$/];

/** The operating system of GPU nodes. */
export enum GpuAmiFamily {
  /**
   * The EKS optimized Amazon Linux 2023 NVIDIA AMI: driver and container toolkit included, the
   * NVIDIA device plugin must be installed (`NvidiaDevicePlugin`).
   */
  AL2023 = 'AL2023',
  /** Bottlerocket's NVIDIA variant: driver, toolkit and device plugin included. */
  BOTTLEROCKET = 'BOTTLEROCKET',
}

/** Capacity types a GPU pool may launch. */
export enum GpuCapacityType {
  /** Spot capacity: up to ~70 % cheaper, interrupted with two minutes' notice. */
  SPOT = 'spot',
  /** On-demand capacity. */
  ON_DEMAND = 'on-demand',
}

/** One NodePool disruption budget: how many nodes Karpenter may disrupt at once, and when. */
export interface GpuDisruptionBudget {
  /** A node count (`'1'`) or a percentage of the pool (`'10%'`); `'0'` blocks voluntary disruption. */
  readonly nodes: string;

  /**
   * When the budget is active, as a cron expression in UTC (`'0 8 * * mon-fri'`). Requires `duration`.
   * @default - always active
   */
  readonly schedule?: string;

  /**
   * How long the budget stays active after each `schedule` start (whole minutes).
   * @default - always active
   */
  readonly duration?: Duration;
}

/** Options of a GPU NodePool, shared by `Karpenter.addGpuNodePool` and `GpuNodePool`. */
export interface GpuNodePoolOptions {
  /**
   * The name of the NodePool (and of its EC2NodeClass): a DNS label.
   * @default - `gpu-<construct id in lower case>`
   */
  readonly name?: string;

  /**
   * GPU instance families the pool may launch (see `GpuInstanceTypes.families()`).
   * @default GpuInstanceTypes.DEFAULT_FAMILIES (g6, g6e, g5)
   */
  readonly instanceFamilies?: string[];

  /**
   * Instance sizes the pool may launch, e.g. `['xlarge', '2xlarge']`; each must exist in at least
   * one of `instanceFamilies`.
   * @default - every size of the selected families
   */
  readonly instanceSizes?: string[];

  /**
   * Capacity types. With both in one pool Karpenter prefers spot, so model servers would run on
   * interruptible capacity first; the default keeps them on on-demand and adds spot only as
   * overflow (`spotOverflow`).
   * @default [GpuCapacityType.ON_DEMAND]
   */
  readonly capacityTypes?: GpuCapacityType[];

  /**
   * With on-demand `capacityTypes` only, a second NodePool `<name>-spot` of weight 1 (same
   * requirements, its own `gpuLimit`) that Karpenter uses when the on-demand pool is at its limit
   * or has no capacity: spot is overflow, never the baseline.
   * @default true
   */
  readonly spotOverflow?: boolean;

  /**
   * How long Karpenter waits for a node's pods to leave before it terminates the node anyway
   * (NodePool `terminationGracePeriod`). It bounds how long the model servers'
   * `karpenter.sh/do-not-disrupt` annotation and PodDisruptionBudgets can hold an expired or
   * drifted node.
   * @default Duration.hours(1)
   */
  readonly terminationGracePeriod?: Duration;

  /**
   * The most GPUs (`nvidia.com/gpu`) the pool may run at once: the pool's cost ceiling.
   * @default 8
   */
  readonly gpuLimit?: number;

  /**
   * How long a node must be empty of workload pods before Karpenter removes it
   * (consolidation policy `WhenEmpty`: busy GPU nodes are never repacked).
   * @default Duration.minutes(10)
   */
  readonly consolidateAfter?: Duration;

  /**
   * The maximum lifetime of a node, after which Karpenter replaces it (patching cadence).
   * @default Duration.hours(720) (30 days)
   */
  readonly expireAfter?: Duration;

  /**
   * Disruption budgets. Add `{ nodes: '0', schedule: '0 8 * * mon-fri', duration: Duration.hours(10) }`
   * to freeze voluntary disruption during business hours.
   * @default [{ nodes: '10%' }]
   */
  readonly disruptionBudgets?: GpuDisruptionBudget[];

  /**
   * The node operating system (self-managed Karpenter only).
   * @default GpuAmiFamily.AL2023
   */
  readonly amiFamily?: GpuAmiFamily;

  /**
   * A pinned AMI alias, `al2023@vYYYYMMDD` or `bottlerocket@vX.Y.Z`, matching `amiFamily`
   * (self-managed Karpenter only). `@latest` is refused.
   * @default - `GpuNodePool.DEFAULT_AL2023_ALIAS` or `GpuNodePool.DEFAULT_BOTTLEROCKET_ALIAS`
   */
  readonly amiAlias?: string;

  /**
   * The encrypted gp3 volume for images and model weights (the root volume on AL2023, the data
   * volume on Bottlerocket), 50 GiB to 16 TiB (self-managed Karpenter only).
   * @default Size.gibibytes(200)
   */
  readonly volumeSize?: Size;

  /**
   * An EBS snapshot of a Bottlerocket data volume that already holds the vLLM image (and any other
   * image the GPU nodes run): the data volume (`/dev/xvdb`, where Bottlerocket's containerd keeps
   * its images) is created from it, so a new node starts the model server without pulling ~10 GB.
   * Build it with the `bottlerocket-images-cache` tool of aws-samples (it starts a Bottlerocket
   * instance, pulls the images you list, and snapshots its data volume), from the same image
   * reference the models use (`VllmModel.DEFAULT_IMAGE`, or the ECR pull-through cache's), and
   * rebuild it whenever that image changes: a snapshot without the image only means a normal pull.
   * The snapshot must be in the stack's Region and no larger than `volumeSize`. Requires
   * `GpuAmiFamily.BOTTLEROCKET` (AL2023 keeps images on its root volume); an alternative that
   * needs no snapshot is a SOCI index for lazy loading (see the self-hosted README).
   * Self-managed Karpenter only.
   * @default - no snapshot: images are pulled when a node starts
   */
  readonly imageSnapshotId?: string;

  /**
   * The pool's priority among NodePools (1-100, higher first); with a spot overflow pool (weight 1)
   * at least 2.
   * @default - 10 with a spot overflow pool, otherwise no weight
   */
  readonly weight?: number;

  /**
   * Tags for the EC2 instances, volumes and network interfaces (self-managed Karpenter only).
   * Karpenter's own tag keys (`kubernetes.io/cluster/*`, `karpenter.sh/nodepool`, ...) are refused.
   * @default - no extra tags
   */
  readonly tags?: { [key: string]: string };
}

/** Properties of a `GpuNodePool`. */
export interface GpuNodePoolProps extends GpuNodePoolOptions {
  /** The cluster the NodePool is applied to. */
  readonly cluster: eks.ICluster;

  /**
   * Who provisions the nodes.
   * @default CapacityMode.KARPENTER
   */
  readonly capacityMode?: CapacityMode;

  /**
   * The self-managed Karpenter installation (required with `CapacityMode.KARPENTER`): its
   * instance profile, subnets and security groups go into the EC2NodeClass, and the manifests
   * wait for its Helm chart (which installs the CRDs).
   * @default - none; required for CapacityMode.KARPENTER
   */
  readonly karpenter?: Karpenter;

  /**
   * The EKS Auto Mode `NodeClass` the pool uses (Auto Mode only).
   * @default 'default'
   */
  readonly autoModeNodeClassName?: string;
}

/** Properties of `GpuNodePool.forAutoMode`. */
export interface AutoModeGpuNodePoolProps extends GpuNodePoolOptions {
  /** An EKS Auto Mode cluster. */
  readonly cluster: eks.ICluster;

  /**
   * The EKS Auto Mode `NodeClass` the pool uses.
   * @default 'default'
   */
  readonly nodeClassName?: string;
}

interface ResolvedOptions {
  readonly name: string;
  readonly families: string[];
  readonly sizes?: string[];
  readonly capacityTypes: GpuCapacityType[];
  readonly gpuLimit: number;
  readonly consolidateAfter: string;
  readonly expireAfter: string;
  readonly budgets: Record<string, string>[];
  readonly weight?: number;
  readonly spotOverflow: boolean;
  readonly terminationGracePeriod: string;
}

/**
 * A Karpenter v1 GPU NodePool: NVIDIA instances of the chosen families and sizes, spot and/or
 * on-demand, labelled `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.GPU_NODE_ROLE` (`cdk-ai-gateway.io/node-role=gpu`) and tainted with `NodeScheduling.GPU_TAINT` so only GPU
 * workloads land on them, capped by a `nvidia.com/gpu` limit, emptied nodes removed after a delay,
 * nodes expired for patching, with disruption budgets.
 *
 * With self-managed Karpenter it also renders the `EC2NodeClass`: a pinned AMI alias, IMDSv2
 * required with a hop limit of 1, an encrypted gp3 volume sized for model weights, local NVMe as
 * RAID0, the Karpenter node instance profile and the cluster's subnets and security groups.
 * With EKS Auto Mode (`GpuNodePool.forAutoMode`) it points at an Auto Mode `NodeClass` instead.
 *
 * @example
 * declare const karpenter: Karpenter;
 * karpenter.addGpuNodePool('Inference', { instanceFamilies: ['g6e'], gpuLimit: 16 });
 */
export class GpuNodePool extends Construct {
  /** The AL2023 alias used when none is given. */
  public static readonly DEFAULT_AL2023_ALIAS: string = DEFAULT_AL2023_ALIAS;
  /** The Bottlerocket alias used when none is given. */
  public static readonly DEFAULT_BOTTLEROCKET_ALIAS: string = DEFAULT_BOTTLEROCKET_ALIAS;

  /**
   * A GPU NodePool for an EKS Auto Mode cluster: no EC2NodeClass, Auto Mode's `NodeClass`, the
   * `eks.amazonaws.com/*` instance labels. Auto Mode ships the NVIDIA driver and device plugin.
   */
  public static forAutoMode(scope: Construct, id: string, props: AutoModeGpuNodePoolProps): GpuNodePool {
    return new GpuNodePool(scope, id, { ...props, capacityMode: CapacityMode.AUTO_MODE, autoModeNodeClassName: props.nodeClassName });
  }

  /**
   * Whether GPU nodes of this AMI family need the `NvidiaDevicePlugin` DaemonSet: true for AL2023,
   * false for Bottlerocket NVIDIA (built in). EKS Auto Mode nodes never need it.
   */
  public static needsDevicePlugin(amiFamily: GpuAmiFamily): boolean {
    return amiFamily === GpuAmiFamily.AL2023;
  }

  /** The NodePool (and EC2NodeClass) name. */
  public readonly poolName: string;

  /** Who provisions the nodes. */
  public readonly capacityMode: CapacityMode;

  /** The AMI family (self-managed Karpenter); undefined in Auto Mode. */
  public readonly amiFamily?: GpuAmiFamily;

  /** The pinned AMI alias (self-managed Karpenter); undefined in Auto Mode. */
  public readonly amiAlias?: string;

  /** The spot overflow NodePool's name (with `spotOverflow`). */
  public readonly overflowPoolName?: string;

  /** The manifest that applies the NodePool (and the EC2NodeClass). */
  public readonly manifest: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: GpuNodePoolProps) {
    super(scope, id);
    this.capacityMode = props.capacityMode ?? CapacityMode.KARPENTER;
    const options = this.resolveOptions(id, props);
    this.poolName = options.name;

    const objects: Record<string, unknown>[] = [];
    let nodeClassRef: Record<string, string>;
    if (this.capacityMode === CapacityMode.KARPENTER) {
      if (!props.karpenter) {
        throw new AiGatewayValidationError('GpuNodePool: karpenter is required with capacityMode KARPENTER (or use GpuNodePool.forAutoMode for EKS Auto Mode).', this);
      }
      this.amiFamily = props.amiFamily ?? GpuAmiFamily.AL2023;
      this.amiAlias = this.checkAlias(this.amiFamily, props.amiAlias);
      objects.push(this.ec2NodeClass(props, props.karpenter, options));
      nodeClassRef = { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: options.name };
    } else {
      for (const [prop, value] of Object.entries({ amiFamily: props.amiFamily, amiAlias: props.amiAlias, volumeSize: props.volumeSize, imageSnapshotId: props.imageSnapshotId, tags: props.tags, karpenter: props.karpenter })) {
        if (value !== undefined) {
          throw new AiGatewayValidationError(`GpuNodePool: ${prop} applies to self-managed Karpenter only; EKS Auto Mode configures nodes through its NodeClass ('${prop}' was given).`, this);
        }
      }
      nodeClassRef = { group: 'eks.amazonaws.com', kind: 'NodeClass', name: props.autoModeNodeClassName ?? 'default' };
    }
    objects.push(this.nodePool(options, nodeClassRef));
    if (options.spotOverflow) {
      this.overflowPoolName = `${options.name.slice(0, 58)}-spot`;
      objects.push(this.nodePool({ ...options, name: this.overflowPoolName, capacityTypes: [GpuCapacityType.SPOT], weight: 1 }, nodeClassRef));
    }

    this.manifest = props.cluster.addManifest(`${id}GpuNodePool`, ...objects);
    if (props.karpenter && this.capacityMode === CapacityMode.KARPENTER) {
      // The chart installs the NodePool and EC2NodeClass CRDs.
      this.manifest.node.addDependency(props.karpenter.chart);
      if (GpuNodePool.needsDevicePlugin(this.amiFamily!)) props.karpenter.ensureDevicePlugin();
    }
  }

  private resolveOptions(id: string, props: GpuNodePoolOptions): ResolvedOptions {
    const name = props.name ?? `gpu-${id.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '')}`.slice(0, 63).replace(/-+$/, '');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      throw new AiGatewayValidationError(`GpuNodePool name must be a DNS label (lower-case letters, digits and '-', at most 63 characters); received '${name}'.`, this);
    }

    const families = props.instanceFamilies ?? [...GpuInstanceTypes.DEFAULT_FAMILIES];
    GpuInstanceTypes.checkFamilies('instanceFamilies', families, this);
    const catalogue = GpuInstanceTypes.ofFamilies(families);
    let sizes: string[] | undefined;
    if (props.instanceSizes !== undefined) {
      const known = [...new Set(catalogue.map((spec) => spec.size))];
      if (props.instanceSizes.length === 0) {
        throw new AiGatewayValidationError(`instanceSizes must name at least one size when given; sizes of ${families.join(', ')} are ${known.join(', ')}.`, this);
      }
      for (const size of props.instanceSizes) {
        if (!known.includes(size)) {
          throw new AiGatewayValidationError(`instanceSizes: unknown size '${size}' for instance families ${families.join(', ')}; allowed sizes are ${known.join(', ')}.`, this);
        }
      }
      sizes = [...props.instanceSizes];
    }

    const capacityTypes = props.capacityTypes ?? [GpuCapacityType.ON_DEMAND];
    const allowedCapacity = Object.values(GpuCapacityType) as string[];
    if (capacityTypes.length === 0 || new Set(capacityTypes).size !== capacityTypes.length || capacityTypes.some((c) => !allowedCapacity.includes(c))) {
      throw new AiGatewayValidationError(`capacityTypes must list one or both of ${allowedCapacity.join(', ')} without repeats; received [${capacityTypes.join(', ')}].`, this);
    }

    const gpuLimit = props.gpuLimit ?? 8;
    if (!Token.isUnresolved(gpuLimit) && (!Number.isInteger(gpuLimit) || gpuLimit < 1)) {
      throw new AiGatewayValidationError(`gpuLimit must be a whole number of GPUs, at least 1; received ${gpuLimit}.`, this);
    }
    const onDemandOnly = capacityTypes.length === 1 && capacityTypes[0] === GpuCapacityType.ON_DEMAND;
    if (props.spotOverflow === true && !onDemandOnly) {
      throw new AiGatewayValidationError(`spotOverflow needs capacityTypes [${GpuCapacityType.ON_DEMAND}] (spot is then the overflow pool); received [${capacityTypes.join(', ')}].`, this);
    }
    const spotOverflow = onDemandOnly && props.spotOverflow !== false;
    const weight = props.weight ?? (spotOverflow ? 10 : undefined);
    if (weight !== undefined && (!Number.isInteger(weight) || weight < (spotOverflow ? 2 : 1) || weight > 100)) {
      throw new AiGatewayValidationError(`weight must be a whole number from ${spotOverflow ? '2 (above the spot overflow pool\'s 1)' : '1'} to 100; received ${weight}.`, this);
    }
    const grace = props.terminationGracePeriod ?? Duration.hours(1);
    if (grace.toSeconds() < 600) {
      throw new AiGatewayValidationError(`terminationGracePeriod must be at least 10 minutes (model servers drain their requests and a replacement must load its model); received ${grace.toHumanString()}.`, this);
    }
    const terminationGracePeriod = karpenterDuration('terminationGracePeriod', grace, this);

    const consolidateAfter = karpenterDuration('consolidateAfter', props.consolidateAfter ?? Duration.minutes(10), this);
    const expireAfterDuration = props.expireAfter ?? Duration.hours(720);
    if (expireAfterDuration.toSeconds() < 3600) {
      throw new AiGatewayValidationError(`expireAfter must be at least 1 hour (a GPU node takes minutes to join and load a model); received ${expireAfterDuration.toHumanString()}.`, this);
    }
    const expireAfter = karpenterDuration('expireAfter', expireAfterDuration, this);

    const budgets = (props.disruptionBudgets ?? [{ nodes: '10%' }]).map((b, i) => this.budget(b, i));
    if (budgets.length === 0 || budgets.length > 50) {
      throw new AiGatewayValidationError(`disruptionBudgets must hold 1 to 50 budgets (Karpenter v1 limit); received ${budgets.length}.`, this);
    }
    return { name, families, sizes, capacityTypes, gpuLimit, consolidateAfter, expireAfter, budgets, weight, spotOverflow, terminationGracePeriod };
  }

  private budget(budget: GpuDisruptionBudget, index: number): Record<string, string> {
    const prop = `disruptionBudgets[${index}]`;
    // Karpenter v1 NodePool CRD: nodes matches ^((100|[0-9]{1,2})%|[0-9]+)$.
    if (!/^((100|[0-9]{1,2})%|[0-9]+)$/.test(budget.nodes)) {
      throw new AiGatewayValidationError(`${prop}.nodes must be a node count ('2') or a percentage from 0% to 100% ('10%'); received '${budget.nodes}'.`, this);
    }
    if ((budget.schedule === undefined) !== (budget.duration === undefined)) {
      throw new AiGatewayValidationError(`${prop}: schedule and duration must be given together (received schedule ${budget.schedule ?? 'none'}, duration ${budget.duration?.toHumanString() ?? 'none'}).`, this);
    }
    const rendered: Record<string, string> = { nodes: budget.nodes };
    if (budget.schedule !== undefined) {
      if (budget.schedule.trim().split(/\s+/).length !== 5 && !budget.schedule.startsWith('@')) {
        throw new AiGatewayValidationError(`${prop}.schedule must be a five-field cron expression ('0 8 * * mon-fri') or a macro ('@daily'); received '${budget.schedule}'.`, this);
      }
      rendered.schedule = budget.schedule;
      rendered.duration = karpenterDuration(`${prop}.duration`, budget.duration!, this, true);
    }
    return rendered;
  }

  private checkAlias(family: GpuAmiFamily, alias: string | undefined): string {
    if (alias === undefined) return family === GpuAmiFamily.AL2023 ? DEFAULT_AL2023_ALIAS : DEFAULT_BOTTLEROCKET_ALIAS;
    const pattern = family === GpuAmiFamily.AL2023 ? /^al2023@v\d{8}$/ : /^bottlerocket@v\d+\.\d+\.\d+$/;
    if (!pattern.test(alias)) {
      const allowed = family === GpuAmiFamily.AL2023 ? 'al2023@vYYYYMMDD' : 'bottlerocket@vX.Y.Z';
      throw new AiGatewayValidationError(`amiAlias must pin an AMI release of amiFamily ${family}, in the form '${allowed}' (not @latest); received '${alias}'.`, this);
    }
    return alias;
  }

  private volumeSizeGi(props: GpuNodePoolOptions): string {
    const size = props.volumeSize ?? Size.gibibytes(DEFAULT_VOLUME_GIB);
    let gib: number;
    try {
      gib = size.toGibibytes({ rounding: SizeRoundingBehavior.FAIL });
    } catch {
      throw new AiGatewayValidationError(`volumeSize must be a whole number of GiB; received ${size.toMebibytes({ rounding: SizeRoundingBehavior.NONE })} MiB.`, this);
    }
    if (gib < MIN_VOLUME_GIB || gib > MAX_VOLUME_GIB) {
      throw new AiGatewayValidationError(`volumeSize must be from ${MIN_VOLUME_GIB} GiB (AMI, vLLM image and model weights) to ${MAX_VOLUME_GIB} GiB (gp3 maximum); received ${gib} GiB.`, this);
    }
    return `${gib}Gi`;
  }

  /** The image snapshot, checked: an EBS snapshot id, on Bottlerocket only. */
  private imageSnapshot(snapshotId: string | undefined): string | undefined {
    if (snapshotId === undefined || Token.isUnresolved(snapshotId)) return snapshotId;
    if (!/^snap-([0-9a-f]{8}|[0-9a-f]{17})$/.test(snapshotId)) {
      throw new AiGatewayValidationError(`imageSnapshotId must be an EBS snapshot id ('snap-' and 8 or 17 hexadecimal digits); received '${snapshotId}'.`, this);
    }
    if (this.amiFamily !== GpuAmiFamily.BOTTLEROCKET) {
      throw new AiGatewayValidationError(`imageSnapshotId needs amiFamily ${GpuAmiFamily.BOTTLEROCKET} (its data volume holds the container images); received amiFamily ${this.amiFamily}. On AL2023 use a SOCI index for lazy image loading instead.`, this);
    }
    return snapshotId;
  }

  private ec2NodeClass(props: GpuNodePoolOptions, karpenter: Karpenter, options: ResolvedOptions): Record<string, unknown> {
    const volumeSize = this.volumeSizeGi(props);
    const tags = props.tags ?? {};
    for (const key of Object.keys(tags)) {
      if (RESERVED_TAG_PATTERNS.some((p) => p.test(key))) {
        throw new AiGatewayValidationError(`tags: '${key}' is a tag Karpenter sets itself; Karpenter refuses kubernetes.io/cluster/*, karpenter.sh/nodepool, karpenter.sh/nodeclaim, karpenter.k8s.aws/ec2nodeclass and eks:eks-cluster-name.`, this);
      }
    }
    const snapshotId = this.imageSnapshot(props.imageSnapshotId);
    const ebs = (volumeSizeGi: string, snapshotID?: string) => ({ volumeSize: volumeSizeGi, volumeType: 'gp3', encrypted: true, deleteOnTermination: true, ...(snapshotID ? { snapshotID } : {}) });
    // AL2023 keeps images and weights on the root volume; Bottlerocket has a small OS volume
    // (/dev/xvda) and puts containers on the data volume (/dev/xvdb), which a snapshot can preload.
    const blockDeviceMappings = this.amiFamily === GpuAmiFamily.BOTTLEROCKET
      ? [{ deviceName: '/dev/xvda', ebs: ebs('4Gi') }, { deviceName: '/dev/xvdb', ebs: ebs(volumeSize, snapshotId) }]
      : [{ deviceName: '/dev/xvda', rootVolume: true, ebs: ebs(volumeSize) }];
    const everyFamilyHasNvme = GpuInstanceTypes.ofFamilies(options.families).every((spec) => spec.localNvme);
    return {
      apiVersion: 'karpenter.k8s.aws/v1',
      kind: 'EC2NodeClass',
      metadata: { name: options.name },
      spec: {
        amiSelectorTerms: [{ alias: this.amiAlias }],
        instanceProfile: karpenter.instanceProfile.instanceProfileName,
        subnetSelectorTerms: karpenter.nodeSubnetIds.map((id) => ({ id })),
        securityGroupSelectorTerms: karpenter.nodeSecurityGroupIds.map((id) => ({ id })),
        blockDeviceMappings,
        ...(everyFamilyHasNvme ? { instanceStorePolicy: 'RAID0' } : {}),
        metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' },
        ...(Object.keys(tags).length > 0 ? { tags: { ...tags } } : {}),
      },
    };
  }

  private nodePool(options: ResolvedOptions, nodeClassRef: Record<string, string>): Record<string, unknown> {
    // Self-managed Karpenter labels instances with karpenter.k8s.aws/*, Auto Mode with eks.amazonaws.com/*.
    const prefix = this.capacityMode === CapacityMode.KARPENTER ? 'karpenter.k8s.aws' : 'eks.amazonaws.com';
    const requirements = [
      { key: `${prefix}/instance-family`, operator: 'In', values: options.families },
      ...(options.sizes ? [{ key: `${prefix}/instance-size`, operator: 'In', values: options.sizes }] : []),
      { key: `${prefix}/instance-gpu-manufacturer`, operator: 'In', values: ['nvidia'] },
      { key: 'karpenter.sh/capacity-type', operator: 'In', values: options.capacityTypes },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
    ];
    return {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: options.name },
      spec: {
        template: {
          metadata: { labels: { [NODE_ROLE_LABEL]: GPU_NODE_ROLE } },
          spec: {
            nodeClassRef,
            requirements,
            taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: GPU_TAINT.effect }],
            expireAfter: options.expireAfter,
            terminationGracePeriod: options.terminationGracePeriod,
          },
        },
        disruption: { consolidationPolicy: 'WhenEmpty', consolidateAfter: options.consolidateAfter, budgets: options.budgets },
        limits: { [GPU_RESOURCE]: String(options.gpuLimit) },
        ...(options.weight !== undefined ? { weight: options.weight } : {}),
      },
    };
  }
}
