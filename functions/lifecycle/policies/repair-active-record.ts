import { DAY_MS } from '../../core/time';
import { notify, putSigningKeyAction } from '../actions';
import { operatorNotice } from '../notifications';
import { checkRecord, lookupName, type RecordCheck } from '../observations';
import { act, stored, wait, writable, type Ctx, type Policy, type Verdict } from '../policy';
import {
  graceEndsAt,
  propagationSoakMs,
  rotationDueAt,
  SES_PENDING_POLL_MS,
  SIGNING_REPAIR_POLL_MS,
  signingRepairPollMs,
} from '../protocol';
import { recordBroken, recordUnseen, repairRecord } from '../record-repair';
import { recordJudgeable } from '../signing-path';
import { activeKey, rollbackCandidate, withKey, withSwitchTo, type KeyRecord } from '../state';

/**
 * The active key's record is wrong on the authoritative servers (removed or changed by hand): receivers
 * fail its signatures from now on, and SES stops signing at its next check. Put it back at once — write it
 * (route53 / delegated: not held back by a backoff, see `honourBackoff`), or (external) send the DNS team
 * an URGENT request to put it back (1-day deadline, escalated daily) — instead of waiting for SES. In
 * external mode, if the previous key is still published, verified everywhere, stored, in its grace period
 * and not due for rotation yet, SES goes back to it at once (a rollback the engine makes: no DNS team
 * needed). Then look again every few minutes until the record is verified everywhere and SES's own lookup
 * can no longer hit the old answer. The operators are told once a day.
 */
export const repairActiveRecord: Policy = {
  name: 'repairActiveRecord',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const key = activeKey(state);
    if (!key || state.switching || key.publicKey === undefined) return undefined;
    const check = checkRecord(spec, key, obs);
    if (!recordJudgeable(ctx, key)) return undefined;
    // Not seen on every authoritative server in this run (a lookup failed): it may be broken — look again
    // within minutes rather than at the next scheduled run.
    if (key.compromisedAt === undefined && recordUnseen(check))
      return wait(
        `the record of ${key.selector} could not be looked up on every authoritative server`,
        now + SIGNING_REPAIR_POLL_MS,
      );
    if (!recordBroken(check)) return followUp(ctx, key, check);
    const mistake = check.diagnosis.code;
    const fallback = writable(spec) ? undefined : fallbackKey(ctx);
    const repair = repairRecord(ctx, key, check.diagnosis, {
      lastWrittenAt: key.recordRepairedAt,
      writeRecordedAs: 'repaired',
      urgent: !writable(spec),
    });
    if (!fallback && repair.actions.length === 0) {
      return repair.by === 'write'
        ? wait(`the record of ${key.selector} was written again`, repair.writtenUntil)
        : wait(
            `the DNS team was asked to put back ${key.selector} urgently (${mistake}, ${key.restoreRequest?.id ?? ''})`,
            Math.min(repair.writtenUntil ?? Infinity, now + signingRepairPollMs(spec)),
          );
    }
    const topic = `record:${key.keyId}`;
    const told = state.notified[topic] !== undefined && now < state.notified[topic] + DAY_MS;
    const how = fallback
      ? {
          en: `SES goes back to the previous selector ${fallback.selector}, still published and verified, until it is back.`,
          ja: `レコードが戻るまで、公開・検証済みの前のセレクター ${fallback.selector} に SES を戻します。`,
        }
      : writable(spec)
        ? { en: 'byodkim is writing it again.', ja: 'byodkim が再登録します。' }
        : { en: 'The DNS team was asked to put it back urgently.', ja: 'DNS 管理チームに至急の復旧を依頼しました。' };
    const operators = told
      ? []
      : [
          notify(
            operatorNotice(
              spec,
              'signing-drift',
              {
                en: `The DNS record of the active selector ${key.selector} of ${spec.domain} changed outside byodkim: ${check.diagnosis.message.en} ${how.en}`,
                ja: `${spec.domain} の有効なセレクター ${key.selector} の DNS レコードが byodkim の外で変更されました: ${check.diagnosis.message.ja} ${how.ja}`,
              },
              key.selector,
            ),
            { kind: 'topic', topic },
          ),
        ];
    if (fallback) {
      return act(
        withSwitchTo(withKey(state, key.keyId, repair.patch), fallback, 'repair', now),
        `the record of the active selector ${key.selector} is wrong (${mistake}): switching SES back to ${fallback.selector} and asking the DNS team to put it back`,
        [putSigningKeyAction(fallback), ...repair.actions, ...operators],
      );
    }
    return act(
      withKey(state, key.keyId, repair.patch),
      repair.by === 'write'
        ? `the record of the active selector ${key.selector} is wrong (${mistake}): writing it again`
        : `the record of the active selector ${key.selector} is wrong (${mistake}): asking the DNS team to put it back urgently`,
      [...repair.actions, ...operators],
    );
  },
};

/**
 * The record is right on the authoritative servers again. After a repair, look again every few minutes
 * while the public resolvers catch up and while SES's own lookup may still hit the old answer (the soak):
 * SES turns signing off if its daily check falls in that window, and the next run must see it at once.
 * External mode: the urgent request is closed once the record is verified everywhere.
 */
function followUp(ctx: Ctx, key: KeyRecord, check: RecordCheck): Verdict {
  const { spec, state, obs, now } = ctx;
  const poll = now + signingRepairPollMs(spec);
  if (key.restoreRequest) {
    if (!check.verified) return wait(`the record of ${key.selector} is back; waiting for every resolver`, poll);
    return act(
      withKey(state, key.keyId, { restoreRequest: undefined, recordRepairedAt: now }),
      `the record of the active selector ${key.selector} is back (${key.restoreRequest.id})`,
    );
  }
  if (key.recordRepairedAt === undefined || now >= key.recordRepairedAt + DAY_MS) return undefined;
  if (!check.verified) return wait(`the record of ${key.selector} was written again; waiting for every resolver`, poll);
  const answers = obs.records[lookupName(spec, key.selector)]?.answers ?? [];
  const settledAt = key.recordRepairedAt + propagationSoakMs(spec, answers) + SES_PENDING_POLL_MS;
  if (now < settledAt)
    return wait(`the record of ${key.selector} was repaired; watching SES until caches expire`, poll);
  return undefined;
}

/**
 * External mode: the previous key, if SES can go back to it safely while the DNS team restores the active
 * record — retired in its grace period (still published, never revoked), not compromised, stored, its record
 * verified on every authoritative server and resolver right now, and not due for rotation yet (so that the
 * normal rotation from it still completes within its interval).
 */
function fallbackKey(ctx: Ctx): KeyRecord | undefined {
  const { spec, state, obs, now } = ctx;
  const previous = rollbackCandidate(state);
  if (!previous || previous.retiredAt === undefined || now >= graceEndsAt(spec, previous.retiredAt)) return undefined;
  const due = rotationDueAt(spec, previous);
  if (due === undefined || now >= due) return undefined;
  if (!stored(ctx, previous) || !checkRecord(spec, previous, obs).verified) return undefined;
  return previous;
}
