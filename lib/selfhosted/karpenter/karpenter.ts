import { Aws, CfnJson, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../../private/errors';
import { PodIdentityRole } from '../pod-identity-role';
import { systemNodeSelector } from '../scheduling';
import { GpuNodePool, GpuNodePoolOptions } from './gpu-node-pool';
import { NvidiaDevicePlugin } from './nvidia-device-plugin';

// Karpenter 1.15.1 (aws/karpenter-provider-aws release v1.15.1, 23 Oct 2026: a patch release of
// 1.15 — Go 1.26.10, sigs.k8s.io/karpenter v1.15.1 with node-repair and reservation fixes, no IAM
// or chart value change), chart oci://public.ecr.aws/karpenter/karpenter; the v1.15
// compatibility matrix lists Kubernetes 1.31 to 1.37 (website/content/en/v1.15/upgrading/
// compatibility.md). The controller
// policy, node role, interruption queue and rules follow that release's getting-started
// cloudformation.yaml (website/content/en/v1.15/reference/cloudformation.md documents it
// statement by statement; v1.14's cloudformation.yaml is identical but for RebootInstances).
const DEFAULT_VERSION = '1.15.1';
const CHART_REPOSITORY = 'oci://public.ecr.aws/karpenter/karpenter';
const SERVICE_ACCOUNT = 'karpenter';

// The interruption events Karpenter acts on, with the exact EventBridge detail-types of the
// upstream template's ScheduledChangeRule, SpotInterruptionRule, RebalanceRule,
// InstanceStateChangeRule and CapacityReservationInterruptionRule.
const INTERRUPTION_RULES: ReadonlyArray<{ id: string; source: string; detailType: string; description: string }> = [
  { id: 'ScheduledChangeRule', source: 'aws.health', detailType: 'AWS Health Event', description: 'AWS Health scheduled changes for Karpenter nodes' },
  { id: 'SpotInterruptionRule', source: 'aws.ec2', detailType: 'EC2 Spot Instance Interruption Warning', description: 'Spot interruption warnings (two minutes) for Karpenter nodes' },
  { id: 'RebalanceRule', source: 'aws.ec2', detailType: 'EC2 Instance Rebalance Recommendation', description: 'Spot rebalance recommendations for Karpenter nodes' },
  { id: 'InstanceStateChangeRule', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification', description: 'Instance state changes (stopping, terminated) of Karpenter nodes' },
  { id: 'CapacityReservationInterruptionRule', source: 'aws.ec2', detailType: 'EC2 Capacity Reservation Instance Interruption Warning', description: 'Capacity reservation reclaim warnings for Karpenter nodes' },
];

/** Properties of `Karpenter`. */
export interface KarpenterProps {
  /**
   * The cluster to install Karpenter into. It needs the EKS Pod Identity Agent add-on (the
   * controller's AWS credentials come through Pod Identity), nodes labelled
   * `NodeScheduling.NODE_ROLE_LABEL=NodeScheduling.SYSTEM_NODE_ROLE` (`cdk-ai-gateway.io/node-role=system`) for the controller, and a kubectl provider.
   */
  readonly cluster: eks.ICluster;

  /**
   * The Karpenter release (chart and controller), `X.Y.Z`. The IAM policy of this construct
   * matches `Karpenter.DEFAULT_VERSION`; check the upstream cloudformation.yaml before changing it.
   * @default - `Karpenter.DEFAULT_VERSION` (1.15.1)
   */
  readonly version?: string;

  /**
   * The namespace of the controller.
   * @default 'kube-system'
   */
  readonly controllerNamespace?: string;

  /**
   * How long the interruption queue keeps a message (60 s to 14 days). Interruption notices are
   * only useful for about two minutes.
   * @default Duration.seconds(300)
   */
  readonly interruptionQueueRetention?: Duration;

  /**
   * The IAM role of the nodes Karpenter launches. It needs what the default role has
   * (AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryPullOnly,
   * AmazonSSMManagedInstanceCore) and must be assumable by `ec2.amazonaws.com`.
   * @default - a new role with those managed policies
   */
  readonly nodeRole?: iam.IRole;

  /**
   * The subnets Karpenter launches nodes into (rendered as subnet `id` selector terms; no tags
   * are added to the subnets).
   * @default - the cluster VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * The security groups of Karpenter nodes (rendered as security group `id` selector terms).
   * @default - the cluster security group
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Karpenter's node repair (feature gate `nodeRepair`): nodes whose conditions report an
   * unhealthy GPU, kubelet or network for too long — as the EKS node monitoring agent add-on
   * reports them — are drained and replaced. Needs the `eks-node-monitoring-agent` add-on
   * (`SelfHostedModels` installs it).
   * @default true
   */
  readonly nodeRepair?: boolean;

  /**
   * Install the NVIDIA device plugin the first time a GPU pool on AL2023 is added. Turn it off
   * when something else in the cluster already runs it (for example the NVIDIA GPU Operator).
   * @default true
   */
  readonly installDevicePlugin?: boolean;
}

/**
 * Self-managed Karpenter for GPU capacity, installed from its Helm chart at a pinned version:
 *
 * - the controller's IAM role, generated from the pinned release's getting-started CloudFormation
 *   template, scoped to this cluster by tags and to the stack's Region, and delivered through
 *   EKS Pod Identity to the `karpenter` service account;
 * - the node role with an `EC2_LINUX` access entry (so nodes can join) and an instance profile;
 * - interruption handling: an SSE SQS queue with a TLS-only policy and the EventBridge rules for
 *   spot interruption warnings, rebalance recommendations, instance state changes, capacity
 *   reservation interruptions and AWS Health events;
 * - the controller, two replicas spread over zones, on the system nodes.
 *
 * Add GPU capacity with `addGpuNodePool`.
 *
 * @example
 * declare const cluster: eks.Cluster;
 * const karpenter = new Karpenter(this, 'Karpenter', { cluster });
 * karpenter.addGpuNodePool('Inference', { instanceFamilies: ['g6', 'g6e'], gpuLimit: 8 });
 */
export class Karpenter extends Construct {
  /** The Karpenter release installed when no `version` is given. */
  public static readonly DEFAULT_VERSION: string = DEFAULT_VERSION;
  /** The Helm chart repository. */
  public static readonly CHART_REPOSITORY: string = CHART_REPOSITORY;
  /** The service account of the controller. */
  public static readonly SERVICE_ACCOUNT: string = SERVICE_ACCOUNT;

  /** The cluster Karpenter manages. */
  public readonly cluster: eks.ICluster;
  /** The Karpenter release. */
  public readonly version: string;
  /** The namespace of the controller. */
  public readonly controllerNamespace: string;
  /** The controller's role (assumed through EKS Pod Identity). */
  public readonly controllerRole: iam.Role;
  /** The role of the nodes Karpenter launches. */
  public readonly nodeRole: iam.IRole;
  /** The instance profile of the nodes, named in every EC2NodeClass. */
  public readonly instanceProfile: iam.InstanceProfile;
  /** The access entry (type EC2_LINUX) that lets the nodes join the cluster. */
  public readonly nodeAccessEntry: eks.AccessEntry;
  /** The interruption queue. */
  public readonly interruptionQueue: sqs.Queue;
  /** The Helm release of the controller. */
  public readonly chart: eks.HelmChart;
  /** The subnet ids of the EC2NodeClasses. */
  public readonly nodeSubnetIds: string[];
  /** The security group ids of the EC2NodeClasses. */
  public readonly nodeSecurityGroupIds: string[];

  private readonly installDevicePlugin: boolean;
  private readonly nodeRepair: boolean;
  private _devicePlugin?: NvidiaDevicePlugin;

  constructor(scope: Construct, id: string, props: KarpenterProps) {
    super(scope, id);
    this.cluster = props.cluster;
    this.version = props.version ?? DEFAULT_VERSION;
    if (!/^\d+\.\d+\.\d+$/.test(this.version)) {
      throw new AiGatewayValidationError(`Karpenter version must be a release such as '${DEFAULT_VERSION}' (chart versions have no 'v' prefix since 0.35.0); received '${this.version}'.`, this);
    }
    if (!this.version.startsWith('1.')) {
      throw new AiGatewayValidationError(`Karpenter version must be a 1.x release (the v1 NodePool and EC2NodeClass APIs this construct renders); received '${this.version}'.`, this);
    }
    this.controllerNamespace = props.controllerNamespace ?? 'kube-system';
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(this.controllerNamespace) || this.controllerNamespace.length > 63) {
      throw new AiGatewayValidationError(`controllerNamespace must be a DNS label (lower-case letters, digits and '-', at most 63 characters); received '${this.controllerNamespace}'.`, this);
    }
    this.installDevicePlugin = props.installDevicePlugin ?? true;
    this.nodeRepair = props.nodeRepair ?? true;

    const retention = props.interruptionQueueRetention ?? Duration.seconds(300);
    const retentionSeconds = retention.toSeconds();
    if (!Token.isUnresolved(retentionSeconds) && (retentionSeconds < 60 || retentionSeconds > 1209600)) {
      throw new AiGatewayValidationError(`interruptionQueueRetention must be from 60 seconds to 14 days (SQS limits); received ${retention.toHumanString()}.`, this);
    }

    const vpcSubnets = props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    this.nodeSubnetIds = this.cluster.vpc.selectSubnets(vpcSubnets).subnetIds;
    if (this.nodeSubnetIds.length === 0) {
      throw new AiGatewayValidationError('subnets selected no subnet of the cluster VPC; Karpenter needs at least one subnet for its nodes.', this);
    }
    if (props.securityGroups !== undefined && props.securityGroups.length === 0) {
      throw new AiGatewayValidationError('securityGroups must name at least one security group when given.', this);
    }
    this.nodeSecurityGroupIds = props.securityGroups?.map((sg) => sg.securityGroupId) ?? [this.cluster.clusterSecurityGroupId];

    this.nodeRole = props.nodeRole ?? this.newNodeRole();
    this.instanceProfile = new iam.InstanceProfile(this, 'NodeInstanceProfile', { role: this.nodeRole });
    this.nodeAccessEntry = new eks.AccessEntry(this, 'NodeAccessEntry', {
      cluster: this.cluster,
      principal: this.nodeRole.roleArn,
      accessEntryType: eks.AccessEntryType.EC2_LINUX,
      accessPolicies: [],
    });

    this.interruptionQueue = this.newInterruptionQueue(retention);

    const controllerRole = this.controllerRole = new PodIdentityRole(this, 'ControllerRole', {
      cluster: this.cluster,
      namespace: this.controllerNamespace,
      serviceAccount: SERVICE_ACCOUNT,
      description: `Karpenter ${this.version} controller of an EKS cluster (EKS Pod Identity, ${this.controllerNamespace}/${SERVICE_ACCOUNT})`,
    });
    this.addControllerPolicies();
    const podIdentity = controllerRole.association;

    this.chart = this.cluster.addHelmChart(`${id}Chart`, {
      chart: 'karpenter',
      repository: CHART_REPOSITORY,
      version: this.version,
      release: 'karpenter',
      namespace: this.controllerNamespace,
      createNamespace: this.controllerNamespace !== 'kube-system',
      wait: true,
      // Helm's default of 5 minutes is too short when the system nodes are still joining.
      timeout: Duration.minutes(15),
      values: this.helmValues(),
    });
    // Credentials and the node access entry must exist before the controller starts launching nodes.
    this.chart.node.addDependency(podIdentity, this.nodeAccessEntry, this.interruptionQueue);
    this.allowChartPull();
  }

  /** The device plugin this construct installed for AL2023 GPU pools, if any. */
  public get devicePlugin(): NvidiaDevicePlugin | undefined {
    return this._devicePlugin;
  }

  /**
   * Adds a GPU NodePool and its EC2NodeClass. The NVIDIA device plugin is installed with the first
   * AL2023 pool (unless `installDevicePlugin` is false).
   */
  public addGpuNodePool(id: string, options: GpuNodePoolOptions = {}): GpuNodePool {
    return new GpuNodePool(this, id, { ...options, cluster: this.cluster, karpenter: this });
  }

  /**
   * Installs the NVIDIA device plugin once (no-op when `installDevicePlugin` is false) and returns
   * it. `GpuNodePool` calls it for AL2023 pools.
   */
  public ensureDevicePlugin(): NvidiaDevicePlugin | undefined {
    if (this.installDevicePlugin && !this._devicePlugin) {
      this._devicePlugin = new NvidiaDevicePlugin(this, 'NvidiaDevicePlugin', { cluster: this.cluster });
    }
    return this._devicePlugin;
  }

  private newNodeRole(): iam.Role {
    const role = new iam.Role(this, 'NodeRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Role of the EC2 nodes Karpenter launches',
      // The managed policies of the upstream KarpenterNodeRole.
      managedPolicies: ['AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy', 'AmazonEC2ContainerRegistryPullOnly', 'AmazonSSMManagedInstanceCore']
        .map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    GatewayCompliance.acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSWorkerNodePolicy]',
      'EKS worker nodes need AmazonEKSWorkerNodePolicy (ec2:Describe* and eks:DescribeCluster for the kubelet); it is the AWS-maintained policy '
      + 'that the Karpenter getting-started template and the EKS user guide attach to every node role, and AWS updates it with new EKS features.');
    GatewayCompliance.acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKS_CNI_Policy]',
      'The VPC CNI (aws-node) on each node assigns pod IP addresses with the node role; AmazonEKS_CNI_Policy is the AWS-maintained set of ENI '
      + 'actions it needs, attached to the node role exactly as the Karpenter getting-started template does.');
    GatewayCompliance.acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly]',
      'Nodes pull the vLLM, device plugin and add-on images from Amazon ECR; AmazonEC2ContainerRegistryPullOnly is the AWS-maintained pull-only '
      + 'policy (no push, no repository changes) that the Karpenter getting-started template attaches to the node role.');
    GatewayCompliance.acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AmazonSSMManagedInstanceCore lets operators reach GPU nodes through Session Manager instead of SSH (no inbound port, sessions logged by '
      + 'Systems Manager); the Karpenter getting-started template attaches it to the node role.');
    return role;
  }

  private newInterruptionQueue(retention: Duration): sqs.Queue {
    const queue = new sqs.Queue(this, 'InterruptionQueue', {
      retentionPeriod: retention,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowInterruptionEvents',
      principals: [new iam.ServicePrincipal('events.amazonaws.com'), new iam.ServicePrincipal('sqs.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    }));
    for (const rule of INTERRUPTION_RULES) {
      const eventRule = new events.Rule(this, rule.id, {
        description: rule.description,
        eventPattern: { source: [rule.source], detailType: [rule.detailType] },
        targets: [new targets.SqsQueue(queue)],
      });
      GatewayCompliance.acknowledge(eventRule, 'Serverless-EventBusDLQ',
        'EventBridge retries delivery to the interruption queue for up to 24 hours (the default retry policy); a notice that still cannot '
        + 'be delivered is obsolete by then (spot warnings give two minutes), and the queue is in the same account and Region with a policy '
        + 'that admits events.amazonaws.com, so a dead-letter queue would only hold stale notices nobody acts on.');
    }
    const dlqReason = 'The interruption queue carries short-lived EC2 and AWS Health notices (retention 300 s, as in the Karpenter '
      + 'getting-started template) that the Karpenter controller deletes after acting on them; a message it cannot process is '
      + 'obsolete within minutes, so a dead-letter queue would only collect expired notices nobody can act on.';
    for (const id of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy', 'CT.SQS.PR.1']) {
      GatewayCompliance.acknowledge(queue, id, dlqReason);
    }
    return queue;
  }

  private helmValues(): Record<string, unknown> {
    // Every key below exists in charts/karpenter/values.yaml of the pinned release (checked by
    // test/selfhosted/karpenter/karpenter.test.ts). The chart's default topology spread over zones
    // and its pod anti-affinity are kept.
    return {
      settings: {
        clusterName: this.cluster.clusterName,
        interruptionQueue: this.interruptionQueue.queueName,
        ...(this.nodeRepair ? { featureGates: { nodeRepair: true } } : {}),
      },
      serviceAccount: { create: true, name: SERVICE_ACCOUNT },
      replicas: 2,
      nodeSelector: { 'kubernetes.io/os': 'linux', ...systemNodeSelector() },
      controller: {
        // The system nodes keep pods away from the instance metadata service (IMDSv2 hop limit 1),
        // and Karpenter otherwise reads its Region from there.
        env: [{ name: 'AWS_REGION', value: Stack.of(this).region }],
        // The upstream getting-started guide's controller sizing (1 vCPU, 1 GiB), requests = limits.
        resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
      },
    };
  }

  /** The kubectl handler logs in to public ECR (`aws ecr-public get-login-password`) to pull the OCI chart. */
  private allowChartPull(): void {
    const role = this.cluster.kubectlProvider?.role;
    if (!role) return;
    const policy = new iam.ManagedPolicy(this, 'ChartPullPolicy', {
      description: 'Lets the kubectl handler log in to Amazon ECR Public to pull the Karpenter OCI Helm chart',
      statements: [new iam.PolicyStatement({
        sid: 'PublicEcrLogin',
        actions: ['ecr-public:GetAuthorizationToken', 'sts:GetServiceBearerToken'],
        resources: ['*'],
      })],
      roles: [role],
    });
    GatewayCompliance.acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
      'ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken support no resource-level permissions (the Service Authorization '
      + 'Reference lists no resource type for them), so IAM requires Resource "*". They only issue a pull token for Amazon ECR Public, '
      + 'which the kubectl handler needs to pull the Karpenter OCI chart; they grant no access to any repository content or account data.');
  }

  /**
   * The cluster's name as a literal when it is known at synth: given directly, or the `name` of
   * the `AWS::EKS::Cluster` of a cluster created in this app (whose `clusterName` is a Ref).
   */
  private literalClusterName(): string | undefined {
    if (!Token.isUnresolved(this.cluster.clusterName)) return this.cluster.clusterName;
    const resource = this.cluster.node.defaultChild;
    if (resource instanceof eks.CfnCluster && resource.name !== undefined && !Token.isUnresolved(resource.name)) return resource.name;
    return undefined;
  }

  private addControllerPolicies(): void {
    const clusterName = this.literalClusterName() ?? this.cluster.clusterName;
    const partition = Aws.PARTITION;
    const region = Stack.of(this).region;
    const account = Stack.of(this).account;
    const ec2Arn = (resource: string, withAccount = true) => `arn:${partition}:ec2:${region}:${withAccount ? '*' : ''}:${resource}`;
    const instanceProfileArn = `arn:${partition}:iam::${account}:instance-profile/*`;
    const clusterArn = `arn:${partition}:eks:${region}:${account}:cluster/${clusterName}`;
    const ownedResource = `aws:ResourceTag/kubernetes.io/cluster/${clusterName}`;
    const ownedRequest = `aws:RequestTag/kubernetes.io/cluster/${clusterName}`;
    // Condition keys with the cluster name in them cannot be map keys when the name is a token
    // (a cluster created in the same stack): CfnJson resolves them at deployment.
    const keyed = (id: string, value: Record<string, unknown>): Record<string, unknown> | CfnJson =>
      (Token.isUnresolved(clusterName) ? new CfnJson(this, id, { value }) : value);
    const createdResources = ['fleet/*', 'instance/*', 'volume/*', 'network-interface/*', 'launch-template/*', 'spot-instances-request/*'].map((r) => ec2Arn(r));

    const nodeLifecycle = new iam.ManagedPolicy(this, 'NodeLifecyclePolicy', {
      description: 'Karpenter controller: EC2 instance and launch template lifecycle, scoped to this cluster by tags',
      roles: [this.controllerRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'AllowScopedEC2InstanceAccessActions',
          actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
          resources: [ec2Arn('image/*', false), ec2Arn('snapshot/*', false), ec2Arn('security-group/*'), ec2Arn('subnet/*'), ec2Arn('capacity-reservation/*'), ec2Arn('placement-group/*')],
        }),
        new iam.PolicyStatement({
          sid: 'AllowScopedEC2LaunchTemplateAccessActions',
          actions: ['ec2:RunInstances', 'ec2:CreateFleet'],
          resources: [ec2Arn('launch-template/*')],
          conditions: {
            StringEquals: keyed('LaunchTemplateAccessCondition', { [ownedResource]: 'owned' }),
            StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'AllowScopedEC2InstanceActionsWithTags',
          actions: ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateLaunchTemplate'],
          resources: createdResources,
          conditions: {
            StringEquals: keyed('InstanceActionsCondition', { [ownedRequest]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': clusterName }),
            StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'AllowScopedResourceCreationTagging',
          actions: ['ec2:CreateTags'],
          resources: createdResources,
          conditions: {
            StringEquals: keyed('CreationTaggingCondition', {
              [ownedRequest]: 'owned',
              'aws:RequestTag/eks:eks-cluster-name': clusterName,
              'ec2:CreateAction': ['RunInstances', 'CreateFleet', 'CreateLaunchTemplate'],
            }),
            StringLike: { 'aws:RequestTag/karpenter.sh/nodepool': '*' },
          },
        }),
        new iam.PolicyStatement({
          sid: 'AllowScopedResourceTagging',
          actions: ['ec2:CreateTags'],
          resources: [ec2Arn('instance/*')],
          conditions: {
            'StringEquals': keyed('ResourceTaggingCondition', { [ownedResource]: 'owned' }),
            'StringLike': { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
            'StringEqualsIfExists': { 'aws:RequestTag/eks:eks-cluster-name': clusterName },
            'ForAllValues:StringEquals': { 'aws:TagKeys': ['eks:eks-cluster-name', 'karpenter.sh/nodeclaim', 'Name'] },
          },
        }),
        // Upstream 1.15 adds ec2:RebootInstances here for the alpha rebootForRepair feature gate,
        // which this construct does not enable; it is left out.
        new iam.PolicyStatement({
          sid: 'AllowScopedDeletion',
          actions: ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate'],
          resources: [ec2Arn('instance/*'), ec2Arn('launch-template/*')],
          conditions: {
            StringEquals: keyed('DeletionCondition', { [ownedResource]: 'owned' }),
            StringLike: { 'aws:ResourceTag/karpenter.sh/nodepool': '*' },
          },
        }),
      ],
    });

    // The EC2NodeClasses name this construct's instance profile, so Karpenter never creates,
    // tags or deletes instance profiles: the upstream AllowScopedInstanceProfile*Actions
    // statements are left out and only the reads remain.
    const iamIntegration = new iam.ManagedPolicy(this, 'IAMIntegrationPolicy', {
      description: 'Karpenter controller: pass the node role to EC2, read instance profiles',
      roles: [this.controllerRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'AllowPassingInstanceRole',
          actions: ['iam:PassRole'],
          resources: [this.nodeRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ec2.amazonaws.com.cn'] } },
        }),
        new iam.PolicyStatement({ sid: 'AllowInstanceProfileReadActions', actions: ['iam:GetInstanceProfile'], resources: [instanceProfileArn] }),
      ],
    });

    new iam.ManagedPolicy(this, 'EKSIntegrationPolicy', {
      description: 'Karpenter controller: discover the cluster endpoint',
      roles: [this.controllerRole],
      statements: [new iam.PolicyStatement({ sid: 'AllowAPIServerEndpointDiscovery', actions: ['eks:DescribeCluster'], resources: [clusterArn] })],
    });

    new iam.ManagedPolicy(this, 'InterruptionPolicy', {
      description: 'Karpenter controller: consume the interruption queue',
      roles: [this.controllerRole],
      statements: [new iam.PolicyStatement({
        sid: 'AllowInterruptionQueueActions',
        actions: ['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        resources: [this.interruptionQueue.queueArn],
      })],
    });

    const discovery = new iam.ManagedPolicy(this, 'ResourceDiscoveryPolicy', {
      description: 'Karpenter controller: read-only discovery of instance types, prices, AMIs, subnets and security groups',
      roles: [this.controllerRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'AllowRegionalReadActions',
          actions: [
            'ec2:DescribeCapacityReservations', 'ec2:DescribeImages', 'ec2:DescribeInstances', 'ec2:DescribeInstanceStatus',
            'ec2:DescribeInstanceTypeOfferings', 'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplates', 'ec2:DescribePlacementGroups',
            'ec2:DescribeSecurityGroups', 'ec2:DescribeSpotPriceHistory', 'ec2:DescribeSubnets',
          ],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': region } },
        }),
        new iam.PolicyStatement({ sid: 'AllowSSMReadActions', actions: ['ssm:GetParameter'], resources: [`arn:${partition}:ssm:${region}::parameter/aws/service/*`] }),
        new iam.PolicyStatement({ sid: 'AllowPricingReadActions', actions: ['pricing:GetProducts'], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'AllowUnscopedInstanceProfileListAction', actions: ['iam:ListInstanceProfiles'], resources: ['*'] }),
      ],
    });

    this.acknowledgeControllerPolicies(nodeLifecycle, iamIntegration, discovery);
  }

  private acknowledgeControllerPolicies(nodeLifecycle: iam.ManagedPolicy, iamIntegration: iam.ManagedPolicy, discovery: iam.ManagedPolicy): void {
    // cdk-nag names a finding by the flattened ARN: intrinsics become <AWS::Region>, literals stay.
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const upstream = 'The statements are those of the Karpenter getting-started CloudFormation template for the pinned release '
      + '(KarpenterControllerNodeLifecyclePolicy).';
    const lifecycleResources: Record<string, string> = {
      'image/*': 'RunInstances and CreateFleet must read the AMI Karpenter resolved from the pinned alias, which changes with each AMI release',
      'snapshot/*': 'RunInstances and CreateFleet read the snapshots behind the AMI and block device mappings',
      'security-group/*': 'nodes join the security groups the EC2NodeClass selects; RunInstances only attaches them and cannot change them',
      'subnet/*': 'nodes launch into the subnets the EC2NodeClass selects; RunInstances only places the network interface there',
      'capacity-reservation/*': 'RunInstances and CreateFleet may use on-demand capacity reservations that a NodePool targets',
      'placement-group/*': 'RunInstances and CreateFleet may place nodes in placement groups an EC2NodeClass names',
      'launch-template/*': 'launch templates are created and used only with the tag kubernetes.io/cluster/<cluster>=owned and a karpenter.sh/nodepool tag (conditions on every statement)',
      'instance/*': 'instances are created, tagged and terminated only with the tags kubernetes.io/cluster/<cluster>=owned, eks:eks-cluster-name and karpenter.sh/nodepool (request- or resource-tag conditions)',
      'fleet/*': 'fleets are created only with the request tags kubernetes.io/cluster/<cluster>=owned, eks:eks-cluster-name and karpenter.sh/nodepool',
      'volume/*': 'volumes are created only with RunInstances/CreateFleet and the cluster ownership request tags',
      'network-interface/*': 'network interfaces are created only with RunInstances/CreateFleet and the cluster ownership request tags',
      'spot-instances-request/*': 'spot requests are created only through CreateFleet with the cluster ownership request tags',
    };
    for (const [resource, why] of Object.entries(lifecycleResources)) {
      const owner = resource === 'image/*' || resource === 'snapshot/*' ? '' : '*';
      GatewayCompliance.acknowledge(nodeLifecycle, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${region}:${owner}:${resource}]`,
        `Karpenter chooses instance types, AMIs and subnets at run time, so EC2 resource ARNs cannot be listed in advance; ${why}. `
        + `The ARN is limited to the stack's Region. ${upstream}`);
    }
    GatewayCompliance.acknowledge(iamIntegration, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::${account}:instance-profile/*]`,
      'iam:GetInstanceProfile is read-only and limited to instance profiles of this account; Karpenter reads the instance profile an '
      + 'EC2NodeClass names to validate it, and the name is only known to Karpenter at run time. From the Karpenter getting-started template.');
    GatewayCompliance.acknowledge(discovery, 'AwsSolutions-IAM5[Resource::*]',
      'Only read actions: the EC2 Describe* actions (limited to the stack\'s Region by aws:RequestedRegion), pricing:GetProducts and '
      + 'iam:ListInstanceProfiles support no resource-level permissions, so IAM requires Resource "*". Karpenter uses them to discover '
      + 'instance types, spot prices, AMIs, subnets and security groups. Statements of the Karpenter getting-started template.');
    GatewayCompliance.acknowledge(discovery, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}::parameter/aws/service/*]`,
      'ssm:GetParameter on the public AWS service parameters (/aws/service/*) only, in the stack\'s Region: Karpenter resolves EKS '
      + 'optimized AMI ids from these public parameters. No parameter of this account is readable. From the Karpenter getting-started template.');
  }
}
