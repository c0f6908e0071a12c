/**
 * retireKeys: a retired selector stays published, unchanged, for its grace period (queued and forwarded
 * mail is verified later), then is revoked (`v=DKIM1; p=`) — at once when compromised — but never while
 * SES signs with it or is being switched back to it.
 */
import {
  DAY_MS,
  HOSTED_ZONE_ID,
  HOUR_MS,
  KEY_IDS,
  MINUTE_MS,
  NOW,
  OWNED_ZONE,
  REVOKED_VALUE,
  given,
  notifies,
  recordName,
  running,
  table,
} from './world';

const retired = (mode: 'route53' | 'external' | 'delegated', ago: number, patch = {}) =>
  running(mode)
    .key('old', 'retiring', { retiredAt: NOW - ago, ...patch })
    .dns('old', 'correct');
const revoke = {
  type: 'write-txt',
  purpose: 'revoke',
  keyId: KEY_IDS.old,
  zone: HOSTED_ZONE_ID,
  name: recordName(KEY_IDS.old),
  strings: [REVOKED_VALUE],
  ttlSeconds: 300,
};
const revocationRequest = (deadline: number) => ({
  id: `${KEY_IDS.old}-revoke`,
  sentAt: NOW,
  deadline,
  reminders: 0,
  escalations: 0,
});
/** A rotation in flight whose Route 53 change is pending: nothing before retireKeys acts. */
const inFlight = () =>
  given('route53')
    .key('next', 'dns-requested', { route53InSyncAt: undefined })
    .change(`change-${KEY_IDS.next}`, 'PENDING');

describe('retireKeys', () => {
  table([
    {
      name: 'revokes the retired selector once its 7-day grace period is over',
      given: () => retired('route53', 7 * DAY_MS),
      want: {
        policy: 'retireKeys',
        keys: { old: { state: 'revoked', revocation: { startedAt: NOW } }, current: { state: 'active' } },
        actions: [revoke],
      },
    },
    {
      name: 'keeps the retired selector published for the grace period',
      given: () => retired('route53', DAY_MS),
      want: { policy: 'idle', requeueAfterMs: 6 * DAY_MS },
    },
    {
      name: "revokes a delegated slot's record in the owned zone",
      given: () => retired('delegated', 8 * DAY_MS),
      want: {
        policy: 'retireKeys',
        keys: { old: { state: 'revoked', revocation: { startedAt: NOW } } },
        actions: [{ ...revoke, zone: OWNED_ZONE, name: `mail2.${OWNED_ZONE}` }],
      },
    },
    {
      name: 'asks the DNS team to revoke it in external mode, due within the lead time',
      given: () => retired('external', 7 * DAY_MS),
      want: {
        policy: 'retireKeys',
        keys: {
          old: { state: 'revoked', revocation: { startedAt: NOW, request: revocationRequest(NOW + 14 * DAY_MS) } },
        },
        actions: [
          {
            ...notifies('dns-revocation-request', 'dns-team', {
              requestId: `${KEY_IDS.old}-revoke`,
              selector: KEY_IDS.old,
            }),
            deliveryOf: { kind: 'revocation', keyId: KEY_IDS.old },
          },
        ],
      },
    },
    {
      name: 'revokes a compromised key at once, without the grace period',
      given: () => retired('route53', HOUR_MS, { compromisedAt: NOW - HOUR_MS }),
      want: {
        policy: 'retireKeys',
        keys: { old: { state: 'revoked', revocation: { startedAt: NOW } } },
        actions: [revoke],
      },
    },
    {
      name: 'asks the DNS team to revoke a compromised key within a day, marked urgent',
      given: () => retired('external', HOUR_MS, { compromisedAt: NOW - HOUR_MS }),
      want: {
        policy: 'retireKeys',
        keys: { old: { state: 'revoked', revocation: { startedAt: NOW, request: revocationRequest(NOW + DAY_MS) } } },
        actions: [
          {
            ...notifies('dns-revocation-request', 'dns-team'),
            notification: expect.objectContaining({
              subject: expect.objectContaining({ en: expect.stringContaining('URGENT') }),
            }),
          },
        ],
      },
    },
    {
      name: 'tells the DNS team that the revocation replaces an open request to put the same record back (ja and en)',
      given: () =>
        retired('external', HOUR_MS, {
          compromisedAt: NOW - HOUR_MS,
          restoreRequest: {
            id: 'mail-20260102-1-restore-202604010100',
            sentAt: NOW - 2 * HOUR_MS,
            deliveredAt: NOW - 2 * HOUR_MS,
            deadline: NOW + DAY_MS,
            reminders: 0,
            escalations: 0,
            urgent: true,
          },
        }),
      want: {
        policy: 'retireKeys',
        actions: [
          {
            ...notifies('dns-revocation-request', 'dns-team'),
            notification: expect.objectContaining({
              body: {
                en: expect.stringContaining(
                  'replaces request mail-20260102-1-restore-202604010100 to put the same record back',
                ),
                ja: expect.stringContaining('mail-20260102-1-restore-202604010100 は対応しないでください'),
              },
            }),
          },
        ],
      },
    },
    {
      name: 'marks a key that never reached DNS revoked without touching DNS',
      given: () =>
        running('route53').key('old', 'retiring', {
          dnsRequestedAt: undefined,
          activatedAt: undefined,
          retiredAt: NOW - HOUR_MS,
        }),
      want: {
        policy: 'retireKeys',
        keys: { old: { state: 'revoked', revocation: { startedAt: NOW, confirmedAt: NOW } } },
      },
    },
    {
      name: 'never revokes a key SES still signs with, even after its grace period',
      given: () =>
        inFlight()
          .key('old', 'retiring', { retiredAt: NOW - 30 * DAY_MS })
          .dns('old', 'correct')
          .signing('old'),
      want: { policy: 'idle', requeueAfterMs: MINUTE_MS },
    },
    {
      name: 'never revokes the key a rollback is switching back to, even while SES signing is off',
      given: () =>
        running('route53')
          .key('old', 'retiring', { retiredAt: NOW - 30 * DAY_MS })
          .dns('old', 'correct')
          .signing('old', { signingEnabled: false, status: 'PENDING' })
          .with({
            switching: { keyId: KEY_IDS.old, startedAt: NOW - MINUTE_MS, reason: 'rollback' },
            signingDisabledAt: NOW - MINUTE_MS,
          }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'revokes the oldest retired key first',
      given: () =>
        retired('route53', 9 * DAY_MS)
          .key('mail-20250101-1', 'retiring', { retiredAt: NOW - 20 * DAY_MS, dnsRequestedAt: NOW - 300 * DAY_MS })
          .dns('mail-20250101-1', 'correct'),
      want: {
        policy: 'retireKeys',
        keys: { 'mail-20250101-1': { state: 'revoked' }, old: { state: 'retiring' } },
        actions: [{ ...revoke, keyId: 'mail-20250101-1', name: recordName('mail-20250101-1') }],
      },
    },
  ]);
});
