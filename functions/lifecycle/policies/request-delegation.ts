import { REVOCATION_VALUE } from '../../dkim/record';
import { notify } from '../actions';
import { followUp, leadTimeDays, newRequest, reportedRecently } from '../dns-team-request';
import { delegationCorrection, delegationRequest, ROUTE53_RECORD_TTL_SECONDS } from '../notifications';
import { slotTarget } from '../observations';
import { act, awaitingCnames, type Policy } from '../policy';
import type { DnsTeamRequest } from '../state';
import { selectorCnames } from './selector-cnames';

/**
 * Delegated mode: the one-time CNAME request for the two slots, followed up until both resolve. Empty
 * (revoked) records are written into both slots first, so a CNAME never points at nothing.
 */
export const requestDelegation: Policy = {
  name: 'requestDelegation',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    if (!awaitingCnames(ctx)) return undefined;
    const delegation = state.delegation ?? {};
    if (delegation.placeholdersWrittenAt === undefined) {
      const free = ([1, 2] as const).filter(
        (slot) => !state.keys.some((k) => k.slot === slot && k.dnsRequestedAt !== undefined),
      );
      return act(
        { ...state, delegation: { ...delegation, placeholdersWrittenAt: now } },
        'writing empty (revoked) records into both selector slots',
        free.map((slot) => ({
          type: 'write-txt' as const,
          purpose: 'placeholder' as const,
          zone: spec.dns.kind === 'delegated' ? spec.dns.zoneName : '',
          name: slotTarget(spec, slot),
          strings: [REVOCATION_VALUE],
          ttlSeconds: ROUTE53_RECORD_TTL_SECONDS,
        })),
      );
    }
    const { complete, problems } = selectorCnames(spec, obs);
    if (complete)
      return act(
        { ...state, delegation: { ...delegation, verifiedAt: now } },
        'both selector slots resolve through their CNAMEs',
      );
    const request =
      delegation.request ??
      newRequest(
        `${spec.selectorPrefix}-cname-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}`,
        now,
        leadTimeDays(spec),
      );
    const update = (r: DnsTeamRequest) => ({ ...state, delegation: { ...delegation, request: r } });
    const signature = problems.map((p) => `${p.name}=${p.code ?? ''}:${p.found.en}`).join(';');
    if (problems.length > 0 && request.deliveredAt !== undefined && !reportedRecently(request, signature, now)) {
      return act(
        update({ ...request, reportedMistake: signature, reportedMistakeAt: now }),
        'the selector CNAMEs are wrong: telling the DNS team exactly what',
        [notify(delegationCorrection(spec, request, problems))],
      );
    }
    const verdict = followUp(
      ctx,
      request,
      (stage) => delegationRequest(spec, request, stage, now),
      update,
      { kind: 'delegation' },
      'selector CNAME request',
    );
    return verdict && 'act' in verdict ? verdict : undefined; // waiting for CNAMEs does not block the first key
  },
};
