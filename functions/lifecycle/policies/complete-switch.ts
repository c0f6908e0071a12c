import { DAY_MS, HOUR_MS } from '../../core/time';
import { notify, putSigningKeyAction, signingEnabledAction } from '../actions';
import { operatorNotice } from '../notifications';
import { checkRecord } from '../observations';
import { act, sesOn, signingAllowed, stored, wait, type Ctx, type Policy, type Verdict } from '../policy';
import { graceEndsAt, SES_PENDING_POLL_MS } from '../protocol';
import { recordBroken } from '../record-repair';
import { activeKey, withKey, type DomainState, type KeyRecord, type PendingSwitch } from '../state';
import { recordBrokeDuringSwitch } from './record-broke-during-switch';

/**
 * A switch recorded ahead: give SES the key, enable signing, and once SES confirms, make the key active.
 * While SES confirms, the record is watched: if it breaks, see `recordBrokeDuringSwitch`.
 */
export const completeSwitch: Policy = {
  name: 'completeSwitch',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const sw = state.switching;
    if (!sw) return undefined;
    const key = state.keys.find((k) => k.keyId === sw.keyId);
    const clear = { ...state, switching: undefined };
    if (!key || key.state === 'revoked' || key.state === 'destroyed') {
      return act(clear, `abandoned the switch to ${sw.keyId}: the key is no longer usable`);
    }
    if (!obs.ses) return wait('the SES identity is missing', now + HOUR_MS);
    // A reused delegated slot: SES on the selector may still hold the slot's previous key.
    const shared = state.keys.some((k) => k.keyId !== key.keyId && k.selector === key.selector);
    if (!sesOn(ctx, key.selector) || (shared && sw.givenAt === undefined)) {
      const check = checkRecord(spec, key, obs);
      // A repair switch (SES given the active key back) whose record was not seen (a lookup failed on a
      // server), rather than seen wrong: look again within minutes instead of abandoning the repair — for up
      // to a day. Never for a switch away from a compromised key: the hold takes over at once instead.
      if (
        !check.verified &&
        sw.reason === 'repair' &&
        check.diagnosis.code === 'lookup-failed' &&
        now < sw.startedAt + DAY_MS
      ) {
        return wait(
          `the record of ${key.selector} could not be looked up on every server; looking again before giving SES the key`,
          now + SES_PENDING_POLL_MS,
        );
      }
      // SES may have been given this key by an earlier run of the switch (and signed with it): a key in
      // its grace period starts it again, so that mail it signed is verifiable for the whole period.
      const abandoned = key.state === 'retiring' ? withKey(clear, key.keyId, { retiredAt: now }) : clear;
      if (!check.verified) {
        return act(
          abandoned,
          `abandoned the switch to ${key.selector}: its record is not verified (${check.diagnosis.code})`,
        );
      }
      if (!stored(ctx, key))
        return act(abandoned, `abandoned the switch to ${key.selector}: its key is not in the key store`);
      return act(state, `giving SES the key for ${key.selector} (${sw.reason})`, [putSigningKeyAction(key)]);
    }
    if (!obs.ses.signingEnabled && signingAllowed(state)) {
      return act(state, `enabling SES signing with ${key.selector}`, [signingEnabledAction(true)]);
    }
    if (obs.ses.status === 'PENDING' || obs.ses.status === 'NOT_STARTED') {
      const check = checkRecord(spec, key, obs);
      if (recordBroken(check)) return recordBrokeDuringSwitch(ctx, key, check.diagnosis);
      return wait(`SES is confirming the record of ${key.selector}`, now + SES_PENDING_POLL_MS);
    }
    if (obs.ses.status !== 'SUCCESS') return undefined; // investigateSesFailure handles FAILED
    return switchConfirmed(ctx, sw, key);
  },
};

/** SES confirmed the record: the key becomes active, the one before it retires (grace period). */
function switchConfirmed(ctx: Ctx, sw: PendingSwitch, key: KeyRecord): Verdict {
  const { spec, state, now } = ctx;
  const previous = activeKey(state);
  let next: DomainState = { ...state, switching: undefined, compromiseHoldAt: undefined };
  if (previous && previous.keyId !== key.keyId) {
    next = withKey(next, previous.keyId, { state: 'retiring', retiredAt: now });
  }
  next = withKey(next, key.keyId, { state: 'active', activatedAt: key.activatedAt ?? now });
  const adoption =
    next.adoption && next.adoption.replacedAt === undefined ? { ...next.adoption, replacedAt: now } : next.adoption;
  const counted = sw.reason === 'activate' || sw.reason === 'compromise';
  next = { ...next, ...(adoption ? { adoption } : {}), rotations: state.rotations + (counted ? 1 : 0) };
  const from = previous
    ? `${previous.selector}`
    : state.adoption?.origin === 'AWS_SES'
      ? 'Easy DKIM'
      : (state.adoption?.selector ?? 'no signing');
  const graceEnd = graceEndsAt(spec, now);
  if (previous?.keyId === key.keyId) return act(next, `SES signs with ${key.selector} again (${sw.reason})`);
  return act(next, `SES signs with ${key.selector} (${sw.reason}); ${from} retires`, [
    notify(
      operatorNotice(
        spec,
        'rotation-completed',
        {
          en: `SES now signs ${spec.domain} with selector ${key.selector} (${sw.reason}), replacing ${from}.${previous ? ` ${previous.selector} stays published until ${new Date(graceEnd).toISOString()} (grace period), then is revoked.` : ''}`,
          ja: `${spec.domain} の署名をセレクター ${key.selector} に切り替えました（${sw.reason}）。切り替え前: ${from}。${previous ? `${previous.selector} は猶予期間として ${new Date(graceEnd).toISOString()} まで公開を続け、その後失効させます。` : ''}`,
        },
        key.selector,
      ),
    ),
  ]);
}
