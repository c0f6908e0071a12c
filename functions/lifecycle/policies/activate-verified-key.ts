import { notify, putSigningKeyAction } from '../actions';
import { operatorNotice } from '../notifications';
import { checkRecord, lookupName } from '../observations';
import { act, stored, wait, type Policy } from '../policy';
import { APPROVAL_REMINDER_MS, PROPAGATION_POLL_MS, propagationSoakMs } from '../protocol';
import { inFlightKey, withKey, withSwitchTo } from '../state';

/**
 * The verified key: after the soak (and approval, when manual), switch SES to it. A compromise does not
 * wait for either.
 */
export const activateVerifiedKey: Policy = {
  name: 'activateVerifiedKey',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const key = inFlightKey(state);
    if (!key || key.state !== 'dns-verified' || state.switching) return undefined;
    const check = checkRecord(spec, key, obs);
    if (!check.verified && (check.unobserved || check.diagnosis.code === 'lookup-failed')) {
      return wait(`a DNS server did not answer for ${key.selector}; looking again`, now + PROPAGATION_POLL_MS);
    }
    if (!check.verified) {
      return act(
        withKey(state, key.keyId, { state: 'dns-requested', dnsVerifiedAt: undefined }),
        `the record of ${key.selector} is no longer verified (${check.diagnosis.code}): back to waiting for DNS`,
      );
    }
    if (state.signingDisabledAt !== undefined) {
      return wait(`${key.selector} is ready; signing is disabled by the operator (enable to switch)`);
    }
    const urgent = key.reason === 'compromise' || state.compromiseHoldAt !== undefined;
    if (spec.rotation.activation === 'manual' && key.approvedAt === undefined && !urgent) {
      const topic = `approval:${key.keyId}`;
      const asked = state.notified[topic];
      if (asked !== undefined && now < asked + APPROVAL_REMINDER_MS) {
        return wait(`${key.selector} is verified and waits for approve`, asked + APPROVAL_REMINDER_MS);
      }
      return act(
        state,
        `${key.selector} is verified: asking the operators to approve${asked !== undefined ? ' (reminder)' : ''}`,
        [
          notify(
            operatorNotice(
              spec,
              'approval-needed',
              {
                en: `The record of selector ${key.selector} is verified on every DNS server. Run \`approve\` for ${spec.domain} to switch SES to it.`,
                ja: `セレクター ${key.selector} のレコードをすべての DNS サーバーで確認しました。${spec.domain} の \`approve\` を実行すると SES を切り替えます。`,
              },
              key.selector,
            ),
            { kind: 'topic', topic },
          ),
        ],
      );
    }
    // The soak covers the TTLs the answers carry (the record's, the zone's SOA negative TTL).
    const answers = obs.records[lookupName(spec, key.selector)]?.answers ?? [];
    const soakEnd = (key.dnsVerifiedAt ?? now) + propagationSoakMs(spec, answers);
    if (now < soakEnd && !urgent) {
      return wait(`${key.selector} is verified; letting resolver caches expire before switching`, soakEnd);
    }
    if (!stored(ctx, key)) return wait(`${key.selector} is verified but its key is not in the key store`);
    return act(
      { ...withSwitchTo(state, key, urgent ? 'compromise' : 'activate', now), compromiseHoldAt: undefined },
      `switching SES to ${key.selector}`,
      [putSigningKeyAction(key)],
    );
  },
};
