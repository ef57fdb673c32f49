/**
 * The example platform: what `npx cdk synth` builds. Two stacks:
 * - `AiGatewayInvocationLogging`: Bedrock model invocation logging for the account and Region
 *   (an account-wide setting, so it lives in its own stack);
 * - `AiGatewaySelfHosted`: the self-hosted route — an EKS cluster with private endpoint, Karpenter
 *   GPU capacity (on-demand, spot as overflow), Llama 3.1 8B Instruct on vLLM autoscaled by KEDA
 *   (two replicas at least), behind an internal load balancer that admits only the router (TLS on
 *   443 with `-c selfHostedCertificateArn=... -c selfHostedDomain=...`), with GPU metrics, capacity
 *   waste rules, alerts and a Grafana dashboard in Amazon Managed Service for Prometheus;
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
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  AiGateway, GatewayCompliance, LatencyClass, ModelInvocationLogging, ModelSource, ModelWeights, SelfHostedModels, Sensitivity,
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
  // TLS to the model when a certificate for *.<domain> is given (required for restricted data).
  const certificateArn = app.node.tryGetContext('selfHostedCertificateArn') as string | undefined;
  const domainName = app.node.tryGetContext('selfHostedDomain') as string | undefined;
  const tls = certificateArn && domainName
    ? { domainName, certificate: acm.Certificate.fromCertificateArn(selfHostedStack, 'ModelCertificate', certificateArn) }
    : undefined;
  const selfHosted = new SelfHostedModels(selfHostedStack, 'SelfHosted', {
    tls,
    models: [{
      name: 'llama-8b',
      modelId: 'meta-llama/Llama-3.1-8B-Instruct',
      instanceType: 'g6.xlarge',
      // The default weight source, with a token for this gated model: a one-time Job on the system
      // nodes copies the repository to a KMS-encrypted S3 bucket (token read from this secret,
      // create it first), and every replica loads the weights from S3 — never from Hugging Face.
      // ModelWeights.fromHuggingFace() downloads on every replica instead.
      weights: ModelWeights.fromHuggingFaceViaS3({
        tokenSecret: secretsmanager.Secret.fromSecretNameV2(selfHostedStack, 'HuggingFaceToken', 'cdk-ai-gateway/hugging-face-token'),
        // Pin a commit of the repository for reproducible copies: the S3 prefix follows it.
        revision: 'main',
      }),
      // Checked at synth against the L4's 24 GiB: the model's own 128K context would not fit.
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
