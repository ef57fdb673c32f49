export * from './prompt-registry';
