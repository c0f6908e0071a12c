/**
 * `monitoring.canary` of an environment file: off unless present (and off in dev, stg and prod), the
 * construct's options passed through as written, every bad value reported as file, field, rule and value.
 */
import { environments } from '../../envs';
import { EnvironmentConfigError, loadEnvironments, parseEnvironment } from '../../envs/load';
import { CANARY_RECEIVING_REGIONS, type CanaryConfig } from '../../envs/schema';
import { SES_RECEIVING_REGIONS, type DkimCanaryOptions } from '../../constructs/private/dkim-canary';
import { brokenEnvironment, validEnvironment, type Loose } from './fixtures';

const FILE = 'envs/prod.ts';

function withCanary(canary: Loose): unknown {
  return brokenEnvironment((env) => {
    env.monitoring = { canary };
  });
}

function problems(input: unknown): string[] {
  try {
    parseEnvironment({ file: FILE, input });
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error.problems.map((p) => `${p.path}: ${p.rule}`);
    throw error;
  }
  return [];
}

describe('monitoring.canary', () => {
  it('is off in every environment of this repository', () => {
    for (const { config } of loadEnvironments(environments).environments) {
      expect([config.environment, config.monitoring.canary]).toEqual([config.environment, undefined]);
    }
  });

  it('is off when the block is left out', () => {
    expect(parseEnvironment({ file: FILE, input: validEnvironment() }).config.monitoring.canary).toBeUndefined();
  });

  it('passes the options through as written (the construct applies the defaults)', () => {
    const canary: CanaryConfig = {
      receivingDomain: 'dkim-canary.example.net',
      receivingRegion: 'eu-west-1',
      receivingHostedZoneId: 'Z0123456789ABCDEFGHIJ',
      domains: ['example.com', 'example.net'],
      schedule: 'rate(30 minutes)',
      waitSeconds: 120,
      messageRetentionDays: 7,
      missedRuns: 3,
      existingRuleSetName: 'corporate-inbound',
      createReceivingIdentity: false,
      senderLocalPart: 'dkim-canary',
      recipientLocalPart: 'probe',
      bucketName: 'dkim-canary-prod-111111111111',
    };
    const config = parseEnvironment({ file: FILE, input: withCanary(canary) }).config;
    expect(config.monitoring.canary).toEqual(canary);
    // What main.ts hands the MonitoringSuite: the construct's own options type.
    const options: DkimCanaryOptions = config.monitoring.canary!;
    expect(options.receivingDomain).toBe('dkim-canary.example.net');
  });

  it('knows the same receiving regions as the construct', () => {
    expect([...CANARY_RECEIVING_REGIONS]).toEqual([...SES_RECEIVING_REGIONS]);
  });

  it.each<[Loose, string]>([
    [{}, 'monitoring.canary.receivingDomain: '],
    [
      { receivingDomain: 'dkim-canary.example.net', receivingRegion: 'ap-northeast-1' },
      'monitoring.canary.receivingRegion: must be "us-east-1" or "us-west-2" or "eu-west-1"',
    ],
    [
      { receivingDomain: 'Dkim-Canary.Example.NET' },
      'monitoring.canary.receivingDomain: must be written as an A-label in lower case: dkim-canary.example.net',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', domains: ['example.jp'] },
      "monitoring.canary.domains[0]: must be one of this environment's domains (example.com, example.net, example.org)",
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', domains: [] },
      'monitoring.canary.domains: must name at least one domain',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', schedule: 'rate(5 minutes)' },
      'monitoring.canary.schedule: must be rate(<n> minutes|hours|days), from 15 minutes to 1 day',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', waitSeconds: 900 },
      'monitoring.canary.waitSeconds: must be a whole number of seconds from 60 to 780',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', messageRetentionDays: 0.5 },
      'monitoring.canary.messageRetentionDays: must be a whole number',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', missedRuns: 1 },
      'monitoring.canary.missedRuns: must be a whole number',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', senderLocalPart: 'a b' },
      'monitoring.canary.senderLocalPart: must be an e-mail local part',
    ],
    [
      { receivingDomain: 'dkim-canary.example.net', receivingHostedZoneId: 'zone' },
      'monitoring.canary.receivingHostedZoneId: must be a Route 53 hosted zone id',
    ],
    [{ receivingDomain: 'dkim-canary.example.net', enabled: true }, 'monitoring.canary'],
  ])('refuses %j', (canary, expected) => {
    expect(problems(withCanary(canary)).join('\n')).toContain(expected);
  });
});
