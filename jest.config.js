const { availableParallelism, cpus } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // jsii compiles lib/ in place: resolve .ts before any stale .js next to it.
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // esbuild, transpile only (test/helpers/esbuild-transform.js): CommonJS output, so the lazy
  // `import()` of the AWS SDK clients (lambda/router) becomes `require` here; esbuild keeps it for
  // code splitting in the bundles. test/helpers/synthesis/server.js loads TypeScript the same way.
  transform: { '^.+\\.ts$': '<rootDir>/test/helpers/esbuild-jest.js' },
  // jest-runtime with V8's code cache kept across the test files of a worker: each file compiles the
  // same modules (AWS SDK, dynalite, the router) again otherwise.
  runtime: '<rootDir>/test/helpers/code-cache-runtime.js',
  // Relative ESM-style specifiers (`import('./x.js')`, as tsc requires for a dynamic import) name the .ts source.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.js'],
  setupFilesAfterEnv: ['<rootDir>/test/helpers/synthesis/test-settings.ts'],
  // One process synthesizes every shared fixture app once per run (test/helpers/synthesis, CONTRIBUTING.md).
  globalSetup: '<rootDir>/test/helpers/synthesis/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/synthesis/global-teardown.js',
  // Jest's default (cores - 1) runs everything in one process on a 2-core machine. One worker more
  // than cores: a compliance suite's worker sits idle while the synthesis server works for it.
  maxWorkers: (availableParallelism ?? (() => cpus().length))() + 1,
  testTimeout: 60_000,
};
