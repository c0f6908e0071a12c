/**
 * Record diagnosis: compares what one DNS server answered with the record a selector should have, and
 * names the mistake in words an operator and a DNS team can act on (English and Japanese).
 *
 * Pure: no I/O. The real DNS verifier and the lifecycle engine's simulated DNS both feed it TxtAnswers.
 *
 * Policy, in the order the checks run (the first that applies wins):
 *  1. the lookup failed (SERVFAIL, REFUSED, timeout, unreachable)             → `lookup-failed`
 *  2. no record at the name, but one at `<name>.<domain>`                       → `domain-appended-twice`
 *  3. no record (NXDOMAIN, or the name exists without TXT)                      → `no-record`
 *  4. more than one TXT record at the name, even if one matches (which one a
 *     verifier uses is undefined: RFC 6376 §3.6.2.2)                            → `multiple-records`
 *  5. literal `"` characters inside the value (quotes pasted with it)           → `quoted-value`
 *  6. the tag-list cannot be read, or `p=` is missing                           → `malformed`
 *  7. `p=` is empty                                                             → `revoked`
 *  8. `p=` is a strict part (usually the start) of the expected key             → `key-truncated`
 *  9. `v=`, `k=`, `h=`, `s=` or the key's encoding make verifiers reject it      → `malformed`
 * 10. the published key is shorter than 1024 bits (RFC 8301: not valid)         → `weak-key`
 * 11. the key equals the expected one, but `p=` has whitespace inside            → `whitespace-in-key`
 * 12. the key equals the expected one, but `t=y` marks it as testing            → `testing-flag`
 * 13. the key equals the expected one                                           → `match`
 * 14. any other key (typically a stale, older value)                            → `wrong-key`
 *
 * Tolerated, because DNS legitimately varies there: tag order (other than `v=` first), whitespace between
 * tags, a trailing `;`, unknown tags, the value cut into several character-strings. A match reached through
 * a CNAME says so in its message.
 *
 * Not tolerated although the key is right: whitespace inside `p=` (RFC 6376 §3.6.1 lets verifiers remove
 * it, but the record is not byte-exact, SES documents no such tolerance for its own check, and a switch that
 * SES then fails leaves mail unsigned: one more round trip with the DNS team is the cheaper risk), and
 * `t=y` (receivers treat signed mail like unsigned mail). Both are named, with the fix.
 */
import {
  isLookupFailure,
  type RecordDiagnosis,
  type ExpectedRecord,
  type TxtAnswer,
  type DiagnosisCode,
} from './dns-answer';
import {
  decodePublicKey,
  formatRecordValue,
  joinStrings,
  parseRecord,
  parseTags,
  splitIntoStrings,
  type DkimRecord,
} from './record';
import type { BilingualText } from '../core/errors';
import { dkimRecordName, relativeRecordName } from '../core/names';
import { RecordSyntaxError } from './errors';

/** RFC 8301: verifiers MUST NOT accept signatures made with RSA keys shorter than this. */
export const MINIMUM_KEY_BITS = 1024;

const FWS = /[ \t\r\n]+/g;

function recordNameOf(expected: ExpectedRecord): string {
  return dkimRecordName(expected.selector, expected.domain);
}

/**
 * A key shown briefly: every RSA-2048 SubjectPublicKeyInfo starts alike, so show its end and its length.
 * Japanese: in 「」 brackets, which take no space before or after (the caller writes `は${…}、`).
 */
function describeKey(key: string, lang: 'en' | 'ja' = 'en'): string {
  if (key.length <= 24) return lang === 'en' ? `"${key}"` : `「${key}」`;
  return lang === 'en' ? `"…${key.slice(-16)}" (${key.length} chars)` : `「…${key.slice(-16)}」（${key.length} 文字）`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function publishInstruction(expected: ExpectedRecord): BilingualText {
  const value = formatRecordValue(expected.publicKey);
  const count = splitIntoStrings(value).length;
  const strings = count === 1 ? 'one character-string' : `${count} character-strings of at most 255 characters`;
  const stringsJa = count === 1 ? '1 つの文字列' : `255 文字以下の ${count} つの文字列`;
  return {
    en: `publish exactly one TXT record at ${recordNameOf(expected)} with the value "v=DKIM1; k=rsa; p=…" (${value.length} characters, as ${strings} in that one record)`,
    ja: `${recordNameOf(expected)} に TXT レコードを 1 件だけ、値「v=DKIM1; k=rsa; p=…」（${value.length} 文字、1 件のレコード内で ${stringsJa}に分割）で登録してください`,
  };
}

function diagnosis(code: DiagnosisCode, answer: TxtAnswer, message: BilingualText): RecordDiagnosis {
  const viaCname = answer.cnameChain.length > 0 ? [...answer.cnameChain] : undefined;
  if (!viaCname) return { code, ok: code === 'match', message };
  const chain = [answer.name, ...viaCname].join(' → ');
  return {
    code,
    ok: code === 'match',
    viaCname,
    message: {
      en: `${message.en} (reached through CNAME ${chain}; that is fine)`,
      ja: `${message.ja}（CNAME ${chain} 経由で参照。問題ありません）`,
    },
  };
}

function hasRecords(answer: TxtAnswer | undefined): answer is TxtAnswer {
  return answer !== undefined && answer.outcome === 'answer' && answer.records.length > 0;
}

/** True when `value` holds the expected key, however its tags are written (used to describe other cases). */
function valueHoldsExpectedKey(value: string, expected: ExpectedRecord): boolean {
  try {
    const record = parseRecord(value);
    return record.publicKey === expected.publicKey;
  } catch {
    return false;
  }
}

/** True when `base64` is a complete RSA public key on its own (so it is not a fragment of another). */
function decodesAsKey(base64: string): boolean {
  try {
    decodePublicKey(base64);
    return true;
  } catch {
    return false;
  }
}

/** Why a server could not be reached at all, from the system error code (no DNS response was received). */
function unreachableCause(code: string | undefined): BilingualText {
  if (code === 'ENOTFOUND' || (code !== undefined && code.startsWith('EAI_'))) {
    return {
      en: `its name does not resolve to an address (${code})`,
      ja: `サーバー名をアドレスに解決できません（${code}）`,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      en: `the connection was refused (${code}): nothing serves DNS at that address and port`,
      ja: `接続が拒否されました（${code}）。そのアドレスとポートでは DNS サーバーが動いていません`,
    };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return { en: `there is no route to it (${code})`, ja: `サーバーへの経路がありません（${code}）` };
  }
  return code
    ? { en: `a network error stopped the query (${code})`, ja: `ネットワークエラーで問い合わせできません（${code}）` }
    : { en: 'no DNS response was received', ja: 'DNS の応答を受け取れませんでした' };
}

function lookupFailed(answer: TxtAnswer): RecordDiagnosis {
  const server = answer.server ?? 'the DNS server';
  const serverJa = answer.server ?? 'DNS サーバー';
  if (answer.outcome === 'unreachable') {
    const cause = unreachableCause(answer.socketError);
    return diagnosis('lookup-failed', answer, {
      en: `could not check ${answer.name}: ${server} could not be reached: ${cause.en}. No DNS server answered, so this says nothing about the record; check the server's name, address and port, then try again.`,
      ja: `${answer.name} を確認できませんでした: ${serverJa} に到達できません。${cause.ja}。DNS サーバーからの応答がないため、レコードの正否は不明です。サーバー名、アドレス、ポートを確認のうえ再試行してください。`,
    });
  }
  const what: Record<string, BilingualText> = {
    servfail: { en: 'answered SERVFAIL', ja: 'SERVFAIL を返しました' },
    refused: {
      en: 'refused the query (a DNS REFUSED answer, rcode 5: the server runs but declines this question; it does not serve the zone, or does not resolve names for this client)',
      ja: '問い合わせを拒否しました（DNS の REFUSED 応答、rcode 5。サーバーは動いていますが、このゾーンを提供していないか、このクライアントの名前解決を受け付けていません）',
    },
    timeout: { en: 'did not answer in time', ja: '時間内に応答しませんでした' },
  };
  const reason = what[answer.outcome] ?? { en: `failed (${answer.outcome})`, ja: `失敗しました（${answer.outcome}）` };
  return diagnosis('lookup-failed', answer, {
    en: `could not check ${answer.name}: ${server} ${reason.en}. This says nothing about the record; check that the server is reachable and serves the zone, then try again.`,
    ja: `${answer.name} を確認できませんでした: ${serverJa} が${reason.ja}。レコードの正否は不明です。サーバーに到達でき、ゾーンを提供しているか確認のうえ再試行してください。`,
  });
}

function noRecord(expected: ExpectedRecord, answer: TxtAnswer): RecordDiagnosis {
  const instruction = publishInstruction(expected);
  const cause: BilingualText =
    answer.outcome === 'nxdomain'
      ? { en: 'the name does not exist (NXDOMAIN)', ja: 'その名前が存在しません（NXDOMAIN）' }
      : {
          en: 'the name exists but has no TXT record (NODATA; perhaps another record type was used)',
          ja: '名前は存在しますが TXT レコードがありません（NODATA。別のレコード種別で登録された可能性があります）',
        };
  return diagnosis('no-record', answer, {
    en: `no DKIM record at ${answer.name}: ${cause.en}. If it was published recently, wait for the TTL to pass; otherwise ${instruction.en}.`,
    ja: `${answer.name} に DKIM レコードがありません: ${cause.ja}。最近登録した場合は TTL の経過を待ってください。そうでなければ、${instruction.ja}。`,
  });
}

function domainAppendedTwice(expected: ExpectedRecord, answer: TxtAnswer, doubled: TxtAnswer): RecordDiagnosis {
  const valueRight = doubled.records.length === 1 && valueHoldsExpectedKey(joinStrings(doubled.records[0]!), expected);
  const tail: BilingualText = valueRight
    ? { en: 'Its value is right; only the name is wrong.', ja: '値は正しく、名前だけが誤っています。' }
    : {
        en: 'Its value is not the expected one either.',
        ja: 'また、値も期待される内容と異なります。',
      };
  return diagnosis('domain-appended-twice', answer, {
    en: `no record at ${answer.name}, but there is one at ${doubled.name}: the full name was entered in a zone that appends the domain again. Enter the name as "${relativeRecordName(expected.selector)}" (relative) or "${answer.name}." with a trailing dot, and remove the record at ${doubled.name}. ${tail.en}`,
    ja: `${answer.name} にはレコードがなく、${doubled.name} にあります。ドメイン名を自動で付加するゾーンに完全な名前を入力したため、ドメインが二重になっています。名前は「${relativeRecordName(expected.selector)}」（相対名）または末尾にドットを付けた「${answer.name}.」で登録し、${doubled.name} のレコードは削除してください。${tail.ja}`,
  });
}

function multipleRecords(expected: ExpectedRecord, answer: TxtAnswer): RecordDiagnosis {
  const values = answer.records.map((r) => joinStrings(r));
  const matching = values.filter((v) => valueHoldsExpectedKey(v, expected)).length;
  const expectedValue = formatRecordValue(expected.publicKey);
  const splitAcrossRecords =
    matching === 0 &&
    values.some((first) =>
      values.some((second) => first !== second && (first + second).replace(FWS, '') === expectedValue.replace(FWS, '')),
    );
  const situation: BilingualText = splitAcrossRecords
    ? {
        en: `the value was split into ${values.length} separate TXT records; it must be ONE record whose value is several character-strings ("…" "…").`,
        ja: `値が ${values.length} 件の別々の TXT レコードに分割されています。複数の文字列（"…" "…"）からなる 1 件のレコードでなければなりません。`,
      }
    : matching > 0
      ? {
          en: `one of them is right, but verifiers pick one record unpredictably, so the others break signatures. Remove all but the correct record.`,
          ja: `うち 1 件は正しいものの、検証側がどのレコードを使うかは不定のため、他のレコードで署名検証が失敗します。正しいレコード以外を削除してください。`,
        }
      : {
          en: 'none of them is the expected record.',
          ja: 'いずれも期待されるレコードではありません。',
        };
  const instruction = publishInstruction(expected);
  return diagnosis('multiple-records', answer, {
    en: `${values.length} TXT records at ${answer.name}: ${situation.en} In short: ${instruction.en}.`,
    ja: `${answer.name} に TXT レコードが ${values.length} 件あります: ${situation.ja}つまり、${instruction.ja}。`,
  });
}

function quotedValue(expected: ExpectedRecord, answer: TxtAnswer, value: string): RecordDiagnosis {
  const unquoted = value.replace(/"\s*"/g, '').replace(/"/g, '').trim();
  const tail: BilingualText = valueHoldsExpectedKey(unquoted, expected)
    ? {
        en: 'Without the quotes the value would be right.',
        ja: '引用符を除けば値は正しい内容です。',
      }
    : {
        en: 'Even without the quotes the value would not be the expected one.',
        ja: '引用符を除いても期待される値ではありません。',
      };
  return diagnosis('quoted-value', answer, {
    en: `the record at ${answer.name} contains literal double quotes ("): they were pasted into the value. In a DNS console, enter the value without the surrounding quotes (or, where strings must be quoted, quote each 255-character part once, with nothing else inside). ${tail.en}`,
    ja: `${answer.name} のレコードの値に二重引用符（"）が文字として含まれています。値と一緒に貼り付けられたものです。DNS の管理画面では前後の引用符を付けずに値を入力してください（引用符が必要な形式では、255 文字ごとの各部分を 1 回ずつ引用符で囲むだけにしてください）。${tail.ja}`,
  });
}

function malformed(expected: ExpectedRecord, answer: TxtAnswer, problem: BilingualText): RecordDiagnosis {
  const instruction = publishInstruction(expected);
  return diagnosis('malformed', answer, {
    en: `the record at ${answer.name} is malformed: ${problem.en}. Verifiers reject it; ${instruction.en}.`,
    ja: `${answer.name} のレコードの形式が不正です: ${problem.ja}。検証側はこのレコードを拒否します。${instruction.ja}。`,
  });
}

/**
 * Diagnoses one server's answer for a selector's record. `doubled` is that server's answer for
 * `<selector>._domainkey.<domain>.<domain>`, which the caller looks up when the primary name has no record.
 */
export function diagnoseRecord(expected: ExpectedRecord, answer: TxtAnswer, doubled?: TxtAnswer): RecordDiagnosis {
  // The expected key must itself be valid: a bad one is a programming error, not a DNS finding.
  formatRecordValue(expected.publicKey);

  if (isLookupFailure(answer.outcome)) return lookupFailed(answer);
  if (!hasRecords(answer)) {
    return hasRecords(doubled) ? domainAppendedTwice(expected, answer, doubled) : noRecord(expected, answer);
  }
  if (answer.records.length > 1) return multipleRecords(expected, answer);

  const value = joinStrings(answer.records[0]!);
  if (value.includes('"')) return quotedValue(expected, answer, value);

  let rawKey: string | undefined;
  try {
    rawKey = parseTags(value).find((t) => t.name === 'p')?.value;
  } catch (error) {
    if (error instanceof RecordSyntaxError) return malformed(expected, answer, error.problem);
    throw error;
  }
  if (rawKey === undefined) {
    return malformed(
      expected,
      answer,
      /(^|[\s;])p=/.test(value)
        ? {
            en: 'it has no p= tag of its own: "p=" appears inside another tag\'s value, so the ";" between tags is missing',
            ja: '独立した p= タグがありません。「p=」が別のタグの値の中にあり、タグ間の「;」が抜けています',
          }
        : { en: 'it has no p= tag (the public key)', ja: 'p= タグ（公開鍵）がありません' },
    );
  }
  const published = rawKey.replace(FWS, '');
  if (published === '') {
    return diagnosis('revoked', answer, {
      en: `the record at ${answer.name} is a revocation (p= is empty): mail signed with this selector fails verification. If the selector should be in use, ${publishInstruction(expected).en}.`,
      ja: `${answer.name} のレコードは失効済み（p= が空）です。このセレクターで署名したメールは検証に失敗します。このセレクターを使用する場合は、${publishInstruction(expected).ja}。`,
    });
  }
  const isPrefix = expected.publicKey.startsWith(published);
  const isPart =
    published !== expected.publicKey &&
    (isPrefix || (published.length >= 8 && expected.publicKey.includes(published))) &&
    !decodesAsKey(published);
  if (isPart) {
    const cut = isPrefix ? { en: 'its beginning', ja: '先頭部分' } : { en: 'a part', ja: '一部分' };
    return diagnosis('key-truncated', answer, {
      en: `the key at ${answer.name} is cut short: p= holds only ${cut.en} of the expected key (${published.length} of ${expected.publicKey.length} characters; the whole value is ${value.length} characters). A value longer than 255 characters must be entered as several character-strings of ONE record ("first 255" "rest"), not cut. ${capitalised(publishInstruction(expected).en)}.`,
      ja: `${answer.name} の鍵が途中で切れています: p= には期待される鍵の${cut.ja}しかありません（${expected.publicKey.length} 文字中 ${published.length} 文字。値全体は ${value.length} 文字）。255 文字を超える値は切り捨てず、1 件のレコード内で複数の文字列（"先頭 255 文字" "残り"）として登録してください。${publishInstruction(expected).ja}。`,
    });
  }

  let record: DkimRecord;
  try {
    record = parseRecord(value);
  } catch (error) {
    if (error instanceof RecordSyntaxError) {
      if (
        (error.problem.kind === 'key-base64' || error.problem.kind === 'key-encoding') &&
        published.startsWith(expected.publicKey)
      ) {
        return malformed(expected, answer, {
          en: `p= holds the expected key followed by ${published.length - expected.publicKey.length} extra characters`,
          ja: `p= に期待される鍵の後ろに余分な ${published.length - expected.publicKey.length} 文字があります`,
        });
      }
      return malformed(expected, answer, error.problem);
    }
    throw error;
  }
  if (record.bits !== undefined && record.bits < MINIMUM_KEY_BITS) {
    return diagnosis('weak-key', answer, {
      en: `the key at ${answer.name} is only ${record.bits} bits; RFC 8301 forbids verifiers to accept RSA keys shorter than ${MINIMUM_KEY_BITS} bits, so every signature fails. ${capitalised(publishInstruction(expected).en)}.`,
      ja: `${answer.name} の鍵は ${record.bits} ビットしかありません。RFC 8301 により ${MINIMUM_KEY_BITS} ビット未満の RSA 鍵は検証側で受け入れられず、すべての署名が失敗します。${publishInstruction(expected).ja}。`,
    });
  }
  if (record.publicKey === expected.publicKey) {
    if (record.whitespaceInKey) {
      return diagnosis('whitespace-in-key', answer, {
        en: `the key at ${answer.name} is right, but p= contains whitespace, so the record is not byte-exact: DKIM verifiers remove it, but SES's own check is not documented to, and byodkim switches SES only to an exact record. Remove the spaces inside the key: ${publishInstruction(expected).en}.`,
        ja: `${answer.name} の鍵は正しいものの、p= の中に空白が含まれており、レコードが完全一致しません。DKIM 検証側は空白を除去しますが、SES 自身の確認が除去する保証はなく、byodkim は完全一致したレコードにのみ SES を切り替えます。鍵の中の空白を削除してください。${publishInstruction(expected).ja}。`,
      });
    }
    if (record.flags.includes('y')) {
      return diagnosis('testing-flag', answer, {
        en: `the key at ${answer.name} is right, but t=y marks it as testing: receivers treat mail signed with it like unsigned mail. Remove t=y: ${publishInstruction(expected).en}.`,
        ja: `${answer.name} の鍵は正しいものの、t=y によりテストモードになっており、受信側はこの鍵で署名されたメールを未署名と同様に扱います。t=y を削除してください。${publishInstruction(expected).ja}。`,
      });
    }
    return diagnosis('match', answer, {
      en: `the record at ${answer.name} matches the expected key.`,
      ja: `${answer.name} のレコードは期待される鍵と一致しています。`,
    });
  }
  const sameKey = (() => {
    try {
      const ours = decodePublicKey(expected.publicKey).key.export({ format: 'jwk' });
      const theirs = decodePublicKey(record.publicKey).key.export({ format: 'jwk' });
      return ours.n === theirs.n && ours.e === theirs.e;
    } catch {
      return false;
    }
  })();
  if (sameKey) {
    return malformed(expected, answer, {
      en: `p= holds the right key but encoded as a bare RSAPublicKey (PKCS#1) instead of SubjectPublicKeyInfo, which many verifiers reject`,
      ja: `p= の鍵自体は正しいものの、SubjectPublicKeyInfo ではなく RSAPublicKey（PKCS#1）形式で、多くの検証側が拒否します`,
    });
  }
  return diagnosis('wrong-key', answer, {
    en: `the record at ${answer.name} holds a different key (perhaps an old value): published p= ends ${describeKey(record.publicKey)}, expected ends ${describeKey(expected.publicKey)}. Replace the value: ${publishInstruction(expected).en}.`,
    ja: `${answer.name} のレコードには別の鍵（古い値の可能性があります）が登録されています: 登録済みの p= の末尾は${describeKey(record.publicKey, 'ja')}、期待される末尾は${describeKey(expected.publicKey, 'ja')}です。値を置き換えてください: ${publishInstruction(expected).ja}。`,
  });
}
