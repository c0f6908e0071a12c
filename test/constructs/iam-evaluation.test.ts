/**
 * The worker's and planner's identity policies, taken from the synthesized prod (and dev) stack and
 * evaluated by an IAM policy simulator (@cloud-copilot/iam-simulate): what the Lambdas call is allowed, and
 * its neighbours are denied. The synth tests (dkim-rotation-schedule.test.ts) check the statements' text;
 * these check what AWS would decide for a request, with the condition-key context as Route 53 gives it
 * (`route53:ChangeResourceRecordSets{NormalizedRecordNames,RecordTypes,Actions}`, one value per change,
 * names normalized by the same function the policy uses).
 *
 * Terraform references in the policies (`${aws_dynamodb_table.X.arn}`, …) are resolved to concrete ARNs
 * from the synthesized resources' own attributes (names, zone ids); a reference this test cannot resolve
 * fails it, so a new statement is never evaluated with a placeholder.
 */
import { Testing } from 'cdktf';
import { runSimulation, type RunSimulationResults } from '@cloud-copilot/iam-simulate';
import { ByodkimStack } from '../../main';
import { environments } from '../../envs';
import { loadEnvironments } from '../../envs/load';
import { normalizeRoute53Name } from '../../functions/core/route53-names';
import { parseRenderedPolicy, type Json } from '../../constructs/security';
import { synthStack } from './synth';

const loaded = loadEnvironments(environments).environments;

/** Zone ids for zones the stack creates (Terraform would assign them at apply time). */
const CREATED_ZONE_ID = 'ZCREATED0000000000001';

interface Environment {
  readonly account: string;
  readonly region: string;
  readonly worker: Json;
  readonly planner: Json;
  readonly json: Json;
}

/** `${type.name.arn}` (resource) or `${data.type.name.arn}` as the ARN the resource will have. */
function arnOf(json: Json, account: string, region: string, reference: string): string {
  const match = /^(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn$/.exec(reference);
  if (!match) throw new Error(`unresolvable reference \${${reference}}`);
  const [, data, type, name] = match;
  const block = json[data ? 'data' : 'resource']?.[type]?.[name];
  if (!block) throw new Error(`no ${data ? 'data source' : 'resource'} ${type}.${name}`);
  const literal = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value.includes('${')) throw new Error(`${type}.${name}.${field} is not a literal`);
    return value;
  };
  const regional = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  switch (type) {
    case 'aws_route53_zone':
      return `arn:aws:route53:::hostedzone/${data ? literal(block.zone_id, 'zone_id') : CREATED_ZONE_ID}`;
    case 'aws_sesv2_email_identity':
      return regional('ses', `identity/${literal(block.email_identity, 'email_identity')}`);
    case 'aws_sesv2_configuration_set':
      return regional('ses', `configuration-set/${literal(block.configuration_set_name, 'configuration_set_name')}`);
    case 'aws_dynamodb_table':
      return regional('dynamodb', `table/${literal(block.name, 'name')}`);
    case 'aws_sqs_queue':
    case 'aws_sns_topic':
      return regional(type === 'aws_sqs_queue' ? 'sqs' : 'sns', literal(block.name, 'name'));
    case 'aws_cloudwatch_log_group':
      return regional('logs', `log-group:${literal(block.name, 'name')}`);
    default:
      throw new Error(`no ARN rule for ${type}`);
  }
}

function resolve(value: Json, json: Json, account: string, region: string): Json {
  if (typeof value === 'string')
    return value.replace(/\$\{([^}]+)\}/g, (_, ref: string) => arnOf(json, account, region, ref));
  if (Array.isArray(value)) return value.map((v) => resolve(v, json, account, region));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, json, account, region)]));
  }
  return value;
}

function environment(name: string): Environment {
  const config = loaded.find((e) => e.config.environment === name)?.config;
  if (!config) throw new Error(`no environment ${name}`);
  const { json } = synthStack(new ByodkimStack(Testing.app(), ByodkimStack.stackName(name), { config }));
  const { accountId: account, region } = config.aws;
  const policy = (role: 'Planner' | 'Worker'): Json => {
    const entry = Object.entries(json.resource.aws_iam_role_policy as Record<string, Json>).find(([id]) =>
      id.startsWith(`DkimRotation_${role}RolePolicy`),
    );
    if (!entry) throw new Error(`no ${role} role policy`);
    return resolve(parseRenderedPolicy(entry[1].policy), json, account, region);
  };
  return { account, region, worker: policy('Worker'), planner: policy('Planner'), json };
}

const prod = environment('prod');
const dev = environment('dev');

interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}

async function evaluate(env: Environment, policy: Json, request: Request): Promise<string> {
  const result: RunSimulationResults = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${env.account}:role/byodkim-lambda`,
        action: request.action,
        resource: { resource: request.resource, accountId: env.account },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [{ name: 'least-privilege', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  // A context key the simulator does not know for this action would be ignored: the condition would not be
  // evaluated as AWS evaluates it. Every key given must be taken into account.
  if (result.resultType === 'single') expect(result.result.ignoredContextKeys ?? []).toEqual([]);
  return result.overallResult;
}

// ---------------------------------------------------------------------------------------------------
// Requests, built with the stack's own values.

const arn = (env: Environment, service: string, resource: string) =>
  `arn:aws:${service}:${env.region}:${env.account}:${resource}`;

/** The zone of example.net in prod (a Route 53 zone looked up by id). */
const prodZoneId = (): string => {
  const zones = Object.values(prod.json.data.aws_route53_zone as Record<string, Json>);
  expect(zones).toHaveLength(1);
  return zones[0].zone_id;
};
const PROD_ZONE = `arn:aws:route53:::hostedzone/${prodZoneId()}`;
const PROD_DELEGATED_ZONE = `arn:aws:route53:::hostedzone/${CREATED_ZONE_ID}`;

/** `ChangeResourceRecordSets` with the context Route 53 gives: one name, type and action per change. */
function changeRecords(zone: string, changes: readonly (readonly [action: string, name: string, type: string])[]) {
  return {
    action: 'route53:ChangeResourceRecordSets',
    resource: zone,
    context: {
      'route53:ChangeResourceRecordSetsActions': changes.map(([action]) => action),
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': changes.map(([, name]) => normalizeRoute53Name(name)),
      'route53:ChangeResourceRecordSetsRecordTypes': changes.map(([, , type]) => type),
    },
  };
}

const prodTable = arn(prod, 'dynamodb', 'table/byodkim-prod-dkim-state');
const prodQueue = arn(prod, 'sqs', 'byodkim-prod-dkim-work');
const secret = (prefix: string, domain: string) => arn(prod, 'secretsmanager', `secret:${prefix}/${domain}/k1-AbCdEf`);
const identity = (domain: string) => arn(prod, 'ses', `identity/${domain}`);
const fromSender = { 'ses:FromAddress': 'byodkim@example.com' };

/** What the worker calls in prod: allowed. */
const workerAllowed: readonly (readonly [string, Request])[] = [
  [
    'UPSERT of TXT sel._domainkey.example.net in its zone',
    changeRecords(PROD_ZONE, [['UPSERT', 'sel._domainkey.example.net', 'TXT']]),
  ],
  [
    'UPSERT of the same name as given with a trailing dot and capitals (normalized)',
    changeRecords(PROD_ZONE, [['UPSERT', 'Sel._DomainKey.Example.NET.', 'TXT']]),
  ],
  [
    'DELETE of TXT old._domainkey.example.net in its zone',
    changeRecords(PROD_ZONE, [['DELETE', 'old._domainkey.example.net', 'TXT']]),
  ],
  [
    'UPSERT new + DELETE old TXT in one batch',
    changeRecords(PROD_ZONE, [
      ['UPSERT', 'new._domainkey.example.net', 'TXT'],
      ['DELETE', 'old._domainkey.example.net', 'TXT'],
    ]),
  ],
  [
    'UPSERT of TXT mail-prod1.dkim.example.net in the delegated zone',
    changeRecords(PROD_DELEGATED_ZONE, [['UPSERT', 'mail-prod1.dkim.example.net', 'TXT']]),
  ],
  ['ListResourceRecordSets on its zone', { action: 'route53:ListResourceRecordSets', resource: PROD_ZONE }],
  ['GetChange', { action: 'route53:GetChange', resource: 'arn:aws:route53:::change/C0123456789ABCDEF' }],
  ['ses:GetEmailIdentity on example.net', { action: 'ses:GetEmailIdentity', resource: identity('example.net') }],
  [
    'ses:PutEmailIdentityDkimSigningAttributes on example.net',
    { action: 'ses:PutEmailIdentityDkimSigningAttributes', resource: identity('example.net') },
  ],
  [
    'ses:PutEmailIdentityDkimAttributes on example.org',
    { action: 'ses:PutEmailIdentityDkimAttributes', resource: identity('example.org') },
  ],
  [
    'ses:SendEmail from the sender on its identity',
    { action: 'ses:SendEmail', resource: identity('example.com'), context: fromSender },
  ],
  [
    'ses:SendEmail from the sender with its configuration set',
    {
      action: 'ses:SendEmail',
      resource: arn(prod, 'ses', 'configuration-set/byodkim-prod-example-com'),
      context: fromSender,
    },
  ],
  ...(['CreateSecret', 'DescribeSecret', 'GetSecretValue', 'DeleteSecret', 'TagResource'] as const).map(
    (a) =>
      [
        `secretsmanager:${a} under the prefix`,
        { action: `secretsmanager:${a}`, resource: secret('byodkim-prod', 'example.net') },
      ] as const,
  ),
  ['secretsmanager:ListSecrets', { action: 'secretsmanager:ListSecrets', resource: '*' }],
  ...(['GetItem', 'Query', 'PutItem', 'UpdateItem', 'ConditionCheckItem'] as const).map(
    (a) => [`dynamodb:${a} on the table`, { action: `dynamodb:${a}`, resource: prodTable }] as const,
  ),
  // The key manager's heartbeat: BatchWriteItem of HEARTBEAT items (their attributes only).
  [
    'dynamodb:BatchWriteItem of heartbeat items on the table',
    {
      action: 'dynamodb:BatchWriteItem',
      resource: prodTable,
      context: { 'dynamodb:Attributes': ['pk', 'sk', 'domain', 'lastRunAt', 'outcome'] },
    },
  ],
  // SendMessage: the delayed requeue of a domain whose engine asks to run again within 15 min.
  ...(['SendMessage', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes'] as const).map(
    (a) => [`sqs:${a} on the work queue`, { action: `sqs:${a}`, resource: prodQueue }] as const,
  ),
  [
    'sns:Publish to the operator topic',
    { action: 'sns:Publish', resource: arn(prod, 'sns', 'byodkim-prod-dkim-operators') },
  ],
];

/** Its neighbours: denied to the worker. */
const workerDenied: readonly (readonly [string, Request])[] = [
  [
    "another domain's _domainkey record (example.com) in the zone",
    changeRecords(PROD_ZONE, [['UPSERT', 'sel._domainkey.example.com', 'TXT']]),
  ],
  [
    'a look-alike name (sel._domainkey.example.net.evil.example)',
    changeRecords(PROD_ZONE, [['UPSERT', 'sel._domainkey.example.net.evil.example', 'TXT']]),
  ],
  ['an A record under _domainkey', changeRecords(PROD_ZONE, [['UPSERT', 'sel._domainkey.example.net', 'A']])],
  ['a CNAME under _domainkey', changeRecords(PROD_ZONE, [['UPSERT', 'sel._domainkey.example.net', 'CNAME']])],
  ['the apex TXT', changeRecords(PROD_ZONE, [['UPSERT', 'example.net', 'TXT']])],
  ['_domainkey.example.net itself', changeRecords(PROD_ZONE, [['UPSERT', '_domainkey.example.net', 'TXT']])],
  ['DELETE of an A record', changeRecords(PROD_ZONE, [['DELETE', 'www.example.net', 'A']])],
  ['DELETE of an MX at the apex', changeRecords(PROD_ZONE, [['DELETE', 'example.net', 'MX']])],
  ['CREATE of a TXT (only UPSERT/DELETE)', changeRecords(PROD_ZONE, [['CREATE', 'sel._domainkey.example.net', 'TXT']])],
  [
    'a batch mixing the TXT and an A record',
    changeRecords(PROD_ZONE, [
      ['UPSERT', 'sel._domainkey.example.net', 'TXT'],
      ['UPSERT', 'www.example.net', 'A'],
    ]),
  ],
  [
    'an empty names list (the Null guard)',
    {
      action: 'route53:ChangeResourceRecordSets',
      resource: PROD_ZONE,
      context: {
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
      },
    },
  ],
  [
    'the right record in another zone',
    changeRecords('arn:aws:route53:::hostedzone/ZOTHER000000000000001', [
      ['UPSERT', 'sel._domainkey.example.net', 'TXT'],
    ]),
  ],
  [
    "example.net's _domainkey record in the delegated zone",
    changeRecords(PROD_DELEGATED_ZONE, [['UPSERT', 'sel._domainkey.example.net', 'TXT']]),
  ],
  ['ses:DeleteEmailIdentity', { action: 'ses:DeleteEmailIdentity', resource: identity('example.net') }],
  [
    'ses:PutEmailIdentityDkimSigningAttributes on another identity',
    { action: 'ses:PutEmailIdentityDkimSigningAttributes', resource: identity('other.example') },
  ],
  ['ses:GetEmailIdentity on another identity', { action: 'ses:GetEmailIdentity', resource: identity('other.example') }],
  [
    'ses:SendEmail from another address',
    { action: 'ses:SendEmail', resource: identity('example.com'), context: { 'ses:FromAddress': 'ceo@example.com' } },
  ],
  [
    'ses:SendEmail on another identity',
    { action: 'ses:SendEmail', resource: identity('example.net'), context: fromSender },
  ],
  [
    'secretsmanager:GetSecretValue under another prefix',
    { action: 'secretsmanager:GetSecretValue', resource: secret('byodkim-dev', 'example.net') },
  ],
  [
    'secretsmanager:GetSecretValue under a look-alike prefix',
    { action: 'secretsmanager:GetSecretValue', resource: secret('byodkim-prodx', 'example.net') },
  ],
  [
    'secretsmanager:PutSecretValue under the prefix',
    { action: 'secretsmanager:PutSecretValue', resource: secret('byodkim-prod', 'example.net') },
  ],
  ['dynamodb:GetItem on another table', { action: 'dynamodb:GetItem', resource: arn(prod, 'dynamodb', 'table/other') }],
  ['dynamodb:DeleteTable on the table', { action: 'dynamodb:DeleteTable', resource: prodTable }],
  [
    'dynamodb:BatchWriteItem of a STATE item (its `state` and `version` attributes)',
    {
      action: 'dynamodb:BatchWriteItem',
      resource: prodTable,
      context: { 'dynamodb:Attributes': ['pk', 'sk', 'domain', 'state', 'version'] },
    },
  ],
  ['sqs:ReceiveMessage on another queue', { action: 'sqs:ReceiveMessage', resource: arn(prod, 'sqs', 'other') }],
  ['sqs:SendMessage to another queue', { action: 'sqs:SendMessage', resource: arn(prod, 'sqs', 'other') }],
  [
    'sqs:SendMessage to the dead-letter queue',
    { action: 'sqs:SendMessage', resource: arn(prod, 'sqs', 'byodkim-prod-dkim-work-dlq') },
  ],
  [
    'sqs:ReceiveMessage on the dead-letter queue',
    { action: 'sqs:ReceiveMessage', resource: arn(prod, 'sqs', 'byodkim-prod-dkim-work-dlq') },
  ],
  ['sns:Publish to another topic', { action: 'sns:Publish', resource: arn(prod, 'sns', 'other') }],
];

/** What the planner calls: allowed. */
const plannerAllowed: readonly (readonly [string, Request])[] = [
  ['dynamodb:Query on the kind index', { action: 'dynamodb:Query', resource: `${prodTable}/index/kind-index` }],
  ['dynamodb:GetItem on the table', { action: 'dynamodb:GetItem', resource: prodTable }],
  ['dynamodb:BatchGetItem on the table', { action: 'dynamodb:BatchGetItem', resource: prodTable }],
  ['sqs:SendMessage to the work queue', { action: 'sqs:SendMessage', resource: prodQueue }],
  // Orphaned domains (removed from the config) are reported to operators by the planner.
  [
    'sns:Publish to the operator topic',
    { action: 'sns:Publish', resource: arn(prod, 'sns', 'byodkim-prod-dkim-operators') },
  ],
];

/** What both roles call: everything else the worker is allowed, the planner needs and is denied. */
const SHARED = new Set(['dynamodb:GetItem', 'sns:Publish', 'sqs:SendMessage']);
const workerOnly = workerAllowed.filter(([, request]) => !SHARED.has(request.action));

describe('IAM evaluated: the prod worker', () => {
  it.each(workerAllowed)('allows %s', async (_, request) => {
    expect(await evaluate(prod, prod.worker, request)).toBe('Allowed');
  });

  it.each(workerDenied)('denies %s', async (_, request) => {
    expect(await evaluate(prod, prod.worker, request)).toBe('ImplicitlyDenied');
  });
});

describe('IAM evaluated: the simulator sees the guards', () => {
  // Without the Null guard, ForAllValues over an absent list is true: the empty-names request would pass.
  it('allows the empty names list once the Null guard is removed (so the guard is what denies it)', async () => {
    const unguarded = {
      ...prod.worker,
      Statement: prod.worker.Statement.map((statement: Json) => {
        if (statement.Condition?.Null === undefined) return statement;
        const { Null: _null, ...rest } = statement.Condition;
        return { ...statement, Condition: rest };
      }),
    };
    const request = workerDenied.find(([name]) => name.includes('Null guard'))![1];
    expect(await evaluate(prod, unguarded, request)).toBe('Allowed');
  });
});

describe('IAM evaluated: the prod planner', () => {
  it.each(plannerAllowed)('allows %s', async (_, request) => {
    expect(await evaluate(prod, prod.planner, request)).toBe('Allowed');
  });

  it.each(workerOnly)('denies what only the worker needs: %s', async (_, request) => {
    expect(await evaluate(prod, prod.planner, request)).toBe('ImplicitlyDenied');
  });

  it.each([
    ['dynamodb:PutItem on the table', { action: 'dynamodb:PutItem', resource: prodTable }],
    ['dynamodb:Query on the table itself', { action: 'dynamodb:Query', resource: prodTable }],
  ] as const)('denies %s', async (_, request) => {
    expect(await evaluate(prod, prod.planner, request)).toBe('ImplicitlyDenied');
  });
});

describe('IAM evaluated: the dev worker', () => {
  const devZone = `arn:aws:route53:::hostedzone/${Object.values(dev.json.data.aws_route53_zone as Record<string, Json>)[0].zone_id}`;
  const devSecret = (prefix: string) => arn(dev, 'secretsmanager', `secret:${prefix}/dev.example.com/k1-AbCdEf`);
  const cases: readonly (readonly [string, string, Request])[] = [
    [
      'UPSERT of TXT sel._domainkey.dev.example.com in its zone',
      'Allowed',
      changeRecords(devZone, [['UPSERT', 'sel._domainkey.dev.example.com', 'TXT']]),
    ],
    [
      "prod's record (sel._domainkey.example.net) in the dev zone",
      'ImplicitlyDenied',
      changeRecords(devZone, [['UPSERT', 'sel._domainkey.example.net', 'TXT']]),
    ],
    ['a dev secret', 'Allowed', { action: 'secretsmanager:GetSecretValue', resource: devSecret('byodkim-dev') }],
    [
      "a secret under prod's prefix",
      'ImplicitlyDenied',
      { action: 'secretsmanager:GetSecretValue', resource: devSecret('byodkim-prod') },
    ],
    [
      "a table named as prod's",
      'ImplicitlyDenied',
      { action: 'dynamodb:GetItem', resource: arn(dev, 'dynamodb', 'table/byodkim-prod-dkim-state') },
    ],
  ];

  it.each(cases)('%s: %s', async (_, expected, request) => {
    expect(await evaluate(dev, dev.worker, request)).toBe(expected);
  });
});

describe('IAM evaluated: every reference resolved', () => {
  it.each([
    ['prod', prod],
    ['dev', dev],
  ] as const)('%s policies hold no Terraform reference once resolved', (_, env) => {
    expect(JSON.stringify([env.worker, env.planner])).not.toContain('${');
  });
});
