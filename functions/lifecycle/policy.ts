/**
 * The lifecycle protocol (DESIGN.md §3) as one pure function:
 *
 *   decide(spec, recorded state, observations, now) → { next state, actions, requeueAfter }
 *
 * It is a chain of small named policies, read top to bottom in priority order. Each policy either
 * *acts* (returns the next state and the side effects that make the world match it), *waits* (says until
 * when, and why), or does not apply. The first policy that acts wins; the runner records the next state
 * with compare-and-swap BEFORE executing the actions (write-ahead), then runs `decide` again until every
 * policy waits. Nothing here does I/O or reads a clock: `now` is given.
 *
 * Safety rules the chain enforces, whatever the inputs:
 * - SES is switched only to a key whose record is verified byte-exact on every authoritative server and
 *   every public resolver, for at least the propagation soak (cache TTL) — publish first, switch second.
 * - A key SES is signing with is never revoked; a key is destroyed only after its record is seen revoked
 *   or gone and (unless compromised) its grace period is over.
 * - At most one key is on its way to activation (generated / dns-requested / dns-verified).
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import type { RecordDiagnosis } from '../dkim/dns-answer';
import { REVOCATION_VALUE, formatRecordValue, splitIntoStrings } from '../dkim/record';
import { makeSelector, relativeRecordName } from '../core/names';
import {
  EXTERNAL_RECORD_TTL_SECONDS,
  ROUTE53_RECORD_TTL_SECONDS,
  changeRequest,
  correctionRequest,
  delegationCorrection,
  delegationRequest,
  operatorNotice,
  revocationRequest,
  type Notification,
  type RequestStage,
  type SlotProblem,
} from './notifications';
import {
  checkRecord,
  lookupName,
  recordLocation,
  revocationVisible,
  slotSelector,
  slotTarget,
  type Observations,
} from './observations';
import type { KeyBits, DomainSpec } from '../core/spec';
import {
  activeKey,
  inFlightKey,
  keyBySelector,
  rollbackCandidate,
  withKey,
  type DnsTeamRequest,
  type DomainState,
  type FailureRecord,
  type KeyRecord,
  type RotationReason,
} from './state';

/** How often to ask Route 53 whether a change is INSYNC. */
export const ROUTE53_POLL_MS = MINUTE_MS;
/** How often to look again while public resolvers catch up with the authoritative servers. */
export const PROPAGATION_POLL_MS = 5 * MINUTE_MS;
/** How often to look at SES while it checks the record after a switch. */
export const SES_PENDING_POLL_MS = 5 * MINUTE_MS;
/** A negative answer (NXDOMAIN) may be cached this long (Route 53's default SOA: 900 s). */
export const NEGATIVE_CACHE_SECONDS = 900;
/** Secrets Manager keeps a deleted key recoverable this long (the maximum it allows). */
export const KEY_RECOVERY_WINDOW_DAYS = 30;
/** Destroyed keys kept in the state item for audit and selector numbering. */
export const DESTROYED_KEYS_KEPT = 6;
/** After the deadline, escalate again every this many days. */
export const ESCALATION_INTERVAL_DAYS = 7;
/** A DNS team that repeats the same mistake is told again after this long. */
export const CORRECTION_REPEAT_DAYS = 3;
/** A manual activation waiting for approve is announced again this often. */
export const APPROVAL_REMINDER_MS = DAY_MS;
/** SES FAILED is investigated again after this long if it persists. */
export const SES_FAILURE_RECHECK_MS = 3 * DAY_MS;

// ---------------------------------------------------------------------------------------------------
// Side effects the runner executes, in order, after recording the next state.

export type Action =
  | { readonly type: 'generate-key'; readonly keyId: string; readonly bits: KeyBits }
  | {
      readonly type: 'write-txt';
      readonly purpose: 'publish' | 'revoke' | 'placeholder';
      readonly keyId?: string;
      readonly zone: string;
      readonly name: string;
      readonly strings: readonly string[];
      readonly ttlSeconds: number;
    }
  | { readonly type: 'ses-put-signing-key'; readonly keyId: string; readonly selector: string }
  | { readonly type: 'ses-set-signing-enabled'; readonly enabled: boolean }
  | { readonly type: 'destroy-key'; readonly keyId: string; readonly recoveryWindowDays: number }
  | { readonly type: 'notify'; readonly notification: Notification; readonly deliveryOf?: DeliveryRef };

/** Which recorded request a notification delivers (its `deliveredAt` is set once it was sent). */
export type DeliveryRef =
  /** An operator notice sent once (or once per reminder period) per topic, e.g. `approval:<keyId>`. */
  | { readonly kind: 'topic'; readonly topic: string }
  | { readonly kind: 'publication'; readonly keyId: string }
  | { readonly kind: 'revocation'; readonly keyId: string }
  | { readonly kind: 'delegation' };

/** What an executed action returned, recorded into the state by `applyOutcome`. */
export interface ActionOutcome {
  readonly publicKey?: string;
  readonly changeId?: string;
}

export interface Decision {
  /** The policy that acted, or `idle` when every policy waits. */
  readonly policy: string;
  readonly message: string;
  /** The state to record (CAS) before the actions run; the input state when nothing changes. */
  readonly next: DomainState;
  readonly actions: readonly Action[];
  /** When to run again if nothing else happens (undefined: the regular schedule is soon enough). */
  readonly requeueAfterMs?: number;
}

interface Ctx {
  readonly spec: DomainSpec;
  readonly state: DomainState;
  readonly obs: Observations;
  readonly now: number;
}

type Verdict =
  | { readonly act: { readonly next: DomainState; readonly actions?: readonly Action[]; readonly message: string } }
  | { readonly wait: { readonly until?: number; readonly message: string } }
  | undefined;

type Policy = (ctx: Ctx) => Verdict;

function act(next: DomainState, message: string, actions: readonly Action[] = []): Verdict {
  return { act: { next, actions, message } };
}

function wait(message: string, until?: number): Verdict {
  return { wait: { message, ...(until !== undefined ? { until } : {}) } };
}

// ---------------------------------------------------------------------------------------------------
// Small pure helpers (exported: tests and docs use them as the formulas they are).

/**
 * Backoff after consecutive failures: transient (throttling, 5xx, timeouts) `5 min × 2^(n−1)` up to 6 h;
 * anything else `1 h × 2^(n−1)` up to 32 h (cert-manager's formula).
 */
export function backoffDelayMs(failure: Pick<FailureRecord, 'count' | 'transient'>): number {
  const n = Math.max(1, failure.count);
  return failure.transient
    ? Math.min(5 * MINUTE_MS * 2 ** (n - 1), 6 * HOUR_MS)
    : Math.min(HOUR_MS * 2 ** (n - 1), 32 * HOUR_MS);
}

/** How long a record must have been verified everywhere before SES is switched to it (resolver caches). */
export function propagationSoakMs(spec: DomainSpec): number {
  const ttl = spec.dns.kind === 'external' ? EXTERNAL_RECORD_TTL_SECONDS : ROUTE53_RECORD_TTL_SECONDS;
  return Math.max(ttl, NEGATIVE_CACHE_SECONDS) * 1000;
}

/** When the active key's scheduled rotation starts: `activatedAt + interval − renewBefore`. */
export function rotationDueAt(spec: DomainSpec, key: KeyRecord): number | undefined {
  if (key.activatedAt === undefined) return undefined;
  return key.activatedAt + (spec.rotation.intervalDays - spec.rotation.renewBeforeDays) * DAY_MS;
}

function leadTimeDays(spec: DomainSpec): number {
  return spec.dns.kind === 'route53' ? 0 : spec.dns.leadTimeDays;
}

/** Reminder times for a request: halfway through the lead time and two days before the deadline. */
export function reminderTimes(request: DnsTeamRequest): number[] {
  const lead = request.deadline - request.sentAt;
  const times = [request.sentAt + lead / 2, request.deadline - 2 * DAY_MS];
  return [...new Set(times.filter((t) => t > request.sentAt && t < request.deadline))].sort((a, b) => a - b);
}

/** Which follow-up a DNS-team request needs now: a reminder, an escalation, or nothing (and when next). */
export function followUpDue(
  request: DnsTeamRequest,
  now: number,
): { stage?: Extract<RequestStage, 'reminder' | 'escalation'>; nextAt: number } {
  const reminders = reminderTimes(request);
  if (now < request.deadline) {
    const due = reminders.filter((t) => t <= now).length;
    if (due > request.reminders) return { stage: 'reminder', nextAt: now };
    return { nextAt: reminders.find((t) => t > now) ?? request.deadline };
  }
  const escalationsDue = Math.floor((now - request.deadline) / (ESCALATION_INTERVAL_DAYS * DAY_MS)) + 1;
  if (escalationsDue > request.escalations) return { stage: 'escalation', nextAt: now };
  return { nextAt: request.deadline + escalationsDue * ESCALATION_INTERVAL_DAYS * DAY_MS };
}

function newRequest(id: string, now: number, leadDays: number): DnsTeamRequest {
  return { id, sentAt: now, deadline: now + leadDays * DAY_MS, reminders: 0, escalations: 0 };
}

function stored(ctx: Ctx, key: KeyRecord): boolean {
  return ctx.obs.keys.some((k) => k.keyId === key.keyId && k.deletionScheduledAt === undefined);
}

/** SES is configured with this selector (BYODKIM), whether or not signing is enabled. */
function sesOn(ctx: Ctx, selector: string): boolean {
  const ses = ctx.obs.ses;
  return !!ses && ses.origin === 'EXTERNAL' && ses.tokens.length === 1 && ses.tokens[0] === selector;
}

/** SES signs with this selector right now (or will as soon as it confirms the record). */
function sesSignsWith(ctx: Ctx, selector: string): boolean {
  return sesOn(ctx, selector) && ctx.obs.ses!.signingEnabled;
}

function signingAllowed(state: DomainState): boolean {
  return state.signingDisabledAt === undefined && state.compromiseHoldAt === undefined;
}

function writable(spec: DomainSpec): boolean {
  return spec.dns.kind === 'route53' || spec.dns.kind === 'delegated';
}

function publishAction(spec: DomainSpec, key: KeyRecord): Action {
  const { zone, name } = recordLocation(spec, key);
  return {
    type: 'write-txt',
    purpose: 'publish',
    keyId: key.keyId,
    zone,
    name,
    strings: splitIntoStrings(formatRecordValue(key.publicKey ?? '')),
    ttlSeconds: ROUTE53_RECORD_TTL_SECONDS,
  };
}

function revokeAction(spec: DomainSpec, key: KeyRecord): Action {
  const { zone, name } = recordLocation(spec, key);
  return {
    type: 'write-txt',
    purpose: 'revoke',
    keyId: key.keyId,
    zone,
    name,
    strings: [REVOCATION_VALUE],
    ttlSeconds: ROUTE53_RECORD_TTL_SECONDS,
  };
}

function notify(notification: Notification, deliveryOf?: DeliveryRef): Action {
  return { type: 'notify', notification, ...(deliveryOf ? { deliveryOf } : {}) };
}

/** The next unused `<prefix>-<yyyymmdd>-<n>` for today. */
export function nextKeyId(ctx: Pick<Ctx, 'spec' | 'state' | 'obs' | 'now'>): string {
  const probe = makeSelector(ctx.spec.selectorPrefix, new Date(ctx.now), 1);
  const stem = probe.slice(0, -1);
  const known = [
    ...ctx.state.keys.map((k) => k.keyId),
    ...ctx.obs.keys.map((k) => k.keyId),
    ...(ctx.state.adoption?.selector ? [ctx.state.adoption.selector] : []),
  ];
  const used = known.filter((id) => id.startsWith(stem)).map((id) => Number(id.slice(stem.length)));
  const sequence = Math.max(0, ...used.filter((n) => Number.isInteger(n))) + 1;
  return makeSelector(ctx.spec.selectorPrefix, new Date(ctx.now), sequence);
}

/** Delegated mode: a slot is free when no key in it still needs its record. */
function slotFree(state: DomainState, slot: 1 | 2): KeyRecord | undefined {
  return state.keys.find(
    (k) =>
      k.slot === slot &&
      k.state !== 'destroyed' &&
      !(k.state === 'revoked' && k.revocation?.confirmedAt !== undefined) &&
      !(k.state === 'revoked' && k.dnsRequestedAt === undefined),
  );
}

/** The slot a new key goes into (delegated mode), and what occupies it if it is not free. */
export function chooseSlot(state: DomainState): { slot: 1 | 2; occupant?: KeyRecord } {
  const current = activeKey(state)?.slot;
  const slot: 1 | 2 = current === 1 ? 2 : current === 2 ? 1 : slotFree(state, 1) ? 2 : 1;
  const occupant = slotFree(state, slot);
  return occupant ? { slot, occupant } : { slot };
}

// ---------------------------------------------------------------------------------------------------
// The policies, in priority order.

/** First run: record what SES is doing before byodkim takes over, so it can be replaced without a gap. */
const recordAdoption: Policy = ({ state, obs, now }) => {
  if (state.adoption) return undefined;
  if (!obs.ses) return wait('the SES identity does not exist yet (Terraform creates it)', now + HOUR_MS);
  const signing = obs.ses.origin !== undefined && obs.ses.signingEnabled;
  const origin = !obs.ses.origin ? 'NONE' : obs.ses.origin;
  return act(
    {
      ...state,
      adoption: {
        observedAt: now,
        origin,
        signingEnabled: signing,
        ...(origin === 'EXTERNAL' && obs.ses.tokens[0] ? { selector: obs.ses.tokens[0] } : {}),
      },
    },
    origin === 'NONE'
      ? 'took over an identity that does not sign yet'
      : `took over an identity signing with ${origin === 'AWS_SES' ? 'Easy DKIM' : `BYODKIM selector ${obs.ses.tokens[0]}`}; it keeps signing until a byodkim key is verified in DNS`,
  );
};

/** After failures, wait `backoffDelayMs` before acting again. */
const honourBackoff: Policy = ({ state, now }) => {
  if (!state.failure) return undefined;
  const until = state.failure.at + backoffDelayMs(state.failure);
  if (now >= until) return undefined;
  return wait(`backing off after ${state.failure.count} failure(s) (${state.failure.code})`, until);
};

/**
 * A compromised key must never keep signing. `revoke` records a switch to a verified alternative; if that
 * switch is abandoned (the alternative's record or stored key disappeared before SES was switched) or SES
 * signs with a compromised key for any other reason, fall back to the compromise hold: the key retires
 * (revoked without grace by `retireKeys`), signing is turned off (`enforceSigningOff`), a fresh key is
 * published (`startRotation`) and signing resumes when it is verified (`activateVerifiedKey`).
 */
const holdCompromisedKey: Policy = (ctx) => {
  const { state, now } = ctx;
  if (state.switching || state.compromiseHoldAt !== undefined) return undefined;
  const key = state.keys.find(
    (k) =>
      k.compromisedAt !== undefined &&
      k.state !== 'revoked' &&
      k.state !== 'destroyed' &&
      (k.state === 'active' || sesSignsWith(ctx, k.selector)),
  );
  if (!key) return undefined;
  return act(
    withKey({ ...state, compromiseHoldAt: now }, key.keyId, {
      state: 'retiring',
      retiredAt: key.state === 'retiring' ? (key.retiredAt ?? now) : now,
    }),
    `${key.selector} is compromised and no switch away from it is under way: holding signing off until a fresh key is verified`,
  );
};

/** Operator `disable`, or a compromise with nothing to switch to: signing must be off. */
const enforceSigningOff: Policy = (ctx) => {
  const { state, obs } = ctx;
  if (signingAllowed(state)) return undefined;
  if (!obs.ses || !obs.ses.signingEnabled) return undefined;
  return act(
    state,
    state.compromiseHoldAt !== undefined
      ? 'turning SES signing off: the key was compromised and no verified key is ready yet'
      : 'turning SES signing off as the operator asked (disable)',
    [{ type: 'ses-set-signing-enabled', enabled: false }],
  );
};

/** SES reports FAILED for the key it should sign with: investigate the record, repair, regenerate, notify. */
const investigateSesFailure: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  const ses = obs.ses;
  if (!ses || (ses.status !== 'FAILED' && ses.status !== 'TEMPORARY_FAILURE')) return undefined;
  const key = state.keys.find(
    (k) => (k.state === 'active' || state.switching?.keyId === k.keyId) && sesOn(ctx, k.selector),
  );
  if (!key) return undefined;
  if (key.sesFailureHandledAt !== undefined && now < key.sesFailureHandledAt + SES_FAILURE_RECHECK_MS) {
    return wait(`SES reports ${ses.status} for ${key.selector}; investigated, waiting for the repair to show`);
  }
  const marked = withKey(state, key.keyId, { sesFailureHandledAt: now });
  if (!stored(ctx, key)) {
    const operators = notify(
      operatorNotice(
        spec,
        'ses-failed',
        {
          en: `SES reports ${ses.status} for selector ${key.selector} and its private key is no longer in the key store. A new key is being generated; the identity signs again once it is verified.`,
          ja: `SES がセレクター ${key.selector} について ${ses.status} を報告しており、秘密鍵がキーストアにありません。新しい鍵を生成しています。検証完了後に署名が再開されます。`,
        },
        key.selector,
      ),
    );
    if (inFlightKey(state))
      return act(marked, `SES ${ses.status} and key lost: a rotation is already in flight`, [operators]);
    // The previous key, still published in its grace period, signs again at once (a new key takes
    // minutes in route53 mode, but the DNS team's lead time in external mode).
    const previous = rollbackCandidate(marked);
    if (previous && stored(ctx, previous) && checkRecord(spec, previous, obs).verified) {
      return act(
        { ...marked, switching: { keyId: previous.keyId, startedAt: now, reason: 'repair' } },
        `SES ${ses.status} and key ${key.keyId} lost: switching back to ${previous.selector} (still in its grace period)`,
        [{ type: 'ses-put-signing-key', keyId: previous.keyId, selector: previous.selector }, operators],
      );
    }
    // Delegated mode: the other slot may still hold a key in its grace period; never overwrite it.
    if (spec.dns.kind === 'delegated' && chooseSlot(marked).occupant) {
      return act(
        { ...marked, rotationRequestedAt: marked.rotationRequestedAt ?? now },
        `SES ${ses.status} and key ${key.keyId} lost: a new key follows as soon as its slot is free`,
        [operators],
      );
    }
    return act(startKey(ctx, marked, 'regenerate'), `SES ${ses.status} and key ${key.keyId} lost: regenerating`, [
      operators,
    ]);
  }
  const check = checkRecord(spec, key, obs);
  const text = (what: { en: string; ja: string }) =>
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
      { type: 'ses-put-signing-key', keyId: key.keyId, selector: key.selector },
      notify(
        text({
          en: 'The key was given to SES again so that it checks once more.',
          ja: 'SES が再確認するよう鍵を再設定しました。',
        }),
      ),
    ]);
  }
  if (writable(spec)) {
    return act(
      withKey(marked, key.keyId, { recordRepairedAt: now }),
      `SES ${ses.status}: the record is wrong (${check.diagnosis.code}); writing it again`,
      [
        publishAction(spec, key),
        notify(text({ en: 'The record was written again.', ja: 'レコードを再登録しました。' })),
      ],
    );
  }
  const request = key.dnsRequest ?? newRequest(key.keyId, now, leadTimeDays(spec));
  return act(
    withKey(marked, key.keyId, {
      dnsRequest: { ...request, reportedMistake: check.diagnosis.code, reportedMistakeAt: now },
    }),
    `SES ${ses.status}: the record is wrong (${check.diagnosis.code}); asking the DNS team to correct it`,
    [
      notify(correctionRequest(spec, key, request, check.diagnosis, now)),
      notify(text({ en: 'The DNS team was asked to correct it.', ja: 'DNS 管理チームに修正を依頼しました。' })),
    ],
  );
};

/** The key's record is wrong on the authoritative servers (seen, not merely unanswered): its diagnosis. */
function recordBroken(spec: DomainSpec, key: KeyRecord, obs: Observations): RecordDiagnosis | undefined {
  const check = checkRecord(spec, key, obs);
  if (check.authoritativeOk || check.unobserved || check.diagnosis.code === 'lookup-failed') return undefined;
  return check.diagnosis;
}

/**
 * SES is confirming a switch (PENDING: not signing) and the new key's record broke meanwhile: SES would
 * look for it for 72 hours, leaving mail unsigned. If the switch is to a new key and the key SES signed
 * with before is still active, uncompromised, stored and verified, switch back to it at once (SES confirms
 * a visible record at once) and send the new key back to DNS verification; otherwise (no such key, or a
 * rollback / repair switch the operator or engine chose) keep the switch and repair the record now. Either
 * way the record is written again (route53 / delegated) or the DNS team gets a correction (external).
 */
function recordBrokeDuringSwitch(ctx: Ctx, key: KeyRecord, diagnosis: RecordDiagnosis): Verdict {
  const { spec, state, obs, now } = ctx;
  const sw = state.switching!;
  const mistake = diagnosis.code;
  const previous = activeKey(state);
  // Only a new key goes back to DNS verification; a rollback or repair target is repaired in place.
  const fallback =
    key.state === 'dns-verified' &&
    previous &&
    previous.keyId !== key.keyId &&
    previous.compromisedAt === undefined &&
    stored(ctx, previous) &&
    checkRecord(spec, previous, obs).verified
      ? previous
      : undefined;
  const request = key.dnsRequest ?? newRequest(key.keyId, now, leadTimeDays(spec));
  const reported =
    request.reportedMistake === mistake && now < (request.reportedMistakeAt ?? 0) + CORRECTION_REPEAT_DAYS * DAY_MS;
  const rewritten = key.recordRepairedAt !== undefined && now < key.recordRepairedAt + PROPAGATION_POLL_MS;
  const repair: Action[] = writable(spec)
    ? rewritten && !fallback
      ? []
      : [publishAction(spec, key)]
    : reported
      ? []
      : [notify(correctionRequest(spec, key, request, diagnosis, now))];
  const repaired = (s: DomainState, patch: Partial<KeyRecord> = {}) =>
    withKey(s, key.keyId, {
      ...patch,
      ...(writable(spec)
        ? repair.length > 0
          ? { recordRepairedAt: now }
          : {}
        : {
            dnsRequest: {
              ...request,
              reportedMistake: mistake,
              reportedMistakeAt: reported ? request.reportedMistakeAt : now,
            },
          }),
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
    const back = repaired(
      { ...state, switching: { keyId: fallback.keyId, startedAt: now, reason: 'repair' } },
      {
        state: 'dns-requested',
        dnsVerifiedAt: undefined,
        ...(writable(spec) ? { route53ChangeId: undefined, route53InSyncAt: undefined } : {}),
      },
    );
    return act(
      back,
      `the record of ${key.selector} broke while SES was confirming it (${mistake}): switching back to ${fallback.selector} and repairing the record`,
      [{ type: 'ses-put-signing-key', keyId: fallback.keyId, selector: fallback.selector }, ...repair, operators],
    );
  }
  if (repair.length === 0) {
    return wait(
      `SES is confirming ${key.selector}, whose record is being repaired (${mistake})`,
      now + SES_PENDING_POLL_MS,
    );
  }
  return act(
    repaired(state),
    `the record of ${key.selector} broke while SES was confirming it (${mistake}): ${writable(spec) ? 'writing it again' : 'asking the DNS team to correct it'} (${sw.reason})`,
    [...repair, operators],
  );
}

/** A switch recorded ahead: give SES the key, enable signing, and once SES confirms, make the key active. */
const completeSwitch: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  const sw = state.switching;
  if (!sw) return undefined;
  const key = state.keys.find((k) => k.keyId === sw.keyId);
  const clear = { ...state, switching: undefined };
  if (!key || key.state === 'revoked' || key.state === 'destroyed') {
    return act(clear, `abandoned the switch to ${sw.keyId}: the key is no longer usable`);
  }
  if (!obs.ses) return wait('the SES identity is missing', now + HOUR_MS);
  if (!sesOn(ctx, key.selector)) {
    const check = checkRecord(spec, key, obs);
    if (!check.verified) {
      return act(
        clear,
        `abandoned the switch to ${key.selector}: its record is not verified (${check.diagnosis.code})`,
      );
    }
    if (!stored(ctx, key))
      return act(clear, `abandoned the switch to ${key.selector}: its key is not in the key store`);
    return act(state, `giving SES the key for ${key.selector} (${sw.reason})`, [
      { type: 'ses-put-signing-key', keyId: key.keyId, selector: key.selector },
    ]);
  }
  if (!obs.ses.signingEnabled && signingAllowed(state)) {
    return act(state, `enabling SES signing with ${key.selector}`, [
      { type: 'ses-set-signing-enabled', enabled: true },
    ]);
  }
  if (obs.ses.status === 'PENDING' || obs.ses.status === 'NOT_STARTED') {
    const broken = recordBroken(spec, key, obs);
    if (broken) return recordBrokeDuringSwitch(ctx, key, broken);
    return wait(`SES is confirming the record of ${key.selector}`, now + SES_PENDING_POLL_MS);
  }
  if (obs.ses.status !== 'SUCCESS') return undefined; // investigateSesFailure handles FAILED
  const previous = activeKey(state);
  let next: DomainState = { ...clear, compromiseHoldAt: undefined };
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
  const graceEnd = now + spec.rotation.graceDays * DAY_MS;
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
};

/** SES drifted from the recorded active key (changed by hand, or an interrupted enable): put it back. */
const repairDrift: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  const key = activeKey(state);
  if (!key || state.switching || !obs.ses) return undefined;
  if (sesOn(ctx, key.selector)) {
    if (!obs.ses.signingEnabled && signingAllowed(state)) {
      return act(state, `enabling SES signing with ${key.selector} again`, [
        { type: 'ses-set-signing-enabled', enabled: true },
      ]);
    }
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
    if (told) return wait(`SES drifted from ${key.selector} and its record is not verified`);
    return act(state, 'SES drifted; the record is not verified', [operators]);
  }
  return act(
    { ...state, switching: { keyId: key.keyId, startedAt: now, reason: 'repair' } },
    `SES drifted from ${key.selector}: switching it back`,
    [{ type: 'ses-put-signing-key', keyId: key.keyId, selector: key.selector }, ...(told ? [] : [operators])],
  );
};

/**
 * The active key's record is wrong on the authoritative servers (removed or changed by hand): receivers
 * fail its signatures from now on, and SES stops signing at its next check. Put it back at once — write it
 * (route53 / delegated) or tell the DNS team exactly what is wrong (external) — instead of waiting for SES.
 */
const repairActiveRecord: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  const key = activeKey(state);
  if (!key || state.switching || key.publicKey === undefined) return undefined;
  const check = checkRecord(spec, key, obs);
  if (check.authoritativeOk || check.unobserved || check.diagnosis.code === 'lookup-failed') return undefined;
  if (spec.dns.kind === 'delegated' && state.delegation?.verifiedAt === undefined) return undefined;
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
  if (writable(spec)) {
    if (key.recordRepairedAt !== undefined && now < key.recordRepairedAt + PROPAGATION_POLL_MS) {
      return wait(`the record of ${key.selector} was written again`, key.recordRepairedAt + PROPAGATION_POLL_MS);
    }
    return act(
      withKey(state, key.keyId, { recordRepairedAt: now }),
      `the record of the active selector ${key.selector} is wrong (${check.diagnosis.code}): writing it again`,
      [publishAction(spec, key), ...operators],
    );
  }
  const request = key.dnsRequest ?? newRequest(key.keyId, now, leadTimeDays(spec));
  const mistake = check.diagnosis.code;
  if (request.reportedMistake === mistake && now < (request.reportedMistakeAt ?? 0) + CORRECTION_REPEAT_DAYS * DAY_MS) {
    return wait(`the DNS team was asked to put back ${key.selector} (${mistake})`);
  }
  return act(
    withKey(state, key.keyId, { dnsRequest: { ...request, reportedMistake: mistake, reportedMistakeAt: now } }),
    `the record of the active selector ${key.selector} is wrong (${mistake}): asking the DNS team to put it back`,
    [notify(correctionRequest(spec, key, request, check.diagnosis, now)), ...operators],
  );
};

/** The verified key: after the soak (and approval, when manual), switch SES to it. */
const activateVerifiedKey: Policy = (ctx) => {
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
  const soakEnd = (key.dnsVerifiedAt ?? now) + propagationSoakMs(spec);
  if (now < soakEnd && !urgent) {
    return wait(`${key.selector} is verified; letting resolver caches expire before switching`, soakEnd);
  }
  if (!stored(ctx, key)) return wait(`${key.selector} is verified but its key is not in the key store`);
  return act(
    {
      ...state,
      switching: { keyId: key.keyId, startedAt: now, reason: urgent ? 'compromise' : 'activate' },
      compromiseHoldAt: undefined,
    },
    `switching SES to ${key.selector}`,
    [{ type: 'ses-put-signing-key', keyId: key.keyId, selector: key.selector }],
  );
};

/** Sends, resends, reminds or escalates a DNS-team request; the shared follow-up logic. */
function followUp(
  ctx: Ctx,
  request: DnsTeamRequest,
  build: (stage: RequestStage) => Notification,
  update: (request: DnsTeamRequest) => DomainState,
  deliveryOf: DeliveryRef,
  what: string,
): Verdict {
  const { now } = ctx;
  if (request.deliveredAt === undefined || request.resendRequested) {
    const stage: RequestStage = request.deliveredAt === undefined ? 'initial' : 'resend';
    return act(
      update({ ...request, resendRequested: false }),
      `sending the ${what} (${request.id}) ${stage === 'resend' ? 'again' : ''}`.trim(),
      [notify(build(stage), deliveryOf)],
    );
  }
  const due = followUpDue(request, now);
  if (due.stage === 'reminder') {
    return act(
      update({ ...request, reminders: request.reminders + 1, lastReminderAt: now }),
      `reminding the DNS team of ${request.id}`,
      [notify(build('reminder'))],
    );
  }
  if (due.stage === 'escalation') {
    return act(
      update({ ...request, escalations: request.escalations + 1, lastEscalationAt: now }),
      `escalating ${request.id}: past its deadline`,
      [notify(build('escalation'))],
    );
  }
  return wait(`waiting for the DNS team (${request.id}, due ${new Date(request.deadline).toISOString()})`, due.nextAt);
}

/** The in-flight key's record: wait for Route 53 / the DNS team, verify it everywhere, repair or report. */
const verifyRecord: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  const key = inFlightKey(state);
  if (!key || key.state !== 'dns-requested') return undefined;
  if (writable(spec)) {
    if (key.route53ChangeId === undefined) {
      return act(state, `writing the record of ${key.selector} (no change recorded)`, [publishAction(spec, key)]);
    }
    if (key.route53InSyncAt === undefined) {
      if (obs.changes[key.route53ChangeId] !== 'INSYNC') {
        return wait(`waiting for Route 53 change ${key.route53ChangeId} to be INSYNC`, now + ROUTE53_POLL_MS);
      }
      return act(withKey(state, key.keyId, { route53InSyncAt: now }), `Route 53 change for ${key.selector} is INSYNC`);
    }
  }
  const check = checkRecord(spec, key, obs);
  if (check.verified) {
    return act(
      withKey(state, key.keyId, { state: 'dns-verified', dnsVerifiedAt: now }),
      `the record of ${key.selector} is correct on every server`,
    );
  }
  if (writable(spec)) {
    if (spec.dns.kind === 'delegated' && state.delegation?.verifiedAt === undefined) {
      return wait(`the record of ${key.selector} waits for the DNS team's CNAMEs`);
    }
    if (
      !check.authoritativeOk &&
      !check.unobserved &&
      check.diagnosis.code !== 'lookup-failed' &&
      now >= (key.route53InSyncAt ?? now) + PROPAGATION_POLL_MS
    ) {
      return act(
        withKey(state, key.keyId, { route53ChangeId: undefined, route53InSyncAt: undefined }),
        `the record of ${key.selector} is wrong on the authoritative servers (${check.diagnosis.code}): writing it again`,
        [publishAction(spec, key)],
      );
    }
    return wait(
      `public resolvers do not show ${key.selector} yet (${check.diagnosis.code})`,
      now + PROPAGATION_POLL_MS,
    );
  }
  const request = key.dnsRequest ?? newRequest(key.keyId, now, leadTimeDays(spec));
  const update = (r: DnsTeamRequest) => withKey(state, key.keyId, { dnsRequest: r });
  const mistake = check.diagnosis.code;
  const published = !check.unobserved && mistake !== 'no-record' && mistake !== 'lookup-failed' && mistake !== 'match';
  if (
    published &&
    request.deliveredAt !== undefined &&
    (request.reportedMistake !== mistake || now >= (request.reportedMistakeAt ?? 0) + CORRECTION_REPEAT_DAYS * DAY_MS)
  ) {
    return act(
      update({ ...request, reportedMistake: mistake, reportedMistakeAt: now }),
      `the DNS team published ${key.selector} wrongly (${mistake}): telling them exactly what is wrong`,
      [notify(correctionRequest(spec, key, request, check.diagnosis, now))],
    );
  }
  if (!check.unobserved && check.authoritativeOk) {
    return wait(`public resolvers do not show ${key.selector} yet`, now + PROPAGATION_POLL_MS);
  }
  return followUp(
    ctx,
    request,
    (stage) => changeRequest(spec, key, request, stage, now),
    update,
    { kind: 'publication', keyId: key.keyId },
    'DNS change request',
  );
};

/** A stored key: write its record (route53 / delegated) or send the change request (external). */
const publishRecord: Policy = (ctx) => {
  const { spec, state, now } = ctx;
  const key = inFlightKey(state);
  if (!key || key.state !== 'generated' || key.publicKey === undefined) return undefined;
  if (writable(spec)) {
    return act(
      withKey(state, key.keyId, { state: 'dns-requested', dnsRequestedAt: now, route53ChangeId: undefined }),
      `writing the record of ${key.selector}`,
      [publishAction(spec, key)],
    );
  }
  const request = newRequest(key.keyId, now, leadTimeDays(spec));
  const next = withKey(state, key.keyId, { state: 'dns-requested', dnsRequestedAt: now, dnsRequest: request });
  return act(
    next,
    `asking the DNS team to publish ${key.selector} (${request.id}, due ${new Date(request.deadline).toISOString()})`,
    [
      notify(changeRequest(spec, { ...key, dnsRequest: request }, request, 'initial', now), {
        kind: 'publication',
        keyId: key.keyId,
      }),
    ],
  );
};

/** A chosen selector: generate and store its key pair (or pick up the one a crashed run stored). */
const generateKey: Policy = (ctx) => {
  const { spec, state, obs } = ctx;
  const key = inFlightKey(state);
  if (!key || key.state !== 'generated' || key.publicKey !== undefined) return undefined;
  const found = obs.keys.find((k) => k.keyId === key.keyId);
  if (found) {
    return act(withKey(state, key.keyId, { publicKey: found.publicKey }), `the key of ${key.selector} is stored`);
  }
  return act(state, `generating the key for ${key.selector}`, [
    { type: 'generate-key', keyId: key.keyId, bits: spec.keyBits },
  ]);
};

/** Delegated mode: the one-time CNAME request for the two slots, followed up until both resolve. */
const requestDelegation: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  if (spec.dns.kind !== 'delegated' || state.delegation?.verifiedAt !== undefined) return undefined;
  const delegation = state.delegation ?? {};
  if (delegation.placeholdersWrittenAt === undefined) {
    const free = ([1, 2] as const).filter(
      (slot) => !state.keys.some((k) => k.slot === slot && k.dnsRequestedAt !== undefined),
    );
    return act(
      { ...state, delegation: { ...delegation, placeholdersWrittenAt: now } },
      'writing empty (revoked) records into both selector slots',
      free.map((slot) => ({
        type: 'write-txt' as const,
        purpose: 'placeholder' as const,
        zone: spec.dns.kind === 'delegated' ? spec.dns.zoneName : '',
        name: slotTarget(spec, slot),
        strings: [REVOCATION_VALUE],
        ttlSeconds: ROUTE53_RECORD_TTL_SECONDS,
      })),
    );
  }
  const problems: SlotProblem[] = [];
  let complete = true;
  const slots = ([1, 2] as const).map((slot) => {
    const name = lookupName(spec, slotSelector(spec, slot));
    const observation = obs.records[name];
    const doubled = (observation?.doubled ?? []).find(
      (a) => a.outcome === 'answer' && (a.cnameChain.length > 0 || a.records.length > 0),
    );
    return { slot, name, answers: observation?.answers ?? [], doubled };
  });
  // The team has set something up (so a slot with nothing at its name is a mistake, not "not yet").
  const teamActed = slots.some((s) => s.doubled || s.answers.some((a) => a.cnameChain.length > 0));
  for (const { slot, name, answers, doubled } of slots) {
    const expectedTarget = slotTarget(spec, slot);
    if (answers.length === 0 || !answers.every((a) => a.cnameChain[0] === expectedTarget)) complete = false;
    const wrong = answers.find((a) => a.cnameChain.length > 0 && a.cnameChain[0] !== expectedTarget);
    const absent =
      answers.length > 0 &&
      answers.every((a) => (a.outcome === 'nxdomain' || a.outcome === 'nodata') && !a.cnameChain.length);
    if (wrong) {
      const found = `CNAME ${wrong.cnameChain[0]}.`;
      problems.push({ name, expectedTarget, found: { en: found, ja: found } });
    } else if (answers.some((a) => a.outcome === 'answer' && a.cnameChain.length === 0)) {
      problems.push({
        name,
        expectedTarget,
        found: { en: 'a TXT record instead of a CNAME', ja: 'CNAME ではなく TXT レコード' },
      });
    } else if (absent && doubled) {
      const at = `${name}.${spec.domain}`;
      const selector = slotSelector(spec, slot);
      problems.push({
        name,
        expectedTarget,
        code: 'domain-appended-twice',
        found: {
          en: `nothing at ${name}, but a CNAME at ${at}: the full name was entered in a zone that appends the domain again. Enter the name as "${relativeRecordName(selector)}" (relative) or "${name}." with a trailing dot, and remove the record at ${at}.`,
          ja: `${name} には何もなく、${at} に CNAME があります。ドメイン名を自動で付加するゾーンに完全な名前を入力したため、ドメインが二重になっています。名前は「${relativeRecordName(selector)}」（相対名）または末尾にドットを付けた「${name}.」で登録し、${at} のレコードは削除してください。`,
        },
      });
    } else if (absent && teamActed) {
      problems.push({
        name,
        expectedTarget,
        code: 'no-record',
        found: {
          en: `no CNAME (the name does not exist): this slot's CNAME is missing; please add it as well.`,
          ja: `CNAME がありません（名前が存在しません）。このスロットの CNAME が未登録です。追加してください。`,
        },
      });
    }
  }
  if (complete)
    return act(
      { ...state, delegation: { ...delegation, verifiedAt: now } },
      'both selector slots resolve through their CNAMEs',
    );
  const request =
    delegation.request ??
    newRequest(
      `${spec.selectorPrefix}-cname-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}`,
      now,
      leadTimeDays(spec),
    );
  const update = (r: DnsTeamRequest) => ({ ...state, delegation: { ...delegation, request: r } });
  const signature = problems.map((p) => `${p.name}=${p.code ?? ''}:${p.found.en}`).join(';');
  if (
    problems.length > 0 &&
    request.deliveredAt !== undefined &&
    (request.reportedMistake !== signature || now >= (request.reportedMistakeAt ?? 0) + CORRECTION_REPEAT_DAYS * DAY_MS)
  ) {
    return act(
      update({ ...request, reportedMistake: signature, reportedMistakeAt: now }),
      'the selector CNAMEs are wrong: telling the DNS team exactly what',
      [notify(delegationCorrection(spec, request, problems))],
    );
  }
  const verdict = followUp(
    ctx,
    request,
    (stage) => delegationRequest(spec, request, stage, now),
    update,
    { kind: 'delegation' },
    'selector CNAME request',
  );
  return verdict && 'act' in verdict ? verdict : undefined; // waiting for CNAMEs does not block the first key
};

function startKey(ctx: Ctx, state: DomainState, reason: RotationReason): DomainState {
  const { spec, now } = ctx;
  const keyId = nextKeyId({ ...ctx, state });
  const slot = spec.dns.kind === 'delegated' ? chooseSlot(state).slot : undefined;
  const selector = slot !== undefined ? slotSelector(spec, slot) : keyId;
  return {
    ...state,
    rotationRequestedAt: undefined,
    keys: [
      ...state.keys,
      { keyId, selector, state: 'generated', reason, createdAt: now, ...(slot !== undefined ? { slot } : {}) },
    ],
  };
}

/** Start a rotation: first activation, scheduled (`activatedAt + interval − renewBefore`), operator, compromise. */
const startRotation: Policy = (ctx) => {
  const { spec, state, now } = ctx;
  if (inFlightKey(state) || state.switching) return undefined;
  const active = activeKey(state);
  let reason: RotationReason | undefined;
  if (state.compromiseHoldAt !== undefined) reason = 'compromise';
  else if (!active) reason = state.adoption?.replacedAt === undefined ? 'first-activation' : 'regenerate';
  else if (state.rotationRequestedAt !== undefined) reason = 'operator';
  else {
    const due = rotationDueAt(spec, active)!;
    if (now >= due) reason = 'scheduled';
    else return wait(`next rotation of ${active.selector} at ${new Date(due).toISOString()}`, due);
  }
  if (spec.dns.kind === 'delegated') {
    const { slot, occupant } = chooseSlot(state);
    if (occupant) {
      const until =
        occupant.retiredAt !== undefined ? occupant.retiredAt + spec.rotation.graceDays * DAY_MS : undefined;
      return wait(
        `the ${reason} rotation waits for slot ${slot}: ${occupant.selector} (${occupant.keyId}) is still ${occupant.state}`,
        until,
      );
    }
  }
  const next = startKey(ctx, state, reason);
  const key = next.keys[next.keys.length - 1]!;
  return act(next, `starting a ${reason} rotation: new key ${key.keyId} (selector ${key.selector})`);
};

/** Retired keys: after the grace period (at once when compromised), revoke the record. */
const retireKeys: Policy = (ctx) => {
  const { spec, state, now } = ctx;
  let earliest: number | undefined;
  const retiring = state.keys
    .filter((k) => k.state === 'retiring')
    .sort((a, b) => (a.retiredAt ?? 0) - (b.retiredAt ?? 0));
  for (const key of retiring) {
    if (sesSignsWith(ctx, key.selector) || state.switching?.keyId === key.keyId) continue;
    const graceEnd = (key.retiredAt ?? now) + spec.rotation.graceDays * DAY_MS;
    const due = key.compromisedAt !== undefined || key.activatedAt === undefined || now >= graceEnd;
    if (!due) {
      earliest = Math.min(earliest ?? graceEnd, graceEnd);
      continue;
    }
    if (key.dnsRequestedAt === undefined) {
      return act(
        withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now, confirmedAt: now } }),
        `${key.selector} was never published: nothing to revoke`,
      );
    }
    if (writable(spec)) {
      return act(
        withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now } }),
        `revoking ${key.selector} (v=DKIM1; p=)`,
        [revokeAction(spec, key)],
      );
    }
    const request = newRequest(`${key.keyId}-revoke`, now, key.compromisedAt !== undefined ? 1 : leadTimeDays(spec));
    const revoking = { ...key, state: 'revoked' as const, revocation: { startedAt: now, request } };
    return act(
      withKey(state, key.keyId, { state: 'revoked', revocation: { startedAt: now, request } }),
      `asking the DNS team to revoke ${key.selector} (${request.id})`,
      [notify(revocationRequest(spec, revoking, request, 'initial', now), { kind: 'revocation', keyId: key.keyId })],
    );
  }
  return earliest !== undefined ? wait('retired keys stay published for the grace period', earliest) : undefined;
};

/** Revocations in progress: wait for Route 53 / the DNS team until DNS no longer shows the key. */
const confirmRevocation: Policy = (ctx) => {
  const { spec, state, obs, now } = ctx;
  for (const key of state.keys) {
    if (key.state !== 'revoked' || key.revocation === undefined || key.revocation.confirmedAt !== undefined) continue;
    const revocation = key.revocation;
    if (revocationVisible(spec, key, obs)) {
      return act(
        withKey(state, key.keyId, { revocation: { ...revocation, confirmedAt: now } }),
        `${key.selector} is revoked in DNS`,
      );
    }
    if (writable(spec)) {
      if (revocation.route53ChangeId === undefined) {
        return act(state, `writing the revocation of ${key.selector} (no change recorded)`, [revokeAction(spec, key)]);
      }
      if (obs.changes[revocation.route53ChangeId] === 'PENDING') {
        return wait(`waiting for Route 53 to revoke ${key.selector}`, now + ROUTE53_POLL_MS);
      }
      if (checkRecord(spec, key, obs).authoritativeOk && now >= revocation.startedAt + PROPAGATION_POLL_MS) {
        return act(
          withKey(state, key.keyId, { revocation: { startedAt: now } }),
          `${key.selector} is still published: revoking it again`,
          [revokeAction(spec, key)],
        );
      }
      return wait(`public resolvers still show ${key.selector}`, now + PROPAGATION_POLL_MS);
    }
    const request = revocation.request ?? newRequest(`${key.keyId}-revoke`, now, leadTimeDays(spec));
    const verdict = followUp(
      ctx,
      request,
      (stage) => revocationRequest(spec, key, request, stage, now),
      (r) => withKey(state, key.keyId, { revocation: { ...revocation, request: r } }),
      { kind: 'revocation', keyId: key.keyId },
      'revocation request',
    );
    if (verdict && 'act' in verdict) return verdict;
  }
  return undefined;
};

/** Revoked keys: once the revocation is seen and the grace period is over, schedule the key's deletion. */
const destroyKeys: Policy = (ctx) => {
  const { spec, state, now } = ctx;
  for (const key of state.keys) {
    if (key.state !== 'revoked' || key.revocation?.confirmedAt === undefined) continue;
    const graceEnd = (key.retiredAt ?? 0) + spec.rotation.graceDays * DAY_MS;
    if (key.compromisedAt === undefined && key.activatedAt !== undefined && now < graceEnd) continue;
    return act(
      withKey(state, key.keyId, { state: 'destroyed', destroyedAt: now }),
      `deleting the private key of ${key.selector} (${KEY_RECOVERY_WINDOW_DAYS}-day recovery window)`,
      [{ type: 'destroy-key', keyId: key.keyId, recoveryWindowDays: KEY_RECOVERY_WINDOW_DAYS }],
    );
  }
  return undefined;
};

/**
 * A key recorded destroyed whose deletion never reached the key store (the run died between recording the
 * intent and calling the key store): schedule the deletion now.
 */
const finishDestruction: Policy = ({ state, obs }) => {
  for (const key of state.keys) {
    if (key.state !== 'destroyed') continue;
    if (!obs.keys.some((k) => k.keyId === key.keyId && k.deletionScheduledAt === undefined)) continue;
    return act(state, `the deletion of ${key.keyId} did not reach the key store: scheduling it again`, [
      { type: 'destroy-key', keyId: key.keyId, recoveryWindowDays: KEY_RECOVERY_WINDOW_DAYS },
    ]);
  }
  return undefined;
};

/** The active key is older than the rotation interval (a DNS team is late): tell the operators once. */
const notifyOverdue: Policy = ({ spec, state, now }) => {
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
};

/** Keep the state item small: drop the oldest destroyed keys (the event items keep the history). */
const pruneHistory: Policy = ({ state, obs }) => {
  // Only keys whose deletion the key store has confirmed (finishDestruction repairs the others first).
  const destroyed = state.keys.filter(
    (k) => k.state === 'destroyed' && !obs.keys.some((s) => s.keyId === k.keyId && s.deletionScheduledAt === undefined),
  );
  if (destroyed.length <= DESTROYED_KEYS_KEPT) return undefined;
  const drop = new Set(destroyed.slice(0, destroyed.length - DESTROYED_KEYS_KEPT).map((k) => k.keyId));
  return act(
    { ...state, keys: state.keys.filter((k) => !drop.has(k.keyId)) },
    `pruned ${drop.size} destroyed key(s) from the state item`,
  );
};

/**
 * The chain, in priority order. Safety first, then the rotation in flight, then housekeeping. The two
 * policies that stop a compromised or disabled key from signing come before `honourBackoff`: after earlier
 * failures they are retried at every run instead of waiting out a backoff of up to 32 hours.
 */
export const POLICIES: readonly (readonly [string, Policy])[] = [
  ['recordAdoption', recordAdoption],
  ['holdCompromisedKey', holdCompromisedKey],
  ['enforceSigningOff', enforceSigningOff],
  ['honourBackoff', honourBackoff],
  ['investigateSesFailure', investigateSesFailure],
  ['completeSwitch', completeSwitch],
  ['repairDrift', repairDrift],
  ['repairActiveRecord', repairActiveRecord],
  ['activateVerifiedKey', activateVerifiedKey],
  ['verifyRecord', verifyRecord],
  ['publishRecord', publishRecord],
  ['generateKey', generateKey],
  ['requestDelegation', requestDelegation],
  ['startRotation', startRotation],
  ['retireKeys', retireKeys],
  ['confirmRevocation', confirmRevocation],
  ['destroyKeys', destroyKeys],
  ['finishDestruction', finishDestruction],
  ['notifyOverdue', notifyOverdue],
  ['pruneHistory', pruneHistory],
];

/** The pure decision core. */
export function decide(spec: DomainSpec, state: DomainState, obs: Observations, now: number): Decision {
  const ctx: Ctx = { spec, state, obs, now };
  let until: number | undefined;
  const waiting: string[] = [];
  for (const [name, policy] of POLICIES) {
    const verdict = policy(ctx);
    if (!verdict) continue;
    if ('act' in verdict) {
      const { next, actions = [], message } = verdict.act;
      return { policy: name, message, next, actions };
    }
    waiting.push(verdict.wait.message);
    if (verdict.wait.until !== undefined) until = Math.min(until ?? verdict.wait.until, verdict.wait.until);
    // While backing off, nothing else may act.
    if (name === 'honourBackoff' || name === 'recordAdoption') break;
  }
  return {
    policy: 'idle',
    message: waiting[0] ?? 'nothing to do',
    next: state,
    actions: [],
    ...(until !== undefined ? { requeueAfterMs: Math.max(0, until - now) } : {}),
  };
}

/** Records what an executed action returned (Route 53 change ids, stored public keys, deliveries). */
export function applyOutcome(state: DomainState, action: Action, outcome: ActionOutcome, now: number): DomainState {
  if (action.type === 'generate-key' && outcome.publicKey) {
    const key = state.keys.find((k) => k.keyId === action.keyId);
    if (key && key.publicKey === undefined) return withKey(state, key.keyId, { publicKey: outcome.publicKey });
  }
  if (action.type === 'write-txt' && outcome.changeId && action.keyId) {
    const key = state.keys.find((k) => k.keyId === action.keyId);
    if (!key) return state;
    if (action.purpose === 'publish' && key.state === 'dns-requested') {
      return withKey(state, key.keyId, { route53ChangeId: outcome.changeId, route53InSyncAt: undefined });
    }
    if (action.purpose === 'revoke' && key.revocation && key.revocation.confirmedAt === undefined) {
      return withKey(state, key.keyId, { revocation: { ...key.revocation, route53ChangeId: outcome.changeId } });
    }
  }
  if (action.type === 'notify' && action.deliveryOf) {
    const ref = action.deliveryOf;
    if (ref.kind === 'topic') return { ...state, notified: { ...state.notified, [ref.topic]: now } };
    if (ref.kind === 'delegation' && state.delegation?.request) {
      return {
        ...state,
        delegation: { ...state.delegation, request: { ...state.delegation.request, deliveredAt: now } },
      };
    }
    if (ref.kind === 'publication' || ref.kind === 'revocation') {
      const key = state.keys.find((k) => k.keyId === ref.keyId);
      if (ref.kind === 'publication' && key?.dnsRequest) {
        return withKey(state, key.keyId, { dnsRequest: { ...key.dnsRequest, deliveredAt: now } });
      }
      if (ref.kind === 'revocation' && key?.revocation?.request) {
        return withKey(state, key.keyId, {
          revocation: { ...key.revocation, request: { ...key.revocation.request, deliveredAt: now } },
        });
      }
    }
  }
  return state;
}

export { keyBySelector };
