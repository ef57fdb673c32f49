import { CfnResource, Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AiGatewayValidationError } from '../../private/errors';
import { GatewayVpc } from '../../network/gateway-vpc';
import { encryptedLogGroup, newKey } from '../../private/kms';
import { ManagedPolicyRole } from '../../private/managed-policy-role';
import { OptionalPeer, requireOptionalPeer } from '../../private/optional-peer';
import { GpuInstanceTypes } from '../gpu-instances';
import { GPU_NODE_ROLE, GPU_TAINT, NODE_ROLE_LABEL, SYSTEM_NODE_ROLE } from '../scheduling';
import { acknowledgeClusterFindings } from './cluster-compliance';

/** Every control-plane log type EKS offers; the default, and what `AiGateway-EksControlPlaneLogging` requires. */
const ALL_LOG_TYPES: eks.ClusterLoggingTypes[] = [
  eks.ClusterLoggingTypes.API,
  eks.ClusterLoggingTypes.AUDIT,
  eks.ClusterLoggingTypes.AUTHENTICATOR,
  eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
  eks.ClusterLoggingTypes.SCHEDULER,
];

// System node defaults: m7i.large (2 vCPU, 8 GiB, current-generation Intel) fits Karpenter's two
// controller replicas (1 vCPU / 1 GiB requests each in its chart), KEDA, CoreDNS and the load
// balancer controller with room for a rolling update.
const DEFAULT_SYSTEM_INSTANCE_TYPE = 'm7i.large';
const DEFAULT_SYSTEM_DISK_GIB = 50;
// A vLLM image is about 10 GB and an 8B model's weights 16 GB; 200 GiB leaves room for a second
// image version during a rollout and for a larger model.
const DEFAULT_GPU_DISK_GIB = 200;
// Bottlerocket's OS volume (/dev/xvda) is separate from its data volume (/dev/xvdb), which holds
// images and pod storage; 4 GiB is the OS volume size Karpenter's Bottlerocket defaults use.
const BOTTLEROCKET_OS_DISK_GIB = 4;

const GPU_AMI_TYPES: eks.NodegroupAmiType[] = [eks.NodegroupAmiType.AL2023_X86_64_NVIDIA, eks.NodegroupAmiType.BOTTLEROCKET_X86_64_NVIDIA];

/**
 * Who provides the cluster's capacity.
 */
export enum CapacityMode {
  /**
   * A small managed node group for cluster services (system nodes) plus self-managed Karpenter,
   * installed by another construct, for GPU capacity; an optional always-on GPU managed node group.
   *
   * You choose the AMI (AL2023 NVIDIA or Bottlerocket NVIDIA), pin Karpenter and its NodePools,
   * and run the NVIDIA device plugin where the AMI needs it. You also upgrade Karpenter and the
   * add-ons yourself.
   */
  KARPENTER = 'KARPENTER',
  /**
   * EKS Auto Mode: EKS runs a managed Karpenter, the VPC CNI, kube-proxy, CoreDNS, the Pod
   * Identity agent, the EBS CSI driver and the load balancer controller off-cluster, with its
   * built-in node pools `system` and `general-purpose`, Bottlerocket nodes with NVIDIA drivers
   * and device plugin built in, and node replacement at least every 21 days.
   *
   * Trade-offs: a per-instance management fee on top of EC2; no custom AMI and no node group of
   * this construct (GPU capacity comes from a NodePool you add, using Auto Mode's NodeClass);
   * Auto Mode picks component versions and replaces nodes on its own schedule, so long model
   * loads must tolerate disruption (PodDisruptionBudgets, node pool disruption budgets).
   */
  AUTO_MODE = 'AUTO_MODE',
}

/** The managed node group that runs cluster services: Karpenter, KEDA, controllers, CoreDNS. */
export interface SystemNodeGroupOptions {
  /**
   * Instance types (x86_64; the node group uses the AL2023 standard AMI).
   * @default - `m7i.large`
   */
  readonly instanceTypes?: ec2.InstanceType[];
  /**
   * Minimum number of nodes.
   * @default 2
   */
  readonly minSize?: number;
  /**
   * Desired number of nodes.
   * @default 2
   */
  readonly desiredSize?: number;
  /**
   * Maximum number of nodes.
   * @default 3
   */
  readonly maxSize?: number;
  /**
   * Size of the encrypted gp3 root volume in GiB.
   * @default 50
   */
  readonly diskSize?: number;
  /**
   * Hop limit of IMDSv2 responses. With 1, pods that are not on the host network cannot reach
   * the instance metadata service, so none can read the node role's credentials (Control Tower
   * CT.EC2.PR.2). Controllers that would discover their Region or VPC there must get them from
   * their settings instead (Karpenter: the `AWS_REGION` environment variable; the AWS Load Balancer
   * Controller: `region` and `vpcId`). 2 lets them use IMDS, and leaves CT.EC2.PR.2 open.
   * @default 1
   */
  readonly httpPutResponseHopLimit?: number;
}

/**
 * An always-on managed node group of GPU nodes, the baseline capacity for vLLM that Karpenter
 * adds to. Its nodes carry `NodeScheduling.GPU_TAINT` and the label `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.GPU_NODE_ROLE` (`cdk-ai-gateway.io/node-role=gpu`), like the
 * Karpenter GPU pool, and require IMDSv2 with a hop limit of 1.
 */
export interface GpuNodeGroupOptions {
  /** GPU instance types, e.g. `['g6.xlarge']`; each must be known to `GpuInstanceTypes`. */
  readonly instanceTypes: string[];
  /**
   * Minimum number of nodes.
   * @default 1
   */
  readonly minSize?: number;
  /**
   * Desired number of nodes.
   * @default 1
   */
  readonly desiredSize?: number;
  /**
   * Maximum number of nodes.
   * @default 1
   */
  readonly maxSize?: number;
  /**
   * `AL2023_X86_64_NVIDIA` (needs the NVIDIA device plugin DaemonSet) or
   * `BOTTLEROCKET_X86_64_NVIDIA` (device plugin built in).
   * @default eks.NodegroupAmiType.AL2023_X86_64_NVIDIA
   */
  readonly amiType?: eks.NodegroupAmiType;
  /**
   * Size in GiB of the encrypted gp3 volume that holds container images and model weights (the
   * root volume on AL2023, the data volume on Bottlerocket).
   * @default 200
   */
  readonly diskSize?: number;
  /**
   * On-demand or spot.
   * @default eks.CapacityType.ON_DEMAND
   */
  readonly capacityType?: eks.CapacityType;
}

/** Properties of {@link SelfHostedCluster}. */
export interface SelfHostedClusterProps {
  /**
   * The cluster's name. Known at synth, it lets Karpenter's controller policy name the cluster in
   * its tag conditions directly (no deploy-time JSON resolution).
   * @default - a name unique to this construct's path in the app, such as `AiGatewaySelfHostedClusterA1B2C3D4`
   */
  readonly clusterName?: string;

  /**
   * The VPC. It needs private subnets with egress (nodes pull images) and DNS support and
   * hostnames enabled (private endpoint).
   * @default - a new VPC over 2 Availability Zones: public subnets for NAT gateways only (no public
   * IP on launch), private subnets with egress through a NAT gateway per zone, and flow logs of all
   * traffic to a KMS-encrypted log group kept for one year
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Where EKS places the control plane's network interfaces.
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection[];
  /**
   * The Kubernetes version. With the default kubectl layer (kubectl 1.36) use 1.35, 1.36 or 1.37.
   * @default SelfHostedCluster.DEFAULT_KUBERNETES_VERSION (1.35)
   */
  readonly version?: eks.KubernetesVersion;
  /**
   * Access to the Kubernetes API endpoint.
   *
   * Risk of a public endpoint: the API server is reachable from the internet (from every
   * address unless you restrict it with `onlyFrom`), so its authentication is the only barrier
   * against credential stuffing, stolen kubeconfigs and API server vulnerabilities; keep it
   * private and reach it from inside the VPC (the kubectl handler of this construct runs there).
   * `AiGateway-EksPrivateEndpoint` reports a public endpoint.
   * @default eks.EndpointAccess.PRIVATE
   */
  readonly endpointAccess?: eks.EndpointAccess;
  /**
   * The KMS key for envelope encryption of Kubernetes secrets.
   * @default - a new key with rotation on, whose grants only AWS services may create
   */
  readonly secretsEncryptionKey?: kms.IKey;
  /**
   * The control-plane log types sent to CloudWatch Logs. Leaving one out is reported by
   * `AiGateway-EksControlPlaneLogging`.
   * @default - all five: api, audit, authenticator, controllerManager, scheduler
   */
  readonly clusterLogging?: eks.ClusterLoggingTypes[];
  /**
   * Retention of the log groups this construct creates before EKS and Lambda would: the
   * control-plane log group `/aws/eks/<cluster name>/cluster` and the log groups of the kubectl
   * provider's two functions.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The KMS key of the control-plane and kubectl provider log groups.
   * @default - a new key with rotation on, whose grants only AWS services may create
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * What happens to the control-plane and kubectl provider log groups (and their new key) when
   * they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The Lambda layer with `kubectl` and `helm` for the kubectl handler, which applies manifests
   * and Helm charts from the private subnets.
   * @default - `KubectlV36Layer` from `@aws-cdk/lambda-layer-kubectl-v36`, an optional peer
   * dependency that must then be installed
   */
  readonly kubectlLayer?: lambda.ILayerVersion;
  /**
   * Who provides capacity: self-managed Karpenter with a system node group, or EKS Auto Mode.
   * @default CapacityMode.KARPENTER
   */
  readonly capacityMode?: CapacityMode;
  /**
   * The system node group (KARPENTER mode only; Auto Mode runs cluster services on its `system`
   * node pool).
   * @default - 2 to 3 `m7i.large` nodes, 2 desired, AL2023, 50 GiB encrypted gp3
   */
  readonly systemNodeGroup?: SystemNodeGroupOptions;
  /**
   * An always-on GPU managed node group (KARPENTER mode only).
   * @default - none: Karpenter provides every GPU node
   */
  readonly gpuNodeGroup?: GpuNodeGroupOptions;
  /**
   * IAM roles given cluster-admin access (access entry with `AmazonEKSClusterAdminPolicy`).
   * @default - none besides the kubectl handler's role and the cluster creator
   */
  readonly adminRoles?: iam.IRole[];
}

/**
 * An EKS cluster for self-hosted models (`aws-eks-v2`: native `AWS::EKS::Cluster`, access
 * entries), secure by default: private API endpoint, Kubernetes secrets encrypted with a KMS key,
 * all five control-plane log types, IMDSv2 and encrypted volumes on every node, and the EKS
 * add-ons vpc-cni, kube-proxy, coredns and eks-pod-identity-agent managed by EKS.
 *
 * In `CapacityMode.KARPENTER` (default) it adds a system managed node group labelled
 * `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.SYSTEM_NODE_ROLE` (`cdk-ai-gateway.io/node-role=system`) for Karpenter and cluster services and, optionally, an
 * always-on GPU node group tainted with `NodeScheduling.GPU_TAINT`. In `CapacityMode.AUTO_MODE` EKS Auto Mode
 * provides capacity and the add-ons.
 *
 * @example
 * const eksCluster = new SelfHostedCluster(this, 'Models', {
 *   gpuNodeGroup: { instanceTypes: ['g6.xlarge'] },
 * });
 */
export class SelfHostedCluster extends Construct {
  /**
   * The Kubernetes version of a new cluster when none is given: 1.35.
   *
   * Provenance: Amazon EKS released 1.35 on 2026-01-28, with standard support until 2027-03-27
   * (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html, endoflife.date/amazon-eks);
   * the default kubectl layer, `@aws-cdk/lambda-layer-kubectl-v36` 2.0.1, ships kubectl 1.36, which
   * supports API servers one minor version either side (1.35 to 1.37).
   */
  public static readonly DEFAULT_KUBERNETES_VERSION: eks.KubernetesVersion = eks.KubernetesVersion.V1_35;

  /** The EKS cluster; pass it as `eks.ICluster` to the Karpenter and vLLM constructs. */
  public readonly cluster: eks.Cluster;
  /** The cluster's VPC. */
  public readonly vpc: ec2.IVpc;
  /** The capacity mode. */
  public readonly capacityMode: CapacityMode;
  /** The cluster's Kubernetes version. */
  public readonly kubernetesVersion: eks.KubernetesVersion;
  /** The KMS key that encrypts Kubernetes secrets. */
  public readonly secretsEncryptionKey: kms.IKey;
  /**
   * The security group EKS creates for the cluster. The control plane, the managed node groups
   * and (when their EC2NodeClass selects it) Karpenter's nodes all use it: add ingress rules here
   * to admit peers to pods, such as the router to vLLM.
   */
  public readonly clusterSecurityGroup: ec2.ISecurityGroup;
  /** The security group of the nodes: the same group as `clusterSecurityGroup`. */
  public readonly nodeSecurityGroup: ec2.ISecurityGroup;
  /** The additional security group of the control plane's network interfaces. */
  public readonly controlPlaneSecurityGroup: ec2.ISecurityGroup;
  /** The security group of the kubectl handler: HTTPS out only; admitted to the control plane on 443. */
  public readonly kubectlSecurityGroup: ec2.ISecurityGroup;
  /** The role of the kubectl handler, cluster admin through an access entry. */
  public readonly kubectlRole: iam.IRole;
  /** The IAM role of the managed node groups (KARPENTER mode). */
  public readonly nodeRole?: iam.IRole;
  /** The system node group (KARPENTER mode). */
  public readonly systemNodeGroup?: eks.Nodegroup;
  /** The GPU node group, when `gpuNodeGroup` is set. */
  public readonly gpuNodeGroup?: eks.Nodegroup;
  /** The EKS add-ons this construct installs, by add-on name (none in AUTO_MODE). */
  public readonly addons: { [name: string]: eks.IAddon };
  /** The VPC flow log group, when this construct created the VPC. */
  public readonly flowLogGroup?: logs.ILogGroup;
  /**
   * The control-plane log group, `/aws/eks/<cluster name>/cluster`, created before the cluster so
   * that EKS writes the audit and other control-plane logs into a group with retention and a KMS key.
   */
  public readonly controlPlaneLogGroup: logs.ILogGroup;
  /** The log groups of the kubectl provider's functions (the kubectl handler and its provider framework). */
  public readonly kubectlLogGroups: logs.ILogGroup[];

  constructor(scope: Construct, id: string, props: SelfHostedClusterProps = {}) {
    super(scope, id);
    this.capacityMode = props.capacityMode ?? CapacityMode.KARPENTER;
    const autoMode = this.capacityMode === CapacityMode.AUTO_MODE;
    validateProps(this, props, autoMode);

    if (props.vpc) {
      this.vpc = props.vpc;
    } else {
      // The library's compliant VPC; the gateway adds the endpoints its functions need.
      const vpc = new GatewayVpc(this, 'Vpc', { gatewayEndpoints: false });
      this.vpc = vpc;
      this.flowLogGroup = vpc.flowLogGroup;
    }
    this.secretsEncryptionKey = props.secretsEncryptionKey ?? newKey(this, 'SecretsKey', 'Encrypts the Kubernetes secrets of the self-hosted model cluster');

    const kubectlLayer = props.kubectlLayer ?? defaultKubectlLayer(this);
    // The control plane's own security group and one for the kubectl handler, which may reach the
    // API endpoint on 443 and, for Helm charts and AWS APIs, HTTPS anywhere through the NAT gateways.
    this.controlPlaneSecurityGroup = new ec2.SecurityGroup(this, 'ControlPlaneSecurityGroup', {
      vpc: this.vpc, description: 'EKS control plane of the self-hosted model cluster', allowAllOutbound: true,
    });
    this.kubectlSecurityGroup = new ec2.SecurityGroup(this, 'KubectlSecurityGroup', {
      vpc: this.vpc, description: 'kubectl handler of the self-hosted model cluster', allowAllOutbound: false,
    });
    this.kubectlSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the cluster endpoint, AWS APIs and chart registries');
    this.controlPlaneSecurityGroup.addIngressRule(this.kubectlSecurityGroup, ec2.Port.tcp(443), 'kubectl handler to the Kubernetes API');
    this.kubectlRole = new ManagedPolicyRole(this, 'KubectlRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'kubectl handler of the self-hosted model cluster (cluster admin through an access entry)',
    });
    this.kubernetesVersion = props.version ?? SelfHostedCluster.DEFAULT_KUBERNETES_VERSION;
    const clusterName = props.clusterName ?? Names.uniqueResourceName(this, { maxLength: 100 });
    this.cluster = new eks.Cluster(this, 'Cluster', {
      clusterName,
      version: this.kubernetesVersion,
      vpc: this.vpc,
      vpcSubnets: props.vpcSubnets ?? [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
      endpointAccess: props.endpointAccess ?? eks.EndpointAccess.PRIVATE,
      secretsEncryptionKey: this.secretsEncryptionKey,
      clusterLogging: props.clusterLogging ?? ALL_LOG_TYPES,
      securityGroup: this.controlPlaneSecurityGroup,
      kubectlProviderOptions: { kubectlLayer, role: this.kubectlRole, securityGroups: [this.kubectlSecurityGroup] },
      ...(autoMode
        ? { defaultCapacityType: eks.DefaultCapacityType.AUTOMODE, compute: { nodePools: ['system', 'general-purpose'] } }
        // No default capacity: the node groups below; the networking add-ons come as EKS add-ons instead.
        : { defaultCapacityType: eks.DefaultCapacityType.NODEGROUP, defaultCapacity: 0, bootstrapSelfManagedAddons: false }),
    });
    this.clusterSecurityGroup = this.cluster.clusterSecurityGroup;
    this.nodeSecurityGroup = this.cluster.clusterSecurityGroup;
    ({ controlPlane: this.controlPlaneLogGroup, kubectl: this.kubectlLogGroups } = this.createLogGroups(props, clusterName));

    (props.adminRoles ?? []).forEach((role, i) => this.cluster.grantClusterAdmin(`AdminAccess${i}`, role.roleArn));

    this.addons = {};
    if (!autoMode) {
      // vpc-cni and kube-proxy before the nodes (a node without a CNI never becomes Ready);
      // CoreDNS after the system nodes, which it runs on; the Pod Identity agent is the cluster's
      // own add-on object, so Pod Identity associations made elsewhere reuse it.
      const vpcCni = new eks.Addon(this, 'VpcCni', { cluster: this.cluster, addonName: 'vpc-cni' });
      const kubeProxy = new eks.Addon(this, 'KubeProxy', { cluster: this.cluster, addonName: 'kube-proxy' });
      const podIdentity = this.cluster.eksPodIdentityAgent!;
      const nodeRole = new iam.Role(this, 'NodeRole', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        description: 'Managed node groups of the self-hosted model cluster',
        managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryReadOnly']
          .map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
      });
      this.nodeRole = nodeRole;
      this.systemNodeGroup = this.addSystemNodeGroup(props.systemNodeGroup ?? {}, nodeRole);
      this.systemNodeGroup.node.addDependency(vpcCni, kubeProxy);
      const coreDns = new eks.Addon(this, 'CoreDns', { cluster: this.cluster, addonName: 'coredns' });
      coreDns.node.addDependency(this.systemNodeGroup);
      if (props.gpuNodeGroup) {
        this.gpuNodeGroup = this.addGpuNodeGroup(props.gpuNodeGroup, nodeRole);
        this.gpuNodeGroup.node.addDependency(vpcCni, kubeProxy);
      }
      // Reports GPU (NVIDIA XID), kubelet, storage and network faults as node conditions, which
      // Karpenter's node repair acts on. (Auto Mode monitors and repairs its nodes itself.)
      const nodeMonitoring = new eks.Addon(this, 'NodeMonitoringAgent', { cluster: this.cluster, addonName: 'eks-node-monitoring-agent' });
      nodeMonitoring.node.addDependency(this.systemNodeGroup);
      this.addons = { 'vpc-cni': vpcCni, 'kube-proxy': kubeProxy, 'coredns': coreDns, 'eks-pod-identity-agent': podIdentity, 'eks-node-monitoring-agent': nodeMonitoring };
    }

    acknowledgeClusterFindings(this);
  }

  /**
   * The log groups EKS and Lambda would otherwise create on first use, without retention or a
   * customer key: the control-plane group under the name EKS writes to (the cluster waits for it),
   * and one group per kubectl provider function, set as the function's `LoggingConfig.LogGroup`
   * (`aws-eks-v2`'s kubectl provider takes no log group, and its function names are generated).
   */
  private createLogGroups(props: SelfHostedClusterProps, clusterName: string): { controlPlane: logs.ILogGroup; kubectl: logs.ILogGroup[] } {
    const removalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;
    const key = props.logEncryptionKey
      ?? newKey(this, 'LogKey', 'Encrypts the control-plane and kubectl provider logs of the self-hosted model cluster', removalPolicy);
    // The name EKS writes to; from the name given to the cluster, not its Ref (the cluster waits for the group).
    const controlPlane = encryptedLogGroup(this, 'ControlPlaneLogs', {
      key,
      purpose: 'the control-plane logs of the self-hosted model cluster',
      retention: props.logRetention,
      removalPolicy,
      logGroupName: `/aws/eks/${clusterName}/cluster`,
    });
    const clusterResource = this.cluster.node.children.find((c): c is eks.CfnCluster => c instanceof eks.CfnCluster);
    clusterResource?.addResourceDependency(controlPlane.logGroup.node.defaultChild as CfnResource);

    const kubectl: logs.ILogGroup[] = [];
    const provider = this.cluster.node.tryFindChild('KubectlProvider');
    const functions = provider?.node.findAll().filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction) ?? [];
    for (const fn of functions) {
      const role = fn.node.scope?.node.id === 'Handler' ? 'Handler' : 'ProviderFramework';
      const { logGroup } = encryptedLogGroup(this, `Kubectl${role}Logs`, {
        key,
        purpose: 'the kubectl provider logs of the self-hosted model cluster',
        retention: props.logRetention,
        removalPolicy,
      });
      const existing = this.cluster.stack.resolve(fn.loggingConfig) as lambda.CfnFunction.LoggingConfigProperty | undefined;
      fn.loggingConfig = { ...existing, logGroup: logGroup.logGroupName };
      fn.addResourceDependency(logGroup.node.defaultChild as CfnResource);
      kubectl.push(logGroup);
    }
    return { controlPlane: controlPlane.logGroup, kubectl };
  }

  private addSystemNodeGroup(options: SystemNodeGroupOptions, nodeRole: iam.IRole): eks.Nodegroup {
    const launchTemplate = new ec2.LaunchTemplate(this, 'SystemLaunchTemplate', {
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: options.httpPutResponseHopLimit ?? 1,
      detailedMonitoring: true,
      blockDevices: [encryptedVolume('/dev/xvda', options.diskSize ?? DEFAULT_SYSTEM_DISK_GIB)],
    });
    return this.cluster.addNodegroupCapacity('SystemNodes', {
      instanceTypes: options.instanceTypes ?? [new ec2.InstanceType(DEFAULT_SYSTEM_INSTANCE_TYPE)],
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      minSize: options.minSize ?? 2,
      desiredSize: options.desiredSize ?? 2,
      maxSize: options.maxSize ?? 3,
      labels: { [NODE_ROLE_LABEL]: SYSTEM_NODE_ROLE },
      nodeRole,
      launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
    });
  }

  private addGpuNodeGroup(options: GpuNodeGroupOptions, nodeRole: iam.IRole): eks.Nodegroup {
    const amiType = options.amiType ?? eks.NodegroupAmiType.AL2023_X86_64_NVIDIA;
    const diskSize = options.diskSize ?? DEFAULT_GPU_DISK_GIB;
    const bottlerocket = amiType === eks.NodegroupAmiType.BOTTLEROCKET_X86_64_NVIDIA;
    const launchTemplate = new ec2.LaunchTemplate(this, 'GpuLaunchTemplate', {
      requireImdsv2: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: bottlerocket
        ? [encryptedVolume('/dev/xvda', BOTTLEROCKET_OS_DISK_GIB), encryptedVolume('/dev/xvdb', diskSize)]
        : [encryptedVolume('/dev/xvda', diskSize)],
    });
    return this.cluster.addNodegroupCapacity('GpuNodes', {
      instanceTypes: options.instanceTypes.map((t) => new ec2.InstanceType(t)),
      amiType,
      capacityType: options.capacityType ?? eks.CapacityType.ON_DEMAND,
      minSize: options.minSize ?? 1,
      desiredSize: options.desiredSize ?? 1,
      maxSize: options.maxSize ?? 1,
      labels: { [NODE_ROLE_LABEL]: GPU_NODE_ROLE },
      taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: taintEffect(GPU_TAINT.effect) }],
      nodeRole,
      launchTemplateSpec: { id: launchTemplate.launchTemplateId!, version: launchTemplate.latestVersionNumber },
    });
  }
}

function encryptedVolume(deviceName: string, sizeGiB: number): ec2.BlockDevice {
  return { deviceName, volume: ec2.BlockDeviceVolume.ebs(sizeGiB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true }) };
}

/** The EKS API's spelling of a Kubernetes taint effect (`NoSchedule` → `NO_SCHEDULE`). */
function taintEffect(effect: string): eks.TaintEffect {
  const map: { [k: string]: eks.TaintEffect } = {
    NoSchedule: eks.TaintEffect.NO_SCHEDULE,
    PreferNoSchedule: eks.TaintEffect.PREFER_NO_SCHEDULE,
    NoExecute: eks.TaintEffect.NO_EXECUTE,
  };
  return map[effect];
}

function checkSizes(scope: Construct, prop: string, min: number, desired: number, max: number): void {
  for (const [name, value] of [['minSize', min], ['desiredSize', desired], ['maxSize', max]] as const) {
    if (Token.isUnresolved(value)) continue;
    if (!Number.isInteger(value) || value < 0) {
      throw new AiGatewayValidationError(`${prop}.${name} must be a whole number of nodes ≥ 0, received ${value}.`, scope);
    }
  }
  if (Token.isUnresolved(min) || Token.isUnresolved(desired) || Token.isUnresolved(max)) return;
  if (!(min <= desired && desired <= max)) {
    throw new AiGatewayValidationError(`${prop} sizes must satisfy minSize ≤ desiredSize ≤ maxSize, received minSize ${min}, desiredSize ${desired}, maxSize ${max}.`, scope);
  }
  if (max < 1) {
    throw new AiGatewayValidationError(`${prop}.maxSize must be at least 1, received ${max}.`, scope);
  }
}

function checkDisk(scope: Construct, prop: string, size: number | undefined, min: number): void {
  if (size === undefined || Token.isUnresolved(size)) return;
  if (!Number.isInteger(size) || size < min || size > 16384) {
    throw new AiGatewayValidationError(`${prop} must be a whole number of GiB between ${min} and 16384, received ${size}.`, scope);
  }
}

function validateProps(scope: Construct, props: SelfHostedClusterProps, autoMode: boolean): void {
  if (props.capacityMode !== undefined && !Object.values(CapacityMode).includes(props.capacityMode)) {
    throw new AiGatewayValidationError(`capacityMode must be one of ${Object.values(CapacityMode).join(', ')}, received '${props.capacityMode}'.`, scope);
  }
  if (props.clusterName !== undefined && !Token.isUnresolved(props.clusterName) && !/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(props.clusterName)) {
    throw new AiGatewayValidationError(`clusterName must be 1 to 100 letters, digits, '-' or '_', starting with a letter or digit; received '${props.clusterName}'.`, scope);
  }
  if (props.clusterLogging) {
    const allowed: string[] = ALL_LOG_TYPES;
    if (props.clusterLogging.length === 0) {
      throw new AiGatewayValidationError(`clusterLogging must name at least one log type (allowed: ${allowed.join(', ')}); leave it unset for all five.`, scope);
    }
    const unknown = props.clusterLogging.filter((t) => !allowed.includes(t));
    if (unknown.length > 0) {
      throw new AiGatewayValidationError(`clusterLogging: unknown log type(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}.`, scope);
    }
    if (new Set(props.clusterLogging).size !== props.clusterLogging.length) {
      throw new AiGatewayValidationError(`clusterLogging lists a log type twice: received ${props.clusterLogging.join(', ')}.`, scope);
    }
  }
  if (autoMode && props.gpuNodeGroup) {
    throw new AiGatewayValidationError('gpuNodeGroup cannot be used with capacityMode AUTO_MODE: EKS Auto Mode provides GPU nodes through a '
      + `NodePool; received instanceTypes ${props.gpuNodeGroup.instanceTypes.join(', ')}. Use capacityMode KARPENTER for a GPU managed node group.`, scope);
  }
  if (autoMode && props.systemNodeGroup) {
    throw new AiGatewayValidationError('systemNodeGroup cannot be used with capacityMode AUTO_MODE: Auto Mode runs cluster services on its '
      + 'built-in system node pool. Use capacityMode KARPENTER for a system managed node group.', scope);
  }
  const system = props.systemNodeGroup ?? {};
  checkSizes(scope, 'systemNodeGroup', system.minSize ?? 2, system.desiredSize ?? 2, system.maxSize ?? 3);
  checkDisk(scope, 'systemNodeGroup.diskSize', system.diskSize, 20);
  if (system.instanceTypes?.length === 0) {
    throw new AiGatewayValidationError('systemNodeGroup.instanceTypes must name at least one instance type, received an empty list.', scope);
  }
  const hop = system.httpPutResponseHopLimit;
  if (hop !== undefined && !Token.isUnresolved(hop) && !(Number.isInteger(hop) && hop >= 1 && hop <= 64)) {
    throw new AiGatewayValidationError(`systemNodeGroup.httpPutResponseHopLimit must be a whole number between 1 and 64, received ${hop}.`, scope);
  }
  const gpu = props.gpuNodeGroup;
  if (gpu) {
    if (gpu.instanceTypes.length === 0) {
      throw new AiGatewayValidationError(`gpuNodeGroup.instanceTypes must name at least one GPU instance type (families: ${GpuInstanceTypes.families().join(', ')}), received an empty list.`, scope);
    }
    for (const type of gpu.instanceTypes) {
      try {
        GpuInstanceTypes.of(type);
      } catch (e) {
        throw new AiGatewayValidationError(`gpuNodeGroup.instanceTypes: ${(e as Error).message}`, scope);
      }
    }
    checkSizes(scope, 'gpuNodeGroup', gpu.minSize ?? 1, gpu.desiredSize ?? 1, gpu.maxSize ?? 1);
    checkDisk(scope, 'gpuNodeGroup.diskSize', gpu.diskSize, 50);
    if (gpu.amiType !== undefined && !GPU_AMI_TYPES.includes(gpu.amiType)) {
      throw new AiGatewayValidationError(`gpuNodeGroup.amiType must be one of ${GPU_AMI_TYPES.join(', ')}, received '${gpu.amiType}'.`, scope);
    }
  }
}

/** `KubectlV36Layer`, loaded only when no `kubectlLayer` is given (it is a 37 MB optional peer). */
function defaultKubectlLayer(scope: Construct): lambda.ILayerVersion {
  const { KubectlV36Layer } = requireOptionalPeer<typeof import('@aws-cdk/lambda-layer-kubectl-v36')>(
    OptionalPeer.KUBECTL_LAYER, `SelfHostedCluster '${scope.node.path}' without kubectlLayer`, 'or pass your own layer as kubectlLayer');
  return new KubectlV36Layer(scope, 'KubectlLayer');
}
