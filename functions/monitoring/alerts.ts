/**
 * The monitor's alert: one SNS message per run that found problems, to the MonitoringSuite's topic.
 *
 * - Subject: ASCII (SNS refuses anything else), at most 100 characters, e.g.
 *   `[byodkim] CRITICAL dev: 2 domains unhealthy`.
 * - Body: both languages, the environment's locale first (BYODKIM_LOCALE), separated by a rule; each
 *   domain with its findings, the most severe first; at most {@link MAX_DOMAINS_LISTED} domains, then how
 *   many more and the Logs Insights query that lists them all.
 * - When: a run with a CRITICAL finding alerts every time (hourly by default, until it is fixed); a run
 *   whose worst finding is a WARNING alerts once a day, at its run in the 09:00 hour of the report time
 *   zone (the operations team's morning check) — the alarms page on the transitions in between. INFO
 *   findings never alert.
 *
 * Never key material: the findings name selectors, servers, lengths and codes only.
 */
import type { Locale } from '../core/contract';
import type { BilingualText } from '../core/errors';
import { localDateTime, localTime } from './time-zone';
import { SEVERITIES, type DomainVerdicts, type Finding, type RunSummary, type Severity } from './verdicts';

/** SNS `Subject`: at most 100 printable ASCII characters. */
export const SNS_SUBJECT_MAX = 100;
/** Domains listed in one alert; the rest are counted (an SNS message holds 256 KB). */
export const MAX_DOMAINS_LISTED = 40;
/** The local hour at which a WARNING-only run alerts (once a day with the default hourly schedule). */
export const WARNING_DIGEST_HOUR = 9;

export interface Alert {
  readonly severity: Severity;
  readonly subject: string;
  readonly message: string;
}

export interface AlertOptions {
  readonly environment: string;
  readonly locale: Locale;
  readonly timeZone: string;
  readonly now: number;
}

const LABEL: Record<Severity, BilingualText> = {
  CRITICAL: { en: 'CRITICAL', ja: '重大' },
  WARNING: { en: 'WARNING', ja: '警告' },
  INFO: { en: 'INFO', ja: '情報' },
};

function ascii(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Printable ASCII, at most 100 characters (cut with `...`). */
export function snsSubject(text: string): string {
  const subject = ascii(text);
  return subject.length <= SNS_SUBJECT_MAX ? subject : `${subject.slice(0, SNS_SUBJECT_MAX - 3).trimEnd()}...`;
}

function worst(findings: readonly Finding[]): Severity | undefined {
  return SEVERITIES.find((s) => findings.some((f) => f.severity === s));
}

/** Whether a run whose worst finding is `severity` publishes an alert at `now`. */
export function shouldAlert(severity: Severity | undefined, now: number, timeZone: string): boolean {
  if (severity === 'CRITICAL') return true;
  if (severity === 'WARNING') return localTime(now, timeZone).hour === WARNING_DIGEST_HOUR;
  return false;
}

/** The Logs Insights query that lists every domain with a problem in the monitor's log group. */
export function logsInsightsQuery(): string {
  return 'fields @timestamp, domain, selector, findings | filter message = "monitor.domain" and problems > 0 | sort domain asc';
}

/**
 * The alert of a run, or undefined when no domain has a WARNING or CRITICAL finding. Whether to publish it
 * now is {@link shouldAlert}'s call.
 */
export function renderAlert(
  verdicts: readonly DomainVerdicts[],
  summary: RunSummary,
  options: AlertOptions,
): Alert | undefined {
  const troubled = verdicts
    .map((v) => ({ v, findings: v.findings.filter((f) => f.severity !== 'INFO') }))
    .filter(({ findings }) => findings.length > 0)
    .map(({ v, findings }) => ({ v, findings, severity: worst(findings)! }))
    .sort(
      (a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.v.domain.localeCompare(b.v.domain),
    );
  if (troubled.length === 0) return undefined;
  const severity = troubled[0]!.severity;
  const critical = troubled.filter((t) => t.severity === 'CRITICAL').length;
  const warning = troubled.length - critical;
  const noun = (n: number) => (n === 1 ? 'domain' : 'domains');
  const subjectSummary =
    critical > 0
      ? `${critical} ${noun(critical)} unhealthy${warning > 0 ? `, ${warning} with warnings` : ''}`
      : `${warning} ${noun(warning)} need attention`;
  const subject = snsSubject(`[byodkim] ${severity} ${options.environment}: ${subjectSummary}`);

  const when = `${localDateTime(options.now, options.timeZone)} (${options.timeZone})`;
  const listed = troubled.slice(0, MAX_DOMAINS_LISTED);
  const more = troubled.length - listed.length;
  const counts: BilingualText = {
    en: [
      `checked ${summary.domainsChecked}`,
      `SES unhealthy ${summary.domainsUnhealthy}`,
      `signing drift ${summary.signingDrift}`,
      `record problems ${summary.recordProblems}`,
      `keys over interval ${summary.keysOverInterval}`,
      `expiring without rotation ${summary.keysExpiringNoRotation}`,
      `DNS requests overdue ${summary.dnsRequestsOverdue}`,
      `key manager silent ${summary.keyManagerSilent}`,
    ].join(', '),
    ja: [
      `確認 ${summary.domainsChecked} 件`,
      `SES 異常 ${summary.domainsUnhealthy} 件`,
      `署名の乖離 ${summary.signingDrift} 件`,
      `レコードの問題 ${summary.recordProblems} 件`,
      `鍵の期限超過 ${summary.keysOverInterval} 件`,
      `ローテーション未開始 ${summary.keysExpiringNoRotation} 件`,
      `DNS 依頼の期限超過 ${summary.dnsRequestsOverdue} 件`,
      `鍵管理の停止 ${summary.keyManagerSilent} 件`,
    ].join('、'),
  };

  const section = (lang: 'en' | 'ja'): string => {
    const lines: string[] = [];
    if (lang === 'en') {
      lines.push(`byodkim monitor, environment ${options.environment}, ${when}`);
      lines.push(
        `${troubled.length} ${noun(troubled.length)} with problems (${critical} critical, ${warning} warning). Counts: ${counts.en}.`,
      );
    } else {
      lines.push(`byodkim 監視（${options.environment} 環境）${when}`);
      lines.push(
        `問題のあるドメイン: ${troubled.length} 件（重大 ${critical} 件、警告 ${warning} 件）。内訳: ${counts.ja}。`,
      );
    }
    for (const { v, findings, severity: s } of listed) {
      const selector = v.activeSelector ?? (lang === 'en' ? 'no active key' : '有効な鍵なし');
      lines.push('');
      lines.push(
        lang === 'en'
          ? `[${LABEL[s].en}] ${v.domain} (selector ${selector})`
          : `【${LABEL[s].ja}】${v.domain}（セレクター ${selector}）`,
      );
      for (const f of findings) lines.push(`  - ${lang === 'en' ? '' : `${LABEL[f.severity].ja}: `}${f.message[lang]}`);
    }
    if (more > 0) {
      lines.push('');
      lines.push(
        lang === 'en'
          ? `... and ${more} more ${noun(more)}. List them all in CloudWatch Logs Insights (the monitor's log group): ${logsInsightsQuery()}`
          : `ほか ${more} 件。すべてのドメインは CloudWatch Logs Insights（監視 Lambda のロググループ）で次のクエリにより一覧できます: ${logsInsightsQuery()}`,
      );
    }
    return lines.join('\n');
  };
  const [first, second] = options.locale === 'ja' ? (['ja', 'en'] as const) : (['en', 'ja'] as const);
  const message = `${section(first)}\n\n${'-'.repeat(72)}\n\n${section(second)}\n`;
  return { severity, subject, message };
}
