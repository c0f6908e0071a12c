/**
 * Every safety policy is needed: the real chain with that one policy removed (or broken in one place), in a
 * seeded world where the policy matters, makes the simulation report a failure — and the same world with
 * the real engine reports none (the control). Each faulty engine is built from the real chain
 * (`decideWith(POLICIES …)`), so the only difference from the control is the policy under test.
 *
 * What "reports a failure" means is stated per case: a violation of a numbered invariant (design.md §4)
 * where the checker has one for what the policy protects, otherwise the figure of the report that fails
 * `byodkim simulate` (unsigned minutes caused by the engine). Drift repair and active-record repair are
 * proved by invariant 11: the engine reacts to a person's change that breaks or endangers signing within
 * one schedule period (plus run time).
 *
 * The compromise hold (holdCompromisedKey) and signing-off enforcement (enforceSigningOff) are proved by
 * invariant 10: after an acknowledged `disable`, SES signs with no byodkim key (until an acknowledged
 * `enable`); after an acknowledged `revoke`, never with the revoked key — from the end of the domain's
 * first run that starts after the acknowledgement and completes.
 */
import { TransientError } from '../../../functions/core/errors';
import type { DomainSpec } from '../../../functions/core/spec';
import { HOUR_MS } from '../../../functions/core/time';
import { POLICIES, decide, decideWith } from '../../../functions/lifecycle/decide';
import { isAuthoritative, type Observations } from '../../../functions/lifecycle/observations';
import type { Policy } from '../../../functions/lifecycle/policy';
import type { DecideFn } from '../../../functions/lifecycle/reconciler';
import type { DomainState } from '../../../functions/lifecycle/state';
import {
  keyPoolSize,
  simulate,
  type SimulationOptions,
  type SimulationReport,
} from '../../../functions/simulation/simulate';
import type { World } from '../../../functions/simulation/world';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(120_000);

/** The real chain without the named policy. */
function without(name: string): DecideFn {
  expect(POLICIES.map((p) => p.name)).toContain(name);
  return decideWith(POLICIES.filter((p) => p.name !== name));
}

/** The real chain with the named policy's `run` wrapped (broken in one place). */
function breaking(name: string, wrap: (run: Policy['run']) => Policy['run']): DecideFn {
  expect(POLICIES.map((p) => p.name)).toContain(name);
  return decideWith(POLICIES.map((p) => (p.name === name ? { ...p, run: wrap(p.run) } : p)));
}

function run(options: Omit<SimulationOptions, 'faults' | 'keyPairs'> & { faults?: number }): Promise<SimulationReport> {
  return simulate({ faults: 0, keyPairs: testPairs(POOL + 2), ...options });
}

/** Short rotations (route53): a rotation every 8 days, a 3-day grace period. */
const shortRotations = (spec: DomainSpec): DomainSpec => ({
  ...spec,
  rotation: { ...spec.rotation, intervalDays: 12, renewBeforeDays: 4, graceDays: 3 },
});

function clean(report: SimulationReport): void {
  expect(report.violations).toMatchObject({ total: 0 });
  expect(report.unsignedMinutesByCause.engine).toBe(0);
}

function violated(report: SimulationReport, invariant: number, message: RegExp): void {
  expect(report.violations.byInvariant[String(invariant)]).toBeGreaterThan(0);
  expect(report.violations.sample).toContainEqual(
    expect.objectContaining({ invariant, message: expect.stringMatching(message) }),
  );
}

describe('verification on every authoritative server (verifyRecord / activateVerifiedKey)', () => {
  // External mode, secondaries that lag the primary by up to two days: the DNS team's record reaches the
  // primary (and the public resolvers, which ask it) long before the secondaries.
  const world = (decideFn?: DecideFn) =>
    run({
      domains: 2,
      days: 12,
      dnsMode: 'external',
      seed: 3,
      realDns: { maxLagMs: 48 * HOUR_MS },
      ...(decideFn ? { decide: decideFn } : {}),
    });

  it('an engine that sees only one authoritative server switches SES too early: invariant 1', async () => {
    // The real chain, given the observations of the first authoritative server only (resolvers kept).
    const oneServer: DecideFn = (spec, state, obs, now) => {
      const records: Record<string, Observations['records'][string]> = {};
      for (const [name, o] of Object.entries(obs.records)) {
        const first = o.answers.find(isAuthoritative);
        records[name] = { ...o, answers: o.answers.filter((a) => !isAuthoritative(a) || a === first) };
      }
      return decide(spec, state, { ...obs, records }, now);
    };
    violated(
      await world(oneServer),
      1,
      /^SES was given selector \S+ while the authoritative servers \(authoritative:ns\d: nxdomain\)/,
    );
  });

  it('control: the real engine waits for every server', async () => {
    clean(await world());
  });
});

describe('the propagation soak (activateVerifiedKey)', () => {
  // Zones whose SOA negative TTL is 3 hours: receivers' resolvers that asked before the record existed
  // hold the NXDOMAIN that long after it is verified everywhere.
  const world = (decideFn?: DecideFn) =>
    run({
      domains: 3,
      days: 12,
      dnsMode: 'mixed',
      seed: 3,
      realDns: { externalNegativeTtls: [10800], route53NegativeTtls: [10800] },
      ...(decideFn ? { decide: decideFn } : {}),
    });

  it('an engine without the soak leaves mail unverifiable: unsigned minutes caused by the engine', async () => {
    // The soak set to 0: activateVerifiedKey sees every verified key as verified long ago.
    const noSoak = breaking('activateVerifiedKey', (policy) => (ctx) => {
      const keys = ctx.state.keys.map((k) => (k.dnsVerifiedAt !== undefined ? { ...k, dnsVerifiedAt: 0 } : k));
      return policy({ ...ctx, state: { ...ctx.state, keys } });
    });
    const report = await world(noSoak);
    // Not an invariant: invariant 1 is checked against the public resolvers the engine verified with, and
    // they match; the receivers' stale negative caches show as unsigned minutes, which fail the run.
    expect(report.unsignedMinutesByCause.engine).toBeGreaterThan(0);
    expect(Object.keys(report.engineUnsignedDomains).length).toBeGreaterThan(0);
  });

  it('control: the real engine lets the caches expire first', async () => {
    clean(await world());
  });
});

describe('the grace period (retireKeys)', () => {
  const world = (decideFn?: DecideFn) =>
    run({
      domains: 2,
      days: 30,
      dnsMode: 'route53',
      seed: 3,
      adjustSpec: shortRotations,
      ...(decideFn ? { decide: decideFn } : {}),
    });

  it('an engine that revokes a retired selector at once: invariant 8', async () => {
    const noGrace = breaking(
      'retireKeys',
      (policy) => (ctx) => policy({ ...ctx, spec: { ...ctx.spec, rotation: { ...ctx.spec.rotation, graceDays: 0 } } }),
    );
    violated(
      await world(noGrace),
      8,
      /within its 3-day grace period, but authoritative server \S+ no longer publishes its record unchanged/,
    );
  });

  it('control: the real engine keeps it published for the grace period', async () => {
    const report = await world();
    clean(report);
    expect(report.checks[8]).toBeGreaterThan(0);
  });
});

describe('the compare-and-swap (the state store’s conditional write)', () => {
  // Concurrent invocations that start from different reads (the second loads the state after the first's
  // write, observes the world before its actions).
  const world = (conditional: boolean) =>
    run({
      domains: 2,
      days: 20,
      dnsMode: 'route53',
      seed: 2,
      concurrency: 0.5,
      divergent: 1,
      adjustWorld: (w) => {
        w.stateStore.conditional = conditional;
      },
    });

  it('a state store that writes without its condition loses an update: invariant 9', async () => {
    const report = await world(false);
    expect(report.casConflicts).toBe(0);
    violated(report, 9, /an earlier write was overwritten \(a lost compare-and-swap\)/);
  });

  it('control: with the condition, conflicts are met and nothing is lost', async () => {
    const report = await world(true);
    expect(report.casConflicts).toBeGreaterThan(0);
    clean(report);
  });
});

/** The engine reacts within one schedule period (6 h) plus run time: invariant 11's window, in minutes. */
const REACTION_BOUND_MINUTES = (6 * HOUR_MS + 15 * 60_000) / 60_000;

describe('active-record repair (repairActiveRecord)', () => {
  // People delete or edit the active record (and change SES) by hand; route53: byodkim owns the record.
  const world = (decideFn?: DecideFn) =>
    run({
      domains: 2,
      days: 60,
      dnsMode: 'route53',
      seed: 3,
      people: 0.1,
      ...(decideFn ? { decide: decideFn } : {}),
    });

  it('an engine without it leaves a deleted record deleted until SES notices: invariant 11', async () => {
    const report = await world(without('repairActiveRecord'));
    expect(report.people.byKind['dns-delete-active'] + report.people.byKind['dns-edit-active']).toBeGreaterThan(0);
    violated(
      report,
      11,
      /^the record \S+ of the selector SES signs with deleted or edited at \S+: no reaction by \S+ \(one schedule period and 15 minutes later\)/,
    );
  });

  it('control: the real engine writes it again within a schedule period', async () => {
    const report = await world();
    clean(report);
    expect(report.checks[11]).toBeGreaterThan(0);
    expect(report.personUnsigned.reactionMinutes.route53!.max).toBeLessThanOrEqual(REACTION_BOUND_MINUTES);
    expect(report.personUnsigned.maxPerEpisode.route53!.untilReaction).toBeLessThanOrEqual(REACTION_BOUND_MINUTES);
  });
});

describe('drift repair (repairDrift)', () => {
  // People switch SES to Easy DKIM, turn signing off or give SES another key by hand.
  const world = (decideFn?: DecideFn) =>
    run({
      domains: 2,
      days: 60,
      dnsMode: 'route53',
      seed: 5,
      people: 0.3,
      ...(decideFn ? { decide: decideFn } : {}),
    });

  it('an engine without it leaves SES as the person left it: invariant 11', async () => {
    const report = await world(without('repairDrift'));
    expect(report.people.byKind['ses-signing-off']).toBeGreaterThan(0);
    violated(
      report,
      11,
      /^SES (switched to AWS_SES|given selector \S+ instead of \S+|signing turned off \(selector \S+\)) at \S+: no reaction by /,
    );
  });

  it('control: the real engine switches SES back within a schedule period', async () => {
    const report = await world();
    clean(report);
    expect(report.checks[11]).toBeGreaterThan(0);
    expect(report.personUnsigned.reactionMinutes.route53!.max).toBeLessThanOrEqual(REACTION_BOUND_MINUTES);
  });
});

describe('signing-off enforcement (enforceSigningOff)', () => {
  // Operators disable signing (and enable it again 1–48 hours later), revoke keys, race runs; people
  // change SES and DNS behind the engine's back.
  const world = (decideFn?: DecideFn) =>
    run({
      domains: 3,
      days: 60,
      dnsMode: 'route53',
      seed: 1,
      operators: 0.1,
      people: 0.1,
      ...(decideFn ? { decide: decideFn } : {}),
    });

  it('an engine without it leaves SES signing after an acknowledged disable: invariant 10', async () => {
    const report = await world(without('enforceSigningOff'));
    expect(report.operators.byAction.disable.applied).toBeGreaterThan(0);
    violated(
      report,
      10,
      /^SES signs with byodkim selector \S+ after the operator's acknowledged disable issued at \S+ was carried out \(a completed run later\) and before any acknowledged enable$/,
    );
  });

  it('control: the real engine turns signing off', async () => {
    const report = await world();
    clean(report);
    expect(report.operators.byAction.disable.applied).toBeGreaterThan(0);
    expect(report.checks[10]).toBeGreaterThan(0);
  });
});

describe('the compromise hold (holdCompromisedKey)', () => {
  // Manual activation keeps a verified new key waiting for approval, so an operator's revoke of the active
  // key records a switch to it. The command's invocation is throttled by SES when it gives SES the new key,
  // and at that moment a person deletes the new key's record: the next run abandons the switch (the record
  // is not verified). Only the hold then keeps the compromised key from signing on.
  let abandoned = 0;
  const abandonSwitches = (w: World) => {
    const armed = new Map<string, string>();
    const save = w.stateStore.save.bind(w.stateStore);
    w.stateStore.save = async (state: DomainState, version, events) => {
      await save(state, version, events);
      const sw = state.switching;
      const target = sw ? state.keys.find((k) => k.keyId === sw.keyId) : undefined;
      const revoked = (events ?? []).some((e) => e.policy === 'command:revoke');
      if (revoked && sw?.reason === 'compromise' && target?.state === 'dns-verified')
        armed.set(state.domain, `${target.selector}._domainkey.${state.domain}`);
    };
    const put = w.ses.putExternalSigningKey.bind(w.ses);
    w.ses.putExternalSigningKey = async (domain, selector, privateKey) => {
      const name = armed.get(domain);
      if (name === undefined) return put(domain, selector, privateKey);
      armed.delete(domain);
      abandoned += 1;
      w.dns.set(name, undefined, w.clock.now());
      throw new TransientError(
        'THROTTLED',
        'ses PutEmailIdentityDkimSigningAttributes: TooManyRequestsException: Too Many Requests',
        'ses',
      );
    };
  };
  const world = (decideFn?: DecideFn) => {
    abandoned = 0;
    return simulate({
      faults: 0,
      keyPairs: testPairs(keyPoolSize({ operators: 0.3, days: 60 })),
      domains: 2,
      days: 60,
      dnsMode: 'route53',
      seed: 1,
      operators: 0.3,
      adjustSpec: (spec) => ({
        ...shortRotations(spec),
        rotation: { ...shortRotations(spec).rotation, activation: 'manual' },
      }),
      adjustWorld: abandonSwitches,
      ...(decideFn ? { decide: decideFn } : {}),
    });
  };

  it('an engine without it lets the revoked key sign on once the switch is abandoned: invariant 10', async () => {
    const report = await world(without('holdCompromisedKey'));
    expect(abandoned).toBeGreaterThan(0);
    violated(
      report,
      10,
      /^SES signs with the revoked key \(selector \S+\) after the operator's acknowledged revoke issued at \S+ was carried out \(a completed run later\)$/,
    );
  });

  it('control: the real engine holds signing off until a fresh key is verified', async () => {
    const report = await world();
    expect(abandoned).toBeGreaterThan(0);
    clean(report);
    expect(report.checks[10]).toBeGreaterThan(0);
  });
});
