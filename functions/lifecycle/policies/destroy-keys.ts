import { destroyKeyAction } from '../actions';
import { act, type Policy } from '../policy';
import { graceEndsAt, KEY_RECOVERY_WINDOW_DAYS } from '../protocol';
import { withKey } from '../state';

/** Revoked keys: once the revocation is seen and the grace period is over, schedule the key's deletion. */
export const destroyKeys: Policy = {
  name: 'destroyKeys',
  run: ({ spec, state, now }) => {
    for (const key of state.keys) {
      if (key.state !== 'revoked' || key.revocation?.confirmedAt === undefined) continue;
      const graceEnd = graceEndsAt(spec, key.retiredAt ?? 0);
      if (key.compromisedAt === undefined && key.activatedAt !== undefined && now < graceEnd) continue;
      return act(
        withKey(state, key.keyId, { state: 'destroyed', destroyedAt: now }),
        `deleting the private key of ${key.selector} (${KEY_RECOVERY_WINDOW_DAYS}-day recovery window)`,
        [destroyKeyAction(key.keyId, KEY_RECOVERY_WINDOW_DAYS)],
      );
    }
    return undefined;
  },
};
