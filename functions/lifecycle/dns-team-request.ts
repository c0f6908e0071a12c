/**
 * Requests to a DNS team (external mode, and delegated mode's one-time CNAMEs): opened with the spec's
 * lead time, sent, resent on request, reminded, escalated after the deadline, and corrected when the team
 * publishes something wrong — but the same mistake is reported again only after CORRECTION_REPEAT_DAYS.
 */
import type { DomainSpec } from '../core/spec';
import { DAY_MS } from '../core/time';
import { notify, type DeliveryRef } from './actions';
import type { Notification, RequestStage } from './notifications';
import { act, wait, type Ctx, type Verdict } from './policy';
import { CORRECTION_REPEAT_DAYS, followUpDue } from './protocol';
import type { DnsTeamRequest, DomainState } from './state';

/** The DNS team's lead time (days); route53 mode has no team. */
export function leadTimeDays(spec: DomainSpec): number {
  return spec.dns.kind === 'route53' ? 0 : spec.dns.leadTimeDays;
}

export function newRequest(id: string, now: number, leadDays: number): DnsTeamRequest {
  return { id, sentAt: now, deadline: now + leadDays * DAY_MS, reminders: 0, escalations: 0 };
}

/** The same mistake was reported on this request within CORRECTION_REPEAT_DAYS: do not report it again. */
export function reportedRecently(request: DnsTeamRequest, mistake: string, now: number): boolean {
  return (
    request.reportedMistake === mistake && now < (request.reportedMistakeAt ?? 0) + CORRECTION_REPEAT_DAYS * DAY_MS
  );
}

/** Sends, resends, reminds or escalates a DNS-team request; otherwise waits for the team. */
export function followUp(
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
