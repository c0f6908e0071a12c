/**
 * People and operators in the simulated world. People change SES and DNS behind byodkim's back: the engine
 * repairs what it owns (drift repair, active-record repair), and the unsigned mail that follows is booked
 * to the person, not to the engine. Operators' commands race the scheduled runs through the worker's
 * path: every one is answered (applied, refused or busy), and a year of all of it breaks nothing.
 */
import { HOUR_MS } from '../../../functions/core/time';
import { SIM_OPERATOR_ACTIONS } from '../../../functions/simulation/operators';
import { PERSON_CHANGES } from '../../../functions/simulation/people';
import { keyPoolSize, simulate, type SimulationReport } from '../../../functions/simulation/simulate';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(300_000);

function accountedFor(report: SimulationReport): void {
  const o = report.operators;
  expect(o.issued).toBe(o.applied + o.refused + o.busy);
  for (const action of SIM_OPERATOR_ACTIONS) {
    const t = o.byAction[action];
    expect(t.issued).toBe(t.applied + t.refused + t.busy);
  }
  expect(o.issued).toBe(SIM_OPERATOR_ACTIONS.reduce((n, a) => n + o.byAction[a].issued, 0));
}

describe('people who change SES and DNS by hand', () => {
  let report: SimulationReport;
  const policies: Record<string, number> = {};

  beforeAll(async () => {
    report = await simulate({
      domains: 6,
      days: 200,
      dnsMode: 'mixed',
      faults: 0,
      seed: 3,
      people: 0.1,
      keyPairs: testPairs(POOL + 2),
      trace: (_domain, _at, line) => {
        const policy = /^v\d+ (\w+)/.exec(line)?.[1];
        if (policy) policies[policy] = (policies[policy] ?? 0) + 1;
      },
    });
  });

  it('make changes of every kind that applies', () => {
    expect(report.people.changes).toBeGreaterThan(50);
    for (const kind of PERSON_CHANGES.filter((k) => k.startsWith('ses-') || k.endsWith('-active')))
      expect(report.people.byKind[kind]).toBeGreaterThan(5);
  });

  it('are repaired by the engine: drift repair and active-record repair', () => {
    expect(policies.repairDrift).toBeGreaterThan(10);
    expect(policies.repairActiveRecord).toBeGreaterThan(10);
    expect(report.violations).toMatchObject({ total: 0 });
  });

  it('cause unsigned minutes that are theirs, not the engine’s', () => {
    expect(report.unsignedMinutesByCause.engine).toBe(0);
    expect(report.unsignedMinutesByCause.person).toBeGreaterThan(0);
    expect(report.unsignedMinutes).toBe(report.unsignedMinutesByCause.person);
  });

  it('leave mail unsigned until the engine reacts (at most a schedule period), then for the repair', () => {
    // The change is invisible until the domain's next run (≤ 6 h, plus run time); then the repair where
    // byodkim writes DNS: the write, the receivers' cache time (the zone's negative TTL) and SES's
    // re-verification, followed up every 5 minutes.
    const reaction = (6 * HOUR_MS + 15 * 60_000) / 60_000;
    for (const mode of ['route53', 'delegated', 'external'] as const) {
      expect(report.personUnsigned.maxPerEpisode[mode]!.untilReaction).toBeLessThanOrEqual(reaction);
      expect(report.personUnsigned.reactionMinutes[mode]!.max).toBeLessThanOrEqual(reaction);
    }
    for (const mode of ['route53', 'delegated'] as const) {
      expect(report.personUnsigned.maxPerEpisode[mode]!.repair).toBeLessThanOrEqual(3 * 60);
      expect(report.personUnsigned.maxPerEpisode[mode]!.dnsTeam).toBe(0);
    }
    // External: the DNS team puts the record back (hours after the urgent request, sometimes wrongly first).
    expect(report.personUnsigned.maxPerEpisode.external!.dnsTeam).toBeGreaterThan(0);
    expect(report.checks[11]).toBeGreaterThan(10);
  });
});

describe('operators whose commands race the scheduled runs', () => {
  it('are answered, every one (applied, refused or busy), retried when they lose a race', async () => {
    const report = await simulate({
      domains: 6,
      days: 200,
      dnsMode: 'mixed',
      faults: 0.05,
      seed: 4,
      operators: 0.1,
      // As many pooled keys as `simulate` itself takes for this many operator rotations (keyPoolSize): with
      // the 5 of the other tests, a domain rotating every few days is handed a pair again while the key
      // that had it is still in its grace period — two keys with one public key, which the checker (rightly)
      // reports when the first is destroyed.
      keyPairs: testPairs(keyPoolSize({ operators: 0.1, days: 200 }) + 2),
    });
    accountedFor(report);
    for (const action of SIM_OPERATOR_ACTIONS) expect(report.operators.byAction[action].issued).toBeGreaterThan(0);
    expect(report.operators.byAction.revoke.applied).toBeGreaterThan(0);
    expect(report.operators.byAction.disable.applied).toBeGreaterThan(0);
    expect(report.operators.retried).toBeGreaterThan(0);
    expect(report.violations).toMatchObject({ total: 0 });
    expect(report.unsignedMinutesByCause.engine).toBe(0);
    // Disabled signing and compromised keys without a verified successor leave mail unsigned, on purpose.
    expect(report.unsignedMinutesByCause.operator).toBeGreaterThan(0);
    expect(report.checks[9]).toBeGreaterThan(report.checks[5]);
  });
});

describe('half a year of 20 domains with people, operators and faults', () => {
  it('has 0 violations and 0 unsigned minutes caused by the engine, every command accounted for', async () => {
    const report = await simulate({
      domains: 20,
      days: 180,
      dnsMode: 'mixed',
      faults: 0.1,
      seed: 1,
      people: 0.05,
      operators: 0.05,
    });
    expect(report.violations).toMatchObject({ total: 0 });
    expect(report.unsignedMinutesByCause.engine).toBe(0);
    expect(report.keys.rotatedWithinInterval).toBe(true);
    expect(report.people.changes).toBeGreaterThan(100);
    expect(report.casConflicts).toBeGreaterThan(0);
    expect(report.divergentInvocations).toBeGreaterThan(0);
    accountedFor(report);
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9] as const) expect(report.checks[n]).toBeGreaterThan(0);
  });
});
