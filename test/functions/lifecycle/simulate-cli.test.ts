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

  it('gives the same result for the same seed (wall time aside)', async () => {
    const c = capture();
    expect(await run([...args, '--json'], c.io)).toBe(0);
    const second = JSON.parse(c.out());
    expect({ ...second, wallMs: 0 }).toEqual({ ...first, wallMs: 0 });
  });

  it('gives a different run for another seed', async () => {
    const c = capture();
    await run([...args.slice(0, -1), '8', '--json'], c.io);
    const other = JSON.parse(c.out());
    expect({ ...other, wallMs: 0, seed: 7 }).not.toEqual({ ...first, wallMs: 0 });
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

  it.each([
    [['--dns-mode', 'bind'], '--dns-mode must be one of route53, external, delegated, mixed'],
    [['--faults', '2'], '--faults must be a probability from 0 to 0.5'],
    [['--domains', '0'], '--domains must be an integer from 1 to 999'],
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
