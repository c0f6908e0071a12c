/**
 * destroyKeys: a private key is deleted (with the key store's recovery window) only after its record is
 * seen revoked or gone and, unless it is compromised or never signed, its grace period is over.
 */
import { DAY_MS, HOUR_MS, KEY_IDS, MINUTE_MS, NOW, running, table } from './world';

const confirmed = (retiredAgo: number, patch = {}) =>
  running('route53').key('old', 'revoked', {
    retiredAt: NOW - retiredAgo,
    revocation: { startedAt: NOW - HOUR_MS, confirmedAt: NOW - MINUTE_MS },
    ...patch,
  });
const destroy = [{ type: 'destroy-key', keyId: KEY_IDS.old, recoveryWindowDays: 30 }];

describe('destroyKeys', () => {
  table([
    {
      name: 'schedules the deletion of a key whose revocation is confirmed and whose grace period is over',
      given: () => confirmed(7 * DAY_MS),
      want: { policy: 'destroyKeys', keys: { old: { state: 'destroyed', destroyedAt: NOW } }, actions: destroy },
    },
    {
      name: 'keeps the key until its grace period is over, even when the revocation is confirmed',
      given: () => confirmed(3 * DAY_MS),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'deletes a compromised key at once, without waiting for the grace period',
      given: () => confirmed(HOUR_MS, { compromisedAt: NOW - HOUR_MS }),
      want: { policy: 'destroyKeys', keys: { old: { state: 'destroyed', destroyedAt: NOW } }, actions: destroy },
    },
    {
      name: 'deletes a key that never signed at once',
      given: () => confirmed(HOUR_MS, { activatedAt: undefined }),
      want: { policy: 'destroyKeys', keys: { old: { state: 'destroyed' } }, actions: destroy },
    },
    {
      name: 'never deletes a key whose revocation is not yet seen in DNS, even long after its grace period',
      given: () =>
        running('external')
          .key('old', 'revoked', { retiredAt: NOW - 60 * DAY_MS })
          .dns('old', 'correct'),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'never deletes a compromised key whose revocation is not yet seen in DNS',
      given: () =>
        running('route53')
          .key('old', 'revoked', { compromisedAt: NOW - HOUR_MS })
          .dns('old', 'correct')
          .change(`revoke-${KEY_IDS.old}`, 'PENDING'),
      want: { policy: 'idle', requeueAfterMs: MINUTE_MS },
    },
  ]);
});
