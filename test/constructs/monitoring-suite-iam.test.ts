/**
 * The monitor's and the report's identity policies, taken from a synthesized MonitoringSuite and evaluated
 * by an IAM policy simulator (@cloud-copilot/iam-simulate), as iam-evaluation.test.ts does for the key
 * manager: the monitor can read what it watches and cannot write anything it watches; the report writes
 * only its own partition (pk REPORT) of the state table.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ByodkimDomain, DkimRotationSchedule, KeyStoreKey, MonitoringSuite } from '../../constructs';
import { domainPartitionKey, STATE_TABLE } from '../../functions/core/contract';
import { parseRenderedPolicy, type Json } from '../../constructs/security';
import { synth } from './synth';

const ACCOUNT = '111111111111';
const REGION = 'ap-northeast-1';
const KEY_STORE_KEY_ID = '11111111-1111-1111-1111-111111111111';
const MONITORING_KEY_ID = '22222222-2222-2222-2222-222222222222';
const bundles = mkdtempSync(path.join(tmpdir(), 'byodkim-monitoring-iam-'));
for (const name of ['planner', 'worker', 'monitor', 'report']) {
  writeFileSync(path.join(bundles, `${name}.zip`), `${name} bundle`);
}
afterAll(() => rmSync(bundles, { recursive: true, force: true }));

const { json } = synth((scope) => {
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
  new MonitoringSuite(scope, 'Monitoring', {
    rotation,
    domains,
    environment: 'prod',
    bundleDirectory: bundles,
    accountId: ACCOUNT,
    region: REGION,
  });
});

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** `${type.name.arn}` as the ARN the resource will have (a reference this test cannot resolve fails it). */
function resolveReference(reference: string): string {
  const match = /^(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn$/.exec(reference);
  if (!match) throw new Error(`unresolvable reference \${${reference}}`);
  const [, type, name] = match;
  const block = json.resource?.[type]?.[name];
  if (!block) throw new Error(`no resource ${type}.${name}`);
  switch (type) {
    case 'aws_sesv2_email_identity':
      return arn('ses', `identity/${block.email_identity}`);
    case 'aws_dynamodb_table':
      return arn('dynamodb', `table/${block.name}`);
    case 'aws_sns_topic':
      return arn('sns', block.name);
    case 'aws_cloudwatch_log_group':
      return arn('logs', `log-group:${block.name}`);
    case 'aws_iam_role':
      return `arn:aws:iam::${ACCOUNT}:role/${block.name}`;
    case 'aws_kms_key':
      return arn(
        'kms',
        `key/${name.startsWith('Monitoring_') ? MONITORING_KEY_ID : name.startsWith('KeyStoreKey') ? KEY_STORE_KEY_ID : 'unknown'}`,
      );
    default:
      throw new Error(`no ARN rule for ${type}`);
  }
}

function resolve(value: Json): Json {
  if (typeof value === 'string') return value.replace(/\$\{([^}]+)\}/g, (_, ref: string) => resolveReference(ref));
  if (Array.isArray(value)) return value.map(resolve);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
}

function rolePolicy(prefix: string): Json {
  const entry = Object.entries(json.resource.aws_iam_role_policy as Record<string, Json>).find(([id]) =>
    id.startsWith(prefix),
  );
  if (!entry) throw new Error(`no role policy ${prefix}`);
  return resolve(parseRenderedPolicy(entry[1].policy));
}

const monitor = rolePolicy('Monitoring_MonitorRolePolicy');
const report = rolePolicy('Monitoring_ReportRolePolicy');

/** A KMS key's policy: KMS decides with it and the identity policy together. */
function keyPolicy(prefix: string): Json {
  const entry = Object.entries(json.resource.aws_kms_key as Record<string, Json>).find(([id]) => id.startsWith(prefix));
  if (!entry) throw new Error(`no key ${prefix} among ${Object.keys(json.resource.aws_kms_key).join(', ')}`);
  return resolve(parseRenderedPolicy(entry[1].policy));
}

const keyPolicies: Record<string, Json> = {};

interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

async function evaluate(policy: Json, request: Request): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/byodkim-prod-dkim-monitor`,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [{ name: 'least-privilege', policy }],
      ...(keyPolicies[request.resource] !== undefined ? { resourcePolicy: keyPolicies[request.resource] } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  if (result.resultType === 'single') expect(result.result.ignoredContextKeys ?? []).toEqual([]);
  return result.overallResult;
}

const table = arn('dynamodb', 'table/byodkim-prod-dkim-state');
const index = `${table}/index/${STATE_TABLE.kindIndex.name}`;
const identity = (domain: string) => arn('ses', `identity/${domain}`);
const alarmTopic = arn('sns', 'byodkim-prod-dkim-alarms');
const keyStoreKey = arn('kms', `key/${KEY_STORE_KEY_ID}`);
const monitoringKey = arn('kms', `key/${MONITORING_KEY_ID}`);
keyPolicies[keyStoreKey] = keyPolicy('KeyStoreKey_');
keyPolicies[monitoringKey] = keyPolicy('Monitoring_AlarmKey');
/** What KMS sees of a request made through `service` by a principal of this account. */
const via = (service: string) => ({
  'kms:ViaService': `${service}.${REGION}.amazonaws.com`,
  'kms:CallerAccount': ACCOUNT,
});
const leadingKeys = (key: string) => ({ 'dynamodb:LeadingKeys': [key] });

const monitorAllowed: readonly (readonly [string, Request])[] = [
  ['dynamodb:Query on the table (one domain partition)', { action: 'dynamodb:Query', resource: table }],
  ['dynamodb:Query on the kind index', { action: 'dynamodb:Query', resource: index }],
  ['dynamodb:GetItem on the table', { action: 'dynamodb:GetItem', resource: table }],
  ['ses:GetEmailIdentity on example.com', { action: 'ses:GetEmailIdentity', resource: identity('example.com') }],
  ['ses:GetEmailIdentity on example.jp', { action: 'ses:GetEmailIdentity', resource: identity('example.jp') }],
  [
    'kms:Decrypt of the state through DynamoDB',
    { action: 'kms:Decrypt', resource: keyStoreKey, context: via('dynamodb') },
  ],
  ['sns:Publish to the alarm topic', { action: 'sns:Publish', resource: alarmTopic }],
  [
    'kms:GenerateDataKey of the monitoring key through SNS',
    { action: 'kms:GenerateDataKey', resource: monitoringKey, context: via('sns') },
  ],
  [
    'logs:PutLogEvents to its own log group',
    {
      action: 'logs:PutLogEvents',
      resource: arn('logs', 'log-group:/aws/lambda/byodkim-prod-dkim-monitor:log-stream:x'),
    },
  ],
];

/** Writes to everything it watches, and reads of what it must never see: denied to the monitor. */
const monitorDenied: readonly (readonly [string, Request])[] = [
  ...['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'DeleteTable', 'Scan'].map(
    (a) => [`dynamodb:${a} on the table`, { action: `dynamodb:${a}`, resource: table }] as const,
  ),
  ...[
    'PutEmailIdentityDkimSigningAttributes',
    'PutEmailIdentityDkimAttributes',
    'DeleteEmailIdentity',
    'SendEmail',
  ].map((a) => [`ses:${a} on example.com`, { action: `ses:${a}`, resource: identity('example.com') }] as const),
  ['ses:GetEmailIdentity on another identity', { action: 'ses:GetEmailIdentity', resource: identity('other.example') }],
  [
    'secretsmanager:GetSecretValue of a DKIM key',
    {
      action: 'secretsmanager:GetSecretValue',
      resource: arn('secretsmanager', 'secret:byodkim-prod/example.com/k1-AbCdEf'),
    },
  ],
  [
    'kms:Decrypt of the key store key through Secrets Manager',
    { action: 'kms:Decrypt', resource: keyStoreKey, context: via('secretsmanager') },
  ],
  [
    'kms:Decrypt of the monitoring key outside SNS',
    { action: 'kms:Decrypt', resource: monitoringKey, context: via('secretsmanager') },
  ],
  ['kms:Encrypt with the key store key', { action: 'kms:Encrypt', resource: keyStoreKey, context: via('dynamodb') }],
  [
    'route53:ChangeResourceRecordSets',
    { action: 'route53:ChangeResourceRecordSets', resource: 'arn:aws:route53:::hostedzone/Z1' },
  ],
  ['sqs:SendMessage to the work queue', { action: 'sqs:SendMessage', resource: arn('sqs', 'byodkim-prod-dkim-work') }],
  [
    'sqs:PurgeQueue of the dead-letter queue',
    { action: 'sqs:PurgeQueue', resource: arn('sqs', 'byodkim-prod-dkim-work-dlq') },
  ],
  ['sns:Publish to the operator topic', { action: 'sns:Publish', resource: arn('sns', 'byodkim-prod-dkim-operators') }],
  ['dynamodb:Query on another table', { action: 'dynamodb:Query', resource: arn('dynamodb', 'table/other') }],
  [
    "logs:PutLogEvents to the worker's log group",
    {
      action: 'logs:PutLogEvents',
      resource: arn('logs', 'log-group:/aws/lambda/byodkim-prod-dkim-worker:log-stream:x'),
    },
  ],
  [
    'lambda:InvokeFunction of the worker',
    { action: 'lambda:InvokeFunction', resource: arn('lambda', 'function:byodkim-prod-dkim-worker') },
  ],
];

describe('IAM evaluated: the monitor reads and never writes', () => {
  it.each(monitorAllowed)('allows %s', async (_, request) => {
    expect(await evaluate(monitor, request)).toBe('Allowed');
  });

  it.each(monitorDenied)('denies %s', async (_, request) => {
    expect(await evaluate(monitor, request)).toBe('ImplicitlyDenied');
  });

  it('names no write action but its own logs and the alarm topic', () => {
    const actions: string[] = monitor.Statement.flatMap((s: Json) => s.Action);
    const writes = actions.filter(
      (a) => !/^(dynamodb:(Query|GetItem)|ses:Get|kms:(Decrypt|DescribeKey|GenerateDataKey\*))/.test(a),
    );
    expect(writes.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish']);
  });
});

describe('IAM evaluated: the report writes its own partition only', () => {
  const reportAllowed: readonly (readonly [string, Request])[] = [
    [
      'PutItem under pk REPORT',
      { action: 'dynamodb:PutItem', resource: table, context: leadingKeys(STATE_TABLE.reportPartitionKey) },
    ],
    ['Query of a domain partition', { action: 'dynamodb:Query', resource: table }],
    ['Query of the kind index', { action: 'dynamodb:Query', resource: index }],
    ['sns:Publish to the alarm topic', { action: 'sns:Publish', resource: alarmTopic }],
  ];
  const reportDenied: readonly (readonly [string, Request])[] = [
    [
      "PutItem under a domain's partition",
      { action: 'dynamodb:PutItem', resource: table, context: leadingKeys(domainPartitionKey('example.com')) },
    ],
    ['PutItem with no leading key (the Null guard)', { action: 'dynamodb:PutItem', resource: table }],
    [
      'UpdateItem under pk REPORT',
      { action: 'dynamodb:UpdateItem', resource: table, context: leadingKeys(STATE_TABLE.reportPartitionKey) },
    ],
    [
      'DeleteItem under pk REPORT',
      { action: 'dynamodb:DeleteItem', resource: table, context: leadingKeys(STATE_TABLE.reportPartitionKey) },
    ],
    [
      'PutItem under pk REPORT of another table',
      {
        action: 'dynamodb:PutItem',
        resource: arn('dynamodb', 'table/other'),
        context: leadingKeys(STATE_TABLE.reportPartitionKey),
      },
    ],
    [
      'ses:PutEmailIdentityDkimAttributes',
      { action: 'ses:PutEmailIdentityDkimAttributes', resource: identity('example.com') },
    ],
    [
      'ses:GetEmailIdentity (the report reads the table only)',
      { action: 'ses:GetEmailIdentity', resource: identity('example.com') },
    ],
  ];

  it.each(reportAllowed)('allows %s', async (_, request) => {
    expect(await evaluate(report, request)).toBe('Allowed');
  });

  it.each(reportDenied)('denies %s', async (_, request) => {
    expect(await evaluate(report, request)).toBe('ImplicitlyDenied');
  });
});
