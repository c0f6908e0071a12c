/**
 * completeSwitch: a switch recorded ahead of the SES calls. SES gets the key (only while its record is
 * verified and the key is stored), signing is enabled, and once SES confirms, the key is active and the
 * previous one retires. A record that breaks while SES is confirming is repaired at once.
 */
import {
  DAY_MS,
  HOUR_MS,
  KEY_IDS,
  MINUTE_MS,
  NOW,
  given,
  notifies,
  recordStrings,
  running,
  PUBLIC_KEYS,
  table,
} from './world';

const switchingTo = (keyId: string, reason: 'activate' | 'rollback' | 'compromise' | 'repair' = 'activate') => ({
  switching: { keyId, startedAt: NOW - MINUTE_MS, reason },
});
/** The domain a minute after activateVerifiedKey recorded the switch to `next`. */
const switching = () =>
  running('route53').key('next', 'dns-verified').dns('next', 'correct').with(switchingTo(KEY_IDS.next));

const easyDkim = { origin: 'AWS_SES', signingEnabled: true, status: 'SUCCESS', tokens: ['t1', 't2', 't3'] } as const;

describe('completeSwitch', () => {
  table([
    {
      name: 'gives SES the new key when the switch is recorded and its record is verified',
      given: switching,
      want: {
        policy: 'completeSwitch',
        unchanged: true,
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.next, selector: KEY_IDS.next }],
      },
    },
    {
      name: 'delegated: SES on a reused slot selector holds the slot’s previous key until this switch gave it the new one',
      given: () =>
        running('delegated')
          .key('next', 'dns-verified', { slot: 1 })
          .dns('next', 'correct')
          .with(switchingTo(KEY_IDS.next)),
      want: {
        policy: 'completeSwitch',
        unchanged: true,
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.next, selector: 'mail1' }],
      },
    },
    {
      name: 'delegated: once this switch gave SES the key (recorded from the call), it goes on to enable signing',
      given: () =>
        running('delegated')
          .key('next', 'dns-verified', { slot: 1 })
          .dns('next', 'correct')
          .signing('next', { signingEnabled: false, status: 'PENDING' })
          .with({
            switching: {
              keyId: KEY_IDS.next,
              startedAt: NOW - MINUTE_MS,
              reason: 'activate',
              givenAt: NOW - MINUTE_MS,
            },
          }),
      want: {
        policy: 'completeSwitch',
        unchanged: true,
        actions: [{ type: 'ses-set-signing-enabled', enabled: true }],
      },
    },
    {
      name: 'abandons the switch without calling SES when one public resolver does not show the record',
      given: () => switching().dns('next', 'correct', { 'resolver:1.1.1.1': 'missing' }),
      want: { policy: 'completeSwitch', state: { switching: undefined }, message: /abandoned.*not verified/ },
    },
    {
      name: 'abandons the switch without calling SES when the authoritative servers show another key',
      given: () => switching().dns('next', { authoritative: 'wrong-key', resolvers: 'correct' }),
      want: { policy: 'completeSwitch', state: { switching: undefined }, keys: { next: { state: 'dns-verified' } } },
    },
    {
      name: 'a repair switch whose record a server did not answer for looks again in 5 minutes instead of being abandoned',
      given: () =>
        running('route53')
          .ses(easyDkim)
          .dns('current', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' })
          .with(switchingTo(KEY_IDS.current, 'repair')),
      want: { policy: 'idle', unchanged: true, requeueAfterMs: 5 * MINUTE_MS, message: /could not be looked up/ },
    },
    {
      name: 'abandons a repair switch whose record could not be looked up for a day',
      given: () =>
        running('route53')
          .ses(easyDkim)
          .dns('current', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' })
          .with({ switching: { keyId: KEY_IDS.current, startedAt: NOW - DAY_MS, reason: 'repair' } }),
      want: { policy: 'completeSwitch', state: { switching: undefined }, message: /abandoned.*lookup-failed/ },
    },
    {
      name: 'abandons a switch away from a compromised key at once when the new record could not be looked up',
      given: () =>
        switching()
          .dns('next', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' })
          .with(switchingTo(KEY_IDS.next, 'compromise')),
      want: { policy: 'completeSwitch', state: { switching: undefined }, message: /abandoned.*lookup-failed/ },
    },
    {
      name: 'starts the grace period of a retiring key again when a switch back to it is abandoned (SES may have signed with it)',
      given: () =>
        running('route53')
          .key('old', 'retiring', { retiredAt: NOW - 6 * DAY_MS })
          .dns('old', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' })
          .with(switchingTo(KEY_IDS.old, 'compromise')),
      want: {
        policy: 'completeSwitch',
        state: { switching: undefined },
        keys: { old: { state: 'retiring', retiredAt: NOW } },
        message: /abandoned/,
      },
    },
    {
      name: 'abandons the switch when the key is not in the key store',
      given: () => switching().lost('next'),
      want: { policy: 'completeSwitch', state: { switching: undefined }, message: /key store/ },
    },
    {
      name: 'abandons a switch to a key that was revoked meanwhile',
      given: () =>
        running('route53').key('old', 'revoked').dns('old', 'correct').with(switchingTo(KEY_IDS.old, 'rollback')),
      want: { policy: 'completeSwitch', state: { switching: undefined }, message: /no longer usable/ },
    },
    {
      name: 'enables signing once SES has the key',
      given: () => switching().signing('next', { signingEnabled: false, status: 'PENDING' }),
      want: {
        policy: 'completeSwitch',
        unchanged: true,
        actions: [{ type: 'ses-set-signing-enabled', enabled: true }],
      },
    },
    {
      name: 'never enables signing while the operator has disabled it',
      given: () =>
        switching()
          .signing('next', { signingEnabled: false, status: 'PENDING' })
          .with({ ...switchingTo(KEY_IDS.next), signingDisabledAt: NOW - MINUTE_MS }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'waits while SES confirms the record (PENDING), looking again in 5 minutes',
      given: () => switching().signing('next', { status: 'PENDING' }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /SES is confirming/ },
    },
    {
      name: 'waits an hour while the SES identity is missing',
      given: () => switching().ses(undefined),
      want: { policy: 'idle', requeueAfterMs: HOUR_MS, message: /identity is missing/ },
    },
    {
      name: 'makes the key active once SES confirms it; the previous key retires and the operators are told',
      given: () => switching().signing('next'),
      want: {
        policy: 'completeSwitch',
        state: { switching: undefined, rotations: 2, compromiseHoldAt: undefined },
        keys: {
          next: { state: 'active', activatedAt: NOW },
          current: { state: 'retiring', retiredAt: NOW },
        },
        actions: [notifies('rotation-completed', 'operators', { selector: KEY_IDS.next })],
      },
    },
    {
      name: 'records that the adopted Easy DKIM signing was replaced on the first activation',
      given: () =>
        given('route53')
          .key('next', 'dns-verified')
          .dns('next', 'correct')
          .with(switchingTo(KEY_IDS.next))
          .signing('next'),
      want: {
        policy: 'completeSwitch',
        state: {
          rotations: 1,
          adoption: { observedAt: NOW - 400 * 24 * HOUR_MS, origin: 'AWS_SES', signingEnabled: true, replacedAt: NOW },
        },
        keys: { next: { state: 'active', activatedAt: NOW } },
        actions: [notifies('rotation-completed', 'operators')],
        message: /Easy DKIM retires/,
      },
    },
    {
      name: 'counts the switch away from a compromised key as a rotation; the compromised key keeps its retirement date',
      given: () =>
        given('route53')
          .key('current', 'retiring', { compromisedAt: NOW - HOUR_MS, retiredAt: NOW - HOUR_MS })
          .key('next', 'dns-verified', { reason: 'compromise' })
          .dns('next', 'correct')
          .signing('next')
          .with(switchingTo(KEY_IDS.next, 'compromise')),
      want: {
        policy: 'completeSwitch',
        state: { switching: undefined, rotations: 2 },
        keys: { next: { state: 'active' }, current: { state: 'retiring', retiredAt: NOW - HOUR_MS } },
        actions: [notifies('rotation-completed', 'operators')],
      },
    },
    {
      name: 'does not count a repair back to the same key as a rotation, and tells no one',
      given: () => running('route53').with(switchingTo(KEY_IDS.current, 'repair')),
      want: {
        policy: 'completeSwitch',
        state: { switching: undefined, rotations: 1 },
        keys: { current: { state: 'active', activatedAt: NOW - 59 * 24 * HOUR_MS } },
        message: /again/,
      },
    },
    {
      name: 'goes back to the previous key when the new record breaks while SES is confirming it, and writes it again',
      given: () =>
        switching()
          .signing('next', { status: 'PENDING' })
          .dns('next', { authoritative: 'missing', resolvers: 'correct' }),
      want: {
        policy: 'completeSwitch',
        state: { switching: { keyId: KEY_IDS.current, startedAt: NOW, reason: 'repair' } },
        keys: {
          next: {
            state: 'dns-requested',
            dnsVerifiedAt: undefined,
            route53ChangeId: undefined,
            route53InSyncAt: undefined,
            recordRepairedAt: NOW,
          },
          current: { state: 'active' },
        },
        actions: [
          { type: 'ses-put-signing-key', keyId: KEY_IDS.current, selector: KEY_IDS.current },
          { type: 'write-txt', purpose: 'publish', keyId: KEY_IDS.next, strings: recordStrings(PUBLIC_KEYS.next) },
          notifies('signing-drift', 'operators', { selector: KEY_IDS.next }),
        ],
      },
    },
    {
      name: 'keeps a rollback switch and asks the DNS team to correct the record that broke while SES confirms it',
      given: () =>
        running('external')
          .key('old', 'retiring')
          .dns('old', { authoritative: 'wrong-key', resolvers: 'correct' })
          .signing('old', { status: 'PENDING' })
          .with(switchingTo(KEY_IDS.old, 'rollback')),
      want: {
        policy: 'completeSwitch',
        state: { switching: { keyId: KEY_IDS.old, startedAt: NOW - MINUTE_MS, reason: 'rollback' } },
        keys: {
          old: {
            state: 'retiring',
            dnsRequest: expect.objectContaining({ reportedMistake: 'wrong-key', reportedMistakeAt: NOW }),
          },
        },
        actions: [
          notifies('dns-correction', 'dns-team', { requestId: KEY_IDS.old }),
          notifies('signing-drift', 'operators', { selector: KEY_IDS.old }),
        ],
      },
    },
    {
      name: 'does not send the DNS team the same correction twice within 3 days while SES confirms',
      given: () =>
        running('external')
          .key('old', 'retiring', {
            dnsRequest: {
              id: KEY_IDS.old,
              sentAt: NOW - 240 * 24 * HOUR_MS,
              deliveredAt: NOW - 240 * 24 * HOUR_MS,
              deadline: NOW - 226 * 24 * HOUR_MS,
              reminders: 0,
              escalations: 0,
              reportedMistake: 'wrong-key',
              reportedMistakeAt: NOW - 24 * HOUR_MS,
            },
          })
          .dns('old', { authoritative: 'wrong-key', resolvers: 'correct' })
          .signing('old', { status: 'PENDING' })
          .with(switchingTo(KEY_IDS.old, 'rollback')),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /being repaired/ },
    },
  ]);
});
