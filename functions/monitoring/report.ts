/**
 * The monthly report (the operations team's check on the 1st of the month at 09:00, automated): for the
 * month just ended, every domain's active selector, key age, next rotation, open DNS-team requests,
 * rotations and incidents — as JSON (the REPORT item the CLI reads) and as text in Japanese and English
 * (the SNS message to the MonitoringSuite's topic, the environment's locale first).
 *
 * Pure: the report Lambda (functions/handlers/report.ts) reads the state table and hands the fleet in.
 * Never key material: selectors, dates, request ids and the key manager's audit messages only.
 */
import type { Locale } from '../core/contract';
import type { BilingualText } from '../core/errors';
import type { DnsMode, DomainSpec } from '../core/spec';
import { DAY_MS } from '../core/time';
import { activeKey, inFlightKey, type DomainState } from '../lifecycle/state';
import { snsSubject } from './alerts';
import { localDate, startOfLocalMonth } from './time-zone';
import { openDnsRequests, type Heartbeat } from './verdicts';

/** The report's JSON format; readers refuse one they do not know. */
export const REPORT_FORMAT = 1;

/** One audit event of the month (an EVENT item of the state table). */
export interface ReportEvent {
  readonly at: number;
  readonly policy: string;
  readonly message: string;
  readonly actions: readonly string[];
}

export interface ReportDomainInput {
  readonly spec: DomainSpec;
  readonly state?: DomainState;
  readonly heartbeat?: Heartbeat;
  /** The domain's audit events of the month (any order). */
  readonly events: readonly ReportEvent[];
}

export interface ReportOptions {
  readonly environment: string;
  /** The month reported on (usually the one that just ended). */
  readonly year: number;
  readonly month: number;
  readonly timeZone: string;
  readonly locale: Locale;
  /** When the report is generated (epoch ms). */
  readonly now: number;
}

/** What happened to a domain that operators should know about. */
export type IncidentKind =
  | 'signing-drift'
  | 'ses-failure'
  | 'record-repaired'
  | 'record-broke-during-switch'
  | 'compromise'
  | 'signing-off'
  | 'operator';

export interface ReportIncident {
  readonly at: string;
  readonly kind: IncidentKind;
  readonly policy: string;
  readonly detail: string;
}

export interface ReportOpenRequest {
  readonly id: string;
  readonly what: string;
  readonly sentAt: string;
  readonly deadline: string;
  readonly overdue: boolean;
}

export interface ReportDomain {
  readonly domain: string;
  readonly dnsMode: DnsMode['kind'];
  /** `signing`: SES signs with a byodkim key; `disabled`: signing off on purpose; `onboarding`: no key active yet. */
  readonly status: 'signing' | 'disabled' | 'onboarding';
  readonly selector?: string;
  readonly keyBits: number;
  readonly activeSince?: string;
  readonly keyAgeDays?: number;
  readonly intervalDays: number;
  /** When the next rotation starts (local date), or that it is under way. */
  readonly nextRotation?: string;
  readonly rotationInProgress?: { readonly selector: string; readonly state: string };
  readonly rotationsThisMonth: number;
  readonly openDnsRequests: readonly ReportOpenRequest[];
  readonly incidents: readonly ReportIncident[];
  /** When the key manager last finished a run (local date and time), if known. */
  readonly keyManagerLastRun?: string;
}

export interface MonthlyReport {
  readonly format: typeof REPORT_FORMAT;
  readonly environment: string;
  /** `2026-11`. */
  readonly month: string;
  readonly timeZone: string;
  readonly generatedAt: string;
  readonly totals: {
    readonly domains: number;
    readonly signing: number;
    readonly rotations: number;
    readonly incidents: number;
    readonly openDnsRequests: number;
    readonly overdueDnsRequests: number;
    readonly keysOverInterval: number;
  };
  readonly domains: readonly ReportDomain[];
}

/** Which key-manager policies are incidents, and of what kind. */
const INCIDENT_POLICIES: Readonly<Record<string, IncidentKind>> = {
  repairDrift: 'signing-drift',
  investigateSesFailure: 'ses-failure',
  repairActiveRecord: 'record-repaired',
  recordBrokeDuringSwitch: 'record-broke-during-switch',
  holdCompromisedKey: 'compromise',
  enforceSigningOff: 'signing-off',
};

const OPERATOR_COMMANDS = ['rotate', 'approve', 'disable', 'enable', 'rollback', 'revoke', 'dns-request'];

function incidentKind(policy: string): IncidentKind | undefined {
  if (policy.startsWith('command:')) {
    return OPERATOR_COMMANDS.includes(policy.slice('command:'.length)) ? 'operator' : undefined;
  }
  return INCIDENT_POLICIES[policy];
}

const INCIDENT_LABEL: Record<IncidentKind, BilingualText> = {
  'signing-drift': {
    en: 'SES signing was changed outside byodkim and put back',
    ja: 'SES の署名設定が外部から変更され、元に戻しました',
  },
  'ses-failure': { en: 'SES reported a DKIM failure', ja: 'SES が DKIM の失敗を報告しました' },
  'record-repaired': { en: 'the active record was wrong and was repaired', ja: '有効なレコードの誤りを修復しました' },
  'record-broke-during-switch': {
    en: 'the record broke during a key switch',
    ja: '鍵の切り替え中にレコードが壊れました',
  },
  compromise: { en: 'a compromised key was handled', ja: '漏えいした鍵に対応しました' },
  'signing-off': { en: 'signing was kept off', ja: '署名を停止したままにしました' },
  operator: { en: 'operator command', ja: '運用者の操作' },
};

function monthKey(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** The report of one month over the fleet (domains sorted by name). */
export function buildMonthlyReport(fleet: readonly ReportDomainInput[], options: ReportOptions): MonthlyReport {
  const { timeZone, now } = options;
  const from = startOfLocalMonth(options.year, options.month, timeZone);
  const to =
    options.month === 12
      ? startOfLocalMonth(options.year + 1, 1, timeZone)
      : startOfLocalMonth(options.year, options.month + 1, timeZone);
  const inMonth = (ms: number | undefined) => ms !== undefined && ms >= from && ms < to;

  const domains = [...fleet]
    .sort((a, b) => a.spec.domain.localeCompare(b.spec.domain))
    .map(({ spec, state, heartbeat, events }): ReportDomain => {
      const active = state ? activeKey(state) : undefined;
      const inFlight = state ? inFlightKey(state) : undefined;
      const disabled = state?.signingDisabledAt !== undefined || state?.compromiseHoldAt !== undefined;
      const status = disabled ? 'disabled' : active ? 'signing' : 'onboarding';
      const activatedAt = active?.activatedAt;
      const { intervalDays, renewBeforeDays } = spec.rotation;
      const requests = state
        ? openDnsRequests(state).map(({ what, request }) => ({
            id: request.id,
            what,
            sentAt: localDate(request.sentAt, timeZone),
            deadline: localDate(request.deadline, timeZone),
            overdue: now > request.deadline,
          }))
        : [];
      const incidents = events
        .filter((e) => inMonth(e.at))
        .sort((a, b) => a.at - b.at)
        .flatMap((e) => {
          const kind = incidentKind(e.policy);
          return kind ? [{ at: localDate(e.at, timeZone), kind, policy: e.policy, detail: e.message }] : [];
        });
      const lastRun = heartbeat?.lastRunAt;
      return {
        domain: spec.domain,
        dnsMode: spec.dns.kind,
        status,
        ...(active ? { selector: active.selector } : {}),
        keyBits: spec.keyBits,
        ...(activatedAt !== undefined
          ? {
              activeSince: localDate(activatedAt, timeZone),
              keyAgeDays: Math.floor((now - activatedAt) / DAY_MS),
            }
          : {}),
        intervalDays,
        ...(inFlight
          ? { rotationInProgress: { selector: inFlight.selector, state: inFlight.state } }
          : activatedAt !== undefined
            ? { nextRotation: localDate(activatedAt + (intervalDays - renewBeforeDays) * DAY_MS, timeZone) }
            : {}),
        rotationsThisMonth: (state?.keys ?? []).filter((k) => inMonth(k.activatedAt)).length,
        openDnsRequests: requests,
        incidents,
        ...(lastRun !== undefined ? { keyManagerLastRun: localDate(lastRun, timeZone) } : {}),
      };
    });

  return {
    format: REPORT_FORMAT,
    environment: options.environment,
    month: monthKey(options.year, options.month),
    timeZone,
    generatedAt: new Date(now).toISOString(),
    totals: {
      domains: domains.length,
      signing: domains.filter((d) => d.status === 'signing').length,
      rotations: domains.reduce((n, d) => n + d.rotationsThisMonth, 0),
      incidents: domains.reduce((n, d) => n + d.incidents.length, 0),
      openDnsRequests: domains.reduce((n, d) => n + d.openDnsRequests.length, 0),
      overdueDnsRequests: domains.reduce((n, d) => n + d.openDnsRequests.filter((r) => r.overdue).length, 0),
      keysOverInterval: domains.filter((d) => d.keyAgeDays !== undefined && d.keyAgeDays > d.intervalDays).length,
    },
    domains,
  };
}

const STATUS: Record<ReportDomain['status'], BilingualText> = {
  signing: { en: 'signing', ja: '署名中' },
  disabled: { en: 'signing OFF on purpose', ja: '署名を意図的に停止中' },
  onboarding: { en: 'no key active yet', ja: '鍵の準備中（未有効）' },
};

/**
 * The most octets of text per language: an SNS message holds 256 KB, and the report is both languages.
 * Domains beyond it are counted, not listed (the REPORT item always holds every domain).
 */
export const MAX_REPORT_TEXT_OCTETS = 120_000;

/** Header lines, then per-domain blocks while they fit in `budget` octets, then how many were left out. */
function fitted(head: string[], blocks: string[][], budget: number, more: (n: number) => string): string {
  const lines = [...head];
  let size = Buffer.byteLength(lines.join('\n'), 'utf8');
  let listed = 0;
  for (const block of blocks) {
    const text = `\n\n${block.join('\n')}`;
    const octets = Buffer.byteLength(text, 'utf8');
    if (size + octets > budget) break;
    lines.push('', ...block);
    size += octets;
    listed += 1;
  }
  if (listed < blocks.length) lines.push('', more(blocks.length - listed));
  return lines.join('\n');
}

/** The report as SNS subject (ASCII) and bilingual text, the locale first. */
export function renderMonthlyReport(
  report: MonthlyReport,
  locale: Locale,
  maxOctets: number = MAX_REPORT_TEXT_OCTETS,
): { subject: string; message: string } {
  const t = report.totals;
  const attention = t.overdueDnsRequests + t.keysOverInterval;
  const subject = snsSubject(
    `[byodkim] INFO ${report.environment}: monthly report ${report.month}: ${t.domains} domains, ${t.rotations} rotations, ${t.incidents} incidents${attention > 0 ? `, ${attention} need attention` : ''}`,
  );

  const en = (): string => {
    const head = [
      `byodkim monthly DKIM report: environment ${report.environment}, ${report.month} (${report.timeZone})`,
      `Generated ${report.generatedAt}.`,
      '',
      `Domains ${t.domains} (signing ${t.signing}), rotations ${t.rotations}, incidents ${t.incidents}, open DNS-team requests ${t.openDnsRequests} (overdue ${t.overdueDnsRequests}), keys over their interval ${t.keysOverInterval}.`,
    ];
    const blocks = report.domains.map((d) => {
      const lines: string[] = [];
      lines.push(`${d.domain} [${d.dnsMode}]: ${STATUS[d.status].en}`);
      if (d.selector) {
        lines.push(
          `  selector ${d.selector} (RSA ${d.keyBits}), active since ${d.activeSince ?? 'unknown'}, ${d.keyAgeDays ?? '?'} days old (interval ${d.intervalDays} days)`,
        );
      }
      if (d.rotationInProgress)
        lines.push(`  rotation in progress: ${d.rotationInProgress.selector} (${d.rotationInProgress.state})`);
      else if (d.nextRotation) lines.push(`  next rotation starts ${d.nextRotation}`);
      lines.push(`  rotations this month ${d.rotationsThisMonth}`);
      for (const r of d.openDnsRequests)
        lines.push(
          `  DNS-team request ${r.id} (${r.what}), sent ${r.sentAt}, deadline ${r.deadline}${r.overdue ? ' - OVERDUE' : ''}`,
        );
      for (const i of d.incidents)
        lines.push(`  incident ${i.at}: ${INCIDENT_LABEL[i.kind].en} (${i.policy}): ${i.detail}`);
      if (d.keyManagerLastRun) lines.push(`  key manager last finished a run ${d.keyManagerLastRun}`);
      return lines;
    });
    return fitted(
      head,
      blocks,
      maxOctets,
      (n) =>
        `... and ${n} more ${n === 1 ? 'domain' : 'domains'}: the whole report is the REPORT item ${report.month} of the state table (pk REPORT, sk ${report.month}).`,
    );
  };

  const ja = (): string => {
    const head = [
      `byodkim DKIM 月次レポート（${report.environment} 環境、${report.month}、${report.timeZone}）`,
      `作成日時: ${report.generatedAt}`,
      '',
      `ドメイン ${t.domains} 件（署名中 ${t.signing} 件）、ローテーション ${t.rotations} 回、インシデント ${t.incidents} 件、DNS 管理チームへの未完了の依頼 ${t.openDnsRequests} 件（期限超過 ${t.overdueDnsRequests} 件）、ローテーション間隔を超えた鍵 ${t.keysOverInterval} 件。`,
    ];
    const blocks = report.domains.map((d) => {
      const lines: string[] = [];
      lines.push(`${d.domain}［${d.dnsMode}］: ${STATUS[d.status].ja}`);
      if (d.selector) {
        lines.push(
          `  セレクター ${d.selector}（RSA ${d.keyBits} ビット）、${d.activeSince ?? '不明'} から使用、使用日数 ${d.keyAgeDays ?? '?'} 日（間隔 ${d.intervalDays} 日）`,
        );
      }
      if (d.rotationInProgress)
        lines.push(`  ローテーション進行中: ${d.rotationInProgress.selector}（${d.rotationInProgress.state}）`);
      else if (d.nextRotation) lines.push(`  次回ローテーション開始予定: ${d.nextRotation}`);
      lines.push(`  今月のローテーション: ${d.rotationsThisMonth} 回`);
      for (const r of d.openDnsRequests)
        lines.push(
          `  DNS 管理チームへの依頼 ${r.id}（${r.what}）: ${r.sentAt} 送信、期限 ${r.deadline}${r.overdue ? '、期限超過' : ''}`,
        );
      for (const i of d.incidents)
        lines.push(`  インシデント ${i.at}: ${INCIDENT_LABEL[i.kind].ja}（${i.policy}）。詳細（英語）: ${i.detail}`);
      if (d.keyManagerLastRun) lines.push(`  鍵管理の最終実行: ${d.keyManagerLastRun}`);
      return lines;
    });
    return fitted(
      head,
      blocks,
      maxOctets,
      (n) =>
        `ほか ${n} 件のドメインは省略しました。全ドメインの内容は状態テーブルの REPORT 項目（pk REPORT、sk ${report.month}）にあります。`,
    );
  };

  const [first, second] = locale === 'ja' ? [ja(), en()] : [en(), ja()];
  return { subject, message: `${first}\n\n${'-'.repeat(72)}\n\n${second}\n` };
}
