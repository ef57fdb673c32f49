export * from './keda';
export * from './prometheus-source';
export * from './vllm-model';
export { ModelWeights, AWS_CLI_IMAGE } from './model-weights';
export type { HuggingFaceWeightsOptions } from './model-weights';
