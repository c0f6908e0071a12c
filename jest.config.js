/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
  // The Lambda bundles the stacks deploy (bundles/*.zip), built once per run.
  globalSetup: '<rootDir>/scripts/jest-global-setup.cjs',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};
