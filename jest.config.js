/**
 * Two projects: `unit` (no servers, seconds) and `integration` (real PostgreSQL, Redis,
 * RabbitMQ, Elasticsearch, placement, scheduler and sidecars; started by scripts/test.sh).
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
module.exports = {
  // Integration suites share one stack (ports, queues): run files one after another.
  maxWorkers: 1,
  // Integration tests wait for real components (indexing, redelivery, restarts).
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/apps/*/test/**/*.unit.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': tsJest },
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/apps/*/test/**/*.int.test.ts', '<rootDir>/test/security/**/*.test.ts'],
    },
  ],
};
