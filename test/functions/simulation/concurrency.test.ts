/**
 * Concurrency that can diverge: two invocations of one domain where the second loads the state after the
 * first recorded its step (compare-and-swap) but observes the world before the first's actions ran. With
 * the real engine and the real conditional write, they meet compare-and-swap conflicts and break nothing;
 * with the state store's condition switched off, the lost update shows as a violation of invariant 9.
 */
import { simulate, type SimulationOptions } from '../../../functions/simulation/simulate';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(180_000);

const divergent = (extra: Partial<SimulationOptions> = {}) =>
  simulate({
    domains: 3,
    days: 60,
    dnsMode: 'mixed',
    faults: 0,
    seed: 2,
    concurrency: 0.5,
    divergent: 1,
    keyPairs: testPairs(POOL + 2),
    ...extra,
  });

describe('concurrent invocations that start from different reads', () => {
  it('meet compare-and-swap conflicts and break no invariant with the real engine', async () => {
    const report = await divergent();
    expect(report.divergentInvocations).toBeGreaterThan(100);
    expect(report.divergentInvocations).toBe(report.concurrentInvocations);
    expect(report.casConflicts).toBeGreaterThan(0);
    expect(report.violations).toMatchObject({ total: 0 });
    expect(report.unsignedMinutesByCause.engine).toBe(0);
    expect(report.rotations.firstActivations).toBe(3);
    expect(report.checks[9]).toBeGreaterThan(0);
  });

  it('show a lost update (invariant 9) when the state store writes without its condition', async () => {
    const report = await divergent({
      adjustWorld: (world) => {
        world.stateStore.conditional = false;
      },
    });
    expect(report.casConflicts).toBe(0);
    expect(report.violations.byInvariant['9']).toBeGreaterThan(0);
    expect(report.violations.sample).toContainEqual(
      expect.objectContaining({
        invariant: 9,
        message: expect.stringMatching(/an earlier write was overwritten \(a lost compare-and-swap\)/),
      }),
    );
  });

  it('twins started at the same instant are still simulated (at-least-once delivery)', async () => {
    const report = await divergent({ divergent: 0 });
    expect(report.concurrentInvocations).toBeGreaterThan(100);
    expect(report.divergentInvocations).toBe(0);
    expect(report.violations.total).toBe(0);
  });
});
