// Simulate: the issue's required run, `byodkim simulate --domains 50 --days 1095 --dns-mode mixed
// --faults 0.1 --people 0.05 --seed 1` (people and operators: the harsh default world), through the built
// CLI (bin/byodkim.js → dist/); the simulation's scale in that world — domain-years per second and peak
// memory at 50, 200 and 1,000 domains (days chosen so that each run takes well under a minute here); and
// a one-domain year for the fixed cost (start-up and the key pool's RSA generation). Each run must end
// with exit 0 (0 violations, 0 unsigned minutes caused by the engine, every key rotated in time): a row
// whose run fails is reported as FAILED, never as a time, and the module fails once every row has run.
// Peak memory is the process's max RSS (GNU time). The required run is measured once (minutes here).
import { formatRow, measureCommand } from './harness.mjs';

export const name = 'simulate (node bin/byodkim.js simulate; target for this 2-core machine)';

/** The harsh default world: mixed DNS modes, 10% faults, people and operators at 0.05 per domain-day. */
const harsh = (domains, days) => [
  'bin/byodkim.js',
  'simulate',
  '--domains',
  String(domains),
  '--days',
  String(days),
  '--dns-mode',
  'mixed',
  '--faults',
  '0.1',
  '--people',
  '0.05',
  '--seed',
  '1',
];

/** Domains × days of each scale row: about the same simulated work per row, so that rows compare. */
export const SCALE = [
  { domains: 50, days: 365 },
  { domains: 200, days: 90 },
  { domains: 1000, days: 18 },
];

/** Measures one row; a run that fails (exit ≠ 0: a violation) is reported, and fails the module at the end. */
function row(failures, log, label, measure, format) {
  try {
    log(format(measure()));
  } catch (error) {
    failures.push(label);
    log(`${label.padEnd(44)} FAILED: ${String(error instanceof Error ? error.message : error).split('\n')[0]}`);
  }
}

export async function run({ root, log }) {
  const failures = [];
  for (const { domains, days } of SCALE) {
    const label = `${domains} domains × ${days} days, harsh`;
    const domainYears = (domains * days) / 365;
    row(
      failures,
      log,
      label,
      () => measureCommand('node', harsh(domains, days), { cwd: root, runs: 3 }),
      (result) => `${formatRow(label, result)}   ${(domainYears / (result.wallMs / 1000)).toFixed(2)} domain-years/s`,
    );
  }
  const required = '50 domains × 1095 days, harsh (required)';
  row(
    failures,
    log,
    required,
    () => measureCommand('node', harsh(50, 1095), { cwd: root, runs: 1 }),
    (result) =>
      `${formatRow(required, result, '< 60 s')}   ${(150 / (result.wallMs / 1000)).toFixed(2)} domain-years/s`,
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
  const fixed = '1 domain × 365 days (fixed cost)';
  row(
    failures,
    log,
    fixed,
    () => measureCommand('node', small, { cwd: root, runs: 3 }),
    (result) => formatRow(fixed, result),
  );
  if (failures.length) throw new Error(`simulate exited non-zero (violations) for: ${failures.join('; ')}`);
}
