import { signingEnabledAction } from '../actions';
import { act, signingAllowed, type Policy } from '../policy';

/** Operator `disable`, or a compromise with nothing to switch to: signing must be off. */
export const enforceSigningOff: Policy = {
  name: 'enforceSigningOff',
  run: ({ state, obs }) => {
    if (signingAllowed(state)) return undefined;
    if (!obs.ses || !obs.ses.signingEnabled) return undefined;
    return act(
      state,
      state.compromiseHoldAt !== undefined
        ? 'turning SES signing off: the key was compromised and no verified key is ready yet'
        : 'turning SES signing off as the operator asked (disable)',
      [signingEnabledAction(false)],
    );
  },
};
