/**
 * The example platform: what `npx cdk synth` builds. Two stacks:
 * - `AiGatewayInvocationLogging`: Bedrock model invocation logging for the account and Region
 *   (an account-wide setting, so it lives in its own stack);
 * - `AiGatewayExample`: the gateway — two tenants on different tiers, a route on a cross-region
 *   inference profile with the guardrail, a route on a foundation model, each tenant with its own
 *   application inference profiles.
 *
 * Synthesizes offline with no AWS credentials; every compliance pack runs on it and the synth
 * fails on any finding that is neither fixed nor acknowledged with a reason.
 */
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { AiGateway, GatewayCompliance, LatencyClass, ModelInvocationLogging, ModelSource, Sensitivity } from '../lib';

/** Adds the example stacks to `app` (a new App when none is given) and returns it. */
export function buildExampleApp(app: App = new App()): App {
  // Offline synthesis has no account; the Region is fixed so that the template is the same on
  // every machine (override with `-c region=eu-west-1`).
  const env = { region: String(app.node.tryGetContext('region') ?? 'us-east-1') };

  const logging = new Stack(app, 'AiGatewayInvocationLogging', {
    env,
    description: 'cdk-ai-gateway example: Bedrock model invocation logging (account and Region wide)',
  });
  new ModelInvocationLogging(logging, 'InvocationLogging', { keyPrefix: 'bedrock-invocations' });

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
    ],
    autoRouting: [
      { alias: 'classify', latencyClasses: [LatencyClass.BATCH], description: 'Batch work goes to the cheapest model' },
      { alias: 'support-summary', description: 'Everything else' },
    ],
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
