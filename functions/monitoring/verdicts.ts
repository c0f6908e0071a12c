/**
 * The monitor's verdicts on one domain, pure: from what the monitor Lambda read (the domain's spec, its
 * recorded state, the key manager's heartbeat, SES's DKIM attributes, and every DNS server's answer for
 * the active selector's record) to what is wrong, how badly, and the metric data that say so.
 *
 * Nothing here reads a clock or the network: `now` and every observation are given, so each unhealthy
 * condition is one function call in a test. The handler (functions/handlers/monitor.ts) observes and
 * emits; docs/monitoring.md explains each verdict.
 *
 * What "healthy" means (`DkimHealthy` = 1): SES signs with the recorded key — `SigningAttributesOrigin`
 * EXTERNAL, signing enabled, `Status` SUCCESS, `Tokens` exactly [the recorded active selector] — and the
 * active selector's record is byte-exact on every authoritative server that answered.
 *
 * Never any key material: the verdicts name selectors, servers, lengths and diagnosis codes; a public key
 * appears only as its length.
 */
import { METRICS, METRIC_DIMENSIONS } from '../core/contract';
import type { BilingualText } from '../core/errors';
import { dkimRecordName } from '../core/names';
import type { DomainSpec } from '../core/spec';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { diagnoseRecord } from '../dkim/diagnosis';
import type { DiagnosisCode, TxtAnswer } from '../dkim/dns-answer';
import { decodePublicKey, formatRecordValue, joinStrings, parseTags } from '../dkim/record';
import type { MetricDatum, SesDkimAttributes } from '../lifecycle/ports';
import { activeKey, inFlightKey, type DnsTeamRequest, type DomainState, type KeyRecord } from '../lifecycle/state';

export type Severity = 'CRITICAL' | 'WARNING' | 'INFO';

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['CRITICAL', 'WARNING', 'INFO'];

/** A stable code per kind of finding (alerts, logs, tests). */
export type FindingCode =
  | 'SES_IDENTITY_MISSING'
  | 'SES_NOT_SUCCESS'
  | 'SES_CHECK_FAILED'
  | 'SIGNING_DRIFT'
  | 'SIGNING_DISABLED_BY_OPERATOR'
  | 'SWITCH_IN_PROGRESS'
  | 'NOT_YET_ACTIVE'
  | 'RECORD_MISSING'
  | 'RECORD_TRUNCATED'
  | 'RECORD_OLD_KEY'
  | 'RECORD_MISMATCH'
  | 'RECORD_KEY_LENGTH'
  | 'RECORD_NOT_BYTE_EXACT'
  | 'DNS_LOOKUP_FAILED'
  | 'KEY_OVER_INTERVAL'
  | 'KEY_EXPIRING_NO_ROTATION'
  | 'DNS_REQUEST_OVERDUE'
  | 'KEY_MANAGER_SILENT'
  | 'KEY_MANAGER_NOT_YET_RUN'
  | 'DOMAIN_CHECK_FAILED';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly domain: string;
  /** What is wrong and what to do, for operators: Japanese and English. */
  readonly message: BilingualText;
}

/** The key manager's last finished run of the domain (its HEARTBEAT item). */
export interface Heartbeat {
  /** Epoch milliseconds. */
  readonly lastRunAt: number;
  readonly outcome: string;
}

/** What SES answered: its DKIM attributes, no identity, or a call that failed (nothing known). */
export type SesObservation =
  | { readonly kind: 'attributes'; readonly attributes: SesDkimAttributes }
  | { readonly kind: 'missing' }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

/** What the DNS servers answered for the active selector's record (authoritative servers and resolvers). */
export type DnsObservation =
  | { readonly kind: 'answers'; readonly answers: readonly TxtAnswer[] }
  | { readonly kind: 'error'; readonly message: string };

export interface DomainObservation {
  readonly spec: DomainSpec;
  readonly state?: DomainState;
  readonly heartbeat?: Heartbeat;
  readonly ses: SesObservation;
  /** Absent when there is no active key whose record could be looked up. */
  readonly dns?: DnsObservation;
}

export interface MonitorSettings {
  /** Epoch milliseconds of the run. */
  readonly now: number;
  /** After how long without a finished key-manager run a domain counts as silent. */
  readonly keyManagerSilentMs: number;
  /** How long a switch of SES to a new key may take before SES not yet on it is reported as critical. */
  readonly switchGraceMs?: number;
}

/** The default grace of a switch in progress: SES verifies a BYODKIM record within minutes, at worst an hour. */
export const DEFAULT_SWITCH_GRACE_MS = 2 * HOUR_MS;

/**
 * The default silence threshold: two key-manager schedule periods (6 h by default) and an hour. The
 * construct computes it from the schedule and sets BYODKIM_KEY_MANAGER_SILENT_MINUTES.
 */
export const DEFAULT_KEY_MANAGER_SILENT_MINUTES = 2 * 6 * 60 + 60;

/** One DNS server's view of the active record. */
export interface ServerVerdict {
  /** `authoritative:…` or `resolver:…` as the observer labels it. */
  readonly server: string;
  readonly role: 'authoritative' | 'resolver';
  /** The diagnosis code (`match`, `no-record`, `key-truncated`, `wrong-key`, …, `lookup-failed`). */
  readonly code: DiagnosisCode;
  /** The joined character-strings equal the expected value byte for byte. */
  readonly byteExact: boolean;
  /** Octets of the published value (the one record's strings joined); absent when there is none. */
  readonly length?: number;
  /** The published key is an older key of this domain: its selector. */
  readonly oldKeyOf?: string;
  /** The published key's RSA size when it differs from the spec's `keyBits`. */
  readonly keyBits?: number;
}

export type RecordProblem = 'missing' | 'truncated' | 'old-key' | 'mismatch' | 'key-length';

export interface RecordVerdict {
  readonly name: string;
  /** Octets of the value that should be published. */
  readonly expectedLength: number;
  readonly servers: readonly ServerVerdict[];
  /** The worst problem found on any server (authoritative or resolver); undefined when none. */
  readonly problem?: RecordProblem;
  /** The problem is on an authoritative server (what is published), not only in a resolver's cache. */
  readonly problemOnAuthoritative: boolean;
  /** No authoritative server answered: nothing is known about what is published. */
  readonly unknown: boolean;
}

export type DriftKind = 'easy-dkim' | 'other-selector' | 'signing-disabled';

/** Every verdict on one domain, and what it comes to. */
export interface DomainVerdicts {
  readonly domain: string;
  readonly activeSelector?: string;
  readonly keyAgeDays?: number;
  /** SES signs with the recorded key and reports SUCCESS (undefined: unknown, or no key active yet). */
  readonly sesHealthy?: boolean;
  readonly drift?: DriftKind;
  readonly record?: RecordVerdict;
  readonly keyOverInterval: boolean;
  readonly expiringNoRotation: boolean;
  readonly dnsRequestsOverdue: number;
  readonly keyManagerSilent: boolean;
  /** Minutes since the key manager's last finished run (from the heartbeat, else the state's last write). */
  readonly minutesSinceKeyManagerRun?: number;
  /** The `DkimHealthy` value; undefined when it cannot be said (SES unknown, or onboarding). */
  readonly dkimHealthy?: 0 | 1;
  readonly findings: readonly Finding[];
}

const ORDER: Record<RecordProblem, number> = { missing: 5, truncated: 4, 'old-key': 3, mismatch: 2, 'key-length': 1 };

function days(ms: number): number {
  return Math.round((ms / DAY_MS) * 100) / 100;
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function roleOf(answer: TxtAnswer): 'authoritative' | 'resolver' {
  return answer.server?.startsWith('authoritative:') ? 'authoritative' : 'resolver';
}

/** Byte-for-byte comparison of the published value (strings joined) with the expected one. */
export function byteExact(published: string, expected: string): boolean {
  const a = Buffer.from(published, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && a.equals(b);
}

function publishedKey(value: string): string | undefined {
  try {
    return parseTags(value)
      .find((tag) => tag.name === 'p')
      ?.value.replace(/[ \t\r\n]+/g, '');
  } catch {
    return undefined;
  }
}

function keyBitsOf(publicKey: string | undefined): number | undefined {
  if (publicKey === undefined || publicKey === '') return undefined;
  try {
    return decodePublicKey(publicKey).bits;
  } catch {
    return undefined;
  }
}

/** The verdict of one server's answer for the active key's record. */
export function serverVerdict(
  spec: DomainSpec,
  state: DomainState,
  active: KeyRecord & { publicKey: string },
  answer: TxtAnswer,
): ServerVerdict {
  const expected = formatRecordValue(active.publicKey);
  const role = roleOf(answer);
  const server = answer.server ?? role;
  const diagnosis = diagnoseRecord(
    { selector: active.selector, domain: spec.domain, publicKey: active.publicKey },
    answer,
  );
  const single =
    answer.outcome === 'answer' && answer.records.length === 1 ? joinStrings(answer.records[0]!) : undefined;
  const exact = single !== undefined && byteExact(single, expected);
  const base = {
    server,
    role,
    code: diagnosis.code,
    byteExact: exact,
    ...(single !== undefined ? { length: Buffer.byteLength(single, 'utf8') } : {}),
  };
  if (diagnosis.code === 'wrong-key' && single !== undefined) {
    const key = publishedKey(single);
    const older = state.keys.find((k) => k.keyId !== active.keyId && k.publicKey !== undefined && k.publicKey === key);
    const bits = keyBitsOf(key);
    return {
      ...base,
      ...(older ? { oldKeyOf: older.selector } : {}),
      ...(bits !== undefined && bits !== spec.keyBits ? { keyBits: bits } : {}),
    };
  }
  if (diagnosis.code === 'weak-key' && single !== undefined) {
    const bits = keyBitsOf(publishedKey(single));
    return { ...base, ...(bits !== undefined ? { keyBits: bits } : {}) };
  }
  return base;
}

function problemOf(
  verdict: ServerVerdict,
  activeBits: number | undefined,
  specBits: number,
): RecordProblem | undefined {
  switch (verdict.code) {
    case 'lookup-failed':
      return undefined;
    case 'match':
      return activeBits !== undefined && activeBits !== specBits ? 'key-length' : undefined;
    case 'no-record':
    case 'domain-appended-twice':
      return 'missing';
    case 'key-truncated':
      return 'truncated';
    case 'weak-key':
      return 'key-length';
    case 'wrong-key':
      return verdict.oldKeyOf !== undefined ? 'old-key' : verdict.keyBits !== undefined ? 'key-length' : 'mismatch';
    default:
      // multiple-records, quoted-value, malformed, revoked, whitespace-in-key, testing-flag
      return 'mismatch';
  }
}

/** The verdict on the active record over every server's answer. */
export function recordVerdict(
  spec: DomainSpec,
  state: DomainState,
  active: KeyRecord & { publicKey: string },
  answers: readonly TxtAnswer[],
): RecordVerdict {
  const servers = answers.map((answer) => serverVerdict(spec, state, active, answer));
  const activeBits = keyBitsOf(active.publicKey);
  let worst: RecordProblem | undefined;
  let onAuthoritative = false;
  for (const verdict of servers) {
    const problem = problemOf(verdict, activeBits, spec.keyBits);
    if (problem === undefined) continue;
    if (verdict.role === 'authoritative') onAuthoritative = true;
    if (worst === undefined || ORDER[problem] > ORDER[worst]) worst = problem;
  }
  const authoritative = servers.filter((s) => s.role === 'authoritative');
  return {
    name: dkimRecordName(active.selector, spec.domain),
    expectedLength: Buffer.byteLength(formatRecordValue(active.publicKey), 'utf8'),
    servers,
    ...(worst !== undefined ? { problem: worst } : {}),
    problemOnAuthoritative: onAuthoritative,
    unknown: authoritative.length === 0 || authoritative.every((s) => s.code === 'lookup-failed'),
  };
}

/** Every DNS-team request still waiting for the team: a key's publication, a restore, a revocation, the delegation. */
export function openDnsRequests(state: DomainState): { readonly what: string; readonly request: DnsTeamRequest }[] {
  const open: { what: string; request: DnsTeamRequest }[] = [];
  for (const key of state.keys) {
    if (key.dnsRequest && (key.state === 'dns-requested' || key.state === 'generated'))
      open.push({ what: `publish ${key.selector}`, request: key.dnsRequest });
    if (key.restoreRequest && key.state === 'active')
      open.push({ what: `restore ${key.selector}`, request: key.restoreRequest });
    if (key.revocation?.request && key.revocation.confirmedAt === undefined)
      open.push({ what: `revoke ${key.selector}`, request: key.revocation.request });
  }
  if (state.delegation?.request && state.delegation.verifiedAt === undefined)
    open.push({ what: 'delegation CNAMEs', request: state.delegation.request });
  return open;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? '(none)' : items.join(', ');
}

const PROBLEM_TEXT: Record<RecordProblem, BilingualText> = {
  missing: { en: 'is missing', ja: 'がありません' },
  truncated: { en: 'is cut short (truncated)', ja: 'が途中で切れています' },
  'old-key': { en: 'holds an older key', ja: 'に古い鍵が登録されています' },
  mismatch: { en: 'does not match the recorded key', ja: 'が記録上の鍵と一致しません' },
  'key-length': { en: 'has the wrong key length', ja: 'の鍵長が設定と異なります' },
};

const PROBLEM_CODE: Record<RecordProblem, FindingCode> = {
  missing: 'RECORD_MISSING',
  truncated: 'RECORD_TRUNCATED',
  'old-key': 'RECORD_OLD_KEY',
  mismatch: 'RECORD_MISMATCH',
  'key-length': 'RECORD_KEY_LENGTH',
};

function serverSummary(record: RecordVerdict, activeBits: number | undefined, specBits: number): BilingualText {
  const bad = record.servers.filter((s) => problemOf(s, activeBits, specBits) !== undefined);
  const parts = bad.map((s) => {
    const detail = [
      s.code,
      s.length !== undefined ? `${s.length}/${record.expectedLength} octets` : undefined,
      s.oldKeyOf !== undefined ? `key of ${s.oldKeyOf}` : undefined,
      s.keyBits !== undefined ? `${s.keyBits}-bit key` : undefined,
    ].filter((x) => x !== undefined);
    return `${s.server} (${detail.join(', ')})`;
  });
  const partsJa = bad.map((s) => {
    const detail = [
      s.code,
      s.length !== undefined ? `${s.length}/${record.expectedLength} オクテット` : undefined,
      s.oldKeyOf !== undefined ? `${s.oldKeyOf} の鍵` : undefined,
      s.keyBits !== undefined ? `${s.keyBits} ビット鍵` : undefined,
    ].filter((x) => x !== undefined);
    return `${s.server}（${detail.join('、')}）`;
  });
  return { en: list(parts), ja: partsJa.join('、') };
}

/** Every verdict on one domain. */
export function judgeDomain(observation: DomainObservation, settings: MonitorSettings): DomainVerdicts {
  const { spec, state, heartbeat, ses } = observation;
  const { now } = settings;
  const domain = spec.domain;
  const findings: Finding[] = [];
  const add = (code: FindingCode, severity: Severity, message: BilingualText) =>
    findings.push({ code, severity, domain, message });

  const active = state ? activeKey(state) : undefined;
  const activeSelector = active?.selector;
  const everActivated = state?.keys.some((k) => k.activatedAt !== undefined) ?? false;
  const switching = state?.switching ? state.keys.find((k) => k.keyId === state.switching!.keyId) : undefined;
  const switchYoung =
    state?.switching !== undefined &&
    now - state.switching.startedAt < (settings.switchGraceMs ?? DEFAULT_SWITCH_GRACE_MS);
  const operatorDisabled = state?.signingDisabledAt !== undefined || state?.compromiseHoldAt !== undefined;

  // --- SES ---------------------------------------------------------------------------------------
  let sesHealthy: boolean | undefined;
  let drift: DriftKind | undefined;
  if (ses.kind === 'error') {
    add('SES_CHECK_FAILED', 'WARNING', {
      en: `SES GetEmailIdentity failed (${ses.code}): the DKIM state of ${domain} is unknown this run. ${ses.message}`,
      ja: `SES の GetEmailIdentity が失敗しました（${ses.code}）。今回は ${domain} の DKIM の状態を確認できていません。`,
    });
  } else if (ses.kind === 'missing') {
    sesHealthy = false;
    add('SES_IDENTITY_MISSING', 'CRITICAL', {
      en: `SES has no identity ${domain}: mail from it is not signed by byodkim. Check that the identity was not deleted (terraform plan shows it).`,
      ja: `SES に ID ${domain} がありません。このドメインのメールは byodkim の鍵で署名されていません。ID が削除されていないか確認してください（terraform plan で確認できます）。`,
    });
  } else if (!everActivated && active === undefined) {
    add('NOT_YET_ACTIVE', 'INFO', {
      en: `no byodkim key has been active for ${domain} yet (first key in preparation); SES is not checked against a recorded key.`,
      ja: `${domain} ではまだ byodkim の鍵が有効になっていません（最初の鍵を準備中）。SES の状態は記録と照合していません。`,
    });
  } else {
    const attributes = ses.attributes;
    const expectedSelectors = [activeSelector, switching?.selector].filter((s): s is string => s !== undefined);
    const tokensMatch = attributes.tokens.length === 1 && attributes.tokens[0] === activeSelector;
    const onSwitchTarget =
      switching !== undefined && attributes.tokens.length === 1 && attributes.tokens[0] === switching.selector;
    sesHealthy =
      active !== undefined &&
      attributes.origin === 'EXTERNAL' &&
      attributes.signingEnabled &&
      attributes.status === 'SUCCESS' &&
      tokensMatch;
    const seen = `origin ${attributes.origin ?? 'none'}, signing ${attributes.signingEnabled ? 'enabled' : 'disabled'}, status ${attributes.status}, tokens [${attributes.tokens.join(', ')}]`;
    const seenJa = `SigningAttributesOrigin ${attributes.origin ?? 'なし'}、署名 ${attributes.signingEnabled ? '有効' : '無効'}、Status ${attributes.status}、Tokens [${attributes.tokens.join(', ')}]`;
    if (operatorDisabled && !attributes.signingEnabled) {
      add('SIGNING_DISABLED_BY_OPERATOR', 'WARNING', {
        en: `DKIM signing of ${domain} is off on purpose (${state?.compromiseHoldAt !== undefined ? 'held after a compromised key' : 'disabled by an operator'} since ${isoDate(state?.signingDisabledAt ?? state?.compromiseHoldAt ?? now)}): mail is not DKIM-signed until it is enabled again.`,
        ja: `${domain} の DKIM 署名は意図的に停止されています（${isoDate(state?.signingDisabledAt ?? state?.compromiseHoldAt ?? now)} から${state?.compromiseHoldAt !== undefined ? '、鍵の漏えい対応で保留中' : '、運用者が無効化'}）。再び有効にするまで、メールは DKIM 署名されません。`,
      });
    } else if (attributes.origin === 'AWS_SES') {
      drift = 'easy-dkim';
      add('SIGNING_DRIFT', 'CRITICAL', {
        en: `SES signs ${domain} with Easy DKIM (origin AWS_SES), not with the recorded byodkim key ${list(expectedSelectors)}: someone switched the identity back (console or API). SES: ${seen}. The key manager puts the recorded key back on its next run; find who changed it (CloudTrail PutEmailIdentityDkimSigningAttributes).`,
        ja: `SES は ${domain} を Easy DKIM（origin AWS_SES）で署名しており、記録上の byodkim の鍵 ${list(expectedSelectors)} ではありません。誰かがコンソールまたは API で ID を切り替えた可能性があります。SES の状態: ${seenJa}。鍵管理の次回実行で記録上の鍵に戻ります。変更者は CloudTrail の PutEmailIdentityDkimSigningAttributes で確認してください。`,
      });
    } else if (attributes.origin === 'EXTERNAL' && !tokensMatch && !onSwitchTarget) {
      drift = 'other-selector';
      add('SIGNING_DRIFT', 'CRITICAL', {
        en: `SES signs ${domain} with selector [${attributes.tokens.join(', ')}], not the recorded active selector ${activeSelector ?? '(none)'}: the signing key was changed outside byodkim. The key manager puts the recorded key back on its next run; find who changed it (CloudTrail).`,
        ja: `SES は ${domain} をセレクター [${attributes.tokens.join(', ')}] で署名しており、記録上の有効なセレクター ${activeSelector ?? '（なし）'} ではありません。byodkim 以外から署名鍵が変更されています。鍵管理の次回実行で記録上の鍵に戻ります。変更者は CloudTrail で確認してください。`,
      });
    } else if (!attributes.signingEnabled && attributes.origin === 'EXTERNAL') {
      drift = 'signing-disabled';
      add('SIGNING_DRIFT', 'CRITICAL', {
        en: `DKIM signing of ${domain} is disabled in SES although byodkim did not disable it: mail is not DKIM-signed. The key manager turns it back on at its next run; find who changed it (CloudTrail PutEmailIdentityDkimAttributes).`,
        ja: `${domain} の DKIM 署名が SES で無効になっていますが、byodkim は無効化していません。メールは DKIM 署名されていません。鍵管理の次回実行で再び有効になります。変更者は CloudTrail の PutEmailIdentityDkimAttributes で確認してください。`,
      });
    } else if (attributes.origin === undefined) {
      drift = 'signing-disabled';
      add('SIGNING_DRIFT', 'CRITICAL', {
        en: `SES has no DKIM signing attributes for ${domain} (${seen}): mail is not DKIM-signed with the recorded key ${activeSelector ?? '(none)'}.`,
        ja: `SES に ${domain} の DKIM 署名設定がありません（${seenJa}）。記録上の鍵 ${activeSelector ?? '（なし）'} でメールが署名されていません。`,
      });
    } else if (attributes.status !== 'SUCCESS') {
      const young = onSwitchTarget && switchYoung;
      add(young ? 'SWITCH_IN_PROGRESS' : 'SES_NOT_SUCCESS', young ? 'WARNING' : 'CRITICAL', {
        en: young
          ? `SES is switching ${domain} to ${switching!.selector} (status ${attributes.status}, since ${new Date(state!.switching!.startedAt).toISOString()}): SES is verifying the new record.`
          : `SES reports DKIM status ${attributes.status} for ${domain} (${seen}): ${attributes.status === 'FAILED' ? 'SES could not find the record and stopped signing' : attributes.status === 'TEMPORARY_FAILURE' ? 'SES could not check the record and will retry; if it lasts 72 hours SES stops signing' : 'SES does not sign yet'}. Check the record on the authoritative servers (byodkim verify-dns ${domain}).`,
        ja: young
          ? `SES は ${domain} を ${switching!.selector} に切り替え中です（Status ${attributes.status}、${new Date(state!.switching!.startedAt).toISOString()} から）。SES が新しいレコードを確認しています。`
          : `SES の ${domain} の DKIM Status が ${attributes.status} です（${seenJa}）。${attributes.status === 'FAILED' ? 'SES がレコードを見つけられず、署名を停止しました' : attributes.status === 'TEMPORARY_FAILURE' ? 'SES がレコードを確認できず、再試行中です。72 時間続くと SES は署名を停止します' : 'SES はまだ署名していません'}。権威サーバー上のレコードを確認してください（byodkim verify-dns ${domain}）。`,
      });
    }
  }

  // --- The active record ---------------------------------------------------------------------------
  let record: RecordVerdict | undefined;
  if (state && active?.publicKey !== undefined && observation.dns !== undefined) {
    const withKey = active as KeyRecord & { publicKey: string };
    if (observation.dns.kind === 'error') {
      add('DNS_LOOKUP_FAILED', 'WARNING', {
        en: `the record of ${domain} could not be looked up this run: ${observation.dns.message}`,
        ja: `今回は ${domain} のレコードを問い合わせできませんでした: ${observation.dns.message}`,
      });
    } else {
      record = recordVerdict(spec, state, withKey, observation.dns.answers);
      const activeBits = keyBitsOf(withKey.publicKey);
      if (record.problem !== undefined) {
        const where = serverSummary(record, activeBits, spec.keyBits);
        const text = PROBLEM_TEXT[record.problem];
        add(PROBLEM_CODE[record.problem], record.problemOnAuthoritative ? 'CRITICAL' : 'WARNING', {
          en: `the active record ${record.name} ${text.en} (expected ${record.expectedLength} octets, a ${activeBits ?? spec.keyBits}-bit key${record.problem === 'key-length' ? `; the spec asks for ${spec.keyBits} bits` : ''}) on ${where.en}. ${record.problemOnAuthoritative ? 'Receivers fail DKIM for mail signed with it.' : 'Only resolvers see it (a stale cache): it should clear within the TTL.'} Details: byodkim verify-dns ${domain}.`,
          ja: `有効なレコード ${record.name} ${text.ja}（期待値 ${record.expectedLength} オクテット、${activeBits ?? spec.keyBits} ビット鍵${record.problem === 'key-length' ? `。設定は ${spec.keyBits} ビット` : ''}）。該当サーバー: ${where.ja}。${record.problemOnAuthoritative ? 'この鍵で署名したメールは受信側で DKIM 検証に失敗します。' : 'リゾルバーのみで見えています（古いキャッシュ）。TTL の経過で解消するはずです。'}詳細は byodkim verify-dns ${domain} で確認できます。`,
        });
      } else {
        const cosmetic = record.servers.filter((s) => s.code === 'match' && !s.byteExact);
        if (cosmetic.length > 0) {
          add('RECORD_NOT_BYTE_EXACT', 'INFO', {
            en: `the active record ${record.name} holds the right key but is not byte-exact on ${list(cosmetic.map((s) => s.server))} (tag spacing or order); verifiers accept it.`,
            ja: `有効なレコード ${record.name} の鍵は正しいものの、${cosmetic.map((s) => s.server).join('、')} では値がバイト単位で一致しません（タグの空白や順序）。検証側は受け入れます。`,
          });
        }
      }
      const failed = record.servers.filter((s) => s.code === 'lookup-failed');
      if (failed.length > 0) {
        add('DNS_LOOKUP_FAILED', record.unknown ? 'WARNING' : 'INFO', {
          en: `no usable answer from ${list(failed.map((s) => s.server))} for ${record.name}${record.unknown ? ': no authoritative server answered, so what is published is unknown' : ''}.`,
          ja: `${record.name} について ${failed.map((s) => s.server).join('、')} から有効な応答がありませんでした${record.unknown ? '。権威サーバーがどれも応答しないため、登録内容は不明です' : ''}。`,
        });
      }
    }
  }

  // --- Key age -------------------------------------------------------------------------------------
  const { intervalDays, renewBeforeDays } = spec.rotation;
  const activatedAt = active?.activatedAt;
  const keyAgeDays = activatedAt !== undefined ? days(now - activatedAt) : undefined;
  const rotationStarted =
    (state !== undefined && inFlightKey(state) !== undefined) || state?.rotationRequestedAt !== undefined;
  const keyOverInterval = keyAgeDays !== undefined && keyAgeDays > intervalDays;
  if (keyOverInterval) {
    add('KEY_OVER_INTERVAL', 'WARNING', {
      en: `the active key ${activeSelector} of ${domain} is ${Math.floor(keyAgeDays!)} days old, over its ${intervalDays}-day rotation interval${rotationStarted ? ' (a rotation is in progress)' : ' and no rotation has started'}.`,
      ja: `${domain} の有効な鍵 ${activeSelector} は使用開始から ${Math.floor(keyAgeDays!)} 日が経過し、ローテーション間隔（${intervalDays} 日）を超えています${rotationStarted ? '（ローテーション進行中）' : '。ローテーションは始まっていません'}。`,
    });
  }
  const dueAt = activatedAt !== undefined ? activatedAt + (intervalDays - renewBeforeDays) * DAY_MS : undefined;
  const expiringNoRotation =
    dueAt !== undefined && !rotationStarted && now >= dueAt + settings.keyManagerSilentMs && !operatorDisabled;
  if (expiringNoRotation) {
    const expiry = activatedAt! + intervalDays * DAY_MS;
    add('KEY_EXPIRING_NO_ROTATION', 'WARNING', {
      en: `the active key ${activeSelector} of ${domain} reaches its ${intervalDays}-day interval on ${isoDate(expiry)} and no rotation has started, although it was due on ${isoDate(dueAt!)} (${renewBeforeDays} days before). Check the key manager's log for ${domain}.`,
      ja: `${domain} の有効な鍵 ${activeSelector} は ${isoDate(expiry)} にローテーション間隔（${intervalDays} 日）に達しますが、ローテーションが始まっていません（開始予定日は ${renewBeforeDays} 日前の ${isoDate(dueAt!)}）。鍵管理のログで ${domain} を確認してください。`,
    });
  }

  // --- DNS-team requests ---------------------------------------------------------------------------
  const overdue = state ? openDnsRequests(state).filter(({ request }) => now > request.deadline) : [];
  for (const { what, request } of overdue) {
    const age = Math.floor((now - request.sentAt) / DAY_MS);
    add('DNS_REQUEST_OVERDUE', 'WARNING', {
      en: `the DNS-team request ${request.id} (${what}) for ${domain} was sent ${age} days ago and is past its deadline ${isoDate(request.deadline)}${request.escalations > 0 ? ` (escalated ${request.escalations} times)` : ''}: ask the DNS team.`,
      ja: `${domain} の DNS 管理チームへの依頼 ${request.id}（${what}）は ${age} 日前に送信され、期限 ${isoDate(request.deadline)} を過ぎています${request.escalations > 0 ? `（督促 ${request.escalations} 回）` : ''}。DNS 管理チームに確認してください。`,
    });
  }

  // --- The key manager's heartbeat -------------------------------------------------------------------
  const lastRun = heartbeat?.lastRunAt ?? state?.updatedAt;
  const minutesSinceKeyManagerRun = lastRun !== undefined ? Math.floor((now - lastRun) / MINUTE_MS) : undefined;
  const keyManagerSilent = lastRun !== undefined && now - lastRun > settings.keyManagerSilentMs;
  if (keyManagerSilent) {
    const hours = Math.floor((now - lastRun!) / HOUR_MS);
    add('KEY_MANAGER_SILENT', 'WARNING', {
      en: `the key manager has not finished a run for ${domain} for ${hours} hours (last ${new Date(lastRun!).toISOString()}${heartbeat ? `, ${heartbeat.outcome}` : ''}; threshold ${Math.round(settings.keyManagerSilentMs / MINUTE_MS)} min): check the schedule, the work queue's dead-letter queue and the worker's log.`,
      ja: `鍵管理が ${domain} の実行を ${hours} 時間完了していません（最終 ${new Date(lastRun!).toISOString()}${heartbeat ? `、${heartbeat.outcome}` : ''}。しきい値 ${Math.round(settings.keyManagerSilentMs / MINUTE_MS)} 分）。スケジュール、作業キューのデッドレターキュー、ワーカーのログを確認してください。`,
    });
  } else if (lastRun === undefined) {
    add('KEY_MANAGER_NOT_YET_RUN', 'INFO', {
      en: `the key manager has not run for ${domain} yet (a newly configured domain): it does at its next scheduled run.`,
      ja: `${domain} はまだ鍵管理が実行されていません（新しく設定されたドメイン）。次回のスケジュール実行で処理されます。`,
    });
  }

  const recordOk = record === undefined || record.problem === undefined || !record.problemOnAuthoritative;
  const dkimHealthy: 0 | 1 | undefined = sesHealthy === undefined ? undefined : sesHealthy && recordOk ? 1 : 0;

  return {
    domain,
    ...(activeSelector !== undefined ? { activeSelector } : {}),
    ...(keyAgeDays !== undefined ? { keyAgeDays } : {}),
    ...(sesHealthy !== undefined ? { sesHealthy } : {}),
    ...(drift !== undefined ? { drift } : {}),
    ...(record !== undefined ? { record } : {}),
    keyOverInterval,
    expiringNoRotation,
    dnsRequestsOverdue: overdue.length,
    keyManagerSilent,
    ...(minutesSinceKeyManagerRun !== undefined ? { minutesSinceKeyManagerRun } : {}),
    ...(dkimHealthy !== undefined ? { dkimHealthy } : {}),
    findings: findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)),
  };
}

/** A domain the monitor could not check at all (its items could not be read): a WARNING, nothing else known. */
export function uncheckedDomain(domain: string, code: string, message: string): DomainVerdicts {
  return {
    domain,
    keyOverInterval: false,
    expiringNoRotation: false,
    dnsRequestsOverdue: 0,
    keyManagerSilent: false,
    findings: [
      {
        code: 'DOMAIN_CHECK_FAILED',
        severity: 'WARNING',
        domain,
        message: {
          en: `${domain} could not be checked this run (${code}): ${message}`,
          ja: `今回は ${domain} を確認できませんでした（${code}）。詳細（英語）: ${message}`,
        },
      },
    ],
  };
}

/** What a run of the monitor came to over every domain. */
export interface RunSummary {
  readonly domainsChecked: number;
  readonly domainsUnhealthy: number;
  readonly recordProblems: number;
  readonly signingDrift: number;
  readonly keysOverInterval: number;
  readonly keysExpiringNoRotation: number;
  readonly dnsRequestsOverdue: number;
  readonly keyManagerSilent: number;
  /** The most severe finding of the run (undefined when there is none). */
  readonly severity?: Severity;
}

export function summarise(verdicts: readonly DomainVerdicts[]): RunSummary {
  const count = (test: (v: DomainVerdicts) => boolean) => verdicts.filter(test).length;
  const all = verdicts.flatMap((v) => v.findings.map((f) => f.severity));
  const severity = SEVERITIES.find((s) => all.includes(s));
  return {
    domainsChecked: verdicts.length,
    domainsUnhealthy: count((v) => v.sesHealthy === false),
    recordProblems: count((v) => v.record?.problem !== undefined),
    signingDrift: count((v) => v.drift !== undefined),
    keysOverInterval: count((v) => v.keyOverInterval),
    keysExpiringNoRotation: count((v) => v.expiringNoRotation),
    dnsRequestsOverdue: count((v) => v.dnsRequestsOverdue > 0),
    keyManagerSilent: count((v) => v.keyManagerSilent),
    ...(severity !== undefined ? { severity } : {}),
  };
}

/**
 * The metric data of a run: per domain `DkimHealthy` (when known) and `KeyAgeDays` (when a key is active),
 * then the environment's counts (0 when none) and `MonitorRuns` 1 — the heartbeat, last, once the run is done.
 */
export function metricData(verdicts: readonly DomainVerdicts[], summary: RunSummary): MetricDatum[] {
  const data: MetricDatum[] = [];
  for (const v of verdicts) {
    const dimensions = { [METRIC_DIMENSIONS.domain]: v.domain };
    if (v.dkimHealthy !== undefined)
      data.push({ name: METRICS.dkimHealthy.name, unit: METRICS.dkimHealthy.unit, value: v.dkimHealthy, dimensions });
    if (v.keyAgeDays !== undefined)
      data.push({ name: METRICS.keyAgeDays.name, unit: METRICS.keyAgeDays.unit, value: v.keyAgeDays, dimensions });
  }
  const counts: [keyof typeof METRICS, number][] = [
    ['domainsChecked', summary.domainsChecked],
    ['domainsUnhealthy', summary.domainsUnhealthy],
    ['recordProblems', summary.recordProblems],
    ['signingDrift', summary.signingDrift],
    ['keysOverInterval', summary.keysOverInterval],
    ['keysExpiringNoRotation', summary.keysExpiringNoRotation],
    ['dnsRequestsOverdue', summary.dnsRequestsOverdue],
    ['keyManagerSilent', summary.keyManagerSilent],
    ['monitorRuns', 1],
  ];
  for (const [key, value] of counts) {
    const definition = METRICS[key];
    data.push({ name: definition.name, unit: definition.unit, value, dimensions: {} });
  }
  return data;
}

/** The structured log line of one domain (no key material: selectors, codes, lengths, ages). */
export function logFields(v: DomainVerdicts): Record<string, unknown> {
  return {
    domain: v.domain,
    selector: v.activeSelector,
    dkimHealthy: v.dkimHealthy,
    sesHealthy: v.sesHealthy,
    drift: v.drift,
    record: v.record?.problem ?? (v.record ? 'ok' : undefined),
    recordOnAuthoritative: v.record?.problemOnAuthoritative,
    servers: v.record?.servers.map((s) => `${s.server}=${s.code}${s.byteExact ? '' : ' (not byte-exact)'}`),
    keyAgeDays: v.keyAgeDays,
    keyOverInterval: v.keyOverInterval,
    expiringNoRotation: v.expiringNoRotation,
    dnsRequestsOverdue: v.dnsRequestsOverdue,
    keyManagerSilent: v.keyManagerSilent,
    minutesSinceKeyManagerRun: v.minutesSinceKeyManagerRun,
    findings: v.findings.map((f) => `${f.severity} ${f.code}`),
    /** WARNING and CRITICAL findings: the Logs Insights query of the alert filters on `problems > 0`. */
    problems: v.findings.filter((f) => f.severity !== 'INFO').length,
  };
}

/** The active selector's record name the monitor looks up, when a key with a public key is active. */
export function activeRecordName(spec: DomainSpec, state: DomainState | undefined): string | undefined {
  const active = state ? activeKey(state) : undefined;
  return active?.publicKey !== undefined ? dkimRecordName(active.selector, spec.domain) : undefined;
}
