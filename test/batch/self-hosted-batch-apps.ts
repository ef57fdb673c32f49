/**
 * Fixture app of self-hosted-batch.test.ts, synthesized once per run by the shared synthesis
 * (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import { AiGateway, ModelWeights, SelfHostedBatch, SelfHostedModels } from '../../lib';
import { AI_GATEWAY_BASE, ENV } from '../gateway/compliance-apps';

/** One stack: the self-hosted models, a gateway in their VPC with the Batch API, and its self-hosted Jobs. */
export function selfHostedBatchApp(app: App): void {
  const stack = new Stack(app, 'Stack', { env: ENV });
  const selfHosted = new SelfHostedModels(stack, 'SelfHosted', {
    models: [{ name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge', tokensPerSecond: 400 }],
    observability: false,
  });
  const gateway = new AiGateway(stack, 'Gateway', {
    ...AI_GATEWAY_BASE,
    routes: [...AI_GATEWAY_BASE.routes, { alias: 'chat-8b', targets: ['llama-8b'], fallbackAliases: ['classify'] }],
    tenants: [{ id: 'acme', costCenter: 'cc-1', tier: 'standard', allowedAliases: ['summary', 'classify', 'chat-8b'] }],
    vpc: selfHosted.vpc,
    selfHostedTargets: selfHosted.targets,
    batch: {},
  });
  new SelfHostedBatch(stack, 'SelfHostedBatch', {
    batch: gateway.batch!,
    cluster: selfHosted.cluster,
    after: [selfHosted.gpuNodePool.manifest, ...(selfHosted.selfHostedCluster?.systemNodeGroup ? [selfHosted.selfHostedCluster.systemNodeGroup] : [])],
    // The Deployment's weights (the default, copied from Hugging Face to S3): the Jobs load them as its replicas do.
    models: [{
      targetId: 'llama-8b', model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: selfHosted.models[0].servedModelName, instanceType: 'g6.xlarge',
      weights: ModelWeights.fromHuggingFaceViaS3(),
    }],
    idleHours: { startHour: 22, endHour: 6 },
  });
}
