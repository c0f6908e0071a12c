/**
 * confirmRevocation: a revocation is done when every server shows the selector revoked or gone. Until then,
 * Route 53 writes are followed (and repeated if the authoritative servers still show the key) and the DNS
 * team's request is followed up.
 */
import type { DnsTeamRequest } from '../../../../functions/lifecycle/state';
import {
  DAY_MS,
  HOSTED_ZONE_ID,
  HOUR_MS,
  KEY_IDS,
  MINUTE_MS,
  NOW,
  REVOKED_VALUE,
  notifies,
  recordName,
  running,
  table,
} from './world';

const change = `revoke-${KEY_IDS.old}`;
const revoke = {
  type: 'write-txt',
  purpose: 'revoke',
  keyId: KEY_IDS.old,
  zone: HOSTED_ZONE_ID,
  name: recordName(KEY_IDS.old),
  strings: [REVOKED_VALUE],
  ttlSeconds: 300,
};
const revoking = (mode: 'route53' | 'external' | 'delegated') => running(mode).key('old', 'revoked');
const request = (patch: Partial<DnsTeamRequest> = {}): DnsTeamRequest => ({
  id: `${KEY_IDS.old}-revoke`,
  sentAt: NOW - HOUR_MS,
  deliveredAt: NOW - HOUR_MS,
  deadline: NOW - HOUR_MS + 14 * DAY_MS,
  reminders: 0,
  escalations: 0,
  ...patch,
});
const external = (patch: Partial<DnsTeamRequest> = {}) =>
  running('external')
    .key('old', 'revoked', { revocation: { startedAt: NOW - HOUR_MS, request: request(patch) } })
    .dns('old', 'correct');

describe('confirmRevocation', () => {
  table([
    {
      name: 'records the revocation once every server shows p= empty',
      given: () => revoking('route53').dns('old', 'revoked'),
      want: {
        policy: 'confirmRevocation',
        keys: {
          old: {
            state: 'revoked',
            revocation: { startedAt: NOW - HOUR_MS, route53ChangeId: change, confirmedAt: NOW },
          },
        },
      },
    },
    {
      name: 'accepts a removed record as revoked',
      given: () => external().dns('old', 'missing'),
      want: {
        policy: 'confirmRevocation',
        keys: { old: { revocation: { startedAt: NOW - HOUR_MS, request: request(), confirmedAt: NOW } } },
      },
    },
    {
      name: 'external: does not take a missing record for the revocation of a key never seen published (the DNS team may still publish it)',
      given: () =>
        external()
          .key('old', 'revoked', {
            activatedAt: undefined,
            dnsVerifiedAt: undefined,
            revocation: { startedAt: NOW - HOUR_MS, request: request() },
          })
          .dns('old', 'missing'),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'external: confirms the revocation of a key never seen published once every server shows p= empty',
      given: () =>
        external()
          .key('old', 'revoked', {
            activatedAt: undefined,
            dnsVerifiedAt: undefined,
            revocation: { startedAt: NOW - HOUR_MS, request: request() },
          })
          .dns('old', 'revoked'),
      want: {
        policy: 'confirmRevocation',
        keys: { old: { revocation: { startedAt: NOW - HOUR_MS, request: request(), confirmedAt: NOW } } },
      },
    },
    {
      name: 'accepts another key at a reused delegated slot as revoked',
      given: () => revoking('delegated').dns('old', 'wrong-key'),
      want: {
        policy: 'confirmRevocation',
        keys: { old: { revocation: expect.objectContaining({ confirmedAt: NOW }) } },
      },
    },
    {
      name: 'does not confirm while one public resolver still shows the key',
      given: () =>
        revoking('route53').dns('old', 'revoked', { 'resolver:1.1.1.1': 'correct' }).change(change, 'INSYNC'),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'waits a minute at a time while the Route 53 change is pending',
      given: () => revoking('route53').dns('old', 'correct').change(change, 'PENDING'),
      want: { policy: 'idle', requeueAfterMs: MINUTE_MS },
    },
    {
      name: 'writes the revocation again when the authoritative servers still show the key 5 minutes later',
      given: () => revoking('route53').dns('old', 'correct').change(change, 'INSYNC'),
      want: { policy: 'confirmRevocation', keys: { old: { revocation: { startedAt: NOW } } }, actions: [revoke] },
    },
    {
      name: 'does not write it again within 5 minutes of the first write',
      given: () =>
        revoking('route53')
          .key('old', 'revoked', { revocation: { startedAt: NOW - 2 * MINUTE_MS, route53ChangeId: change } })
          .dns('old', 'correct')
          .change(change, 'INSYNC'),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'writes the revocation when no change is recorded (a run died after recording the intent)',
      given: () =>
        revoking('route53')
          .key('old', 'revoked', { revocation: { startedAt: NOW - MINUTE_MS } })
          .dns('old', 'correct'),
      want: { policy: 'confirmRevocation', unchanged: true, actions: [revoke] },
    },
    {
      name: 'sends the revocation request again when its delivery was not confirmed',
      given: () => external({ deliveredAt: undefined }),
      want: {
        policy: 'confirmRevocation',
        keys: {
          old: {
            revocation: {
              startedAt: NOW - HOUR_MS,
              request: request({ deliveredAt: undefined, resendRequested: false }),
            },
          },
        },
        actions: [
          {
            ...notifies('dns-revocation-request', 'dns-team', { requestId: `${KEY_IDS.old}-revoke` }),
            deliveryOf: { kind: 'revocation', keyId: KEY_IDS.old },
          },
        ],
      },
    },
    {
      name: 'reminds the DNS team halfway through the lead time',
      given: () => external().at(NOW - HOUR_MS + 7 * DAY_MS),
      want: {
        policy: 'confirmRevocation',
        keys: {
          old: {
            revocation: {
              startedAt: NOW - HOUR_MS,
              request: request({ reminders: 1, lastReminderAt: NOW - HOUR_MS + 7 * DAY_MS }),
            },
          },
        },
        actions: [
          {
            ...notifies('dns-revocation-request', 'dns-team'),
            notification: expect.objectContaining({
              subject: expect.objectContaining({ en: expect.stringMatching(/^\[Reminder\]/) }),
            }),
          },
        ],
      },
    },
    {
      name: 'does nothing while the DNS team still has time',
      given: () => external(),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
  ]);
});
