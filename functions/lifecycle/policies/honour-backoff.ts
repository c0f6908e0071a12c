import { wait, type Policy } from '../policy';
import { backoffDelayMs } from '../protocol';

/** After failures, wait `backoffDelayMs` before acting again: while backing off, nothing else may act. */
export const honourBackoff: Policy = {
  name: 'honourBackoff',
  whileWaiting: 'stop-chain',
  run: ({ state, now }) => {
    if (!state.failure) return undefined;
    const until = state.failure.at + backoffDelayMs(state.failure);
    if (now >= until) return undefined;
    return wait(`backing off after ${state.failure.count} failure(s) (${state.failure.code})`, until);
  },
};
