/** Three projects: pure unit tests (no I/O), the runtimes' conformance suite (in memory) and integration tests that start real services. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }];

/** @type {import('jest').Config} */
module.exports = {
  // A global option: Jest ignores testTimeout inside a project entry. Integration suites start real
  // services (platform, CouchDB, Redis, Kafka) in their hooks.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: '<rootDir>/test/helpers/no-leaks-environment.ts',
      roots: ['<rootDir>/test/unit'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      // The same workflows through both runtimes and the bare core, in memory (test/conformance/).
      displayName: 'conformance',
      testEnvironment: '<rootDir>/test/helpers/no-leaks-environment.ts',
      roots: ['<rootDir>/test/conformance'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'integration',
      testEnvironment: '<rootDir>/test/helpers/no-leaks-environment.ts',
      roots: ['<rootDir>/test/integration'],
      // Installs Redis and Kafka when missing (each test file starts its own servers); the teardown
      // fails the run if a process it started is still running.
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
      transform: { '^.+\\.ts$': tsJest },
    },
  ],
};
