// A consumer's CDK app, as a platform engineer writes it after `npm install cdk-ai-gateway`: the
// library is loaded from the installed package (the `npm pack` tarball), never from this
// repository's sources. Four stacks: a network stack with the VPC, Bedrock model invocation
// logging, the self-hosted models and the gateway; every compliance pack runs on them.
//
//   node app.js <cloud assembly dir>   prints one JSON line: { cdkVersion, passed, findings, ... }
'use strict';
const { App, Stack } = require('aws-cdk-lib');
const apigateway = require('aws-cdk-lib/aws-apigateway');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const {
  AiGateway, ComplianceReport, GatewayCompliance, GatewayVpc, ModelInvocationLogging, ModelSource, ModelWeights, SelfHostedModels,
} = require('cdk-ai-gateway');

const outdir = process.argv[2];
const app = new App({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': false } });
GatewayCompliance.addPacks(app);
const env = { region: 'us-east-1' };

// The network stack: the library's compliant VPC (flow logs with KMS, private subnets, the endpoints
// the router calls), in a stack of its own so that the models and the gateway stacks depend on it.
const network = new Stack(app, 'Network', { env });
const vpc = new GatewayVpc(network, 'Vpc');

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
