/** `byodkim simulate`, in process through the dispatcher. */
import { run } from '../../../functions/cli/main';
import { capture } from '../../support/cli';

jest.setTimeout(120_000);

const args = ['simulate', '--domains', '6', '--days', '400', '--dns-mode', 'mixed', '--faults', '0.05', '--seed', '7'];

describe('byodkim simulate', () => {
  let first: Record<string, unknown>;

  it('prints a JSON report with 0 violations and 0 unsigned minutes, and exits 0', async () => {
    const c = capture();
    expect(await run([...args, '--json'], c.io)).toBe(0);
    first = JSON.parse(c.out());
    expect(first).toMatchObject({
      seed: 7,
      domains: 6,
      days: 400,
      dnsMode: 'mixed',
      modes: { route53: 2, external: 2, delegated: 2 },
      violations: { total: 0 },
      unsignedMinutes: 0,
      keys: { rotatedWithinInterval: true },
    });
    const report = first as {
      rotations: { completed: number };
      keys: { maxAgeDays: number };
      aws: { perDomainPerDay: number };
      faultsInjected: number;
    };
    expect(report.rotations.completed).toBeGreaterThanOrEqual(12);
    expect(report.keys.maxAgeDays).toBeLessThanOrEqual(180);
    expect(report.aws.perDomainPerDay).toBeGreaterThan(0);
    expect(report.faultsInjected).toBeGreaterThan(0);
  });

  // Determinism does not depend on the world's size: a 3-domain, 100-day world (one domain per DNS mode, with
  // faults, concurrency and the DNS team all drawing from the seed) proves it at an eighth of the 400-day run.
  const small = ['simulate', '--domains', '3', '--days', '100', '--dns-mode', 'mixed', '--faults', '0.05'];
  let seven: Record<string, unknown>;

  it('gives the same result for the same seed (wall time aside)', async () => {
    const a = capture();
    expect(await run([...small, '--seed', '7', '--json'], a.io)).toBe(0);
    seven = JSON.parse(a.out());
    expect(seven).toMatchObject({ seed: 7, domains: 3, modes: { route53: 1, external: 1, delegated: 1 } });
    expect(seven.faultsInjected).toBeGreaterThan(0);
    const b = capture();
    expect(await run([...small, '--seed', '7', '--json'], b.io)).toBe(0);
    const second = JSON.parse(b.out());
    expect({ ...second, wallMs: 0 }).toEqual({ ...seven, wallMs: 0 });
  });

  it('gives a different run for another seed', async () => {
    const c = capture();
    await run([...small, '--seed', '8', '--json'], c.io);
    const other = JSON.parse(c.out());
    expect({ ...other, wallMs: 0, seed: 7 }).not.toEqual({ ...seven, wallMs: 0 });
  });

  it('prints a readable report', async () => {
    const c = capture();
    expect(
      await run(['simulate', '--domains', '3', '--days', '200', '--dns-mode', 'external', '--seed', '2'], c.io),
    ).toBe(0);
    const text = c.out();
    for (const label of [
      'rotations completed',
      'invariant violations           0',
      'maximum key age',
      'unsigned mail                  0 minutes',
      'DNS requests',
      'reminders / escalations',
      'AWS calls per domain per day',
      'wall time',
    ]) {
      expect(text).toContain(label);
    }
  });

  it('with --people, reports people’s changes, operator commands, conflicts and unsigned minutes by cause', async () => {
    const c = capture();
    const people = [
      'simulate',
      '--domains',
      '3',
      '--days',
      '120',
      '--faults',
      '0.05',
      '--people',
      '0.1',
      '--seed',
      '5',
    ];
    expect(await run([...people, '--json'], c.io)).toBe(0);
    const report = JSON.parse(c.out());
    expect(report.violations.total).toBe(0);
    expect(report.unsignedMinutesByCause.engine).toBe(0);
    expect(report.people.changes).toBeGreaterThan(0);
    const o = report.operators;
    // --operators defaults to --people; every command is accounted for.
    expect(o.issued).toBeGreaterThan(0);
    expect(o.issued).toBe(o.applied + o.refused + o.busy);
    expect(report).toHaveProperty('casConflicts');
    expect(report).toHaveProperty('divergentInvocations');
    expect(Object.keys(report.checks)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
    // People's changes: their unsigned minutes split by phase (until the engine reacted, repair, DNS team).
    const phases = report.personUnsigned.byPhase;
    expect(phases.untilReaction + phases.repair + phases.dnsTeam).toBe(report.unsignedMinutesByCause.person);
    // Operators disable and revoke: invariant 10 checked what SES signed with after them.
    expect(report.checks['10']).toBeGreaterThan(0);
    const t = capture();
    expect(await run(people, t.io)).toBe(0);
    const text = t.out();
    for (const label of [
      'unsigned mail',
      '(engine 0, people',
      'changes made by people',
      'their unsigned minutes',
      'max per episode, ',
      'operator commands',
      'compare-and-swap conflicts',
      'checks per invariant',
    ])
      expect(text).toContain(label);
  });

  it.each([
    [['--people', '2'], '--people must be a probability from 0 to 1'],
    [['--operators', 'x'], '--operators must be a probability from 0 to 1'],
    [['--dns-mode', 'bind'], '--dns-mode must be one of route53, external, delegated, mixed'],
    [['--faults', '2'], '--faults must be a probability from 0 to 0.5'],
    [['--domains', '0'], '--domains must be an integer from 1 to 10000'],
    [['--days', 'ten'], '--days must be an integer'],
  ])('refuses %j with exit 2', async (extra, message) => {
    const c = capture();
    expect(await run(['simulate', ...extra], c.io)).toBe(2);
    expect(c.err()).toContain(message);
  });

  it('is listed by byodkim help', async () => {
    const c = capture();
    await run(['help'], c.io);
    expect(c.out()).toContain('simulate');
  });
});
