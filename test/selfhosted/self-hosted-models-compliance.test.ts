import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ComplianceReport, SelfHostedModels } from '../../lib';
import { expectAcknowledgmentsJustified, synthWithCompliance } from '../helpers/compliance';

// Real synthesis with every compliance pack: allow for a loaded, shared CI host.
jest.setTimeout(300_000);

describe('compliance of SelfHostedModels with TLS, the image cache and GPU observability', () => {
  let report: ComplianceReport;
  let models: SelfHostedModels;

  beforeAll(() => {
    report = synthWithCompliance((app: App) => {
      const stack = new Stack(app, 'Models', { env: { account: '111122223333', region: 'us-east-1' } });
      models = new SelfHostedModels(stack, 'SelfHosted', {
        models: [{ name: 'llama-8b', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6e.xlarge', tokensPerSecond: 400, restrictedAllowed: true }],
        tls: {
          domainName: 'models.internal.example.com',
          certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111122223333:certificate/0f0e0d0c-0b0a-0908-0706-050403020100'),
        },
        imageCache: { dockerHubCredentials: secretsmanager.Secret.fromSecretNameV2(stack, 'DockerHub', 'ecr-pullthroughcache/docker-hub') },
      });
    });
  });

  test('the packs ran', () => {
    expect(report.pluginFailures).toEqual([]);
    expect(report.packs.length).toBeGreaterThanOrEqual(6);
  });

  test('no unacknowledged finding on any resource of the construct', () => {
    expect(report.findings.filter((f) => f.constructPath.startsWith('Models/SelfHosted/')).map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
  });

  test('the TLS listener needs no certificate acknowledgment, and every acknowledgment has a reason', () => {
    const acknowledged = report.acknowledgedFindings.filter((f) => f.constructPath.startsWith('Models/SelfHosted/Endpoint0/LoadBalancer/Listener'));
    expect(acknowledged.map((f) => f.findingId)).toEqual([]);
    expectAcknowledgmentsJustified(models);
  });
});
