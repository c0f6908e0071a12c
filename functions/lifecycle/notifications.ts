/**
 * Every message the lifecycle engine sends, built as plain data (pure functions, no I/O): change requests
 * to DNS teams (Japanese and English, in the team's language first), reminders, escalations, corrections
 * that quote the record diagnosis, and notices to operators.
 *
 * A change request carries everything a DNS team needs to act without asking back: the record name, type,
 * TTL, the value as ≤255-character strings of ONE record, a zone-file line, the deadline, and what to reply
 * when done. Never private key material (invariant 6): only selectors, names and public keys.
 */
import type { BilingualText } from '../core/errors';
import { DAY_MS, HOUR_MS } from '../core/time';
import type { DiagnosisCode, RecordDiagnosis } from '../dkim/dns-answer';
import { REVOCATION_VALUE, formatRecordValue, quoteString, splitIntoStrings, zoneFileLine } from '../dkim/record';
import { lookupName, slotSelector, slotTarget } from './observations';
import type { DomainSpec, Locale } from '../core/spec';
import type { DnsTeamRequest, KeyRecord } from './state';

export type NotificationKind =
  | 'dns-change-request'
  | 'dns-change-reminder'
  | 'dns-change-escalation'
  | 'dns-correction'
  | 'dns-revocation-request'
  | 'delegation-request'
  | 'delegation-correction'
  | 'rotation-completed'
  | 'approval-needed'
  | 'ses-failed'
  | 'key-overdue'
  | 'compromise'
  | 'signing-drift';

export type Audience = 'dns-team' | 'operators';

export interface Notification {
  readonly kind: NotificationKind;
  readonly audience: Audience;
  readonly domain: string;
  /** E-mail addresses for the DNS team; empty for operators (the SNS topic's subscribers). */
  readonly to: readonly string[];
  readonly subject: BilingualText;
  readonly body: BilingualText;
  /** Which language goes first when both are rendered into one message. */
  readonly locale: Locale;
  readonly requestId?: string;
  readonly selector?: string;
}

/** TTL requested from DNS teams and written by byodkim: short enough that a mistake is fixed within the hour. */
export const EXTERNAL_RECORD_TTL_SECONDS = 3600;
/** TTL byodkim writes in Route 53 (route53 and delegated modes). */
export const ROUTE53_RECORD_TTL_SECONDS = 300;

const JST_OFFSET_MS = 9 * HOUR_MS;
const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'];
const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `2025-09-21 (Sun) 09:00 JST`: deadlines are read in Tokyo. */
export function formatJst(ms: number, locale: Locale = 'en'): string {
  const d = new Date(ms + JST_OFFSET_MS);
  const date = d.toISOString().slice(0, 10);
  const time = d.toISOString().slice(11, 16);
  const weekday = locale === 'ja' ? WEEKDAYS_JA[d.getUTCDay()] : WEEKDAYS_EN[d.getUTCDay()];
  return `${date} (${weekday}) ${time} JST`;
}

/** Renders both languages into one text, the team's (or operators') language first. */
export function renderText(n: Notification): string {
  const [first, second] = n.locale === 'ja' ? [n.body.ja, n.body.en] : [n.body.en, n.body.ja];
  const rule = '-'.repeat(72);
  return `${first}\n\n${rule}\n\n${second}\n`;
}

export function renderSubject(n: Notification): string {
  return n.locale === 'ja' ? `${n.subject.ja} / ${n.subject.en}` : `${n.subject.en} / ${n.subject.ja}`;
}

function team(spec: DomainSpec): { to: readonly string[]; locale: Locale; leadTimeDays: number } {
  if (spec.dns.kind === 'route53') return { to: [], locale: 'ja', leadTimeDays: 0 };
  return { to: spec.dns.contacts, locale: spec.dns.locale, leadTimeDays: spec.dns.leadTimeDays };
}

function numbered(strings: readonly string[]): string {
  return strings.map((s, i) => `  [${i + 1}/${strings.length}] (${s.length}) ${quoteString(s)}`).join('\n');
}

export type RequestStage = 'initial' | 'reminder' | 'resend' | 'escalation';

const STAGE_PREFIX: Record<RequestStage, BilingualText> = {
  initial: { en: '', ja: '' },
  reminder: { en: '[Reminder] ', ja: '【リマインド】' },
  resend: { en: '[Resent] ', ja: '【再送】' },
  escalation: { en: '[OVERDUE] ', ja: '【期限超過】' },
};

function stageKind(stage: RequestStage): NotificationKind {
  if (stage === 'escalation') return 'dns-change-escalation';
  if (stage === 'reminder') return 'dns-change-reminder';
  return 'dns-change-request';
}

/** The opening paragraph of an escalation (empty for the other stages). */
function overdueLines(request: DnsTeamRequest, stage: RequestStage, now: number): BilingualText {
  if (stage !== 'escalation') return { en: '', ja: '' };
  const days = Math.floor((now - request.deadline) / DAY_MS);
  return {
    en: `This request is ${days} day(s) past its deadline (${formatJst(request.deadline, 'en')}). The current key keeps signing meanwhile, but it is getting older than the rotation policy allows. Please publish the record, or tell us when you can.\n\n`,
    ja: `本依頼は期限（${formatJst(request.deadline, 'ja')}）を ${days} 日超過しています。その間も現在の鍵で署名を続けていますが、ローテーション方針の上限を超えつつあります。レコードの登録、または対応可能な日程のご連絡をお願いいたします。\n\n`,
  };
}

/**
 * The opening paragraph of an urgent request (empty otherwise): the record of the key SES signs with was
 * deleted or changed by hand (restore it), or a compromised key's replacement (signing is off until it is
 * published).
 */
function urgentLines(spec: DomainSpec, key: KeyRecord, request: DnsTeamRequest): BilingualText {
  if (!request.urgent) return { en: '', ja: '' };
  if (key.state === 'active') {
    return {
      en: `URGENT: the DKIM record of selector ${key.selector}, which ${spec.domain} signs its mail with right now, was deleted or changed. Receivers fail DKIM verification of that mail until the record is back. Please restore it exactly as below now (deadline: ${formatJst(request.deadline, 'en')}).\n\n`,
      ja: `【緊急】${spec.domain} が現在メールの署名に使用しているセレクター ${key.selector} の DKIM レコードが削除または変更されています。レコードが戻るまで、受信側での DKIM 検証が失敗します。至急、以下のとおり元に戻してください（期限: ${formatJst(request.deadline, 'ja')}）。\n\n`,
    };
  }
  return {
    en: `URGENT: a DKIM key of ${spec.domain} may be compromised. It was revoked and DKIM signing is off until the new key below is published. Please add its record now (deadline: ${formatJst(request.deadline, 'en')}); signing resumes as soon as it is verified.\n\n`,
    ja: `【緊急】${spec.domain} の DKIM 鍵が漏えいした可能性があるため失効させ、新しい鍵のレコードが登録されるまで DKIM 署名を停止しています。至急、以下のレコードを追加してください（期限: ${formatJst(request.deadline, 'ja')}）。登録を確認でき次第、署名を再開します。\n\n`,
  };
}

/** The publication request for a new selector (external mode), or its reminder / resend / escalation. */
export function changeRequest(
  spec: DomainSpec,
  key: KeyRecord,
  request: DnsTeamRequest,
  stage: RequestStage,
  now: number,
): Notification {
  const { to, locale } = team(spec);
  const name = lookupName(spec, key.selector);
  const value = formatRecordValue(key.publicKey ?? '');
  const strings = splitIntoStrings(value);
  const zoneLine = zoneFileLine(name, value, EXTERNAL_RECORD_TTL_SECONDS);
  const prefix = STAGE_PREFIX[stage];
  const overdue = overdueLines(request, stage, now);
  const urgent = urgentLines(spec, key, request);
  const ja =
    `${overdue.ja}DNS 管理チーム ご担当者様\n\n${urgent.ja}` +
    `${spec.domain} の DKIM 鍵ローテーションのため、以下の TXT レコードを 1 件追加してください。\n` +
    `既存のレコードは変更・削除しないでください（現在の鍵で署名を続けています）。\n\n` +
    `■ 依頼番号: ${request.id}\n` +
    `■ 期限: ${formatJst(request.deadline, 'ja')}\n` +
    `■ レコード名: ${name}.\n` +
    `■ タイプ: TXT（CNAME ではありません）\n` +
    `■ TTL: ${EXTERNAL_RECORD_TTL_SECONDS}\n` +
    `■ 値（${value.length} 文字。1 件のレコードに ${strings.length} つの文字列として登録。引用符 " は値に含めないでください）:\n${numbered(strings)}\n\n` +
    `■ ゾーンファイル形式（BIND）:\n${zoneLine}\n\n` +
    `■ 注意: 255 文字で切り捨てない／2 件のレコードに分けない／レコード名にドメインを二重に付けない（${name}.${spec.domain} は誤り）／古い値を再利用しない。\n\n` +
    `■ 完了時のご返信: 件名に「${request.id} 設定完了」と記載してご返信ください。登録は自動で検証し、誤りがあれば内容を具体的にお知らせします。\n`;
  const en =
    `${overdue.en}Dear DNS team,\n\n${urgent.en}` +
    `For the DKIM key rotation of ${spec.domain}, please ADD the following TXT record.\n` +
    `Do not change or delete existing records (the current key keeps signing).\n\n` +
    `- Request id: ${request.id}\n` +
    `- Deadline: ${formatJst(request.deadline, 'en')}\n` +
    `- Name: ${name}.\n` +
    `- Type: TXT (not CNAME)\n` +
    `- TTL: ${EXTERNAL_RECORD_TTL_SECONDS}\n` +
    `- Value (${value.length} characters, as ${strings.length} strings of ONE record; the quotes are not part of the value):\n${numbered(strings)}\n\n` +
    `- Zone file line (BIND):\n${zoneLine}\n\n` +
    `- Please: do not cut the value at 255 characters, do not split it into two records, do not append the domain twice (${name}.${spec.domain} is wrong), do not reuse an old value.\n\n` +
    `- When done, reply with "${request.id} done" in the subject. The record is verified automatically; if anything is wrong you will be told exactly what.\n`;
  return {
    kind: stageKind(stage),
    audience: 'dns-team',
    domain: spec.domain,
    to,
    locale,
    requestId: request.id,
    selector: key.selector,
    subject: {
      en: `${prefix.en}${request.urgent ? 'URGENT ' : ''}DKIM TXT record request ${request.id} for ${spec.domain} (due ${formatJst(request.deadline, 'en')})`,
      ja: `${prefix.ja}${request.urgent ? '【緊急】' : ''}DKIM TXT レコード設定依頼 ${request.id}（${spec.domain}、期限 ${formatJst(request.deadline, 'ja')}）`,
    },
    body: { en, ja },
  };
}

/** The DNS team published something, but not the right record: say exactly what is wrong (the diagnosis). */
export function correctionRequest(
  spec: DomainSpec,
  key: KeyRecord,
  request: DnsTeamRequest,
  diagnosis: RecordDiagnosis,
  now: number,
): Notification {
  const base = changeRequest(spec, key, request, 'initial', now);
  return {
    ...base,
    kind: 'dns-correction',
    subject: {
      en: `[Correction needed] ${request.urgent ? 'URGENT ' : ''}DKIM TXT record ${request.id} for ${spec.domain}: ${diagnosis.code}`,
      ja: `【修正のお願い】${request.urgent ? '【緊急】' : ''}DKIM TXT レコード ${request.id}（${spec.domain}）: ${diagnosis.code}`,
    },
    body: {
      en: `The record published for request ${request.id} is not correct yet:\n\n  ${diagnosis.message.en}\n\nThe correct record, again:\n\n${base.body.en}`,
      ja: `依頼 ${request.id} で登録いただいたレコードに誤りがあります:\n\n  ${diagnosis.message.ja}\n\n正しい内容を再掲します:\n\n${base.body.ja}`,
    },
  };
}

/** External mode: ask the DNS team to revoke a retired selector (`v=DKIM1; p=`), or its reminder/escalation. */
export function revocationRequest(
  spec: DomainSpec,
  key: KeyRecord,
  request: DnsTeamRequest,
  stage: RequestStage,
  now: number,
): Notification {
  const { to, locale } = team(spec);
  const name = lookupName(spec, key.selector);
  const zoneLine = zoneFileLine(name, REVOCATION_VALUE, EXTERNAL_RECORD_TTL_SECONDS);
  const prefix = STAGE_PREFIX[stage];
  const overdue = overdueLines(request, stage, now);
  const urgent = key.compromisedAt !== undefined;
  // An open request to put this record back is overtaken: the team must not restore it after revoking it.
  const restore = key.restoreRequest?.id;
  const replaces = restore
    ? {
        ja: `■ この依頼は、同じレコードを復旧する依頼 ${restore} に代わるものです。${restore} は対応しないでください。\n`,
        en: `- This request replaces request ${restore} to put the same record back: please do not carry out ${restore}.\n`,
      }
    : { ja: '', en: '' };
  const ja =
    `${overdue.ja}DNS 管理チーム ご担当者様\n\n` +
    (urgent
      ? `【緊急】${spec.domain} の DKIM 鍵（セレクター ${key.selector}）が漏えいした可能性があります。至急、以下のとおりレコードを失効させてください。\n\n`
      : `${spec.domain} の DKIM 鍵（セレクター ${key.selector}）は使用を終了しました。以下のとおりレコードの値を置き換えて失効させてください（削除でも構いません）。\n\n`) +
    `■ 依頼番号: ${request.id}\n■ 期限: ${formatJst(request.deadline, 'ja')}\n■ レコード名: ${name}.\n■ タイプ: TXT\n` +
    `■ 新しい値: ${quoteString(REVOCATION_VALUE)}\n■ ゾーンファイル形式（BIND）:\n${zoneLine}\n\n` +
    replaces.ja +
    `■ 完了時のご返信: 件名に「${request.id} 設定完了」と記載してご返信ください。\n`;
  const en =
    `${overdue.en}Dear DNS team,\n\n` +
    (urgent
      ? `URGENT: the DKIM key of ${spec.domain} with selector ${key.selector} may be compromised. Please revoke its record now:\n\n`
      : `The DKIM key of ${spec.domain} with selector ${key.selector} is retired. Please revoke its record by replacing the value (deleting the record is also fine):\n\n`) +
    `- Request id: ${request.id}\n- Deadline: ${formatJst(request.deadline, 'en')}\n- Name: ${name}.\n- Type: TXT\n` +
    `- New value: ${quoteString(REVOCATION_VALUE)}\n- Zone file line (BIND):\n${zoneLine}\n\n` +
    replaces.en +
    `- When done, reply with "${request.id} done" in the subject.\n`;
  return {
    kind: stage === 'escalation' ? 'dns-change-escalation' : 'dns-revocation-request',
    audience: 'dns-team',
    domain: spec.domain,
    to,
    locale,
    requestId: request.id,
    selector: key.selector,
    subject: {
      en: `${prefix.en}${urgent ? 'URGENT ' : ''}DKIM record revocation ${request.id} for ${spec.domain}`,
      ja: `${prefix.ja}${urgent ? '【緊急】' : ''}DKIM レコード失効依頼 ${request.id}（${spec.domain}）`,
    },
    body: { en, ja },
  };
}

function cnameLine(from: string, to: string): string {
  return `${from}. ${EXTERNAL_RECORD_TTL_SECONDS} IN CNAME ${to}.`;
}

/** Delegated mode: the one-time request for the two selector-slot CNAMEs. */
export function delegationRequest(
  spec: DomainSpec,
  request: DnsTeamRequest,
  stage: RequestStage,
  now: number,
): Notification {
  const { to, locale } = team(spec);
  const slots = ([1, 2] as const).map((slot) => ({
    from: lookupName(spec, slotSelector(spec, slot)),
    to: slotTarget(spec, slot),
  }));
  const lines = slots.map((s) => cnameLine(s.from, s.to)).join('\n');
  const prefix = STAGE_PREFIX[stage];
  const overdue = overdueLines(request, stage, now);
  const ja =
    `${overdue.ja}DNS 管理チーム ご担当者様\n\n` +
    `${spec.domain} の DKIM 鍵を今後自動でローテーションするため、以下の CNAME レコード 2 件を一度だけ追加してください。` +
    `以後の鍵の切り替えでは DNS の変更依頼は発生しません。\n\n` +
    `■ 依頼番号: ${request.id}\n■ 期限: ${formatJst(request.deadline, 'ja')}\n` +
    slots.map((s, i) => `■ レコード ${i + 1}: ${s.from}. CNAME ${s.to}.\n`).join('') +
    `■ ゾーンファイル形式（BIND）:\n${lines}\n\n` +
    `■ 注意: TXT ではなく CNAME です。レコード名にドメインを二重に付けないでください。\n` +
    `■ 完了時のご返信: 件名に「${request.id} 設定完了」と記載してご返信ください。\n`;
  const en =
    `${overdue.en}Dear DNS team,\n\n` +
    `So that the DKIM keys of ${spec.domain} can rotate automatically from now on, please add these two CNAME records once. ` +
    `Later key rotations need no DNS change requests.\n\n` +
    `- Request id: ${request.id}\n- Deadline: ${formatJst(request.deadline, 'en')}\n` +
    slots.map((s, i) => `- Record ${i + 1}: ${s.from}. CNAME ${s.to}.\n`).join('') +
    `- Zone file lines (BIND):\n${lines}\n\n` +
    `- Please: these are CNAME records, not TXT; do not append the domain twice.\n` +
    `- When done, reply with "${request.id} done" in the subject.\n`;
  return {
    kind: stage === 'escalation' ? 'dns-change-escalation' : 'delegation-request',
    audience: 'dns-team',
    domain: spec.domain,
    to,
    locale,
    requestId: request.id,
    subject: {
      en: `${prefix.en}DKIM selector CNAME request ${request.id} for ${spec.domain}`,
      ja: `${prefix.ja}DKIM セレクター CNAME 設定依頼 ${request.id}（${spec.domain}）`,
    },
    body: { en, ja },
  };
}

/** What is wrong with one slot's CNAME, for `delegationCorrection`. */
export interface SlotProblem {
  readonly name: string;
  readonly expectedTarget: string;
  /** The record-diagnosis code naming the mistake (`no-record`, `domain-appended-twice`…), when it has one. */
  readonly code?: DiagnosisCode;
  /** What was found (the CNAME target, or a description such as `no CNAME`), and what to do, en + ja. */
  readonly found: { readonly en: string; readonly ja: string };
}

export function delegationCorrection(
  spec: DomainSpec,
  request: DnsTeamRequest,
  problems: readonly SlotProblem[],
): Notification {
  const { to, locale } = team(spec);
  const tag = (p: SlotProblem) => (p.code ? ` [${p.code}]` : '');
  const en = problems
    .map((p) => `- ${p.name}: expected CNAME ${p.expectedTarget}. — found ${p.found.en}${tag(p)}`)
    .join('\n');
  const ja = problems
    .map((p) => `・${p.name}: 期待値 CNAME ${p.expectedTarget}. ／ 実際: ${p.found.ja}${tag(p)}`)
    .join('\n');
  return {
    kind: 'delegation-correction',
    audience: 'dns-team',
    domain: spec.domain,
    to,
    locale,
    requestId: request.id,
    subject: {
      en: `[Correction needed] DKIM selector CNAMEs ${request.id} for ${spec.domain}`,
      ja: `【修正のお願い】DKIM セレクター CNAME ${request.id}（${spec.domain}）`,
    },
    body: {
      en: `The CNAME records for request ${request.id} are not correct yet:\n${en}\n\nZone file lines (BIND):\n${([1, 2] as const).map((s) => cnameLine(lookupName(spec, slotSelector(spec, s)), slotTarget(spec, s))).join('\n')}\n`,
      ja: `依頼 ${request.id} の CNAME レコードに誤りがあります:\n${ja}\n\nゾーンファイル形式（BIND）:\n${([1, 2] as const).map((s) => cnameLine(lookupName(spec, slotSelector(spec, s)), slotTarget(spec, s))).join('\n')}\n`,
    },
  };
}

/** A notice to the operators (SNS topic). */
export function operatorNotice(
  spec: DomainSpec,
  kind: Extract<
    NotificationKind,
    'rotation-completed' | 'approval-needed' | 'ses-failed' | 'key-overdue' | 'compromise' | 'signing-drift'
  >,
  text: BilingualText,
  selector?: string,
): Notification {
  const titles: Record<typeof kind, BilingualText> = {
    'rotation-completed': { en: 'DKIM key rotated', ja: 'DKIM 鍵をローテーションしました' },
    'approval-needed': { en: 'DKIM key ready: approval needed', ja: 'DKIM 新鍵の準備完了: 承認が必要です' },
    'ses-failed': { en: 'SES reports DKIM FAILED', ja: 'SES の DKIM ステータスが FAILED です' },
    'key-overdue': {
      en: 'DKIM key older than the rotation interval',
      ja: 'DKIM 鍵がローテーション間隔を超過しています',
    },
    compromise: { en: 'DKIM key revoked as compromised', ja: 'DKIM 鍵を漏えいとして失効処理中です' },
    'signing-drift': {
      en: 'SES DKIM settings changed outside byodkim',
      ja: 'SES の DKIM 設定が byodkim 外で変更されました',
    },
  };
  return {
    kind,
    audience: 'operators',
    domain: spec.domain,
    to: [],
    locale: 'ja',
    ...(selector !== undefined ? { selector } : {}),
    subject: { en: `${titles[kind].en}: ${spec.domain}`, ja: `${titles[kind].ja}: ${spec.domain}` },
    body: text,
  };
}
