import {
  assertSelector,
  domainProblem,
  emailProblem,
  makeSelector,
  recordName,
  selectorPrefixProblem,
  selectorProblem,
  toALabel,
} from '../../../functions/core/names';
import { ValidationError } from '../../../functions/core/errors';

describe('SES selector rules', () => {
  it.each([['mail-prod-20250907-1'], ['a'], ['A1'], ['x'.repeat(63)]])('accepts %s', (selector) => {
    expect(selectorProblem(selector)).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(64), 'at most 63 characters (is 64)'],
    ['mail.prod', 'must not contain dots'],
    ['mail_prod', 'must not contain underscores'],
    ['-mail', 'must not start or end with a hyphen'],
    ['mail-', 'must not start or end with a hyphen'],
    ['mail prod', 'only letters, digits and inner hyphens'],
    ['méil', 'only letters, digits and inner hyphens'],
  ])('refuses %j: %s', (selector, reason) => {
    expect(selectorProblem(selector)).toContain(reason);
    expect(() => assertSelector(selector)).toThrow(ValidationError);
  });

  it('names the field and the value in the error', () => {
    expect(() => assertSelector('a.b', 'domains[0].selectorPrefix')).toThrow(
      'domains[0].selectorPrefix "a.b" must not contain dots',
    );
  });
});

describe('selectors made from a prefix', () => {
  it('follow <prefix>-<yyyymmdd>-<n> with the UTC date', () => {
    expect(makeSelector('mail-prod', new Date('2025-09-07T23:30:00Z'), 1)).toBe('mail-prod-20250907-1');
  });

  it('refuse a sequence outside 1..99', () => {
    expect(() => makeSelector('mail', new Date(), 0)).toThrow('from 1 to 99');
    expect(() => makeSelector('mail', new Date(), 100)).toThrow('from 1 to 99');
  });

  it('refuse a prefix too long for the longest selector to fit 63 characters', () => {
    expect(selectorPrefixProblem('p'.repeat(51))).toBeUndefined();
    expect(makeSelector('p'.repeat(51), new Date('2025-01-01'), 99)).toHaveLength(63);
    expect(selectorPrefixProblem('p'.repeat(52))).toContain('at most 51 characters');
  });
});

describe('domains', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM.', 'example.com'],
    ['例え.jp', 'xn--r8jz45g.jp'],
    ['  mail.example.org ', 'mail.example.org'],
  ])('%j becomes the A-label %s', (input, expected) => {
    expect(toALabel(input)).toBe(expected);
  });

  it.each([
    ['', 'not a valid domain name'],
    ['localhost', 'at least two labels'],
    ['exa_mple.com', 'only letters, digits and inner hyphens'],
    ['-bad.example.com', 'only letters, digits and inner hyphens'],
    ['a..b.com', 'empty label'],
    [`${'a'.repeat(64)}.com`, 'at most 63 characters'],
    ['bar.c', 'must end in a top-level domain of at least two letters or an xn-- label (is "c")'],
    ['example.c1', 'must end in a top-level domain of at least two letters or an xn-- label (is "c1")'],
    ['192.0.2.1', 'must end in a top-level domain'],
  ])('refuses %j: %s', (input, reason) => {
    expect(() => toALabel(input)).toThrow(reason);
  });

  it.each([['example.co'], ['example.xn--p1ai'], ['xn--r8jz45g.jp']])('accepts the top-level label of %s', (name) => {
    expect(domainProblem(name)).toBeUndefined();
  });
});

describe('e-mail addresses: one "@", then a domain under the same rules as a mail domain', () => {
  it.each([['ops@example.com'], ['dns-team+dkim@mail.example.co.jp'], ['o.p.s@例え.jp'], ['OPS@Example.COM']])(
    'accepts %s',
    (address) => {
      expect(emailProblem(address)).toBeUndefined();
    },
  );

  it.each([
    ['ops team', 'must be an e-mail address'],
    ['ops@exa_mple..com', 'must be an e-mail address: its domain "exa_mple..com" label "exa_mple" may contain only'],
    ['x@y..z', 'must be an e-mail address: its domain "y..z" must not contain an empty label'],
    ['ops@-bad-.com', 'must be an e-mail address: its domain "-bad-.com" label "-bad-" may contain only'],
    ['foo@bar.c', 'must be an e-mail address: its domain "bar.c" must end in a top-level domain'],
    ['ops@localhost', 'must be an e-mail address: its domain "localhost" must have at least two labels'],
    ['@example.com', 'must be an e-mail address: nothing before "@"'],
    ['a@b@example.com', 'must be an e-mail address with one "@"'],
    ['ops @example.com', 'must be an e-mail address without spaces'],
    ['.ops@example.com', 'the part before "@" must not start or end with a dot'],
    ['o..ps@example.com', 'the part before "@" must not hold two dots in a row'],
    [`${'o'.repeat(65)}@example.com`, 'the part before "@" must be at most 64 characters (is 65)'],
  ])('refuses %j: %s', (address, reason) => {
    expect(emailProblem(address)).toContain(reason);
  });

  it('words an address without "@" exactly as before', () => {
    expect(emailProblem('dns team')).toBe('must be an e-mail address');
  });
});

describe('record names', () => {
  it('are <selector>._domainkey.<domain> with the A-label', () => {
    expect(recordName('mail-prod-20250907-1', '例え.jp')).toBe('mail-prod-20250907-1._domainkey.xn--r8jz45g.jp');
  });

  it('refuse an invalid selector', () => {
    expect(() => recordName('bad_sel', 'example.com')).toThrow('must not contain underscores');
  });
});
