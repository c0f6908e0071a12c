import { chooseSlot, startKey } from '../new-key';
import { act, wait, type Policy } from '../policy';
import { graceEndsAt, rotationDueAt } from '../protocol';
import { activeKey, inFlightKey, type RotationReason } from '../state';

/**
 * Start a rotation: first activation, scheduled (`activatedAt + interval − renewBefore`), operator,
 * compromise. In delegated mode the new key waits for its slot to be free.
 */
export const startRotation: Policy = {
  name: 'startRotation',
  run: (ctx) => {
    const { spec, state, now } = ctx;
    if (inFlightKey(state) || state.switching) return undefined;
    const active = activeKey(state);
    let reason: RotationReason | undefined;
    if (state.compromiseHoldAt !== undefined) reason = 'compromise';
    else if (!active) reason = state.adoption?.replacedAt === undefined ? 'first-activation' : 'regenerate';
    else if (state.rotationRequestedAt !== undefined) reason = 'operator';
    else {
      const due = rotationDueAt(spec, active)!;
      if (now >= due) reason = 'scheduled';
      else return wait(`next rotation of ${active.selector} at ${new Date(due).toISOString()}`, due);
    }
    if (spec.dns.kind === 'delegated') {
      const { slot, occupant } = chooseSlot(state);
      if (occupant) {
        // Until the grace period ends; once it is over, the occupant waits for its revocation, whose own
        // wait (confirmRevocation) says when to look again: a past time would requeue at once.
        const graceEnd = occupant.retiredAt !== undefined ? graceEndsAt(spec, occupant.retiredAt) : undefined;
        const until = graceEnd !== undefined && graceEnd > now ? graceEnd : undefined;
        return wait(
          `the ${reason} rotation waits for slot ${slot}: ${occupant.selector} (${occupant.keyId}) is still ${occupant.state}`,
          until,
        );
      }
    }
    const next = startKey(ctx, state, reason);
    const key = next.keys[next.keys.length - 1]!;
    return act(next, `starting a ${reason} rotation: new key ${key.keyId} (selector ${key.selector})`);
  },
};
