/**
 * The DKIM signature canary's logic, pure: what a canary message is, how a received copy is recognised,
 * and the verdict on the `DKIM-Signature` headers recipients see — checked by an independent verifier,
 * mailauth (`mailauth/lib/dkim/verify`), never by byodkim's own record code.
 *
 * A canary run sends one message per domain through SES (from `<localPart>@<domain>`, carrying a unique
 * token in {@link CANARY_TOKEN_HEADER} and in the subject), an SES receipt rule stores what arrives in an
 * S3 bucket, and the handler (functions/handlers/canary.ts) finds each domain's copy by its token and asks
 * {@link verifyCanaryMessage} for the verdict. Only a signature with `d=<domain>` AND `s=<the recorded
 * active selector>` that verifies passes: SES signing with an older key, with Easy DKIM, or not at all is
 * exactly what this check exists to catch.
 *
 * DNS: mailauth fetches the key record through the {@link TxtLookup} it is given (the handler's asks the
 * resolvers of `BYODKIM_RESOLVERS`, so tests can point it at a loopback DNS server).
 */
import { randomBytes } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify';
import type { BilingualText } from '../core/errors';

/** The header that carries a canary message's token (also in its subject). */
export const CANARY_TOKEN_HEADER = 'X-Byodkim-Canary';

/** The local part canary messages are sent from when none is configured: `canary@<domain>`. */
export const DEFAULT_CANARY_LOCAL_PART = 'canary';

/** How long a run waits for its messages when nothing is configured. */
export const DEFAULT_CANARY_WAIT_SECONDS = 300;

/** `20261202T001500Z-<32 hex digits>`: the run's time (UTC) and 128 random bits, so a token is never guessed. */
const TOKEN_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{32}$/;

/** What a canary check came to for one domain. */
export type CanaryOutcome =
  /** A signature by d=<domain>, s=<active selector> verified. */
  | 'pass'
  /** No DKIM-Signature by the domain at all (SES signed only as amazonses.com, or not at all). */
  | 'no-signature'
  /** The domain signed, but with another selector than the recorded active one (and none by the active one). */
  | 'wrong-selector'
  /** The active selector's signature is there but does not verify (body or headers changed, wrong key, no key). */
  | 'bad-signature'
  /** The key record could not be fetched (DNS failure, timeout): recipients may see `temperror`. */
  | 'dns-error'
  /** No copy arrived in the bucket within the wait. */
  | 'not-arrived'
  /** SES refused or failed to send the message. */
  | 'send-failed';

export const CANARY_FAILURES: readonly Exclude<CanaryOutcome, 'pass'>[] = [
  'no-signature',
  'wrong-selector',
  'bad-signature',
  'dns-error',
  'not-arrived',
  'send-failed',
];

/** One DKIM-Signature of the received message, as mailauth judged it. */
export interface SignatureSeen {
  /** `d=`, lower case. */
  readonly domain: string;
  /** `s=`. */
  readonly selector: string;
  /** mailauth's result: `pass`, `fail`, `neutral`, `temperror`, `policy`, … */
  readonly result: string;
  /** mailauth's comment, e.g. `body hash did not verify`, `bad signature`, `no key`. */
  readonly comment?: string;
}

/** What the canary expects of one domain's message. */
export interface CanaryExpectation {
  /** The sending domain (A-label). */
  readonly domain: string;
  /** The selector the state table records as active (SES must sign with it). */
  readonly selector: string;
}

/** The verdict on one domain's canary message. */
export interface CanaryVerdict {
  readonly domain: string;
  readonly outcome: CanaryOutcome;
  /** The recorded active selector the signature had to name. */
  readonly expectedSelector: string;
  /** Every DKIM-Signature of the message (empty when none arrived, or none was there). */
  readonly signatures: readonly SignatureSeen[];
  /** What happened and what to do next, in both languages. */
  readonly message: BilingualText;
}

/** A TXT lookup's result for mailauth: the records (each a list of character-strings), or why there are none. */
export type TxtLookupResult =
  | { readonly kind: 'records'; readonly records: readonly (readonly string[])[] }
  | { readonly kind: 'nxdomain' | 'nodata' }
  | { readonly kind: 'error'; readonly detail: string };

/** Looks up the TXT records at a name (the handler's asks the configured resolvers). */
export type TxtLookup = (name: string) => Promise<TxtLookupResult>;

/** A new token for a canary message sent at `now` (epoch ms). `random` is for tests. */
export function newCanaryToken(now: number, random: () => Buffer = () => randomBytes(16)): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${random().toString('hex').slice(0, 32)}`;
}

/** Whether `text` is a token {@link newCanaryToken} makes. */
export function isCanaryToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}

/** The message one canary run sends for one domain (the handler turns it into an SES SendEmail request). */
export interface CanaryMessage {
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}

/** The canary message of `domain` with `token`, from `<localPart>@<domain>` to `recipient`. */
export function canaryMessage(options: {
  readonly domain: string;
  readonly localPart: string;
  readonly recipient: string;
  readonly token: string;
  readonly environment: string;
}): CanaryMessage {
  const { domain, token, environment } = options;
  return {
    from: `${options.localPart}@${domain}`,
    to: options.recipient,
    subject: `byodkim DKIM canary ${domain} ${token}`,
    text: [
      `byodkim ${environment}: DKIM signature canary for ${domain}.`,
      'This message checks the DKIM-Signature recipients see. It is stored and verified automatically; nobody needs to read it.',
      '',
      `byodkim ${environment}: ${domain} の DKIM 署名を確認するためのカナリアメールです。`,
      '受信後に自動で保存・検証されます。読む必要はありません。',
      '',
      `token: ${token}`,
      '',
    ].join('\r\n'),
    headers: [{ name: CANARY_TOKEN_HEADER, value: token }],
  };
}

/** The end of a message's header section (the first empty line), or the whole text when there is none. */
function headerSection(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/** The value of the canary token header of a raw message (unfolded, trimmed), or undefined. */
export function canaryTokenOf(raw: Buffer | string): string | undefined {
  const unfolded = headerSection(raw).replace(/\r?\n[ \t]+/g, ' ');
  const name = CANARY_TOKEN_HEADER.toLowerCase();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) {
      const value = line.slice(colon + 1).trim();
      return isCanaryToken(value) ? value : undefined;
    }
  }
  return undefined;
}

/** mailauth's resolver convention: the records, or an error whose `code` says there are none. */
function mailauthResolver(lookup: TxtLookup): (name: string, rrtype: string) => Promise<string[][]> {
  return async (name, rrtype) => {
    if (rrtype !== 'TXT') throw Object.assign(new Error(`unexpected ${rrtype} lookup`), { code: 'ENOTIMP' });
    const result = await lookup(name);
    if (result.kind === 'records') return result.records.map((strings) => [...strings]);
    if (result.kind === 'nxdomain') throw Object.assign(new Error(`${name}: NXDOMAIN`), { code: 'ENOTFOUND' });
    if (result.kind === 'nodata') throw Object.assign(new Error(`${name}: no TXT record`), { code: 'ENODATA' });
    const detail = result.kind === 'error' ? result.detail : 'no answer';
    throw Object.assign(new Error(`${name}: ${detail}`), { code: 'ESERVFAIL' });
  };
}

interface MailauthResult {
  readonly signingDomain?: string;
  readonly selector?: string;
  readonly status: { readonly result: string; readonly comment?: string | boolean };
}

/**
 * The verdict on one received canary message: mailauth verifies every DKIM-Signature (its key records
 * through `lookup`), then {@link judgeSignatures} decides. `now` is the verifier's clock (`x=` expiry).
 */
export async function verifyCanaryMessage(
  raw: Buffer | string,
  expected: CanaryExpectation,
  options: { readonly lookup: TxtLookup; readonly now?: number },
): Promise<CanaryVerdict> {
  const verified = await dkimVerify(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, {
    resolver: mailauthResolver(options.lookup) as never,
    ...(options.now !== undefined ? { curTime: new Date(options.now) } : {}),
  });
  const signatures: SignatureSeen[] = (verified.results as unknown as MailauthResult[])
    .filter((r) => r.status.result !== 'none' && typeof r.signingDomain === 'string')
    .map((r) => ({
      domain: r.signingDomain!.toLowerCase(),
      selector: r.selector ?? '',
      result: r.status.result,
      ...(typeof r.status.comment === 'string' && r.status.comment !== '' ? { comment: r.status.comment } : {}),
    }));
  return judgeSignatures(signatures, expected);
}

const describeSignature = (s: SignatureSeen): string =>
  `d=${s.domain} s=${s.selector}: ${s.result}${s.comment ? ` (${s.comment})` : ''}`;

/**
 * The verdict from the signatures mailauth judged: `pass` when one by d=<domain>, s=<active selector>
 * passes; else what went wrong, most specific first (the active selector's signature failing, a DNS
 * failure fetching its key, another selector of the domain, no signature by the domain at all).
 */
export function judgeSignatures(signatures: readonly SignatureSeen[], expected: CanaryExpectation): CanaryVerdict {
  const domain = expected.domain.toLowerCase();
  const selector = expected.selector;
  const byDomain = signatures.filter((s) => s.domain === domain);
  const byActive = byDomain.filter((s) => s.selector.toLowerCase() === selector.toLowerCase());
  const verdict = (outcome: CanaryOutcome, message: BilingualText): CanaryVerdict => ({
    domain: expected.domain,
    outcome,
    expectedSelector: selector,
    signatures: [...signatures],
    message,
  });
  const seen = signatures.length > 0 ? signatures.map(describeSignature).join('; ') : 'none';
  if (byActive.some((s) => s.result === 'pass')) {
    return verdict('pass', {
      en: `${domain}: the DKIM-Signature by the active selector ${selector} verifies`,
      ja: `${domain}: 有効なセレクター ${selector} による DKIM 署名を検証できました`,
    });
  }
  const failing = byActive[0];
  if (failing !== undefined && byActive.every((s) => s.result === 'temperror')) {
    return verdict('dns-error', {
      en: `${domain}: the key record of ${selector} could not be fetched to verify the signature (${failing.comment ?? failing.result}); recipients may defer or fail DKIM — check the record on the resolvers (byodkim verify-dns)`,
      ja: `${domain}: 署名の検証に必要なセレクター ${selector} の鍵レコードを取得できませんでした (${failing.comment ?? failing.result})。受信側で DKIM が一時エラーや失敗になるおそれがあります。リゾルバーでレコードを確認してください (byodkim verify-dns)`,
    });
  }
  if (failing !== undefined) {
    const detail = byActive.map(describeSignature).join('; ');
    return verdict('bad-signature', {
      en: `${domain}: the DKIM-Signature by the active selector ${selector} does not verify (${detail}); recipients see DKIM fail — check the published record against the recorded key (byodkim verify-dns) and SES's signing key (byodkim status)`,
      ja: `${domain}: 有効なセレクター ${selector} の DKIM 署名を検証できません (${detail})。受信側では DKIM が失敗します。公開中のレコードと記録済みの鍵 (byodkim verify-dns)、SES の署名鍵 (byodkim status) を確認してください`,
    });
  }
  if (byDomain.length > 0) {
    const others = [...new Set(byDomain.map((s) => s.selector))].join(', ');
    return verdict('wrong-selector', {
      en: `${domain}: SES signs with selector ${others}, not the recorded active selector ${selector} (signatures: ${seen}); someone changed the identity's signing key outside byodkim, or a switch did not complete — run byodkim status`,
      ja: `${domain}: SES はセレクター ${others} で署名しており、記録上の有効なセレクター ${selector} ではありません (署名: ${seen})。byodkim 以外で署名鍵が変更されたか、切り替えが完了していません。byodkim status で確認してください`,
    });
  }
  return verdict('no-signature', {
    en: `${domain}: the message carries no DKIM-Signature by ${domain} (signatures: ${seen}); SES is not signing for the domain — check that DKIM signing is enabled on the identity (byodkim status)`,
    ja: `${domain}: 受信したメールに ${domain} の DKIM 署名がありません (署名: ${seen})。SES がこのドメインで署名していません。ID の DKIM 署名が有効か確認してください (byodkim status)`,
  });
}

/** The verdict when no copy of the domain's message arrived within `waitedSeconds`. */
export function notArrivedVerdict(expected: CanaryExpectation, waitedSeconds: number): CanaryVerdict {
  return {
    domain: expected.domain,
    outcome: 'not-arrived',
    expectedSelector: expected.selector,
    signatures: [],
    message: {
      en: `${expected.domain}: the canary message did not arrive in the bucket within ${waitedSeconds} s; check SES sending for the domain (suppression, sending paused), the receipt rule and the receiving domain's MX record`,
      ja: `${expected.domain}: カナリアメールが ${waitedSeconds} 秒以内にバケットに届きませんでした。このドメインの SES 送信 (抑制リスト、送信停止)、受信ルール、受信ドメインの MX レコードを確認してください`,
    },
  };
}

/** The verdict when SES did not accept the domain's message (`detail`: the error's code and message). */
export function sendFailedVerdict(expected: CanaryExpectation, detail: string): CanaryVerdict {
  return {
    domain: expected.domain,
    outcome: 'send-failed',
    expectedSelector: expected.selector,
    signatures: [],
    message: {
      en: `${expected.domain}: SES did not send the canary message (${detail}); check the identity's sending status and the canary role's ses:SendEmail permission`,
      ja: `${expected.domain}: SES がカナリアメールを送信しませんでした (${detail})。ID の送信状態と、カナリア用ロールの ses:SendEmail 権限を確認してください`,
    },
  };
}
