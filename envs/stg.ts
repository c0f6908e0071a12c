/**
 * stg: mirrors prod's DNS modes on staging domains; protected like prod except for deletion.
 * Configuration reference: README.md, "Configuration".
 */
import { defineEnvironment } from './schema';

export default defineEnvironment({
  project: 'byodkim',
  environment: 'stg',
  aws: { accountId: '222222222222', region: 'ap-northeast-1' },
  backend: { bucket: 'byodkim-tfstate-222222222222', key: 'byodkim/stg/terraform.tfstate' },
  tags: { CostCenter: 'mail-platform', Owner: 'mail-ops' },
  notifications: { emails: ['dkim-stg@example.com'], locale: 'ja' },
  settings: { logRetentionDays: 90, kmsDeletionWindowDays: 30, deletionProtection: false },
  schedule: { expression: 'cron(0 0/6 * * ? *)', timeZone: 'Asia/Tokyo' },
  monitoring: {
    schedule: 'rate(1 hour)',
    reportTimeZone: 'Asia/Tokyo',
    thresholds: { keyManagerErrors: 3 },
    // Alarms also in the team's staging channel (the workspace is authorized once in the AWS Chatbot console).
    slack: { workspaceId: 'T0123ABCDE', channelId: 'C0123STGDK' },
  },
  domains: [
    {
      domain: 'stg.example.com',
      dns: { kind: 'external', contacts: ['dns-team@example.com'], locale: 'ja', leadTimeDays: 14 },
    },
    {
      domain: 'stg.example.net',
      dns: { kind: 'route53', hostedZoneId: 'Z0STG00000000000000001' },
    },
  ],
});
