// A consumer that installed only the required peers (no kubectl layer, no cfn-guard validator):
// importing the package must work, and each construct that needs an optional peer must say which
// package to install. Prints one JSON line with what it observed.
'use strict';
const { App, Stack } = require('aws-cdk-lib');
const lambda = require('aws-cdk-lib/aws-lambda');

const loadedOptionalPeers = () => Object.keys(require.cache)
  .filter((file) => /lambda-layer-kubectl-v36|cdk-validator-cfnguard/.test(file));
const errorOf = (fn) => {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e.message;
  }
};

const gw = require('cdk-ai-gateway');
const afterImport = loadedOptionalPeers();

const app = new App();
const stack = new Stack(app, 'Models', { env: { region: 'us-east-1' } });
const kubectlError = errorOf(() => new gw.SelfHostedCluster(stack, 'DefaultLayer'));
const ownLayerError = errorOf(() => new gw.SelfHostedCluster(stack, 'OwnLayer', {
  kubectlLayer: lambda.LayerVersion.fromLayerVersionArn(stack, 'Kubectl', 'arn:aws:lambda:us-east-1:123456789012:layer:kubectl:1'),
}));
const allPacksError = errorOf(() => gw.GatewayCompliance.addPacks(new App()));
const packs = Object.values(gw.CompliancePack).filter((p) => p !== gw.CompliancePack.CONTROL_TOWER);
const otherPacksError = errorOf(() => gw.GatewayCompliance.addPacks(app, { packs }));
// The library's constructs acknowledge Control Tower controls (CT.LAMBDA.PR.3, ...) as they are built.
const gatewayStack = new Stack(app, 'Gateway', { env: { region: 'us-east-1' } });
const gatewayError = errorOf(() => new gw.AiGateway(gatewayStack, 'Gateway', {
  tiers: [{ name: 'standard', rateLimit: 5, burstLimit: 10 }],
  tenants: [{ id: 'acme', costCenter: 'cc-1001', tier: 'standard' }],
  routes: [{ alias: 'classify', model: gw.ModelSource.foundationModel('amazon.nova-micro-v1:0'), guardrail: false }],
}));
const rejected = gw.GatewayCompliance.reviewAcknowledgments(app).filter((a) => a.problem !== undefined);

process.stdout.write(`${JSON.stringify({
  afterImport,
  kubectlError,
  ownLayerError,
  allPacksError,
  otherPacksError,
  gatewayError,
  controlTowerAcknowledgments: gw.GatewayCompliance.reviewAcknowledgments(app).filter((a) => a.findingId.startsWith('CT.')).length,
  rejectedAcknowledgments: rejected.map((a) => `${a.findingId} at ${a.constructPath}: ${a.problem}`),
  loadedAtEnd: loadedOptionalPeers(),
})}\n`);
