import {
  formatRecordValue,
  joinStrings,
  parseQuotedStrings,
  parseRecord,
  parseTags,
  parseZoneFileRecord,
  quoteString,
  REVOCATION_VALUE,
  splitIntoStrings,
  toRoute53Value,
  zoneFileLine,
} from '../../../functions/dkim/record';
import { RecordSyntaxError } from '../../../functions/dkim/errors';
import { ValidationError } from '../../../functions/core/errors';
import { NAME, testKey, toPkcs1PublicKey } from './fixtures';

const key = testKey(2048).publicKey;
const value = formatRecordValue(key);

describe('the record value', () => {
  it('is v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>, about 410 characters for 2048 bits', () => {
    expect(value).toBe(`v=DKIM1; k=rsa; p=${key}`);
    expect(value.length).toBe(410);
    expect(formatRecordValue(testKey(1024).publicKey).length).toBe(234);
  });

  it.each([
    ['with spaces', `${key.slice(0, 50)} ${key.slice(50)}`],
    ['empty', ''],
    ['not base64', 'p@ss'],
  ])('refuses a public key %s', (_label, bad) => {
    expect(() => formatRecordValue(bad)).toThrow(ValidationError);
  });

  it('revokes with v=DKIM1; p=', () => {
    expect(REVOCATION_VALUE).toBe('v=DKIM1; p=');
    expect(parseRecord(REVOCATION_VALUE)).toMatchObject({ revoked: true, publicKey: '' });
  });
});

describe('character-strings of one TXT record', () => {
  it('cuts a 2048-bit record into 255 + 155 characters, in order', () => {
    const strings = splitIntoStrings(value);
    expect(strings.map((s) => s.length)).toEqual([255, 155]);
    expect(joinStrings(strings)).toBe(value);
  });

  it.each([
    [0, [0]],
    [1, [1]],
    [255, [255]],
    [256, [255, 1]],
    [510, [255, 255]],
    [511, [255, 255, 1]],
  ])('cuts %d characters into strings of %j', (length, sizes) => {
    expect(splitIntoStrings('x'.repeat(length)).map((s) => s.length)).toEqual(sizes);
  });

  it('counts octets, never splitting a UTF-8 character', () => {
    const strings = splitIntoStrings('é'.repeat(200));
    expect(strings.map((s) => Buffer.byteLength(s))).toEqual([254, 146]);
  });

  it('refuses string sizes DNS cannot carry', () => {
    expect(() => splitIntoStrings(value, 256)).toThrow(RangeError);
  });
});

describe('the Route 53 value and the zone-file line', () => {
  it('quotes each ≤255-character string of ONE record, separated by a space', () => {
    const [first, rest] = splitIntoStrings(value);
    expect(toRoute53Value(value)).toBe(`"${first}" "${rest}"`);
  });

  it('escapes quotes, backslashes and non-printable bytes', () => {
    expect(quoteString('a"b\\c\n')).toBe('"a\\"b\\\\c\\010"');
    expect(parseQuotedStrings(quoteString('a"b\\c\n'))).toEqual(['a"b\\c\n']);
  });

  it('refuses a value whose quoted form exceeds 4000 characters', () => {
    expect(() => toRoute53Value('x'.repeat(3960))).toThrow(/Route 53 allows 4000/);
    expect(toRoute53Value('x'.repeat(3950)).length).toBeLessThanOrEqual(4000);
  });

  it('writes an absolute name, the TTL, IN TXT and the quoted strings on one line', () => {
    const line = zoneFileLine(NAME, value);
    expect(line).toBe(`${NAME}. 3600 IN TXT ${toRoute53Value(value)}`);
    expect(line).not.toContain('\n');
    expect(zoneFileLine(`${NAME}.`, 'v=DKIM1; p=', 300)).toBe(`${NAME}. 300 IN TXT "v=DKIM1; p="`);
    expect(() => zoneFileLine(NAME, value, -1)).toThrow(ValidationError);
  });

  it('reads its own zone-file line back', () => {
    expect(parseZoneFileRecord(zoneFileLine(NAME, value))).toEqual({
      name: NAME,
      ttl: 3600,
      strings: splitIntoStrings(value),
      value,
    });
  });

  it("reads opendkim-genkey's multi-line form with a comment", () => {
    const [a, b] = [key.slice(0, 200), key.slice(200)];
    const text = `${NAME.split('.')[0]}._domainkey\tIN\tTXT\t( "v=DKIM1; h=sha256; k=rsa; "\n\t  "p=${a}"\n\t  "${b}" )  ; ----- DKIM key for example.com\n`;
    const read = parseZoneFileRecord(text);
    expect(read.name).toBe(`${NAME.split('.')[0]}._domainkey`);
    expect(read.ttl).toBeUndefined();
    expect(read.value).toBe(`v=DKIM1; h=sha256; k=rsa; p=${key}`);
  });

  it('reads bare quoted strings and a bare value', () => {
    expect(parseZoneFileRecord(toRoute53Value(value)).value).toBe(value);
    expect(parseZoneFileRecord(`  ${value}\n`)).toEqual({ strings: [value], value });
  });

  it('refuses text that is not a TXT record', () => {
    expect(() => parseZoneFileRecord(`${NAME}. 3600 IN CNAME "x"`)).toThrow(/TXT/);
    expect(() => parseZoneFileRecord(`${NAME}. IN TXT "unterminated`)).toThrow(/not closed/);
  });
});

describe('parsing a record: tolerant where DNS legitimately varies', () => {
  const [a, b] = [key.slice(0, 100), key.slice(100)];
  it.each([
    ['the canonical form', `v=DKIM1; k=rsa; p=${key}`],
    ['no spaces', `v=DKIM1;k=rsa;p=${key}`],
    ['tabs and extra spaces around tags and =', `v = DKIM1 ;\tk=\trsa ;  p = ${key}  `],
    ['a trailing semicolon', `v=DKIM1; k=rsa; p=${key};`],
    ['other tag order after v=', `v=DKIM1; p=${key}; k=rsa`],
    ['no v= and no k= (both optional)', `p=${key}`],
    ['unknown tags and notes', `v=DKIM1; k=rsa; n=rotated_2025; x_foo=bar; p=${key}`],
    ['h=sha256 and s=email', `v=DKIM1; h=sha1:sha256; s=email; k=rsa; p=${key}`],
    ['an empty tag-spec', `v=DKIM1;; k=rsa; p=${key}`],
  ])('accepts %s', (_label, text) => {
    const record = parseRecord(text);
    expect(record.publicKey).toBe(key);
    expect(record.revoked).toBe(false);
    expect(record.bits).toBe(2048);
    expect(record.keyEncoding).toBe('spki');
    expect(record.whitespaceInKey).toBe(false);
  });

  it('accepts several character-strings once joined', () => {
    expect(parseRecord(joinStrings([`v=DKIM1; k=rsa; p=${a}`, b])).publicKey).toBe(key);
  });

  it('removes whitespace inside p= (RFC 6376 FWS) and reports that it did', () => {
    const record = parseRecord(`v=DKIM1; k=rsa; p=${a} ${b.slice(0, 50)}\r\n\t${b.slice(50)}`);
    expect(record.publicKey).toBe(key);
    expect(record.whitespaceInKey).toBe(true);
  });

  it('keeps the tags in order, and t= flags', () => {
    const record = parseRecord(`v=DKIM1; t=y:s; k=rsa; p=${key}`);
    expect(record.tags.map((t) => t.name)).toEqual(['v', 't', 'k', 'p']);
    expect(record.flags).toEqual(['y', 's']);
    expect(record.version).toBe('DKIM1');
  });

  it('reads a PKCS#1 RSAPublicKey in p= and says so', () => {
    const pkcs1 = toPkcs1PublicKey(key);
    expect(parseRecord(`p=${pkcs1}`)).toMatchObject({ keyEncoding: 'pkcs1', bits: 2048 });
  });

  it('reports the size of a short key without refusing it (that is a diagnosis, not syntax)', () => {
    expect(parseRecord(formatRecordValue(testKey(512).publicKey)).bits).toBe(512);
  });
});

describe('parsing a record: strict on the key and on what verifiers reject', () => {
  const ed25519Spki = 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=';
  it.each([
    ['v= not first', `k=rsa; v=DKIM1; p=${key}`, 'version'],
    ['v=DKIM2', `v=DKIM2; k=rsa; p=${key}`, 'version'],
    ['lower-case v=dkim1', `v=dkim1; k=rsa; p=${key}`, 'version'],
    ['k=ed25519', `v=DKIM1; k=ed25519; p=${key}`, 'key-type'],
    ['an Ed25519 key under k=rsa', `v=DKIM1; k=rsa; p=${ed25519Spki}`, 'key-type'],
    ['no p=', 'v=DKIM1; k=rsa', 'missing-key'],
    ['p= with a character outside base64', `v=DKIM1; k=rsa; p=${key.slice(0, -4)}ab!=`, 'key-base64'],
    ['p= whose length is not a multiple of 4', `v=DKIM1; k=rsa; p=${key.slice(0, -1)}`, 'key-base64'],
    ['p= with padding in the middle', `v=DKIM1; k=rsa; p=${key.slice(0, 100)}=${key.slice(101)}`, 'key-base64'],
    [
      'p= that is base64 but not a key',
      `v=DKIM1; k=rsa; p=${Buffer.from('hello world!').toString('base64')}`,
      'key-encoding',
    ],
    ['p= holding a key pasted twice (OpenSSL alone would ignore the extra bytes)', `p=${key}${key}`, 'key-encoding'],
    ['a duplicate tag', `v=DKIM1; k=rsa; p=${key}; p=${key}`, 'duplicate-tag'],
    ['text without =', `v=DKIM1; k=rsa; oops; p=${key}`, 'tag-syntax'],
    ['a quoted tag name', `"v=DKIM1; k=rsa; p=${key}"`, 'tag-syntax'],
    ['a non-ASCII value', `v=DKIM1; k=rsa; n=鍵; p=${key}`, 'tag-syntax'],
    ['h= without sha256', `v=DKIM1; h=sha1; k=rsa; p=${key}`, 'hash-algorithms'],
    ['s= without email', `v=DKIM1; s=tlsrpt; k=rsa; p=${key}`, 'service-type'],
  ])('refuses %s', (_label, text, kind) => {
    let caught: unknown;
    try {
      parseRecord(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RecordSyntaxError);
    const problem = (caught as RecordSyntaxError).problem;
    expect(problem.kind).toBe(kind);
    expect(problem.en.length).toBeGreaterThan(10);
    expect(problem.ja).toMatch(/[ぁ-んァ-ヶ一-龠]/);
  });

  it('parses a tag-list into names and values with surrounding whitespace removed', () => {
    expect(parseTags(' a=1 ; b = x y ;c=')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: 'x y' },
      { name: 'c', value: '' },
    ]);
  });
});
