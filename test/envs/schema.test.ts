import { EnvironmentConfigError, loadEnvironments, parseEnvironment } from '../../envs/load';
import { type EnvironmentConfig } from '../../envs/schema';
import type { DomainSpec } from '../../functions/core/spec';
import { brokenEnvironment, validEnvironment, type Loose } from './fixtures';

const FILE = 'envs/prod.ts';

function parse(input: unknown): EnvironmentConfig {
  return parseEnvironment({ file: FILE, input }).config;
}

/** The error's message for a broken input (fails the test when the input is accepted). */
function problems(input: unknown): string {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('a valid environment', () => {
  const config = parse(validEnvironment());

  it('fills the environment defaults', () => {
    expect(config.aws.allowedAccountIds).toEqual(['111111111111']);
    expect(config.backend).toEqual({
      bucket: 'byodkim-tfstate-111111111111',
      key: 'byodkim/prod/terraform.tfstate',
      region: 'ap-northeast-1',
    });
    expect(config.notifications.locale).toBe('ja');
    expect(config.settings).toEqual({ logRetentionDays: 731, kmsDeletionWindowDays: 30, deletionProtection: true });
  });

  it('fills the domain defaults from the lifecycle contract', () => {
    const [external, route53, delegated] = config.domains;
    expect(external).toEqual({
      domain: 'example.com',
      selectorPrefix: 'byodkim-prod',
      keyBits: 2048,
      dns: { kind: 'external', contacts: ['dns-team@example.com'], locale: 'ja', leadTimeDays: 14 },
      rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
      tlsPolicy: 'REQUIRE',
    });
    expect(route53.rotation.renewBeforeDays).toBe(30);
    expect(delegated.dns).toEqual({
      kind: 'delegated',
      zoneName: 'dkim.example.net',
      contacts: ['dns@example.org'],
      locale: 'ja',
      leadTimeDays: 14,
    });
  });

  it('yields domains the runtime lifecycle can consume as DomainSpec', () => {
    const specs: readonly DomainSpec[] = config.domains;
    expect(specs).toHaveLength(3);
  });

  it('raises the default renewBefore above a long DNS lead time', () => {
    const env = brokenEnvironment((e) => {
      e.domains[0].dns.leadTimeDays = 30;
    });
    expect(parse(env).domains[0].rotation.renewBeforeDays).toBe(40);
  });

  it('converts a Unicode domain (IDN) to its A-label', () => {
    const env = brokenEnvironment((e) => {
      e.domains[0].domain = '例え.jp';
      e.domains[2].dns.zoneName = 'DKIM.Example.NET.';
    });
    const parsed = parse(env);
    expect(parsed.domains[0].domain).toBe('xn--r8jz45g.jp');
    expect(parsed.domains[2].dns).toMatchObject({ zoneName: 'dkim.example.net' });
  });

  it('accepts 1024-bit keys with a warning that names the file and the field', () => {
    const env = brokenEnvironment((e) => {
      e.domains[1].keyBits = 1024;
    });
    const loaded = parseEnvironment({ file: FILE, input: env });
    expect(loaded.config.domains[1].keyBits).toBe(1024);
    expect(loaded.warnings).toEqual([expect.stringContaining('envs/prod.ts: domains[1].keyBits: 1024-bit keys')]);
  });

  it('maps tlsPolicy optional to the SES value', () => {
    const env = brokenEnvironment((e) => {
      e.domains[0].tlsPolicy = 'optional';
    });
    expect(parse(env).domains[0].tlsPolicy).toBe('OPTIONAL');
  });
});

describe('an invalid environment is refused with file, field path, rule and value', () => {
  // [what is wrong, how to break the valid fixture, the expected line (file: path: rule…), the value shown]
  const cases: [string, (e: Loose) => void, string, string][] = [
    [
      'an upper-case project name',
      (e) => (e.project = 'Byodkim'),
      'project: must be 2-20 lowercase letters',
      '"Byodkim"',
    ],
    [
      'a missing environment name',
      (e) => delete e.environment,
      'environment: is required (a string)',
      'nothing (the field is missing)',
    ],
    [
      'a short account id',
      (e) => (e.aws.accountId = '12345'),
      'aws.accountId: must be a 12-digit AWS account id',
      '"12345"',
    ],
    ['a region that is not one', (e) => (e.aws.region = 'tokyo'), 'aws.region: must be an AWS region name', '"tokyo"'],
    [
      'allowed accounts without the account',
      (e) => (e.aws.allowedAccountIds = ['222222222222']),
      'aws.allowedAccountIds: must include aws.accountId (111111111111)',
      '["222222222222"]',
    ],
    [
      'an invalid state bucket',
      (e) => (e.backend.bucket = 'My_Bucket'),
      'backend.bucket: must be an S3 bucket name',
      '"My_Bucket"',
    ],
    [
      'an absolute state key',
      (e) => (e.backend.key = '/prod.tfstate'),
      'backend.key: must be an object key ending in .tfstate',
      '"/prod.tfstate"',
    ],
    [
      'a tag in the aws: namespace',
      (e) => (e.tags = { 'aws:owner': 'x' }),
      'tags.aws:owner: must be 1-128 letters',
      '"aws:owner"',
    ],
    [
      'a tag the stack sets itself',
      (e) => (e.tags = { Project: 'other' }),
      'tags.Project: is set by the stack itself',
      '"Project"',
    ],
    [
      'no notification recipient',
      (e) => (e.notifications.emails = []),
      'notifications.emails: must name at least one address',
      '[]',
    ],
    [
      'a recipient that is not an address',
      (e) => (e.notifications.emails = ['ops team']),
      'notifications.emails[0]: must be an e-mail address',
      '"ops team"',
    ],
    [
      'an unsupported locale',
      (e) => (e.notifications.locale = 'fr'),
      'notifications.locale: must be "ja" or "en"',
      '"fr"',
    ],
    [
      'a log retention CloudWatch refuses',
      (e) => (e.settings = { logRetentionDays: 10 }),
      'settings.logRetentionDays: must be a retention CloudWatch Logs accepts',
      '10',
    ],
    [
      'a KMS deletion window under 7 days',
      (e) => (e.settings = { kmsDeletionWindowDays: 3 }),
      'settings.kmsDeletionWindowDays: must be a whole number of days from 7 to 30',
      '3',
    ],
    [
      'deletion protection as a string',
      (e) => (e.settings = { deletionProtection: 'yes' }),
      'settings.deletionProtection: must be true or false',
      '"yes"',
    ],
    [
      'a misspelt field',
      (e) => (e.domains[0].rotation = { renewBefore: 30 }),
      'domains[0].rotation.renewBefore: is not a known field',
      '30',
    ],
    ['no domain', (e) => (e.domains = []), 'domains: must list at least one domain', '[]'],
    [
      'a domain that is not a name',
      (e) => (e.domains[0].domain = 'localhost'),
      'domains[0].domain: must have at least two labels',
      '"localhost"',
    ],
    [
      'the same domain twice after IDN conversion',
      (e) => {
        e.domains[0].domain = '例え.jp';
        e.domains[1].domain = 'xn--r8jz45g.jp';
      },
      'domains[1].domain: duplicates domains[0].domain (xn--r8jz45g.jp)',
      '"xn--r8jz45g.jp"',
    ],
    [
      'a selector prefix with an underscore',
      (e) => (e.domains[0].selectorPrefix = 'mail_prod'),
      'domains[0].selectorPrefix: must not contain underscores',
      '"mail_prod"',
    ],
    [
      'a selector prefix too long for the longest selector',
      (e) => (e.domains[0].selectorPrefix = 'm'.repeat(52)),
      'domains[0].selectorPrefix: must be at most 51 characters so that "<prefix>-yyyymmdd-99" fits 63 (is 52)',
      `"${'m'.repeat(52)}"`,
    ],
    [
      'a 4096-bit key',
      (e) => (e.domains[0].keyBits = 4096),
      'domains[0].keyBits: must be 2048 (the default) or 1024',
      '4096',
    ],
    [
      'an unknown DNS mode',
      (e) => (e.domains[0].dns = { kind: 'cloudflare' }),
      'domains[0].dns.kind: must be "route53", "external", "delegated"',
      '"cloudflare"',
    ],
    [
      'a hosted zone id with its path',
      (e) => (e.domains[1].dns.hostedZoneId = '/hostedzone/Z0123456789ABCDEFGHIJ'),
      'domains[1].dns.hostedZoneId: must be a Route 53 hosted zone id',
      '"/hostedzone/Z0123456789ABCDEFGHIJ"',
    ],
    [
      'external DNS without contacts',
      (e) => (e.domains[0].dns.contacts = []),
      'domains[0].dns.contacts: must name at least one e-mail address',
      '[]',
    ],
    [
      'a lead time of zero days',
      (e) => (e.domains[0].dns.leadTimeDays = 0),
      'domains[0].dns.leadTimeDays: must be a whole number of days from 1 to 180',
      '0',
    ],
    [
      'external renewBefore within lead time + 72 h',
      (e) => (e.domains[0].rotation = { renewBeforeDays: 17 }),
      'domains[0].rotation.renewBeforeDays: must be greater than dns.leadTimeDays + 3 = 17 in external mode',
      '17',
    ],
    [
      'an interval not longer than renewBefore',
      (e) => (e.domains[1].rotation = { intervalDays: 30, renewBeforeDays: 30 }),
      'domains[1].rotation.renewBeforeDays: must be less than rotation.intervalDays (30)',
      '30',
    ],
    [
      'an interval over two years',
      (e) => (e.domains[1].rotation = { intervalDays: 1000 }),
      'domains[1].rotation.intervalDays: must be a whole number of days from 1 to 730',
      '1000',
    ],
    [
      'no grace period',
      (e) => (e.domains[1].rotation = { graceDays: 0 }),
      'domains[1].rotation.graceDays: must be a whole number of days from 1 to 90',
      '0',
    ],
    [
      'a fractional grace period',
      (e) => (e.domains[1].rotation = { graceDays: 1.5 }),
      'domains[1].rotation.graceDays: must be a whole number of days',
      '1.5',
    ],
    [
      'an unknown activation',
      (e) => (e.domains[1].rotation = { activation: 'later' }),
      'domains[1].rotation.activation: must be "auto" or "manual"',
      '"later"',
    ],
    [
      'a delegated zone that is the domain itself',
      (e) => (e.domains[2].dns.zoneName = 'example.org'),
      'domains[2].dns.zoneName: must not be example.org or one of its parents',
      '"example.org"',
    ],
    [
      'two domains delegated to one zone',
      (e) =>
        e.domains.push({
          domain: 'mail.example.com',
          dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns@example.com'] },
        }),
      'domains[3].dns.zoneName: is already the delegated zone of domains[2]',
      '"dkim.example.net"',
    ],
    [
      'a delegated zone that is not a name',
      (e) => (e.domains[2].dns.zoneName = 'dkim..example.net'),
      'domains[2].dns.zoneName: must not contain an empty label',
      '"dkim..example.net"',
    ],
  ];

  it.each([
    [
      'ops@exa_mple..com',
      'its domain "exa_mple..com" label "exa_mple" may contain only letters, digits and inner hyphens',
    ],
    ['x@y..z', 'its domain "y..z" must not contain an empty label'],
    ['ops@-bad-.com', 'its domain "-bad-.com" label "-bad-" may contain only letters, digits and inner hyphens'],
    ['foo@bar.c', 'its domain "bar.c" must end in a top-level domain of at least two letters or an xn-- label'],
  ])(
    'refuses the address %s in notifications.emails and dns.contacts, naming the field, rule and value',
    (address, rule) => {
      const message = problems(
        brokenEnvironment((e) => {
          e.notifications.emails = ['dkim-ops@example.com', address];
          e.domains[0].dns.contacts = [address];
          e.domains[2].dns.contacts = ['dns@example.org', address];
        }),
      );
      const given = `; given ${JSON.stringify(address)}`;
      for (const path of ['notifications.emails[1]', 'domains[0].dns.contacts[0]', 'domains[2].dns.contacts[1]']) {
        expect(message).toContain(`${FILE}: ${path}: must be an e-mail address: ${rule}`);
        expect(message.split('\n').find((l) => l.includes(`${FILE}: ${path}:`))).toMatch(
          new RegExp(`${given.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
        );
      }
      expect(message).toContain('(3 problems)');
    },
  );

  it('covers at least 20 distinct bad configurations', () => {
    expect(new Set(cases.map(([name]) => name)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('%s', (_name, breakIt, line, value) => {
    const message = problems(brokenEnvironment(breakIt));
    const reported = message.split('\n').find((l) => l.includes(`${FILE}: ${line}`));
    expect(reported).toBeDefined();
    expect(reported).toMatch(new RegExp(`; given ${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('reports every problem of a file at once, one a line, with no stack trace', () => {
    const message = problems(
      brokenEnvironment((e) => {
        e.aws.accountId = 'x';
        e.domains[1].keyBits = 4096;
      }),
    );
    expect(message.split('\n')).toEqual([
      'invalid environment configuration in envs/prod.ts (2 problems):',
      '  envs/prod.ts: aws.accountId: must be a 12-digit AWS account id, e.g. 111111111111; given "x"',
      expect.stringMatching(/^ {2}envs\/prod\.ts: domains\[1\]\.keyBits: must be 2048 .*; given 4096$/),
      'Fix the file(s) above and run the command again.',
    ]);
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('refuses something that is not an object at all', () => {
    expect(problems('prod')).toContain('envs/prod.ts: must be an object; given "prod"');
  });
});

describe('a rule broken by a default says so, and what value would pass', () => {
  it('reports a misspelt renewBeforeDays, then the default 30 against intervalDays 30 as a default, not as given', () => {
    const message = problems(
      brokenEnvironment((e) => {
        e.domains[1].rotation = { renewBefore: 7, intervalDays: 30 };
      }),
    );
    expect(message.split('\n')).toEqual([
      'invalid environment configuration in envs/prod.ts (2 problems):',
      '  envs/prod.ts: domains[1].rotation.renewBefore: is not a known field (check the spelling; see README.md, "Configuration"); given 7',
      '  envs/prod.ts: domains[1].rotation.renewBeforeDays: must be less than rotation.intervalDays (30): a rotation starts renewBeforeDays before the active key reaches its interval; default 30 applies because the field is not set — set domains[1].rotation.renewBeforeDays to a whole number from 1 to 29',
      'Fix the file(s) above and run the command again.',
    ]);
  });

  it('narrows the values that pass by the DNS team’s lead time in external mode', () => {
    const message = problems(
      brokenEnvironment((e) => {
        e.domains[0].rotation = { intervalDays: 20 };
      }),
    );
    expect(message).toContain(
      'envs/prod.ts: domains[0].rotation.renewBeforeDays: must be less than rotation.intervalDays (20)',
    );
    expect(message).toContain(
      '; default 30 applies because the field is not set — set domains[0].rotation.renewBeforeDays to a whole number from 18 to 19',
    );
    expect(message).not.toMatch(/renewBeforeDays.*given 30/);
  });

  it('says what to change when no value of the defaulted field can pass', () => {
    const message = problems(
      brokenEnvironment((e) => {
        e.domains[0].rotation = { intervalDays: 15 };
      }),
    );
    const line = message.split('\n').find((l) => l.includes('domains[0].rotation.renewBeforeDays:'));
    expect(line).toContain(
      'no renewBeforeDays fits: with dns.leadTimeDays 14, rotation.intervalDays must be at least 19',
    );
    expect(line).toMatch(/; default 30 applies because the field is not set$/);
  });

  it('keeps "given" for a value the file sets', () => {
    const message = problems(
      brokenEnvironment((e) => {
        e.domains[1].rotation = { intervalDays: 30, renewBeforeDays: 30 };
      }),
    );
    expect(message).toMatch(/domains\[1\]\.rotation\.renewBeforeDays: must be less than .*; given 30$/m);
  });

  it('reports a defaulted backend.key another environment already uses as a default', () => {
    const input = validEnvironment();
    expect(() =>
      loadEnvironments([
        { file: 'envs/prod.ts', input },
        { file: 'envs/prod-copy.ts', input: { ...input, project: 'byodkim' } },
      ]),
    ).toThrow(
      'envs/prod-copy.ts: backend.key: is already the state of envs/prod.ts (s3://byodkim-tfstate-111111111111/byodkim/prod/terraform.tfstate): environments must not share a state file; default "byodkim/prod/terraform.tfstate" applies because the field is not set — set backend.key to a key no other environment uses',
    );
  });
});
