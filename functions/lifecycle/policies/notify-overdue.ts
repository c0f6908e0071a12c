import { DAY_MS } from '../../core/time';
import { notify } from '../actions';
import { operatorNotice } from '../notifications';
import { act, type Policy } from '../policy';
import { activeKey, inFlightKey } from '../state';

/** The active key is older than the rotation interval (a DNS team is late): tell the operators once. */
export const notifyOverdue: Policy = {
  name: 'notifyOverdue',
  run: ({ spec, state, now }) => {
    const key = activeKey(state);
    if (!key || key.activatedAt === undefined) return undefined;
    const limit = key.activatedAt + spec.rotation.intervalDays * DAY_MS;
    const topic = `overdue:${key.keyId}`;
    if (now < limit || state.notified[topic] !== undefined) return undefined;
    const pending = inFlightKey(state);
    return act(state, `${key.selector} is older than ${spec.rotation.intervalDays} days`, [
      notify(
        operatorNotice(
          spec,
          'key-overdue',
          {
            en: `Selector ${key.selector} has signed for more than ${spec.rotation.intervalDays} days. ${pending ? `Its replacement ${pending.selector} is ${pending.state}.` : 'No replacement is in flight.'} It keeps signing until the replacement is verified: mail stays signed.`,
            ja: `セレクター ${key.selector} の使用期間が ${spec.rotation.intervalDays} 日を超えました。${pending ? `後継の ${pending.selector} は ${pending.state} です。` : '後継の鍵はまだありません。'}後継の検証が完了するまで現在の鍵で署名を続けるため、メールの署名は途切れません。`,
          },
          key.selector,
        ),
        { kind: 'topic', topic },
      ),
    ]);
  },
};
