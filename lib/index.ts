// The public API of cdk-ai-gateway: an explicit list of exports.
export * from '../lambda/shared';
export * from './bedrock/inference-profiles';
export * from './bedrock/guardrails';
export * from './bedrock/invocation-logging';
export * from './gateway/tenant-keys';
export * from './compliance/compliance-pack';
export * from './compliance/gateway-compliance';
export * from './compliance/ai-gateway-checks';
export * from './compliance/compliance-report';
export * from './gateway/gateway-api';
export * from './gateway/gateway-web-acl';
export * from './gateway/gateway-router';
export * from './gateway/ai-gateway';
export * from './usage/bedrock-prices';
export * from './usage/self-hosted-price';
export * from './usage/usage-table';
export * from './observability';
