/** The package's own suite (also run by the repository's root jest). TypeScript compiled by swc to CommonJS. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  testTimeout: 60000,
  // Every simulator a suite starts checks its answers against AWS's EC2 model; violations fail the suite.
  setupFilesAfterEnv: ['<rootDir>/testing/conformance-setup.ts'],
};
