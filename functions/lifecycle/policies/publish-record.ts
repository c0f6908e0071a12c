import { notify, publishAction } from '../actions';
import { leadTimeDays, newRequest } from '../dns-team-request';
import { changeRequest } from '../notifications';
import { act, writable, type Policy } from '../policy';
import { inFlightKey, withKey } from '../state';

/** A stored key: write its record (route53 / delegated) or send the change request (external). */
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
    const request = newRequest(key.keyId, now, leadTimeDays(spec));
    const next = withKey(state, key.keyId, { state: 'dns-requested', dnsRequestedAt: now, dnsRequest: request });
    return act(
      next,
      `asking the DNS team to publish ${key.selector} (${request.id}, due ${new Date(request.deadline).toISOString()})`,
      [
        notify(changeRequest(spec, { ...key, dnsRequest: request }, request, 'initial', now), {
          kind: 'publication',
          keyId: key.keyId,
        }),
      ],
    );
  },
};
