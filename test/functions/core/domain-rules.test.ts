import {
  dnsModeRule,
  domainNameRule,
  domainSpecViolations,
  formatPath,
  formatValue,
  keyBitsRule,
  rotationRule,
  selectorPrefixRule,
} from '../../../functions/core/domain-rules';
import { delegatedSlots } from '../../../functions/core/names';
import type { DomainSpec } from '../../../functions/core/spec';

const VALID: DomainSpec = {
  domain: 'example.com',
  selectorPrefix: 'mail-prod',
  keyBits: 2048,
  dns: { kind: 'external', contacts: ['dns-team@example.com'], locale: 'ja', leadTimeDays: 14 },
  rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
};

const withSpec = (change: Partial<DomainSpec>): DomainSpec => ({ ...VALID, ...change });
const withRotation = (change: Partial<DomainSpec['rotation']>): DomainSpec =>
  withSpec({ rotation: { ...VALID.rotation, ...change } });

describe('domain rules', () => {
  it('Compliance: the reference spec breaks no rule', () => {
    expect(domainSpecViolations(VALID)).toEqual([]);
  });

  it('domainNameRule, Noncompliance 1: a single label', () => {
    expect(domainNameRule(withSpec({ domain: 'localhost' }))).toEqual([
      { path: ['domain'], rule: expect.stringContaining('at least two labels'), value: 'localhost' },
    ]);
  });

  it('selectorPrefixRule, Noncompliance 1: a trailing hyphen', () => {
    expect(selectorPrefixRule(withSpec({ selectorPrefix: 'mail-' }))[0]).toMatchObject({
      path: ['selectorPrefix'],
      rule: 'must not start or end with a hyphen',
    });
  });

  it('selectorPrefixRule, Compliance: the delegated slots are valid selectors', () => {
    expect(delegatedSlots('mail-prod')).toEqual(['mail-prod1', 'mail-prod2']);
    const delegated = withSpec({
      dns: {
        kind: 'delegated',
        zoneName: 'dkim.example.net',
        contacts: ['a@example.com'],
        locale: 'en',
        leadTimeDays: 14,
      },
    });
    expect(selectorPrefixRule(delegated)).toEqual([]);
  });

  it('keyBitsRule, Noncompliance 1: 4096 bits', () => {
    expect(keyBitsRule(withSpec({ keyBits: 4096 as 2048 }))).toHaveLength(1);
  });

  it('keyBitsRule, Compliance: 1024 bits is accepted (the construct warns)', () => {
    expect(keyBitsRule(withSpec({ keyBits: 1024 }))).toEqual([]);
  });

  it('dnsModeRule, Noncompliance 1: a contact that is not an address', () => {
    const spec = withSpec({ dns: { ...VALID.dns, contacts: ['dns team'] } as DomainSpec['dns'] });
    expect(dnsModeRule(spec)).toEqual([
      { path: ['dns', 'contacts', 0], rule: 'must be an e-mail address', value: 'dns team' },
    ]);
  });

  it('dnsModeRule, Noncompliance 3: a contact whose domain breaks the domain rules', () => {
    const spec = withSpec({ dns: { ...VALID.dns, contacts: ['ops@-bad-.com', 'foo@bar.c'] } as DomainSpec['dns'] });
    expect(dnsModeRule(spec)).toEqual([
      {
        path: ['dns', 'contacts', 0],
        rule: 'must be an e-mail address: its domain "-bad-.com" label "-bad-" may contain only letters, digits and inner hyphens',
        value: 'ops@-bad-.com',
      },
      {
        path: ['dns', 'contacts', 1],
        rule: expect.stringContaining('its domain "bar.c" must end in a top-level domain'),
        value: 'foo@bar.c',
      },
    ]);
  });

  it('domainNameRule, Noncompliance 2: a one-letter top-level label', () => {
    expect(domainNameRule(withSpec({ domain: 'bar.c' }))[0]).toMatchObject({
      path: ['domain'],
      rule: expect.stringContaining('must end in a top-level domain of at least two letters or an xn-- label'),
    });
  });

  it('dnsModeRule, Noncompliance 2: a delegated zone above the domain', () => {
    const spec = withSpec({
      domain: 'mail.example.com',
      dns: { kind: 'delegated', zoneName: 'example.com', contacts: ['a@example.com'], locale: 'ja', leadTimeDays: 14 },
    });
    expect(dnsModeRule(spec)[0]).toMatchObject({ path: ['dns', 'zoneName'], value: 'example.com' });
  });

  it('rotationRule, Compliance: renewBefore one day more than lead time + 3', () => {
    expect(rotationRule(withRotation({ renewBeforeDays: 18 }))).toEqual([]);
  });

  it('rotationRule, Noncompliance 1: renewBefore exactly lead time + 3', () => {
    expect(rotationRule(withRotation({ renewBeforeDays: 17 }))[0]).toMatchObject({
      path: ['rotation', 'renewBeforeDays'],
      value: 17,
    });
  });

  it('rotationRule, Compliance: route53 mode has no lead time to respect', () => {
    const spec = withSpec({
      dns: { kind: 'route53', hostedZoneId: 'Z1' },
      rotation: { ...VALID.rotation, renewBeforeDays: 2 },
    });
    expect(rotationRule(spec)).toEqual([]);
  });

  it('rotationRule, Noncompliance 2: renewBefore not below the interval', () => {
    expect(rotationRule(withRotation({ intervalDays: 30, renewBeforeDays: 30 }))[0].rule).toContain(
      'must be less than rotation.intervalDays (30)',
    );
  });
});

describe('formatting', () => {
  it('writes paths the way a TypeScript reader would', () => {
    expect(formatPath(['domains', 1, 'rotation', 'renewBeforeDays'])).toBe('domains[1].rotation.renewBeforeDays');
    expect(formatPath([])).toBe('');
  });

  it('writes values as JSON, shortened, and says when nothing was given', () => {
    expect(formatValue('x')).toBe('"x"');
    expect(formatValue(undefined)).toBe('nothing (the field is missing)');
    expect(formatValue('y'.repeat(200))).toHaveLength(120);
  });

  it('writes numbers JSON cannot hold as written, not as null', () => {
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(Infinity)).toBe('Infinity');
    expect(formatValue(-Infinity)).toBe('-Infinity');
    expect(formatValue({ days: NaN })).toBe('{"days":NaN}');
  });
});
