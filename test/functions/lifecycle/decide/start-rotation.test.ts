/**
 * startRotation: a new key is chosen for the first activation, on schedule (`activatedAt + interval −
 * renewBefore`), at the operator's `rotate`, under a compromise hold, or when no key is active any more.
 * At most one rotation is in flight; in delegated mode the new key takes the other slot once it is free.
 */
import { DAY_MS, KEY_IDS, MINUTE_MS, NEW_KEY_ID, NOW, PUBLIC_KEYS, given, running, table } from './world';

const activatedAgo = (days: number) => ({ activatedAt: NOW - days * DAY_MS });
const newKey = (reason: string) => ({
  [NEW_KEY_ID]: { state: 'generated', reason, selector: NEW_KEY_ID, createdAt: NOW, publicKey: undefined },
});

describe('startRotation', () => {
  table([
    {
      name: 'starts the first key while byodkim has not yet replaced the signing it adopted',
      given: () => given('route53'),
      want: { policy: 'startRotation', keys: newKey('first-activation'), message: new RegExp(NEW_KEY_ID) },
    },
    {
      name: 'starts a scheduled rotation at interval − renewBefore (180 − 30 = 150 days after activation)',
      given: () => running('route53').key('current', 'active', activatedAgo(150)),
      want: { policy: 'startRotation', keys: { ...newKey('scheduled'), current: { state: 'active' } } },
    },
    {
      name: 'waits until the scheduled rotation is due',
      given: () => running('route53').key('current', 'active', activatedAgo(149)),
      want: { policy: 'idle', requeueAfterMs: DAY_MS, message: /next rotation of mail-20251101-1 at 2026-04-02/ },
    },
    {
      name: 'starts earlier when the spec renews earlier (external mode, renewBefore 40 days)',
      given: () => running('external', { renewBeforeDays: 40 }).key('current', 'active', activatedAgo(140)),
      want: { policy: 'startRotation', keys: newKey('scheduled') },
    },
    {
      name: "starts at once at the operator's rotate, and clears the request",
      given: () => running('route53').with({ rotationRequestedAt: NOW - MINUTE_MS }),
      want: { policy: 'startRotation', state: { rotationRequestedAt: undefined }, keys: newKey('operator') },
    },
    {
      name: 'starts a compromise rotation under a compromise hold',
      given: () =>
        given('route53')
          .key('current', 'retiring', { compromisedAt: NOW - MINUTE_MS, retiredAt: NOW - MINUTE_MS })
          .signing('current', { signingEnabled: false })
          .with({ compromiseHoldAt: NOW - MINUTE_MS }),
      want: { policy: 'startRotation', keys: newKey('compromise') },
    },
    {
      name: 'regenerates when no key is active after byodkim had replaced the adopted signing',
      given: () =>
        given('route53').with({
          adoption: {
            observedAt: NOW - 300 * DAY_MS,
            origin: 'AWS_SES',
            signingEnabled: true,
            replacedAt: NOW - 299 * DAY_MS,
          },
        }),
      want: { policy: 'startRotation', keys: newKey('regenerate') },
    },
    {
      name: "numbers the key after any of the day's keys already in the key store",
      given: () => given('route53').stored(NEW_KEY_ID, PUBLIC_KEYS.old),
      want: {
        policy: 'startRotation',
        keys: { 'mail-20260401-2': { state: 'generated', selector: 'mail-20260401-2' } },
      },
    },
    {
      name: 'never starts a second rotation while one is in flight',
      given: () =>
        running('route53', {})
          .key('current', 'active', activatedAgo(160))
          .with({ rotationRequestedAt: NOW - MINUTE_MS })
          .key('next', 'dns-requested', { route53InSyncAt: undefined })
          .change(`change-${KEY_IDS.next}`, 'PENDING'),
      want: { policy: 'idle', requeueAfterMs: MINUTE_MS },
    },
    {
      name: 'never starts a rotation while a switch is under way',
      given: () =>
        running('route53')
          .key('current', 'active', activatedAgo(160))
          .signing('current', { status: 'PENDING' })
          .with({ switching: { keyId: KEY_IDS.current, startedAt: NOW - MINUTE_MS, reason: 'repair' } }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'puts the new key into the slot the active key does not use (delegated)',
      given: () => running('delegated').key('current', 'active', activatedAgo(150)),
      want: {
        policy: 'startRotation',
        keys: { [NEW_KEY_ID]: { state: 'generated', reason: 'scheduled', selector: 'mail2', slot: 2 } },
      },
    },
    {
      name: 'waits for the other slot while the key in it is still in its grace period (delegated)',
      given: () =>
        running('delegated')
          .key('current', 'active', activatedAgo(150))
          .key('old', 'retiring', { retiredAt: NOW - DAY_MS })
          .dns('old', 'correct'),
      want: { policy: 'idle', requeueAfterMs: 6 * DAY_MS, message: /waits for slot 2/ },
    },
    {
      name: 'waits for the revocation in the other slot, not for a grace period already over (delegated: no requeue at once)',
      given: () =>
        running('delegated')
          .key('current', 'active', activatedAgo(150))
          .key('old', 'revoked', {
            retiredAt: NOW - 8 * DAY_MS,
            revocation: { startedAt: NOW - MINUTE_MS, route53ChangeId: 'change-revoke-old' },
          })
          .change('change-revoke-old', 'PENDING'),
      want: { policy: 'idle', requeueAfterMs: MINUTE_MS, message: /waits for slot 2/ },
    },
  ]);
});
