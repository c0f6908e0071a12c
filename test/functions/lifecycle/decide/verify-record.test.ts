/**
 * verifyRecord: the new key's record, once requested. Route 53: wait for INSYNC, then for every server to
 * show it, writing it again if the authoritative servers show something else. External: follow the DNS
 * team's request up (send, remind, escalate) and tell them exactly what is wrong — each mistake once, again
 * after 3 days.
 */
import type { DnsTeamRequest } from '../../../../functions/lifecycle/state';
import {
  DAY_MS,
  HOUR_MS,
  HOSTED_ZONE_ID,
  KEY_IDS,
  MINUTE_MS,
  NOW,
  PUBLIC_KEYS,
  notifies,
  recordName,
  recordStrings,
  given,
  running,
  table,
} from './world';

const change = `change-${KEY_IDS.next}`;
const publish = {
  type: 'write-txt',
  purpose: 'publish',
  keyId: KEY_IDS.next,
  zone: HOSTED_ZONE_ID,
  name: recordName(KEY_IDS.next),
  strings: recordStrings(PUBLIC_KEYS.next),
  ttlSeconds: 300,
};
const requested = (mode: 'route53' | 'external' | 'delegated') => running(mode).key('next', 'dns-requested');

/** `next`'s publication request: sent (and delivered) 2 days before NOW, due in 12 days. */
const SENT = NOW - 2 * DAY_MS + MINUTE_MS;
const request = (patch: Partial<DnsTeamRequest> = {}): DnsTeamRequest => ({
  id: KEY_IDS.next,
  sentAt: SENT,
  deliveredAt: SENT,
  deadline: SENT + 14 * DAY_MS,
  reminders: 0,
  escalations: 0,
  ...patch,
});
const external = (patch: Partial<DnsTeamRequest> = {}) =>
  running('external').key('next', 'dns-requested', { dnsRequest: request(patch) });
const teamRequest = (kind: string) => notifies(kind, 'dns-team', { requestId: KEY_IDS.next, selector: KEY_IDS.next });

describe('verifyRecord', () => {
  table([
    {
      name: 'writes the record when no Route 53 change is recorded (a run died after recording the intent)',
      given: () =>
        requested('route53').key('next', 'dns-requested', { route53ChangeId: undefined, route53InSyncAt: undefined }),
      want: { policy: 'verifyRecord', unchanged: true, actions: [publish] },
    },
    {
      name: 'waits a minute at a time for the Route 53 change to be INSYNC',
      given: () =>
        requested('route53').key('next', 'dns-requested', { route53InSyncAt: undefined }).change(change, 'PENDING'),
      want: { policy: 'idle', requeueAfterMs: MINUTE_MS, message: /INSYNC/ },
    },
    {
      name: 'records when Route 53 reports the change INSYNC',
      given: () =>
        requested('route53').key('next', 'dns-requested', { route53InSyncAt: undefined }).change(change, 'INSYNC'),
      want: { policy: 'verifyRecord', keys: { next: { state: 'dns-requested', route53InSyncAt: NOW } } },
    },
    {
      name: 'marks the key verified once its record is correct on every authoritative server and resolver',
      given: () => requested('route53').dns('next', 'correct'),
      want: { policy: 'verifyRecord', keys: { next: { state: 'dns-verified', dnsVerifiedAt: NOW } } },
    },
    {
      name: 'marks a delegated slot verified when its record is correct through the CNAME',
      given: () => requested('delegated').dns('next', 'correct'),
      want: { policy: 'verifyRecord', keys: { next: { state: 'dns-verified', dnsVerifiedAt: NOW } } },
    },
    {
      name: 'does not mark the key verified while one public resolver does not show it yet: it looks again in 5 minutes',
      given: () => requested('route53').dns('next', 'correct', { 'resolver:8.8.8.8': 'missing' }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /public resolvers/ },
    },
    {
      name: 'writes the record again when the authoritative servers show something else 5 minutes after INSYNC',
      given: () =>
        requested('route53')
          .key('next', 'dns-requested', { route53InSyncAt: NOW - 5 * MINUTE_MS })
          .dns('next', { authoritative: 'wrong-key', resolvers: 'missing' }),
      want: {
        policy: 'verifyRecord',
        keys: { next: { state: 'dns-requested', route53ChangeId: undefined, route53InSyncAt: undefined } },
        actions: [publish],
      },
    },
    {
      name: 'does not write it again right after INSYNC (the authoritative servers may lag a little)',
      given: () =>
        requested('route53')
          .key('next', 'dns-requested', { route53InSyncAt: NOW - MINUTE_MS })
          .dns('next', { authoritative: 'missing', resolvers: 'missing' }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: "waits for the DNS team's CNAMEs in delegated mode before a slot's record can be seen",
      given: () =>
        given('delegated')
          .key('next', 'dns-requested')
          .dns('next', 'missing')
          .with({
            delegation: {
              placeholdersWrittenAt: NOW - DAY_MS,
              request: {
                id: 'mail-cname-20260331',
                sentAt: NOW - DAY_MS,
                deliveredAt: NOW - DAY_MS,
                deadline: NOW + 13 * DAY_MS,
                reminders: 0,
                escalations: 0,
              },
            },
          }),
      want: { policy: 'idle', message: /CNAMEs/ },
    },
    {
      name: 'waits for the DNS team until the first reminder is due (halfway through the lead time)',
      given: () => external().dns('next', 'missing'),
      want: { policy: 'idle', requeueAfterMs: SENT + 7 * DAY_MS - NOW, message: /waiting for the DNS team/ },
    },
    {
      name: 'sends the change request again when its delivery was not confirmed',
      given: () => external({ deliveredAt: undefined }).dns('next', 'missing'),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ deliveredAt: undefined, resendRequested: false }) } },
        actions: [{ ...teamRequest('dns-change-request'), deliveryOf: { kind: 'publication', keyId: KEY_IDS.next } }],
      },
    },
    {
      name: "resends the change request on the operator's dns-request",
      given: () => external({ resendRequested: true }),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ resendRequested: false }) } },
        actions: [
          {
            ...teamRequest('dns-change-request'),
            notification: expect.objectContaining({
              subject: expect.objectContaining({ en: expect.stringMatching(/^\[Resent\]/) }),
            }),
            deliveryOf: { kind: 'publication', keyId: KEY_IDS.next },
          },
        ],
      },
    },
    {
      name: 'reminds the DNS team halfway through the lead time',
      given: () =>
        external()
          .dns('next', 'missing')
          .at(SENT + 7 * DAY_MS),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ reminders: 1, lastReminderAt: SENT + 7 * DAY_MS }) } },
        actions: [teamRequest('dns-change-reminder')],
      },
    },
    {
      name: 'escalates once the deadline has passed',
      given: () =>
        external({ reminders: 2 })
          .dns('next', 'missing')
          .at(SENT + 14 * DAY_MS),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ reminders: 2, escalations: 1, lastEscalationAt: SENT + 14 * DAY_MS }) } },
        actions: [teamRequest('dns-change-escalation')],
      },
    },
    {
      name: 'tells the DNS team exactly what is wrong when the record is cut at 255 characters',
      given: () => external().dns('next', 'truncated'),
      want: {
        policy: 'verifyRecord',
        keys: {
          next: {
            state: 'dns-requested',
            dnsRequest: request({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW }),
          },
        },
        actions: [teamRequest('dns-correction')],
      },
      then: (decision) => {
        const action = decision.actions[0]!;
        if (action.type !== 'notify') throw new Error('expected a notification');
        expect(action.notification.subject.en).toMatch(/key-truncated/);
      },
    },
    {
      name: 'tells them when the record was published with the domain appended twice',
      given: () => external().dns('next', 'missing').doubled('next', 'correct'),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ reportedMistake: 'domain-appended-twice', reportedMistakeAt: NOW }) } },
        actions: [teamRequest('dns-correction')],
      },
    },
    {
      name: 'does not send the same correction twice within 3 days',
      given: () =>
        external({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW - 2 * DAY_MS }).dns('next', 'truncated'),
      want: { policy: 'idle', requeueAfterMs: SENT + 7 * DAY_MS - NOW },
    },
    {
      name: 'sends the same correction again after 3 days',
      given: () =>
        external({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW - 3 * DAY_MS }).dns('next', 'truncated'),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW }) } },
        actions: [teamRequest('dns-correction')],
      },
    },
    {
      name: 'reports a new mistake at once (a stale key after a truncated one)',
      given: () =>
        external({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW - HOUR_MS }).dns('next', 'wrong-key'),
      want: {
        policy: 'verifyRecord',
        keys: { next: { dnsRequest: request({ reportedMistake: 'wrong-key', reportedMistakeAt: NOW }) } },
        actions: [teamRequest('dns-correction')],
      },
    },
    {
      name: 'does not tell the team anything while only public resolvers lag behind a correct record',
      given: () => external().dns('next', { authoritative: 'correct', resolvers: 'missing' }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /public resolvers/ },
    },
  ]);
});
