// The shared gateway configuration module: types, validation and the authorizer contract, used by
// both the construct library (lib/) and the router Lambda (lambda/router/). Dependency-free.
export * from './config';
export * from './config-retrieval';
export * from './config-capabilities';
export * from './config-surface';
export * from './config-restricted';
export * from './config-validation';
export * from './validator';
export * from './authorizer-context';
export * from './config-tracing';
