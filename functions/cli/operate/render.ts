/**
 * How the operator commands print a domain: the status table's cells, the details under it, the
 * health verdict scripts rely on (exit 1 when a domain is not healthy), in Japanese or English.
 */
import type { DomainResponse } from '../../lifecycle/operator-answer';
import type { DomainView } from '../../lifecycle/domain-view';
import type { FiringAlarm } from './backend';
import { formatDate, formatTime, table, type Lang } from './text';

/** A domain is healthy when SES signs with its byodkim key, its record is right and no request is overdue. */
export function isHealthy(view: DomainView | undefined): boolean {
  if (!view) return false;
  return view.ses.healthy && view.dns.verdict === 'ok' && !view.requests.some((r) => r.overdue);
}

const MODE: Record<Lang, Record<string, string>> = {
  en: { route53: 'route53', external: 'external', delegated: 'delegated' },
  ja: { route53: 'route53', external: '外部DNS', delegated: '委任' },
};

function sesCell(view: DomainView, lang: Lang): string {
  const s = view.ses;
  if (!s.present) return lang === 'ja' ? 'ID なし' : 'no identity';
  const origin = s.origin === 'AWS_SES' ? 'Easy DKIM' : (s.origin ?? (lang === 'ja' ? 'DKIM なし' : 'no DKIM'));
  const signing = s.signingEnabled ? (lang === 'ja' ? '署名有効' : 'on') : lang === 'ja' ? '署名停止' : 'OFF';
  return `${origin} ${signing} ${s.status ?? ''}`.trim();
}

function dnsCell(view: DomainView, lang: Lang): string {
  const d = view.dns;
  switch (d.verdict) {
    case 'ok':
      return lang === 'ja' ? '正常' : 'ok';
    case 'problem':
      return `${lang === 'ja' ? '異常' : 'PROBLEM'}: ${d.code ?? '?'}`;
    case 'unknown':
      return lang === 'ja' ? '未確認' : 'unknown';
    default:
      return '-';
  }
}

function requestsCell(view: DomainView, lang: Lang, timeZone: string): string {
  if (view.requests.length === 0) return '-';
  const first = [...view.requests].sort((a, b) => a.deadline.localeCompare(b.deadline))[0]!;
  const overdue = view.requests.some((r) => r.overdue);
  const due = formatDate(first.deadline, timeZone);
  return lang === 'ja'
    ? `${view.requests.length} 件（期限 ${due}${overdue ? '、期限超過' : ''}）`
    : `${view.requests.length} open, due ${due}${overdue ? ' OVERDUE' : ''}`;
}

const HEADER: Record<Lang, string[]> = {
  en: ['DOMAIN', 'DNS MODE', 'ACTIVE SELECTOR', 'KEY AGE', 'NEXT ROTATION', 'SES', 'DNS RECORD', 'DNS REQUESTS'],
  ja: [
    'ドメイン',
    'DNS方式',
    '有効なセレクター',
    '鍵の使用日数',
    '次回ローテーション',
    'SES',
    'DNSレコード',
    'DNS依頼',
  ],
};

/** The status table: one row per domain. */
export function statusTable(responses: readonly DomainResponse[], lang: Lang, timeZone: string): string {
  const rows = responses.map((r) => {
    const v = r.view;
    if (!v) return [r.domain, '-', '-', '-', '-', '-', '-', r.outcome === 'done' ? '-' : r.message[lang]];
    const age = v.keyAgeDays !== undefined ? (lang === 'ja' ? `${v.keyAgeDays} 日` : `${v.keyAgeDays} d`) : '-';
    const next = v.rotation
      ? lang === 'ja'
        ? `進行中（${v.rotation.state}）`
        : `in progress (${v.rotation.state})`
      : formatDate(v.nextRotationAt, timeZone);
    return [
      v.domain,
      MODE[lang][v.dnsMode] ?? v.dnsMode,
      v.activeSelector ?? '-',
      age,
      next,
      sesCell(v, lang),
      dnsCell(v, lang),
      requestsCell(v, lang, timeZone),
    ];
  });
  return table(HEADER[lang], rows);
}

/** Lines under the table for one domain: what is going on and what needs someone. */
export function details(r: DomainResponse, lang: Lang, timeZone: string): string[] {
  const v = r.view;
  const ja = lang === 'ja';
  if (!v) {
    if (r.outcome !== 'done') return [`${r.domain}: ${r.message[lang]}${r.code ? ` (${r.code})` : ''}`];
    return (r.conditions ?? [])
      .filter((c) => c.status || c.type === 'Ready')
      .map((c) => `${r.domain}: ${c.type}=${c.status} ${c.reason}: ${c.message}`);
  }
  const lines: string[] = [];
  const at = (iso: string | undefined) => formatTime(iso, timeZone);
  if (v.signingDisabledAt)
    lines.push(
      ja
        ? `署名は無効化されています（${at(v.signingDisabledAt)} から）。メールは未署名で送信されます。再開: enable`
        : `signing is DISABLED since ${at(v.signingDisabledAt)}: mail goes out unsigned; resume with enable`,
    );
  if (v.compromiseHoldAt)
    lines.push(
      ja
        ? `鍵の漏えいにより署名を停止中です（${at(v.compromiseHoldAt)} から）。後継の鍵が DNS で検証されると自動で再開します`
        : `signing is held off after a compromised key (since ${at(v.compromiseHoldAt)}); it resumes once the replacement is verified in DNS`,
    );
  if (v.rotation) {
    const rot = v.rotation;
    lines.push(
      ja
        ? `ローテーション進行中: ${rot.selector}（${rot.state}、理由 ${rot.reason}）${rot.awaitingApproval ? ' — 承認待ち: approve を実行してください' : ''}`
        : `rotation in progress: ${rot.selector} (${rot.state}, reason ${rot.reason})${rot.awaitingApproval ? ' — waiting for approval: run approve' : ''}`,
    );
  }
  if (v.switchingTo)
    lines.push(
      ja
        ? `SES を ${v.switchingTo.selector ?? v.switchingTo.keyId} に切り替え中です（${v.switchingTo.reason}）`
        : `SES is being switched to ${v.switchingTo.selector ?? v.switchingTo.keyId} (${v.switchingTo.reason})`,
    );
  if (v.dns.verdict === 'problem' && v.dns.message)
    lines.push(`${ja ? 'DNS レコード' : 'DNS record'}: ${v.dns.message[lang]}`);
  for (const q of v.requests) {
    const kind = ja
      ? { publish: '登録依頼', revoke: '失効依頼', delegation: 'CNAME 設定依頼' }[q.kind]
      : { publish: 'publication request', revoke: 'revocation request', delegation: 'CNAME request' }[q.kind];
    lines.push(
      ja
        ? `DNS ${kind} ${q.id}: 送信 ${at(q.sentAt)}、期限 ${at(q.deadline)}${q.overdue ? '（期限超過）' : ''}、リマインド ${q.reminders} 回、エスカレーション ${q.escalations} 回${q.delivered ? '' : '、未配信（再送されます）'}`
        : `DNS ${kind} ${q.id}: sent ${at(q.sentAt)}, due ${at(q.deadline)}${q.overdue ? ' (OVERDUE)' : ''}, ${q.reminders} reminder(s), ${q.escalations} escalation(s)${q.delivered ? '' : ', not delivered yet (sent again)'}`,
    );
  }
  if (v.failure)
    lines.push(
      ja
        ? `直近の失敗: ${v.failure.code}（連続 ${v.failure.count} 回）: ${v.failure.message}。次の試行は ${at(v.failure.retryAfter)} 以降`
        : `last failure: ${v.failure.code} (${v.failure.count} in a row): ${v.failure.message}; next attempt after ${at(v.failure.retryAfter)}`,
    );
  if (!v.ses.healthy && !v.rotation && !v.signingDisabledAt && !v.compromiseHoldAt && v.activeSelector)
    lines.push(
      ja
        ? `SES は記録された鍵 ${v.activeSelector} で署名していません（${sesCell(v, lang)}、トークン [${v.ses.tokens.join(', ')}]）`
        : `SES does not sign with the recorded key ${v.activeSelector} (${sesCell(v, lang)}, tokens [${v.ses.tokens.join(', ')}])`,
    );
  return lines.map((line) => `${v.domain}: ${line}`);
}

/** The alarms section. `undefined`: not available (the simulated backend has no CloudWatch). */
export function alarmLines(alarms: readonly FiringAlarm[] | undefined, lang: Lang, timeZone: string): string[] {
  const ja = lang === 'ja';
  if (alarms === undefined)
    return [
      ja ? 'アラーム: （ローカル環境には CloudWatch がありません）' : 'alarms: (the local backend has no CloudWatch)',
    ];
  if (alarms.length === 0) return [ja ? 'アラーム: 発報中のものはありません' : 'alarms: none firing'];
  return [
    ja ? `アラーム: ${alarms.length} 件が発報中` : `alarms: ${alarms.length} FIRING`,
    ...alarms.map(
      (a) =>
        `  ${a.name}${a.since ? ` (${ja ? '発報' : 'since'} ${formatTime(a.since, timeZone)})` : ''}${a.reason ? `: ${a.reason}` : ''}`,
    ),
  ];
}
