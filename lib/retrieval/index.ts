export * from './tenant-knowledge-base';
