import { wait, type Ctx, type Policy } from '../policy';
import { backoffDelayMs } from '../protocol';
import { activeRecordUnseen, signingPathBreak, signingRepairUnderWay } from '../signing-path';

/** The wait after failures, or undefined when the backoff is over (or there were none). */
function backingOff({ state, now }: Ctx): ReturnType<Policy['run']> {
  if (!state.failure) return undefined;
  const until = state.failure.at + backoffDelayMs(state.failure);
  if (now >= until) return undefined;
  return wait(`backing off after ${state.failure.count} failure(s) (${state.failure.code})`, until);
}

/**
 * After failures, wait `backoffDelayMs` before acting again: while backing off, nothing else may act —
 * except a switch away from a compromised key (`revoke`), which is tried again at every run (the
 * compromised key signs until it is done: design.md §4, invariant 10), and the repair of the active
 * signing path (SES drifted or stopped signing, the active record deleted or edited: mail is unsigned
 * until it is repaired) — or a run that could not look at the active record on every authoritative server,
 * which must look again within minutes (`repairActiveRecord`), and the follow-up of a repair under way
 * (`signingRepairUnderWay`). Those go on to the repair policies below; `honourBackoffAfterRepairs` holds back
 * everything after them.
 */
export const honourBackoff: Policy = {
  name: 'honourBackoff',
  whileWaiting: 'stop-chain',
  run: (ctx) => {
    if (ctx.state.switching?.reason === 'compromise') return undefined;
    if (signingPathBreak(ctx) !== undefined || activeRecordUnseen(ctx)) return undefined;
    // A repair under way is followed up through the backoff too: an urgent request closed once the record
    // is back (else a later deletion would find it still open and send nothing), SES given the key again.
    if (signingRepairUnderWay(ctx.state, ctx.now)) return undefined;
    return backingOff(ctx);
  },
};

/**
 * The backoff for everything after the repair policies: a run that `honourBackoff` let through to repair
 * the active signing path repairs it and nothing else (no rotation step, no revocation…) until the backoff
 * is over.
 */
export const honourBackoffAfterRepairs: Policy = {
  name: 'honourBackoffAfterRepairs',
  whileWaiting: 'stop-chain',
  run: (ctx) => (ctx.state.switching?.reason === 'compromise' ? undefined : backingOff(ctx)),
};
