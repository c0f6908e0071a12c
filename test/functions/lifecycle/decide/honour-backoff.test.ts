/** honourBackoff: after failed runs, nothing acts until `backoffDelayMs` has passed (cert-manager's formula). */
import { ACTING } from './acting';
import { HOUR_MS, MINUTE_MS, NOW, expectDecision, failure, running, table } from './world';

describe('honourBackoff', () => {
  table([
    {
      name: 'waits 5 minutes after a first transient failure (throttling, 5xx, timeout)',
      given: () =>
        running('route53')
          .key('next', 'generated')
          .with({ failure: failure(1, NOW - MINUTE_MS) }),
      want: { policy: 'idle', requeueAfterMs: 4 * MINUTE_MS, message: /backing off after 1 failure/ },
    },
    {
      name: 'doubles the wait with each transient failure: 4 failures wait 40 minutes',
      given: () =>
        running('route53')
          .key('next', 'generated')
          .with({ failure: failure(4, NOW) }),
      want: { policy: 'idle', requeueAfterMs: 40 * MINUTE_MS },
    },
    {
      name: 'waits at most 6 hours after transient failures',
      given: () =>
        running('route53')
          .key('next', 'generated')
          .with({ failure: failure(20, NOW) }),
      want: { policy: 'idle', requeueAfterMs: 6 * HOUR_MS },
    },
    {
      name: 'waits an hour after a first failure that retrying will not fix, doubling to 8 hours after 4',
      given: () =>
        running('route53')
          .key('next', 'generated')
          .with({ failure: failure(4, NOW - HOUR_MS, false) }),
      want: { policy: 'idle', requeueAfterMs: 7 * HOUR_MS },
    },
    {
      name: 'waits at most 32 hours after failures that retrying will not fix',
      given: () =>
        running('route53')
          .key('next', 'generated')
          .with({ failure: failure(30, NOW, false) }),
      want: { policy: 'idle', requeueAfterMs: 32 * HOUR_MS },
    },
    {
      name: 'looks again within 5 minutes, not after 80, when this run could not see the active record on every authoritative server',
      given: () =>
        running('route53')
          .dns('current', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' })
          .with({ failure: failure(5, NOW) }),
      want: { policy: 'idle', unchanged: true, requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'still backs off fully when the active record was seen correct everywhere',
      given: () =>
        running('route53')
          .dns('current', 'correct')
          .with({ failure: failure(5, NOW) }),
      want: { policy: 'idle', requeueAfterMs: 80 * MINUTE_MS },
    },
    {
      name: 'lets the chain go on once the backoff is over',
      given: () =>
        running('route53')
          .key('next', 'generated')
          .with({ failure: failure(1, NOW - 5 * MINUTE_MS) }),
      want: { policy: 'generateKey', actions: [{ type: 'generate-key', keyId: 'mail-20260330-1' }] },
    },
  ]);

  // The safety policies before it (holdCompromisedKey, enforceSigningOff) act even while backing off:
  // their own tables show it. So do the repairs of the active signing path (SES failing or drifted, the
  // active record broken): mail is unsigned until they are done. Every other policy is stopped.
  const repairs = ['investigateSesFailure', 'repairDrift', 'repairActiveRecord'];
  const stopped = Object.keys(ACTING).filter(
    (p) => !['recordAdoption', 'holdCompromisedKey', 'enforceSigningOff', ...repairs].includes(p),
  );
  it.each(repairs)('lets %s repair the active signing path while backing off', (policy) => {
    const { decision } = ACTING[policy]!()
      .with({ failure: failure(2, NOW - MINUTE_MS, false) })
      .decide();
    expect(decision.policy).toBe(policy);
    expect(decision.actions.length).toBeGreaterThan(0);
  });

  it('holds back everything after the repairs (honourBackoffAfterRepairs) in a run let through to repair', () => {
    // The active record was written again a minute ago (its repair waits for the write to show); the
    // rotation's next step would be to generate a key: it waits for the backoff.
    expectDecision(
      running('route53')
        .dns('current', { authoritative: 'missing', resolvers: 'correct' })
        .key('current', 'active', { recordRepairedAt: NOW - MINUTE_MS })
        .key('next', 'generated')
        .with({ failure: failure(2, NOW - MINUTE_MS, false) }),
      { policy: 'idle', requeueAfterMs: 4 * MINUTE_MS, message: /written again/ },
    );
  });

  it.each(stopped)('stops %s while backing off', (policy) => {
    expect(ACTING[policy]!().decide().decision.policy).toBe(policy);
    expectDecision(ACTING[policy]!().with({ failure: failure(2, NOW - MINUTE_MS, false) }), {
      policy: 'idle',
      requeueAfterMs: 2 * HOUR_MS - MINUTE_MS, // 1 h × 2^(2−1), failed a minute ago
      message: /backing off after 2 failure\(s\) \(AccessDenied\)/,
    });
  });
});
