/** recordAdoption: the first run records what SES was doing, so it can be replaced without a gap. */
import { HOUR_MS, NOW, given, table } from './world';

describe('recordAdoption', () => {
  table([
    {
      name: 'records Easy DKIM as what byodkim takes over on the first run',
      given: () => given('route53').with({ adoption: undefined }),
      want: {
        policy: 'recordAdoption',
        state: { adoption: { observedAt: NOW, origin: 'AWS_SES', signingEnabled: true } },
        message: /Easy DKIM/,
      },
    },
    {
      name: 'records the selector of a BYODKIM key someone else set up, so that it keeps signing until replaced',
      given: () =>
        given('external')
          .with({ adoption: undefined })
          .ses({ origin: 'EXTERNAL', signingEnabled: true, status: 'SUCCESS', tokens: ['legacy-2024'] }),
      want: {
        policy: 'recordAdoption',
        state: { adoption: { observedAt: NOW, origin: 'EXTERNAL', signingEnabled: true, selector: 'legacy-2024' } },
      },
    },
    {
      name: 'records that a BYODKIM identity with signing disabled was not signing',
      given: () =>
        given('route53')
          .with({ adoption: undefined })
          .ses({ origin: 'EXTERNAL', signingEnabled: false, status: 'SUCCESS', tokens: ['legacy-2024'] }),
      want: {
        policy: 'recordAdoption',
        state: { adoption: { observedAt: NOW, origin: 'EXTERNAL', signingEnabled: false, selector: 'legacy-2024' } },
      },
    },
    {
      name: 'records an identity whose DKIM was never configured as NONE, not signing',
      given: () =>
        given('route53').with({ adoption: undefined }).ses({ signingEnabled: true, status: 'NOT_STARTED', tokens: [] }),
      want: {
        policy: 'recordAdoption',
        state: { adoption: { observedAt: NOW, origin: 'NONE', signingEnabled: false } },
        message: /does not sign yet/,
      },
    },
    {
      name: 'waits an hour while the SES identity does not exist, and no later policy acts meanwhile',
      // generateKey would act on this key if the chain went on
      given: () => given('route53').with({ adoption: undefined }).ses(undefined).key('next', 'generated'),
      want: { policy: 'idle', requeueAfterMs: HOUR_MS, message: /identity does not exist/ },
    },
    {
      name: 'does not apply once the adoption is recorded: the first rotation starts',
      given: () => given('route53'),
      want: {
        policy: 'startRotation',
        state: { adoption: { observedAt: NOW - 400 * 24 * HOUR_MS, origin: 'AWS_SES', signingEnabled: true } },
      },
    },
  ]);
});
