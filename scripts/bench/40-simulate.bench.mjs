// Simulate: the issue's required run, `byodkim simulate --domains 50 --days 1095 --dns-mode mixed
// --faults 0.05 --seed 1`, through the built CLI (bin/byodkim.js → dist/), plus a one-domain year for the
// fixed cost (start-up and the key pool's RSA generation). Each run must end with exit 0 (0 violations,
// 0 unsigned minutes, every key rotated in time): measureCommand throws otherwise.
import { formatRow, measureCommand } from './harness.mjs';

export const name = 'simulate (node bin/byodkim.js simulate; target for this 2-core machine)';

export async function run({ root, log }) {
  const required = [
    'bin/byodkim.js',
    'simulate',
    '--domains',
    '50',
    '--days',
    '1095',
    '--dns-mode',
    'mixed',
    '--faults',
    '0.05',
    '--seed',
    '1',
  ];
  log(
    formatRow(
      '50 domains × 1095 days, mixed, faults 0.05',
      measureCommand('node', required, { cwd: root, runs: 3 }),
      '< 60 s',
    ),
  );
  const small = [
    'bin/byodkim.js',
    'simulate',
    '--domains',
    '1',
    '--days',
    '365',
    '--dns-mode',
    'route53',
    '--seed',
    '1',
  ];
  log(formatRow('1 domain × 365 days (fixed cost)', measureCommand('node', small, { cwd: root, runs: 3 })));
}
