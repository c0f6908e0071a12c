import { act, sesSignsWith, type Policy } from '../policy';
import { withKey } from '../state';

/**
 * A compromised key must never keep signing. `revoke` records a switch to a verified alternative; if that
 * switch is abandoned (the alternative's record or stored key disappeared before SES was switched) or SES
 * signs with a compromised key for any other reason, fall back to the compromise hold: the key retires
 * (revoked without grace by `retireKeys`), signing is turned off (`enforceSigningOff`), a fresh key is
 * published (`startRotation`) and signing resumes when it is verified (`activateVerifiedKey`).
 */
export const holdCompromisedKey: Policy = {
  name: 'holdCompromisedKey',
  run: (ctx) => {
    const { state, now } = ctx;
    if (state.switching || state.compromiseHoldAt !== undefined) return undefined;
    const key = state.keys.find(
      (k) =>
        k.compromisedAt !== undefined &&
        k.state !== 'revoked' &&
        k.state !== 'destroyed' &&
        (k.state === 'active' || sesSignsWith(ctx, k.selector)),
    );
    if (!key) return undefined;
    return act(
      withKey({ ...state, compromiseHoldAt: now }, key.keyId, {
        state: 'retiring',
        retiredAt: key.state === 'retiring' ? (key.retiredAt ?? now) : now,
      }),
      `${key.selector} is compromised and no switch away from it is under way: holding signing off until a fresh key is verified`,
    );
  },
};
