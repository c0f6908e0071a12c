import { DAY_MS } from '../../core/time';
import { notify } from '../actions';
import { operatorNotice } from '../notifications';
import { checkRecord } from '../observations';
import { act, awaitingCnames, wait, writable, type Policy } from '../policy';
import { recordBroken, repairRecord } from '../record-repair';
import { activeKey, withKey } from '../state';

/**
 * The active key's record is wrong on the authoritative servers (removed or changed by hand): receivers
 * fail its signatures from now on, and SES stops signing at its next check. Put it back at once — write it
 * (route53 / delegated) or tell the DNS team exactly what is wrong (external) — instead of waiting for SES.
 * The operators are told once a day.
 */
export const repairActiveRecord: Policy = {
  name: 'repairActiveRecord',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const key = activeKey(state);
    if (!key || state.switching || key.publicKey === undefined) return undefined;
    const check = checkRecord(spec, key, obs);
    if (!recordBroken(check)) return undefined;
    if (awaitingCnames(ctx)) return undefined;
    const mistake = check.diagnosis.code;
    const repair = repairRecord(ctx, key, check.diagnosis, {
      lastWrittenAt: key.recordRepairedAt,
      writeRecordedAs: 'repaired',
    });
    if (repair.actions.length === 0) {
      return repair.by === 'write'
        ? wait(`the record of ${key.selector} was written again`, repair.writtenUntil)
        : wait(`the DNS team was asked to put back ${key.selector} (${mistake})`);
    }
    const topic = `record:${key.keyId}`;
    const told = state.notified[topic] !== undefined && now < state.notified[topic] + DAY_MS;
    const operators = told
      ? []
      : [
          notify(
            operatorNotice(
              spec,
              'signing-drift',
              {
                en: `The DNS record of the active selector ${key.selector} of ${spec.domain} changed outside byodkim: ${check.diagnosis.message.en} ${writable(spec) ? 'byodkim is writing it again.' : 'The DNS team was asked to put it back.'}`,
                ja: `${spec.domain} の有効なセレクター ${key.selector} の DNS レコードが byodkim の外で変更されました: ${check.diagnosis.message.ja} ${writable(spec) ? 'byodkim が再登録します。' : 'DNS 管理チームに復旧を依頼しました。'}`,
              },
              key.selector,
            ),
            { kind: 'topic', topic },
          ),
        ];
    return act(
      withKey(state, key.keyId, repair.patch),
      repair.by === 'write'
        ? `the record of the active selector ${key.selector} is wrong (${mistake}): writing it again`
        : `the record of the active selector ${key.selector} is wrong (${mistake}): asking the DNS team to put it back`,
      [...repair.actions, ...operators],
    );
  },
};
