import { App } from 'aws-cdk-lib';
import { GpuAmiFamily } from '../../../lib/selfhosted/karpenter/gpu-node-pool';
import { Karpenter } from '../../../lib/selfhosted/karpenter/karpenter';
import { clusterStack } from './fixtures';

/** Apps the shared synthesis builds for karpenter-compliance.test.ts (test/helpers/synthesis). */

/** Karpenter alone in a stack with a cluster, with two GPU node pools (AL2023 and Bottlerocket). */
export function karpenterApp(app: App): void {
  const { cluster, stack } = clusterStack({ app });
  const karpenter = new Karpenter(stack, 'Karpenter', { cluster });
  karpenter.addGpuNodePool('Inference');
  karpenter.addGpuNodePool('Bottlerocket', { amiFamily: GpuAmiFamily.BOTTLEROCKET });
}
