// A consumer's CDK app, as a platform engineer writes it after `npm install cdk-ai-gateway`: the
// library is loaded from the installed package (the `npm pack` tarball), never from this
// repository's sources. Four stacks: a network stack with the VPC, Bedrock model invocation
// logging, the self-hosted models and the gateway; every compliance pack runs on them.
//
//   node app.js <cloud assembly dir>   prints one JSON line: { cdkVersion, passed, findings, ... }
'use strict';
const { App, Stack } = require('aws-cdk-lib');
const apigateway = require('aws-cdk-lib/aws-apigateway');
const ec2 = require('aws-cdk-lib/aws-ec2');
const iam = require('aws-cdk-lib/aws-iam');
const kms = require('aws-cdk-lib/aws-kms');
const logs = require('aws-cdk-lib/aws-logs');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const {
  AiGateway, ComplianceReport, GatewayCompliance, ModelInvocationLogging, ModelSource, ModelWeights, SelfHostedModels,
} = require('cdk-ai-gateway');

const outdir = process.argv[2];
const app = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
GatewayCompliance.addPacks(app);
const env = { region: 'us-east-1' };

// The network stack: a VPC with flow logs, NAT gateways in public subnets that assign no public IPs.
const network = new Stack(app, 'Network', { env });
const vpc = new ec2.Vpc(network, 'Vpc', {
  maxAzs: 2,
  natGateways: 2,
  subnetConfiguration: [
    { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
    { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
  ],
});
// Flow logs in a log group encrypted with a key whose grants only AWS services may create
// (Control Tower CT.KMS.PR.3), delivered by a role whose permissions are a managed policy (no inline policy).
const flowLogKey = new kms.Key(network, 'FlowLogKey', { enableKeyRotation: true, description: 'Encrypts the VPC flow logs' });
flowLogKey.addToResourcePolicy(new iam.PolicyStatement({
  effect: iam.Effect.DENY,
  principals: [new iam.AnyPrincipal()],
  actions: ['kms:CreateGrant'],
  resources: ['*'],
  conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
}));
flowLogKey.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${env.region}.amazonaws.com`));
const flowLogs = new logs.LogGroup(network, 'FlowLogs', { encryptionKey: flowLogKey, retention: logs.RetentionDays.ONE_YEAR });
const flowLogRole = new iam.Role(network, 'FlowLogRole', { assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com') });
new iam.ManagedPolicy(network, 'FlowLogPolicy', {
  roles: [flowLogRole],
  statements: [
    new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [flowLogs.logGroupArn] }),
    new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [flowLogRole.roleArn] }),
  ],
});
vpc.addFlowLog('FlowLog', {
  destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs, flowLogRole.withoutPolicyUpdates()),
  trafficType: ec2.FlowLogTrafficType.ALL,
});
for (const id of ['NIST.800.53.R5-VPCDefaultSecurityGroupClosed', 'HIPAA.Security-VPCDefaultSecurityGroupClosed', 'PCI.DSS.321-VPCDefaultSecurityGroupClosed']) {
  GatewayCompliance.acknowledge(vpc.node.defaultChild, id, 'No resource of this platform uses the default security group: the '
    + 'gateway, the cluster and the load balancers each have their own groups, and AWS Config remediation closes the default group.');
}
for (const subnet of vpc.publicSubnets) {
  for (const id of ['NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW', 'HIPAA.Security-VPCNoUnrestrictedRouteToIGW', 'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW']) {
    GatewayCompliance.acknowledge(subnet.node.findChild('DefaultRoute'), id, 'This public subnet holds only the NAT gateway of its '
      + 'Availability Zone, which needs a default route to the internet gateway; public IPs are not assigned on launch.');
  }
}

// Bedrock model invocation logging: an account-and-Region-wide setting, in its own stack.
const logging = new Stack(app, 'InvocationLogging', { env });
const invocationLogging = new ModelInvocationLogging(logging, 'InvocationLogging', { keyPrefix: 'bedrock-invocations' });

// The self-hosted models in the network stack's VPC.
const models = new Stack(app, 'Models', { env });
const selfHosted = new SelfHostedModels(models, 'SelfHosted', {
  clusterProps: { vpc },
  models: [{
    name: 'llama-8b',
    modelId: 'meta-llama/Llama-3.1-8B-Instruct',
    instanceType: 'g6.xlarge',
    weights: ModelWeights.fromHuggingFace({
      tokenSecret: secretsmanager.Secret.fromSecretNameV2(models, 'HuggingFaceToken', 'cdk-ai-gateway/hugging-face-token'),
    }),
    tokensPerSecond: 400,
  }],
});

// Until the library acknowledges it for the cluster's own functions: Control Tower CT.LAMBDA.PR.3
// cannot resolve the Fn::ImportValue subnet ids of a VPC from the network stack.
const kubectlProvider = selfHosted.node.findAll().find((c) => c.node.id === 'KubectlProvider');
GatewayCompliance.acknowledge(kubectlProvider, 'CT.LAMBDA.PR.3', 'The kubectl functions of aws-eks-v2 run in the private subnets '
  + 'of the network stack VPC, imported with Fn::ImportValue, which the Control Tower rule cannot resolve; NIST, HIPAA and PCI DSS '
  + 'LambdaInsideVPC pass on the same functions.');

// The gateway in the same VPC, with the self-hosted model as a route target.
const gatewayStack = new Stack(app, 'Gateway', { env });
const gateway = new AiGateway(gatewayStack, 'Gateway', {
  tiers: [
    { name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 100_000, period: apigateway.Period.MONTH } },
    { name: 'premium', rateLimit: 50, burstLimit: 100 },
  ],
  tenants: [
    { id: 'acme', costCenter: 'cc-1001', tier: 'premium', budget: { monthlyUsd: 500, dailyUsd: 50 } },
    { id: 'globex', costCenter: 'cc-2002', tier: 'standard', allowedAliases: ['classify'] },
  ],
  routes: [
    { alias: 'classify', model: ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false },
    { alias: 'chat-8b', targets: ['llama-8b'], fallbackAliases: ['classify'], guardrail: false },
  ],
  vpc,
  selfHostedTargets: selfHosted.targets,
});

const report = ComplianceReport.synthesize(app);
const rejected = GatewayCompliance.reviewAcknowledgments(app).filter((a) => a.problem !== undefined);

// Which aws-cdk-lib every loaded module used: one copy, or constructs from two copies were mixed.
const cdkLibRoots = [...new Set(Object.keys(require.cache)
  .map((file) => /^(.*[\\/]node_modules[\\/]aws-cdk-lib)[\\/]/.exec(file)?.[1])
  .filter((root) => root !== undefined))];
// The runtime of each of the library's own functions, as synthesized.
const runtimeOf = (fn) => Stack.of(fn).resolve(fn.node.defaultChild.runtime);
const runtimes = {
  router: runtimeOf(gateway.router.function),
  authorizer: runtimeOf(gateway.authorizer.handler),
  invocationLogging: runtimeOf(invocationLogging.handler),
};
process.stdout.write(`${JSON.stringify({
  cdkVersion: require('aws-cdk-lib/package.json').version,
  gatewayPackage: require.resolve('cdk-ai-gateway'),
  cdkLibRoots,
  passed: report.passed,
  findings: report.findings.length,
  acknowledged: report.acknowledgedFindings.length,
  formatted: report.passed ? '' : report.formatFindings(),
  rejectedAcknowledgments: rejected.map((a) => `${a.findingId} at ${a.constructPath}: ${a.problem}`),
  runtimes,
})}\n`);
