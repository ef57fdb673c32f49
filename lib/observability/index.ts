export * from './gateway-observability';
export * from './gateway-queries';
