import { Token } from 'cdktf';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { Sesv2ConfigurationSet } from '@cdktf/provider-aws/lib/sesv2-configuration-set';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import {
  ByodkimDomain,
  defaultConfigurationSetName,
  KeyStoreKey,
  resolveDomainSpec,
  type ByodkimDomainProps,
} from '../../constructs';
import { allKeys, only, synth } from './synth';

const ROUTE53: ByodkimDomainProps = {
  domain: 'example.com',
  dns: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
};
const EXTERNAL: ByodkimDomainProps = {
  domain: 'example.com',
  dns: { kind: 'external', contacts: ['dns-team@example.com'] },
};
const DELEGATED: ByodkimDomainProps = {
  domain: 'example.org',
  selectorPrefix: 'mail-prod',
  dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns-team@example.org'] },
};

function domainOf(props: ByodkimDomainProps): {
  domain: ByodkimDomain;
  text: string;
  json: ReturnType<typeof synth>['json'];
} {
  let domain: ByodkimDomain | undefined;
  const { text, json } = synth((scope) => {
    domain = new ByodkimDomain(scope, 'Domain', props);
  });
  return { domain: domain as ByodkimDomain, text, json };
}

describe('ByodkimDomain: the SES identity', () => {
  const { text, json } = domainOf(ROUTE53);

  it('creates the SES v2 email identity of the domain', () => {
    expect(text).toHaveResourceWithProperties(Sesv2EmailIdentity, { email_identity: 'example.com' });
  });

  it('tells Terraform to ignore the DKIM signing attributes the key manager owns', () => {
    expect(text).toHaveResourceWithProperties(Sesv2EmailIdentity, {
      lifecycle: expect.objectContaining({ ignore_changes: ['dkim_signing_attributes'] }),
    });
  });

  it('never sets DKIM signing attributes, so no private key enters config or state', () => {
    const identity = only(json, 'resource', 'aws_sesv2_email_identity');
    expect(identity).not.toHaveProperty('dkim_signing_attributes');
    expect([...allKeys(json)]).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/private_key|domain_signing|privatekey/i)]),
    );
  });

  it('makes the configuration set the identity default', () => {
    const identity = only(json, 'resource', 'aws_sesv2_email_identity');
    expect(identity.configuration_set_name).toMatch(/^\$\{aws_sesv2_configuration_set\.\w+\.configuration_set_name\}$/);
  });

  it('protects the identity from terraform destroy by default', () => {
    expect(text).toHaveResourceWithProperties(Sesv2EmailIdentity, {
      lifecycle: expect.objectContaining({ prevent_destroy: true }),
    });
  });

  it('drops the protection when deletionProtection is false', () => {
    const unprotected = domainOf({ ...ROUTE53, deletionProtection: false });
    expect(only(unprotected.json, 'resource', 'aws_sesv2_email_identity').lifecycle.prevent_destroy).toBe(false);
  });

  it('tags the identity with its domain and the given tags', () => {
    const tagged = domainOf({ ...ROUTE53, tags: { Owner: 'mail-ops' } });
    expect(tagged.text).toHaveResourceWithProperties(Sesv2EmailIdentity, {
      tags: { DkimDomain: 'example.com', Owner: 'mail-ops' },
    });
  });

  it('converts a Unicode domain to its A-label', () => {
    const idn = domainOf({ ...EXTERNAL, domain: '例え.jp' });
    expect(idn.text).toHaveResourceWithProperties(Sesv2EmailIdentity, { email_identity: 'xn--r8jz45g.jp' });
    expect(idn.domain.recordNamePattern).toBe('*._domainkey.xn--r8jz45g.jp');
  });
});

describe('ByodkimDomain: the configuration set', () => {
  const { text, domain } = domainOf(ROUTE53);

  it('is named after the domain', () => {
    expect(text).toHaveResourceWithProperties(Sesv2ConfigurationSet, { configuration_set_name: 'byodkim-example-com' });
    expect(domain.configurationSetName).toBe('byodkim-example-com');
  });

  it('requires TLS by default', () => {
    expect(text).toHaveResourceWithProperties(Sesv2ConfigurationSet, { delivery_options: { tls_policy: 'REQUIRE' } });
  });

  it('allows plain text when tlsPolicy is OPTIONAL', () => {
    expect(domainOf({ ...ROUTE53, tlsPolicy: 'OPTIONAL' }).text).toHaveResourceWithProperties(Sesv2ConfigurationSet, {
      delivery_options: { tls_policy: 'OPTIONAL' },
    });
  });

  it('records reputation metrics', () => {
    expect(text).toHaveResourceWithProperties(Sesv2ConfigurationSet, {
      reputation_options: { reputation_metrics_enabled: true },
    });
  });

  it('suppresses bounces and complaints', () => {
    expect(text).toHaveResourceWithProperties(Sesv2ConfigurationSet, {
      suppression_options: { suppressed_reasons: ['BOUNCE', 'COMPLAINT'] },
    });
  });

  it('keeps sending enabled', () => {
    expect(text).toHaveResourceWithProperties(Sesv2ConfigurationSet, { sending_options: { sending_enabled: true } });
  });

  it('uses the name prefix', () => {
    expect(domainOf({ ...ROUTE53, namePrefix: 'byodkim-prod' }).domain.configurationSetName).toBe(
      'byodkim-prod-example-com',
    );
  });

  it('shortens long names with a stable hash to fit 64 characters', () => {
    const long = `${'a'.repeat(60)}.example.com`;
    const name = defaultConfigurationSetName('byodkim-prod', long);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^byodkim-prod-a+-[0-9a-f]{8}$/);
    expect(defaultConfigurationSetName('byodkim-prod', long)).toBe(name);
  });
});

describe('ByodkimDomain: route53 mode', () => {
  const { text, json, domain } = domainOf(ROUTE53);

  it('reads the existing hosted zone by id', () => {
    expect(text).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { zone_id: 'Z0123456789ABCDEFGHIJ' });
  });

  it('fails the plan when the zone does not hold the domain', () => {
    const zone = only(json, 'data', 'aws_route53_zone');
    expect(zone.lifecycle.postcondition[0]).toEqual({
      condition:
        '${lower(trimsuffix(self.name, ".")) == "example.com" || endswith("example.com", ".${lower(trimsuffix(self.name, "."))}")}',
      error_message: expect.stringContaining('does not hold example.com'),
    });
  });

  it('fails the plan when the zone is private', () => {
    const zone = only(json, 'data', 'aws_route53_zone');
    expect(zone.lifecycle.postcondition[1]).toEqual({
      condition: '${!self.private_zone}',
      error_message: expect.stringContaining('is private'),
    });
  });

  it('creates no zone', () => {
    expect(text).not.toHaveResource(Route53Zone);
  });

  it('exposes the zone and the record names the key manager may write', () => {
    expect(domain.dnsMode).toBe('route53');
    expect(Token.isUnresolved(domain.hostedZoneId)).toBe(true);
    expect(Token.isUnresolved(domain.hostedZoneArn)).toBe(true);
    expect(domain.recordNamePattern).toBe('*._domainkey.example.com');
    expect(domain.managedRecordNames).toEqual(['*._domainkey.example.com']);
    expect(domain.dnsContacts).toEqual([]);
  });
});

describe('ByodkimDomain: delegated mode', () => {
  const { text, json, domain } = domainOf(DELEGATED);

  it('creates the zone the stack owns', () => {
    expect(text).toHaveResourceWithProperties(Route53Zone, { name: 'dkim.example.net', force_destroy: false });
  });

  it('protects the zone from terraform destroy by default', () => {
    expect(text).toHaveResourceWithProperties(Route53Zone, {
      lifecycle: expect.objectContaining({ prevent_destroy: true }),
    });
  });

  it('outputs the two CNAME records the DNS team creates once', () => {
    expect(json.output.example_org_dkim_cname_records.value).toEqual({
      'mail-prod1._domainkey.example.org': 'mail-prod1.dkim.example.net',
      'mail-prod2._domainkey.example.org': 'mail-prod2.dkim.example.net',
    });
    expect(domain.delegationRecords).toEqual(json.output.example_org_dkim_cname_records.value);
  });

  it("outputs the zone's name servers for its delegation", () => {
    expect(json.output.example_org_dkim_zone_name_servers.value).toMatch(/^\$\{aws_route53_zone\.\w+\.name_servers\}$/);
  });

  it('reads no existing zone', () => {
    expect(text).not.toHaveDataSource(DataAwsRoute53Zone);
  });

  it('lets the key manager write only the two slots', () => {
    expect(domain.managedRecordNames).toEqual(['mail-prod1.dkim.example.net', 'mail-prod2.dkim.example.net']);
    expect(domain.dnsContacts).toEqual(['dns-team@example.org']);
  });
});

describe('ByodkimDomain: external mode', () => {
  const { text, json, domain } = domainOf(EXTERNAL);

  it('creates and reads nothing in DNS', () => {
    expect(text).not.toHaveResource(Route53Zone);
    expect(text).not.toHaveDataSource(DataAwsRoute53Zone);
    expect(json.output).toBeUndefined();
  });

  it('exposes the DNS team contacts and lead time', () => {
    expect(domain.dnsContacts).toEqual(['dns-team@example.com']);
    expect(domain.spec.dns).toEqual({
      kind: 'external',
      contacts: ['dns-team@example.com'],
      locale: 'ja',
      leadTimeDays: 14,
    });
    expect(domain.managedRecordNames).toEqual([]);
  });
});

describe('ByodkimDomain: the key store key', () => {
  it('uses the stack-wide key when given none, creating it once for all domains', () => {
    const { text, json } = synth((scope) => {
      new ByodkimDomain(scope, 'A', { ...ROUTE53, domain: 'example.com' });
      new ByodkimDomain(scope, 'B', { ...EXTERNAL, domain: 'example.net' });
    });
    expect(text).toHaveResource(KmsKey);
    expect(Object.keys(json.resource.aws_kms_key)).toHaveLength(1);
  });

  it('uses the key it is given and creates none', () => {
    let key: KeyStoreKey | undefined;
    let domain: ByodkimDomain | undefined;
    const { json } = synth((scope) => {
      key = new KeyStoreKey(scope, 'EnvironmentKey', { accountId: '111111111111', region: 'ap-northeast-1' });
      domain = new ByodkimDomain(scope, 'Domain', { ...ROUTE53, encryptionKey: key });
    });
    expect(domain?.encryptionKey).toBe(key);
    expect(Object.keys(json.resource.aws_kms_key)).toHaveLength(1);
  });
});

describe('ByodkimDomain: the lifecycle spec', () => {
  it('fills the defaults of the lifecycle contract', () => {
    expect(domainOf(ROUTE53).domain.spec).toEqual({
      domain: 'example.com',
      selectorPrefix: 'byodkim',
      keyBits: 2048,
      dns: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' },
      rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
    });
  });

  it('defaults selectorPrefix to namePrefix, the way ByodkimStack sets <project>-<environment>', () => {
    expect(domainOf({ ...ROUTE53, namePrefix: 'byodkim-prod' }).domain.spec.selectorPrefix).toBe('byodkim-prod');
    expect(domainOf({ ...DELEGATED, namePrefix: 'byodkim-prod' }).domain.spec.selectorPrefix).toBe('mail-prod');
  });

  it('takes a resolved DomainSpec whole and changes nothing in it', () => {
    const spec = resolveDomainSpec(
      {
        domain: 'example.org',
        dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns-team@example.org'] },
        rotation: { intervalDays: 90 },
      },
      { selectorPrefix: 'team-a' },
    );
    expect(domainOf({ ...spec, namePrefix: 'other' }).domain.spec).toEqual(spec);
  });

  it('warns at synth time about 1024-bit keys', () => {
    const { domain } = domainOf({ ...ROUTE53, keyBits: 1024 });
    const warnings = domain.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data);
    expect(warnings).toEqual([
      expect.stringContaining('keyBits 1024 is weaker than the 2048 bits RFC 8301 recommends'),
    ]);
  });

  it('does not warn about 2048-bit keys', () => {
    expect(domainOf(ROUTE53).domain.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });
});

describe('ByodkimDomain: props are validated with messages naming the property, rule and value', () => {
  it.each<[string, ByodkimDomainProps, string]>([
    [
      'a domain that is not a name',
      { ...ROUTE53, domain: 'localhost' },
      'domain "localhost" must have at least two labels',
    ],
    ['a 4096-bit key', { ...ROUTE53, keyBits: 4096 as 2048 }, 'keyBits must be 2048 (the default) or 1024'],
    [
      'external renewBefore within lead time + 72 h',
      { ...EXTERNAL, rotation: { renewBeforeDays: 10 } },
      'rotation.renewBeforeDays must be greater than dns.leadTimeDays + 3 = 17 in external mode',
    ],
    [
      'an interval not above renewBefore',
      { ...ROUTE53, rotation: { intervalDays: 20 } },
      'rotation.renewBeforeDays must be less than rotation.intervalDays (20)',
    ],
    [
      'no grace period',
      { ...ROUTE53, rotation: { graceDays: 0 } },
      'rotation.graceDays must be a whole number of days from 1 to 90',
    ],
    [
      'a selector prefix with a dot',
      { ...ROUTE53, selectorPrefix: 'mail.prod' },
      'selectorPrefix must not contain dots (given "mail.prod")',
    ],
    [
      'a hosted zone id with its path',
      { ...ROUTE53, dns: { kind: 'route53', hostedZoneId: '/hostedzone/Z1' } },
      'dns.hostedZoneId must be a Route 53 hosted zone id',
    ],
    [
      'a DNS contact whose domain has an empty label',
      { ...EXTERNAL, dns: { kind: 'external', contacts: ['x@y..z'] } },
      'dns.contacts[0] must be an e-mail address: its domain "y..z" must not contain an empty label (given "x@y..z")',
    ],
    [
      'a DNS contact with a one-letter top-level label',
      { ...DELEGATED, dns: { ...DELEGATED.dns, contacts: ['foo@bar.c'] } as ByodkimDomainProps['dns'] },
      'dns.contacts[0] must be an e-mail address: its domain "bar.c" must end in a top-level domain',
    ],
    [
      'a name prefix in capitals',
      { ...ROUTE53, namePrefix: 'Prod' },
      'namePrefix must be 1-32 lowercase letters, digits and inner hyphens (given "Prod")',
    ],
    [
      'a configuration set name with dots',
      { ...ROUTE53, configurationSetName: 'a.b' },
      'configurationSetName must be 1-64 letters, digits, "-" or "_" (given "a.b")',
    ],
    [
      'an unknown suppression reason',
      { ...ROUTE53, suppressedReasons: ['SPAM' as 'BOUNCE'] },
      'suppressedReasons must contain only "BOUNCE" and "COMPLAINT" (given "SPAM")',
    ],
    [
      'an unknown TLS policy',
      { ...ROUTE53, tlsPolicy: 'NEVER' as 'REQUIRE' },
      'tlsPolicy must be "REQUIRE" or "OPTIONAL" (given "NEVER")',
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(() => domainOf(props)).toThrow(message);
    expect(() => domainOf(props)).toThrow(/^ByodkimDomain \S+: /);
  });

  it('says a value that breaks a rule is the default, and what would pass, instead of "given"', () => {
    let message = '';
    try {
      domainOf({ ...ROUTE53, rotation: { intervalDays: 20 } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'rotation.renewBeforeDays must be less than rotation.intervalDays (20): a rotation starts renewBeforeDays before the active key reaches its interval (default 30 applies because the field is not set — set rotation.renewBeforeDays to a whole number from 1 to 19)',
    );
    expect(message).not.toContain('given 30');
  });

  it('asks for selectorPrefix when namePrefix, its default, is a token', () => {
    const namePrefix = Token.asString({ resolve: () => 'byodkim-prod' });
    expect(() => domainOf({ ...ROUTE53, namePrefix, configurationSetName: 'x' })).toThrow(
      'selectorPrefix must be set when namePrefix is a token (it defaults to namePrefix)',
    );
    expect(() => domainOf({ ...ROUTE53, namePrefix, configurationSetName: 'x', selectorPrefix: 'mail' })).not.toThrow();
  });

  it('skips values that are unresolved tokens', () => {
    const interval = Token.asNumber({ resolve: () => 180 });
    expect(() => domainOf({ ...ROUTE53, rotation: { intervalDays: interval } })).not.toThrow();
  });
});
