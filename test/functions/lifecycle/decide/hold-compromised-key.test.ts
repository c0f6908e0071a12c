/**
 * holdCompromisedKey: a compromised key never keeps signing. With no switch away from it under way, the
 * key retires and the compromise hold keeps signing off until a fresh key is verified.
 */
import { DAY_MS, KEY_IDS, MINUTE_MS, NOW, failure, running, table } from './world';

const compromised = { compromisedAt: NOW - MINUTE_MS };

describe('holdCompromisedKey', () => {
  table([
    {
      name: 'retires the active key the operator revoked as compromised and records the hold',
      given: () => running('route53').key('current', 'active', compromised),
      want: {
        policy: 'holdCompromisedKey',
        state: { compromiseHoldAt: NOW },
        keys: { current: { state: 'retiring', retiredAt: NOW } },
        message: /compromised/,
      },
    },
    {
      name: 'acts even while backing off after failures',
      given: () =>
        running('external')
          .key('current', 'active', compromised)
          .with({ failure: failure(5, NOW - MINUTE_MS, false) }),
      want: {
        policy: 'holdCompromisedKey',
        state: { compromiseHoldAt: NOW },
        keys: { current: { state: 'retiring', retiredAt: NOW } },
      },
    },
    {
      name: 'holds signing off when SES signs with a compromised key that had already retired, keeping its retirement date',
      given: () =>
        running('route53')
          .key('old', 'retiring', { ...compromised, retiredAt: NOW - 2 * DAY_MS })
          .dns('old', 'correct')
          .signing('old'),
      want: {
        policy: 'holdCompromisedKey',
        state: { compromiseHoldAt: NOW },
        keys: { old: { state: 'retiring', retiredAt: NOW - 2 * DAY_MS }, current: { state: 'active' } },
      },
    },
    {
      name: 'does not apply while a switch away from the compromised key is under way: SES gets the new key',
      given: () =>
        running('route53')
          .key('current', 'active', compromised)
          .key('next', 'dns-verified', { reason: 'compromise' })
          .dns('next', 'correct')
          .with({ switching: { keyId: KEY_IDS.next, startedAt: NOW - MINUTE_MS, reason: 'compromise' } }),
      want: {
        policy: 'completeSwitch',
        unchanged: true,
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.next, selector: KEY_IDS.next }],
      },
    },
    {
      name: 'does not apply once the hold is recorded: signing is turned off next',
      given: () =>
        running('route53')
          .key('current', 'retiring', { ...compromised, retiredAt: NOW - MINUTE_MS })
          .with({ compromiseHoldAt: NOW - MINUTE_MS }),
      want: { policy: 'enforceSigningOff', actions: [{ type: 'ses-set-signing-enabled', enabled: false }] },
    },
    {
      name: 'does not apply to a compromised key SES no longer signs with: it is revoked at once instead',
      given: () =>
        running('route53')
          .key('old', 'retiring', { ...compromised, retiredAt: NOW - MINUTE_MS })
          .dns('old', 'correct'),
      want: {
        policy: 'retireKeys',
        keys: { old: { state: 'revoked', revocation: { startedAt: NOW } } },
        actions: [{ type: 'write-txt', purpose: 'revoke', keyId: KEY_IDS.old }],
      },
    },
  ]);
});
