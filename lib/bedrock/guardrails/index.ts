export * from './pii-entity-type';
export * from './gateway-guardrail';
