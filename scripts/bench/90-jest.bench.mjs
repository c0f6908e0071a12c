// The whole jest suite, as `npm test` runs it after lint and type check (2 runs: it takes a while and
// shares the machine). Peak memory is the largest process (a jest worker or the parent).
import { formatRow, measureCommand } from './harness.mjs';

export const name = 'jest suite';

export async function run({ root, log }) {
  const result = measureCommand('npx', ['jest', '--silent'], { cwd: root, runs: 2 });
  log(formatRow('npx jest (whole suite)', result));
}
