/**
 * The checker shares no code with the engine: break the record diagnosis both could have used, so that it
 * accepts a record carrying another key's `p=`, and publish such a record where the engine writes its new
 * key's. The engine is blinded — it verifies the wrong record and switches SES — but the checker, with its
 * own byte comparison, still reports invariant 1.
 */
import type * as Diagnosis from '../../../functions/dkim/diagnosis';
import { simulate } from '../../../functions/simulation/simulate';
import { POOL, testPairs } from '../lifecycle/helpers';

jest.setTimeout(60_000);

/** How often the broken diagnosis called a wrong key a match. */
const blinded = { count: 0 };

jest.mock('../../../functions/dkim/diagnosis', () => {
  const actual = jest.requireActual<typeof Diagnosis>('../../../functions/dkim/diagnosis');
  return {
    ...actual,
    diagnoseRecord: (...args: Parameters<typeof actual.diagnoseRecord>) => {
      const diagnosis = actual.diagnoseRecord(...args);
      if (diagnosis.code !== 'wrong-key') return diagnosis;
      blinded.count += 1;
      return { ...diagnosis, code: 'match', ok: true };
    },
  };
});

describe('a record diagnosis that accepts another key', () => {
  const pairs = testPairs(POOL + 3);
  /** Not in the simulation's pool: the key the wrong record carries. */
  const stranger = pairs[POOL + 2]!;

  it('blinds the engine, not the checker: invariant 1 is reported', async () => {
    const report = await simulate({
      domains: 1,
      days: 2,
      dnsMode: 'route53',
      faults: 0,
      seed: 3,
      keyPairs: pairs.slice(0, POOL + 2),
      adjustWorld: (world) => {
        // Whatever byodkim publishes for a new key, the zone ends up with the stranger's key in it.
        const upsert = world.route53.upsertTxt.bind(world.route53);
        world.route53.upsertTxt = (zone, name, strings, ttl) => {
          const value = strings.join('');
          const wrong = /^v=DKIM1; k=rsa; p=.+/.test(value)
            ? `v=DKIM1; k=rsa; p=${stranger.publicKey}`.match(/.{1,255}/g)!
            : strings;
          return upsert(zone, name, wrong, ttl);
        };
      },
    });
    expect(blinded.count).toBeGreaterThan(0);
    expect(report.violations.byInvariant['1']).toBeGreaterThan(0);
    expect(report.violations.sample).toContainEqual(
      expect.objectContaining({
        invariant: 1,
        message: expect.stringMatching(
          /SES was given selector \S+ while the authoritative servers .* did not show its record byte-exact/,
        ),
      }),
    );
  });
});
