/**
 * The active signing path: SES signs with the active key (`EXTERNAL`, its selector, enabled, `SUCCESS`)
 * and the key's record is correct on the authoritative servers. Someone can break it behind byodkim's back
 * — switch SES to Easy DKIM or to their own key, turn signing off, delete or edit the record — and SES
 * itself turns signing off when it finds the record gone at its daily check. Mail is unsigned (or fails
 * DKIM) from that moment, so its repair is not held back by the backoff after earlier failures
 * (`honourBackoff`), and the runs that repair it follow up every few minutes (`SIGNING_REPAIR_POLL_MS`) until
 * SES signs again. A person's change is invisible until the next run: the engine reacts within one
 * schedule period (docs/lifecycle.md, "A person's change").
 */
import { checkRecord, lookupName, slotTarget } from './observations';
import { awaitingCnames, sesOn, signingAllowed, type Ctx } from './policy';
import { SIGNING_REPAIR_POLL_MS } from './protocol';
import { recordBroken, recordUnseen } from './record-repair';
import { activeKey, type DomainState, type KeyRecord } from './state';
import { DAY_MS } from '../core/time';

/**
 * Whether the key's record can be judged (and repaired) where byodkim writes it. Delegated mode: once the
 * delegation is verified, or — while the DNS team's CNAMEs are requested again (one went missing) — when
 * every authoritative server of the customer's zone still points this key's selector at its slot's record
 * in the owned zone: that record is byodkim's to write whatever became of the other slot's CNAME.
 */
export function recordJudgeable(ctx: Pick<Ctx, 'spec' | 'state' | 'obs'>, key: KeyRecord): boolean {
  const { spec, obs } = ctx;
  if (!awaitingCnames(ctx)) return true;
  if (spec.dns.kind !== 'delegated') return false;
  const target = slotTarget(spec, key.slot ?? 1).toLowerCase();
  const answers = (obs.records[lookupName(spec, key.selector)]?.answers ?? []).filter((a) =>
    (a.server ?? '').startsWith('authoritative'),
  );
  return answers.length > 0 && answers.every((a) => a.cnameChain.some((name) => name.toLowerCase() === target));
}

/** Why the active signing path needs a repair now, or undefined when it does not. */
export type SigningPathBreak =
  /** SES is no longer configured with the active key (Easy DKIM, another selector or key). */
  | 'ses-drift'
  /** SES is configured with the active key but signing is off (by hand, or by SES itself). */
  | 'signing-off'
  /** SES reports FAILED / TEMPORARY_FAILURE for the active key. */
  | 'ses-failing'
  /** The active key's record is wrong on the authoritative servers. */
  | 'record-broken'
  /** A switch that repairs signing is under way (SES given the active or a fallback key again). */
  | 'repair-switch';

/**
 * What is broken on the active key's signing path, if anything. Not while another switch is recorded (an
 * activation, rollback or compromise switch is `completeSwitch`'s; a repair switch is the repair), nor
 * while signing is held off on purpose (`disable`, a compromise hold) — except the record, which is
 * repaired whatever SES does.
 */
export function signingPathBreak(ctx: Ctx): SigningPathBreak | undefined {
  const { spec, state, obs } = ctx;
  if (state.switching) return state.switching.reason === 'repair' ? 'repair-switch' : undefined;
  const key = signingKey(state);
  if (!key) return undefined;
  if (recordJudgeable(ctx, key) && recordBroken(checkRecord(spec, key, obs))) return 'record-broken';
  const ses = obs.ses;
  if (!ses || !signingAllowed(state)) return undefined;
  if (!sesOn(ctx, key.selector)) return 'ses-drift';
  if (ses.status === 'FAILED' || ses.status === 'TEMPORARY_FAILURE') return 'ses-failing';
  if (!ses.signingEnabled) return 'signing-off';
  return undefined;
}

/**
 * The active key's record could not be looked at on every authoritative server in this run (a lookup
 * timed out or failed after the DNS adapter's own retries): a person may have deleted or edited it, and
 * this run cannot tell. The record is looked at again within `SIGNING_REPAIR_POLL_MS` — also while backing off
 * after failures — instead of at the next scheduled run or the end of a backoff of up to 6 hours.
 */
export function activeRecordUnseen(ctx: Ctx): boolean {
  const { spec, state, obs } = ctx;
  const key = state.switching ? undefined : signingKey(state);
  return key !== undefined && recordJudgeable(ctx, key) && recordUnseen(checkRecord(spec, key, obs));
}

/** The active key whose signing path byodkim keeps: published (a public key) and not compromised. */
function signingKey(state: DomainState): KeyRecord | undefined {
  const key = activeKey(state);
  return key && key.publicKey !== undefined && key.compromisedAt === undefined ? key : undefined;
}

/**
 * The recorded state shows a repair of the active signing path under way (a repair switch, a record
 * written again within the day, SES waiting for a repaired record, an urgent request to the DNS team):
 * a run that fails before it could observe anything is retried within minutes, not after the backoff.
 */
export function signingRepairUnderWay(state: DomainState, now: number): boolean {
  if (state.switching?.reason === 'repair') return true;
  const key = activeKey(state);
  if (!key) return false;
  return (
    key.sesAwaitsRecordSince !== undefined ||
    key.restoreRequest !== undefined ||
    (key.recordRepairedAt !== undefined && now < key.recordRepairedAt + DAY_MS)
  );
}

/**
 * When to run again after a failed run: the backoff — or within `SIGNING_REPAIR_POLL_MS` (5 min, in every
 * DNS mode: the failure was AWS's, not the DNS team's) while the active signing path needs a repair (seen
 * in this run, or recorded as under way), unless the failure is not transient and has repeated (an
 * AccessDenied every few minutes helps nobody). A transient failure while observing (SES or the key store
 * throttled) is also looked at again within minutes: the run saw nothing, and a broken signing path may be
 * behind it (so may a run that could not see the active record) — the backoff still holds back every other
 * action (`honourBackoff`), so the retry costs a few reads.
 */
export function retryAfterFailureMs(
  ctx: Omit<Ctx, 'obs'> & { readonly obs: Ctx['obs'] | undefined },
  failure: { readonly count: number; readonly transient: boolean },
  backoffMs: number,
): number {
  const { spec, state, obs, now } = ctx;
  if (!failure.transient && failure.count > 3) return backoffMs;
  const broken = obs
    ? signingPathBreak({ spec, state, obs, now }) !== undefined || activeRecordUnseen({ spec, state, obs, now })
    : failure.transient;
  if (!broken && !signingRepairUnderWay(state, now)) return backoffMs;
  return Math.min(backoffMs, SIGNING_REPAIR_POLL_MS);
}
