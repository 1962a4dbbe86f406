/** Two projects: pure unit tests (no I/O) and integration tests that start real services. */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      transform: { '^.+\\.ts$': tsJest },
      testTimeout: 120000,
    },
  ],
};
