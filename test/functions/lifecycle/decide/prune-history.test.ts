/** pruneHistory: the state item keeps the six newest destroyed keys; the event items keep the history. */
import { DAY_MS, KEY_IDS, running, table } from './world';

/** `count` destroyed keys, oldest first: mail-20240101-1, mail-20240102-1… */
const destroyed = (count: number) => {
  const world = running('route53');
  for (let n = 1; n <= count; n += 1) world.key(`mail-202401${String(n).padStart(2, '0')}-1`, 'destroyed');
  return world;
};

describe('pruneHistory', () => {
  table([
    {
      name: 'drops the oldest destroyed keys beyond six',
      given: () => destroyed(8),
      want: { policy: 'pruneHistory', message: /pruned 2/ },
      then: (decision) =>
        expect(decision.next.keys.map((k) => k.keyId)).toEqual([
          KEY_IDS.current,
          'mail-20240103-1',
          'mail-20240104-1',
          'mail-20240105-1',
          'mail-20240106-1',
          'mail-20240107-1',
          'mail-20240108-1',
        ]),
    },
    {
      name: 'keeps six destroyed keys',
      given: () => destroyed(6),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'never drops a destroyed key whose deletion has not reached the key store: it is deleted first',
      given: () => destroyed(7).deletionNotScheduled('mail-20240101-1'),
      want: { policy: 'finishDestruction', actions: [{ type: 'destroy-key', keyId: 'mail-20240101-1' }] },
    },
  ]);
});
