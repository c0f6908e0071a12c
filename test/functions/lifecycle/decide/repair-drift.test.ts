/**
 * repairDrift: SES no longer signs with the recorded active key (changed by hand, or an interrupted
 * enable). Put it back — only to a key whose record is verified and that is stored — and tell the operators
 * once.
 */
import { DAY_MS, KEY_IDS, MINUTE_MS, NOW, notifies, running, table } from './world';

const easyDkim = { origin: 'AWS_SES', signingEnabled: true, status: 'SUCCESS', tokens: ['t1', 't2', 't3'] } as const;
const told = { notified: { [`drift:${KEY_IDS.current}`]: NOW - DAY_MS } };
const operators = {
  ...notifies('signing-drift', 'operators', { selector: KEY_IDS.current }),
  deliveryOf: { kind: 'topic', topic: `drift:${KEY_IDS.current}` },
};

describe('repairDrift', () => {
  table([
    {
      name: 'puts SES back on the active key when someone switched the identity to Easy DKIM',
      given: () => running('route53').ses(easyDkim),
      want: {
        policy: 'repairDrift',
        state: { switching: { keyId: KEY_IDS.current, startedAt: NOW, reason: 'repair' } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current, selector: KEY_IDS.current }, operators],
      },
    },
    {
      name: 'puts SES back when it was given another BYODKIM selector, telling the operators only once',
      given: () =>
        running('external')
          .ses({ origin: 'EXTERNAL', signingEnabled: true, status: 'SUCCESS', tokens: ['handmade-1'] })
          .with(told),
      want: {
        policy: 'repairDrift',
        state: { switching: { keyId: KEY_IDS.current, startedAt: NOW, reason: 'repair' } },
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.current }],
      },
    },
    {
      name: 'never puts SES back on a key whose record a resolver does not show: it tells the operators instead',
      given: () => running('route53').ses(easyDkim).dns('current', 'correct', { 'resolver:8.8.8.8': 'missing' }),
      want: { policy: 'repairDrift', unchanged: true, actions: [operators], message: /not verified/ },
    },
    {
      name: 'never puts SES back on a key that is not in the key store',
      given: () => running('route53').ses(easyDkim).lost('current'),
      want: { policy: 'repairDrift', unchanged: true, actions: [operators] },
    },
    {
      name: 'looks again every 5 minutes, once the operators were told, while the record is not verified',
      given: () => running('route53').ses(easyDkim).dns('current', 'timeout').with(told),
      want: { policy: 'idle', message: /drifted/, requeueAfterMs: 5 * MINUTE_MS },
    },
    {
      name: 'enables signing again when SES has the key but signing is off (an interrupted enable)',
      given: () => running('route53').signing('current', { signingEnabled: false }),
      want: { policy: 'repairDrift', unchanged: true, actions: [{ type: 'ses-set-signing-enabled', enabled: true }] },
    },
    {
      name: 'does not enable signing the operator disabled',
      given: () =>
        running('route53')
          .signing('current', { signingEnabled: false })
          .with({ signingDisabledAt: NOW - MINUTE_MS }),
      want: { policy: 'idle', requeueAfterMs: 91 * DAY_MS },
    },
    {
      name: 'does not apply while a switch is under way: the switch goes on',
      given: () =>
        running('route53')
          .ses(easyDkim)
          .key('next', 'dns-verified')
          .dns('next', 'correct')
          .with({ switching: { keyId: KEY_IDS.next, startedAt: NOW - MINUTE_MS, reason: 'activate' } }),
      want: {
        policy: 'completeSwitch',
        unchanged: true,
        actions: [{ type: 'ses-put-signing-key', keyId: KEY_IDS.next }],
      },
    },
  ]);
});
