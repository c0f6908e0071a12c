/**
 * What a policy is, and the words the policies share.
 *
 * A policy is a pure function of the domain's spec, its recorded state, what this run observed, and `now`.
 * It either *acts* (returns the next state and the side effects that make the world match it), *waits*
 * (says until when, and why), or does not apply (`undefined`). `decide` (decide.ts) runs the policies in
 * order; the first that acts wins. Nothing here does I/O or reads a clock.
 */
import type { DomainSpec } from '../core/spec';
import type { Action } from './actions';
import type { Observations } from './observations';
import type { DomainState, KeyRecord } from './state';

/** What every policy looks at. */
export interface Ctx {
  readonly spec: DomainSpec;
  readonly state: DomainState;
  readonly obs: Observations;
  readonly now: number;
}

export type Verdict =
  | { readonly act: { readonly next: DomainState; readonly actions?: readonly Action[]; readonly message: string } }
  | { readonly wait: { readonly until?: number; readonly message: string } }
  | undefined;

export interface Policy {
  /** The name a decision reports (`Decision.policy`) and the docs use. */
  readonly name: string;
  /**
   * `stop-chain`: while this policy waits, no later policy may act (the chain ends at its wait).
   * @default 'continue' (a waiting policy lets the policies after it run)
   */
  readonly whileWaiting?: 'stop-chain' | 'continue';
  readonly run: (ctx: Ctx) => Verdict;
}

/** The policy acts: record `next`, then run `actions` in order. */
export function act(next: DomainState, message: string, actions: readonly Action[] = []): Verdict {
  return { act: { next, actions, message } };
}

/** The policy waits (until `until`, when given: the run is requeued for then). */
export function wait(message: string, until?: number): Verdict {
  return { wait: { message, ...(until !== undefined ? { until } : {}) } };
}

/** The key's private key is in the key store (and not scheduled for deletion). */
export function stored(ctx: Pick<Ctx, 'obs'>, key: Pick<KeyRecord, 'keyId'>): boolean {
  return ctx.obs.keys.some((k) => k.keyId === key.keyId && k.deletionScheduledAt === undefined);
}

/** SES is configured with this selector (BYODKIM), whether or not signing is enabled. */
export function sesOn(ctx: Ctx, selector: string): boolean {
  const ses = ctx.obs.ses;
  return !!ses && ses.origin === 'EXTERNAL' && ses.tokens.length === 1 && ses.tokens[0] === selector;
}

/** SES signs with this selector right now (or will as soon as it confirms the record). */
export function sesSignsWith(ctx: Ctx, selector: string): boolean {
  return sesOn(ctx, selector) && ctx.obs.ses!.signingEnabled;
}

/** Neither the operator (`disable`) nor a compromise hold keeps signing off. */
export function signingAllowed(state: DomainState): boolean {
  return state.signingDisabledAt === undefined && state.compromiseHoldAt === undefined;
}

/** Delegated mode, and the DNS team's selector CNAMEs are not verified yet: no record resolves through them. */
export function awaitingCnames(ctx: Pick<Ctx, 'spec' | 'state'>): boolean {
  return ctx.spec.dns.kind === 'delegated' && ctx.state.delegation?.verifiedAt === undefined;
}

/** byodkim writes the records itself (route53 / delegated); in external mode a DNS team does. */
export function writable(spec: DomainSpec): boolean {
  return spec.dns.kind === 'route53' || spec.dns.kind === 'delegated';
}
