/**
 * The DKIM canary's infrastructure, synthesized: the bucket in the receiving region (SSE-KMS with its own
 * key, public access blocked, TLS only, lifecycle expiry, a policy that lets only this account's canary
 * receipt rule put objects under the prefix), the key policy that lets SES encrypt and the canary decrypt
 * through S3, the receipt rule set, rule and activation, the Lambda and its least-privilege role (evaluated
 * by an IAM policy simulator: what the canary calls is allowed, its neighbours denied), the schedule, and
 * the two alarms. Every bad option is refused with a message naming it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { TerraformStack, Testing } from 'cdktf';
import { ByodkimDomain, DkimRotationSchedule, KeyStoreKey, MonitoringSuite } from '../../constructs';
import { DkimCanary, ratePeriodMinutes, type DkimCanaryOptions } from '../../constructs/private/dkim-canary';
import { LAMBDA_ENV, METRICS } from '../../functions/core/contract';
import { checkTerraform, formatFinding, parseRenderedPolicy, type Json } from '../../constructs/security';
import { synth, type Synthesized } from './synth';

const ACCOUNT = '111111111111';
const REGION = 'ap-northeast-1';
const bundles = mkdtempSync(path.join(tmpdir(), 'byodkim-canary-bundles-'));
for (const name of ['planner', 'worker', 'canary', 'monitor', 'report'])
  writeFileSync(path.join(bundles, `${name}.zip`), `${name} bundle`);
afterAll(() => rmSync(bundles, { recursive: true, force: true }));

interface Built extends Synthesized {
  readonly canary: DkimCanary;
}

function build(options: Partial<DkimCanaryOptions> = {}): Built {
  let canary!: DkimCanary;
  const result = synth((scope) => {
    const key = new KeyStoreKey(scope, 'KeyStoreKey', { accountId: ACCOUNT, region: REGION });
    const common = { encryptionKey: key, namePrefix: 'byodkim-prod' };
    const domains = [
      new ByodkimDomain(scope, 'example.com', {
        domain: 'example.com',
        dns: { kind: 'route53', hostedZoneId: 'Z1' },
        ...common,
      }),
      new ByodkimDomain(scope, 'example.jp', {
        domain: 'example.jp',
        dns: { kind: 'external', contacts: ['dns@example.jp'] },
        ...common,
      }),
    ];
    const rotation = new DkimRotationSchedule(scope, 'Rotation', {
      domains,
      environment: 'prod',
      dnsTeamSender: 'dkim@example.com',
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
    });
    canary = new DkimCanary(scope, 'Canary', {
      receivingDomain: 'dkim-canary.example.net',
      receivingHostedZoneId: 'ZRECV',
      ...options,
      rotation,
      suiteDomains: domains,
      environment: 'prod',
      namePrefix: 'byodkim-prod',
      aws: { accountId: ACCOUNT, region: REGION, partition: 'aws' },
      resolvers: ['10.0.0.2'],
      bundleDirectory: bundles,
      addAlarm: (id, { nameSuffix, ...config }) =>
        new CloudwatchMetricAlarm(scope, id, {
          ...config,
          alarmName: `byodkim-prod-${nameSuffix}`,
          alarmActions: ['arn:aws:sns:ap-northeast-1:111111111111:alarms'],
          okActions: ['arn:aws:sns:ap-northeast-1:111111111111:alarms'],
        }),
    });
  });
  return { ...result, canary };
}

const built = build();
const { json } = built;
const resources = (type: string): Json[] => Object.values(json.resource[type] ?? {});
const one = (type: string): Json => {
  const all = resources(type);
  expect(all).toHaveLength(1);
  return all[0];
};
const canaryFunction = (): Json =>
  resources('aws_lambda_function').find((f) => f.function_name === 'byodkim-prod-dkim-canary');
const RULE_ARN =
  'arn:aws:ses:us-east-1:111111111111:receipt-rule-set/byodkim-prod-dkim-canary:receipt-rule/byodkim-prod-dkim-canary';
const BUCKET = 'byodkim-prod-dkim-canary-111111111111';
const FROM_SES = { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': RULE_ARN } };
const rolePolicy = () =>
  parseRenderedPolicy(
    resources('aws_iam_role_policy').find((p) => /^\$\{aws_iam_role\.Canary_Role_[0-9A-F]+\.name\}$/.test(p.role))!
      .policy,
  );

describe('DkimCanary: the bucket and its key, in the receiving region', () => {
  it('creates every receiving resource in us-east-1 by default (the per-resource region, no provider alias)', () => {
    for (const type of [
      'aws_s3_bucket',
      'aws_s3_bucket_policy',
      'aws_s3_bucket_public_access_block',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_lifecycle_configuration',
      'aws_s3_bucket_ownership_controls',
      'aws_ses_receipt_rule_set',
      'aws_ses_receipt_rule',
      'aws_ses_active_receipt_rule_set',
    ]) {
      expect([type, one(type).region]).toEqual([type, 'us-east-1']);
    }
    const keys = resources('aws_kms_key').filter((k) => k.region === 'us-east-1');
    expect(keys).toHaveLength(1);
    expect(canaryFunction().region).toBeUndefined();
  });

  it('encrypts with its own KMS key (rotation on) by default, blocks public access and keeps objects owned', () => {
    const encryption = one('aws_s3_bucket_server_side_encryption_configuration');
    expect(encryption.rule).toEqual([
      {
        apply_server_side_encryption_by_default: {
          sse_algorithm: 'aws:kms',
          kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\.Canary_BucketKey_[0-9A-F]+\.arn\}$/),
        },
        bucket_key_enabled: false,
      },
    ]);
    const key = resources('aws_kms_key').find((k) => k.region === 'us-east-1');
    expect(key).toMatchObject({
      enable_key_rotation: true,
      deletion_window_in_days: 30,
      lifecycle: { prevent_destroy: true },
    });
    expect(one('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one('aws_s3_bucket_ownership_controls').rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(one('aws_s3_bucket')).toMatchObject({ bucket: BUCKET, force_destroy: false });
  });

  it('expires received messages after 3 days and abandoned uploads after 1', () => {
    expect(one('aws_s3_bucket_lifecycle_configuration').rule).toEqual([
      { id: 'expire-canary-messages', status: 'Enabled', filter: [{ prefix: 'incoming/' }], expiration: [{ days: 3 }] },
      {
        id: 'abort-incomplete-uploads',
        status: 'Enabled',
        filter: [{ prefix: '' }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      },
    ]);
  });

  it('lets only SES, for this account and the canary receipt rule, put objects, and only under the prefix; TLS only', () => {
    const policy = parseRenderedPolicy(one('aws_s3_bucket_policy').policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'SesStoresCanaryMessages',
        Effect: 'Allow',
        Principal: { Service: 'ses.amazonaws.com' },
        Action: ['s3:PutObject'],
        Resource: [`arn:aws:s3:::${BUCKET}/incoming/*`],
        Condition: FROM_SES,
      },
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:*'],
        Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
  });

  it("lets SES generate data keys for the canary rule only, and the canary's role decrypt through S3 only", () => {
    const key = resources('aws_kms_key').find((k) => k.region === 'us-east-1');
    const policy = parseRenderedPolicy(key.policy);
    const sid = (name: string) => policy.Statement.find((s: Json) => s.Sid === name);
    expect(sid('SesEncryptsCanaryMessages')).toEqual({
      Sid: 'SesEncryptsCanaryMessages',
      Effect: 'Allow',
      Principal: { Service: 'ses.amazonaws.com' },
      Action: ['kms:GenerateDataKey*'],
      Resource: '*',
      Condition: FROM_SES,
    });
    expect(sid('CanaryReadsThroughS3')).toMatchObject({
      Principal: { AWS: expect.stringMatching(/^\$\{aws_iam_role\.Canary_Role_[0-9A-F]+\.arn\}$/) },
      Action: ['kms:Decrypt'],
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT } },
    });
    expect(policy.Statement.map((s: Json) => s.Sid)).toEqual([
      'KeyAdministration',
      'SesEncryptsCanaryMessages',
      'CanaryReadsThroughS3',
    ]);
  });
});

describe('DkimCanary: receiving', () => {
  it('stores only the canary recipient, over TLS, scanned, under the prefix, once the bucket can take it', () => {
    const rule = one('aws_ses_receipt_rule');
    expect(rule).toMatchObject({
      name: 'byodkim-prod-dkim-canary',
      rule_set_name: expect.stringMatching(/^\$\{aws_ses_receipt_rule_set\.Canary_RuleSet_[0-9A-F]+\.rule_set_name\}$/),
      recipients: ['canary@dkim-canary.example.net'],
      enabled: true,
      scan_enabled: true,
      tls_policy: 'Require',
      s3_action: [
        {
          bucket_name: expect.stringMatching(/aws_s3_bucket\.Canary_Bucket_[0-9A-F]+\.bucket/),
          object_key_prefix: 'incoming/',
          position: 1,
        },
      ],
    });
    expect(rule.depends_on).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aws_s3_bucket_policy\./),
        expect.stringMatching(/^aws_s3_bucket_server_side_encryption_configuration\./),
        expect.stringMatching(/^aws_kms_key\./),
      ]),
    );
    expect(one('aws_ses_active_receipt_rule_set').rule_set_name).toMatch(/aws_ses_receipt_rule_set\.Canary_RuleSet/);
  });

  it('creates the receiving identity, its MX record and its DKIM CNAMEs in the given zone', () => {
    expect(
      resources('aws_sesv2_email_identity').find((i) => i.email_identity === 'dkim-canary.example.net'),
    ).toMatchObject({
      region: 'us-east-1',
    });
    const records = resources('aws_route53_record').filter((r) => r.zone_id === 'ZRECV');
    expect(records.map((r) => r.type).sort()).toEqual(['CNAME', 'CNAME', 'CNAME', 'MX']);
    expect(records.find((r) => r.type === 'MX')).toMatchObject({
      name: 'dkim-canary.example.net',
      records: ['10 inbound-smtp.us-east-1.amazonaws.com'],
    });
    expect(records.find((r) => r.type === 'CNAME').records[0]).toMatch(
      /^\$\{element\(.*dkim_signing_attributes.*tokens, 0\)\}\.dkim\.amazonses\.com$/,
    );
  });

  it('adds its rule to an existing active rule set without creating or activating one', () => {
    const { json: other } = build({
      existingRuleSetName: 'corporate-inbound',
      receivingHostedZoneId: undefined,
      createReceivingIdentity: false,
    });
    expect(other.resource.aws_ses_receipt_rule_set).toBeUndefined();
    expect(other.resource.aws_ses_active_receipt_rule_set).toBeUndefined();
    expect(Object.values(other.resource.aws_ses_receipt_rule)[0]).toMatchObject({ rule_set_name: 'corporate-inbound' });
    expect(JSON.stringify(other.resource.aws_s3_bucket_policy)).toContain(
      'receipt-rule-set/corporate-inbound:receipt-rule/byodkim-prod-dkim-canary',
    );
    expect(
      Object.values(other.resource.aws_sesv2_email_identity ?? {}).some(
        (i: Json) => i.email_identity === 'dkim-canary.example.net',
      ),
    ).toBe(false);
    expect(Object.values(other.resource.aws_route53_record ?? {}).some((r: Json) => r.zone_id === 'ZRECV')).toBe(false);
  });
});

describe('DkimCanary: the Lambda, its role, its schedule', () => {
  it('gives the handler its environment: targets with configuration sets, recipient, bucket, region, prefix, wait, resolvers', () => {
    const fn = canaryFunction();
    expect(fn).toMatchObject({
      function_name: 'byodkim-prod-dkim-canary',
      timeout: 390,
      reserved_concurrent_executions: 1,
      runtime: 'nodejs22.x',
    });
    const variables = fn.environment.variables;
    expect(JSON.parse(variables[LAMBDA_ENV.canaryTargets])).toEqual([
      { domain: 'example.com', configurationSet: built.canary.domains[0]!.configurationSetName },
      { domain: 'example.jp', configurationSet: built.canary.domains[1]!.configurationSetName },
    ]);
    expect(variables).toMatchObject({
      [LAMBDA_ENV.environment]: 'prod',
      [LAMBDA_ENV.canaryRecipient]: 'canary@dkim-canary.example.net',
      [LAMBDA_ENV.canaryLocalPart]: 'canary',
      [LAMBDA_ENV.canaryBucket]: BUCKET,
      [LAMBDA_ENV.canaryBucketRegion]: 'us-east-1',
      [LAMBDA_ENV.canaryPrefix]: 'incoming/',
      [LAMBDA_ENV.canaryWaitSeconds]: '300',
      [LAMBDA_ENV.resolvers]: '10.0.0.2',
    });
    const logs = resources('aws_cloudwatch_log_group').find((g) => g.name === '/aws/lambda/byodkim-prod-dkim-canary');
    expect(logs).toMatchObject({
      retention_in_days: 731,
      kms_key_id: expect.stringMatching(/aws_kms_key\.KeyStoreKey/),
    });
    expect(resources('aws_scheduler_schedule').find((s) => s.name === 'byodkim-prod-dkim-canary')).toMatchObject({
      schedule_expression: 'rate(1 hour)',
      state: 'ENABLED',
    });
  });

  it('passes the security rules (no wildcard resources, one From address per SendEmail, encrypted logs)', () => {
    expect(checkTerraform(json).findings.map(formatFinding)).toEqual([]);
  });

  const REQUESTS: readonly (readonly [
    string,
    string,
    string,
    Record<string, string | string[]>,
    'Allowed' | 'ImplicitlyDenied',
  ])[] = [
    [
      'sends from canary@example.com to the recipient',
      'ses:SendEmail',
      'arn:aws:ses:ap-northeast-1:111111111111:identity/example.com',
      { 'ses:FromAddress': 'canary@example.com', 'ses:Recipients': ['canary@dkim-canary.example.net'] },
      'Allowed',
    ],
    [
      'sends from ceo@example.com',
      'ses:SendEmail',
      'arn:aws:ses:ap-northeast-1:111111111111:identity/example.com',
      { 'ses:FromAddress': 'ceo@example.com', 'ses:Recipients': ['canary@dkim-canary.example.net'] },
      'ImplicitlyDenied',
    ],
    [
      'sends from canary@example.jp through the identity of example.com',
      'ses:SendEmail',
      'arn:aws:ses:ap-northeast-1:111111111111:identity/example.com',
      { 'ses:FromAddress': 'canary@example.jp', 'ses:Recipients': ['canary@dkim-canary.example.net'] },
      'ImplicitlyDenied',
    ],
    [
      'sends to someone else too',
      'ses:SendEmail',
      'arn:aws:ses:ap-northeast-1:111111111111:identity/example.com',
      {
        'ses:FromAddress': 'canary@example.com',
        'ses:Recipients': ['canary@dkim-canary.example.net', 'victim@example.org'],
      },
      'ImplicitlyDenied',
    ],
    [
      'reads the STATE of example.jp',
      'dynamodb:GetItem',
      'arn:aws:dynamodb:ap-northeast-1:111111111111:table/byodkim-prod-dkim-state',
      { 'dynamodb:LeadingKeys': ['DOMAIN#example.jp'] },
      'Allowed',
    ],
    [
      'reads another partition',
      'dynamodb:GetItem',
      'arn:aws:dynamodb:ap-northeast-1:111111111111:table/byodkim-prod-dkim-state',
      { 'dynamodb:LeadingKeys': ['REPORT'] },
      'ImplicitlyDenied',
    ],
    [
      'writes the table',
      'dynamodb:PutItem',
      'arn:aws:dynamodb:ap-northeast-1:111111111111:table/byodkim-prod-dkim-state',
      { 'dynamodb:LeadingKeys': ['DOMAIN#example.jp'] },
      'ImplicitlyDenied',
    ],
    ['lists the prefix', 's3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': 'incoming/' }, 'Allowed'],
    ['lists the whole bucket', 's3:ListBucket', `arn:aws:s3:::${BUCKET}`, { 's3:prefix': '' }, 'ImplicitlyDenied'],
    ['reads a received message', 's3:GetObject', `arn:aws:s3:::${BUCKET}/incoming/abc`, {}, 'Allowed'],
    ['deletes a received message', 's3:DeleteObject', `arn:aws:s3:::${BUCKET}/incoming/abc`, {}, 'Allowed'],
    ['reads outside the prefix', 's3:GetObject', `arn:aws:s3:::${BUCKET}/other/abc`, {}, 'ImplicitlyDenied'],
    ['writes a message', 's3:PutObject', `arn:aws:s3:::${BUCKET}/incoming/abc`, {}, 'ImplicitlyDenied'],
  ];

  it.each(REQUESTS)('%s: %s', async (_, action, resource, context, expected) => {
    const resolved = JSON.parse(
      JSON.stringify(rolePolicy())
        .replace(
          /\$\{aws_sesv2_email_identity\.([A-Za-z0-9]+)_EmailIdentity_[0-9A-F]+\.arn\}/g,
          (_m, id: string) =>
            `arn:aws:ses:ap-northeast-1:111111111111:identity/${id.replace(/example(com|jp)/, 'example.$1')}`,
        )
        .replace(
          /\$\{aws_sesv2_configuration_set\.[^}]+\.arn\}/g,
          'arn:aws:ses:ap-northeast-1:111111111111:configuration-set/cs',
        )
        .replace(
          /\$\{aws_dynamodb_table\.[^}]+\.arn\}/g,
          'arn:aws:dynamodb:ap-northeast-1:111111111111:table/byodkim-prod-dkim-state',
        )
        .replace(
          /\$\{aws_cloudwatch_log_group\.[^}]+\.arn\}/g,
          'arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/lambda/byodkim-prod-dkim-canary',
        )
        .replace(
          /\$\{aws_kms_key\.[^}]+\.arn\}/g,
          'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        ),
    );
    expect(JSON.stringify(resolved)).not.toContain('${');
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/byodkim-prod-dkim-canary`,
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: context,
        },
        identityPolicies: [{ name: 'least-privilege', policy: resolved }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      { simulationMode: 'Strict' },
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    // Every condition key given is one the simulator knows for the action (else it would be ignored).
    if (result.resultType === 'single') expect(result.result.ignoredContextKeys ?? []).toEqual([]);
    expect(result.overallResult).toBe(expected);
  });
});

describe('DkimCanary: the alarms', () => {
  const alarm = (name: string) => resources('aws_cloudwatch_metric_alarm').find((a) => a.alarm_name === name);

  it('fires on any failed check in a run (critical), missing data not breaching', () => {
    expect(alarm('byodkim-prod-dkim-canary-failed')).toMatchObject({
      namespace: 'Byodkim',
      metric_name: METRICS.canaryFailures.name,
      dimensions: { Environment: 'prod' },
      statistic: 'Maximum',
      period: 3600,
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      treat_missing_data: 'notBreaching',
      alarm_actions: ['arn:aws:sns:ap-northeast-1:111111111111:alarms'],
    });
    expect(alarm('byodkim-prod-dkim-canary-failed').alarm_description).toMatch(
      /^CRITICAL[\s\S]*\nCRITICAL[\s\S]*検証に通りませんでした/,
    );
  });

  it('fires when no run finished for two periods (missing data breaching)', () => {
    expect(alarm('byodkim-prod-dkim-canary-silent')).toMatchObject({
      metric_name: METRICS.canaryRuns.name,
      statistic: 'SampleCount',
      period: 3600,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
    });
  });
});

describe('DkimCanary: options', () => {
  it.each<[Partial<DkimCanaryOptions>, string]>([
    [
      { receivingRegion: 'ap-northeast-1' as never },
      'canary.receivingRegion must be a region where SES receives mail: us-east-1, us-west-2, eu-west-1 (given "ap-northeast-1")',
    ],
    [{ receivingDomain: 'not a domain' }, 'canary.receivingDomain must be a domain name'],
    [
      { domains: ['example.org'] },
      'canary.domains[0] must be one of the environment\'s domains (example.com, example.jp) (given "example.org")',
    ],
    [{ domains: [] }, 'canary.domains must name at least one domain'],
    [{ schedule: 'rate(5 minutes)' }, 'canary.schedule must be rate(<n> minutes|hours|days), from 15 minutes to 1 day'],
    [{ schedule: 'cron(0 * * * ? *)' }, 'canary.schedule must be rate('],
    [{ waitSeconds: 900 }, 'canary.waitSeconds must be a whole number of seconds from 60 to 780 (given 900)'],
    [{ messageRetentionDays: 0 }, 'canary.messageRetentionDays must be a whole number of days from 1 to 90'],
    [{ missedRuns: 1 }, 'canary.missedRuns must be a whole number from 2 to 24'],
    [{ senderLocalPart: 'a b' }, 'canary.senderLocalPart must be an e-mail local part'],
    [{ bucketName: 'Not_A_Bucket' }, 'canary.bucketName must be an S3 bucket name'],
  ])('refuses %j', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });

  it('reads rate() periods as EventBridge writes them', () => {
    expect(ratePeriodMinutes('rate(1 hour)')).toBe(60);
    expect(ratePeriodMinutes('rate(30 minutes)')).toBe(30);
    expect(ratePeriodMinutes('rate(1 day)')).toBe(1440);
    expect(ratePeriodMinutes('rate(2 hour)')).toBeUndefined();
    expect(ratePeriodMinutes('rate(1 hours)')).toBeUndefined();
  });
});

describe('MonitoringSuite with a canary', () => {
  let suite!: MonitoringSuite;
  const { json: stack } = synth((scope) => {
    const key = new KeyStoreKey(scope, 'KeyStoreKey', { accountId: ACCOUNT, region: REGION });
    const domains = [
      new ByodkimDomain(scope, 'example.com', {
        domain: 'example.com',
        dns: { kind: 'route53', hostedZoneId: 'Z1' },
        encryptionKey: key,
        namePrefix: 'byodkim-stg',
      }),
    ];
    const rotation = new DkimRotationSchedule(scope, 'Rotation', {
      domains,
      environment: 'stg',
      dnsTeamSender: 'dkim@example.com',
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
    });
    suite = new MonitoringSuite(scope, 'Monitoring', {
      rotation,
      domains,
      environment: 'stg',
      resolvers: ['10.0.0.2'],
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
      canary: {
        receivingDomain: 'dkim-canary.example.net',
        receivingRegion: 'eu-west-1',
        schedule: 'rate(30 minutes)',
      },
    });
  });

  it("creates the canary with the suite's alarms: its name prefix, its topic for firing and clearing", () => {
    expect(suite.canary).toBeDefined();
    const alarms = Object.values(stack.resource.aws_cloudwatch_metric_alarm as Record<string, Json>).filter((a) =>
      String(a.alarm_name).includes('canary'),
    );
    expect(alarms.map((a) => a.alarm_name).sort()).toEqual([
      'byodkim-stg-dkim-canary-failed',
      'byodkim-stg-dkim-canary-silent',
    ]);
    for (const alarm of alarms) {
      expect(alarm.alarm_actions).toEqual([
        expect.stringMatching(/^\$\{aws_sns_topic\.Monitoring_AlarmTopic_[0-9A-F]+\.arn\}$/),
      ]);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
      expect(alarm.period).toBe(1800);
    }
  });

  it('puts the receiving side in the configured region and gives the canary the suite resolvers', () => {
    const rule = Object.values(stack.resource.aws_ses_receipt_rule as Record<string, Json>)[0];
    expect(rule.region).toBe('eu-west-1');
    const fn = Object.values(stack.resource.aws_lambda_function as Record<string, Json>).find(
      (f) => f.function_name === 'byodkim-stg-dkim-canary',
    );
    expect(fn.environment.variables).toMatchObject({
      [LAMBDA_ENV.resolvers]: '10.0.0.2',
      [LAMBDA_ENV.environment]: 'stg',
    });
  });

  it('has no canary when none is configured (off by default)', () => {
    const stack = new TerraformStack(Testing.app(), 'plain');
    const key = new KeyStoreKey(stack, 'KeyStoreKey', { accountId: ACCOUNT, region: REGION });
    const domains = [
      new ByodkimDomain(stack, 'example.com', {
        domain: 'example.com',
        dns: { kind: 'route53', hostedZoneId: 'Z1' },
        encryptionKey: key,
      }),
    ];
    const rotation = new DkimRotationSchedule(stack, 'Rotation', {
      domains,
      environment: 'dev',
      dnsTeamSender: 'dkim@example.com',
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
    });
    const plain = new MonitoringSuite(stack, 'Monitoring', {
      rotation,
      domains,
      environment: 'dev',
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
    });
    expect(plain.canary).toBeUndefined();
    expect(plain.node.findAll().some((c) => c instanceof DkimCanary)).toBe(false);
  });
});
