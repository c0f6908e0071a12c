/**
 * The domain's status as a list of named conditions (cert-manager style): what `status` prints, what the
 * monitor turns into metrics. Pure.
 */
import { checkRecord, type Observations } from './observations';
import { DAY_MS } from '../core/time';
import { backoffDelayMs, rotationDueAt } from './protocol';
import type { DomainSpec } from '../core/spec';
import { activeKey, inFlightKey, type DomainState } from './state';

export type ConditionType =
  | 'Ready'
  | 'RotationInProgress'
  | 'AwaitingDnsTeam'
  | 'DnsRequestOverdue'
  | 'AwaitingApproval'
  | 'SigningDisabled'
  | 'CompromiseHold'
  | 'KeyOverdue'
  | 'BackingOff'
  | 'IdentityMissing'
  | 'DelegationPending';

export interface Condition {
  readonly type: ConditionType;
  readonly status: boolean;
  /** One CamelCase word, e.g. `SesHealthy`, `WaitingForDnsTeam`. */
  readonly reason: string;
  readonly message: string;
}

export function conditionsFor(spec: DomainSpec, state: DomainState, obs: Observations, now: number): Condition[] {
  const conditions: Condition[] = [];
  const active = activeKey(state);
  const ses = obs.ses;
  if (!ses) {
    conditions.push({
      type: 'IdentityMissing',
      status: true,
      reason: 'NoIdentity',
      message: `SES has no identity ${spec.domain}`,
    });
  }
  const healthy =
    !!ses &&
    !!active &&
    ses.origin === 'EXTERNAL' &&
    ses.signingEnabled &&
    ses.status === 'SUCCESS' &&
    ses.tokens.length === 1 &&
    ses.tokens[0] === active.selector;
  conditions.push({
    type: 'Ready',
    status: healthy,
    reason: healthy ? 'SesHealthy' : active ? 'SesNotHealthy' : 'NoActiveKey',
    message: healthy
      ? `SES signs with ${active!.selector} (EXTERNAL, enabled, SUCCESS)`
      : ses
        ? `SES: origin ${ses.origin ?? 'none'}, enabled ${ses.signingEnabled}, status ${ses.status}, tokens [${ses.tokens.join(', ')}]${active ? `; expected ${active.selector}` : ''}`
        : 'SES identity missing',
  });
  const inFlight = inFlightKey(state);
  if (inFlight) {
    conditions.push({
      type: 'RotationInProgress',
      status: true,
      reason: inFlight.reason,
      message: `${inFlight.selector} (${inFlight.keyId}) is ${inFlight.state}`,
    });
    if (inFlight.state === 'dns-requested' && inFlight.dnsRequest) {
      const r = inFlight.dnsRequest;
      const check = checkRecord(spec, inFlight, obs);
      conditions.push({
        type: 'AwaitingDnsTeam',
        status: true,
        reason: check.unobserved ? 'NotObserved' : check.diagnosis.code,
        message: `${r.id} sent ${new Date(r.sentAt).toISOString()}, due ${new Date(r.deadline).toISOString()}: ${check.diagnosis.message.en}`,
      });
      if (now > r.deadline) {
        conditions.push({
          type: 'DnsRequestOverdue',
          status: true,
          reason: 'PastDeadline',
          message: `${r.id} is ${Math.floor((now - r.deadline) / DAY_MS)} day(s) past its deadline (${r.escalations} escalation(s))`,
        });
      }
    }
    if (
      inFlight.state === 'dns-verified' &&
      spec.rotation.activation === 'manual' &&
      inFlight.approvedAt === undefined
    ) {
      conditions.push({
        type: 'AwaitingApproval',
        status: true,
        reason: 'ManualActivation',
        message: `${inFlight.selector} is verified; run approve to switch`,
      });
    }
  } else if (active) {
    const due = rotationDueAt(spec, active);
    conditions.push({
      type: 'RotationInProgress',
      status: false,
      reason: 'Scheduled',
      message: `next rotation at ${due !== undefined ? new Date(due).toISOString() : 'unknown'}`,
    });
  }
  if (state.signingDisabledAt !== undefined) {
    conditions.push({
      type: 'SigningDisabled',
      status: true,
      reason: 'Operator',
      message: `disabled at ${new Date(state.signingDisabledAt).toISOString()}`,
    });
  }
  if (state.compromiseHoldAt !== undefined) {
    conditions.push({
      type: 'CompromiseHold',
      status: true,
      reason: 'KeyCompromised',
      message: 'signing is off until the replacement key is verified',
    });
  }
  if (active?.activatedAt !== undefined) {
    const age = now - active.activatedAt;
    const over = age > spec.rotation.intervalDays * DAY_MS;
    conditions.push({
      type: 'KeyOverdue',
      status: over,
      reason: over ? 'OlderThanInterval' : 'WithinInterval',
      message: `${active.selector} is ${Math.floor(age / DAY_MS)} day(s) old (interval ${spec.rotation.intervalDays})`,
    });
  }
  if (state.failure) {
    const until = state.failure.at + backoffDelayMs(state.failure);
    conditions.push({
      type: 'BackingOff',
      status: now < until,
      reason: state.failure.code,
      message: `${state.failure.count} consecutive failure(s), last: ${state.failure.message}; next attempt after ${new Date(until).toISOString()}`,
    });
  }
  if (spec.dns.kind === 'delegated' && state.delegation?.verifiedAt === undefined) {
    conditions.push({
      type: 'DelegationPending',
      status: true,
      reason: state.delegation?.request ? 'WaitingForCnames' : 'NotRequested',
      message: state.delegation?.request
        ? `CNAME request ${state.delegation.request.id} is open`
        : 'the CNAME request is not sent yet',
    });
  }
  return conditions;
}
