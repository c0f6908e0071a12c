/**
 * The DKIM key record (RFC 6376 §3.6.1) as text: formatting the value we publish, cutting it into DNS
 * character-strings, the Route 53 and zone-file forms, and a parser that is tolerant where DNS
 * legitimately varies (tag order, whitespace between tags, several character-strings) and strict on the key.
 *
 * One TXT character-string holds at most 255 octets; a longer value is ONE record made of several strings
 * that verifiers concatenate without separators (RFC 6376 §3.6.2.2). Splitting the value into several
 * records instead breaks the key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { RecordSyntaxError, type RecordProblem, type RecordProblemKind } from './errors';
import { ValidationError } from '../core/errors';

/** The most octets one TXT character-string can hold. */
export const TXT_STRING_MAX_OCTETS = 255;
/** Route 53's limit for a whole TXT value, counted on the quoted form it takes (quotes and spaces included). */
export const ROUTE53_TXT_VALUE_MAX = 4000;
/** The TTL written into zone-file lines unless another is given (one hour: short enough to fix a mistake). */
export const DEFAULT_RECORD_TTL = 3600;
/** What every record byodkim publishes starts with; `p=` carries the key. */
export const RECORD_VALUE_PREFIX = 'v=DKIM1; k=rsa; p=';
/** RFC 6376 §3.6.1: an empty `p=` revokes the selector. */
export const REVOCATION_VALUE = 'v=DKIM1; p=';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** FWS as DNS carries it: spaces, tabs and line breaks. */
const FWS = /[ \t\r\n]+/g;
/** A tag value's characters (VALCHAR: `!` to `~` except `;`) runs separated by whitespace. */
const TAG_VALUE = /^[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*$/;

/** `v=DKIM1; k=rsa; p=<publicKey>`: the record value for a base64 DER SubjectPublicKeyInfo. */
export function formatRecordValue(publicKey: string): string {
  if (!BASE64.test(publicKey) || publicKey.length % 4 !== 0) {
    throw new ValidationError(
      'INVALID_PUBLIC_KEY',
      `public key must be base64 DER on one line (got ${publicKey.length} characters that are not)`,
      'publicKey',
    );
  }
  return `${RECORD_VALUE_PREFIX}${publicKey}`;
}

/**
 * Cuts a record value into the character-strings of ONE TXT record, each at most `max` octets (255), in
 * order. An empty value is one empty string. Never splits a UTF-8 character (DKIM values are ASCII anyway).
 */
export function splitIntoStrings(value: string, max: number = TXT_STRING_MAX_OCTETS): string[] {
  if (!Number.isInteger(max) || max < 4 || max > TXT_STRING_MAX_OCTETS) {
    throw new RangeError(`a character-string holds 4 to ${TXT_STRING_MAX_OCTETS} octets (asked for ${max})`);
  }
  const strings: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of value) {
    const size = Buffer.byteLength(char, 'utf8');
    if (octets + size > max) {
      strings.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  strings.push(current);
  return strings;
}

/** The record value a verifier sees: the character-strings concatenated with nothing in between. */
export function joinStrings(strings: readonly string[]): string {
  return strings.join('');
}

/** One character-string in DNS presentation format: quoted, `"` and `\` escaped, other bytes as `\DDD`. */
export function quoteString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * The value as Route 53 takes it for ONE TXT record: quoted character-strings of at most 255 octets,
 * separated by spaces (`"…255…" "…rest…"`). Throws when the quoted form exceeds Route 53's 4000 characters.
 */
export function toRoute53Value(value: string): string {
  const quoted = splitIntoStrings(value).map(quoteString).join(' ');
  if (quoted.length > ROUTE53_TXT_VALUE_MAX) {
    throw new ValidationError(
      'RECORD_VALUE_TOO_LONG',
      `record value takes ${quoted.length} characters as quoted strings; Route 53 allows ${ROUTE53_TXT_VALUE_MAX}`,
      'value',
    );
  }
  return quoted;
}

/** Reads a sequence of presentation-format character-strings (`"a" "b"`, escapes decoded) back into strings. */
export function parseQuotedStrings(text: string): string[] {
  const strings: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
  };
  skipSpace();
  while (i < text.length) {
    if (text[i] !== '"') {
      throw new ValidationError(
        'INVALID_QUOTED_STRINGS',
        `expected a quoted character-string at position ${i + 1}, found ${JSON.stringify(text[i])}`,
        'value',
      );
    }
    i += 1;
    const bytes: number[] = [];
    let closed = false;
    while (i < text.length) {
      const ch = text[i]!;
      if (ch === '"') {
        closed = true;
        i += 1;
        break;
      }
      if (ch === '\\') {
        const digits = /^\d{3}/.exec(text.slice(i + 1, i + 4));
        if (digits) {
          bytes.push(Number(digits[0]) & 0xff);
          i += 4;
        } else if (i + 1 < text.length) {
          bytes.push(...Buffer.from(text[i + 1]!, 'utf8'));
          i += 2;
        } else {
          i += 1;
        }
        continue;
      }
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += 1;
    }
    if (!closed) {
      throw new ValidationError('INVALID_QUOTED_STRINGS', 'a quoted character-string is not closed', 'value');
    }
    strings.push(Buffer.from(bytes).toString('utf8'));
    skipSpace();
  }
  return strings;
}

/**
 * One zone-file line: `<name>. <ttl> IN TXT "…" "…"` (absolute name, the value as ≤255-octet strings of ONE
 * record). This is what DNS teams paste into BIND-style zones and what `byodkim verify-dns --expect` reads.
 */
export function zoneFileLine(name: string, value: string, ttl: number = DEFAULT_RECORD_TTL): string {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
    throw new ValidationError('INVALID_TTL', `ttl must be an integer from 0 to 2147483647 (is ${ttl})`, 'ttl');
  }
  const absolute = name.endsWith('.') ? name : `${name}.`;
  return `${absolute} ${ttl} IN TXT ${splitIntoStrings(value).map(quoteString).join(' ')}`;
}

/** A TXT record read from zone-file text. */
export interface ZoneFileRecord {
  /** The owner name without its trailing dot, or undefined when the text held only the value. */
  readonly name?: string;
  readonly ttl?: number;
  readonly strings: readonly string[];
  readonly value: string;
}

/**
 * Reads back a TXT record given as zone-file text: a `zoneFileLine`, the multi-line `( "…" "…" )` form
 * opendkim-genkey writes (comments after `;` outside quotes ignored), bare quoted strings, or a bare value.
 */
export function parseZoneFileRecord(text: string): ZoneFileRecord {
  // Drop comments (`;` outside quotes) and the parentheses that let a record span lines.
  // Without quotes the text is a bare value, whose `;` separate tags rather than start comments.
  const quoted = text.includes('"');
  let cleaned = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (inQuotes) {
      cleaned += ch;
      if (ch === '\\' && i + 1 < text.length) cleaned += text[++i]!;
      else if (ch === '"') inQuotes = false;
    } else if (ch === '"') {
      inQuotes = true;
      cleaned += ch;
    } else if (ch === ';' && quoted) {
      while (i < text.length && text[i] !== '\n') i += 1;
      cleaned += ' ';
    } else if (quoted && (ch === '(' || ch === ')')) {
      cleaned += ' ';
    } else {
      cleaned += ch;
    }
  }
  cleaned = cleaned.trim();
  const firstQuote = cleaned.indexOf('"');
  if (firstQuote < 0) {
    const bare = cleaned.replace(/\s*\n\s*/g, ' ');
    return { strings: [bare], value: bare };
  }
  const head = cleaned.slice(0, firstQuote).trim().split(/\s+/).filter(Boolean);
  const strings = parseQuotedStrings(cleaned.slice(firstQuote));
  const value = joinStrings(strings);
  if (head.length === 0) return { strings, value };
  const typeIndex = head.findIndex((t) => t.toUpperCase() === 'TXT');
  if (typeIndex < 0 || typeIndex !== head.length - 1) {
    throw new ValidationError(
      'INVALID_ZONE_LINE',
      `expected "<name> [ttl] [IN] TXT \\"…\\"", found ${JSON.stringify(head.join(' '))} before the value`,
      'expect',
    );
  }
  const fields = head.slice(0, typeIndex);
  const name = fields[0] && !/^\d+$/.test(fields[0]) && fields[0].toUpperCase() !== 'IN' ? fields[0] : undefined;
  const ttlField = fields.find((f) => /^\d+$/.test(f));
  return {
    ...(name !== undefined ? { name: name.replace(/\.$/, '') } : {}),
    ...(ttlField !== undefined ? { ttl: Number(ttlField) } : {}),
    strings,
    value,
  };
}

/** One `name=value` of a tag-list, in record order. */
export interface RecordTag {
  readonly name: string;
  /** The value with its surrounding whitespace removed (inner whitespace kept). */
  readonly value: string;
}

function problem(kind: RecordProblemKind, en: string, ja: string): RecordSyntaxError {
  return new RecordSyntaxError({ kind, en, ja } satisfies RecordProblem);
}

/**
 * Parses a DKIM tag-list (RFC 6376 §3.2): `name=value` pairs separated by `;`, whitespace allowed around
 * names, `=` and values, a trailing `;` allowed, tag names case-sensitive, no duplicates. Empty tag-specs
 * (`;;`) are skipped: they are harmless and DNS user interfaces produce them.
 */
export function parseTags(value: string): RecordTag[] {
  const tags: RecordTag[] = [];
  const seen = new Set<string>();
  for (const spec of value.split(';')) {
    if (spec.replace(FWS, '') === '') continue;
    const eq = spec.indexOf('=');
    if (eq < 0) {
      throw problem(
        'tag-syntax',
        `the record has text without "name=value" form: ${JSON.stringify(spec.trim().slice(0, 40))}`,
        `レコードに「名前=値」の形式でない部分があります: ${JSON.stringify(spec.trim().slice(0, 40))}`,
      );
    }
    const name = spec.slice(0, eq).replace(FWS, ' ').trim();
    const tagValue = spec.slice(eq + 1).trim();
    if (!TAG_NAME.test(name)) {
      throw problem(
        'tag-syntax',
        `${JSON.stringify(name)} is not a valid tag name (letters, digits and "_", starting with a letter)`,
        `${JSON.stringify(name)} はタグ名として不正です（英字で始まる英数字と「_」のみ）`,
      );
    }
    if (tagValue !== '' && !TAG_VALUE.test(tagValue)) {
      throw problem(
        'tag-syntax',
        `the value of tag ${name}= contains characters DKIM does not allow (only printable ASCII is allowed)`,
        `タグ ${name}= の値に DKIM で使えない文字が含まれています（表示可能な ASCII 文字のみ使用できます）`,
      );
    }
    if (seen.has(name)) {
      throw problem(
        'duplicate-tag',
        `tag ${name}= appears more than once; RFC 6376 makes the whole record invalid`,
        `タグ ${name}= が複数回現れます。RFC 6376 ではレコード全体が無効になります`,
      );
    }
    seen.add(name);
    tags.push({ name, value: tagValue });
  }
  return tags;
}

/** A DKIM key record that verifiers accept, as byodkim reads it. */
export interface DkimRecord {
  /** `DKIM1` when the record has `v=`, which is optional. */
  readonly version?: 'DKIM1';
  readonly keyType: 'rsa';
  /** The key as base64 DER, whitespace removed; empty when the record is a revocation. */
  readonly publicKey: string;
  /** `p=` is empty: the selector is revoked (RFC 6376 §3.6.1). */
  readonly revoked: boolean;
  /** The RSA modulus size in bits (absent when revoked). */
  readonly bits?: number;
  /**
   * How `p=` encodes the key: `spki` (SubjectPublicKeyInfo, what SES, opendkim and byodkim publish) or
   * `pkcs1` (a bare RSAPublicKey, which RFC 6376's text names but many verifiers reject).
   */
  readonly keyEncoding?: 'spki' | 'pkcs1';
  /** `p=` had whitespace inside. RFC 6376 allows it and verifiers remove it; byodkim reports it. */
  readonly whitespaceInKey: boolean;
  /** `h=`: the hash algorithms allowed, when restricted. */
  readonly hashAlgorithms?: readonly string[];
  /** `s=`: the service types, when restricted. */
  readonly serviceTypes?: readonly string[];
  /** `t=`: flags, e.g. `y` (testing: verifiers treat signed mail as unsigned). */
  readonly flags: readonly string[];
  /** Every tag in record order, including unknown ones (which verifiers ignore). */
  readonly tags: readonly RecordTag[];
}

/** The length a DER structure says it has (header included), or undefined when the header is unreadable. */
function derLength(der: Uint8Array): number | undefined {
  if (der.length < 2 || der[0] !== 0x30) return undefined;
  const first = der[1]!;
  if (!(first & 0x80)) return 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || der.length < 2 + octets) return undefined;
  let length = 0;
  for (let k = 0; k < octets; k += 1) length = length * 256 + der[2 + k]!;
  return 2 + octets + length;
}

/** An RSA public key decoded from a `p=` value. */
export interface DecodedPublicKey {
  readonly key: KeyObject;
  readonly bits: number;
  readonly encoding: 'spki' | 'pkcs1';
}

/**
 * Keys already decoded, by `p=` value: the same records are diagnosed again and again, and decoding
 * (OpenSSL) is the costly part. KeyObjects are immutable. Bounded; values that fail are not remembered.
 */
const decodedKeys = new Map<string, DecodedPublicKey>();
const DECODED_KEPT = 256;

/** The RSA key in a base64 DER `p=` value, or a RecordSyntaxError saying why it is not one. */
export function decodePublicKey(base64: string): DecodedPublicKey {
  const hit = decodedKeys.get(base64);
  if (hit) return hit;
  const decoded = Object.freeze(decodeUncached(base64));
  if (decodedKeys.size >= DECODED_KEPT) decodedKeys.clear();
  decodedKeys.set(base64, decoded);
  return decoded;
}

function decodeUncached(base64: string): DecodedPublicKey {
  if (!BASE64.test(base64) || base64.length % 4 !== 0) {
    throw problem(
      'key-base64',
      `p= is not valid base64 (${base64.length} characters; base64 uses A-Z a-z 0-9 + / and ends with at most two "=", in groups of four)`,
      `p= が正しい base64 ではありません（${base64.length} 文字。base64 は A-Z a-z 0-9 + / のみで、末尾の「=」は最大 2 個、長さは 4 の倍数です）`,
    );
  }
  const der = Buffer.from(base64, 'base64');
  // OpenSSL ignores bytes after the DER structure; a verifier parsing strictly does not. Neither do we.
  if (derLength(der) !== der.length) {
    throw problem(
      'key-encoding',
      'p= is base64 but not exactly one DER structure (extra or missing bytes, e.g. a key pasted twice or cut)',
      'p= は base64 ですが、DER 構造 1 つ分と長さが一致しません（鍵の二重貼り付けや途中切れなど）',
    );
  }
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') {
        throw problem(
          'key-type',
          `p= holds a ${key.asymmetricKeyType} key; SES BYODKIM signs with RSA keys only`,
          `p= の鍵は ${key.asymmetricKeyType} 鍵です。SES BYODKIM は RSA 鍵でのみ署名します`,
        );
      }
      return { key, bits: key.asymmetricKeyDetails?.modulusLength ?? 0, encoding: type };
    } catch (error) {
      if (error instanceof RecordSyntaxError) throw error;
    }
  }
  throw problem(
    'key-encoding',
    'p= is base64 but does not decode to an RSA public key (DER SubjectPublicKeyInfo)',
    'p= は base64 ですが、RSA 公開鍵（DER SubjectPublicKeyInfo）として読めません',
  );
}

/**
 * Parses a DKIM key record value (`v=DKIM1; k=rsa; p=…`, the character-strings already joined). Tolerant
 * of tag order (except `v=`, which RFC 6376 requires first), whitespace between tags, unknown tags and
 * whitespace inside `p=`; strict on the key: `p=` must be present and, unless empty (revoked), be valid
 * base64 of an RSA public key. Also refuses records SES-signed mail cannot verify against: `k=` other than
 * rsa, `h=` without sha256, `s=` without email or `*`. Throws a RecordSyntaxError naming the problem.
 */
export function parseRecord(value: string): DkimRecord {
  const tags = parseTags(value);
  const get = (name: string) => tags.find((t) => t.name === name)?.value;

  const version = get('v');
  if (version !== undefined) {
    if (tags[0]?.name !== 'v') {
      throw problem(
        'version',
        'v=DKIM1 must be the first tag of the record (RFC 6376 §3.6.1)',
        'v=DKIM1 はレコードの先頭のタグでなければなりません（RFC 6376 §3.6.1）',
      );
    }
    if (version !== 'DKIM1') {
      throw problem(
        'version',
        `v= must be "DKIM1" (is ${JSON.stringify(version)}); verifiers discard records with any other version`,
        `v= は「DKIM1」でなければなりません（現在は ${JSON.stringify(version)}）。他の値のレコードは検証側で破棄されます`,
      );
    }
  }
  const keyType = get('k') ?? 'rsa';
  if (keyType !== 'rsa') {
    throw problem(
      'key-type',
      `k= must be "rsa" (is ${JSON.stringify(keyType)}); SES BYODKIM signs with RSA keys`,
      `k= は「rsa」でなければなりません（現在は ${JSON.stringify(keyType)}）。SES BYODKIM は RSA 鍵で署名します`,
    );
  }
  const hash = get('h');
  const hashAlgorithms = hash === undefined ? undefined : hash.split(':').map((h) => h.trim());
  if (hashAlgorithms && !hashAlgorithms.includes('sha256')) {
    throw problem(
      'hash-algorithms',
      `h=${hash} does not allow sha256, the hash SES signs with (rsa-sha256); remove h= or include sha256`,
      `h=${hash} は SES が使う sha256（rsa-sha256）を許可していません。h= を削除するか sha256 を含めてください`,
    );
  }
  const service = get('s');
  const serviceTypes = service === undefined ? undefined : service.split(':').map((s) => s.trim());
  if (serviceTypes && !serviceTypes.includes('*') && !serviceTypes.includes('email')) {
    throw problem(
      'service-type',
      `s=${service} excludes email; remove s= or set it to email`,
      `s=${service} はメールを対象にしていません。s= を削除するか email にしてください`,
    );
  }
  const flags = (get('t') ?? '')
    .split(':')
    .map((f) => f.trim())
    .filter(Boolean);

  const rawKey = get('p');
  if (rawKey === undefined) {
    throw problem(
      'missing-key',
      'the record has no p= tag (the public key); p= is required',
      'レコードに p= タグ（公開鍵）がありません。p= は必須です',
    );
  }
  const publicKey = rawKey.replace(FWS, '');
  const common = {
    ...(version !== undefined ? { version: 'DKIM1' as const } : {}),
    keyType: 'rsa' as const,
    whitespaceInKey: publicKey !== rawKey,
    ...(hashAlgorithms ? { hashAlgorithms } : {}),
    ...(serviceTypes ? { serviceTypes } : {}),
    flags,
    tags,
  };
  if (publicKey === '') return { ...common, publicKey, revoked: true };
  const decoded = decodePublicKey(publicKey);
  return { ...common, publicKey, revoked: false, bits: decoded.bits, keyEncoding: decoded.encoding };
}
