import fc from 'fast-check';
import {
  formatRecordValue,
  joinStrings,
  parseQuotedStrings,
  parseRecord,
  parseTags,
  parseZoneFileRecord,
  ROUTE53_TXT_VALUE_MAX,
  splitIntoStrings,
  toRoute53Value,
  TXT_STRING_MAX_OCTETS,
  zoneFileLine,
} from '../../../functions/dkim/record';
import { ValidationError } from '../../../functions/core/errors';

/**
 * Real RSA public keys (SubjectPublicKeyInfo, base64 DER: two of 2048 bits, one of 1024), generated once with
 * node:crypto and written here: formatting and parsing a record only reads the key's text, and generating
 * them at every run cost more CPU (about 1.5 s on the shared 2-core machine) than all the properties below.
 */
const keys = [
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu9eymuJPI6sOUYV4xFSMKjQFPTOEYCff6M2OSvYWziHxs1j4+ccjUWjID/aStjszB5c6b26rOawBk0QSc5z6bfhRfqgNIpCthneHns1hf68h5f9o/KffrToGI3FR9jG73urkPEIqkmqDkDPNldRFlbBgCCF7jUanAHW4/qMVYaNlhgrYH4u+nmGHof505jpR2DMHmX6KRNY1VZp3D2rBNJwx1hoAu35PZya0TTcJcUtqIiMWgciVkmUut29VZpgDBzgNKSYzjOkeFd+OlNt413nhP1WfiGcggOC7Ez70l5v47WrOgEWv/GhN2PaNrWu5EnzMmMV4zv19V91pb9mY0wIDAQAB',
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAouMIKHMDuab3NSX+1mX01ju5PKGu6ml+QIe/GlRGvm8+zRPbyMtI4XDAwctJk02O2HDeq4+p0nHTCyuPyQ/miqnSO46efWqhrenCR+bxl5otwW2SAQ89UzxJpJyF8+gLwYrIkoWpszVQQ8bPqy8/sa9+Xp4FesUzwoUu7/A/qjgwxYjyrCA8L+SqYB8b4VVGXA5VIn8g37j8eYrnOHrsP+0VeCm0T7srmvxv3ZAnmlVFZZAC4k8IzctTeJRUeYj9F/udFiYLUp+Yx5fWbIqvj8VcNH1kWZx1AcP/XYK2/+14EecSp//PepoULwpJSbFgDMHOD2gB6rsd7n/4Xp3LTwIDAQAB',
  'MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCq4whcOogpFu5Uwb9McjUdnDI5CM4ZDynFcqiFIRwcmLDPmI7MBnPRoYbAm4/cdegTFQn/lLW40BHPtv8YTf/4GZVnPeJdM7vJUvHd2S04DXVYzbKm22VE9elRq6LqnfdfkB9kAj6gnm53ZGSpxc+mbRfzSkkXd8OkuFeMzcNIoQIDAQAB',
];
/** Printable ASCII of any length from 0 to 4000, lengths spread evenly (fast-check favours short strings). */
const ascii = fc.integer({ min: 0, max: 4000 }).chain((n) => fc.string({ minLength: n, maxLength: n }));
const anyText = fc.string({ unit: 'binary', maxLength: 1500 });

describe('splitting and joining record values', () => {
  it('round-trips any printable value up to 4000 characters, each string ≤255 octets, none empty but a lone one', () => {
    fc.assert(
      fc.property(ascii, (value) => {
        const strings = splitIntoStrings(value);
        expect(joinStrings(strings)).toBe(value);
        expect(strings.length).toBe(Math.max(1, Math.ceil(value.length / TXT_STRING_MAX_OCTETS)));
        for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(TXT_STRING_MAX_OCTETS);
        if (strings.length > 1) expect(strings.every((s) => s.length > 0)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any Unicode text, never cutting a character', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 4, max: 255 }), (value, max) => {
        const strings = splitIntoStrings(value, max);
        expect(joinStrings(strings)).toBe(value);
        for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(max);
      }),
    );
  });
});

describe('the Route 53 value', () => {
  it('is within Route 53 limits and reads back to the value, or is refused exactly when too long', () => {
    fc.assert(
      fc.property(ascii, (value) => {
        const quotedLength = splitIntoStrings(value)
          .map((s) => 2 + s.length + (s.match(/["\\]/g)?.length ?? 0))
          .reduce((a, b) => a + b + 1, -1);
        if (quotedLength > ROUTE53_TXT_VALUE_MAX) {
          expect(() => toRoute53Value(value)).toThrow(ValidationError);
          return;
        }
        const r53 = toRoute53Value(value);
        expect(r53.length).toBeLessThanOrEqual(ROUTE53_TXT_VALUE_MAX);
        const strings = parseQuotedStrings(r53);
        for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(TXT_STRING_MAX_OCTETS);
        expect(joinStrings(strings)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('zone-file lines read back to the same name, TTL and value', () => {
    fc.assert(
      fc.property(ascii, fc.integer({ min: 0, max: 2147483647 }), (value, ttl) => {
        const read = parseZoneFileRecord(zoneFileLine('s1._domainkey.example.com', value, ttl));
        expect(read).toEqual({ name: 's1._domainkey.example.com', ttl, strings: splitIntoStrings(value), value });
      }),
      { numRuns: 200 },
    );
  });
});

describe('parse(format(x)) = x', () => {
  it('for the record value of a key', () => {
    for (const key of keys) expect(parseRecord(formatRecordValue(key)).publicKey).toBe(key);
  });

  const tagName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,6}$/);
  const tagValue = fc.stringMatching(/^[\x21-\x3a\x3c-\x7e]{1,8}(?: [\x21-\x3a\x3c-\x7e]{1,8}){0,2}$/);
  const space = fc.constantFrom('', ' ', '  ', '\t', ' \r\n ');

  it('for any tag-list, however it is spaced, and with a trailing ";" or not', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(tagName, tagValue), { selector: ([n]) => n, minLength: 1, maxLength: 8 }),
        space,
        space,
        fc.boolean(),
        (tags, around, between, trailing) => {
          const text =
            tags.map(([n, v]) => `${around}${n}${around}=${around}${v}${around}`).join(`;${between}`) +
            (trailing ? ';' : '');
          expect(parseTags(text)).toEqual(tags.map(([name, value]) => ({ name, value })));
        },
      ),
    );
  });

  it('for any key record whose tags are reordered, spaced and cut into strings anywhere', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        fc.shuffledSubarray(['k=rsa', 'h=sha256', 's=email', 't=s', 'n=note'], { minLength: 0 }),
        fc.integer({ min: 0, max: 5 }),
        space,
        fc.integer({ min: 4, max: 255 }),
        (key, others, at, gap, size) => {
          const tags = [...others];
          tags.splice(Math.min(at, tags.length), 0, `p=${key}`);
          const value = ['v=DKIM1', ...tags].join(`;${gap}`);
          const record = parseRecord(joinStrings(splitIntoStrings(value, size)));
          expect(record.publicKey).toBe(key);
          expect(record.whitespaceInKey).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});
