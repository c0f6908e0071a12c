/**
 * For every policy of the chain, one situation in which it acts (each policy's own table checks what it
 * does). Used to show what stops the chain: whatever acts here must not act while backing off.
 */
import { DAY_MS, MINUTE_MS, NOW, PUBLIC_KEYS, given, running, type World } from './world';

export const ACTING: Readonly<Record<string, () => World>> = {
  recordAdoption: () => given('route53').with({ adoption: undefined }),
  holdCompromisedKey: () => running('route53').key('current', 'active', { compromisedAt: NOW - MINUTE_MS }),
  enforceSigningOff: () => running('route53').with({ signingDisabledAt: NOW - MINUTE_MS }),
  investigateSesFailure: () => running('route53').signing('current', { status: 'FAILED' }),
  completeSwitch: () =>
    running('route53')
      .key('next', 'dns-verified')
      .dns('next', 'correct')
      .with({ switching: { keyId: 'mail-20260330-1', startedAt: NOW - MINUTE_MS, reason: 'activate' } }),
  repairDrift: () =>
    running('route53').ses({ origin: 'AWS_SES', signingEnabled: true, status: 'SUCCESS', tokens: ['t1'] }),
  repairActiveRecord: () => running('route53').dns('current', { authoritative: 'missing', resolvers: 'correct' }),
  activateVerifiedKey: () => running('route53').key('next', 'dns-verified').dns('next', 'correct'),
  verifyRecord: () => running('route53').key('next', 'dns-requested').dns('next', 'correct'),
  publishRecord: () => running('route53').key('next', 'generated', { publicKey: PUBLIC_KEYS.next }),
  generateKey: () => running('route53').key('next', 'generated'),
  requestDelegation: () => given('delegated').with({ delegation: undefined }),
  startRotation: () => given('route53'),
  retireKeys: () =>
    running('route53')
      .key('old', 'retiring', { retiredAt: NOW - 8 * DAY_MS })
      .dns('old', 'correct'),
  confirmRevocation: () => running('route53').key('old', 'revoked').dns('old', 'revoked'),
  destroyKeys: () =>
    running('route53').key('old', 'revoked', { revocation: { startedAt: NOW - DAY_MS, confirmedAt: NOW - DAY_MS } }),
  finishDestruction: () => running('route53').key('old', 'destroyed').deletionNotScheduled('old'),
  notifyOverdue: () =>
    given('route53')
      .key('current', 'active', { activatedAt: NOW - 181 * DAY_MS })
      .signing('current')
      .dns('current', 'correct')
      .key('next', 'dns-requested', { route53InSyncAt: undefined })
      .change('change-mail-20260330-1', 'PENDING'),
  pruneHistory: () => {
    const world = running('route53');
    for (let n = 1; n <= 7; n += 1) world.key(`mail-2024010${n}-1`, 'destroyed');
    return world;
  },
};
