// jest's globalSetup, once per run before any test file:
// - builds the Lambda bundles (scripts/bundle.mjs), so every test that synthesizes a stack
//   (DkimRotationSchedule reads bundles/<handler>.zip) sees the bundles of the code under test. Unchanged
//   bundles are not rewritten. A handler that does not compile does not stop the other suites: the error
//   is printed, and test/scripts/bundle.test.ts fails on it;
// - makes the RSA key pairs the lifecycle and simulation tests use (test/functions/lifecycle/helpers.ts
//   `testPairs`), once for the whole run instead of six in every file: RSA generation is a random prime
//   search costing about 0.3 s of CPU per key. They are throwaway test keys, written 0600 to a temporary
//   file named by BYODKIM_TEST_KEY_FILE (the workers inherit the variable) and removed by the teardown.
const { generateKeyPair } = require('node:crypto');
const { mkdtempSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');

/** Enough for every file's pool (testPairs asks for at most POOL + 3 = 8, the people tests a few more). */
const TEST_KEY_PAIRS = 24;

async function makeTestKeys() {
  const generate = promisify(generateKeyPair);
  // Generated on libuv's threads, so both cores work while the bundles build.
  const pairs = await Promise.all(
    Array.from({ length: TEST_KEY_PAIRS }, async () => {
      const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      return {
        privateKey: privateKey.export({ type: 'pkcs1', format: 'der' }).toString('base64'),
        publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      };
    }),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'byodkim-test-keys-'));
  const file = path.join(dir, 'pairs.json');
  writeFileSync(file, JSON.stringify(pairs), { mode: 0o600 });
  process.env.BYODKIM_TEST_KEY_FILE = file;
}

module.exports = async function beforeTests() {
  const keys = makeTestKeys();
  const { bundleHandlers } = await import('./bundle.mjs');
  try {
    await bundleHandlers();
  } catch (error) {
    process.stderr.write(
      `\nnpm run bundle failed; tests that synthesize stacks use the bundles left in bundles/:\n${error.message}\n`,
    );
  }
  await keys;
};
