/**
 * Operator actions (Lambda payloads and CLI, DESIGN.md §3). Each one is a pure function of the recorded
 * state and the observations: it either changes the recorded state — the reconciler then carries the
 * change out with the same write-ahead protocol as any other step — or is refused with a reason that says
 * what to do instead, in English and Japanese. No command touches AWS directly.
 */
import { OPERATOR_ACTIONS, type OperatorAction } from '../core/contract';
import type { BilingualText } from '../core/errors';
import { checkRecord, type Observations } from './observations';
import { DAY_MS } from '../core/time';
import { chooseSlot } from './new-key';
import { stored } from './policy';
import type { DomainSpec } from '../core/spec';
import {
  activeKey,
  inFlightKey,
  keyBySelector,
  rollbackCandidate,
  withKey,
  withSwitchTo,
  type DomainState,
  type KeyRecord,
} from './state';

// The actions are the Lambda payload contract's (functions/core/contract.ts): one list for the engine,
// the handlers and the CLI.
export { OPERATOR_ACTIONS, type OperatorAction };

export interface OperatorCommand {
  readonly action: OperatorAction;
  /** `revoke`: the selector (or key id) of the compromised key. */
  readonly selector?: string;
  /** Who asked, for the audit trail. */
  readonly actor?: string;
}

export interface Refusal extends BilingualText {
  readonly code: string;
}

export type CommandResult =
  | { readonly done: true; readonly state: DomainState; readonly message: BilingualText }
  | { readonly done: false; readonly refusal: Refusal };

/** Commands that only read: they never change the recorded state and never act. */
export const READ_ONLY_ACTIONS: readonly OperatorAction[] = ['status'];

function done(state: DomainState, en: string, ja: string): CommandResult {
  return { done: true, state, message: { en, ja } };
}

function refuse(code: string, en: string, ja: string): CommandResult {
  return { done: false, refusal: { code, en, ja } };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describeInFlight(key: KeyRecord): BilingualText {
  return {
    en: `${key.selector} (${key.keyId}) is ${key.state}`,
    ja: `${key.selector}（${key.keyId}）は ${key.state} です`,
  };
}

/** A key SES may be signing with, or about to: compromising it means moving SES away first. */
function signingWith(state: DomainState, key: KeyRecord): boolean {
  return key.state === 'active' || state.switching?.keyId === key.keyId;
}

/** A key SES can be switched to at once: verified everywhere, stored, not compromised. */
function usable(
  spec: DomainSpec,
  obs: Observations,
  key: KeyRecord | undefined,
  not: KeyRecord,
): KeyRecord | undefined {
  if (!key || key.keyId === not.keyId || key.compromisedAt !== undefined) return undefined;
  if (!stored({ obs }, key)) return undefined;
  return checkRecord(spec, key, obs).verified ? key : undefined;
}

function rotate(spec: DomainSpec, state: DomainState, now: number): CommandResult {
  const inFlight = inFlightKey(state);
  if (inFlight) {
    const d = describeInFlight(inFlight);
    return refuse(
      'ROTATION_IN_FLIGHT',
      `a rotation is already in flight: ${d.en}. Wait for it (status), or send the DNS request again (dns-request).`,
      `ローテーションはすでに進行中です: ${d.ja}。完了を待つ（status）か、DNS 依頼を再送してください（dns-request）。`,
    );
  }
  if (state.switching) {
    return refuse(
      'SWITCH_IN_PROGRESS',
      `SES is being switched to ${state.switching.keyId}; rotate again once it is done.`,
      `SES を ${state.switching.keyId} に切り替え中です。完了後に再度実行してください。`,
    );
  }
  if (spec.dns.kind === 'delegated') {
    const { slot, occupant } = chooseSlot(state);
    if (occupant) {
      const until =
        occupant.retiredAt !== undefined
          ? iso(occupant.retiredAt + spec.rotation.graceDays * DAY_MS)
          : 'its revocation';
      return refuse(
        'SLOT_BUSY',
        `slot ${slot} still holds ${occupant.keyId} (${occupant.state}) until ${until}; rotating now would cut its grace period short. If that key is compromised, use revoke.`,
        `スロット ${slot} には ${occupant.keyId}（${occupant.state}）が ${until} まで残っています。今ローテーションすると猶予期間が短くなります。鍵が漏えいした場合は revoke を使用してください。`,
      );
    }
  }
  if (state.rotationRequestedAt !== undefined) {
    // Recorded all the same (a new item, same request): an acknowledged command is always in the history.
    return done(
      { ...state },
      'a rotation was already requested; it starts on this run',
      'ローテーションはすでに要求済みです。この実行で開始します',
    );
  }
  return done(
    { ...state, rotationRequestedAt: now },
    'rotation requested: a new key is generated now',
    'ローテーションを要求しました。新しい鍵を生成します',
  );
}

function approve(spec: DomainSpec, state: DomainState, now: number): CommandResult {
  if (spec.rotation.activation !== 'manual') {
    return refuse(
      'NOTHING_TO_APPROVE',
      'activation is auto for this domain: verified keys are switched without approval.',
      'このドメインの有効化は自動（auto）です。検証済みの鍵は承認なしで切り替わります。',
    );
  }
  const key = inFlightKey(state);
  if (!key) {
    return refuse(
      'NOTHING_TO_APPROVE',
      'no new key is waiting: nothing to approve.',
      '承認待ちの新しい鍵はありません。',
    );
  }
  if (key.state !== 'dns-verified') {
    const d = describeInFlight(key);
    return refuse(
      'NOT_VERIFIED_YET',
      `${d.en}: its record is not verified in DNS yet. Approve once status shows it dns-verified.`,
      `${d.ja}。DNS でのレコード検証がまだ完了していません。status で dns-verified になってから承認してください。`,
    );
  }
  if (key.approvedAt !== undefined) {
    return refuse(
      'ALREADY_APPROVED',
      `${key.selector} was already approved at ${iso(key.approvedAt)}.`,
      `${key.selector} は ${iso(key.approvedAt)} に承認済みです。`,
    );
  }
  return done(
    withKey(state, key.keyId, { approvedAt: now }),
    `approved: SES switches to ${key.selector}`,
    `承認しました。SES を ${key.selector} に切り替えます`,
  );
}

function disable(state: DomainState, now: number): CommandResult {
  if (state.signingDisabledAt !== undefined) {
    return refuse(
      'ALREADY_DISABLED',
      `signing was already disabled at ${iso(state.signingDisabledAt)}; use enable to sign again.`,
      `署名は ${iso(state.signingDisabledAt)} にすでに無効化されています。再開するには enable を使用してください。`,
    );
  }
  return done(
    { ...state, signingDisabledAt: now },
    'signing disabled (SigningEnabled=false): mail goes out unsigned until enable',
    '署名を無効化しました（SigningEnabled=false）。enable まで未署名で送信されます',
  );
}

function enable(state: DomainState): CommandResult {
  if (state.compromiseHoldAt !== undefined && state.signingDisabledAt !== undefined) {
    // Disabled during the hold: the hold alone keeps signing off now. Refusing would keep it off for ever,
    // since the replacement is not switched to while signing is disabled.
    return done(
      { ...state, signingDisabledAt: undefined },
      'the disable is lifted; signing stays off until the replacement of the compromised key is verified in DNS, then resumes by itself',
      '無効化を解除しました。漏えいした鍵の後継が DNS で検証されるまで署名は停止したままで、検証後に自動で再開します',
    );
  }
  if (state.compromiseHoldAt !== undefined) {
    return refuse(
      'COMPROMISE_HOLD',
      'signing stays off until the replacement of the compromised key is verified in DNS; it then resumes by itself.',
      '漏えいした鍵の後継が DNS で検証されるまで署名は停止したままです。検証後に自動で再開します。',
    );
  }
  if (state.signingDisabledAt === undefined) {
    return refuse('NOT_DISABLED', 'signing is not disabled: nothing to enable.', '署名は無効化されていません。');
  }
  return done({ ...state, signingDisabledAt: undefined }, 'signing enabled again', '署名を再開します');
}

function rollback(spec: DomainSpec, state: DomainState, obs: Observations, now: number): CommandResult {
  if (state.switching) {
    return refuse(
      'SWITCH_IN_PROGRESS',
      `SES is being switched to ${state.switching.keyId}; roll back once it is done.`,
      `SES を ${state.switching.keyId} に切り替え中です。完了後にロールバックしてください。`,
    );
  }
  const active = activeKey(state);
  if (!active) {
    return refuse(
      'NO_ACTIVE_KEY',
      'no byodkim key is active: there is nothing to roll back from.',
      '有効な byodkim の鍵がないため、ロールバックできません。',
    );
  }
  const previous = rollbackCandidate(state);
  if (!previous) {
    return refuse(
      'NO_PREVIOUS_KEY',
      `no previous key is still in its grace period (rollback is possible for ${spec.rotation.graceDays} days after a switch, until the old record is revoked).`,
      `猶予期間内の旧鍵がありません（ロールバックは切り替え後 ${spec.rotation.graceDays} 日間、旧レコードの失効前まで可能です）。`,
    );
  }
  const check = checkRecord(spec, previous, obs);
  if (!check.verified) {
    return refuse(
      'PREVIOUS_NOT_PUBLISHED',
      `the record of ${previous.selector} is not correct any more: ${check.diagnosis.message.en}`,
      `${previous.selector} のレコードが正しくありません: ${check.diagnosis.message.ja}`,
    );
  }
  if (!stored({ obs }, previous)) {
    return refuse(
      'PREVIOUS_KEY_GONE',
      `the private key of ${previous.selector} is no longer in the key store.`,
      `${previous.selector} の秘密鍵はキーストアにありません。`,
    );
  }
  return done(
    withSwitchTo(state, previous, 'rollback', now),
    `rolling back: SES switches back to ${previous.selector}; ${active.selector} retires`,
    `ロールバックします。SES を ${previous.selector} に戻し、${active.selector} は退役します`,
  );
}

function revoke(
  spec: DomainSpec,
  state: DomainState,
  obs: Observations,
  now: number,
  selector?: string,
): CommandResult {
  if (!selector) {
    return refuse(
      'SELECTOR_REQUIRED',
      'revoke needs the selector of the compromised key.',
      'revoke には漏えいした鍵のセレクターの指定が必要です。',
    );
  }
  const key = keyBySelector(state, selector);
  if (!key) {
    const foreign = state.adoption?.selector === selector;
    return refuse(
      'UNKNOWN_SELECTOR',
      foreign
        ? `${selector} is the key SES used before byodkim took over; byodkim does not hold it. Rotate, then ask the DNS team to revoke it.`
        : `no byodkim key has selector ${selector}.`,
      foreign
        ? `${selector} は byodkim 導入前の鍵で、byodkim は保持していません。ローテーション後に DNS 管理チームへ失効を依頼してください。`
        : `セレクター ${selector} の byodkim の鍵はありません。`,
    );
  }
  if (key.state === 'revoked' || key.state === 'destroyed') {
    return refuse(
      'ALREADY_REVOKED',
      `${key.selector} (${key.keyId}) is already ${key.state}.`,
      `${key.selector}（${key.keyId}）はすでに ${key.state} です。`,
    );
  }
  if (key.compromisedAt !== undefined) {
    return refuse(
      'ALREADY_COMPROMISED',
      `${key.selector} is already being revoked as compromised (since ${iso(key.compromisedAt)}).`,
      `${key.selector} はすでに漏えいとして失効処理中です（${iso(key.compromisedAt)} から）。`,
    );
  }
  let next = withKey(state, key.keyId, { compromisedAt: now });
  if (signingWith(state, key)) {
    const inFlight = inFlightKey(state);
    const alternative =
      usable(spec, obs, inFlight?.state === 'dns-verified' ? inFlight : undefined, key) ??
      usable(spec, obs, rollbackCandidate(state), key);
    if (alternative) {
      next = withSwitchTo(next, alternative, 'compromise', now);
      if (key.state !== 'active') next = withKey(next, key.keyId, { state: 'retiring', retiredAt: now });
      return done(
        next,
        `${key.selector} is compromised: switching SES to ${alternative.selector} now, then revoking ${key.selector} without a grace period`,
        `${key.selector} は漏えいとして扱います。SES を直ちに ${alternative.selector} に切り替え、${key.selector} を猶予期間なしで失効させます`,
      );
    }
    next = withKey({ ...next, switching: undefined, compromiseHoldAt: now }, key.keyId, {
      state: 'retiring',
      retiredAt: now,
    });
    return done(
      next,
      `${key.selector} is compromised and no verified key is ready: signing is turned off now (forged mail must not verify), the record is revoked, and a new key is published at once; signing resumes when it is verified`,
      `${key.selector} は漏えいとして扱います。検証済みの代替鍵がないため、直ちに署名を停止し（偽装メールが検証に通らないように）、レコードを失効させ、新しい鍵をすぐに公開します。検証完了後に署名を再開します`,
    );
  }
  next = withKey(next, key.keyId, { state: 'retiring', retiredAt: key.retiredAt ?? now });
  return done(
    next,
    `${key.selector} is compromised: revoking it now, without a grace period`,
    `${key.selector} を漏えいとして、猶予期間なしで直ちに失効させます`,
  );
}

function dnsRequest(spec: DomainSpec, state: DomainState): CommandResult {
  if (spec.dns.kind === 'route53') {
    return refuse(
      'NOT_A_DNS_TEAM_DOMAIN',
      'this domain is in route53 mode: byodkim writes its records itself.',
      'このドメインは route53 モードのため、byodkim がレコードを直接登録します。',
    );
  }
  if (spec.dns.kind === 'delegated') {
    const request = state.delegation?.request;
    if (state.delegation?.verifiedAt === undefined && request) {
      return done(
        { ...state, delegation: { ...state.delegation, request: { ...request, resendRequested: true } } },
        `the CNAME request ${request.id} is sent again`,
        `CNAME 設定依頼 ${request.id} を再送します`,
      );
    }
    return refuse(
      'NO_OPEN_REQUEST',
      'the selector CNAMEs are in place: delegated rotations need no DNS requests.',
      'セレクターの CNAME は設定済みです。委任モードのローテーションでは DNS 依頼は不要です。',
    );
  }
  const inFlight = inFlightKey(state);
  if (inFlight?.state === 'dns-requested' && inFlight.dnsRequest) {
    return done(
      withKey(state, inFlight.keyId, { dnsRequest: { ...inFlight.dnsRequest, resendRequested: true } }),
      `the change request ${inFlight.dnsRequest.id} is sent again`,
      `変更依頼 ${inFlight.dnsRequest.id} を再送します`,
    );
  }
  const revoking = state.keys.find(
    (k) => k.state === 'revoked' && k.revocation?.request && k.revocation.confirmedAt === undefined,
  );
  if (revoking?.revocation?.request) {
    const request = revoking.revocation.request;
    return done(
      withKey(state, revoking.keyId, {
        revocation: { ...revoking.revocation, request: { ...request, resendRequested: true } },
      }),
      `the revocation request ${request.id} is sent again`,
      `失効依頼 ${request.id} を再送します`,
    );
  }
  return refuse(
    'NO_OPEN_REQUEST',
    'nothing is waiting for the DNS team: there is no request to send again.',
    'DNS 管理チームへの未完了の依頼はありません。',
  );
}

/**
 * Applies one operator action to the recorded state. `reconcile`, `status` and `verify-dns` change
 * nothing here (the reconciler observes and, except for `status`, takes the next step).
 */
export function applyCommand(
  spec: DomainSpec,
  state: DomainState,
  obs: Observations,
  now: number,
  command: OperatorCommand,
): CommandResult {
  const result = ((): CommandResult => {
    switch (command.action) {
      case 'reconcile':
        return done(state, 'reconciling', '調整を実行します');
      case 'status':
        return done(state, 'status', '状態');
      case 'verify-dns':
        return done(state, 'checking DNS now', 'DNS を確認します');
      case 'rotate':
        return rotate(spec, state, now);
      case 'approve':
        return approve(spec, state, now);
      case 'disable':
        return disable(state, now);
      case 'enable':
        return enable(state);
      case 'rollback':
        return rollback(spec, state, obs, now);
      case 'revoke':
        return revoke(spec, state, obs, now, command.selector);
      case 'dns-request':
        return dnsRequest(spec, state);
    }
  })();
  if (!result.done || result.state === state) return result;
  // The operator asked for this now: a backoff from earlier failures does not delay it.
  const { failure: _failure, ...rest } = result.state;
  return { ...result, state: rest };
}
