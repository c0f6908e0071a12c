import type { BilingualText } from '../../core/errors';
import { notify, putSigningKeyAction } from '../actions';
import { chooseSlot, startKey } from '../new-key';
import { operatorNotice } from '../notifications';
import { checkRecord } from '../observations';
import type { SesDkimStatus } from '../ports';
import { act, sesOn, stored, wait, type Ctx, type Policy, type Verdict } from '../policy';
import { SES_FAILURE_RECHECK_MS, SES_PENDING_POLL_MS, signingRepairPollMs } from '../protocol';
import { repairRecord } from '../record-repair';
import { inFlightKey, rollbackCandidate, withKey, withSwitchTo, type DomainState, type KeyRecord } from '../state';

/**
 * SES reports FAILED for the key it should sign with: investigate the record, repair, regenerate, notify.
 * Investigated again after SES_FAILURE_RECHECK_MS if SES keeps failing.
 */
export const investigateSesFailure: Policy = {
  name: 'investigateSesFailure',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const ses = obs.ses;
    if (!ses || (ses.status !== 'FAILED' && ses.status !== 'TEMPORARY_FAILURE')) return undefined;
    const key = state.keys.find(
      (k) => (k.state === 'active' || state.switching?.keyId === k.keyId) && sesOn(ctx, k.selector),
    );
    if (!key) return undefined;
    const check = checkRecord(spec, key, obs);
    if (key.sesFailureHandledAt !== undefined && now < key.sesFailureHandledAt + SES_FAILURE_RECHECK_MS) {
      if (key.sesAwaitsRecordSince === undefined) {
        // The key was given to SES again: a call that took effect leaves SES PENDING, not failing. Still
        // failing a poll later, with the record verified and the key stored, means the call did not take
        // effect (it failed after the intent was recorded): give it again rather than wait out the 3 days.
        const retryAt = key.sesFailureHandledAt + SES_PENDING_POLL_MS;
        if (check.verified && stored(ctx, key)) {
          if (now < retryAt)
            return wait(`SES reports ${ses.status} for ${key.selector}; the key was given to SES again`, retryAt);
          return act(
            withKey(state, key.keyId, { sesFailureHandledAt: now }),
            `SES still reports ${ses.status} for ${key.selector} after it was given the key again: giving it again`,
            [putSigningKeyAction(key)],
          );
        }
        return wait(`SES reports ${ses.status} for ${key.selector}; investigated, waiting for the repair to show`);
      }
      // The record is being repaired: as soon as it verifies everywhere, SES is given the key again (it
      // looks for the record at once, then every 5 minutes) — SES itself would look only hourly and would
      // leave signing off. Until then, look again every few minutes.
      if (!check.verified || !stored(ctx, key)) {
        return wait(
          `SES reports ${ses.status} for ${key.selector}; its record is being repaired (${check.diagnosis.code})`,
          now + signingRepairPollMs(spec),
        );
      }
      return act(
        withKey(state, key.keyId, { sesFailureHandledAt: now, sesAwaitsRecordSince: undefined }),
        `the record of ${key.selector} is verified again: giving SES the key again (SES ${ses.status})`,
        [putSigningKeyAction(key)],
      );
    }
    const marked = withKey(state, key.keyId, { sesFailureHandledAt: now, sesAwaitsRecordSince: undefined });
    if (!stored(ctx, key)) return replaceLostKey(ctx, marked, key, ses.status);
    const text = (what: BilingualText) =>
      operatorNotice(
        spec,
        'ses-failed',
        {
          en: `SES reports ${ses.status} for selector ${key.selector} (it looks for the record for up to 72 hours). The record: ${check.diagnosis.message.en} ${what.en}`,
          ja: `SES がセレクター ${key.selector} について ${ses.status} を報告しています（SES はレコードを最大 72 時間探します）。レコードの状態: ${check.diagnosis.message.ja} ${what.ja}`,
        },
        key.selector,
      );
    if (check.verified) {
      return act(marked, `SES ${ses.status} although the record is correct: giving SES the key again`, [
        putSigningKeyAction(key),
        notify(
          text({
            en: 'The key was given to SES again so that it checks once more.',
            ja: 'SES が再確認するよう鍵を再設定しました。',
          }),
        ),
      ]);
    }
    // SES FAILED is news in itself (and rate-limited by SES_FAILURE_RECHECK_MS): repair even if the same
    // mistake was reported to the DNS team lately, and whenever byodkim last wrote the record.
    const repair = repairRecord(ctx, key, check.diagnosis, {
      lastWrittenAt: undefined,
      writeRecordedAs: 'repaired',
      correctEvenIfReported: true,
      // The key SES signs with (external mode): an urgent request to put the record back, like
      // repairActiveRecord's — not a correction of its old publication request.
      urgent: key.state === 'active',
    });
    return act(
      withKey(marked, key.keyId, { ...repair.patch, sesAwaitsRecordSince: now }),
      `SES ${ses.status}: the record is wrong (${check.diagnosis.code}); ${repair.by === 'write' ? 'writing it again' : 'asking the DNS team to correct it'}`,
      [
        ...repair.actions,
        notify(
          text(
            repair.by === 'write'
              ? { en: 'The record was written again.', ja: 'レコードを再登録しました。' }
              : { en: 'The DNS team was asked to correct it.', ja: 'DNS 管理チームに修正を依頼しました。' },
          ),
        ),
      ],
    );
  },
};

/** SES fails and the key's private key is gone from the key store: sign with another key as soon as possible. */
function replaceLostKey(ctx: Ctx, marked: DomainState, key: KeyRecord, status: SesDkimStatus): Verdict {
  const { spec, obs, now } = ctx;
  const operators = notify(
    operatorNotice(
      spec,
      'ses-failed',
      {
        en: `SES reports ${status} for selector ${key.selector} and its private key is no longer in the key store. A new key is being generated; the identity signs again once it is verified.`,
        ja: `SES がセレクター ${key.selector} について ${status} を報告しており、秘密鍵がキーストアにありません。新しい鍵を生成しています。検証完了後に署名が再開されます。`,
      },
      key.selector,
    ),
  );
  if (inFlightKey(marked))
    return act(marked, `SES ${status} and key lost: a rotation is already in flight`, [operators]);
  // The previous key, still published in its grace period, signs again at once (a new key takes minutes in
  // route53 mode, but the DNS team's lead time in external mode).
  const previous = rollbackCandidate(marked);
  if (previous && stored(ctx, previous) && checkRecord(spec, previous, obs).verified) {
    return act(
      withSwitchTo(marked, previous, 'repair', now),
      `SES ${status} and key ${key.keyId} lost: switching back to ${previous.selector} (still in its grace period)`,
      [putSigningKeyAction(previous), operators],
    );
  }
  // Delegated mode: the other slot may still hold a key in its grace period; never overwrite it.
  if (spec.dns.kind === 'delegated' && chooseSlot(marked).occupant) {
    return act(
      { ...marked, rotationRequestedAt: marked.rotationRequestedAt ?? now },
      `SES ${status} and key ${key.keyId} lost: a new key follows as soon as its slot is free`,
      [operators],
    );
  }
  return act(startKey(ctx, marked, 'regenerate'), `SES ${status} and key ${key.keyId} lost: regenerating`, [operators]);
}
