import { act, stored, type Policy } from '../policy';
import { DESTROYED_KEYS_KEPT } from '../protocol';

/** Keep the state item small: drop the oldest destroyed keys (the event items keep the history). */
export const pruneHistory: Policy = {
  name: 'pruneHistory',
  run: (ctx) => {
    const { state } = ctx;
    // Only keys whose deletion the key store has confirmed (finishDestruction repairs the others first).
    const destroyed = state.keys.filter((k) => k.state === 'destroyed' && !stored(ctx, k));
    if (destroyed.length <= DESTROYED_KEYS_KEPT) return undefined;
    const drop = new Set(destroyed.slice(0, destroyed.length - DESTROYED_KEYS_KEPT).map((k) => k.keyId));
    return act(
      { ...state, keys: state.keys.filter((k) => !drop.has(k.keyId)) },
      `pruned ${drop.size} destroyed key(s) from the state item`,
    );
  },
};
