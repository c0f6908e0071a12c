/**
 * notifyOverdue: the active key has signed for longer than the rotation interval (a DNS team is late): the
 * operators are told once. The key keeps signing: mail stays signed.
 */
import { DAY_MS, KEY_IDS, MINUTE_MS, NOW, notifies, running, table } from './world';

const topic = `overdue:${KEY_IDS.current}`;
/** When the DNS team is first reminded of `next` (its request was sent 2 days before NOW, lead time 14 days). */
const FIRST_REMINDER = NOW - 2 * DAY_MS + MINUTE_MS + 7 * DAY_MS;
/** External mode: `next` waits for the DNS team, who has not published it yet. */
const late = (activatedDaysAgo: number) =>
  running('external')
    .key('current', 'active', { activatedAt: NOW - activatedDaysAgo * DAY_MS })
    .key('next', 'dns-requested')
    .dns('next', 'missing');

describe('notifyOverdue', () => {
  table([
    {
      name: 'tells the operators once the active key is older than the rotation interval',
      given: () => late(180),
      want: {
        policy: 'notifyOverdue',
        unchanged: true,
        actions: [
          {
            ...notifies('key-overdue', 'operators', { selector: KEY_IDS.current }),
            deliveryOf: { kind: 'topic', topic },
          },
        ],
      },
      then: (decision) => {
        const action = decision.actions[0]!;
        if (action.type !== 'notify') throw new Error('expected a notification');
        expect(action.notification.body.en).toContain(`Its replacement ${KEY_IDS.next} is dns-requested.`);
      },
    },
    {
      name: 'tells them only once',
      given: () => late(200).with({ notified: { [topic]: NOW - 20 * DAY_MS } }),
      want: { policy: 'idle', requeueAfterMs: FIRST_REMINDER - NOW },
    },
    {
      name: 'says nothing before the interval is over',
      given: () => late(179),
      want: { policy: 'idle', requeueAfterMs: FIRST_REMINDER - NOW },
    },
  ]);
});
