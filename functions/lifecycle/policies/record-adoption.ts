import { HOUR_MS } from '../../core/time';
import { act, wait, type Policy } from '../policy';

/**
 * First run: record what SES is doing before byodkim takes over, so it can be replaced without a gap.
 * Until the SES identity exists, nothing else may act.
 */
export const recordAdoption: Policy = {
  name: 'recordAdoption',
  whileWaiting: 'stop-chain',
  run: ({ state, obs, now }) => {
    if (state.adoption) return undefined;
    if (!obs.ses) return wait('the SES identity does not exist yet (Terraform creates it)', now + HOUR_MS);
    const signing = obs.ses.origin !== undefined && obs.ses.signingEnabled;
    const origin = !obs.ses.origin ? 'NONE' : obs.ses.origin;
    return act(
      {
        ...state,
        adoption: {
          observedAt: now,
          origin,
          signingEnabled: signing,
          ...(origin === 'EXTERNAL' && obs.ses.tokens[0] ? { selector: obs.ses.tokens[0] } : {}),
        },
      },
      origin === 'NONE'
        ? 'took over an identity that does not sign yet'
        : `took over an identity signing with ${origin === 'AWS_SES' ? 'Easy DKIM' : `BYODKIM selector ${obs.ses.tokens[0]}`}; it keeps signing until a byodkim key is verified in DNS`,
    );
  },
};
