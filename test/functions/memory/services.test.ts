/**
 * SES as strict as the real one: a key given again puts the identity back to PENDING (mail unsigned until
 * it verifies), a record that disappears makes SES turn signing off by itself (and it does not come back on
 * its own), and a key in an encoding SES silently never verifies (PKCS#8 DER, base64 of a PEM) is accepted
 * and stays PENDING until FAILED after 72 hours.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../functions/core/time';
import { ServiceError } from '../../../functions/core/errors';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { CachingResolver, SimDns } from '../../../functions/memory/dns';
import { ManualClock, MemoryKeyStore, MemorySes, readSesKey } from '../../../functions/memory/services';
import { InvariantChecker, SecretScanner } from '../../../functions/simulation/invariants';
import { pairs, pemBase64Of, pkcs8Of } from '../simulation/real-world';

const T0 = Date.UTC(2026, 0, 5);
const DOMAIN = 'example.jp';
const SELECTOR = 'sel1';
const NAME = `${SELECTOR}._domainkey.${DOMAIN}`;

function world() {
  const [pair] = pairs(1);
  const clock = new ManualClock(T0);
  const dns = new SimDns();
  const ses = new MemorySes(clock, new CachingResolver('resolver:ses', dns));
  const keyStore = new MemoryKeyStore(clock);
  const record = { txt: [splitIntoStrings(formatRecordValue(pair!.publicKey))], ttl: 300 };
  const checker = new InvariantChecker(
    {
      dns,
      resolvers: [],
      ses,
      keyStore,
      specOf: () => ({ rotation: { graceDays: 7, intervalDays: 180 } }) as never,
      teamLate: () => false,
      operatorTouched: () => false,
      sendingFrom: () => T0,
    },
    new SecretScanner(),
  );
  ses.createIdentity(DOMAIN, { kind: 'none' });
  checker.account(DOMAIN, T0);
  const signing = () => ses.timeline(DOMAIN).at(-1)!.signing;
  const at = async (t: number) => {
    clock.set(t);
    await ses.getDkim(DOMAIN);
    checker.account(DOMAIN, t);
  };
  return { pair: pair!, clock, dns, ses, checker, record, signing, at };
}

describe('SES, strict', () => {
  it('a key given again puts the identity back to PENDING; mail is unsigned (and counted) until it verifies', async () => {
    const w = world();
    w.dns.set(NAME, w.record, T0 - DAY_MS);
    await w.ses.putExternalSigningKey(DOMAIN, SELECTOR, w.pair.privateKey);
    await w.ses.setSigningEnabled(DOMAIN, true);
    expect(await w.ses.getDkim(DOMAIN)).toMatchObject({ status: 'SUCCESS', signingEnabled: true });
    await w.at(T0 + HOUR_MS);
    expect(w.checker.unsignedMinutesOf(DOMAIN)).toBe(0);
    // SES's resolver cannot see the record when the key is given again: PENDING, unsigned, until it can.
    w.dns.set(NAME, undefined, T0 + HOUR_MS);
    await w.ses.putExternalSigningKey(DOMAIN, SELECTOR, w.pair.privateKey);
    expect(await w.ses.getDkim(DOMAIN)).toMatchObject({ status: 'PENDING', signingEnabled: true });
    expect(w.signing()).toBe(false);
    w.dns.set(NAME, w.record, T0 + HOUR_MS + 30 * MINUTE_MS);
    await w.at(T0 + HOUR_MS + 20 * MINUTE_MS);
    expect((await w.ses.getDkim(DOMAIN))!.status).toBe('PENDING');
    // SES's resolver keeps the NXDOMAIN for the negative TTL (900 s) after its last look, then sees the record.
    await w.at(T0 + 3 * HOUR_MS);
    expect((await w.ses.getDkim(DOMAIN))!.status).toBe('SUCCESS');
    expect(w.signing()).toBe(true);
    const unsigned = w.checker.unsignedMinutesOf(DOMAIN);
    expect(unsigned).toBeGreaterThanOrEqual(30);
    expect(unsigned).toBeLessThanOrEqual(50);
  });

  it('turns signing off by itself when the record disappears, and does not turn it back on when it returns', async () => {
    const w = world();
    w.dns.set(NAME, w.record, T0 - DAY_MS);
    await w.ses.putExternalSigningKey(DOMAIN, SELECTOR, w.pair.privateKey);
    await w.ses.setSigningEnabled(DOMAIN, true);
    w.dns.set(NAME, undefined, T0 + HOUR_MS);
    await w.at(T0 + DAY_MS + MINUTE_MS); // SES's daily re-check
    expect(await w.ses.getDkim(DOMAIN)).toMatchObject({ status: 'TEMPORARY_FAILURE', signingEnabled: false });
    expect(w.ses.signingTurnedOff).toEqual([{ at: T0 + DAY_MS + MINUTE_MS, domain: DOMAIN }]);
    w.dns.set(NAME, w.record, T0 + DAY_MS + 2 * HOUR_MS);
    await w.at(T0 + DAY_MS + 4 * HOUR_MS); // hourly re-checks while failing: the record is back
    expect(await w.ses.getDkim(DOMAIN)).toMatchObject({ status: 'SUCCESS', signingEnabled: false });
    expect(w.signing()).toBe(false);
    await w.at(T0 + 3 * DAY_MS);
    expect(w.signing()).toBe(false); // still off: nobody enabled it
    await w.ses.setSigningEnabled(DOMAIN, true);
    expect(w.signing()).toBe(true);
  });

  it('a record that stays away: TEMPORARY_FAILURE, FAILED after 72 hours, signing off throughout', async () => {
    const w = world();
    w.dns.set(NAME, w.record, T0 - DAY_MS);
    await w.ses.putExternalSigningKey(DOMAIN, SELECTOR, w.pair.privateKey);
    await w.ses.setSigningEnabled(DOMAIN, true);
    w.dns.set(NAME, undefined, T0 + HOUR_MS);
    for (let t = T0 + DAY_MS; t <= T0 + 5 * DAY_MS; t += HOUR_MS) await w.at(t);
    expect(await w.ses.getDkim(DOMAIN)).toMatchObject({ status: 'FAILED', signingEnabled: false });
  });

  it.each([
    ['PKCS#8 DER', (pkcs1: string) => pkcs8Of(pkcs1), 'pkcs8'],
    ['base64 of a PEM file', (pkcs1: string) => pemBase64Of(pkcs1), 'base64-pem'],
  ])(
    'accepts a key as %s, stays PENDING although the record is right, FAILED after 72 h',
    async (_label, encode, encoding) => {
      const w = world();
      w.dns.set(NAME, w.record, T0 - DAY_MS);
      const wrong = encode(w.pair.privateKey);
      expect(readSesKey(wrong)).toEqual({ publicKey: w.pair.publicKey, encoding });
      await w.ses.putExternalSigningKey(DOMAIN, SELECTOR, wrong);
      await w.ses.setSigningEnabled(DOMAIN, true);
      expect(w.ses.switches.at(-1)).toMatchObject({ selector: SELECTOR, publicKey: w.pair.publicKey, encoding });
      await w.at(T0 + 71 * HOUR_MS);
      expect((await w.ses.getDkim(DOMAIN))!.status).toBe('PENDING');
      await w.at(T0 + 73 * HOUR_MS);
      expect((await w.ses.getDkim(DOMAIN))!.status).toBe('FAILED');
      expect(w.ses.timeline(DOMAIN).some((s) => s.signing)).toBe(false);
    },
  );

  it('refuses what does not match the DomainSigningPrivateKey pattern, or is no RSA key', async () => {
    const w = world();
    await expect(w.ses.putExternalSigningKey(DOMAIN, SELECTOR, 'not base64!')).rejects.toThrow(ServiceError);
    await expect(w.ses.putExternalSigningKey(DOMAIN, SELECTOR, 'AAAA')).rejects.toThrow(/not an RSA private key/);
    expect(readSesKey(w.pair.privateKey)).toEqual({ publicKey: w.pair.publicKey, encoding: 'pkcs1' });
  });
});
