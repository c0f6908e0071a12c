/**
 * One domain as an operator sees it: the structured status `byodkim status` prints as a table (and as
 * JSON), built from the recorded state and one pass of observations. Pure, like the conditions; the worker
 * returns it with its answer to `status` and `verify-dns`, and `byodkim --local` computes it the same way.
 *
 * It carries the DNS-team requests that are open — each with the message the team got (its first
 * sending: subject and body, Japanese and English) — so `byodkim dns-request` can print them without
 * resending anything. Never private key material: selectors, names and public keys only.
 */
import type { BilingualText } from '../core/errors';
import type { DomainSpec, Locale } from '../core/spec';
import { DAY_MS } from '../core/time';
import { changeRequest, delegationRequest, revocationRequest, type Notification } from './notifications';
import { checkRecord, type Observations } from './observations';
import { backoffDelayMs, rotationDueAt } from './protocol';
import {
  activeKey,
  inFlightKey,
  rollbackCandidate,
  type DnsTeamRequest,
  type DomainState,
  type KeyState,
} from './state';

/** Bumped when a field changes meaning; readers accept what they know and show the rest as missing. */
export const DOMAIN_VIEW_FORMAT = 1;

export interface SesView {
  /** False: SES has no identity for the domain. */
  readonly present: boolean;
  readonly origin?: string;
  readonly signingEnabled: boolean;
  readonly status?: string;
  readonly tokens: readonly string[];
  /** SES signs with the recorded active key: EXTERNAL, enabled, SUCCESS, tokens = [active selector]. */
  readonly healthy: boolean;
}

export interface DnsVerdictView {
  /** `ok`: the active record is byte-exact everywhere; `problem`: some server differs; `unknown`: not looked up; `none`: no active key. */
  readonly verdict: 'ok' | 'problem' | 'unknown' | 'none';
  readonly selector?: string;
  /** The record diagnosis code (`match`, `no-record`, `key-cut-at-255`…). */
  readonly code?: string;
  readonly message?: BilingualText;
}

/** A DNS-team request that is open, and the message the team got for it. */
export interface DnsRequestView {
  readonly id: string;
  readonly kind: 'publish' | 'revoke' | 'delegation';
  readonly selector?: string;
  readonly sentAt: string;
  readonly deadline: string;
  readonly overdue: boolean;
  /** False: the message has not been accepted by the mail service yet (it is sent again). */
  readonly delivered: boolean;
  readonly reminders: number;
  readonly escalations: number;
  /** The request as first sent (subject and body in both languages, the team's language first). */
  readonly message: {
    readonly to: readonly string[];
    readonly locale: Locale;
    readonly subject: BilingualText;
    readonly body: BilingualText;
  };
}

export interface DomainView {
  readonly format: typeof DOMAIN_VIEW_FORMAT;
  readonly domain: string;
  /** When the observations were made (ISO 8601). */
  readonly observedAt: string;
  readonly dnsMode: DomainSpec['dns']['kind'];
  readonly activation: DomainSpec['rotation']['activation'];
  readonly intervalDays: number;
  readonly activeSelector?: string;
  /** When the active key first signed (ISO 8601). */
  readonly keyActivatedAt?: string;
  readonly keyAgeDays?: number;
  /** When the next scheduled rotation starts (ISO 8601). */
  readonly nextRotationAt?: string;
  readonly ses: SesView;
  readonly dns: DnsVerdictView;
  /** The rotation in flight, if any. */
  readonly rotation?: {
    readonly selector: string;
    readonly keyId: string;
    readonly state: KeyState;
    readonly reason: string;
    readonly awaitingApproval: boolean;
  };
  /** SES is being switched to this key (written ahead of the SES calls). */
  readonly switchingTo?: { readonly keyId: string; readonly selector?: string; readonly reason: string };
  /** The previous key a rollback would switch back to, if one is still in its grace period. */
  readonly rollbackTo?: string;
  readonly signingDisabledAt?: string;
  readonly compromiseHoldAt?: string;
  readonly failure?: {
    readonly count: number;
    readonly code: string;
    readonly message: string;
    readonly retryAfter: string;
  };
  readonly requests: readonly DnsRequestView[];
  readonly rotations: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

function requestView(
  request: DnsTeamRequest,
  kind: DnsRequestView['kind'],
  notification: Notification,
  now: number,
  selector?: string,
): DnsRequestView {
  return {
    id: request.id,
    kind,
    ...(selector !== undefined ? { selector } : {}),
    sentAt: iso(request.sentAt),
    deadline: iso(request.deadline),
    overdue: now > request.deadline,
    delivered: request.deliveredAt !== undefined,
    reminders: request.reminders,
    escalations: request.escalations,
    message: {
      to: notification.to,
      locale: notification.locale,
      subject: notification.subject,
      body: notification.body,
    },
  };
}

/** The open DNS-team requests of a domain, with the message each one carried when first sent. */
export function openDnsRequests(spec: DomainSpec, state: DomainState, now: number): DnsRequestView[] {
  const views: DnsRequestView[] = [];
  const delegation = state.delegation;
  if (spec.dns.kind === 'delegated' && delegation?.request && delegation.verifiedAt === undefined) {
    const r = delegation.request;
    views.push(requestView(r, 'delegation', delegationRequest(spec, r, 'initial', r.sentAt), now));
  }
  if (spec.dns.kind !== 'external') return views;
  for (const key of state.keys) {
    if (key.state === 'dns-requested' && key.dnsRequest && key.publicKey !== undefined) {
      const r = key.dnsRequest;
      views.push(requestView(r, 'publish', changeRequest(spec, key, r, 'initial', r.sentAt), now, key.selector));
    }
    const revocation = key.revocation;
    if (key.state === 'revoked' && revocation?.request && revocation.confirmedAt === undefined) {
      const r = revocation.request;
      views.push(requestView(r, 'revoke', revocationRequest(spec, key, r, 'initial', r.sentAt), now, key.selector));
    }
  }
  return views;
}

/** The domain's status for operators, from its recorded state and one pass of observations. */
export function describeDomain(spec: DomainSpec, state: DomainState, obs: Observations, now: number): DomainView {
  const active = activeKey(state);
  const ses = obs.ses;
  const healthy =
    !!ses &&
    !!active &&
    ses.origin === 'EXTERNAL' &&
    ses.signingEnabled &&
    ses.status === 'SUCCESS' &&
    ses.tokens.length === 1 &&
    ses.tokens[0] === active.selector;
  let dns: DnsVerdictView = { verdict: 'none' };
  if (active) {
    const check = checkRecord(spec, active, obs);
    dns = {
      verdict: check.unobserved ? 'unknown' : check.verified ? 'ok' : 'problem',
      selector: active.selector,
      code: check.diagnosis.code,
      message: check.diagnosis.message,
    };
  }
  const inFlight = inFlightKey(state);
  const due = active ? rotationDueAt(spec, active) : undefined;
  const switching = state.switching;
  const switchKey = switching ? state.keys.find((k) => k.keyId === switching.keyId) : undefined;
  const previous = rollbackCandidate(state);
  return {
    format: DOMAIN_VIEW_FORMAT,
    domain: spec.domain,
    observedAt: iso(now),
    dnsMode: spec.dns.kind,
    activation: spec.rotation.activation,
    intervalDays: spec.rotation.intervalDays,
    ...(active ? { activeSelector: active.selector } : {}),
    ...(active?.activatedAt !== undefined
      ? { keyActivatedAt: iso(active.activatedAt), keyAgeDays: Math.floor((now - active.activatedAt) / DAY_MS) }
      : {}),
    ...(due !== undefined && !inFlight ? { nextRotationAt: iso(due) } : {}),
    ses: {
      present: !!ses,
      ...(ses?.origin ? { origin: ses.origin } : {}),
      signingEnabled: ses?.signingEnabled ?? false,
      ...(ses ? { status: ses.status } : {}),
      tokens: ses ? [...ses.tokens] : [],
      healthy,
    },
    dns,
    ...(inFlight
      ? {
          rotation: {
            selector: inFlight.selector,
            keyId: inFlight.keyId,
            state: inFlight.state,
            reason: inFlight.reason,
            awaitingApproval:
              inFlight.state === 'dns-verified' &&
              spec.rotation.activation === 'manual' &&
              inFlight.approvedAt === undefined,
          },
        }
      : {}),
    ...(switching
      ? {
          switchingTo: {
            keyId: switching.keyId,
            ...(switchKey ? { selector: switchKey.selector } : {}),
            reason: switching.reason,
          },
        }
      : {}),
    ...(previous ? { rollbackTo: previous.selector } : {}),
    ...(state.signingDisabledAt !== undefined ? { signingDisabledAt: iso(state.signingDisabledAt) } : {}),
    ...(state.compromiseHoldAt !== undefined ? { compromiseHoldAt: iso(state.compromiseHoldAt) } : {}),
    ...(state.failure
      ? {
          failure: {
            count: state.failure.count,
            code: state.failure.code,
            message: state.failure.message,
            retryAfter: iso(state.failure.at + backoffDelayMs(state.failure)),
          },
        }
      : {}),
    requests: openDnsRequests(spec, state, now),
    rotations: state.rotations,
  };
}
