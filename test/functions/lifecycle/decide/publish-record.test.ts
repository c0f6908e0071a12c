/**
 * publishRecord: a stored key's record is written (route53: the domain's zone; delegated: the slot in the
 * owned zone) as ONE TXT record of ≤255-character strings, or requested from the DNS team (external) with a
 * deadline of the lead time.
 */
import {
  DAY_MS,
  DNS_TEAM,
  HOSTED_ZONE_ID,
  KEY_IDS,
  NOW,
  OWNED_ZONE,
  PUBLIC_KEYS,
  notifies,
  recordName,
  recordStrings,
  recordValue,
  running,
  table,
} from './world';

const stored = (mode: 'route53' | 'external' | 'delegated') =>
  running(mode).key('next', 'generated', { publicKey: PUBLIC_KEYS.next });

describe('publishRecord', () => {
  table([
    {
      name: "writes the new key's record into the domain's zone as one TXT record of 255-character strings",
      given: () => stored('route53'),
      want: {
        policy: 'publishRecord',
        keys: {
          next: { state: 'dns-requested', dnsRequestedAt: NOW, route53ChangeId: undefined, dnsRequest: undefined },
        },
        actions: [
          {
            type: 'write-txt',
            purpose: 'publish',
            keyId: KEY_IDS.next,
            zone: HOSTED_ZONE_ID,
            name: recordName(KEY_IDS.next),
            strings: recordStrings(PUBLIC_KEYS.next),
            ttlSeconds: 300,
          },
        ],
      },
      then: (decision) => {
        const action = decision.actions[0]!;
        if (action.type !== 'write-txt') throw new Error('expected a TXT write');
        expect(action.strings).toHaveLength(2);
        expect(action.strings.every((s) => s.length <= 255)).toBe(true);
        expect(action.strings.join('')).toBe(recordValue(PUBLIC_KEYS.next));
      },
    },
    {
      name: "writes a delegated key's record into its slot in the owned zone",
      given: () => stored('delegated'),
      want: {
        policy: 'publishRecord',
        keys: { next: { state: 'dns-requested', dnsRequestedAt: NOW, selector: 'mail2' } },
        actions: [
          {
            type: 'write-txt',
            purpose: 'publish',
            keyId: KEY_IDS.next,
            zone: OWNED_ZONE,
            name: `mail2.${OWNED_ZONE}`,
            strings: recordStrings(PUBLIC_KEYS.next),
          },
        ],
      },
    },
    {
      name: 'sends the DNS team a complete change request due within the lead time (external)',
      given: () => stored('external'),
      want: {
        policy: 'publishRecord',
        keys: {
          next: {
            state: 'dns-requested',
            dnsRequestedAt: NOW,
            dnsRequest: { id: KEY_IDS.next, sentAt: NOW, deadline: NOW + 14 * DAY_MS, reminders: 0, escalations: 0 },
          },
        },
        actions: [
          {
            ...notifies('dns-change-request', 'dns-team', {
              requestId: KEY_IDS.next,
              selector: KEY_IDS.next,
              to: DNS_TEAM,
            }),
            deliveryOf: { kind: 'publication', keyId: KEY_IDS.next },
          },
        ],
      },
      then: (decision) => {
        const action = decision.actions[0]!;
        if (action.type !== 'notify') throw new Error('expected a notification');
        // The record name and every string of the ONE record, in both languages.
        for (const text of [action.notification.body.en, action.notification.body.ja]) {
          expect(text).toContain(recordName(KEY_IDS.next));
          for (const s of recordStrings(PUBLIC_KEYS.next)) expect(text).toContain(s);
        }
      },
    },
    {
      name: 'does not apply before the key pair is stored: the key is generated first',
      given: () => running('route53').key('next', 'generated'),
      want: { policy: 'generateKey', actions: [{ type: 'generate-key', keyId: KEY_IDS.next }] },
    },
  ]);
});
