/**
 * prod: log retention 731 days (the current operations' requirement), deletion protection on, and a
 * human go-ahead before SES switches keys on the domain whose DNS is run by hand.
 * Configuration reference: README.md, "Configuration".
 */
import { defineEnvironment } from './schema';

export default defineEnvironment({
  project: 'byodkim',
  environment: 'prod',
  aws: { accountId: '333333333333', region: 'ap-northeast-1' },
  backend: { bucket: 'byodkim-tfstate-333333333333', key: 'byodkim/prod/terraform.tfstate' },
  tags: { CostCenter: 'mail-platform', Owner: 'mail-ops' },
  notifications: { emails: ['dkim-ops@example.com'], locale: 'ja' },
  settings: { logRetentionDays: 731, kmsDeletionWindowDays: 30, deletionProtection: true },
  schedule: { expression: 'cron(0 0/6 * * ? *)', timeZone: 'Asia/Tokyo' },
  // Hourly checks; the monthly report on the 1st at 09:00 JST (the current operations' cadence); every
  // problem pages at once; the key manager counts as silent after 13 hours (two 6-hour runs missed + 1 h).
  monitoring: {
    schedule: 'rate(1 hour)',
    reportTimeZone: 'Asia/Tokyo',
    keyManagerSilentMinutes: 780,
    monitorMissedRuns: 2,
  },
  domains: [
    {
      // The DNS team publishes records by hand and needs two weeks.
      domain: 'example.com',
      selectorPrefix: 'mail-prod',
      dns: { kind: 'external', contacts: ['dns-team@example.com'], locale: 'ja', leadTimeDays: 14 },
      rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'manual' },
    },
    {
      domain: 'example.net',
      selectorPrefix: 'mail-prod',
      dns: { kind: 'route53', hostedZoneId: 'Z0PROD0000000000000001' },
    },
    {
      // CNAMEs mail-prod1/2._domainkey.example.org → mail-prod1/2.dkim.example.net, requested once.
      domain: 'example.org',
      selectorPrefix: 'mail-prod',
      dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns-team@example.org'], locale: 'en' },
    },
  ],
});
