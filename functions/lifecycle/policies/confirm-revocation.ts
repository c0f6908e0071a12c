import { revokeAction } from '../actions';
import { followUp, leadTimeDays, newRequest } from '../dns-team-request';
import { revocationRequest } from '../notifications';
import { checkRecord, revocationVisible } from '../observations';
import { act, wait, writable, type Policy } from '../policy';
import { PROPAGATION_POLL_MS, ROUTE53_POLL_MS } from '../protocol';
import { withKey } from '../state';

/** Revocations in progress: wait for Route 53 / the DNS team until DNS no longer shows the key. */
export const confirmRevocation: Policy = {
  name: 'confirmRevocation',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    for (const key of state.keys) {
      if (key.state !== 'revoked' || key.revocation === undefined || key.revocation.confirmedAt !== undefined) {
        continue;
      }
      const revocation = key.revocation;
      // External: a key the DNS team never published correctly may still be published by them (a request
      // or a correction they are working on): only their explicit `p=` shows the revocation is done.
      const explicit = spec.dns.kind === 'external' && key.dnsVerifiedAt === undefined && key.activatedAt === undefined;
      if (revocationVisible(spec, key, obs, explicit ? 'explicit' : 'gone-or-revoked')) {
        return act(
          withKey(state, key.keyId, { revocation: { ...revocation, confirmedAt: now } }),
          `${key.selector} is revoked in DNS`,
        );
      }
      if (writable(spec)) {
        if (revocation.route53ChangeId === undefined) {
          return act(state, `writing the revocation of ${key.selector} (no change recorded)`, [
            revokeAction(spec, key),
          ]);
        }
        if (obs.changes[revocation.route53ChangeId] === 'PENDING') {
          return wait(`waiting for Route 53 to revoke ${key.selector}`, now + ROUTE53_POLL_MS);
        }
        if (checkRecord(spec, key, obs).authoritativeOk && now >= revocation.startedAt + PROPAGATION_POLL_MS) {
          return act(
            withKey(state, key.keyId, { revocation: { startedAt: now } }),
            `${key.selector} is still published: revoking it again`,
            [revokeAction(spec, key)],
          );
        }
        return wait(`public resolvers still show ${key.selector}`, now + PROPAGATION_POLL_MS);
      }
      const request = revocation.request ?? newRequest(`${key.keyId}-revoke`, now, leadTimeDays(spec));
      const verdict = followUp(
        ctx,
        request,
        (stage) => revocationRequest(spec, key, request, stage, now),
        (r) => withKey(state, key.keyId, { revocation: { ...revocation, request: r } }),
        { kind: 'revocation', keyId: key.keyId },
        'revocation request',
      );
      if (verdict && 'act' in verdict) return verdict;
    }
    return undefined;
  },
};
