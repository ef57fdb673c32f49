import { App } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ComplianceReport } from '../../../lib';
import { Keda, ModelWeights, PrometheusSource, VllmModel } from '../../../lib/selfhosted/vllm';
import { expectAcknowledgmentsJustified, synthWithCompliance } from '../../helpers/compliance';
import { clusterStack } from './fixtures';

// Real synthesis with every compliance pack: allow for a loaded, shared CI host.
jest.setTimeout(300_000);

describe('compliance of the vLLM constructs', () => {
  let report: ComplianceReport;
  let own: Construct[] = [];
  /** The construct paths this folder owns in the fixture (the cluster is the fixture's, not ours). */
  const OWN = ['Models/Keda/', 'Models/Metrics/', 'Models/Llama/', 'Models/Qwen/', 'Models/VllmShared'];

  beforeAll(() => {
    report = synthWithCompliance((given: App) => {
      const { stack, cluster } = clusterStack(given);
      const keda = new Keda(stack, 'Keda', { cluster });
      const metrics = PrometheusSource.managed(stack, 'Metrics', { cluster, keda });
      const llama = new VllmModel(stack, 'Llama', {
        cluster, name: 'llama', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge',
        weights: ModelWeights.fromHuggingFace({ tokenSecret: new secretsmanager.Secret(stack, 'HfToken') }), autoscaling: { prometheus: metrics, keda },
      });
      const bucket = new s3.Bucket(stack, 'Weights', { encryptionKey: new kms.Key(stack, 'BucketKey', { enableKeyRotation: true }) });
      const qwen = new VllmModel(stack, 'Qwen', { cluster, name: 'qwen', instanceType: 'g6.12xlarge', weights: ModelWeights.fromS3(bucket, 'models/qwen/'), autoscaling: { prometheus: metrics, keda } });
      own = [keda, metrics, llama, qwen, ...stack.node.children.filter((c) => c.node.id.startsWith('VllmShared'))];
    });
  });

  test('the packs ran', () => {
    expect(report.pluginFailures).toEqual([]);
    expect(report.packs.length).toBeGreaterThanOrEqual(6);
  });

  test('no unacknowledged finding on any resource of the vLLM constructs', () => {
    const own = report.findings.filter((f) => OWN.some((p) => f.constructPath.startsWith(p)));
    expect(own.map((f) => `${f.findingId} ${f.constructPath}`)).toEqual([]);
  });

  test('the one acknowledgment is the S3 weights prefix wildcard, with a reason a reviewer accepts', () => {
    const acknowledged = report.acknowledgedFindings.filter((f) => OWN.some((p) => f.constructPath.startsWith(p)));
    expect(acknowledged.map((f) => [f.findingId, f.constructPath])).toEqual([
      [expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Weights[0-9A-F]+\.Arn>\/models\/qwen\/\*\]$/), 'Models/Qwen/PodRole/Policy/Resource'],
    ]);
    for (const construct of own) expectAcknowledgmentsJustified(construct);
    expect(own.length).toBeGreaterThan(4);
  });
});
