// The public API of cdk-ai-gateway: an explicit list of exports.
export * from '../lambda/shared';
export * from './bedrock/inference-profiles';
export * from './bedrock/guardrails';
export * from './gateway/tenant-keys';
export * from './bedrock/invocation-logging';
export * from './compliance/compliance-pack';
export * from './compliance/gateway-compliance';
export * from './compliance/ai-gateway-checks';
export * from './compliance/compliance-report';
