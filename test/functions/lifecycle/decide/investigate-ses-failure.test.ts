/**
 * investigateSesFailure: SES reports FAILED (or TEMPORARY_FAILURE) for the key it should sign with. The
 * record is looked at and repaired (written again, or the DNS team is told what is wrong), a lost key is
 * replaced, and the operators are told — once per episode, again after 3 days.
 */
import {
  DAY_MS,
  HOUR_MS,
  HOSTED_ZONE_ID,
  KEY_IDS,
  MINUTE_MS,
  NEW_KEY_ID,
  NOW,
  OWNED_ZONE,
  notifies,
  recordName,
  recordStrings,
  running,
  PUBLIC_KEYS,
  table,
} from './world';

const failed = { status: 'FAILED' } as const;
const operators = notifies('ses-failed', 'operators', { selector: KEY_IDS.current });

describe('investigateSesFailure', () => {
  table([
    {
      name: 'gives SES the key again when it reports FAILED although the record is correct everywhere',
      given: () => running('route53').signing('current', failed),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { state: 'active', sesFailureHandledAt: NOW } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current, selector: KEY_IDS.current }, operators],
      },
    },
    {
      name: 'treats TEMPORARY_FAILURE like FAILED',
      given: () => running('external').signing('current', { status: 'TEMPORARY_FAILURE' }),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { sesFailureHandledAt: NOW } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current }, operators],
      },
    },
    {
      name: 'waits one SES poll after giving SES the key again',
      given: () =>
        running('route53')
          .key('current', 'active', { sesFailureHandledAt: NOW - MINUTE_MS })
          .signing('current', failed),
      want: { policy: 'idle', message: /given to SES again/, requeueAfterMs: 4 * MINUTE_MS },
    },
    {
      name: 'gives SES the key again, telling no one, when SES still fails a poll later (the call did not take effect: SES would be PENDING)',
      given: () =>
        running('route53')
          .key('current', 'active', { sesFailureHandledAt: NOW - 2 * DAY_MS })
          .signing('current', failed),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { sesFailureHandledAt: NOW } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current }],
        message: /still reports FAILED/,
      },
    },
    {
      name: 'does not act again within 3 days of investigating the same failure while the record is not verified',
      given: () =>
        running('route53')
          .key('current', 'active', { sesFailureHandledAt: NOW - 2 * DAY_MS, recordRepairedAt: NOW - 2 * DAY_MS })
          .signing('current', failed)
          .dns('current', 'correct', { 'resolver:8.8.8.8': 'missing' }),
      want: { policy: 'idle', message: /investigated/, requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'investigates again once 3 days have passed',
      given: () =>
        running('route53')
          .key('current', 'active', { sesFailureHandledAt: NOW - 3 * DAY_MS })
          .signing('current', failed),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { sesFailureHandledAt: NOW } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current }, operators],
      },
    },
    {
      name: 'writes the record again in route53 mode when SES fails because the record is gone',
      given: () => running('route53').signing('current', failed).dns('current', 'missing'),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { sesFailureHandledAt: NOW, recordRepairedAt: NOW } },
        actions: [
          {
            type: 'write-txt',
            purpose: 'publish',
            keyId: KEY_IDS.current,
            zone: HOSTED_ZONE_ID,
            name: recordName(KEY_IDS.current),
            strings: recordStrings(PUBLIC_KEYS.current),
            ttlSeconds: 300,
          },
          operators,
        ],
      },
    },
    {
      name: "writes the slot's record again in the owned zone in delegated mode",
      given: () => running('delegated').signing('current', failed).dns('current', 'wrong-key'),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { recordRepairedAt: NOW } },
        actions: [
          {
            type: 'write-txt',
            purpose: 'publish',
            zone: OWNED_ZONE,
            name: `mail1.${OWNED_ZONE}`,
            strings: recordStrings(PUBLIC_KEYS.current),
          },
          notifies('ses-failed', 'operators', { selector: 'mail1' }),
        ],
      },
    },
    {
      name: 'asks the DNS team urgently to put the active record back in external mode, naming the mistake',
      given: () => running('external').signing('current', failed).dns('current', 'truncated'),
      want: {
        policy: 'investigateSesFailure',
        keys: {
          current: {
            sesFailureHandledAt: NOW,
            sesAwaitsRecordSince: NOW,
            recordRepairedAt: undefined,
            restoreRequest: expect.objectContaining({
              urgent: true,
              deadline: NOW + DAY_MS,
              reportedMistake: 'key-truncated',
              reportedMistakeAt: NOW,
            }),
          },
        },
        actions: [
          notifies('dns-change-request', 'dns-team', { requestId: `${KEY_IDS.current}-restore-202604010300` }),
          operators,
        ],
      },
    },
    {
      name: 'gives SES the key again as soon as the repaired record verifies everywhere (SES left signing off)',
      given: () =>
        running('route53')
          .signing('current', { status: 'TEMPORARY_FAILURE', signingEnabled: false })
          .key('current', 'active', { sesFailureHandledAt: NOW - HOUR_MS, sesAwaitsRecordSince: NOW - HOUR_MS }),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { sesFailureHandledAt: NOW, sesAwaitsRecordSince: undefined } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current }],
      },
    },
    {
      name: 'looks again every 5 minutes while the repaired record is not verified yet',
      given: () =>
        running('route53')
          .signing('current', { status: 'TEMPORARY_FAILURE', signingEnabled: true })
          .key('current', 'active', { sesFailureHandledAt: NOW - HOUR_MS, sesAwaitsRecordSince: NOW - HOUR_MS })
          .dns('current', { authoritative: 'correct', resolvers: 'missing' }),
      want: { policy: 'idle', message: /being repaired/, requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'switches back to the previous key, still in its grace period, when the failing key is lost from the key store',
      given: () =>
        running('external').signing('current', failed).key('old', 'retiring').dns('old', 'correct').lost('current'),
      want: {
        policy: 'investigateSesFailure',
        state: { switching: { keyId: KEY_IDS.old, startedAt: NOW, reason: 'repair' } },
        keys: { current: { sesFailureHandledAt: NOW } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.old, selector: KEY_IDS.old }, operators],
      },
    },
    {
      name: 'never switches back to a previous key whose record is no longer verified: regenerates instead',
      given: () =>
        running('route53').signing('current', failed).key('old', 'retiring').dns('old', 'revoked').lost('current'),
      want: {
        policy: 'investigateSesFailure',
        state: { switching: undefined },
        keys: { [NEW_KEY_ID]: { state: 'generated', reason: 'regenerate', selector: NEW_KEY_ID } },
        actions: [operators],
      },
    },
    {
      name: 'regenerates when the failing key is lost and no previous key can sign',
      given: () => running('route53').signing('current', failed).lost('current'),
      want: {
        policy: 'investigateSesFailure',
        keys: {
          current: { state: 'active', sesFailureHandledAt: NOW },
          [NEW_KEY_ID]: { state: 'generated', reason: 'regenerate', createdAt: NOW },
        },
        actions: [operators],
      },
    },
    {
      name: 'only tells the operators when the key is lost and a rotation is already in flight',
      given: () =>
        running('route53')
          .signing('current', failed)
          .lost('current')
          .key('next', 'dns-requested')
          .dns('next', 'correct'),
      want: {
        policy: 'investigateSesFailure',
        keys: { current: { sesFailureHandledAt: NOW }, next: { state: 'dns-requested' } },
        actions: [operators],
      },
    },
    {
      name: 'in delegated mode, asks for a new key once the other slot is free instead of overwriting it',
      given: () => running('delegated').signing('current', failed).lost('current').key('old', 'retiring'),
      want: {
        policy: 'investigateSesFailure',
        state: { rotationRequestedAt: NOW },
        keys: { current: { sesFailureHandledAt: NOW }, old: { state: 'retiring' } },
        actions: [notifies('ses-failed', 'operators', { selector: 'mail1' })],
      },
      then: (decision) => expect(decision.next.keys).toHaveLength(2),
    },
    {
      name: 'looks into a failure of the key SES is being switched to',
      given: () =>
        running('route53')
          .key('next', 'dns-verified')
          .dns('next', 'correct')
          .signing('next', failed)
          .with({ switching: { keyId: KEY_IDS.next, startedAt: NOW - MINUTE_MS, reason: 'activate' } }),
      want: {
        policy: 'investigateSesFailure',
        keys: { next: { sesFailureHandledAt: NOW } },
        actions: [
          { type: 'ses-put-signing-key', keyId: KEY_IDS.next },
          notifies('ses-failed', 'operators', { selector: KEY_IDS.next }),
        ],
      },
    },
    {
      name: 'does not apply when SES fails for a selector byodkim does not sign with: the drift is repaired',
      given: () =>
        running('route53').ses({ origin: 'EXTERNAL', signingEnabled: true, status: 'FAILED', tokens: ['legacy-2024'] }),
      want: {
        policy: 'repairDrift',
        keys: { current: { sesFailureHandledAt: undefined } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current }, notifies('signing-drift', 'operators')],
      },
    },
  ]);
});
