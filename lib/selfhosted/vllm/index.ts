export * from './keda';
export * from './prometheus-source';
export * from './vllm-model';
export { ModelWeights } from './model-weights';
export type { ModelArchitecture } from './model-memory';
export type { HuggingFaceViaS3WeightsOptions, HuggingFaceWeightsOptions } from './model-weights';
export { GpuObservability } from './gpu-observability';
export type { GpuObservabilityProps, ObservedModel } from './gpu-observability';
export { ToolCallParser } from './tool-call-parser';
