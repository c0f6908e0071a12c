import { notify, revokeAction } from '../actions';
import { leadTimeDays, newRequest } from '../dns-team-request';
import { revocationRequest } from '../notifications';
import { act, sesSignsWith, wait, writable, type Policy } from '../policy';
import { graceEndsAt } from '../protocol';
import { withKey } from '../state';

/**
 * Retired keys: after the grace period (at once when compromised), revoke the record — never while SES
 * signs with the key. A compromised key's revocation request is due within a day.
 */
export const retireKeys: Policy = {
  name: 'retireKeys',
  run: (ctx) => {
    const { spec, state, now } = ctx;
    let earliest: number | undefined;
    const retiring = state.keys
      .filter((k) => k.state === 'retiring')
      .sort((a, b) => (a.retiredAt ?? 0) - (b.retiredAt ?? 0));
    for (const key of retiring) {
      if (sesSignsWith(ctx, key.selector) || state.switching?.keyId === key.keyId) continue;
      const graceEnd = graceEndsAt(spec, key.retiredAt ?? now);
      const due = key.compromisedAt !== undefined || key.activatedAt === undefined || now >= graceEnd;
      if (!due) {
        earliest = Math.min(earliest ?? graceEnd, graceEnd);
        continue;
      }
      if (key.dnsRequestedAt === undefined) {
        return act(
          withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now, confirmedAt: now } }),
          `${key.selector} was never published: nothing to revoke`,
        );
      }
      if (writable(spec)) {
        return act(
          withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now } }),
          `revoking ${key.selector} (v=DKIM1; p=)`,
          [revokeAction(spec, key)],
        );
      }
      const request = newRequest(`${key.keyId}-revoke`, now, key.compromisedAt !== undefined ? 1 : leadTimeDays(spec));
      const revoking = { ...key, state: 'revoked' as const, revocation: { startedAt: now, request } };
      return act(
        withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now, request } }),
        `asking the DNS team to revoke ${key.selector} (${request.id})`,
        [notify(revocationRequest(spec, revoking, request, 'initial', now), { kind: 'revocation', keyId: key.keyId })],
      );
    }
    return earliest !== undefined ? wait('retired keys stay published for the grace period', earliest) : undefined;
  },
};
