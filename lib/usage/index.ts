export * from './bedrock-prices';
export * from './self-hosted-price';
export * from './usage-table';
export * from './usage-sweeper';
