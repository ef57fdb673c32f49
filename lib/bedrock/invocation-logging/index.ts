export * from './model-invocation-logging';
