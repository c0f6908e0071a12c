/**
 * The invariant checker is only worth something if it fails when it should: for each invariant of
 * docs/design.md §4, a deliberately faulty engine (the real one with one step broken) and the violation the
 * checker reports for it. The real engine, in the same simulation, reports none.
 */
import type { Action } from '../../../functions/lifecycle/actions';
import { decide, type Decision } from '../../../functions/lifecycle/decide';
import type { DecideFn } from '../../../functions/lifecycle/reconciler';
import { simulate, type SimDnsMode } from '../../../functions/simulation/simulate';
import { InvariantChecker, SecretScanner } from '../../../functions/simulation/invariants';
import { activeKey, inFlightKey, withKey, type DomainState } from '../../../functions/lifecycle/state';
import { operatorNotice } from '../../../functions/lifecycle/notifications';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(120_000);

const pairs = () => testPairs(POOL + 2);

/** The real engine with one step broken. */
function faulty(broken: (...args: Parameters<DecideFn>) => Decision | undefined): DecideFn {
  return (spec, state, obs, now) => broken(spec, state, obs, now) ?? decide(spec, state, obs, now);
}

const act = (next: Decision['next'], actions: Action[], message: string): Decision => ({
  policy: 'faulty',
  message,
  next,
  actions,
});

const engines: readonly (readonly [number, string, SimDnsMode, number, DecideFn])[] = [
  [
    1,
    'switches SES as soon as the record is requested, before it is verified',
    'route53',
    2,
    faulty((_spec, state, _obs, now) => {
      const key = inFlightKey(state);
      if (!key || key.state !== 'dns-requested' || state.switching) return undefined;
      return act(
        { ...state, switching: { keyId: key.keyId, startedAt: now, reason: 'activate' } },
        [{ type: 'ses-put-signing-key', keyId: key.keyId, selector: key.selector }],
        'switch early',
      );
    }),
  ],
  [
    2,
    'revokes the record of the key SES is signing with',
    'route53',
    2,
    faulty((spec, state) => {
      const key = activeKey(state);
      if (!key || state.keys.some((k) => k.revocation && k.keyId === key.keyId) || spec.dns.kind !== 'route53')
        return undefined;
      return act(
        withKey(state, key.keyId, { revocation: { startedAt: 0 } }),
        [
          {
            type: 'write-txt',
            purpose: 'revoke',
            keyId: key.keyId,
            zone: spec.dns.hostedZoneId,
            name: `${key.selector}._domainkey.${spec.domain}`,
            strings: ['v=DKIM1; p='],
            ttlSeconds: 300,
          },
        ],
        'revoke the active key',
      );
    }),
  ],
  [
    3,
    'destroys a key the moment it retires, skipping the grace period and the revocation',
    'route53',
    200,
    faulty((_spec, state, _obs, now) => {
      const key = state.keys.find((k) => k.state === 'retiring');
      if (!key) return undefined;
      return act(
        withKey(state, key.keyId, { state: 'destroyed', destroyedAt: now }),
        [{ type: 'destroy-key', keyId: key.keyId, recoveryWindowDays: 30 }],
        'destroy early',
      );
    }),
  ],
  [
    4,
    'never starts a scheduled rotation',
    'route53',
    200,
    (spec, state, obs, now) => {
      const d = decide(spec, state, obs, now);
      return d.policy === 'startRotation' && activeKey(state)
        ? { policy: 'idle', message: 'never rotate', next: state, actions: [] }
        : d;
    },
  ],
  [
    5,
    'starts a second rotation while one is in flight',
    'external',
    3,
    faulty((_spec, state, _obs, now) => {
      const inFlight = state.keys.filter((k) => k.state === 'dns-requested');
      if (inFlight.length !== 1 || state.keys.some((k) => k.keyId === 'mail-20990101-1')) return undefined;
      return act(
        {
          ...state,
          keys: [
            ...state.keys,
            {
              keyId: 'mail-20990101-1',
              selector: 'mail-20990101-1',
              state: 'generated',
              reason: 'operator',
              createdAt: now,
            },
          ],
        },
        [],
        'second rotation',
      );
    }),
  ],
  [
    6,
    'puts a private key into an operator notification',
    'route53',
    2,
    faulty((spec, state) => {
      const key = activeKey(state);
      if (!key || state.notified.leak !== undefined) return undefined;
      const secret = pairs()[0]!.privateKey;
      return act(
        { ...state, notified: { ...state.notified, leak: 1 } },
        [
          {
            type: 'notify',
            notification: operatorNotice(spec, 'rotation-completed', { en: `debug: ${secret}`, ja: 'デバッグ' }),
          },
        ],
        'leak',
      );
    }),
  ],
  [
    7,
    'decides differently on a replay of the same situation (hidden, non-recorded state)',
    'route53',
    2,
    (() => {
      let calls = 0;
      return (spec, state, obs, now) => {
        const d = decide(spec, state, obs, now);
        calls += 1;
        if (d.actions.length > 0 || d.next !== state || calls % 2 === 1) return d;
        return {
          policy: 'fidget',
          message: 'touch',
          next: { ...state, notified: { ...state.notified, touched: now } },
          actions: [],
        };
      };
    })() as DecideFn,
  ],
  [
    8,
    'revokes a retired key the moment SES stops signing with it, skipping the grace period',
    'route53',
    200,
    faulty((spec, state, _obs, now) => {
      const key = state.keys.find((k) => k.state === 'retiring' && !k.revocation);
      if (!key || spec.dns.kind !== 'route53') return undefined;
      return act(
        withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now } }),
        [
          {
            type: 'write-txt',
            purpose: 'revoke',
            keyId: key.keyId,
            zone: spec.dns.hostedZoneId,
            name: `${key.selector}._domainkey.${spec.domain}`,
            strings: ['v=DKIM1; p='],
            ttlSeconds: 300,
          },
        ],
        'revoke at once',
      );
    }),
  ],
];

describe('the invariant checker catches a faulty engine', () => {
  it.each(engines)('invariant %i: an engine that %s', async (invariant, _what, dnsMode, days, engine) => {
    const report = await simulate({ domains: 2, days, dnsMode, faults: 0, seed: 3, keyPairs: pairs(), decide: engine });
    expect(report.violations.byInvariant[String(invariant)]).toBeGreaterThan(0);
    expect(report.violations.first).toBeDefined();
    expect(report.violations.sample.some((v) => v.invariant === invariant && v.message.length > 0)).toBe(true);
    expect(report.checks[invariant as keyof typeof report.checks]).toBeGreaterThan(0);
  });

  it.each(['route53', 'external', 'delegated'] as const)(
    'and reports nothing for the real engine (%s, 200 days)',
    async (dnsMode) => {
      const report = await simulate({ domains: 2, days: 200, dnsMode, faults: 0.05, seed: 3, keyPairs: pairs() });
      expect(report.violations).toMatchObject({ total: 0 });
      expect(report.unsignedMinutes).toBe(0);
      expect(report.rotations.completed).toBeGreaterThanOrEqual(2);
      // Every invariant checked something: a rotation, a retirement, a destruction, state writes…
      for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9] as const)
        expect({ n, checked: report.checks[n] > 0 }).toEqual({ n, checked: true });
    },
  );
});

describe('a checker that checked nothing', () => {
  it('fails the simulation: each invariant the run should have exercised is reported', async () => {
    // A checker wired wrong: it follows SES's signing but never checks a domain.
    const spy = jest.spyOn(InvariantChecker.prototype, 'checkDomain').mockImplementation(function (
      this: InvariantChecker,
      domain: string,
      now: number,
    ) {
      this.account(domain, now);
    });
    let report: Awaited<ReturnType<typeof simulate>>;
    try {
      report = await simulate({ domains: 1, days: 2, dnsMode: 'route53', faults: 0, seed: 3, keyPairs: pairs() });
    } finally {
      spy.mockRestore();
    }
    expect(report.checks).toMatchObject({ 1: 0, 2: 0, 4: 0 });
    expect(report.violations.byInvariant).toEqual({ 1: 1, 2: 1, 4: 1 });
    expect(report.violations.first?.message).toMatch(
      /^invariant 1 was checked 0 times although SES was switched 1 time/,
    );
  });
});

describe('invariant 9: the recorded versions', () => {
  type Save = (state: DomainState, expectedVersion: number) => Promise<void>;

  /** One route53 domain for 2 days, the state store's conditional write off and its save broken by `broken`. */
  const withStore = (broken: (save: Save) => Save) =>
    simulate({
      domains: 1,
      days: 2,
      dnsMode: 'route53',
      faults: 0,
      seed: 3,
      keyPairs: pairs(),
      adjustWorld: (world) => {
        const store = world.stateStore;
        store.conditional = false;
        const save = store.save.bind(store);
        const faultySave = broken((state, expected) => save(state, expected));
        store.save = async (state, expected, events = []) => {
          await faultySave(state, expected);
          if (events.length > 0) store.onEvents(events);
        };
      },
    });

  it('reports a state store that skips a version', async () => {
    const report = await withStore((save) => {
      let skipped = false;
      return (state, expected) => {
        if (skipped || state.version !== 3) return save(state, expected);
        skipped = true;
        return save({ ...state, version: 4 }, expected);
      };
    });
    expect(report.violations.byInvariant['9']).toBeGreaterThan(0);
    expect(report.violations.sample).toContainEqual(
      expect.objectContaining({
        invariant: 9,
        message: expect.stringContaining('state version 4 was written after version 2'),
      }),
    );
  });

  it('reports a lost compare-and-swap: a second writer at the same version overwrites the first', async () => {
    const report = await withStore((save) => {
      let raced = false;
      return async (state, expected) => {
        await save(state, expected);
        if (raced || state.version !== 2) return;
        raced = true;
        // Another invocation read the same version; the store did not refuse its write.
        await save({ ...state, notified: { ...state.notified, raced: 1 } }, expected);
      };
    });
    expect(report.violations.byInvariant['9']).toBeGreaterThan(0);
    expect(report.violations.sample).toContainEqual(
      expect.objectContaining({ invariant: 9, message: expect.stringContaining('a lost compare-and-swap') }),
    );
  });
});

describe('invariant 4 and a late DNS team', () => {
  it('excuses a key that outlives its interval because the DNS team answered after the lead time', async () => {
    const report = await simulate({
      domains: 2,
      days: 400,
      dnsMode: 'external',
      faults: 0,
      seed: 3,
      keyPairs: pairs(),
      team: { lateRate: 1, mistakeRate: 0 },
      adjustSpec: (spec) => ({ ...spec, rotation: { ...spec.rotation, renewBeforeDays: 5 } }),
    });
    expect(report.keys.overInterval).toBeGreaterThan(0);
    expect(report.keys.overIntervalExcused).toBe(report.keys.overInterval);
    expect(report.violations.total).toBe(0);
    expect(report.unsignedMinutes).toBe(0);
  });

  it('does not excuse a renewBefore too short for the lead time when the DNS team answers in time', async () => {
    const report = await simulate({
      domains: 2,
      days: 400,
      dnsMode: 'external',
      faults: 0,
      seed: 3,
      keyPairs: pairs(),
      team: { lateRate: 0, veryLateRate: 0, mistakeRate: 0 },
      adjustSpec: (spec) => ({ ...spec, rotation: { ...spec.rotation, renewBeforeDays: 2 } }),
    });
    expect(report.violations.byInvariant['4']).toBeGreaterThan(0);
  });

  it('excuses a key that outlives its interval because the DNS team answered only after renewBefore (default renewBefore)', async () => {
    const report = await simulate({
      domains: 2,
      days: 400,
      dnsMode: 'external',
      faults: 0,
      seed: 3,
      keyPairs: pairs(),
      team: { veryLateRate: 1, lateRate: 0, mistakeRate: 0 },
    });
    expect(report.keys.overInterval).toBeGreaterThan(0);
    expect(report.keys.overIntervalExcused).toBe(report.keys.overInterval);
    expect(report.violations.total).toBe(0);
    expect(report.unsignedMinutes).toBe(0);
  });

  it('reports a key over its interval in external mode when the DNS team was not late (an engine that never rotates)', async () => {
    const neverRotates = engines.find((e) => e[0] === 4)![4];
    const report = await simulate({
      domains: 2,
      days: 400,
      dnsMode: 'external',
      faults: 0,
      seed: 3,
      keyPairs: pairs(),
      team: { veryLateRate: 0.5, lateRate: 0.5 },
      decide: neverRotates,
    });
    expect(report.keys.overInterval).toBeGreaterThan(0);
    expect(report.keys.overIntervalExcused).toBe(0);
    expect(report.violations.byInvariant['4']).toBeGreaterThan(0);
  });
});

describe('unsigned minutes', () => {
  it('counts the minutes an engine that switches before DNS is published leaves mail unverifiable', async () => {
    const report = await simulate({
      domains: 1,
      days: 2,
      dnsMode: 'route53',
      faults: 0,
      seed: 3,
      keyPairs: pairs(),
      decide: engines[0]![4],
    });
    expect(report.unsignedMinutes).toBeGreaterThan(0);
  });
});

describe('the key-material scanner', () => {
  const [a, b] = pairs();
  const scanner = new SecretScanner();
  scanner.addPrivateKey(a!.privateKey, a!.publicKey);

  it.each([
    ['the whole private key', true, a!.privateKey],
    ['a 64-character slice from its middle', true, a!.privateKey.slice(700, 764)],
    ['a slice inside other text', true, `x ${a!.privateKey.slice(900, 960)}\n`],
    ['its public key (which shares the modulus)', false, `v=DKIM1; k=rsa; p=${a!.publicKey}`],
    ['another private key (not registered)', false, b!.privateKey],
    ['ordinary text', false, 'selector mail-20260105-1 is active'],
  ])('given %s, reports key material: %s', (_name, found, text) => {
    expect(scanner.contains(text)).toBe(found);
  });
});
