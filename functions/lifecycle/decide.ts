/**
 * The lifecycle protocol as one pure function:
 *
 *   decide(spec, recorded state, observations, now) → { next state, actions, requeueAfter }
 *
 * It runs a chain of small named policies (one per file in `policies/`), top to bottom in priority order.
 * Each policy acts, waits, or does not apply (see policy.ts). The first policy that acts wins; the runner
 * records the next state with compare-and-swap BEFORE executing the actions (write-ahead), then runs
 * `decide` again until every policy waits. Nothing here does I/O or reads a clock: `now` is given.
 *
 * Safety rules the chain enforces, whatever the inputs:
 * - SES is switched only to a key whose record is verified byte-exact on every authoritative server and
 *   every public resolver, for at least the propagation soak (cache TTL) — publish first, switch second.
 * - A key SES is signing with is never revoked; a key is destroyed only after its record is seen revoked
 *   or gone and (unless compromised) its grace period is over.
 * - At most one key is on its way to activation (generated / dns-requested / dns-verified).
 */
import type { DomainSpec } from '../core/spec';
import type { Action } from './actions';
import type { Observations } from './observations';
import type { Ctx, Policy } from './policy';
import { recordAdoption } from './policies/record-adoption';
import { holdCompromisedKey } from './policies/hold-compromised-key';
import { enforceSigningOff } from './policies/enforce-signing-off';
import { honourBackoff, honourBackoffAfterRepairs } from './policies/honour-backoff';
import { investigateSesFailure } from './policies/investigate-ses-failure';
import { completeSwitch } from './policies/complete-switch';
import { repairDrift } from './policies/repair-drift';
import { repairActiveRecord } from './policies/repair-active-record';
import { activateVerifiedKey } from './policies/activate-verified-key';
import { verifyRecord } from './policies/verify-record';
import { publishRecord } from './policies/publish-record';
import { generateKey } from './policies/generate-key';
import { requestDelegation } from './policies/request-delegation';
import { startRotation } from './policies/start-rotation';
import { retireKeys } from './policies/retire-keys';
import { confirmRevocation } from './policies/confirm-revocation';
import { destroyKeys } from './policies/destroy-keys';
import { finishDestruction } from './policies/finish-destruction';
import { notifyOverdue } from './policies/notify-overdue';
import { pruneHistory } from './policies/prune-history';
import type { DomainState } from './state';

/**
 * The chain, in priority order: safety first, then the rotation in flight, then housekeeping.
 */
export const POLICIES: readonly Policy[] = [
  // First run: note what SES signs with before byodkim takes over. Nothing else acts until SES exists.
  recordAdoption,
  // A compromised key that SES may still sign with, and no switch away from it: hold signing off.
  holdCompromisedKey,
  // Disabled by the operator or held after a compromise: turn SES signing off. Before the backoff, so
  // that it is retried at every run instead of waiting out up to 32 hours after earlier failures.
  enforceSigningOff,
  // After failures, nothing below acts until `failure.at + backoffDelayMs(failure)` — except the repair of
  // the active signing path (SES drifted or stopped signing, the active record broken): mail is unsigned.
  honourBackoff,
  // SES reports FAILED: give SES the key again, repair the record, or replace a lost key.
  investigateSesFailure,
  // A switch recorded ahead: give SES the key, enable signing, make it active once SES confirms.
  completeSwitch,
  // SES no longer signs with the active key (changed by hand): switch it back.
  repairDrift,
  // The active key's record is wrong on the authoritative servers: write it again or ask for it back.
  repairActiveRecord,
  // The backoff for everything below (a run let through to repair the signing path repairs only that).
  honourBackoffAfterRepairs,
  // The new key's record is verified everywhere: after the soak (and approval), switch SES to it.
  activateVerifiedKey,
  // The new key's record is requested: follow Route 53 or the DNS team until it is verified.
  verifyRecord,
  // The new key is stored: write its record, or ask the DNS team to publish it.
  publishRecord,
  // A new key is chosen: generate and store its key pair.
  generateKey,
  // Delegated mode: ask once for the two selector CNAMEs, follow up until both resolve.
  requestDelegation,
  // No key in flight: start the first, scheduled, operator or compromise rotation when it is due.
  startRotation,
  // Retired keys past their grace period (compromised ones at once): revoke the record.
  retireKeys,
  // Revocations under way: follow Route 53 or the DNS team until DNS no longer shows the key.
  confirmRevocation,
  // Revoked and past the grace period: schedule the private key's deletion.
  destroyKeys,
  // Recorded destroyed but still in the key store (a crashed run): schedule the deletion again.
  finishDestruction,
  // The active key is older than the rotation interval: tell the operators once.
  notifyOverdue,
  // Keep the state item small: drop the oldest destroyed keys.
  pruneHistory,
];

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

/** Runs the chain: the first policy that acts decides; otherwise idle until the earliest wait ends. */
export function decide(spec: DomainSpec, state: DomainState, obs: Observations, now: number): Decision {
  return runChain(POLICIES, spec, state, obs, now);
}

/** `decide` over another chain (tests remove or break one policy to prove the simulation needs it). */
export function decideWith(policies: readonly Policy[]): typeof decide {
  return (spec, state, obs, now) => runChain(policies, spec, state, obs, now);
}

function runChain(
  policies: readonly Policy[],
  spec: DomainSpec,
  state: DomainState,
  obs: Observations,
  now: number,
): Decision {
  const ctx: Ctx = { spec, state, obs, now };
  let until: number | undefined;
  const waiting: string[] = [];
  for (const policy of policies) {
    const verdict = policy.run(ctx);
    if (!verdict) continue;
    if ('act' in verdict) {
      const { next, actions = [], message } = verdict.act;
      return { policy: policy.name, message, next, actions };
    }
    waiting.push(verdict.wait.message);
    if (verdict.wait.until !== undefined) until = Math.min(until ?? verdict.wait.until, verdict.wait.until);
    if (policy.whileWaiting === 'stop-chain') break;
  }
  return {
    policy: 'idle',
    message: waiting[0] ?? 'nothing to do',
    next: state,
    actions: [],
    ...(until !== undefined ? { requeueAfterMs: Math.max(0, until - now) } : {}),
  };
}
