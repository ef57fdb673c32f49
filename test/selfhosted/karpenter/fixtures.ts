import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';

export const CLUSTER_NAME = 'gpu-cluster';

/** A stack with an aws-eks-v2 cluster (kubectl v36 layer), as the Karpenter tests need one. */
export function clusterStack(options: { app?: App; clusterName?: string | null } = {}): { app: App; stack: Stack; cluster: eks.Cluster } {
  const app = options.app ?? new App();
  const stack = new Stack(app, 'KarpenterTest', { env: { account: '111122223333', region: 'us-east-1' } });
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_34,
    ...(options.clusterName === null ? {} : { clusterName: options.clusterName ?? CLUSTER_NAME }),
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    kubectlProviderOptions: { kubectlLayer: new KubectlV36Layer(stack, 'Kubectl') },
  });
  return { app, stack, cluster };
}
