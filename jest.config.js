/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Jest's default is one worker fewer than the cores: a single worker on the 2-core machines this project
  // runs on. Two workers halve the suite's time (many suites wait on moto, Terraform or DNS sockets).
  maxWorkers: 2,
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
  // The Lambda bundles the stacks deploy (bundles/*.zip) and the tests' RSA key pairs, made once per run.
  globalSetup: '<rootDir>/scripts/jest-global-setup.cjs',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.cjs',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
};
