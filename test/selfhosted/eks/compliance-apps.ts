import { App, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { CapacityMode, SelfHostedCluster } from '../../../lib';

/** Apps the shared synthesis builds for self-hosted-cluster-compliance.test.ts (test/helpers/synthesis). */

/** Two clusters: a Bottlerocket GPU node group (Karpenter capacity) and EKS Auto Mode. */
export function twoClustersApp(app: App): void {
  new SelfHostedCluster(new Stack(app, 'Karpenter'), 'Models', {
    gpuNodeGroup: { instanceTypes: ['g6e.xlarge'], amiType: eks.NodegroupAmiType.BOTTLEROCKET_X86_64_NVIDIA },
  });
  new SelfHostedCluster(new Stack(app, 'AutoMode'), 'Models', { capacityMode: CapacityMode.AUTO_MODE });
}
