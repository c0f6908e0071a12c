import { notify, publishAction } from '../actions';
import { followUp, leadTimeDays, newRequest } from '../dns-team-request';
import { changeRequest } from '../notifications';
import { checkRecord, type RecordCheck } from '../observations';
import { act, awaitingCnames, wait, writable, type Ctx, type Policy, type Verdict } from '../policy';
import { PROPAGATION_POLL_MS, ROUTE53_POLL_MS, URGENT_LEAD_DAYS } from '../protocol';
import { recordBroken, repairRecord } from '../record-repair';
import { inFlightKey, withKey, type DnsTeamRequest, type KeyRecord } from '../state';

/**
 * The in-flight key's record: wait for Route 53 / the DNS team, verify it on every server, and when it is
 * wrong, write it again or tell the DNS team exactly what is wrong (`repairRecord`).
 */
export const verifyRecord: Policy = {
  name: 'verifyRecord',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const key = inFlightKey(state);
    if (!key || key.state !== 'dns-requested') return undefined;
    if (writable(spec)) {
      const change = followRoute53Change(ctx, key);
      if (change) return change;
    }
    const check = checkRecord(spec, key, obs);
    if (check.verified) {
      return act(
        withKey(state, key.keyId, { state: 'dns-verified', dnsVerifiedAt: now }),
        `the record of ${key.selector} is correct on every server`,
      );
    }
    if (awaitingCnames(ctx)) {
      return wait(`the record of ${key.selector} waits for the DNS team's CNAMEs`);
    }
    if (wrong(ctx, key, check)) {
      // The write shows on the authoritative servers soon after INSYNC; before that, it is not repeated.
      const repair = repairRecord(ctx, key, check.diagnosis, {
        lastWrittenAt: key.route53InSyncAt ?? now,
        writeRecordedAs: 'republished',
      });
      if (repair.actions.length > 0) {
        return act(
          withKey(state, key.keyId, repair.patch),
          repair.by === 'write'
            ? `the record of ${key.selector} is wrong on the authoritative servers (${check.diagnosis.code}): writing it again`
            : `the DNS team published ${key.selector} wrongly (${check.diagnosis.code}): telling them exactly what is wrong`,
          repair.actions,
        );
      }
    }
    if (writable(spec)) {
      return wait(
        `public resolvers do not show ${key.selector} yet (${check.diagnosis.code})`,
        now + PROPAGATION_POLL_MS,
      );
    }
    if (!check.unobserved && check.authoritativeOk) {
      return wait(`public resolvers do not show ${key.selector} yet`, now + PROPAGATION_POLL_MS);
    }
    if (state.compromiseHoldAt !== undefined && key.dnsRequest && !key.dnsRequest.urgent) {
      // Signing is held off after a compromise and this key, requested with the normal lead time, is what
      // it waits for: ask again, urgently (a new request id, 1-day deadline, escalated daily).
      const urgent = { ...newRequest(`${key.keyId}-urgent`, now, URGENT_LEAD_DAYS), urgent: true };
      return act(
        withKey(state, key.keyId, { dnsRequest: urgent }),
        `signing is off after a compromise: asking the DNS team to publish ${key.selector} urgently (${urgent.id})`,
        [notify(changeRequest(spec, key, urgent, 'initial', now), { kind: 'publication', keyId: key.keyId })],
      );
    }
    const request = key.dnsRequest ?? newRequest(key.keyId, now, leadTimeDays(spec));
    return followUp(
      ctx,
      request,
      (stage) => changeRequest(spec, key, request, stage, now),
      (r: DnsTeamRequest) => withKey(state, key.keyId, { dnsRequest: r }),
      { kind: 'publication', keyId: key.keyId },
      'DNS change request',
    );
  },
};

/** route53 / delegated: the record's Route 53 change, written (again if none is recorded) and followed to INSYNC. */
function followRoute53Change(ctx: Ctx, key: KeyRecord): Verdict {
  const { spec, state, obs, now } = ctx;
  if (key.route53ChangeId === undefined) {
    return act(state, `writing the record of ${key.selector} (no change recorded)`, [publishAction(spec, key)]);
  }
  if (key.route53InSyncAt !== undefined) return undefined;
  if (obs.changes[key.route53ChangeId] !== 'INSYNC') {
    return wait(`waiting for Route 53 change ${key.route53ChangeId} to be INSYNC`, now + ROUTE53_POLL_MS);
  }
  return act(withKey(state, key.keyId, { route53InSyncAt: now }), `Route 53 change for ${key.selector} is INSYNC`);
}

/**
 * The record is wrong, not merely on its way: broken on the authoritative servers (route53 / delegated), or
 * published wrongly by the DNS team after the change request reached them (external; no record yet is the
 * request's business, not a mistake).
 */
function wrong(ctx: Ctx, key: KeyRecord, check: RecordCheck): boolean {
  if (writable(ctx.spec)) return recordBroken(check);
  const mistake = check.diagnosis.code;
  const published = !check.unobserved && mistake !== 'no-record' && mistake !== 'lookup-failed' && mistake !== 'match';
  return published && key.dnsRequest?.deliveredAt !== undefined;
}
