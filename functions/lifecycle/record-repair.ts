/**
 * The one repair step of the protocol, for a key whose record is wrong: byodkim writes the record again
 * (route53 / delegated), or sends the DNS team a correction that says exactly what is wrong (external) —
 * unless that same mistake was reported on the key's request within CORRECTION_REPEAT_DAYS, or byodkim
 * wrote the record so recently that the write may not show yet.
 *
 * Used by investigateSesFailure, completeSwitch (a record that broke while SES confirmed the switch),
 * repairActiveRecord and verifyRecord; where they differ, `RepairOptions` says how.
 */
import type { RecordDiagnosis } from '../dkim/dns-answer';
import { notify, publishAction, type Action } from './actions';
import { leadTimeDays, newRequest, reportedRecently } from './dns-team-request';
import { changeRequest, correctionRequest } from './notifications';
import type { RecordCheck } from './observations';
import { writable, type Ctx } from './policy';
import { followUpDue, PROPAGATION_POLL_MS, URGENT_LEAD_DAYS } from './protocol';
import type { DnsTeamRequest, KeyRecord } from './state';

/** The record is wrong on the authoritative servers: seen wrong, not merely unanswered. */
export function recordBroken(check: RecordCheck): boolean {
  return !check.authoritativeOk && !check.unobserved && check.diagnosis.code !== 'lookup-failed';
}

/** The record was looked up but not seen on every authoritative server (a lookup failed): it may be broken. */
export function recordUnseen(check: RecordCheck): boolean {
  return !check.authoritativeOk && !check.unobserved && check.diagnosis.code === 'lookup-failed';
}

export interface RepairOptions {
  /**
   * When byodkim last wrote the record: within PROPAGATION_POLL_MS of it the write may not show yet, and
   * is not repeated. `undefined`: write at once.
   */
  readonly lastWrittenAt: number | undefined;
  /**
   * How a write is recorded on the key: `repaired` sets `recordRepairedAt` (a record byodkim had already
   * seen correct); `republished` clears the Route 53 change, so that verifyRecord follows the new write to
   * INSYNC again (a record still on its way to verification).
   */
  readonly writeRecordedAs: 'repaired' | 'republished';
  /** Send the correction even if the same mistake was reported within CORRECTION_REPEAT_DAYS. */
  readonly correctEvenIfReported?: boolean;
  /**
   * The key SES signs with (external mode): its record is broken now, so the DNS team gets an URGENT
   * request to put it back (`KeyRecord.restoreRequest`: 1-day deadline, reminded, escalated daily, a
   * wrong answer corrected) instead of a correction of the old publication request.
   */
  readonly urgent?: boolean;
}

export interface RecordRepair {
  /** How the record is repaired: byodkim writes it, or the DNS team is asked to correct it. */
  readonly by: 'write' | 'correction';
  /** The write or the correction; empty when the last write may not show yet or the mistake was reported. */
  readonly actions: readonly Action[];
  /** What to record on the key with the actions (empty when there are none). */
  readonly patch: Partial<KeyRecord>;
  /** When there is nothing to send because of a recent write: when that write has had time to show. */
  readonly writtenUntil?: number;
}

export function repairRecord(
  ctx: Ctx,
  key: KeyRecord,
  diagnosis: RecordDiagnosis,
  options: RepairOptions,
): RecordRepair {
  const { spec, now } = ctx;
  if (writable(spec)) {
    const writtenUntil = options.lastWrittenAt === undefined ? undefined : options.lastWrittenAt + PROPAGATION_POLL_MS;
    if (writtenUntil !== undefined && now < writtenUntil) return { by: 'write', actions: [], patch: {}, writtenUntil };
    const patch: Partial<KeyRecord> =
      options.writeRecordedAs === 'repaired'
        ? { recordRepairedAt: now }
        : { route53ChangeId: undefined, route53InSyncAt: undefined };
    return { by: 'write', actions: [publishAction(spec, key)], patch };
  }
  if (options.urgent) return restoreRecord(ctx, key, diagnosis);
  const request = key.dnsRequest ?? newRequest(key.keyId, now, leadTimeDays(spec));
  if (!options.correctEvenIfReported && reportedRecently(request, diagnosis.code, now)) {
    return { by: 'correction', actions: [], patch: {} };
  }
  return {
    by: 'correction',
    actions: [notify(correctionRequest(spec, key, request, diagnosis, now))],
    patch: { dnsRequest: { ...request, reportedMistake: diagnosis.code, reportedMistakeAt: now } },
  };
}

/** The id of an urgent request to put a key's record back: `<key id>-restore-<yyyymmddhhmm>`. */
export function restoreRequestId(key: Pick<KeyRecord, 'keyId'>, now: number): string {
  return `${key.keyId}-restore-${new Date(now).toISOString().slice(0, 16).replace(/[-T:]/g, '')}`;
}

/**
 * External mode, the active key's record is broken: the urgent request to put it back — sent at once,
 * sent again until delivered, a new mistake corrected (each once within CORRECTION_REPEAT_DAYS), reminded
 * halfway and escalated at its 1-day deadline and every day after. `writtenUntil`: when to look again.
 */
function restoreRecord(ctx: Ctx, key: KeyRecord, diagnosis: RecordDiagnosis): RecordRepair {
  const { spec, now } = ctx;
  const ref = { kind: 'restoration', keyId: key.keyId } as const;
  const open = key.restoreRequest;
  if (!open) {
    const request: DnsTeamRequest = {
      ...newRequest(restoreRequestId(key, now), now, URGENT_LEAD_DAYS),
      urgent: true,
      reportedMistake: diagnosis.code,
      reportedMistakeAt: now,
    };
    return {
      by: 'correction',
      actions: [notify(changeRequest(spec, key, request, 'initial', now), ref)],
      patch: { restoreRequest: request },
    };
  }
  if (open.deliveredAt === undefined || open.resendRequested) {
    return {
      by: 'correction',
      actions: [
        notify(changeRequest(spec, key, open, open.deliveredAt === undefined ? 'initial' : 'resend', now), ref),
      ],
      patch: { restoreRequest: { ...open, resendRequested: false } },
    };
  }
  // A different mistake than the one last reported (e.g. the team put the record back wrongly): say what
  // is wrong now. The same one is followed up by the reminders and the daily escalations.
  if (open.reportedMistake !== diagnosis.code) {
    return {
      by: 'correction',
      actions: [notify(correctionRequest(spec, key, open, diagnosis, now))],
      patch: { restoreRequest: { ...open, reportedMistake: diagnosis.code, reportedMistakeAt: now } },
    };
  }
  const due = followUpDue(open, now);
  if (due.stage === 'reminder') {
    return {
      by: 'correction',
      actions: [notify(changeRequest(spec, key, open, 'reminder', now))],
      patch: { restoreRequest: { ...open, reminders: open.reminders + 1, lastReminderAt: now } },
    };
  }
  if (due.stage === 'escalation') {
    return {
      by: 'correction',
      actions: [notify(changeRequest(spec, key, open, 'escalation', now))],
      patch: { restoreRequest: { ...open, escalations: open.escalations + 1, lastEscalationAt: now } },
    };
  }
  return { by: 'correction', actions: [], patch: {}, writtenUntil: due.nextAt };
}
