/**
 * The example platform: what `npx cdk synth` builds. Two stacks:
 * - `AiGatewayInvocationLogging`: Bedrock model invocation logging for the account and Region
 *   (an account-wide setting, so it lives in its own stack);
 * - `AiGatewaySelfHosted`: the self-hosted route — an EKS cluster with private endpoint, Karpenter
 *   GPU capacity, Llama 3.1 8B Instruct on vLLM autoscaled by KEDA, behind an internal load
 *   balancer that admits only the router;
 * - `AiGatewayExample`: the gateway — two tenants on different tiers, a route on a cross-region
 *   inference profile with the guardrail, a route on a foundation model, each tenant with its own
 *   application inference profiles, and a route served by the self-hosted model with Bedrock as
 *   its fallback.
 *
 * Synthesizes offline with no AWS credentials; every compliance pack runs on it and the synth
 * fails on any finding that is neither fixed nor acknowledged with a reason.
 */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  AiGateway, GatewayAuditTrail, GatewayCompliance, GatewayEndpointType, LatencyClass, ModelInvocationLogging, ModelSource, ModelWeights, SelfHostedModels, Sensitivity,
} from '../lib';

const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

/** Adds the example stacks to `app` (a new App when none is given) and returns it. */
export function buildExampleApp(app: App = new App()): App {
  // Offline synthesis has no account; the Region is fixed so that the template is the same on
  // every machine (override with `-c region=eu-west-1`).
  const env = { region: String(app.node.tryGetContext('region') ?? 'us-east-1') };
  // The gateway stack imports the self-hosted stack's VPC and endpoints: keep CloudFormation's
  // strong references (an export cannot be removed while imported) unless the user chose otherwise.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined) app.node.setContext(CROSS_STACK_REFERENCES, 'strong');

  const logging = new Stack(app, 'AiGatewayInvocationLogging', {
    env,
    description: 'cdk-ai-gateway example: Bedrock model invocation logging (account and Region wide)',
  });
  new ModelInvocationLogging(logging, 'InvocationLogging', { keyPrefix: 'bedrock-invocations' });

  const selfHostedStack = new Stack(app, 'AiGatewaySelfHosted', {
    env,
    description: 'cdk-ai-gateway example: Llama 3.1 8B Instruct on vLLM, EKS GPU nodes from Karpenter, private to the gateway',
  });
  const selfHosted = new SelfHostedModels(selfHostedStack, 'SelfHosted', {
    models: [{
      name: 'llama-8b',
      modelId: 'meta-llama/Llama-3.1-8B-Instruct',
      instanceType: 'g6.xlarge',
      // A gated model: the Hugging Face token is read at pod start from this secret (create it first).
      weights: ModelWeights.fromHuggingFace({
        tokenSecret: secretsmanager.Secret.fromSecretNameV2(selfHostedStack, 'HuggingFaceToken', 'cdk-ai-gateway/hugging-face-token'),
      }),
      maxModelLen: 16_384,
      maxReplicas: 4,
      // Assumed: an L4 serving an 8B model in bf16 at moderate concurrency. Measure yours.
      tokensPerSecond: 400,
    }],
  });

  const stack = new Stack(app, 'AiGatewayExample', {
    env,
    description: 'cdk-ai-gateway example: multi-tenant OpenAI-compatible gateway to Amazon Bedrock',
  });
  const gateway = new AiGateway(stack, 'Gateway', {
    tiers: [
      { name: 'standard', rateLimit: 5, burstLimit: 10, quota: { limit: 100_000, period: apigateway.Period.MONTH } },
      { name: 'premium', rateLimit: 50, burstLimit: 100 },
    ],
    tenants: [
      { id: 'acme', costCenter: 'cc-1001', tier: 'premium', sensitivityClearance: Sensitivity.RESTRICTED, tags: { team: 'payments' } },
      { id: 'globex', costCenter: 'cc-2002', tier: 'standard', allowedAliases: ['support-summary'], budget: { monthlyUsd: 200, dailyUsd: 20, softThresholdPercent: 80 } },
    ],
    routes: [
      {
        alias: 'support-summary',
        model: ModelSource.crossRegionProfile('us.anthropic.claude-haiku-4-5-20251001-v1:0'),
        fallbackAliases: ['classify'],
        guardrail: true,
        description: 'Summaries of support conversations',
      },
      {
        alias: 'classify',
        model: ModelSource.foundationModel('amazon.nova-micro-v1:0'),
        guardrail: false,
        description: 'Cheap, fast classification',
      },
      {
        alias: 'chat-8b',
        targets: ['llama-8b'],
        fallbackAliases: ['classify'],
        guardrail: false,
        description: 'High-volume chat on the self-hosted Llama 3.1 8B; Bedrock when it is unavailable',
      },
    ],
    vpc: selfHosted.vpc,
    selfHostedTargets: selfHosted.targets,
    // `-c privateApi=true`: the API is reachable only through an execute-api VPC endpoint in the
    // VPC, admitted by the API's resource policy; the web ACL and the tenant authorizer stay.
    endpointType: String(app.node.tryGetContext('privateApi')) === 'true' ? GatewayEndpointType.PRIVATE : GatewayEndpointType.REGIONAL,
    autoRouting: [
      { alias: 'classify', latencyClasses: [LatencyClass.BATCH], description: 'Batch work goes to the cheapest model' },
      { alias: 'support-summary', description: 'Everything else' },
    ],
  });
  // The audit trail, for accounts whose organisation trail does not record these: every management
  // event, and who read or changed a tenant key or an incident control (DynamoDB data events).
  new GatewayAuditTrail(stack, 'AuditTrail', {
    tables: [gateway.tenantKeyTable, ...(gateway.incidentControls ? [gateway.incidentControls.table] : [])],
  });
  new CfnOutput(stack, 'IncidentControlsTable', {
    value: gateway.incidentControls!.tableName,
    description: 'cdk-ai-gateway incident <action> --table <this>',
  });
  new CfnOutput(stack, 'BaseUrl', {
    value: gateway.baseUrl,
    description: 'OpenAI-compatible base URL',
  });
  return app;
}

if (require.main === module) {
  const app = new App();
  GatewayCompliance.addPacks(app);
  buildExampleApp(app);
  app.synth();
}
