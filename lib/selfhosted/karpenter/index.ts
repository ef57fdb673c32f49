export * from './karpenter';
export * from './gpu-node-pool';
export * from './nvidia-device-plugin';
