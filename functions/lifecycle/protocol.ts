/**
 * The numbers of the lifecycle protocol: how often a run looks again, how long it waits, and the formulas
 * behind backoff, the propagation soak, the rotation schedule, grace periods and DNS-team follow-ups. Pure;
 * tests and docs use the formulas as they are.
 */
import type { DomainSpec } from '../core/spec';
import type { TxtAnswer } from '../dkim/dns-answer';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { EXTERNAL_RECORD_TTL_SECONDS, ROUTE53_RECORD_TTL_SECONDS, type RequestStage } from './notifications';
import type { DnsTeamRequest, FailureRecord, KeyRecord } from './state';

/** How often to ask Route 53 whether a change is INSYNC. */
export const ROUTE53_POLL_MS = MINUTE_MS;
/** How often to look again while public resolvers catch up with the authoritative servers. */
export const PROPAGATION_POLL_MS = 5 * MINUTE_MS;
/** How often to look at SES while it checks the record after a switch. */
export const SES_PENDING_POLL_MS = 5 * MINUTE_MS;
/**
 * A negative answer (NXDOMAIN) may be cached this long (Route 53's default SOA: 900 s) — the floor: a
 * zone's own SOA may say longer, and the answers carry it (`TxtAnswer.negativeTtl`).
 */
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
/**
 * While the active signing path is being repaired (a record written again, SES given the key again), look
 * again this often until SES signs verifiably: within the worker's delayed requeue (≤ 15 min). External
 * mode waits for the DNS team: every 15 minutes.
 */
export const SIGNING_REPAIR_POLL_MS = 5 * MINUTE_MS;
export const SIGNING_REPAIR_POLL_EXTERNAL_MS = 15 * MINUTE_MS;
/** An urgent DNS-team request (the active record deleted by hand, a compromised key's replacement) is due in this many days. */
export const URGENT_LEAD_DAYS = 1;
/** An urgent request past its deadline is escalated again every this many days. */
export const URGENT_ESCALATION_INTERVAL_DAYS = 1;

/** How often to look again while the active signing path is being repaired. */
export function signingRepairPollMs(spec: DomainSpec): number {
  return spec.dns.kind === 'external' ? SIGNING_REPAIR_POLL_EXTERNAL_MS : SIGNING_REPAIR_POLL_MS;
}

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

/**
 * How long a record must have been verified everywhere before SES is switched to it (resolver caches):
 * the longest of the TTL byodkim asks for, the negative-caching floor, and the TTLs the DNS answers carry
 * — the record's own TTL as published and the zone's SOA negative TTL (RFC 2308). A receiver's resolver
 * may hold an NXDOMAIN from before the record existed that long: the zone decides, not a constant.
 */
export function propagationSoakMs(spec: DomainSpec, answers: readonly TxtAnswer[] = []): number {
  const ttl = spec.dns.kind === 'external' ? EXTERNAL_RECORD_TTL_SECONDS : ROUTE53_RECORD_TTL_SECONDS;
  let seconds = Math.max(ttl, NEGATIVE_CACHE_SECONDS);
  for (const answer of answers) seconds = Math.max(seconds, answer.ttl ?? 0, answer.negativeTtl ?? 0);
  return seconds * 1000;
}

/** When the active key's scheduled rotation starts: `activatedAt + interval − renewBefore`. */
export function rotationDueAt(spec: DomainSpec, key: KeyRecord): number | undefined {
  if (key.activatedAt === undefined) return undefined;
  return key.activatedAt + (spec.rotation.intervalDays - spec.rotation.renewBeforeDays) * DAY_MS;
}

/** When the grace period of a key retired at `retiredAt` ends: its record stays published until then. */
export function graceEndsAt(spec: DomainSpec, retiredAt: number): number {
  return retiredAt + spec.rotation.graceDays * DAY_MS;
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
  const interval = (request.urgent ? URGENT_ESCALATION_INTERVAL_DAYS : ESCALATION_INTERVAL_DAYS) * DAY_MS;
  const escalationsDue = Math.floor((now - request.deadline) / interval) + 1;
  if (escalationsDue > request.escalations) return { stage: 'escalation', nextAt: now };
  return { nextAt: request.deadline + escalationsDue * interval };
}
