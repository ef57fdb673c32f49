export * from './tenant-key-table';
export * from './tenant-authorizer';
export * from './tenant-usage-plans';
