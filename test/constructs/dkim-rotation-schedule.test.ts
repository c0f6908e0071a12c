import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import {
  ByodkimDomain,
  DkimRotationSchedule,
  KeyStoreKey,
  TABLE_USE_ACTIONS,
  type DkimRotationScheduleProps,
} from '../../constructs';
import { LAMBDA_ENV, specItem } from '../../functions/core/contract';
import { normalizeRoute53Name, route53NamePattern } from '../../functions/core/route53-names';
import { synth, type Synthesized } from './synth';
import { checkTerraform, formatFinding, parseRenderedPolicy, type Json } from '../../constructs/security';

const ACCOUNT = '111111111111';
const REGION = 'ap-northeast-1';
// Stand-in bundles: the construct deploys whatever zip it is given; bundling is tested in test/scripts.
const bundles = mkdtempSync(path.join(tmpdir(), 'byodkim-bundles-'));
writeFileSync(path.join(bundles, 'planner.zip'), 'planner bundle');
writeFileSync(path.join(bundles, 'worker.zip'), 'worker bundle');
afterAll(() => rmSync(bundles, { recursive: true, force: true }));

interface Built extends Synthesized {
  readonly schedule: DkimRotationSchedule;
  readonly key: KeyStoreKey;
  readonly domains: ByodkimDomain[];
}

function build(props: Partial<DkimRotationScheduleProps> = {}): Built {
  let schedule!: DkimRotationSchedule;
  let key!: KeyStoreKey;
  let domains!: ByodkimDomain[];
  const result = synth((scope) => {
    key = new KeyStoreKey(scope, 'KeyStoreKey', { accountId: ACCOUNT, region: REGION });
    const common = { encryptionKey: key, namePrefix: 'byodkim-dev' };
    domains = [
      new ByodkimDomain(scope, 'example.com', {
        domain: 'Example.COM',
        dns: { kind: 'route53', hostedZoneId: 'Z1' },
        ...common,
      }),
      new ByodkimDomain(scope, 'example.org', {
        domain: 'example.org',
        dns: { kind: 'delegated', zoneName: 'dkim.example.net', contacts: ['dns@example.org'] },
        ...common,
      }),
      new ByodkimDomain(scope, 'example.jp', {
        domain: 'example.jp',
        dns: { kind: 'external', contacts: ['dns@example.jp'] },
        ...common,
      }),
    ];
    schedule = new DkimRotationSchedule(scope, 'Rotation', {
      domains,
      environment: 'dev',
      dnsTeamSender: 'dkim@example.com',
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
      ...props,
    });
  });
  return { ...result, schedule, key, domains };
}

const built = build();
const { json, text } = built;
const resources = (type: string): Json[] => Object.values(json.resource[type] ?? {});
const fn = (name: string): Json => resources('aws_lambda_function').find((f) => f.function_name === name);
const rolePolicy = (name: string): Json => {
  const roleRef = Object.entries(json.resource.aws_iam_role as Record<string, Json>).find(
    ([, r]) => r.name === name,
  )![0];
  const policy = resources('aws_iam_role_policy').find((p) => p.role === `\${aws_iam_role.${roleRef}.name}`);
  return parseRenderedPolicy(policy.policy);
};
const statement = (policy: Json, sid: string): Json => policy.Statement.find((s: Json) => s.Sid === sid);
const worker = rolePolicy('byodkim-dev-dkim-worker');
const planner = rolePolicy('byodkim-dev-dkim-planner');
const sha = (text: string) => createHash('sha256').update(text).digest('base64');

describe('DkimRotationSchedule: the Lambdas', () => {
  it.each([
    ['byodkim-dev-dkim-planner', 256, 1],
    ['byodkim-dev-dkim-worker', 512, 12],
  ])('%s runs Node.js 22 on arm64 with %i MB and reserved concurrency %i', (name, memory, reserved) => {
    expect(fn(name)).toMatchObject({
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      memory_size: memory,
      reserved_concurrent_executions: reserved,
      timeout: 300,
    });
  });

  it('deploys each bundle as an asset whose SHA-256 is the source_code_hash', () => {
    expect(fn('byodkim-dev-dkim-planner').source_code_hash).toBe(sha('planner bundle'));
    expect(fn('byodkim-dev-dkim-worker').source_code_hash).toBe(sha('worker bundle'));
    expect(fn('byodkim-dev-dkim-worker').filename).toMatch(/^assets\/.+\/[0-9a-f]{64}\/worker\.zip$/);
  });

  it('gives the planner the table, the queue and the operator topic (orphan reports), nothing else', () => {
    expect(Object.keys(fn('byodkim-dev-dkim-planner').environment.variables).sort()).toEqual(
      [
        LAMBDA_ENV.environment,
        LAMBDA_ENV.stateTable,
        LAMBDA_ENV.workQueueUrl,
        LAMBDA_ENV.operatorTopicArn,
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
      ].sort(),
    );
  });

  it('gives the worker names and ARNs from LAMBDA_ENV', () => {
    const vars = fn('byodkim-dev-dkim-worker').environment.variables;
    expect(vars).toMatchObject({
      [LAMBDA_ENV.environment]: 'dev',
      [LAMBDA_ENV.secretPrefix]: 'byodkim-dev',
      [LAMBDA_ENV.dnsTeamSender]: 'dkim@example.com',
      [LAMBDA_ENV.stateTable]: expect.stringMatching(/^\$\{aws_dynamodb_table\.\w+\.name\}$/),
      // The delayed requeue of a domain whose engine asks to run again within 15 min.
      [LAMBDA_ENV.workQueueUrl]: expect.stringMatching(/^\$\{aws_sqs_queue\.\w*WorkQueue_\w+\.url\}$/),
      [LAMBDA_ENV.keyStoreKeyArn]: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.arn\}$/),
      [LAMBDA_ENV.operatorTopicArn]: expect.stringMatching(/^\$\{aws_sns_topic\.\w+\.arn\}$/),
      POWERTOOLS_SERVICE_NAME: 'byodkim-worker',
      POWERTOOLS_METRICS_NAMESPACE: 'Byodkim',
    });
    expect(vars[LAMBDA_ENV.resolvers]).toBeUndefined();
    expect(vars[LAMBDA_ENV.authoritativeServers]).toBeUndefined();
    expect(vars[LAMBDA_ENV.operatorReplyTo]).toBeUndefined();
  });

  const workerVariables = (j: Json): Record<string, string> =>
    Object.values(j.resource.aws_lambda_function as Record<string, Json>).find((f) =>
      f.function_name.endsWith('worker'),
    ).environment.variables;

  it('passes configured resolvers and authoritative servers comma-separated', () => {
    const { json: j } = build({
      resolvers: ['8.8.8.8', '1.1.1.1:53'],
      authoritativeServers: ['10.0.0.53', '10.0.1.53:5353'],
    });
    expect(workerVariables(j)[LAMBDA_ENV.resolvers]).toBe('8.8.8.8,1.1.1.1:53');
    expect(workerVariables(j)[LAMBDA_ENV.authoritativeServers]).toBe('10.0.0.53,10.0.1.53:5353');
  });

  it('refuses an authoritative server that is not host[:port]', () => {
    expect(() => build({ authoritativeServers: ['ns1.example.com; rm'] })).toThrow(
      /authoritativeServers must be host\[:port\] entries/,
    );
  });

  it('gives the worker the operators as Reply-To: operatorReplyTo, else operatorEmails', () => {
    const fromEmails = build({ operatorEmails: ['ops@example.com', 'oncall@example.com'] }).json;
    expect(workerVariables(fromEmails)[LAMBDA_ENV.operatorReplyTo]).toBe('ops@example.com,oncall@example.com');
    const given = build({ operatorEmails: ['ops@example.com'], operatorReplyTo: ['dkim-team@example.com'] }).json;
    expect(workerVariables(given)[LAMBDA_ENV.operatorReplyTo]).toBe('dkim-team@example.com');
    expect(() => build({ operatorReplyTo: ['not an address'] })).toThrow(/operatorReplyTo/);
  });

  it('writes logs to log groups with the retention and the key store key', () => {
    const group = resources('aws_cloudwatch_log_group').find((g) => g.name === '/aws/lambda/byodkim-dev-dkim-worker');
    expect(group).toMatchObject({
      retention_in_days: 731,
      kms_key_id: expect.stringMatching(/^\$\{aws_kms_key\.KeyStoreKey_\w+\.arn\}$/),
    });
    expect(build({ logRetentionDays: 7 }).text).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: '/aws/lambda/byodkim-dev-dkim-planner',
      retention_in_days: 7,
    });
  });
});

describe('DkimRotationSchedule: queues and the event source mapping', () => {
  const work = resources('aws_sqs_queue').find((q) => q.name === 'byodkim-dev-dkim-work');
  const dlq = resources('aws_sqs_queue').find((q) => q.name === 'byodkim-dev-dkim-work-dlq');

  it('encrypts both queues with the messaging key', () => {
    for (const queue of [work, dlq])
      expect(queue.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.Rotation_MessagingKey_\w+\.arn\}$/);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', () => {
    expect(JSON.parse(work.redrive_policy)).toEqual({
      deadLetterTargetArn: expect.stringMatching(/^\$\{aws_sqs_queue\.\w+\.arn\}$/),
      maxReceiveCount: 5,
    });
    expect(
      JSON.parse(
        build({ maxReceiveCount: 3 }).json.resource.aws_sqs_queue[
          Object.keys(json.resource.aws_sqs_queue).find((k) => k.includes('WorkQueue'))!
        ].redrive_policy,
      ).maxReceiveCount,
    ).toBe(3);
  });

  it('hides a message six worker timeouts long', () => {
    expect(work.visibility_timeout_seconds).toBe(1800);
  });

  it('lets only the work queue redrive into the dead-letter queue', () => {
    const [allow] = resources('aws_sqs_queue_redrive_allow_policy');
    expect(JSON.parse(allow.redrive_allow_policy)).toEqual({
      redrivePermission: 'byQueue',
      sourceQueueArns: [expect.stringMatching(/WorkQueue/)],
    });
  });

  it('maps the queue to the worker with maximum concurrency and partial batch failures', () => {
    expect(text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      scaling_config: { maximum_concurrency: 10 },
      function_response_types: ['ReportBatchItemFailures'],
      batch_size: 5,
    });
    expect(build({ workerMaxConcurrency: 40 }).text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      scaling_config: { maximum_concurrency: 40 },
    });
  });

  it('reserves the workers of the mapping plus room for operators', () => {
    const j = build({ workerMaxConcurrency: 40 }).json;
    const w = Object.values(j.resource.aws_lambda_function as Record<string, Json>).find((f) =>
      f.function_name.endsWith('worker'),
    );
    expect(w.reserved_concurrent_executions).toBe(42);
  });
});

describe('DkimRotationSchedule: the state table and SPEC items', () => {
  it('is keyed by pk/sk, with the kind index, PITR, the key store key and TTL on expiresAt', () => {
    expect(resources('aws_dynamodb_table')[0]).toMatchObject({
      name: 'byodkim-dev-dkim-state',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'pk',
      range_key: 'sk',
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true, kms_key_arn: expect.stringMatching(/KeyStoreKey_/) },
      ttl: { attribute_name: 'expiresAt', enabled: true },
      global_secondary_index: [
        { name: 'kind-index', hash_key: 'kind', range_key: 'domain', projection_type: 'KEYS_ONLY' },
      ],
    });
  });

  it('is protected by default and not when deletionProtection is false', () => {
    expect(text).toHaveResourceWithProperties(DynamodbTable, {
      deletion_protection_enabled: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(build({ deletionProtection: false }).text).toHaveResourceWithProperties(DynamodbTable, {
      deletion_protection_enabled: false,
      lifecycle: { prevent_destroy: false },
    });
  });

  it('writes one SPEC item per domain, exactly specItem(spec)', () => {
    const items = resources('aws_dynamodb_table_item');
    expect(items).toHaveLength(3);
    for (const domain of built.domains) {
      expect(items.map((i) => i.item)).toContain(JSON.stringify(specItem(domain.spec)));
    }
  });

  it('names each SPEC item after its domain, so adding a domain touches no other', () => {
    expect(Object.keys(built.schedule.specItems)).toEqual(['example.com', 'example.org', 'example.jp']);
    expect(
      Object.keys(json.resource.aws_dynamodb_table_item).every((k) => /^Rotation_Spec-example\w+_[0-9A-F]{8}$/.test(k)),
    ).toBe(true);
  });
});

describe('DkimRotationSchedule: the schedule', () => {
  it('runs the planner every 6 hours in UTC by default, with a role of its own', () => {
    expect(text).toHaveResourceWithProperties(SchedulerSchedule, {
      schedule_expression: 'cron(0 0/6 * * ? *)',
      schedule_expression_timezone: 'UTC',
      flexible_time_window: { mode: 'OFF' },
      target: expect.objectContaining({
        arn: expect.stringMatching(/^\$\{aws_lambda_function\.Rotation_Planner_\w+\.arn\}$/),
        role_arn: expect.stringMatching(/^\$\{aws_iam_role\.Rotation_ScheduleRole_\w+\.arn\}$/),
      }),
    });
  });

  it('takes the expression and time zone from its props', () => {
    expect(
      build({ scheduleExpression: 'rate(1 hour)', scheduleTimeZone: 'Asia/Tokyo' }).text,
    ).toHaveResourceWithProperties(SchedulerSchedule, {
      schedule_expression: 'rate(1 hour)',
      schedule_expression_timezone: 'Asia/Tokyo',
    });
  });

  it('lets its role invoke the planner only, assumed by the scheduler of this account only', () => {
    const policy = rolePolicy('byodkim-dev-dkim-schedule');
    expect(policy.Statement).toEqual([
      {
        Sid: 'InvokePlanner',
        Effect: 'Allow',
        Action: ['lambda:InvokeFunction'],
        Resource: [
          expect.stringMatching(/Rotation_Planner_\w+\.arn\}$/),
          expect.stringMatching(/Rotation_Planner_\w+\.arn\}:\*$/),
        ],
      },
    ]);
    const role = resources('aws_iam_role').find((r) => r.name === 'byodkim-dev-dkim-schedule');
    expect(role.assume_role_policy).toContain('"Service" = "scheduler.amazonaws.com"');
    expect(role.assume_role_policy).toContain('"aws:SourceAccount" = "111111111111"');
  });
});

describe('DkimRotationSchedule: the worker role', () => {
  it('may change TXT records under *._domainkey.<domain> of the route53 zone only (names normalized)', () => {
    expect(statement(worker, 'Route53DkimRecords1')).toEqual({
      Sid: 'Route53DkimRecords1',
      Effect: 'Allow',
      Action: ['route53:ChangeResourceRecordSets'],
      Resource: [expect.stringMatching(/^\$\{data\.aws_route53_zone\.examplecom_HostedZone_\w+\.arn\}$/)],
      Condition: {
        'ForAllValues:StringLike': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': ['*._domainkey.example.com'],
        },
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
        },
        Null: { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false' },
      },
    });
  });

  it('may change the two slot records of the delegated zone only', () => {
    const s = statement(worker, 'Route53DkimRecords2');
    expect(s.Resource).toEqual([expect.stringMatching(/^\$\{aws_route53_zone\.exampleorg_DelegatedZone_\w+\.arn\}$/)]);
    expect(s.Condition['ForAllValues:StringLike']['route53:ChangeResourceRecordSetsNormalizedRecordNames']).toEqual([
      'byodkim-dev1.dkim.example.net',
      'byodkim-dev2.dkim.example.net',
    ]);
    expect(s.Condition.Null).toEqual({ 'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false' });
  });

  it('has no Route 53 statement for an external domain', () => {
    const route53 = worker.Statement.filter((s: Json) => String(s.Sid).startsWith('Route53DkimRecords'));
    expect(route53).toHaveLength(2);
  });

  it('uses the shared normalization for the condition values', () => {
    expect(route53NamePattern('*._domainkey.Example.COM.')).toBe('*._domainkey.example.com');
    expect(normalizeRoute53Name('*._domainkey.example.com')).toBe('\\052._domainkey.example.com');
    for (const d of built.domains) {
      const names = d.managedRecordNames.map(route53NamePattern);
      if (names.length === 0) continue;
      const s = worker.Statement.find(
        (st: Json) =>
          JSON.stringify(st.Condition?.['ForAllValues:StringLike']) ===
          JSON.stringify({ 'route53:ChangeResourceRecordSetsNormalizedRecordNames': names }),
      );
      expect(s).toBeDefined();
    }
  });

  it('reads the records of its zones, and finds delegated zones by name', () => {
    expect(statement(worker, 'Route53ReadRecords')).toMatchObject({
      Action: ['route53:ListResourceRecordSets'],
      Resource: [
        statement(worker, 'Route53DkimRecords1').Resource[0],
        statement(worker, 'Route53DkimRecords2').Resource[0],
      ],
    });
    expect(statement(worker, 'Route53FindDelegatedZones')).toMatchObject({
      Action: ['route53:ListHostedZonesByName'],
      Resource: ['*'],
    });
  });

  it('reads change status', () => {
    expect(statement(worker, 'Route53ChangeStatus')).toMatchObject({
      Action: ['route53:GetChange'],
      Resource: ['arn:aws:route53:::change/*'],
    });
  });

  it('may use SES DKIM actions on the identities only', () => {
    const s = statement(worker, 'SesIdentityDkim');
    expect(s.Action).toEqual([
      'ses:GetEmailIdentity',
      'ses:PutEmailIdentityDkimSigningAttributes',
      'ses:PutEmailIdentityDkimAttributes',
    ]);
    expect(s.Resource).toHaveLength(3);
    expect(s.Resource.every((r: string) => /^\$\{aws_sesv2_email_identity\.\w+\.arn\}$/.test(r))).toBe(true);
  });

  it('may send e-mail only as the DNS-team sender, through its identity', () => {
    expect(statement(worker, 'SesSendAsDnsTeamSender')).toEqual({
      Sid: 'SesSendAsDnsTeamSender',
      Effect: 'Allow',
      Action: ['ses:SendEmail'],
      Resource: [
        expect.stringMatching(/^\$\{aws_sesv2_email_identity\.examplecom_EmailIdentity_\w+\.arn\}$/),
        expect.stringMatching(/^\$\{aws_sesv2_configuration_set\.examplecom_ConfigurationSet_\w+\.arn\}$/),
      ],
      Condition: { StringEquals: { 'ses:FromAddress': 'dkim@example.com' } },
    });
  });

  it('sends through identity/<domain> when the sender is not one of the domains', () => {
    const other = build({ dnsTeamSender: 'noreply@mail.example.net' });
    const policy = parseRenderedPolicy(
      Object.values(other.json.resource.aws_iam_role_policy as Record<string, Json>).find((p) =>
        p.policy.includes('SesSendAsDnsTeamSender'),
      ).policy,
    );
    expect(statement(policy, 'SesSendAsDnsTeamSender').Resource).toEqual([
      'arn:aws:ses:ap-northeast-1:111111111111:identity/mail.example.net',
    ]);
  });

  it('may touch secrets under its prefix only (ListSecrets takes no resource)', () => {
    expect(statement(worker, 'KeyStoreSecrets')).toMatchObject({
      Action: [
        'secretsmanager:CreateSecret',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'secretsmanager:DeleteSecret',
        'secretsmanager:TagResource',
      ],
      Resource: ['arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:byodkim-dev/*'],
    });
    expect(statement(worker, 'KeyStoreList')).toMatchObject({
      Action: ['secretsmanager:ListSecrets'],
      Resource: ['*'],
    });
  });

  it('may use the table, its queue and the operator topic only', () => {
    expect(statement(worker, 'StateTable').Resource).toEqual([
      expect.stringMatching(/^\$\{aws_dynamodb_table\.\w+\.arn\}$/),
    ]);
    expect(statement(worker, 'StateTable').Action).not.toContain('dynamodb:DeleteItem');
    expect(statement(worker, 'WorkQueue')).toEqual({
      Sid: 'WorkQueue',
      Effect: 'Allow',
      // SendMessage: the delayed requeue; to the work queue only, never the dead-letter queue.
      Action: [
        'sqs:SendMessage',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
      ],
      Resource: [expect.stringMatching(/WorkQueue_\w+\.arn\}$/)],
    });
    expect(statement(worker, 'OperatorNotices')).toMatchObject({
      Action: ['sns:Publish'],
      Resource: [expect.stringMatching(/OperatorTopic_\w+\.arn\}$/)],
    });
  });

  it('writes to its own log group only', () => {
    expect(statement(worker, 'WriteOwnLogs').Resource).toEqual([
      expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.Rotation_WorkerLogs_\w+\.arn\}:\*$/),
    ]);
  });
});

describe('DkimRotationSchedule: the planner role', () => {
  it('lists SPEC items through the kind index, reads them, enqueues and reports orphans: nothing else', () => {
    expect(planner.Statement.map((s: Json) => s.Sid)).toEqual([
      'WriteOwnLogs',
      'ListConfiguredDomains',
      'ReadSpecs',
      'EnqueueDomains',
      'OperatorNotices',
    ]);
    expect(statement(planner, 'OperatorNotices')).toMatchObject({
      Action: ['sns:Publish'],
      Resource: [expect.stringMatching(/^\$\{aws_sns_topic\.\w+\.arn\}$/)],
    });
    expect(statement(planner, 'ListConfiguredDomains').Resource).toEqual([
      expect.stringMatching(/\.arn\}\/index\/kind-index$/),
    ]);
    expect(statement(planner, 'EnqueueDomains')).toMatchObject({
      Action: ['sqs:SendMessage'],
      Resource: [expect.stringMatching(/WorkQueue/)],
    });
  });
});

describe('DkimRotationSchedule: KMS', () => {
  const synthesizedKeyPolicy = (prefix: string): Json =>
    parseRenderedPolicy(
      Object.entries(json.resource.aws_kms_key as Record<string, Json>).find(([name]) => name.startsWith(prefix))![1]
        .policy,
    );

  const keyPolicy = (key: KeyStoreKey) => key.policyDocument.Statement as Json[];

  it('lets the deploying account use the key store key through DynamoDB only, and DynamoDB describe it', () => {
    const statements = keyPolicy(built.key);
    expect(statements.find((s) => s.Sid === 'DynamoDbTableUse')).toEqual({
      Sid: 'DynamoDbTableUse',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: [...TABLE_USE_ACTIONS],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:ViaService': 'dynamodb.ap-northeast-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT },
      },
    });
    expect(TABLE_USE_ACTIONS).toEqual([
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncrypt*',
      'kms:GenerateDataKey*',
      'kms:DescribeKey',
      'kms:CreateGrant',
    ]);
    expect(statements.find((s) => s.Sid === 'DynamoDbServiceDescribe')).toEqual({
      Sid: 'DynamoDbServiceDescribe',
      Effect: 'Allow',
      Principal: { Service: 'dynamodb.amazonaws.com' },
      Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
      Resource: '*',
    });
  });

  it('lets CloudWatch Logs use the key store key for the schedule’s log groups only', () => {
    expect(keyPolicy(built.key).find((s) => s.Sid === 'CloudWatchLogsUse')).toMatchObject({
      Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn':
            'arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/lambda/byodkim-dev-dkim-*',
        },
      },
    });
  });

  it('grants the worker (not the planner) the key store key', () => {
    const use = keyPolicy(built.key).filter((s) => String(s.Sid).startsWith('KeyStoreUse'));
    expect(use).toHaveLength(1);
    expect(
      synthesizedKeyPolicy('KeyStoreKey_').Statement.find((st: Json) => st.Sid === 'KeyStoreUse1').Principal,
    ).toEqual({
      AWS: expect.stringMatching(/^\$\{aws_iam_role\.Rotation_WorkerRole_\w+\.arn\}$/),
    });
  });

  it('grants both Lambdas the messaging key through SQS and SNS', () => {
    const use = keyPolicy(built.schedule.messagingKey).find((s) => s.Sid === 'KeyStoreUse1');
    expect(use.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(
      synthesizedKeyPolicy('Rotation_MessagingKey_').Statement.find((st: Json) => st.Sid === 'KeyStoreUse1').Principal,
    ).toEqual({
      AWS: [
        expect.stringMatching(/Rotation_PlannerRole_\w+\.arn\}$/),
        expect.stringMatching(/Rotation_WorkerRole_\w+\.arn\}$/),
      ],
    });
    expect(use.Condition.StringEquals['kms:ViaService']).toEqual([
      'sqs.ap-northeast-1.amazonaws.com',
      'sns.ap-northeast-1.amazonaws.com',
    ]);
  });
});

describe('DkimRotationSchedule: the operator topic', () => {
  it('is created encrypted, with the operators’ e-mail subscriptions', () => {
    const b = build({ operatorEmails: ['ops@example.com'] });
    expect(b.text).toHaveResourceWithProperties(SnsTopic, {
      name: 'byodkim-dev-dkim-operators',
      kms_master_key_id: expect.stringMatching(/MessagingKey/),
    });
    expect(b.text).toHaveResourceWithProperties(SnsTopicSubscription, {
      protocol: 'email',
      endpoint: 'ops@example.com',
    });
  });

  it('is not created when one is given', () => {
    const given = 'arn:aws:sns:ap-northeast-1:111111111111:ops';
    const b = build({ operatorTopicArn: given });
    expect(b.text).not.toHaveResource(SnsTopic);
    expect(b.schedule.workerEnvironment[LAMBDA_ENV.operatorTopicArn]).toBe(given);
  });
});

describe('DkimRotationSchedule: props are checked', () => {
  it.each<[string, Partial<DkimRotationScheduleProps>, RegExp]>([
    ['no domains', { domains: [] }, /domains must list at least one ByodkimDomain/],
    [
      'a bad schedule',
      { scheduleExpression: 'every 6 hours' },
      /scheduleExpression must be cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\) \(given "every 6 hours"\)/,
    ],
    ['a bad time zone', { scheduleTimeZone: 'Tokyo' }, /scheduleTimeZone must be an IANA time zone .*given "Tokyo"/],
    [
      'one worker',
      { workerMaxConcurrency: 1 },
      /workerMaxConcurrency must be a whole number from 2 to 1000 \(given 1\)/,
    ],
    ['a bad sender', { dnsTeamSender: 'not-an-address' }, /dnsTeamSender must be an e-mail address/],
    [
      'a missing bundle',
      { bundleDirectory: '/nonexistent' },
      /the planner Lambda bundle \/nonexistent\/planner\.zip does not exist: run "npm run bundle"/,
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('security rules over the synthesized stack', () => {
  // Each rule's failing cases are in test/constructs/security/ (the worker policy broken one way at a time).
  it('find nothing wrong in the stack DkimRotationSchedule synthesizes', () => {
    const report = checkTerraform(json);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.tally.find((t) => t.ruleName === 'Route53DkimRecordsOnly')?.compliant).toBe(1);
  });
});
