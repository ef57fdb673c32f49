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
  const OWN = ['Models/Keda/', 'Models/Metrics/', 'Models/Llama/', 'Models/Qwen/', 'Models/Staged/', 'Models/ModelWeightsBucket/', 'Models/VllmShared'];

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
      // The default weights: an S3 copy of the Hugging Face repository, made once by a Job.
      const staged = new VllmModel(stack, 'Staged', { cluster, name: 'staged', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge', autoscaling: { prometheus: metrics, keda } });
      own = [keda, metrics, llama, qwen, staged, ...stack.node.children.filter((c) => c.node.id === 'ModelWeightsBucket'), ...stack.node.children.filter((c) => c.node.id.startsWith('VllmShared'))];
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

  test('the acknowledgments: the S3 weights prefix wildcards, and the weights bucket\'s logging and replication, with reasons a reviewer accepts', () => {
    const acknowledged = report.acknowledgedFindings.filter((f) => OWN.some((p) => f.constructPath.startsWith(p)));
    const bucket = 'Models/ModelWeightsBucket/Bucket/Resource';
    const staged = /^AwsSolutions-IAM5\[Resource::<ModelWeightsBucket[0-9A-F]+\.Arn>\/huggingface\/Qwen\/Qwen2\.5-7B-Instruct\/main\/\*\]$/;
    const expected = [
      [expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Weights[0-9A-F]+\.Arn>\/models\/qwen\/\*\]$/), 'Models/Qwen/PodRole/Policy/Resource'],
      [expect.stringMatching(staged), 'Models/Staged/PodRole/Policy/Resource'],
      [expect.stringMatching(staged), 'Models/Staged/WeightsCopyRole/Policy/Resource'],
      ...['AwsSolutions-S1', 'CT.S3.PR.2', 'CT.S3.PR.4', 'CT.S3.PR.9',
        ...['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].flatMap((p) => [`${p}-S3BucketLoggingEnabled`, `${p}-S3BucketReplicationEnabled`])]
        .map((id) => [id, bucket]),
    ];
    expect(acknowledged).toHaveLength(expected.length);
    expect(acknowledged.map((f) => [f.findingId, f.constructPath])).toEqual(expect.arrayContaining(expected));
    for (const construct of own) expectAcknowledgmentsJustified(construct);
    expect(own.length).toBeGreaterThan(4);
  });
});
