/**
 * dev: one domain per DNS mode that runs unattended, short retention, no deletion protection.
 * Configuration reference: README.md, "Configuration".
 */
import { defineEnvironment } from './schema';

export default defineEnvironment({
  project: 'byodkim',
  environment: 'dev',
  aws: { accountId: '111111111111', region: 'ap-northeast-1' },
  backend: { bucket: 'byodkim-tfstate-111111111111', key: 'byodkim/dev/terraform.tfstate' },
  tags: { CostCenter: 'mail-platform', Owner: 'mail-ops' },
  notifications: { emails: ['dkim-dev@example.com'], locale: 'ja' },
  settings: { logRetentionDays: 7, kmsDeletionWindowDays: 7, deletionProtection: false },
  schedule: { expression: 'cron(0 0/6 * * ? *)', timeZone: 'Asia/Tokyo' },
  // dev breaks on purpose now and then: a few key-manager errors an hour are not worth a page.
  monitoring: { schedule: 'rate(1 hour)', monitorMissedRuns: 3, thresholds: { keyManagerErrors: 5 } },
  domains: [
    {
      domain: 'dev.example.com',
      dns: { kind: 'route53', hostedZoneId: 'Z0DEV00000000000000001' },
      // Fast rotations in dev exercise the whole lifecycle often.
      rotation: { intervalDays: 30, renewBeforeDays: 7, graceDays: 2 },
    },
    {
      domain: 'dev.example.org',
      dns: { kind: 'delegated', zoneName: 'dkim-dev.example.net', contacts: ['dns-team@example.net'] },
    },
  ],
});
