// jest's globalSetup: builds the Lambda bundles (scripts/bundle.mjs) once, before any test file runs, so
// every test that synthesizes a stack (DkimRotationSchedule reads bundles/<handler>.zip) sees the bundles
// of the code under test. Unchanged bundles are not rewritten. A handler that does not compile does not stop
// the other suites: the error is printed, and test/scripts/bundle.test.ts fails on it.
module.exports = async function bundleBeforeTests() {
  const { bundleHandlers } = await import('./bundle.mjs');
  try {
    await bundleHandlers();
  } catch (error) {
    process.stderr.write(
      `\nnpm run bundle failed; tests that synthesize stacks use the bundles left in bundles/:\n${error.message}\n`,
    );
  }
};
