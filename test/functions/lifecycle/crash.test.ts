/**
 * Invariant 7: a crash right after any side-effecting call (the call took effect, the Lambda died) is
 * repaired by the next run. One crash at a time, after each side effect of a full lifecycle in turn.
 */
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { CrashAfterNthSideEffect } from '../../../functions/memory/faults';
import type { DomainSpec } from '../../../functions/core/spec';
import { DAY_MS, DOMAIN, HOUR_MS, MINUTE_MS, harness, specFor, type Harness } from './helpers';

jest.setTimeout(120_000);

/** The DNS team of external mode, answering every request at once and exactly. */
function instantTeam(h: Harness): void {
  h.world.notifier.subscribe((n) => {
    if (n.audience !== 'dns-team') return;
    const line = /^(\S+)\. 3600 IN TXT (.+)$/m.exec(n.body.en);
    if (!line) return;
    const strings = [...line[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    h.publish(line[1]!, strings);
  });
}

/** First activation, one scheduled rotation, grace, revocation and destruction of the first key. */
async function lifecycle(spec: DomainSpec, plan?: CrashAfterNthSideEffect) {
  const h = harness(spec);
  if (plan) h.world.faults = plan;
  if (spec.dns.kind === 'external') instantTeam(h);
  await h.advance(DAY_MS, 30 * MINUTE_MS);
  await h.advance(160 * DAY_MS, 12 * HOUR_MS);
  h.check();
  const state = await h.state();
  return {
    h,
    summary: {
      keys: state.keys.map((k) => `${k.keyId}:${k.state}`),
      rotations: state.rotations,
      ses: await h.world.ses.getDkim(DOMAIN),
      deletions: h.world.keyStore.deletions.map((d) => d.keyId),
      records: state.keys.map(
        (k) => h.world.dns.resolve(`${k.selector}._domainkey.${DOMAIN}`, h.world.clock.now()).answer.records,
      ),
    },
  };
}

describe.each(['route53', 'external'] as const)('a crash after each side effect of a full %s lifecycle', (mode) => {
  const spec = specFor(mode);
  let baseline: Awaited<ReturnType<typeof lifecycle>>['summary'];
  let sideEffects = 0;

  beforeAll(async () => {
    const counting = new CrashAfterNthSideEffect(Number.MAX_SAFE_INTEGER);
    const run = await lifecycle(spec, counting);
    baseline = run.summary;
    sideEffects = counting.calls;
    expect(run.h.checker.violations).toEqual([]);
  });

  it('has a baseline with two rotations and a destroyed key', () => {
    expect(baseline.rotations).toBe(2);
    expect(baseline.keys.filter((k) => k.endsWith(':destroyed'))).toHaveLength(1);
    expect(sideEffects).toBeGreaterThan(20);
  });

  it('converges to the same state with every invariant kept, whichever call the crash follows', async () => {
    const crashedAfter = new Set<string>();
    for (let n = 1; n <= sideEffects; n += 1) {
      const plan = new CrashAfterNthSideEffect(n);
      const { h, summary } = await lifecycle(spec, plan);
      expect(plan.crashedAfter).toBeDefined();
      crashedAfter.add(plan.crashedAfter!);
      expect({ n, after: plan.crashedAfter, summary }).toEqual({ n, after: plan.crashedAfter, summary: baseline });
      expect({ n, violations: h.checker.violations }).toEqual({ n, violations: [] });
      expect({ n, unsigned: h.checker.totalUnsignedMinutes() }).toEqual({ n, unsigned: 0 });
    }
    const expected = [
      'stateStore.save',
      'keyStore.create',
      'ses.putExternalSigningKey',
      'keyStore.scheduleDeletion',
      'notifier.send',
    ];
    expect([...crashedAfter]).toEqual(
      expect.arrayContaining(mode === 'route53' ? [...expected, 'route53.upsertTxt'] : expected),
    );
  });
});

it('publishes exactly the record the change request asked for (the instant team parses it)', async () => {
  const h = harness(specFor('external'));
  instantTeam(h);
  await h.advance(DAY_MS, HOUR_MS);
  const state = await h.state();
  const key = state.keys[0]!;
  expect(h.world.dns.resolve(`${key.selector}._domainkey.${DOMAIN}`, h.world.clock.now()).answer.records).toEqual([
    splitIntoStrings(formatRecordValue(key.publicKey!)),
  ]);
});
