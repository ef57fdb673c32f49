/**
 * Fixture apps of self-hosted-models-compliance.test.ts, synthesized once per run by the shared
 * synthesis (test/helpers/synthesis). Not a test file: the synthesis server loads it with its TypeScript require hook.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { SelfHostedModels } from '../../lib';

/** `SelfHostedModels` with TLS on the endpoint, the image cache and GPU observability. */
export function selfHostedModelsTlsApp(app: App): void {
  const stack = new Stack(app, 'Models', { env: { account: '111122223333', region: 'us-east-1' } });
  new SelfHostedModels(stack, 'SelfHosted', {
    models: [{ name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6e.xlarge', tokensPerSecond: 400, restrictedAllowed: true }],
    tls: {
      domainName: 'models.internal.example.com',
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0b0a-0908-0706-050403020100'),
    },
    imageCache: { dockerHubCredentials: secretsmanager.Secret.fromSecretNameV2(stack, 'DockerHub', 'ecr-pullthroughcache/docker-hub') },
  });
}
