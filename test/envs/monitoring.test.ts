/** The environment's `monitoring` block: defaults, and every bad value named with file, field, rule and value. */
import { EnvironmentConfigError, loadEnvironments, parseEnvironment } from '../../envs/load';
import { environments } from '../../envs';
import { type EnvironmentConfig } from '../../envs/schema';
import { schedulePeriodMinutes, silentAfterMinutes } from '../../functions/core/schedule-period';
import { brokenEnvironment, validEnvironment, type Loose } from './fixtures';

const FILE = 'envs/prod.ts';

function parse(input: unknown): EnvironmentConfig {
  return parseEnvironment({ file: FILE, input }).config;
}

function problems(input: unknown): string {
  try {
    parse(input);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('monitoring defaults', () => {
  it('fills every field from the rest of the file when the block is left out', () => {
    expect(parse(validEnvironment()).monitoring).toEqual({
      schedule: 'rate(1 hour)',
      emails: ['dkim-ops@example.com'],
      reportTimeZone: 'Asia/Tokyo',
      // The key manager's default schedule runs every 6 hours: 2 × 360 + 60.
      keyManagerSilentMinutes: 780,
      monitorMissedRuns: 2,
      thresholds: {
        dkimUnhealthy: 1,
        recordProblems: 1,
        signingDrift: 1,
        keysOverInterval: 1,
        keysExpiringNoRotation: 1,
        dnsRequestsOverdue: 1,
        keyManagerSilent: 1,
        keyManagerErrors: 1,
        deadLetterMessages: 1,
      },
    });
  });

  it('derives the key manager silence from a daily schedule', () => {
    const env = brokenEnvironment((e) => (e.schedule = { expression: 'cron(30 2 * * ? *)' }));
    expect(parse(env).monitoring.keyManagerSilentMinutes).toBe(2 * 1440 + 60);
  });

  it('keeps what the file sets, Slack included', () => {
    const env = brokenEnvironment((e) => {
      e.monitoring = {
        schedule: 'rate(30 minutes)',
        emails: ['pager@example.com'],
        reportTimeZone: 'UTC',
        keyManagerSilentMinutes: 600,
        thresholds: { dkimUnhealthy: 3 },
        slack: { workspaceId: 'T0123ABCDE', channelId: 'C0123ABCDE' },
      };
    });
    const { monitoring } = parse(env);
    expect(monitoring).toMatchObject({
      schedule: 'rate(30 minutes)',
      emails: ['pager@example.com'],
      reportTimeZone: 'UTC',
      keyManagerSilentMinutes: 600,
      slack: { workspaceId: 'T0123ABCDE', channelId: 'C0123ABCDE' },
    });
    expect(monitoring.thresholds.dkimUnhealthy).toBe(3);
    expect(monitoring.thresholds.signingDrift).toBe(1);
  });

  it('loads the repository environments with their monitoring blocks', () => {
    const loaded = loadEnvironments(environments).environments.map(({ config }) => config);
    expect(loaded.map((c) => [c.environment, c.monitoring.schedule, c.monitoring.keyManagerSilentMinutes])).toEqual([
      ['dev', 'rate(1 hour)', 780],
      ['stg', 'rate(1 hour)', 780],
      ['prod', 'rate(1 hour)', 780],
    ]);
    expect(loaded.find((c) => c.environment === 'stg')?.monitoring.slack).toBeDefined();
  });
});

describe('a bad monitoring block is refused with file, field, rule and value', () => {
  const cases: [string, (e: Loose) => void, string, string][] = [
    [
      'a cron monitor schedule',
      (e) => (e.monitoring = { schedule: 'cron(0 * * * ? *)' }),
      'monitoring.schedule: must be rate(<n> minutes) or rate(<n> hours)',
      '"cron(0 * * * ? *)"',
    ],
    [
      'a monitor every minute',
      (e) => (e.monitoring = { schedule: 'rate(1 minute)' }),
      'monitoring.schedule: must be rate(<n> minutes) or rate(<n> hours), from 5 minutes to 1 day',
      '"rate(1 minute)"',
    ],
    [
      'an alarm address that is not one',
      (e) => (e.monitoring = { emails: ['ops'] }),
      'monitoring.emails[0]: must be an e-mail address',
      '"ops"',
    ],
    [
      'an empty alarm address list',
      (e) => (e.monitoring = { emails: [] }),
      'monitoring.emails: must name at least one address',
      '[]',
    ],
    [
      'a report time zone that is not one',
      (e) => (e.monitoring = { reportTimeZone: 'Tokyo' }),
      'monitoring.reportTimeZone: must be an IANA time zone',
      '"Tokyo"',
    ],
    [
      'a key-manager silence shorter than its period',
      (e) => (e.monitoring = { keyManagerSilentMinutes: 300 }),
      "monitoring.keyManagerSilentMinutes: must exceed the key manager's schedule period (360 minutes)",
      '300',
    ],
    [
      'a key-manager silence longer than an alarm can watch',
      (e) => (e.monitoring = { keyManagerSilentMinutes: 20000 }),
      'monitoring.keyManagerSilentMinutes: must be a whole number of minutes from 60 to 10080',
      '20000',
    ],
    [
      'a weekly key manager without a silence',
      (e) => (e.schedule = { expression: 'cron(0 3 ? * MON *)' }),
      "monitoring.keyManagerSilentMinutes: must be set: the key manager's period cannot be read",
      'nothing (the field is missing)',
    ],
    [
      'a zero threshold',
      (e) => (e.monitoring = { thresholds: { dkimUnhealthy: 0 } }),
      'monitoring.thresholds.dkimUnhealthy: must be a whole number from 1 to 10000',
      '0',
    ],
    ['a misspelt threshold', (e) => (e.monitoring = { thresholds: { dkimUnhealty: 2 } }), 'monitoring.thresholds', ''],
    [
      'too many missed monitor runs',
      (e) => (e.monitoring = { monitorMissedRuns: 48 }),
      'monitoring.monitorMissedRuns: must be a whole number from 2 to 24',
      '48',
    ],
    [
      'one missed monitor run (the period a run is due in has no data yet)',
      (e) => (e.monitoring = { monitorMissedRuns: 1 }),
      'monitoring.monitorMissedRuns: must be a whole number from 2 to 24 (the period a run is due in has no data',
      '1',
    ],
    [
      'a Slack channel name instead of its id',
      (e) => (e.monitoring = { slack: { workspaceId: 'T0123ABCDE', channelId: '#dkim-alerts' } }),
      'monitoring.slack.channelId: must be a Slack channel id',
      '"#dkim-alerts"',
    ],
  ];

  it.each(cases)('%s', (_name, breakIt, line, value) => {
    const message = problems(brokenEnvironment(breakIt));
    const reported = message.split('\n').find((l) => l.includes(`${FILE}: ${line}`));
    expect(reported).toBeDefined();
    if (value !== '') expect(reported).toMatch(new RegExp(`; given ${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });
});

describe('schedulePeriodMinutes', () => {
  it.each([
    ['rate(1 hour)', 60],
    ['rate(15 minutes)', 15],
    ['rate(2 days)', 2880],
    ['cron(0 0/6 * * ? *)', 360],
    ['cron(0 */4 * * ? *)', 240],
    ['cron(0 9,21 * * ? *)', 720],
    ['cron(0 8,9 * * ? *)', 1380],
    ['cron(0/15 * * * ? *)', 15],
    ['cron(0 9 1 * ? *)', undefined],
    ['cron(0 3 ? * MON *)', undefined],
    ['at(2026-12-01T00:00:00)', undefined],
    ['rate(0 hours)', undefined],
  ] as const)('%s → %s', (expression, minutes) => {
    expect(schedulePeriodMinutes(expression)).toBe(minutes);
    expect(silentAfterMinutes(expression)).toBe(minutes === undefined ? undefined : 2 * minutes + 60);
  });
});
