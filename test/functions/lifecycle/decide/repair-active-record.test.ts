/**
 * repairActiveRecord: the active key's record is wrong on the authoritative servers (removed or changed by
 * hand). byodkim writes it again (route53, delegated) or tells the DNS team exactly what is wrong
 * (external) — each mistake once, again after 3 days — instead of waiting for SES to stop signing.
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
/** The publication request of `current` in external mode, with a mistake reported `ago` ms before NOW. */
const reported = (mistake: string, ago: number): DnsTeamRequest => ({
  id: KEY_IDS.current,
  sentAt: NOW - 60 * DAY_MS,
  deliveredAt: NOW - 60 * DAY_MS,
  deadline: NOW - 46 * DAY_MS,
  reminders: 0,
  escalations: 0,
  reportedMistake: mistake,
  reportedMistakeAt: NOW - ago,
});
const correction = notifies('dns-correction', 'dns-team', { requestId: KEY_IDS.current, selector: KEY_IDS.current });

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
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { recordRepairedAt: NOW } },
        actions: [
          { ...rewrite, zone: OWNED_ZONE, name: `mail1.${OWNED_ZONE}` },
          notifies('signing-drift', 'operators', { selector: 'mail1' }),
        ],
      },
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
      name: 'asks the DNS team in external mode to put the record back, naming the mistake',
      given: () => running('external').dns('current', 'wrong-key'),
      want: {
        policy: 'repairActiveRecord',
        keys: {
          current: {
            recordRepairedAt: undefined,
            dnsRequest: expect.objectContaining({ reportedMistake: 'wrong-key', reportedMistakeAt: NOW }),
          },
        },
        actions: [correction, operators],
      },
    },
    {
      name: 'does not send the DNS team the same correction again within 3 days',
      given: () =>
        running('external')
          .key('current', 'active', { dnsRequest: reported('wrong-key', 2 * DAY_MS) })
          .dns('current', 'wrong-key')
          .with({ notified: { [topic]: NOW - 2 * DAY_MS } }),
      want: { policy: 'idle', message: /asked to put back/, requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'sends the same correction again after 3 days, with a new notice to the operators',
      given: () =>
        running('external')
          .key('current', 'active', { dnsRequest: reported('wrong-key', 3 * DAY_MS) })
          .dns('current', 'wrong-key')
          .with({ notified: { [topic]: NOW - 3 * DAY_MS } }),
      want: {
        policy: 'repairActiveRecord',
        keys: { current: { dnsRequest: expect.objectContaining({ reportedMistakeAt: NOW }) } },
        actions: [correction, operators],
      },
    },
    {
      name: 'reports a different mistake at once, even within 3 days of the last one',
      given: () =>
        running('external')
          .key('current', 'active', { dnsRequest: reported('wrong-key', HOUR_MS) })
          .dns('current', 'truncated')
          .with({ notified: { [topic]: NOW - HOUR_MS } }),
      want: {
        policy: 'repairActiveRecord',
        keys: {
          current: {
            dnsRequest: expect.objectContaining({ reportedMistake: 'key-truncated', reportedMistakeAt: NOW }),
          },
        },
        actions: [correction],
      },
    },
    {
      name: 'does nothing while only public resolvers still show another value',
      given: () => running('route53').dns('current', { authoritative: 'correct', resolvers: 'wrong-key' }),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'does nothing when the authoritative servers did not answer',
      given: () => running('external').dns('current', { authoritative: 'timeout', resolvers: 'missing' }),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'does nothing when the record was not looked at in this run',
      given: () => given('route53').key('current', 'active').signing('current'),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
  ]);
});
