/**
 * Tests are TypeScript compiled by swc to CommonJS; ESM-only dependencies (middy) are compiled too.
 * Three projects, by what a test needs (`npm test` runs all; `npm run test:unit` only the first, in seconds):
 * - unit: pure code, no process or socket;
 * - integration: the real SDK over HTTP against dynalite and the EC2 simulator, the local Lambda runtime, the CLI,
 *   the packaged template;
 * - system: the whole product at once (the sandbox, the chaos runs, the model-based test).
 */
const shared = {
  testEnvironment: 'node',
  // Every EC2 simulator a suite starts validates its answers against AWS's EC2 model; violations fail the suite.
  setupFilesAfterEnv: ['@vpc-mirror-orchestrator/ec2-sim/testing/conformance-setup'],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
};

/** Pure tests outside tests/unit: properties of the slot policy, the sweep order, the token bucket, settings parsing. */
const PURE_RELIABILITY = [
  '<rootDir>/tests/reliability/ledger-slots.property.test.ts',
  '<rootDir>/tests/reliability/sweep-order.property.test.ts',
  '<rootDir>/tests/reliability/token-bucket.property.test.ts',
  '<rootDir>/tests/reliability/sweep-settings.test.ts',
];

module.exports = {
  // Fails the run at once, naming the fix, when jest was started on a Node older than the one we deploy.
  globalSetup: '<rootDir>/tests/support/require-node-24.cjs',
  testTimeout: 60000,
  // Integration suites each start their own loopback servers; two workers match the 2-core machines.
  maxWorkers: 2,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/tests/unit/**/*.test.ts', ...PURE_RELIABILITY] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/packages/*/tests/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/tests/unit/',
        '<rootDir>/tests/sandbox/',
        '<rootDir>/tests/chaos/',
        '<rootDir>/tests/model/',
        ...PURE_RELIABILITY,
      ],
    },
    {
      ...shared,
      displayName: 'system',
      testMatch: ['<rootDir>/tests/sandbox/**/*.test.ts', '<rootDir>/tests/chaos/**/*.test.ts', '<rootDir>/tests/model/**/*.test.ts'],
    },
  ],
};
