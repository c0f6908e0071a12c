/** enforceSigningOff: after the operator's `disable`, or under a compromise hold, SES signing must be off. */
import { DAY_MS, KEY_IDS, MINUTE_MS, NOW, failure, running, table } from './world';

const off = [{ type: 'ses-set-signing-enabled', enabled: false }];

describe('enforceSigningOff', () => {
  table([
    {
      name: 'turns SES signing off when the operator disabled it',
      given: () => running('route53').with({ signingDisabledAt: NOW - MINUTE_MS }),
      want: { policy: 'enforceSigningOff', unchanged: true, actions: off, message: /operator/ },
    },
    {
      name: 'turns SES signing off under a compromise hold',
      given: () =>
        running('external')
          .key('current', 'retiring', { compromisedAt: NOW - MINUTE_MS, retiredAt: NOW - MINUTE_MS })
          .with({ compromiseHoldAt: NOW - MINUTE_MS }),
      want: { policy: 'enforceSigningOff', unchanged: true, actions: off, message: /compromised/ },
    },
    {
      name: 'acts even while backing off after failures',
      given: () =>
        running('route53').with({ signingDisabledAt: NOW - MINUTE_MS, failure: failure(6, NOW - MINUTE_MS, false) }),
      want: { policy: 'enforceSigningOff', unchanged: true, actions: off },
    },
    {
      name: 'comes before putting a drifted SES back on the active key',
      given: () =>
        running('route53')
          .ses({ origin: 'AWS_SES', signingEnabled: true, status: 'SUCCESS', tokens: ['t1', 't2', 't3'] })
          .with({ signingDisabledAt: NOW - MINUTE_MS }),
      want: { policy: 'enforceSigningOff', unchanged: true, actions: off },
    },
    {
      name: 'does nothing once SES no longer signs, and nothing turns it back on',
      given: () =>
        running('route53')
          .signing('current', { signingEnabled: false })
          .with({ signingDisabledAt: NOW - MINUTE_MS }),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'does nothing while the operator has not disabled signing',
      given: () => running('route53').key('next', 'generated'),
      want: { policy: 'generateKey', actions: [{ type: 'generate-key', keyId: KEY_IDS.next }] },
    },
  ]);
});
