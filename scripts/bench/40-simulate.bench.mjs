// Simulate: the issue's required run, `byodkim simulate --domains 50 --days 1095 --dns-mode mixed
// --faults 0.1 --people 0.05 --seed 1` (people and operators: the harsh default world), through the built
// CLI (bin/byodkim.js → dist/); the simulation's scale in that world — domain-years per second and peak
// memory at 50, 200 and 1,000 domains (days chosen so that each run takes well under a minute here); and
// a one-domain year for the fixed cost (start-up and the key pool's RSA generation). Each run must end
// with exit 0 (0 violations, 0 unsigned minutes caused by the engine, every key rotated in time): a row
// whose run fails is reported as FAILED, never as a time, and the module fails once every row has run.
// Peak memory is the process's max RSS (GNU time). The required run is measured once, with its CPU time
// (user + sys: wall time is noisy on a shared machine) and the figures of its --json summary (violations,
// unsigned minutes by cause, operator commands accounted for, checks per invariant).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  row(failures, log, required, () => requiredRun(root), formatRequired(required));
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

/**
 * The required run, once, with `--json`: wall and CPU time (GNU time's user + sys), peak RSS, and its
 * summary. Throws (a FAILED row) when it exits non-zero, has a violation or an unsigned minute caused by
 * the engine, or does not account for every operator command (issued = applied + refused + busy).
 */
function requiredRun(root) {
  const args = [...harsh(50, 1095), '--json'];
  const timed = existsSync('/usr/bin/time');
  const started = process.hrtime.bigint();
  const result = timed
    ? spawnSync('/usr/bin/time', ['-f', '__TIME__ %U %S %M', 'node', ...args], {
        cwd: root,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      })
    : spawnSync('node', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  let report;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    throw new Error(`exited ${result.status} without a JSON summary: ${String(result.stderr).trim().split('\n')[0]}`);
  }
  const time = /__TIME__ ([\d.]+) ([\d.]+) (\d+)/.exec(result.stderr ?? '');
  const cpuMs = time ? (Number(time[1]) + Number(time[2])) * 1000 : undefined;
  const peakMb = time ? Number(time[3]) / 1024 : undefined;
  const ops = report.operators;
  const problems = [];
  if (result.status !== 0) problems.push(`exit ${result.status}`);
  if (report.violations.total !== 0) problems.push(`${report.violations.total} violation(s)`);
  if (report.unsignedMinutesByCause.engine !== 0)
    problems.push(`${report.unsignedMinutesByCause.engine} unsigned minute(s) caused by the engine`);
  if (ops.issued !== ops.applied + ops.refused + ops.busy)
    problems.push(`operator commands: ${ops.issued} issued ≠ ${ops.applied} + ${ops.refused} + ${ops.busy}`);
  const unchecked = Object.entries(report.checks).filter(([, n]) => n === 0);
  if (unchecked.length) problems.push(`invariant(s) ${unchecked.map(([k]) => k).join(', ')} checked 0 times`);
  if (problems.length) throw new Error(problems.join('; '));
  return { wallMs, cpuMs, peakMb, runs: 1, report };
}

const count = (n) => n.toLocaleString('en-US');

function formatRequired(label) {
  return ({ wallMs, cpuMs, peakMb, runs, report }) => {
    const cpu = cpuMs === undefined ? 'n/a' : `${(cpuMs / 1000).toFixed(2)} s`;
    const ops = report.operators;
    const byCause = report.unsignedMinutesByCause;
    return [
      `${formatRow(label, { wallMs, peakMb, runs }, '< 60 s')}   CPU ${cpu}   ${(150 / (wallMs / 1000)).toFixed(2)} domain-years/s`,
      `${' '.repeat(4)}violations ${report.violations.total}; unsigned minutes: engine ${count(byCause.engine)}, person ${count(byCause.person)}, operator ${count(byCause.operator)}`,
      `${' '.repeat(4)}operator commands ${count(ops.issued)} issued = ${count(ops.applied)} applied + ${count(ops.refused)} refused + ${count(ops.busy)} busy (${count(ops.retried)} retried); CAS conflicts ${count(report.casConflicts)}; people's changes ${count(report.people.changes)}`,
      `${' '.repeat(4)}rotations ${count(report.rotations.completed)}; runs ${count(report.runs)}; AWS calls ${count(report.aws.calls)}; checks ${Object.entries(
        report.checks,
      )
        .map(([k, n]) => `${k}: ${count(n)}`)
        .join(', ')}`,
    ].join('\n');
  };
}
