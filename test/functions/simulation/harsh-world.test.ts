/**
 * The engine in a world as harsh as the real one: SES that turns signing off by itself when a record
 * disappears, keys in an encoding SES accepts and never verifies, IAM that is too narrow, and a year of the
 * whole simulation with DNS as it is, rate limits and random faults.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../functions/core/time';
import type { KeyGenerator } from '../../../functions/lifecycle/ports';
import { activeKey } from '../../../functions/lifecycle/state';
import { simulate } from '../../../functions/simulation/simulate';
import type { World } from '../../../functions/simulation/world';
import { DOMAIN, START, pairs, pemBase64Of, pkcs8Of, realWorld } from './real-world';

jest.setTimeout(60_000);

describe('SES turns signing off when the record disappears', () => {
  it('the engine puts the record back and turns signing on again; SES would not', async () => {
    const h = realWorld('route53', { realDns: { seed: 11, failureRate: 0 } });
    await h.until(START + 2 * HOUR_MS, 10 * MINUTE_MS);
    const key = activeKey((await h.world.stateStore.load(DOMAIN))!)!;
    expect(key).toBeDefined();
    // Someone deletes the record just before SES's daily re-check; SES looks before byodkim's next run.
    const recheck = h.world.ses.peek(DOMAIN)!.lastVerified! + DAY_MS;
    h.world.dns.set(`${key.selector}._domainkey.${DOMAIN}`, undefined, recheck - 5 * MINUTE_MS);
    h.world.clock.set(recheck + MINUTE_MS);
    expect(await h.world.ses.getDkim(DOMAIN)).toMatchObject({ status: 'TEMPORARY_FAILURE', signingEnabled: false });
    expect(h.world.ses.signingTurnedOff).toHaveLength(1);
    await h.until(recheck + 12 * HOUR_MS, 6 * HOUR_MS);
    expect(await h.world.ses.getDkim(DOMAIN)).toMatchObject({
      origin: 'EXTERNAL',
      status: 'SUCCESS',
      signingEnabled: true,
      tokens: [key.selector],
    });
    // Unsigned from the deletion until the record was back and SES looked again: bounded by one schedule
    // period plus SES's hourly re-check, not by SES's 72 hours (and it never comes back by itself).
    const unsigned = h.checker.unsignedMinutesOf(DOMAIN);
    expect(unsigned).toBeGreaterThan(0);
    expect(unsigned).toBeLessThanOrEqual(6 * 60 + 60 + 15);
  });
});

describe('a private key SES accepts and never verifies (PKCS#8, base64 of PEM)', () => {
  it.each([
    ['PKCS#8 DER', pkcs8Of],
    ['base64 of a PEM file', pemBase64Of],
  ])('a key generator handing %s is refused before the key is stored or given to SES', async (_label, encode) => {
    const [good] = pairs(1);
    const faulty: KeyGenerator = {
      generate: async () => ({ privateKey: encode(good!.privateKey), publicKey: good!.publicKey }),
    };
    const h = realWorld('route53', { keys: faulty, realDns: { seed: 2 } });
    await h.until(START + 3 * DAY_MS, 6 * HOUR_MS);
    const state = (await h.world.stateStore.load(DOMAIN))!;
    expect(state.failure).toMatchObject({ code: 'INVALID_PRIVATE_KEY', transient: false });
    expect(h.world.ses.switches).toEqual([]);
    expect(await h.world.keyStore.list(DOMAIN)).toEqual([]);
    expect(await h.world.ses.getDkim(DOMAIN)).toMatchObject({ origin: 'AWS_SES', signingEnabled: true });
    expect(h.checker.unsignedMinutesOf(DOMAIN)).toBe(0);
    expect(h.checker.violations).toEqual([]);
  });

  it('a key store that hands back PKCS#8 is caught before SES is given it: SES keeps signing the old way', async () => {
    const h = realWorld('route53', { realDns: { seed: 5 } });
    const read = h.world.keyStore.readPrivateKey.bind(h.world.keyStore);
    h.world.keyStore.readPrivateKey = async (domain, keyId) => pkcs8Of(await read(domain, keyId));
    await h.until(START + 3 * DAY_MS, 6 * HOUR_MS);
    const state = (await h.world.stateStore.load(DOMAIN))!;
    expect(state.failure).toMatchObject({ code: 'INVALID_PRIVATE_KEY', transient: false });
    expect(state.failure!.message).toMatch(/PKCS#1/);
    expect(h.world.ses.switches).toEqual([]);
    expect(await h.world.ses.getDkim(DOMAIN)).toMatchObject({ origin: 'AWS_SES', signingEnabled: true });
    expect(h.checker.unsignedMinutesOf(DOMAIN)).toBe(0);
    expect(h.checker.violations).toEqual([]);
  });
});

describe('IAM too narrow: AccessDenied on a write', () => {
  it('stops, reports (failure recorded, backoff), never half-switches, and the other domains carry on', async () => {
    let world: World | undefined;
    const failures: string[] = [];
    const denied = [
      { domain: 'd001.example.jp', action: 'ses:PutEmailIdentityDkimSigningAttributes' },
      { domain: 'd002.example.jp', action: 'route53:ChangeResourceRecordSets' },
    ];
    const report = await simulate({
      domains: 6,
      days: 45,
      dnsMode: 'mixed',
      faults: 0.05,
      seed: 12,
      accessDenied: denied,
      adjustSpec: (spec, i) => (i === 1 ? { ...spec, dns: { kind: 'route53', hostedZoneId: 'Z002EXAMPLE' } } : spec),
      adjustWorld: (w) => {
        world = w;
      },
      trace: (domain, _at, line) => {
        if (line.startsWith('lifecycle.failure') && line.includes('ACCESS_DENIED')) failures.push(`${domain} ${line}`);
      },
    });
    expect(report.violations.total).toBe(0);
    expect(report.unsignedMinutes).toBe(0);
    expect(report.limits.accessDenied).toBeGreaterThan(0);
    const w = world!;
    for (const { domain, action } of denied) {
      const state = (await w.stateStore.load(domain))!;
      // Reported: the failure is recorded with the action and the resource, and logged.
      expect(state.failure).toMatchObject({ code: 'ACCESS_DENIED', transient: false });
      expect(state.failure!.message).toContain(`not authorized to perform: ${action}`);
      expect(failures.some((f) => f.startsWith(domain))).toBe(true);
      // Stopped: backoff, not a retry at every scheduled run (45 days: 180 runs, about one attempt a day).
      expect(w.limits.denied.get(`${domain} ${action}`)).toBeLessThan(60);
      // Never half-switched: SES was never given a byodkim key and signs as it did before byodkim.
      expect(w.ses.switches.filter((s) => s.domain === domain)).toEqual([]);
      expect(activeKey(state)).toBeUndefined();
    }
    // The others rotated.
    expect(report.rotations.firstActivations).toBe(4);
  });
});

describe('a year of the whole simulation in the harsh world', () => {
  it('mixed modes, DNS as it is, rate limits, 10% faults: 0 violations, 0 unsigned minutes caused by the engine', async () => {
    const report = await simulate({ domains: 12, days: 365, dnsMode: 'mixed', faults: 0.1, seed: 21 });
    expect(report.violations).toMatchObject({ total: 0 });
    expect(report.unsignedMinutes).toBe(0);
    expect(report.keys.rotatedWithinInterval).toBe(true);
    expect(report.rotations.completed).toBeGreaterThanOrEqual(24);
  });
});
