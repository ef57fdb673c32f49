export * from './gateway-vpc';
