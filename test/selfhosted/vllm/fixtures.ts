import { KubectlV36Layer } from '@aws-cdk/lambda-layer-kubectl-v36';
import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';

/** A stack with a plain aws-eks-v2 cluster (kubectl v36 layer), the way users bring their own. */
export function clusterStack(app: App = new App(), id = 'Models'): { stack: Stack; cluster: eks.Cluster } {
  const stack = new Stack(app, id, { env: { account: '111122223333', region: 'us-east-1' } });
  const cluster = new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_33,
    kubectlProviderOptions: { kubectlLayer: new KubectlV36Layer(stack, 'Kubectl') },
  });
  return { stack, cluster };
}
