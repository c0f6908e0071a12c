/**
 * activateVerifiedKey: SES is switched only to a key whose record is verified, byte-exact, on every
 * authoritative server and every public resolver, for at least the resolver cache time — and, with manual
 * activation, after an operator's approve. A compromise skips the wait and the approval.
 */
import { DAY_MS, HOUR_MS, KEY_IDS, MINUTE_MS, NOW, given, notifies, running, table } from './world';

const verified = (mode: 'route53' | 'external' | 'delegated', verifiedAgo = 2 * HOUR_MS, manual = false) =>
  running(mode, manual ? { activation: 'manual' } : {})
    .key('next', 'dns-verified', { dnsVerifiedAt: NOW - verifiedAgo })
    .dns('next', 'correct');
const switchToNext = [{ type: 'ses-put-signing-key', keyId: KEY_IDS.next, selector: KEY_IDS.next }];
const backToDns = { next: { state: 'dns-requested', dnsVerifiedAt: undefined } };
const approvalTopic = `approval:${KEY_IDS.next}`;

describe('activateVerifiedKey', () => {
  table([
    {
      name: 'switches SES to a key verified everywhere for the resolver cache time (15 minutes in route53 mode)',
      given: () => verified('route53', 15 * MINUTE_MS),
      want: {
        policy: 'activateVerifiedKey',
        state: { switching: { keyId: KEY_IDS.next, startedAt: NOW, reason: 'activate' } },
        keys: { next: { state: 'dns-verified' }, current: { state: 'active' } },
        actions: switchToNext,
      },
    },
    {
      name: 'waits for resolver caches to expire before switching (15 minutes in route53 mode)',
      given: () => verified('route53', 10 * MINUTE_MS),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /resolver caches/ },
    },
    {
      name: "waits for the record's TTL (an hour) in external mode",
      given: () => verified('external', 30 * MINUTE_MS),
      want: { policy: 'idle', requeueAfterMs: 30 * MINUTE_MS },
    },
    {
      name: 'switches to a delegated slot once it is verified through its CNAME',
      given: () => verified('delegated'),
      want: {
        policy: 'activateVerifiedKey',
        state: { switching: { keyId: KEY_IDS.next, startedAt: NOW, reason: 'activate' } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.next, selector: 'mail2' }],
      },
    },
    {
      name: 'never switches to a key one public resolver does not show: it goes back to DNS verification',
      given: () => verified('route53').dns('next', 'correct', { 'resolver:1.1.1.1': 'missing' }),
      want: {
        policy: 'activateVerifiedKey',
        state: { switching: undefined },
        keys: backToDns,
        message: /no longer verified/,
      },
    },
    {
      name: 'never switches to a key whose authoritative servers show another key',
      given: () => verified('external').dns('next', { authoritative: 'wrong-key', resolvers: 'correct' }),
      want: { policy: 'activateVerifiedKey', state: { switching: undefined }, keys: backToDns },
    },
    {
      name: 'never switches to a truncated record',
      given: () => verified('external').dns('next', 'truncated'),
      want: { policy: 'activateVerifiedKey', state: { switching: undefined }, keys: backToDns },
    },
    {
      name: 'never switches to a revoked record, even for a compromise',
      given: () =>
        verified('route53')
          .key('next', 'dns-verified', { reason: 'compromise', dnsVerifiedAt: NOW - MINUTE_MS })
          .dns('next', 'revoked'),
      want: { policy: 'activateVerifiedKey', state: { switching: undefined }, keys: backToDns },
    },
    {
      name: 'neither switches nor goes back when a server did not answer: it looks again in 5 minutes',
      given: () => verified('route53').dns('next', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /did not answer/ },
    },
    {
      name: 'never switches to a key that is not in the key store',
      given: () => verified('route53').lost('next'),
      want: { policy: 'idle', message: /not in the key store/ },
    },
    {
      name: 'does not switch while the operator has disabled signing',
      given: () =>
        verified('route53')
          .signing('current', { signingEnabled: false })
          .with({ signingDisabledAt: NOW - DAY_MS }),
      want: { policy: 'idle', message: /disabled by the operator/ },
    },
    {
      name: 'asks the operators to approve a verified key when activation is manual',
      given: () => verified('route53', 2 * HOUR_MS, true),
      want: {
        policy: 'activateVerifiedKey',
        unchanged: true,
        actions: [
          {
            ...notifies('approval-needed', 'operators', { selector: KEY_IDS.next }),
            deliveryOf: { kind: 'topic', topic: approvalTopic },
          },
        ],
      },
    },
    {
      name: 'waits a day for the approval before reminding',
      given: () => verified('route53', 2 * HOUR_MS, true).with({ notified: { [approvalTopic]: NOW - 2 * HOUR_MS } }),
      want: { policy: 'idle', requeueAfterMs: 22 * HOUR_MS, message: /waits for approve/ },
    },
    {
      name: 'reminds the operators after a day without approval',
      given: () => verified('route53', 2 * DAY_MS, true).with({ notified: { [approvalTopic]: NOW - DAY_MS } }),
      want: {
        policy: 'activateVerifiedKey',
        unchanged: true,
        actions: [notifies('approval-needed', 'operators')],
        message: /reminder/,
      },
    },
    {
      name: 'switches once an operator approved',
      given: () =>
        verified('route53', 2 * HOUR_MS, true).key('next', 'dns-verified', {
          dnsVerifiedAt: NOW - 2 * HOUR_MS,
          approvedAt: NOW - MINUTE_MS,
        }),
      want: {
        policy: 'activateVerifiedKey',
        state: { switching: { keyId: KEY_IDS.next, startedAt: NOW, reason: 'activate' } },
        actions: switchToNext,
      },
    },
    {
      name: 'replaces a compromised key at once: no cache wait, no approval, and the hold ends',
      given: () =>
        given('external', { activation: 'manual' })
          .key('current', 'retiring', { compromisedAt: NOW - HOUR_MS, retiredAt: NOW - HOUR_MS })
          .signing('current', { signingEnabled: false })
          .key('next', 'dns-verified', { reason: 'compromise', dnsVerifiedAt: NOW - MINUTE_MS })
          .dns('next', 'correct')
          .with({ compromiseHoldAt: NOW - HOUR_MS }),
      want: {
        policy: 'activateVerifiedKey',
        state: {
          switching: { keyId: KEY_IDS.next, startedAt: NOW, reason: 'compromise' },
          compromiseHoldAt: undefined,
        },
        actions: switchToNext,
      },
    },
  ]);
});
