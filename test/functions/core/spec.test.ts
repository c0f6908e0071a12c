import { checkDomainSpec } from '../../../functions/core/domain-rules';
import { resolveDomainSpec, type DomainSpec, type DomainSpecInput } from '../../../functions/core/spec';

const SELECTOR_PREFIX = { selectorPrefix: 'byodkim-prod' };

/** One input per DNS mode, each setting as little as it may. */
const MINIMAL: readonly [string, DomainSpecInput][] = [
  ['route53', { domain: 'example.net', dns: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } }],
  ['external', { domain: 'example.com', dns: { kind: 'external', contacts: ['dns-team@example.com'] } }],
  [
    'delegated',
    { domain: 'example.org', dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns@example.org'] } },
  ],
  [
    'external with a long lead time and an IDN',
    {
      domain: '例え.jp',
      selectorPrefix: 'mail-prod',
      keyBits: 1024,
      dns: { kind: 'external', contacts: ['dns@例え.jp'], locale: 'en', leadTimeDays: 30 },
      rotation: { intervalDays: 90, graceDays: 3, activation: 'manual' },
    },
  ],
];

describe('resolveDomainSpec: the one place a domain spec gets its defaults', () => {
  it('fills every default of an external domain, the selector prefix from the caller', () => {
    expect(resolveDomainSpec(MINIMAL[1][1], SELECTOR_PREFIX)).toEqual({
      domain: 'example.com',
      selectorPrefix: 'byodkim-prod',
      keyBits: 2048,
      dns: { kind: 'external', contacts: ['dns-team@example.com'], locale: 'ja', leadTimeDays: 14 },
      rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
    });
  });

  it('keeps what the input sets and converts the domain to its A-label', () => {
    expect(resolveDomainSpec(MINIMAL[3][1], SELECTOR_PREFIX)).toEqual({
      domain: 'xn--r8jz45g.jp',
      selectorPrefix: 'mail-prod',
      keyBits: 1024,
      dns: { kind: 'external', contacts: ['dns@例え.jp'], locale: 'en', leadTimeDays: 30 },
      rotation: { intervalDays: 90, renewBeforeDays: 40, graceDays: 3, activation: 'manual' },
    });
  });

  it('converts a delegated zone name to its A-label', () => {
    const input: DomainSpecInput = {
      domain: 'Example.ORG.',
      dns: { kind: 'delegated', zoneName: 'DKIM.Example.NET.', contacts: ['dns@example.org'] },
    };
    const spec = resolveDomainSpec(input, SELECTOR_PREFIX);
    expect(spec.domain).toBe('example.org');
    expect(spec.dns).toMatchObject({ zoneName: 'dkim.example.net', locale: 'ja', leadTimeDays: 14 });
  });

  it.each(MINIMAL)('resolving a resolved spec changes nothing (%s)', (_mode, input) => {
    const resolved = resolveDomainSpec(input, SELECTOR_PREFIX);
    const again: DomainSpec = resolveDomainSpec(resolved, { selectorPrefix: 'another-default' });
    expect(again).toEqual(resolved);
  });

  it('does not share arrays with its input', () => {
    const input = MINIMAL[1][1];
    const spec = resolveDomainSpec(input, SELECTOR_PREFIX);
    expect(spec.dns.kind === 'external' && spec.dns.contacts).not.toBe(
      input.dns.kind === 'external' && input.dns.contacts,
    );
  });
});

describe('checkDomainSpec: resolves, checks, and says where each broken value came from', () => {
  it('marks a value the input sets as given', () => {
    const { violations } = checkDomainSpec(
      { ...MINIMAL[0][1], rotation: { intervalDays: 30, renewBeforeDays: 30 } },
      SELECTOR_PREFIX,
    );
    expect(violations).toEqual([
      expect.objectContaining({ path: ['rotation', 'renewBeforeDays'], value: 30, source: 'given' }),
    ]);
  });

  it('marks a default as default, with the values that would pass', () => {
    const { spec, violations } = checkDomainSpec({ ...MINIMAL[0][1], rotation: { intervalDays: 30 } }, SELECTOR_PREFIX);
    expect(spec.rotation.renewBeforeDays).toBe(30);
    expect(violations).toEqual([
      expect.objectContaining({
        path: ['rotation', 'renewBeforeDays'],
        value: 30,
        source: 'default',
        passing: 'a whole number from 1 to 29',
      }),
    ]);
  });

  it('finds nothing defaulted in a resolved spec', () => {
    const resolved = resolveDomainSpec({ ...MINIMAL[0][1], rotation: { intervalDays: 30 } }, SELECTOR_PREFIX);
    expect(checkDomainSpec(resolved, SELECTOR_PREFIX).violations.map((v) => v.source)).toEqual(['given']);
  });
});
