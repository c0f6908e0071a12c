// Prints one plain closing line after the jest run, e.g. "jest: 420 passed, 0 failed, 0 skipped",
// so CI logs carry the counts in a form any reader (human or tool) can find.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped`;
    process.stdout.write(`\n${line}\n`);
  }
}
module.exports = SummaryReporter;
