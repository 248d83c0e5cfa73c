/** Tests are TypeScript compiled by swc to CommonJS; ESM-only dependencies (middy) are compiled too. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests', '<rootDir>/packages'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  testTimeout: 60000,
  // Every EC2 simulator a suite starts validates its answers against AWS's EC2 model; violations fail the suite.
  setupFilesAfterEnv: ['@vpc-mirror-orchestrator/ec2-sim/testing/conformance-setup'],
  // Integration suites each start their own loopback servers; two workers match the 2-core machines.
  maxWorkers: 2,
};
