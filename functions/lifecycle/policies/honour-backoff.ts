import { wait, type Policy } from '../policy';
import { backoffDelayMs } from '../protocol';

/**
 * After failures, wait `backoffDelayMs` before acting again: while backing off, nothing else may act —
 * except a switch away from a compromised key (`revoke`), which is tried again at every run: the
 * compromised key signs until it is done (design.md §4, invariant 10).
 */
export const honourBackoff: Policy = {
  name: 'honourBackoff',
  whileWaiting: 'stop-chain',
  run: ({ state, now }) => {
    if (!state.failure || state.switching?.reason === 'compromise') return undefined;
    const until = state.failure.at + backoffDelayMs(state.failure);
    if (now >= until) return undefined;
    return wait(`backing off after ${state.failure.count} failure(s) (${state.failure.code})`, until);
  },
};
