/**
 * Invariant 11: the engine reacts to a person's change that breaks or endangers signing (SES drift, the
 * active record deleted or edited, signing turned off) within one schedule period plus run time — the
 * record written again or SES repaired (route53 / delegated), an urgent request to the DNS team
 * (external). A deliberately slow engine (the real chain, blind to a broken signing path for two schedule
 * periods) is reported; the real engine, in the same world, is not — and a person's unsigned minutes are
 * split into the time until the engine reacted (at most a period), the repair, and the DNS team's time.
 */
import { HOUR_MS, MINUTE_MS } from '../../../functions/core/time';
import { decide } from '../../../functions/lifecycle/decide';
import type { DecideFn } from '../../../functions/lifecycle/reconciler';
import { signingPathBreak } from '../../../functions/lifecycle/signing-path';
import { simulate, type SimulationOptions, type SimulationReport } from '../../../functions/simulation/simulate';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(120_000);

const PERIOD = 6 * HOUR_MS;

/** The real chain, except that it acts on a broken signing path only once it has seen it for two periods. */
function slowEngine(): DecideFn {
  const firstSeen = new Map<string, number>();
  return (spec, state, obs, now) => {
    const broken = signingPathBreak({ spec, state, obs, now });
    if (broken === undefined || broken === 'repair-switch') {
      firstSeen.delete(spec.domain);
      return decide(spec, state, obs, now);
    }
    const since = firstSeen.get(spec.domain) ?? now;
    firstSeen.set(spec.domain, since);
    if (now - since >= 2 * PERIOD) return decide(spec, state, obs, now);
    return {
      policy: 'idle',
      message: `(slow) not looking at the ${broken} yet`,
      next: state,
      actions: [],
      requeueAfterMs: since + 2 * PERIOD - now,
    };
  };
}

/**
 * The real chain, except that a run which could not see the active record on every authoritative server (a
 * lookup timed out) does not look again within minutes: the next look is the next scheduled run.
 */
function blindEngine(): DecideFn {
  return (spec, state, obs, now) => {
    const decision = decide(spec, state, obs, now);
    if (decision.policy !== 'idle' || !/could not be looked up on every authoritative server/.test(decision.message))
      return decision;
    const { requeueAfterMs: _soon, ...rest } = decision;
    return rest;
  };
}

/** route53 domains in a world whose DNS fails often (authoritative servers time out 4% of the time). */
const flakyDns = (seed: number, decideFn?: DecideFn): Promise<SimulationReport> =>
  simulate({
    domains: 4,
    days: 90,
    dnsMode: 'route53',
    faults: 0,
    seed,
    people: 0.3,
    realDns: { failureRate: 0.4 },
    keyPairs: testPairs(POOL + 2),
    ...(decideFn ? { decide: decideFn } : {}),
  });

const world = (mode: SimulationOptions['dnsMode'], decideFn?: DecideFn): Promise<SimulationReport> =>
  simulate({
    domains: 3,
    days: 45,
    dnsMode: mode,
    faults: 0,
    seed: 3,
    people: 0.15,
    keyPairs: testPairs(POOL + 2),
    ...(decideFn ? { decide: decideFn } : {}),
  });

describe("invariant 11: the engine reacts to a person's change within a schedule period", () => {
  it('reports an engine that reacts only after two periods (route53)', async () => {
    const report = await world('route53', slowEngine());
    expect(report.violations.byInvariant['11']).toBeGreaterThan(0);
    expect(report.violations.sample).toContainEqual(
      expect.objectContaining({
        invariant: 11,
        message: expect.stringMatching(/: no reaction by \S+ \(one schedule period and 15 minutes later\)/),
      }),
    );
  });

  it('reports an engine that reacts only after two periods (external: no urgent request in time)', async () => {
    const report = await world('external', slowEngine());
    expect(report.violations.byInvariant['11']).toBeGreaterThan(0);
  });

  it('reports an engine that, after a run that could not see the active record, waits for the next scheduled run', async () => {
    const [blind, real] = await Promise.all([flakyDns(4, blindEngine()), flakyDns(4)]);
    expect(blind.violations.byInvariant['11']).toBeGreaterThan(0);
    // Control: the real engine looks again within 5 minutes and reacts in time in the same world.
    expect(real.violations).toMatchObject({ total: 0 });
    expect(real.checks[11]).toBeGreaterThan(0);
  });

  it.each(['route53', 'external', 'delegated'] as const)(
    'control (%s): the real engine reacts in time; the minutes until it did are at most a period',
    async (mode) => {
      const report = await world(mode);
      expect(report.violations).toMatchObject({ total: 0 });
      expect(report.unsignedMinutesByCause.engine).toBe(0);
      expect(report.checks[11]).toBeGreaterThan(0);
      const bound = (PERIOD + 15 * MINUTE_MS) / MINUTE_MS;
      expect(report.personUnsigned.reactionMinutes[mode]!.max).toBeLessThanOrEqual(bound);
      const max = report.personUnsigned.maxPerEpisode[mode]!;
      expect(max.untilReaction).toBeLessThanOrEqual(bound);
      // Where byodkim writes the record, nobody else is waited for.
      if (mode !== 'external') expect(max.dnsTeam).toBe(0);
      const phases = report.personUnsigned.byPhase;
      expect(phases.untilReaction + phases.repair + phases.dnsTeam).toBe(report.unsignedMinutesByCause.person);
    },
  );
});
