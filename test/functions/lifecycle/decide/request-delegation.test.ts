/**
 * requestDelegation (delegated mode): empty placeholders in both slots of the owned zone, then the one-time
 * CNAME request to the DNS team, followed up — and corrected precisely — until both slots resolve. Waiting
 * for the CNAMEs does not hold up the first key.
 */
import type { Delegation } from '../../../../functions/lifecycle/state';
import { DAY_MS, NEW_KEY_ID, NOW, OWNED_ZONE, REVOKED_VALUE, given, notifies, running, table } from './world';

const requestId = 'mail-cname-20260325';
const requested = (patch: Partial<NonNullable<Delegation['request']>> = {}): Delegation => ({
  placeholdersWrittenAt: NOW - 7 * DAY_MS,
  request: {
    id: requestId,
    sentAt: NOW - 7 * DAY_MS,
    deliveredAt: NOW - 7 * DAY_MS,
    deadline: NOW + 7 * DAY_MS,
    reminders: 1,
    escalations: 0,
    ...patch,
  },
});
const cname = (slot: 1 | 2) => ({ cname: `mail${slot}.${OWNED_ZONE}` });
const placeholder = (slot: 1 | 2) => ({
  type: 'write-txt',
  purpose: 'placeholder',
  zone: OWNED_ZONE,
  name: `mail${slot}.${OWNED_ZONE}`,
  strings: [REVOKED_VALUE],
  ttlSeconds: 300,
});
const correction = notifies('delegation-correction', 'dns-team', { requestId });

describe('requestDelegation', () => {
  table([
    {
      name: 'writes empty (revoked) placeholders into both slots of the owned zone first',
      given: () => given('delegated').with({ delegation: undefined }),
      want: {
        policy: 'requestDelegation',
        state: { delegation: { placeholdersWrittenAt: NOW } },
        actions: [placeholder(1), placeholder(2)],
      },
    },
    {
      name: 'never writes a placeholder over a slot that already holds a published key',
      given: () => running('delegated').with({ delegation: undefined }),
      want: { policy: 'requestDelegation', actions: [placeholder(2)] },
    },
    {
      name: 'sends the one-time CNAME request, due within the lead time',
      given: () => given('delegated').with({ delegation: { placeholdersWrittenAt: NOW - DAY_MS } }),
      want: {
        policy: 'requestDelegation',
        state: {
          delegation: {
            placeholdersWrittenAt: NOW - DAY_MS,
            request: {
              id: 'mail-cname-20260401',
              sentAt: NOW,
              deadline: NOW + 14 * DAY_MS,
              reminders: 0,
              escalations: 0,
              resendRequested: false,
            },
          },
        },
        actions: [
          {
            ...notifies('delegation-request', 'dns-team', { requestId: 'mail-cname-20260401' }),
            deliveryOf: { kind: 'delegation' },
          },
        ],
      },
    },
    {
      name: 'records the delegation verified once both slots resolve through the expected CNAMEs',
      given: () => given('delegated').with({ delegation: requested() }).slot(1, cname(1)).slot(2, cname(2)),
      want: { policy: 'requestDelegation', state: { delegation: { ...requested(), verifiedAt: NOW } } },
    },
    {
      name: 'tells the DNS team exactly which CNAME points elsewhere',
      given: () =>
        given('delegated')
          .with({ delegation: requested() })
          .slot(1, { cname: 'mail1.dkim.example.org' })
          .slot(2, cname(2)),
      want: {
        policy: 'requestDelegation',
        state: {
          delegation: {
            ...requested(),
            request: expect.objectContaining({
              reportedMistake: expect.stringContaining('CNAME mail1.dkim.example.org'),
              reportedMistakeAt: NOW,
            }),
          },
        },
        actions: [correction],
      },
    },
    {
      name: 'tells them when a TXT record was published instead of a CNAME',
      given: () => given('delegated').with({ delegation: requested() }).slot(1, cname(1)).slot(2, 'txt'),
      want: {
        policy: 'requestDelegation',
        actions: [
          {
            ...correction,
            notification: expect.objectContaining({
              body: expect.objectContaining({ en: expect.stringContaining('a TXT record instead of a CNAME') }),
            }),
          },
        ],
      },
    },
    {
      name: 'tells them when a CNAME was entered with the domain appended twice',
      given: () => given('delegated').with({ delegation: requested() }).slot(1, cname(1)).slot(2, 'missing', cname(2)),
      want: {
        policy: 'requestDelegation',
        state: {
          delegation: {
            ...requested(),
            request: expect.objectContaining({ reportedMistake: expect.stringContaining('domain-appended-twice') }),
          },
        },
        actions: [correction],
      },
    },
    {
      name: 'does not send the same correction twice within 3 days; the first key goes on meanwhile',
      given: () =>
        given('delegated')
          .with({
            delegation: requested({
              reportedMistake: `mail2._domainkey.example.jp=:a TXT record instead of a CNAME`,
              reportedMistakeAt: NOW - DAY_MS,
            }),
          })
          .slot(1, cname(1))
          .slot(2, 'txt'),
      want: { policy: 'startRotation', keys: { [NEW_KEY_ID]: { state: 'generated', selector: 'mail1', slot: 1 } } },
    },
    {
      name: 'does not hold up the first key while the DNS team has not acted yet',
      given: () => given('delegated').with({ delegation: requested() }).slot(1, 'missing').slot(2, 'missing'),
      want: {
        policy: 'startRotation',
        keys: { [NEW_KEY_ID]: { state: 'generated', reason: 'first-activation', selector: 'mail1', slot: 1 } },
      },
    },
    {
      name: 'does not apply in route53 mode',
      given: () => given('route53'),
      want: {
        policy: 'startRotation',
        state: { delegation: undefined },
        keys: { [NEW_KEY_ID]: { selector: NEW_KEY_ID, slot: undefined } },
      },
    },
  ]);
});
