import { App } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Keda, ModelWeights, PrometheusSource, VllmModel } from '../../../lib/selfhosted/vllm';
import { clusterStack } from './fixtures';

/** Apps the shared synthesis builds for vllm-compliance.test.ts (test/helpers/synthesis). */

/** KEDA, managed Prometheus and three models (Hugging Face, S3, and the default S3 copy of Hugging Face weights) on a plain cluster. */
export function vllmApp(app: App): void {
  const { stack, cluster } = clusterStack(app);
  const keda = new Keda(stack, 'Keda', { cluster });
  const metrics = PrometheusSource.managed(stack, 'Metrics', { cluster, keda });
  new VllmModel(stack, 'Llama', {
    cluster, name: 'llama', modelId: 'meta-llama/Llama-3.1-8B-Instruct', instanceType: 'g6.xlarge',
    weights: ModelWeights.fromHuggingFace({ tokenSecret: new secretsmanager.Secret(stack, 'HfToken') }), autoscaling: { prometheus: metrics, keda },
  });
  const bucket = new s3.Bucket(stack, 'Weights', { encryptionKey: new kms.Key(stack, 'BucketKey', { enableKeyRotation: true }) });
  new VllmModel(stack, 'Qwen', { cluster, name: 'qwen', instanceType: 'g6.12xlarge', weights: ModelWeights.fromS3(bucket, 'models/qwen/'), autoscaling: { prometheus: metrics, keda } });
  // The default weights: an S3 copy of the Hugging Face repository, made once by a Job.
  new VllmModel(stack, 'Staged', { cluster, name: 'staged', modelId: 'Qwen/Qwen2.5-7B-Instruct', instanceType: 'g6.xlarge', autoscaling: { prometheus: metrics, keda } });
}
