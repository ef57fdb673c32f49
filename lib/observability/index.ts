export * from './gateway-observability';
export * from './gateway-queries';
export * from './transaction-search';
