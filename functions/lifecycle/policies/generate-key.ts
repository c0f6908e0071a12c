import { act, type Policy } from '../policy';
import { inFlightKey, withKey } from '../state';

/** A chosen selector: generate and store its key pair (or pick up the one a crashed run stored). */
export const generateKey: Policy = {
  name: 'generateKey',
  run: ({ spec, state, obs }) => {
    const key = inFlightKey(state);
    if (!key || key.state !== 'generated' || key.publicKey !== undefined) return undefined;
    const found = obs.keys.find((k) => k.keyId === key.keyId);
    if (found) {
      return act(withKey(state, key.keyId, { publicKey: found.publicKey }), `the key of ${key.selector} is stored`);
    }
    return act(state, `generating the key for ${key.selector}`, [
      { type: 'generate-key', keyId: key.keyId, bits: spec.keyBits },
    ]);
  },
};
