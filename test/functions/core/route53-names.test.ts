/**
 * Route 53's normalized record names (the IAM condition key `route53:ChangeResourceRecordSetsNormalizedRecordNames`),
 * with the Route 53 Developer Guide's rules and examples: lowercase, no trailing dot, `\` + three octal digits
 * for everything but a–z 0–9 - _ . (`*` → `\052`).
 */
import { normalizeRoute53Name, route53NamePattern } from '../../../functions/core/route53-names';

describe('normalizeRoute53Name', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM.', 'example.com'],
    ['sel-20250907-1._domainkey.example.com.', 'sel-20250907-1._domainkey.example.com'],
    ['*.example.com', '\\052.example.com'],
    ['*._domainkey.example.com', '\\052._domainkey.example.com'],
    ['a b.example.com', 'a\\040b.example.com'],
    ['a!b@c.example.com', 'a\\041b\\100c.example.com'],
    ['back\\slash.example.com', 'back\\134slash.example.com'],
    ['xn--r8jz45g.jp', 'xn--r8jz45g.jp'],
    ['例え.jp', '\\344\\276\\213\\343\\201\\210.jp'],
  ])('%s → %s', (name, normalized) => {
    expect(normalizeRoute53Name(name)).toBe(normalized);
  });

  it('keeps exactly a–z 0–9 - _ . and escapes every other printable ASCII character as three octal digits', () => {
    for (let code = 0x21; code <= 0x7e; code += 1) {
      const char = String.fromCharCode(code);
      const expected = /[a-z0-9._-]/.test(char)
        ? char
        : /[A-Z]/.test(char)
          ? char.toLowerCase()
          : `\\${code.toString(8).padStart(3, '0')}`;
      expect(normalizeRoute53Name(`x${char}y`)).toBe(`x${expected}y`);
    }
  });

  it('removes one trailing dot only', () => {
    expect(normalizeRoute53Name('example.com.')).toBe('example.com');
    expect(normalizeRoute53Name('example.com')).toBe('example.com');
  });
});

describe('route53NamePattern', () => {
  it('keeps * as the IAM wildcard and normalizes the literal parts', () => {
    expect(route53NamePattern('*._domainkey.Example.com.')).toBe('*._domainkey.example.com');
    expect(route53NamePattern('mail-*._domainkey.example.com')).toBe('mail-*._domainkey.example.com');
  });
});
