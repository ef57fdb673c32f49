export * from './approvals-table';
