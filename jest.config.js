/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // jsii compiles lib/ in place: resolve .ts before any stale .js next to it.
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  snapshotSerializers: ['<rootDir>/test/helpers/asset-hash-serializer.js'],
  testTimeout: 60_000,
};
