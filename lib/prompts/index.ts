export * from './prompt-registry';
export * from './prompt-canary-rollback';
