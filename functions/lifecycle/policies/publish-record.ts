import { notify, publishAction } from '../actions';
import { leadTimeDays, newRequest } from '../dns-team-request';
import { changeRequest } from '../notifications';
import { act, writable, type Policy } from '../policy';
import { URGENT_LEAD_DAYS } from '../protocol';
import { inFlightKey, withKey } from '../state';

/**
 * A stored key: write its record (route53 / delegated) or send the change request (external; urgent for a
 * compromised key's replacement).
 */
export const publishRecord: Policy = {
  name: 'publishRecord',
  run: ({ spec, state, now }) => {
    const key = inFlightKey(state);
    if (!key || key.state !== 'generated' || key.publicKey === undefined) return undefined;
    if (writable(spec)) {
      return act(
        withKey(state, key.keyId, { state: 'dns-requested', dnsRequestedAt: now, route53ChangeId: undefined }),
        `writing the record of ${key.selector}`,
        [publishAction(spec, key)],
      );
    }
    // A compromised key's replacement: signing is off (or the compromised key was switched away from) until
    // it is published — an urgent request (1-day deadline, escalated daily), not the normal lead time.
    const urgent = key.reason === 'compromise';
    const request = urgent
      ? { ...newRequest(key.keyId, now, URGENT_LEAD_DAYS), urgent: true }
      : newRequest(key.keyId, now, leadTimeDays(spec));
    const next = withKey(state, key.keyId, { state: 'dns-requested', dnsRequestedAt: now, dnsRequest: request });
    return act(
      next,
      `asking the DNS team to publish ${key.selector}${urgent ? ' urgently' : ''} (${request.id}, due ${new Date(request.deadline).toISOString()})`,
      [
        notify(changeRequest(spec, { ...key, dnsRequest: request }, request, 'initial', now), {
          kind: 'publication',
          keyId: key.keyId,
        }),
      ],
    );
  },
};
