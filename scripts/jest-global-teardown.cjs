// jest's globalTeardown: removes the run's test key pairs (see jest-global-setup.cjs).
const { rmSync } = require('node:fs');
const path = require('node:path');

module.exports = async function afterTests() {
  const file = process.env.BYODKIM_TEST_KEY_FILE;
  if (file) rmSync(path.dirname(file), { recursive: true, force: true });
};
