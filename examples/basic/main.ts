/**
 * Another team's CDKTF app using byodkim as a library: its own provider, its own stack, byodkim's
 * constructs imported from the package's public entry point exactly as a user would (`from 'byodkim'`),
 * never from a path inside the package.
 *
 * Two domains: one whose records byodkim writes in the team's Route 53 zone, and one whose DNS team
 * publishes records by hand (a change request by e-mail, two weeks' lead time).
 *
 *   npm install byodkim cdktf constructs @cdktf/provider-aws
 *   npx cdktf synth        # with a cdktf.json whose "app" runs this file
 */
import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ByodkimDomain, DkimRotationSchedule, KeyStoreKey } from 'byodkim';

export class MailPlatformStack extends TerraformStack {
  readonly rotation: DkimRotationSchedule;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'ap-northeast-1', allowedAccountIds: ['123456789012'] });

    // One customer-managed key per environment encrypts the key store and the state table.
    const keyStoreKey = KeyStoreKey.ofStack(this, {
      alias: 'alias/mail-platform-dkim',
      accountId: '123456789012',
      region: 'ap-northeast-1',
    });

    const domains = [
      new ByodkimDomain(this, 'shop', {
        domain: 'shop.example.co.jp',
        dns: { kind: 'route53', hostedZoneId: 'Z0EXAMPLE0000000000001' },
        rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7 },
        encryptionKey: keyStoreKey,
        namePrefix: 'mailplat',
      }),
      new ByodkimDomain(this, 'corp', {
        domain: 'corp.example.co.jp',
        dns: { kind: 'external', contacts: ['dns-team@example.co.jp'], leadTimeDays: 14 },
        encryptionKey: keyStoreKey,
        namePrefix: 'mailplat',
      }),
    ];

    // The key manager: a planner on a schedule, a worker per domain, the state table, least privilege.
    this.rotation = new DkimRotationSchedule(this, 'DkimRotation', {
      domains,
      environment: 'prod',
      keyStoreKey,
      namePrefix: 'mailplat-prod',
      scheduleExpression: 'cron(0 0/6 * * ? *)',
      scheduleTimeZone: 'Asia/Tokyo',
      operatorEmails: ['mail-ops@example.co.jp'],
      dnsTeamSender: 'dkim@shop.example.co.jp',
      deletionProtection: true,
      accountId: '123456789012',
      region: 'ap-northeast-1',
    });
  }
}

if (require.main === module) {
  const app = new App();
  new MailPlatformStack(app, 'mail-platform-prod');
  app.synth();
}
