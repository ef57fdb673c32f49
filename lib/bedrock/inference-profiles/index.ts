export * from './model-source';
export * from './tenant-inference-profiles';
