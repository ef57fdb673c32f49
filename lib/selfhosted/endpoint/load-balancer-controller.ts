import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { AiGatewayValidationError } from '../../private/errors';
import { PodIdentityRole } from '../pod-identity-role';
import { CapacityMode } from '../eks/self-hosted-cluster';
import { systemPlacement } from '../scheduling';

/** Which IAM policy the AWS Load Balancer Controller gets. */
export enum LoadBalancerControllerPolicy {
  /**
   * Only what binding pods to existing target groups needs (`TargetGroupBinding` without
   * `networking`): upstream's documented "IAM permission subset for those who use
   * TargetGroupBinding only and don't plan to use the AWS Load Balancer Controller to manage
   * security group rules" (docs/deploy/installation.md), with the target group writes scoped to
   * the target groups handed to `allowTargetGroup`. The controller cannot create load balancers,
   * target groups or security group rules: Services of type `LoadBalancer` and Ingresses stay
   * with whatever handled them before.
   */
  TARGET_GROUP_BINDING_ONLY = 'target-group-binding-only',
  /**
   * The controller's full published policy (`docs/install/iam_policy.json` of the pinned version):
   * the controller may create and delete ALBs/NLBs, target groups and security groups for
   * Ingresses and Services of type `LoadBalancer` anywhere in the account. Choose it only when
   * the cluster needs those features too.
   */
  FULL = 'full',
}

/** Properties of {@link AwsLoadBalancerController}. */
export interface AwsLoadBalancerControllerProps {
  /** The cluster to install the controller on; it needs the `eks-pod-identity-agent` add-on. */
  readonly cluster: eks.ICluster;

  /**
   * The VPC of the cluster, passed to the controller so it need not read it from the instance
   * metadata service (which IMDSv2 with hop limit 1 hides from pods).
   * @default - the cluster's VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The IAM policy of the controller.
   * @default LoadBalancerControllerPolicy.TARGET_GROUP_BINDING_ONLY
   */
  readonly policy?: LoadBalancerControllerPolicy;

  /**
   * Controller replicas (leader election makes one active; the other takes over at once).
   * @default 2
   */
  readonly replicas?: number;

  /**
   * The Helm chart version. The IAM policies are those of controller
   * `AwsLoadBalancerController.APP_VERSION`: compare upstream's `docs/install/iam_policy.json`
   * before you change it.
   * @default AwsLoadBalancerController.CHART_VERSION
   */
  readonly chartVersion?: string;

  /**
   * Who provides the cluster's nodes; it decides where the controller's pods run (the system node
   * group, or EKS Auto Mode's built-in pools).
   * @default CapacityMode.KARPENTER
   */
  readonly capacityMode?: CapacityMode;
}

// Upstream's TargetGroupBinding-only subset (kubernetes-sigs/aws-load-balancer-controller
// docs/deploy/installation.md, "IAM permission subset for those who use TargetGroupBinding only"):
// the read actions support no resource-level permissions; the writes are scoped per target group.
const TGB_DESCRIBE_ACTIONS = [
  'ec2:DescribeVpcs',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeInstances',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
];
const TGB_TARGET_GROUP_ACTIONS = [
  'elasticloadbalancing:ModifyTargetGroup',
  'elasticloadbalancing:ModifyTargetGroupAttributes',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:DeregisterTargets',
];

const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';

/**
 * The statements of the controller's published policy for v3.2.2 (not re-checked against v3.5.0's:
 * compare before relying on `LoadBalancerControllerPolicy.FULL` for Ingresses or Services)
 * (kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json`; the same document
 * aws-cdk-lib 2.276.0 ships as `aws-eks-v2/lib/addons/alb-iam_policy-v3.2.2.json`), with
 * upstream's conditions and the partition taken from the stack.
 */
function fullPolicyStatements(): iam.PolicyStatement[] {
  const arn = (resource: string): string => `arn:${Aws.PARTITION}:${resource}`;
  const lbArns = [
    arn('elasticloadbalancing:*:*:targetgroup/*/*'),
    arn('elasticloadbalancing:*:*:loadbalancer/net/*/*'),
    arn('elasticloadbalancing:*:*:loadbalancer/app/*/*'),
  ];
  const s = (actions: string[], resources: string[], conditions?: { [op: string]: { [key: string]: unknown } }): iam.PolicyStatement =>
    new iam.PolicyStatement({ actions, resources, conditions });
  return [
    s(['iam:CreateServiceLinkedRole'], ['*'], { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } }),
    s([
      'ec2:DescribeAccountAttributes', 'ec2:DescribeAddresses', 'ec2:DescribeAvailabilityZones', 'ec2:DescribeInternetGateways',
      'ec2:DescribeVpcs', 'ec2:DescribeVpcPeeringConnections', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
      'ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeTags', 'ec2:GetCoipPoolUsage',
      'ec2:DescribeCoipPools', 'ec2:GetSecurityGroupsForVpc', 'ec2:DescribeIpamPools', 'ec2:DescribeRouteTables',
      'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeListenerCertificates',
      'elasticloadbalancing:DescribeSSLPolicies', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups',
      'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetHealth',
      'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTrustStores',
      'elasticloadbalancing:DescribeListenerAttributes', 'elasticloadbalancing:DescribeCapacityReservation',
    ], ['*']),
    s([
      'cognito-idp:DescribeUserPoolClient', 'acm:ListCertificates', 'acm:DescribeCertificate', 'iam:ListServerCertificates',
      'iam:GetServerCertificate', 'waf-regional:GetWebACL', 'waf-regional:GetWebACLForResource', 'waf-regional:AssociateWebACL',
      'waf-regional:DisassociateWebACL', 'wafv2:GetWebACL', 'wafv2:GetWebACLForResource', 'wafv2:AssociateWebACL',
      'wafv2:DisassociateWebACL', 'shield:GetSubscriptionState', 'shield:DescribeProtection', 'shield:CreateProtection',
      'shield:DeleteProtection',
    ], ['*']),
    s(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'], ['*']),
    s(['ec2:CreateSecurityGroup'], ['*']),
    s(['ec2:CreateTags'], [arn('ec2:*:*:security-group/*')], {
      StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' },
      Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'false' },
    }),
    s(['ec2:CreateTags', 'ec2:DeleteTags'], [arn('ec2:*:*:security-group/*')], {
      Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'true', [`aws:ResourceTag/${CLUSTER_TAG}`]: 'false' },
    }),
    s(['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'], ['*'], {
      Null: { [`aws:ResourceTag/${CLUSTER_TAG}`]: 'false' },
    }),
    s(['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:CreateTargetGroup'], ['*'], {
      Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'false' },
    }),
    s(['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DeleteRule'], ['*']),
    s(['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'], lbArns, {
      Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'true', [`aws:ResourceTag/${CLUSTER_TAG}`]: 'false' },
    }),
    s(['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'], [
      arn('elasticloadbalancing:*:*:listener/net/*/*/*'),
      arn('elasticloadbalancing:*:*:listener/app/*/*/*'),
      arn('elasticloadbalancing:*:*:listener-rule/net/*/*/*'),
      arn('elasticloadbalancing:*:*:listener-rule/app/*/*/*'),
    ]),
    s([
      'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:SetIpAddressType',
      'elasticloadbalancing:SetSecurityGroups', 'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:DeleteLoadBalancer',
      'elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:ModifyListenerAttributes',
      'elasticloadbalancing:ModifyCapacityReservation', 'elasticloadbalancing:ModifyIpPools',
    ], ['*'], { Null: { [`aws:ResourceTag/${CLUSTER_TAG}`]: 'false' } }),
    s(['elasticloadbalancing:AddTags'], lbArns, {
      StringEquals: { 'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'] },
      Null: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'false' },
    }),
    s(['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'], [arn('elasticloadbalancing:*:*:targetgroup/*/*')]),
    s(['elasticloadbalancing:SetWebAcl', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:AddListenerCertificates',
      'elasticloadbalancing:RemoveListenerCertificates', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities'], ['*']),
  ];
}

/**
 * The AWS Load Balancer Controller, installed with its Helm chart on the system nodes, with its
 * AWS permissions delivered through EKS Pod Identity (no OIDC provider, no service account
 * annotation). By default it may only register and deregister pods in the target groups you hand
 * to `allowTargetGroup`: the load balancers themselves are CloudFormation resources (see
 * `PrivateModelEndpoint`).
 *
 * aws-eks-v2's own `AlbController` is not used because it needs a concrete `Cluster` (not
 * `ICluster`), always creates an IRSA service account (OIDC provider) and always attaches the
 * full policy.
 *
 * @example
 * const controller = new AwsLoadBalancerController(this, 'Lbc', { cluster });
 */
export class AwsLoadBalancerController extends Construct {
  /**
   * The pinned controller version (aws/eks-charts chart `aws-load-balancer-controller` appVersion).
   * v3.5.0 (aws/eks-charts automated release of the v3 line, which third-party distributions
   * ship for Kubernetes 1.35 and 1.36). The TargetGroupBinding-only permissions are upstream's
   * documented subset; `LoadBalancerControllerPolicy.FULL` keeps the published policy of v3.2.2.
   */
  public static readonly APP_VERSION = 'v3.5.0';
  /**
   * The pinned chart version of `aws-load-balancer-controller` in https://aws.github.io/eks-charts
   * (since controller v3 the chart version equals the controller version, as aws-cdk-lib's
   * `AlbControllerVersion.V3_2_2` pairs chart 3.2.2 with v3.2.2).
   */
  public static readonly CHART_VERSION = '3.5.0';
  /**
   * The controller release whose published `docs/install/iam_policy.json` `LoadBalancerControllerPolicy.FULL`
   * grants (the newest aws-cdk-lib 2.276.0 ships, `aws-eks-v2/lib/addons/alb-iam_policy-v3.2.2.json`).
   */
  public static readonly FULL_POLICY_VERSION = 'v3.2.2';
  /** The Helm repository of the chart. */
  public static readonly CHART_REPOSITORY = 'https://aws.github.io/eks-charts';
  /** The chart name. */
  public static readonly CHART_NAME = 'aws-load-balancer-controller';

  /** The namespace the controller runs in. */
  public readonly controllerNamespace: string = 'kube-system';
  /** The controller's service account, created by the chart and bound to `role` by Pod Identity. */
  public readonly serviceAccountName: string = 'aws-load-balancer-controller';
  /** The controller's IAM role (trusted by `pods.eks.amazonaws.com`). */
  public readonly role: iam.IRole;
  /** The Helm release; Kubernetes objects that use the controller's CRDs depend on it. */
  public readonly chart: eks.HelmChart;
  /** The IAM policy mode. */
  public readonly policyMode: LoadBalancerControllerPolicy;

  private readonly policy: iam.ManagedPolicy;
  private readonly allowedTargetGroups = new Set<string>();

  constructor(scope: Construct, id: string, props: AwsLoadBalancerControllerProps) {
    super(scope, id);
    const replicas = props.replicas ?? 2;
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 10) {
      throw new AiGatewayValidationError(`replicas must be an integer from 1 to 10, received ${replicas}.`, this);
    }
    this.policyMode = props.policy ?? LoadBalancerControllerPolicy.TARGET_GROUP_BINDING_ONLY;
    if (!Object.values(LoadBalancerControllerPolicy).includes(this.policyMode)) {
      throw new AiGatewayValidationError(`policy must be one of ${Object.values(LoadBalancerControllerPolicy).join(', ')}, received ${String(props.policy)}.`, this);
    }
    const chartVersion = props.chartVersion ?? AwsLoadBalancerController.CHART_VERSION;
    if (!/^\d+\.\d+\.\d+$/.test(chartVersion)) {
      throw new AiGatewayValidationError(`chartVersion must be a chart version such as ${AwsLoadBalancerController.CHART_VERSION}, received '${chartVersion}'.`, this);
    }
    const cluster = props.cluster;
    const vpc = props.vpc ?? cluster.vpc;

    const role = new PodIdentityRole(this, 'Role', {
      cluster,
      namespace: this.controllerNamespace,
      serviceAccount: this.serviceAccountName,
      description: `AWS Load Balancer Controller ${AwsLoadBalancerController.APP_VERSION} (EKS Pod Identity, ${this.controllerNamespace}/${this.serviceAccountName})`,
    });
    this.role = role;
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `AWS Load Balancer Controller ${AwsLoadBalancerController.APP_VERSION}: ${this.policyMode === LoadBalancerControllerPolicy.FULL
        ? `the published policy of ${AwsLoadBalancerController.FULL_POLICY_VERSION}` : 'TargetGroupBinding only'}`,
      roles: [role],
      statements: this.policyMode === LoadBalancerControllerPolicy.FULL
        ? fullPolicyStatements()
        : [new iam.PolicyStatement({ actions: TGB_DESCRIBE_ACTIONS, resources: ['*'] })],
    });
    this.acknowledgeFindings();

    const association = role.association;
    const placement = systemPlacement(props.capacityMode === CapacityMode.AUTO_MODE);

    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster,
      chart: AwsLoadBalancerController.CHART_NAME,
      repository: AwsLoadBalancerController.CHART_REPOSITORY,
      version: chartVersion,
      release: 'aws-load-balancer-controller',
      namespace: this.controllerNamespace,
      wait: true,
      timeout: Duration.minutes(15),
      values: {
        clusterName: cluster.clusterName,
        region: Stack.of(this).region,
        vpcId: vpc.vpcId,
        replicaCount: replicas,
        serviceAccount: { create: true, name: this.serviceAccountName },
        nodeSelector: placement.nodeSelector,
        ...(placement.tolerations.length > 0 ? { tolerations: placement.tolerations } : {}),
        // Without this the controller's webhook claims every new Service of type LoadBalancer,
        // which the TargetGroupBinding-only policy cannot serve.
        enableServiceMutatorWebhook: this.policyMode === LoadBalancerControllerPolicy.FULL,
        ...(replicas > 1 ? { podDisruptionBudget: { maxUnavailable: 1 } } : {}),
      },
    });
    // The pods must find their Pod Identity association (and its policy) when they start.
    this.chart.node.addDependency(association, this.policy);
  }

  /**
   * Lets the controller register and deregister targets in `targetGroup` (and modify it, as
   * upstream's TargetGroupBinding subset allows). With the full policy this is already allowed.
   * Calling it again for the same target group does nothing.
   */
  public allowTargetGroup(targetGroup: elbv2.ITargetGroup): void {
    if (this.policyMode === LoadBalancerControllerPolicy.FULL) return;
    const key = Stack.of(this).resolve(targetGroup.targetGroupArn) as unknown;
    const id = JSON.stringify(key);
    if (this.allowedTargetGroups.has(id)) return;
    this.allowedTargetGroups.add(id);
    this.policy.addStatements(new iam.PolicyStatement({ actions: TGB_TARGET_GROUP_ACTIONS, resources: [targetGroup.targetGroupArn] }));
  }

  private acknowledgeFindings(): void {
    const policy = this.policy;
    if (this.policyMode === LoadBalancerControllerPolicy.FULL) {
      GatewayCompliance.acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
        `The full policy is upstream's published iam_policy.json of AWS Load Balancer Controller ${AwsLoadBalancerController.FULL_POLICY_VERSION}, `
        + 'chosen with policy: LoadBalancerControllerPolicy.FULL: its Describe/Get actions support no resource-level permissions, '
        + 'and its create and delete actions on load balancers, target groups and security groups are conditioned by upstream on the '
        + `${CLUSTER_TAG} request or resource tag. The default TARGET_GROUP_BINDING_ONLY mode avoids these statements.`);
      for (const resource of ['arn:<AWS::Partition>:ec2:*:*:security-group/*', 'arn:<AWS::Partition>:elasticloadbalancing:*:*:targetgroup/*/*',
        'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/net/*/*', 'arn:<AWS::Partition>:elasticloadbalancing:*:*:loadbalancer/app/*/*',
        'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/net/*/*/*', 'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener/app/*/*/*',
        'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/net/*/*/*', 'arn:<AWS::Partition>:elasticloadbalancing:*:*:listener-rule/app/*/*/*']) {
        GatewayCompliance.acknowledge(policy, `AwsSolutions-IAM5[Resource::${resource}]`,
          'The controller creates these load balancers, target groups, listeners and security groups at run time for Ingresses and '
          + 'Services, so their names are unknown at deploy time; upstream conditions the tag and delete actions on the '
          + `${CLUSTER_TAG} tag (policy: LoadBalancerControllerPolicy.FULL was chosen).`);
      }
      return;
    }
    GatewayCompliance.acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]',
      `Only the read actions ${TGB_DESCRIBE_ACTIONS.join(', ')} (upstream's TargetGroupBinding-only subset) use Resource "*": `
      + 'EC2 and Elastic Load Balancing support no resource-level permissions for these Describe actions. Target registration is '
      + 'allowed only on the target groups of this library\'s endpoints.');
  }
}
