import { diagnoseRecord } from '../../../functions/dkim/diagnosis';
import type { ExpectedRecord, RecordDiagnosis, TxtAnswer } from '../../../functions/dkim/dns-answer';
import { formatRecordValue, REVOCATION_VALUE, splitIntoStrings } from '../../../functions/dkim/record';
import { answerOutcome, answerWith, DOMAIN, DOUBLED_NAME, NAME, SELECTOR, testKey, toPkcs1PublicKey } from './fixtures';

const key = testKey(2048).publicKey;
const stale = testKey(2048, 'stale').publicKey;
const expected: ExpectedRecord = { selector: SELECTOR, domain: DOMAIN, publicKey: key };
const value = formatRecordValue(key);
/** The record as DNS serves a 2048-bit value: ONE record of two character-strings. */
const good = splitIntoStrings(value);

/**
 * Spaces that Japanese typography does not have: next to a full-width bracket or punctuation mark
 * (`は 「…」`, `」 です`, `） です`, `、 `, ` 。`). A space between Japanese and Latin letters or digits
 * (`1 件`, `p= の`) is the project's style and allowed.
 */
const STRAY_JAPANESE_SPACE = /[ \t][「」『』（）、。：]|[「」『』（）、。：][ \t]/;

function strayJapaneseSpaces(ja: string): string[] {
  const found: string[] = [];
  const pattern = new RegExp(STRAY_JAPANESE_SPACE.source, 'g');
  for (let m = pattern.exec(ja); m; m = pattern.exec(ja)) found.push(ja.slice(Math.max(0, m.index - 6), m.index + 8));
  return found;
}

function diagnose(answer: TxtAnswer, doubled?: TxtAnswer): RecordDiagnosis {
  const result = diagnoseRecord(expected, answer, doubled);
  // Every diagnosis speaks both languages and says something.
  expect(result.message.en.length).toBeGreaterThan(20);
  expect(result.message.ja).toMatch(/[ぁ-んァ-ヶ一-龠]/);
  expect(strayJapaneseSpaces(result.message.ja)).toEqual([]);
  expect(result.ok).toBe(result.code === 'match');
  return result;
}

describe('a record that matches', () => {
  it('is ok when the value is ONE record of several character-strings', () => {
    const result = diagnose(answerWith([good]));
    expect(result).toMatchObject({ code: 'match', ok: true });
    expect(result.viaCname).toBeUndefined();
    expect(result.message.en).toContain(`the record at ${NAME} matches`);
  });

  it.each([
    ['in one string (a DNS host that joins them)', [[value]]],
    ['with tags reordered and spaced', [[`v=DKIM1 ;  p=${key} ; k=rsa ;`]]],
    ['without v= and k=', [[`p=${key}`]]],
    ['cut into strings at other places', [[value.slice(0, 17), value.slice(17, 300), value.slice(300)]]],
  ])('is ok %s', (_label, records) => {
    expect(diagnose(answerWith(records)).code).toBe('match');
  });

  it('is ok through a CNAME, and says so', () => {
    const chain = [`${SELECTOR}.dkim.example.net`];
    const result = diagnose(answerWith([good], { cnameChain: chain }));
    expect(result).toMatchObject({ code: 'match', ok: true, viaCname: chain });
    expect(result.message.en).toContain(`reached through CNAME ${NAME} → ${chain[0]}`);
    expect(result.message.ja).toContain('CNAME');
  });

  it('is not ok with whitespace inside p= (not byte-exact), and says to remove the spaces', () => {
    const spaced = `v=DKIM1; k=rsa; p=${key.slice(0, 200)} ${key.slice(200)}`;
    const result = diagnose(answerWith([splitIntoStrings(spaced)]));
    expect(result).toMatchObject({ code: 'whitespace-in-key', ok: false });
    expect(result.message.en).toContain('p= contains whitespace');
    expect(result.message.en).toContain('Remove the spaces inside the key');
    expect(result.message.ja).toContain('空白を削除してください');
  });

  it('is not ok in testing mode (t=y), and says what that means and to remove it', () => {
    const result = diagnose(answerWith([[`v=DKIM1; t=y; k=rsa; p=${key}`]]));
    expect(result).toMatchObject({ code: 'testing-flag', ok: false });
    expect(result.message.en).toContain('t=y marks it as testing');
    expect(result.message.en).toContain('Remove t=y');
  });
});

describe('no record', () => {
  it.each([
    ['nxdomain', 'NXDOMAIN'],
    ['nodata', 'NODATA'],
  ] as const)('reports %s and says what to publish', (outcome, word) => {
    const result = diagnose(answerOutcome(outcome));
    expect(result.code).toBe('no-record');
    expect(result.message.en).toContain(word);
    expect(result.message.en).toContain(`publish exactly one TXT record at ${NAME}`);
    expect(result.message.en).toContain('410 characters, as 2 character-strings');
  });

  it('treats an answer without records like NODATA', () => {
    expect(diagnose(answerWith([])).code).toBe('no-record');
  });

  it('stays no-record when the doubled name has nothing either', () => {
    expect(diagnose(answerOutcome('nxdomain'), answerOutcome('nxdomain', { name: DOUBLED_NAME })).code).toBe(
      'no-record',
    );
  });
});

describe('the domain appended twice', () => {
  it('names the doubled name and how to enter the name, noting the value is right', () => {
    const result = diagnose(answerOutcome('nxdomain'), answerWith([good], { name: DOUBLED_NAME }));
    expect(result.code).toBe('domain-appended-twice');
    expect(result.message.en).toContain(`there is one at ${DOUBLED_NAME}`);
    expect(result.message.en).toContain(`"${SELECTOR}._domainkey" (relative)`);
    expect(result.message.en).toContain('Its value is right');
    expect(result.message.ja).toContain('二重');
  });

  it('says when the value at the doubled name is wrong too', () => {
    const doubled = answerWith([[formatRecordValue(stale)]], { name: DOUBLED_NAME });
    expect(diagnose(answerOutcome('nodata'), doubled).message.en).toContain('not the expected one either');
  });
});

describe('several TXT records at the name', () => {
  it('fails even when one of them matches: verifiers pick one unpredictably', () => {
    const result = diagnose(answerWith([good, [formatRecordValue(stale)]]));
    expect(result.code).toBe('multiple-records');
    expect(result.message.en).toContain('2 TXT records');
    expect(result.message.en).toContain('one of them is right');
  });

  it('recognises a value split into several records instead of several strings', () => {
    const result = diagnose(answerWith([[good[0]!], [good[1]!]]));
    expect(result.code).toBe('multiple-records');
    expect(result.message.en).toContain('split into 2 separate TXT records; it must be ONE record');
  });

  it('says when none of them is the expected record', () => {
    const other = testKey(1024, 'other').publicKey;
    const result = diagnose(answerWith([[formatRecordValue(stale)], [formatRecordValue(other)]]));
    expect(result.message.en).toContain('none of them is the expected record');
  });
});

describe('mistakes in the value', () => {
  it('wrong key: a stale value, showing the ends of both keys', () => {
    const result = diagnose(answerWith([splitIntoStrings(formatRecordValue(stale))]));
    expect(result.code).toBe('wrong-key');
    expect(result.message.en).toContain(stale.slice(-16));
    expect(result.message.en).toContain(key.slice(-16));
    expect(result.message.en).toContain('perhaps an old value');
  });

  it('key truncated: the value cut at 255 characters', () => {
    const result = diagnose(answerWith([[value.slice(0, 255)]]));
    expect(result.code).toBe('key-truncated');
    expect(result.message.en).toContain(`only its beginning of the expected key (237 of ${key.length} characters`);
    expect(result.message.en).toContain('several character-strings of ONE record');
  });

  it('key truncated: only the second string published', () => {
    const result = diagnose(answerWith([[`v=DKIM1; k=rsa; p=${key.slice(237)}`]]));
    expect(result.code).toBe('key-truncated');
    expect(result.message.en).toContain('only a part of the expected key');
  });

  it.each([
    ['around the whole value', [[`"${value}"`]]],
    ['around each string, pasted into one field', [[`"${good[0]}" "${good[1]}"`]]],
    ['around each string of the record', [[`"${good[0]}"`, `"${good[1]}"`]]],
  ])('quotes pasted %s', (_label, records) => {
    const result = diagnose(answerWith(records));
    expect(result.code).toBe('quoted-value');
    expect(result.message.en).toContain('literal double quotes');
    expect(result.message.en).toContain('Without the quotes the value would be right');
  });

  it('quotes around a wrong value: says the value is wrong as well', () => {
    const result = diagnose(answerWith([[`"${formatRecordValue(stale)}"`]]));
    expect(result.code).toBe('quoted-value');
    expect(result.message.en).toContain('Even without the quotes');
  });

  it('revoked: p= is empty', () => {
    const result = diagnose(answerWith([[REVOCATION_VALUE]]));
    expect(result.code).toBe('revoked');
    expect(result.message.en).toContain('revocation (p= is empty)');
  });

  it('weak key: a 512-bit key', () => {
    const result = diagnose(answerWith([[formatRecordValue(testKey(512).publicKey)]]));
    expect(result.code).toBe('weak-key');
    expect(result.message.en).toContain('only 512 bits');
    expect(result.message.en).toContain('RFC 8301');
  });

  it.each([
    ['v= not first', `k=rsa; v=DKIM1; p=${key}`, 'v=DKIM1 must be the first tag'],
    ['v=DKIM2', `v=DKIM2; k=rsa; p=${key}`, 'v= must be "DKIM1"'],
    ['k=ed25519', `v=DKIM1; k=ed25519; p=${key}`, 'k= must be "rsa"'],
    ['no p=', 'v=DKIM1; k=rsa', 'no p= tag'],
    ['bad base64', `v=DKIM1; k=rsa; p=${key.slice(0, 100)}*${key.slice(101)}`, 'not valid base64'],
    ['a duplicate tag', `v=DKIM1; k=rsa; k=rsa; p=${key}`, 'appears more than once'],
    ['semicolons missing between tags', `v=DKIM1 k=rsa p=${key}`, '";" between tags is missing'],
    ['the key pasted twice', `v=DKIM1; k=rsa; p=${key}${key}`, 'followed by'],
    ['h= without sha256', `v=DKIM1; h=sha1; k=rsa; p=${key}`, 'does not allow sha256'],
  ])('malformed: %s', (_label, text, phrase) => {
    const result = diagnose(answerWith([splitIntoStrings(text)]));
    expect(result.code).toBe('malformed');
    expect(result.message.en).toContain(phrase);
    expect(result.message.en).toContain(`publish exactly one TXT record at ${NAME}`);
  });

  it('malformed: the right key in PKCS#1 RSAPublicKey form instead of SubjectPublicKeyInfo', () => {
    const pkcs1 = toPkcs1PublicKey(key);
    const result = diagnose(answerWith([splitIntoStrings(`v=DKIM1; k=rsa; p=${pkcs1}`)]));
    expect(result.code).toBe('malformed');
    expect(result.message.en).toContain('right key but encoded as a bare RSAPublicKey');
  });

  it('keeps the CNAME chain on a failure reached through a CNAME', () => {
    const chain = ['sel.dkim.example.net'];
    const result = diagnose(answerWith([[formatRecordValue(stale)]], { cnameChain: chain }));
    expect(result).toMatchObject({ code: 'wrong-key', ok: false, viaCname: chain });
  });
});

describe('failed lookups', () => {
  it.each([
    ['servfail', 'answered SERVFAIL'],
    ['refused', 'refused the query'],
    ['timeout', 'did not answer in time'],
  ] as const)('%s says nothing about the record and names the server', (outcome, phrase) => {
    const result = diagnose(answerOutcome(outcome, { server: '192.0.2.53:53' }));
    expect(result.code).toBe('lookup-failed');
    expect(result.message.en).toContain(`192.0.2.53:53 ${phrase}`);
    expect(result.message.en).toContain('says nothing about the record');
  });

  it.each([
    [
      'ENOTFOUND',
      'could not be reached: its name does not resolve to an address (ENOTFOUND)',
      'サーバー名をアドレスに解決できません（ENOTFOUND）',
    ],
    [
      'ECONNREFUSED',
      'could not be reached: the connection was refused (ECONNREFUSED)',
      '接続が拒否されました（ECONNREFUSED）',
    ],
    [
      'EHOSTUNREACH',
      'could not be reached: there is no route to it (EHOSTUNREACH)',
      'サーバーへの経路がありません（EHOSTUNREACH）',
    ],
    ['EPERM', 'could not be reached: a network error stopped the query (EPERM)', 'ネットワークエラー'],
  ])('an unreachable server (%s) is not worded like a DNS REFUSED answer', (socketError, en, ja) => {
    const result = diagnose(answerOutcome('unreachable', { server: 'ns.example.net:53', socketError }));
    expect(result.code).toBe('lookup-failed');
    expect(result.message.en).toContain(`ns.example.net:53 ${en}`);
    expect(result.message.en).toContain('says nothing about the record');
    expect(result.message.en).not.toMatch(/DNS REFUSED|rcode 5|refused the query/);
    expect(result.message.ja).toContain(ja);
    expect(result.message.ja).not.toContain('拒否しました');
  });

  it('a DNS REFUSED answer says the server runs but declines the question', () => {
    const result = diagnose(answerOutcome('refused', { server: '192.0.2.53:53' }));
    expect(result.message.en).toContain('a DNS REFUSED answer, rcode 5: the server runs but declines this question');
    expect(result.message.ja).toContain('DNS の REFUSED 応答');
  });

  it('wins over a doubled-name record (nothing is known about the primary name)', () => {
    expect(diagnose(answerOutcome('timeout'), answerWith([good], { name: DOUBLED_NAME })).code).toBe('lookup-failed');
  });
});

describe('the Japanese text', () => {
  const cases: [string, TxtAnswer, TxtAnswer?][] = [
    ['match', answerWith([good])],
    ['match through a CNAME', answerWith([good], { cnameChain: ['sel.dkim.example.net'] })],
    ['wrong key (long keys)', answerWith([splitIntoStrings(formatRecordValue(stale))])],
    ['wrong key (short key)', answerWith([['v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQE']])],
    ['wrong key through a CNAME', answerWith([[formatRecordValue(stale)]], { cnameChain: ['sel.dkim.example.net'] })],
    ['no record', answerOutcome('nxdomain')],
    ['nodata', answerOutcome('nodata')],
    ['domain twice', answerOutcome('nxdomain'), answerWith([good], { name: DOUBLED_NAME })],
    [
      'domain twice, wrong value',
      answerOutcome('nxdomain'),
      answerWith([[formatRecordValue(stale)]], { name: DOUBLED_NAME }),
    ],
    ['multiple, one right', answerWith([good, [formatRecordValue(stale)]])],
    ['split into records', answerWith([[good[0]!], [good[1]!]])],
    ['quoted', answerWith([[`"${value}"`]])],
    ['quoted, wrong', answerWith([[`"${formatRecordValue(stale)}"`]])],
    ['revoked', answerWith([[REVOCATION_VALUE]])],
    ['truncated', answerWith([[value.slice(0, 255)]])],
    ['a part', answerWith([[`v=DKIM1; k=rsa; p=${key.slice(237)}`]])],
    ['weak', answerWith([[formatRecordValue(testKey(512).publicKey)]])],
    ['whitespace', answerWith([[`v=DKIM1; k=rsa; p=${key.slice(0, 200)} ${key.slice(200)}`]])],
    ['testing', answerWith([[`v=DKIM1; t=y; k=rsa; p=${key}`]])],
    ['malformed k=', answerWith([[`v=DKIM1; k=ed25519; p=${key}`]])],
    ['malformed, no p=', answerWith([['v=DKIM1; k=rsa']])],
    ['malformed, no ;', answerWith([[`v=DKIM1 k=rsa p=${key}`]])],
    ['malformed, pasted twice', answerWith([[`v=DKIM1; k=rsa; p=${key}${key}`]])],
    ['malformed, PKCS#1', answerWith([[`v=DKIM1; k=rsa; p=${toPkcs1PublicKey(key)}`]])],
    ['servfail', answerOutcome('servfail', { server: '192.0.2.53:53' })],
    ['refused', answerOutcome('refused', { server: '192.0.2.53:53' })],
    ['timeout', answerOutcome('timeout')],
    ['unreachable, name', answerOutcome('unreachable', { server: 'ns.invalid:53', socketError: 'ENOTFOUND' })],
    ['unreachable, refused', answerOutcome('unreachable', { server: '127.0.0.1:1', socketError: 'ECONNREFUSED' })],
    ['unreachable, no code', answerOutcome('unreachable')],
  ];

  // `doubled` has a default so that jest does not take the third parameter for a `done` callback.
  it.each(cases)(
    'has no stray space next to Japanese brackets or punctuation: %s',
    (_label, answer, doubled = undefined) => {
      const { ja } = diagnoseRecord(expected, answer, doubled).message;
      expect(strayJapaneseSpaces(ja)).toEqual([]);
    },
  );

  it('quotes the key ends in the wrong-key diagnosis without spaces around the brackets', () => {
    const { ja } = diagnoseRecord(expected, answerWith([splitIntoStrings(formatRecordValue(stale))])).message;
    expect(ja).toContain(
      `末尾は「…${stale.slice(-16)}」（${stale.length} 文字）、期待される末尾は「…${key.slice(-16)}」（${key.length} 文字）です。`,
    );
  });

  it('a 1024-bit key: one character-string, spaced like every other number', () => {
    const small = testKey(1024, 'small').publicKey;
    const { ja } = diagnoseRecord({ ...expected, publicKey: small }, answerOutcome('nxdomain')).message;
    expect(ja).toContain('1 件のレコード内で 1 つの文字列に分割');
  });
});

it('refuses an expected record whose key is not base64 (a programming error, not a DNS finding)', () => {
  expect(() => diagnoseRecord({ ...expected, publicKey: 'not a key' }, answerWith([good]))).toThrow(/base64/);
});
