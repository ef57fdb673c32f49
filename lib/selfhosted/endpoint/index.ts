export * from './load-balancer-controller';
export * from './private-model-endpoint';
