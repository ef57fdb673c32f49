import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { GatewayCompliance } from '../../compliance/gateway-compliance';
import { flattenValue } from '../../compliance/rules/iam-statements';
import { acknowledgeCustomResourceFunctionFindings, acknowledgeImportedSubnets, acknowledgeLatestNodeRuntimeLag } from '../../private/function-compliance';

/** Why each AWS managed policy that aws-eks-v2 or this construct attaches is acceptable. */
const MANAGED_POLICY_REASONS: { readonly [name: string]: string } = {
  'AmazonEKSClusterPolicy': 'The EKS cluster service role must carry AmazonEKSClusterPolicy: EKS documents it as the '
    + 'permission set of the cluster IAM role and updates it when the control plane needs new EC2 and ELB actions.',
  'AmazonEKSComputePolicy': 'EKS Auto Mode documents AmazonEKSComputePolicy as a required policy of the cluster role: '
    + 'Auto Mode launches and terminates the managed instances of its node pools with it, scoped by EKS-owned tags.',
  'AmazonEKSBlockStoragePolicy': 'EKS Auto Mode documents AmazonEKSBlockStoragePolicy as a required policy of the cluster role: '
    + 'its managed EBS CSI capability creates and attaches volumes with it, scoped by EKS-owned tags.',
  'AmazonEKSLoadBalancingPolicy': 'EKS Auto Mode documents AmazonEKSLoadBalancingPolicy as a required policy of the cluster role: '
    + 'its managed load balancer capability creates load balancers for Services and Ingresses with it.',
  'AmazonEKSNetworkingPolicy': 'EKS Auto Mode documents AmazonEKSNetworkingPolicy as a required policy of the cluster role: '
    + 'its managed VPC CNI capability creates and attaches the network interfaces of pods with it.',
  'AmazonEKSWorkerNodePolicy': 'Worker nodes must carry AmazonEKSWorkerNodePolicy to register with the cluster and to '
    + 'exchange Pod Identity tokens; EKS documents it as a required policy of the node IAM role and maintains its action list.',
  'AmazonEKS_CNI_Policy': 'The managed vpc-cni add-on assigns pod IP addresses with the node role; AmazonEKS_CNI_Policy is '
    + 'the EC2 network interface action set EKS documents and maintains for it.',
  'AmazonEC2ContainerRegistryReadOnly': 'Nodes and the kubectl handler pull container images and Helm charts from Amazon ECR; '
    + 'AmazonEC2ContainerRegistryReadOnly grants only ECR read and authorization-token actions, no push or delete.',
  'AmazonElasticContainerRegistryPublicReadOnly': 'The kubectl handler pulls Helm charts from Amazon ECR Public (for example '
    + 'Karpenter from public.ecr.aws); aws-eks-v2 attaches this read-only policy only in the aws partition, and it grants no write action.',
  'service-role/AWSLambdaVPCAccessExecutionRole': 'aws-eks-v2 attaches AWSLambdaVPCAccessExecutionRole to its kubectl functions, '
    + 'which run in the private subnets to reach the private API endpoint: Lambda manages their network interfaces with it and '
    + 'they write their logs with it.',
  'service-role/AWSLambdaBasicExecutionRole': 'The custom resource framework function of the aws-eks-v2 kubectl provider writes '
    + 'its CloudWatch logs with AWSLambdaBasicExecutionRole, which grants only log group, log stream and log event writes.',
};

/**
 * Acknowledges, each on the resource that has it, the findings that `aws-eks-v2` resources raise
 * and this construct cannot change: AWS managed policies of the EKS service, node and kubectl
 * roles, the settings of the two kubectl provider functions that aws-cdk-lib builds, and the
 * custom resource framework's inline policy.
 */
export function acknowledgeClusterFindings(scope: IConstruct): void {
  for (const node of scope.node.findAll()) {
    if (node instanceof iam.CfnRole) acknowledgeManagedPolicies(node);
  }
  const cluster = scope.node.tryFindChild('Cluster');
  const encryption = cluster?.node.defaultChild;
  if (encryption instanceof CfnResource) {
    GatewayCompliance.acknowledge(encryption, 'CloudFormation-Validate::W9009',
      'EncryptionConfig Resources ["secrets"] is how the EKS CreateCluster API enables KMS envelope encryption of '
      + 'Kubernetes secrets (secrets is its only supported value); the CloudFormation schema marks the property deprecated, '
      + 'but without it the cluster would store secrets without the customer-managed key.');
  }
  const provider = cluster?.node.tryFindChild('KubectlProvider');
  if (!provider) return;
  const handler = provider.node.tryFindChild('Handler')?.node.defaultChild;
  const framework = provider.node.tryFindChild('Provider')?.node.tryFindChild('framework-onEvent');
  const frameworkFn = framework?.node.defaultChild;

  for (const fn of [handler, frameworkFn]) {
    if (!(fn instanceof lambda.CfnFunction)) continue;
    acknowledgeCustomResourceFunctionFindings(fn, {
      invocation: 'during deployment, through the aws-eks-v2 custom resource provider, to apply Kubernetes manifests and Helm charts',
    });
    // Both run in the cluster's private subnets: in a VPC of another stack, CT.LAMBDA.PR.3 cannot see them.
    acknowledgeImportedSubnets(fn);
  }
  if (handler instanceof CfnResource) {
    const runtime = 'aws-cdk-lib builds the kubectl handler from its bundled Python code with '
      + 'Runtime.determineLatestPythonRuntime, the newest Python runtime its AWS CLI and kubectl layers are built for; '
      + 'replacing it would run the handler on a runtime that aws-cdk-lib does not test with those layers.';
    GatewayCompliance.acknowledge(handler, 'AwsSolutions-L1', runtime);
    GatewayCompliance.acknowledge(handler, 'Serverless-LambdaLatestVersion', runtime);
  }
  if (frameworkFn instanceof lambda.CfnFunction) {
    acknowledgeLatestNodeRuntimeLag(frameworkFn, {
      subject: 'the aws-eks-v2 custom resource framework function',
      job: 'The function only relays CloudFormation events to the kubectl handler',
    });
  }
  if (frameworkFn instanceof CfnResource) {
    GatewayCompliance.acknowledge(frameworkFn, 'Serverless-LambdaDefaultMemorySize', 'The custom resource framework function of '
      + 'aws-cdk-lib only forwards each CloudFormation event to the kubectl handler and relays its answer; aws-cdk-lib offers '
      + 'no memory setting for it, and the 128 MB default is ample for forwarding one small JSON event.');
  }
  const frameworkPolicy = framework?.node.tryFindChild('ServiceRole')?.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
  if (frameworkPolicy instanceof iam.CfnPolicy) {
    const inline = 'The custom resource framework role of aws-cdk-lib, which offers no way to replace it, holds one inline '
      + 'policy: lambda:InvokeFunction on the kubectl handler of this cluster only. It belongs to that role alone and is '
      + 'created and deleted with it.';
    for (const id of ['NIST.800.53.R5-IAMNoInlinePolicy', 'HIPAA.Security-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy']) {
      GatewayCompliance.acknowledge(frameworkPolicy, id, inline);
    }
    const handlerFn = provider.node.tryFindChild('Handler')?.node.defaultChild;
    if (handlerFn instanceof CfnResource) {
      const arn = `<${Stack.of(handlerFn).getLogicalId(handlerFn)}.Arn>:*`;
      GatewayCompliance.acknowledge(frameworkPolicy, `AwsSolutions-IAM5[Resource::${arn}]`, 'The framework function invokes the '
        + 'kubectl handler of this cluster, by its ARN; the :* suffix covers that function\'s versions and aliases only, which '
        + 'lambda:InvokeFunction needs for qualified invocations. No other function is granted.');
    }
  }
}

/** Acknowledges AwsSolutions-IAM4 for each AWS managed policy of `role` that has a reason above. */
function acknowledgeManagedPolicies(role: iam.CfnRole): void {
  const arns: unknown = Stack.of(role).resolve(role.managedPolicyArns);
  if (!Array.isArray(arns)) return;
  for (const arn of arns) {
    const rendered = typeof arn === 'object' && arn !== null && 'Fn::If' in arn ? JSON.stringify(arn) : flattenValue(arn);
    const match = /:iam::aws:policy\/([\w/+=,.@-]+)/.exec(rendered);
    const reason = match ? MANAGED_POLICY_REASONS[match[1]] : undefined;
    if (reason) GatewayCompliance.acknowledge(role, `AwsSolutions-IAM4[Policy::${rendered}]`, reason);
  }
}
