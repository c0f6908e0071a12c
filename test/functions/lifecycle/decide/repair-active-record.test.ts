/**
 * repairActiveRecord: the active key's record is wrong on the authoritative servers (removed or changed by
 * hand). byodkim writes it again (route53, delegated) and follows it up every 5 minutes, or (external)
 * sends the DNS team an URGENT request to put it back — each mistake once, escalated daily — or switches
 * SES back to a previous key when that is safe, instead of waiting for SES to stop signing.
 */
import type { DnsTeamRequest } from '../../../../functions/lifecycle/state';
import {
  DAY_MS,
  HOUR_MS,
  HOSTED_ZONE_ID,
  KEY_IDS,
  MINUTE_MS,
  NOW,
  OWNED_ZONE,
  PUBLIC_KEYS,
  failure,
  given,
  notifies,
  recordName,
  recordStrings,
  running,
  table,
} from './world';

const topic = `record:${KEY_IDS.current}`;
const operators = {
  ...notifies('signing-drift', 'operators', { selector: KEY_IDS.current }),
  deliveryOf: { kind: 'topic', topic },
};
const rewrite = {
  type: 'write-txt',
  purpose: 'publish',
  keyId: KEY_IDS.current,
  zone: HOSTED_ZONE_ID,
  name: recordName(KEY_IDS.current),
  strings: recordStrings(PUBLIC_KEYS.current),
  ttlSeconds: 300,
};
/** Delegated mode: the active slot's record written again in the owned zone, the operators told. */
const slotRewritten = {
  policy: 'repairActiveRecord',
  keys: { current: { recordRepairedAt: NOW } },
  actions: [
    { ...rewrite, zone: OWNED_ZONE, name: `mail1.${OWNED_ZONE}` },
    notifies('signing-drift', 'operators', { selector: 'mail1' }),
  ],
};
/** The urgent request to put `current` back, sent at NOW (minute precision in its id). */
const RESTORE_ID = `${KEY_IDS.current}-restore-202604010300`;
/** An urgent restore request of `current` sent `ago` ms before NOW, reporting `mistake`. */
const restoring = (mistake: string, ago: number): DnsTeamRequest => ({
  id: RESTORE_ID,
  urgent: true,
  sentAt: NOW - ago,
  deliveredAt: NOW - ago,
  deadline: NOW - ago + DAY_MS,
  reminders: 0,
  escalations: 0,
  reportedMistake: mistake,
  reportedMistakeAt: NOW - ago,
});

describe('repairActiveRecord', () => {
  table([
    {
      name: 'writes the record again in route53 mode when the authoritative servers no longer have it',
      given: () => running('route53').dns('current', { authoritative: 'missing', resolvers: 'correct' }),
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { state: 'active', recordRepairedAt: NOW } },
        actions: [rewrite, operators],
      },
    },
    {
      name: 'writes the record again in route53 mode when someone replaced it with another key',
      given: () => running('route53').dns('current', 'wrong-key'),
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { recordRepairedAt: NOW } },
        actions: [rewrite, operators],
      },
    },
    {
      name: 'waits 5 minutes after writing it rather than writing it at every run',
      given: () =>
        running('route53')
          .key('current', 'active', { recordRepairedAt: NOW - 2 * MINUTE_MS })
          .dns('current', 'missing'),
      want: { policy: 'idle', requeueAfterMs: 3 * MINUTE_MS, message: /written again/ },
    },
    {
      name: 'writes it again after 5 minutes if still wrong, telling the operators at most once a day',
      given: () =>
        running('route53')
          .key('current', 'active', { recordRepairedAt: NOW - 5 * MINUTE_MS })
          .dns('current', 'missing')
          .with({ notified: { [topic]: NOW - 5 * MINUTE_MS } }),
      want: { policy: 'repairActiveRecord', keys: { current: { recordRepairedAt: NOW } }, actions: [rewrite] },
    },
    {
      name: "writes the slot's record again in the owned zone in delegated mode",
      given: () => running('delegated').dns('current', 'revoked'),
      want: slotRewritten,
    },
    {
      name: "does not apply in delegated mode before the DNS team's CNAMEs are verified",
      given: () =>
        running('delegated')
          .dns('current', 'missing')
          .with({ delegation: { placeholdersWrittenAt: NOW - DAY_MS } }),
      want: { policy: 'requestDelegation', actions: [notifies('delegation-request', 'dns-team')] },
    },
    {
      name: "delegated: writes the active slot's record again while the other slot's CNAME is requested again (its own CNAME is in place)",
      given: () =>
        running('delegated')
          .with({ delegation: { placeholdersWrittenAt: NOW - 400 * DAY_MS } })
          .dns('current', 'revoked'),
      want: slotRewritten,
    },
    {
      name: 'asks the DNS team in external mode, urgently, to put the record back (1-day deadline), naming the mistake',
      given: () => running('external').dns('current', 'wrong-key'),
      want: {
        policy: 'repairActiveRecord',
        keys: {
          current: {
            recordRepairedAt: undefined,
            restoreRequest: expect.objectContaining({
              id: RESTORE_ID,
              urgent: true,
              sentAt: NOW,
              deadline: NOW + DAY_MS,
              reportedMistake: 'wrong-key',
              reportedMistakeAt: NOW,
            }),
          },
        },
        actions: [
          {
            ...notifies('dns-change-request', 'dns-team', {
              requestId: RESTORE_ID,
              selector: KEY_IDS.current,
              subject: expect.objectContaining({
                en: expect.stringContaining('URGENT'),
                ja: expect.stringContaining('【緊急】'),
              }),
              body: expect.objectContaining({ en: expect.stringContaining('signs its mail with right now') }),
            }),
            deliveryOf: { kind: 'restoration', keyId: KEY_IDS.current },
          },
          operators,
        ],
      },
    },
    {
      name: 'follows the urgent request up every 15 minutes without repeating it',
      given: () =>
        running('external')
          .key('current', 'active', { restoreRequest: restoring('wrong-key', 2 * HOUR_MS) })
          .dns('current', 'wrong-key')
          .with({ notified: { [topic]: NOW - 2 * HOUR_MS } }),
      want: { policy: 'idle', message: /asked to put back .* urgently/, requeueAfterMs: 15 * MINUTE_MS },
    },
    {
      name: 'escalates the urgent request at its deadline and every day after',
      given: () =>
        running('external')
          .key('current', 'active', {
            restoreRequest: { ...restoring('no-record', 25 * HOUR_MS), reminders: 1 },
          })
          .dns('current', 'missing')
          .with({ notified: { [topic]: NOW - HOUR_MS } }),
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { restoreRequest: expect.objectContaining({ escalations: 1, lastEscalationAt: NOW }) } },
        actions: [notifies('dns-change-escalation', 'dns-team', { requestId: RESTORE_ID })],
      },
    },
    {
      name: 'reports a different mistake at once (the team put the record back wrongly)',
      given: () =>
        running('external')
          .key('current', 'active', { restoreRequest: restoring('no-record', HOUR_MS) })
          .dns('current', 'truncated')
          .with({ notified: { [topic]: NOW - HOUR_MS } }),
      want: {
        policy: 'repairActiveRecord',
        keys: {
          current: {
            restoreRequest: expect.objectContaining({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW }),
          },
        },
        actions: [notifies('dns-correction', 'dns-team', { requestId: RESTORE_ID, selector: KEY_IDS.current })],
      },
    },
    {
      name: 'closes the urgent request once the record is verified everywhere again',
      given: () =>
        running('external').key('current', 'active', { restoreRequest: restoring('no-record', 5 * HOUR_MS) }),
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { restoreRequest: undefined, recordRepairedAt: NOW } },
        actions: [],
      },
    },
    {
      name: 'closes it through a backoff after failures too (else a later deletion finds it open and sends nothing)',
      given: () =>
        running('external')
          .key('current', 'active', { restoreRequest: restoring('no-record', 5 * HOUR_MS) })
          .with({ failure: failure(24, NOW - 10 * MINUTE_MS) }),
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { restoreRequest: undefined, recordRepairedAt: NOW } },
        actions: [],
      },
    },
    {
      name: 'switches SES back in external mode to the previous key while it is published, verified, in its grace period and not due',
      given: () =>
        running('external')
          .key('old', 'retiring', { activatedAt: NOW - 20 * DAY_MS, retiredAt: NOW - DAY_MS })
          .dns('old', 'correct')
          .dns('current', 'missing'),
      want: {
        policy: 'repairActiveRecord',
        state: { switching: { keyId: KEY_IDS.old, startedAt: NOW, reason: 'repair' } },
        keys: { current: { restoreRequest: expect.objectContaining({ urgent: true }) } },
        actions: [
          { type: 'ses-put-signing-key', keyId: KEY_IDS.old },
          notifies('dns-change-request', 'dns-team', { requestId: RESTORE_ID }),
          operators,
        ],
      },
    },
    {
      name: 'does not switch back to a previous key that is due for rotation (it would outlive its interval)',
      given: () =>
        running('external')
          .key('old', 'retiring', { activatedAt: NOW - 160 * DAY_MS, retiredAt: NOW - DAY_MS })
          .dns('old', 'correct')
          .dns('current', 'missing'),
      want: {
        policy: 'repairActiveRecord',
        state: { switching: undefined },
        actions: [notifies('dns-change-request', 'dns-team', { requestId: RESTORE_ID }), operators],
      },
    },
    {
      name: 'follows a written record up every 5 minutes until every resolver shows it',
      given: () =>
        running('route53')
          .key('current', 'active', { recordRepairedAt: NOW - 10 * MINUTE_MS })
          .dns('current', { authoritative: 'correct', resolvers: 'missing' }),
      want: { policy: 'idle', message: /waiting for every resolver/, requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'then watches SES every 5 minutes until caches of the old answer have expired (the soak)',
      given: () => running('route53').key('current', 'active', { recordRepairedAt: NOW - 10 * MINUTE_MS }),
      want: { policy: 'idle', message: /watching SES/, requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'does nothing while only public resolvers still show another value',
      given: () => running('route53').dns('current', { authoritative: 'correct', resolvers: 'wrong-key' }),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'looks again in 5 minutes (not at the next scheduled run) when the authoritative servers did not answer',
      given: () => running('external').dns('current', { authoritative: 'timeout', resolvers: 'missing' }),
      want: { policy: 'idle', requeueAfterMs: 5 * MINUTE_MS, message: /could not be looked up/ },
    },
    {
      name: 'route53: looks again in 5 minutes when one authoritative server timed out, acting on nothing it could not see',
      given: () => running('route53').dns('current', 'correct', { 'authoritative:ns-2.example.jp': 'timeout' }),
      want: { policy: 'idle', unchanged: true, requeueAfterMs: 5 * MINUTE_MS, message: /could not be looked up/ },
    },
    {
      name: 'does nothing when the record was not looked at in this run',
      given: () => given('route53').key('current', 'active').signing('current'),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
  ]);
});
