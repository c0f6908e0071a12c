/** finishDestruction: a key recorded destroyed whose deletion never reached the key store is deleted again. */
import { KEY_IDS, running, table, DAY_MS } from './world';

describe('finishDestruction', () => {
  table([
    {
      name: 'schedules the deletion again when a destroyed key is still in the key store',
      given: () => running('route53').key('old', 'destroyed').deletionNotScheduled('old'),
      want: {
        policy: 'finishDestruction',
        unchanged: true,
        actions: [{ type: 'destroy-key', keyId: KEY_IDS.old, recoveryWindowDays: 30 }],
      },
    },
    {
      name: 'does nothing once the key store has the deletion scheduled',
      given: () => running('route53').key('old', 'destroyed'),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'does nothing once the key is gone from the key store',
      given: () => running('route53').key('old', 'destroyed').lost('old'),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
  ]);
});
