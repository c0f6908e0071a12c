import { destroyKeyAction } from '../actions';
import { act, stored, type Policy } from '../policy';
import { KEY_RECOVERY_WINDOW_DAYS } from '../protocol';

/**
 * A key recorded destroyed whose deletion never reached the key store (the run died between recording the
 * intent and calling the key store): schedule the deletion now.
 */
export const finishDestruction: Policy = {
  name: 'finishDestruction',
  run: (ctx) => {
    for (const key of ctx.state.keys) {
      if (key.state !== 'destroyed' || !stored(ctx, key)) continue;
      return act(ctx.state, `the deletion of ${key.keyId} did not reach the key store: scheduling it again`, [
        destroyKeyAction(key.keyId, KEY_RECOVERY_WINDOW_DAYS),
      ]);
    }
    return undefined;
  },
};
