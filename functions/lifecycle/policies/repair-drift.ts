import { notify, putSigningKeyAction, signingEnabledAction } from '../actions';
import { operatorNotice } from '../notifications';
import { checkRecord } from '../observations';
import { act, sesOn, signingAllowed, stored, wait, type Policy } from '../policy';
import { SES_PENDING_POLL_MS, signingRepairPollMs } from '../protocol';
import { activeKey, withSwitchTo } from '../state';

/** SES drifted from the recorded active key (changed by hand, or an interrupted enable): put it back. */
export const repairDrift: Policy = {
  name: 'repairDrift',
  run: (ctx) => {
    const { spec, state, obs, now } = ctx;
    const key = activeKey(state);
    if (!key || state.switching || !obs.ses) return undefined;
    if (sesOn(ctx, key.selector)) {
      if (!obs.ses.signingEnabled && signingAllowed(state)) {
        return act(state, `enabling SES signing with ${key.selector} again`, [signingEnabledAction(true)]);
      }
      // SES was given the key again (investigateSesFailure): follow it until it signs.
      if (obs.ses.signingEnabled && (obs.ses.status === 'PENDING' || obs.ses.status === 'NOT_STARTED'))
        return wait(`SES is confirming the record of ${key.selector} again`, now + SES_PENDING_POLL_MS);
      return undefined;
    }
    const check = checkRecord(spec, key, obs);
    const topic = `drift:${key.keyId}`;
    const operators = notify(
      operatorNotice(
        spec,
        'signing-drift',
        {
          en: `SES DKIM for ${spec.domain} is ${obs.ses.origin ?? 'not configured'} ${obs.ses.tokens.join(',')} instead of selector ${key.selector}. ${check.verified ? 'byodkim is putting it back.' : `byodkim cannot put it back: ${check.diagnosis.message.en}`}`,
          ja: `${spec.domain} の SES DKIM 設定が、セレクター ${key.selector} ではなく ${obs.ses.origin ?? '未設定'} ${obs.ses.tokens.join(',')} になっています。${check.verified ? 'byodkim が元に戻します。' : `byodkim では戻せません: ${check.diagnosis.message.ja}`}`,
        },
        key.selector,
      ),
      { kind: 'topic', topic },
    );
    const told = state.notified[topic] !== undefined;
    if (!check.verified || !stored(ctx, key)) {
      if (told)
        return wait(`SES drifted from ${key.selector} and its record is not verified`, now + signingRepairPollMs(spec));
      return act(state, 'SES drifted; the record is not verified', [operators]);
    }
    return act(withSwitchTo(state, key, 'repair', now), `SES drifted from ${key.selector}: switching it back`, [
      putSigningKeyAction(key),
      ...(told ? [] : [operators]),
    ]);
  },
};
