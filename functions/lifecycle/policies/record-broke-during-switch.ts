import type { RecordDiagnosis } from '../../dkim/dns-answer';
import { notify, putSigningKeyAction } from '../actions';
import { operatorNotice } from '../notifications';
import { checkRecord } from '../observations';
import { act, stored, wait, writable, type Ctx, type Verdict } from '../policy';
import { SES_PENDING_POLL_MS } from '../protocol';
import { repairRecord } from '../record-repair';
import { activeKey, withKey, withSwitchTo, type KeyRecord } from '../state';

/**
 * Part of `completeSwitch`. SES is confirming a switch (PENDING: not signing) and the new key's record broke
 * meanwhile: SES would look for it for 72 hours, leaving mail unsigned. If the switch is to a new key and
 * the key SES signed with before is still active, uncompromised, stored and verified, switch back to it at
 * once (SES confirms a visible record at once) and send the new key back to DNS verification; otherwise (no
 * such key, or a rollback / repair switch the operator or engine chose) keep the switch and repair the
 * record now. Either way the record is repaired (`repairRecord`).
 */
export function recordBrokeDuringSwitch(ctx: Ctx, key: KeyRecord, diagnosis: RecordDiagnosis): Verdict {
  const { spec, state, now } = ctx;
  const sw = state.switching!;
  const mistake = diagnosis.code;
  const fallback = fallbackKey(ctx, key);
  // Going back to the previous key, the record is written at once, however recently it was written.
  const repair = repairRecord(ctx, key, diagnosis, {
    lastWrittenAt: fallback ? undefined : key.recordRepairedAt,
    writeRecordedAs: 'repaired',
  });
  const operators = notify(
    operatorNotice(
      spec,
      'signing-drift',
      {
        en: `The record of ${key.selector} of ${spec.domain} broke while SES was confirming the switch to it: ${diagnosis.message.en} ${fallback ? `SES goes back to ${fallback.selector} until the record is correct again.` : 'SES keeps waiting for it.'} ${writable(spec) ? 'byodkim is writing it again.' : 'The DNS team was asked to correct it.'}`,
        ja: `${spec.domain} のセレクター ${key.selector} のレコードが、SES の切り替え確認中に壊れました: ${diagnosis.message.ja} ${fallback ? `レコードが正しくなるまで SES を ${fallback.selector} に戻します。` : 'SES は確認を続けます。'}${writable(spec) ? 'byodkim が再登録します。' : 'DNS 管理チームに修正を依頼しました。'}`,
      },
      key.selector,
    ),
  );
  if (fallback) {
    const back = withKey(withSwitchTo(state, fallback, 'repair', now), key.keyId, {
      state: 'dns-requested',
      dnsVerifiedAt: undefined,
      ...(writable(spec) ? { route53ChangeId: undefined, route53InSyncAt: undefined } : {}),
      ...repair.patch,
    });
    return act(
      back,
      `the record of ${key.selector} broke while SES was confirming it (${mistake}): switching back to ${fallback.selector} and repairing the record`,
      [putSigningKeyAction(fallback), ...repair.actions, operators],
    );
  }
  if (repair.actions.length === 0) {
    return wait(
      `SES is confirming ${key.selector}, whose record is being repaired (${mistake})`,
      now + SES_PENDING_POLL_MS,
    );
  }
  return act(
    withKey(state, key.keyId, repair.patch),
    `the record of ${key.selector} broke while SES was confirming it (${mistake}): ${repair.by === 'write' ? 'writing it again' : 'asking the DNS team to correct it'} (${sw.reason})`,
    [...repair.actions, operators],
  );
}

/**
 * The key to go back to: only a new key (dns-verified) goes back to DNS verification, when the key SES
 * signed with before is still active, uncompromised, stored and verified. A rollback or repair target is
 * repaired in place.
 */
function fallbackKey(ctx: Ctx, key: KeyRecord): KeyRecord | undefined {
  const { spec, state, obs } = ctx;
  const previous = activeKey(state);
  return key.state === 'dns-verified' &&
    previous &&
    previous.keyId !== key.keyId &&
    previous.compromisedAt === undefined &&
    stored(ctx, previous) &&
    checkRecord(spec, previous, obs).verified
    ? previous
    : undefined;
}
