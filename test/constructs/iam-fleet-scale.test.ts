/**
 * IAM at fleet scale (docs/security.md, "IAM at fleet scale"): the worker's policy lists every identity and
 * record name while it fits IAM's 10,240-character limit for a role's inline policies (with 10% kept free),
 * and beyond that widens by steps — never past TXT, UPSERT/DELETE, `*._domainkey.*` in the configured zones,
 * the three SES DKIM actions — with a synth warning. Checked on the construct at 1 and 60 domains (every
 * role's rendered policies measured with their references resolved, and the widened policy evaluated by an
 * IAM simulator), and on the policy planner directly at 10,000 domains (10,000 ByodkimDomain constructs would
 * take minutes to build).
 */
import { Testing, TerraformStack } from 'cdktf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ByodkimDomain, DkimRotationSchedule, KeyStoreKey, MonitoringSuite } from '../../constructs';
import { parseRenderedPolicy, route53DkimRecordsOnly, checkTerraform, type Json } from '../../constructs/security';
import {
  ANY_DKIM_RECORD,
  chooseDkimAccess,
  dkimAccess,
  type DkimAccess,
  type DkimAccessTarget,
} from '../../constructs/private/dkim-access';
import { policyDocument, type PolicyStatement } from '../../constructs/private/iam';
import {
  DEFAULT_TOKEN_LENGTH,
  IAM_LIMITS,
  INLINE_POLICY_BUDGET,
  renderedPolicyLength,
} from '../../constructs/private/policy-size';
import { normalizeRoute53Name } from '../../functions/core/route53-names';
import 'cdktf/lib/testing/adapters/jest';

const ACCOUNT = '111111111111';
const REGION = 'ap-northeast-1';
const bundles = mkdtempSync(path.join(tmpdir(), 'byodkim-bundles-'));
for (const name of ['planner', 'worker', 'monitor', 'report']) writeFileSync(path.join(bundles, `${name}.zip`), name);
afterAll(() => rmSync(bundles, { recursive: true, force: true }));

const domainName = (i: number) => `customer-${String(i).padStart(5, '0')}.example-mail.com`;
const zoneId = (i: number) => `Z${String(i).padStart(20, '0')}`;

interface Fleet {
  readonly schedule: DkimRotationSchedule;
  readonly json: Json;
  readonly warnings: string[];
  readonly millis: number;
}

/** `count` route53 domains, each in a zone of its own (the widest Route 53 layout), plus the monitor. */
function fleet(count: number): Fleet {
  const started = Date.now();
  const stack = new TerraformStack(Testing.app(), 'fleet');
  const key = new KeyStoreKey(stack, 'KeyStoreKey', { accountId: ACCOUNT, region: REGION });
  const domains = Array.from(
    { length: count },
    (_, i) =>
      new ByodkimDomain(stack, `d${i}`, {
        domain: domainName(i),
        dns: { kind: 'route53', hostedZoneId: zoneId(i) },
        encryptionKey: key,
        namePrefix: 'byodkim-prod',
      }),
  );
  const common = { environment: 'prod', bundleDirectory: bundles, accountId: ACCOUNT, region: REGION };
  const schedule = new DkimRotationSchedule(stack, 'Rotation', {
    ...common,
    domains,
    dnsTeamSender: 'dkim@example.com',
  });
  new MonitoringSuite(stack, 'Monitoring', { ...common, rotation: schedule, domains });
  const json = JSON.parse(Testing.synth(stack));
  const warnings = schedule.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  return { schedule, json, warnings, millis: Date.now() - started };
}

/** The ARN a reference will have (names from the synthesized resources), else a stand-in of the bound's length. */
function resolveReferences(json: Json, value: string): string {
  return value.replace(/\$\{([^}]+)\}/g, (_, ref: string) => {
    const match = /^(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn$/.exec(ref);
    const block = match ? json[match[1] ? 'data' : 'resource']?.[match[2]]?.[match[3]] : undefined;
    const regional = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
    switch (match?.[2]) {
      case 'aws_sesv2_email_identity':
        return regional('ses', `identity/${block.email_identity}`);
      case 'aws_route53_zone':
        return `arn:aws:route53:::hostedzone/${block.zone_id ?? 'ZCREATED0000000000001'}`;
      case 'aws_dynamodb_table':
        return regional('dynamodb', `table/${block.name}`);
      case 'aws_sqs_queue':
        return regional('sqs', block.name);
      case 'aws_sns_topic':
        return regional('sns', block.name);
      case 'aws_cloudwatch_log_group':
        return regional('logs', `log-group:${block.name}`);
      default:
        return 'x'.repeat(DEFAULT_TOKEN_LENGTH);
    }
  });
}

/** Every role's inline policies, rendered as AWS will store them (references resolved), by role name. */
function inlinePolicyLengths(json: Json): Map<string, number> {
  const roles = json.resource.aws_iam_role as Record<string, Json>;
  const lengths = new Map<string, number>();
  for (const policy of Object.values(json.resource.aws_iam_role_policy as Record<string, Json>)) {
    const id = /^\$\{aws_iam_role\.([^.]+)\.name\}$/.exec(policy.role)?.[1];
    const roleName = roles[id ?? '']?.name ?? policy.role;
    const rendered = resolveReferences(json, JSON.stringify(parseRenderedPolicy(policy.policy)));
    lengths.set(roleName, (lengths.get(roleName) ?? 0) + rendered.replace(/\s/g, '').length);
  }
  return lengths;
}

const workerPolicy = (f: Fleet): Json => {
  const roles = f.json.resource.aws_iam_role as Record<string, Json>;
  const id = Object.keys(roles).find((k) => roles[k].name === 'byodkim-prod-dkim-worker');
  const policy = Object.values(f.json.resource.aws_iam_role_policy as Record<string, Json>).find(
    (p) => p.role === `\${aws_iam_role.${id}.name}`,
  );
  return JSON.parse(resolveReferences(f.json, JSON.stringify(parseRenderedPolicy(policy.policy))));
};

const one = fleet(1);
const sixty = fleet(60);

describe('DkimRotationSchedule at 1 and 60 domains', () => {
  it('synthesizes each fleet in seconds', () => {
    // Measured here: 1 domain ~0.5 s, 60 domains ~2-4 s on a loaded 2-core machine.
    expect(one.millis + sixty.millis).toBeLessThan(15_000);
  });

  it.each([
    ['1 domain', () => one],
    ['60 domains', () => sixty],
  ])('keeps every role’s inline policies within IAM’s limit (%s)', (_name, get) => {
    const lengths = inlinePolicyLengths(get().json);
    expect([...lengths.keys()]).toEqual(
      expect.arrayContaining([
        'byodkim-prod-dkim-worker',
        'byodkim-prod-dkim-planner',
        'byodkim-prod-dkim-schedule',
        'byodkim-prod-dkim-monitor',
      ]),
    );
    for (const [role, length] of lengths) {
      expect([role, length <= IAM_LIMITS.inlinePoliciesPerRole]).toEqual([role, true]);
    }
    // The construct's own estimate is an upper bound of what AWS will store.
    expect(lengths.get('byodkim-prod-dkim-worker')).toBeLessThanOrEqual(get().schedule.workerPolicyLength);
    expect(get().schedule.workerPolicyLength).toBeLessThanOrEqual(INLINE_POLICY_BUDGET);
  });

  it('names the one identity and its records at 1 domain, and warns of nothing', () => {
    expect(one.schedule.workerAccessLevel).toBe('per-domain');
    expect(one.warnings.filter((w) => w.includes('widened'))).toEqual([]);
    const worker = workerPolicy(one);
    expect(worker.Statement.find((s: Json) => s.Sid === 'SesIdentityDkim').Resource).toEqual([
      `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${domainName(0)}`,
    ]);
  });

  it('widens to *._domainkey.* in the 60 configured zones, and says so in a synth warning', () => {
    // 60 zones listed twice (changes, reads) would not fit: the reads go to every zone, the writes stay listed.
    expect(sixty.schedule.workerAccessLevel).toBe('dkim-records-read-any-zone');
    expect(sixty.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /worker's IAM policy was widened to "dkim-records-read-any-zone" \(\d+ characters\) because listing every identity and record name of the 60 domains would take \d+, over the 9216 planned of IAM's 10240-character limit/,
        ),
      ]),
    );
    const records = workerPolicy(sixty).Statement.filter((s: Json) => String(s.Sid).startsWith('Route53DkimRecords'));
    expect(records).toHaveLength(1);
    expect(records[0].Resource).toEqual(
      Array.from({ length: 60 }, (_, i) => `arn:aws:route53:::hostedzone/${zoneId(i)}`),
    );
    expect(records[0].Condition['ForAllValues:StringLike']).toEqual({
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': [ANY_DKIM_RECORD],
    });
    expect(workerPolicy(sixty).Statement.find((s: Json) => s.Sid === 'Route53ReadRecords')).toMatchObject({
      Action: ['route53:ListResourceRecordSets'],
      Resource: ['arn:aws:route53:::hostedzone/*'],
    });
  });

  it('passes the security pack when widened (IAM3 and the Null guard included)', () => {
    const report = checkTerraform(sixty.json, { production: true });
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(report.tally.find((t) => t.ruleId === route53DkimRecordsOnly.id)?.compliant).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------
// What the widened worker policy allows, as IAM evaluates it.

async function decide(action: string, resource: string, context: Record<string, string | string[]> = {}) {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/byodkim-prod-dkim-worker`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [{ name: 'least-privilege', policy: workerPolicy(sixty) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: 'Strict' },
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const ZONE = `arn:aws:route53:::hostedzone/${zoneId(7)}`;
const change = (zone: string, changes: readonly (readonly [string, string, string])[]) =>
  decide('route53:ChangeResourceRecordSets', zone, {
    'route53:ChangeResourceRecordSetsActions': changes.map(([a]) => a),
    'route53:ChangeResourceRecordSetsNormalizedRecordNames': changes.map(([, n]) => normalizeRoute53Name(n)),
    'route53:ChangeResourceRecordSetsRecordTypes': changes.map(([, , t]) => t),
  });
const identity = (domain: string) => `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${domain}`;
const d7 = domainName(7);

describe('the widened worker policy, evaluated', () => {
  it.each<[string, () => Promise<string>]>([
    [
      'UPSERT of a DKIM TXT record in a configured zone',
      () => change(ZONE, [['UPSERT', `sel._domainkey.${d7}`, 'TXT']]),
    ],
    [
      'DELETE of a DKIM TXT record in a configured zone',
      () => change(ZONE, [['DELETE', `old._domainkey.${d7}`, 'TXT']]),
    ],
    ['the three DKIM actions on an identity', () => decide('ses:PutEmailIdentityDkimSigningAttributes', identity(d7))],
  ])('allows %s', async (_name, request) => {
    expect(await request()).toBe('Allowed');
  });

  it.each<[string, () => Promise<string>]>([
    ['an A record', () => change(ZONE, [['UPSERT', d7, 'A']])],
    ['a CNAME under _domainkey', () => change(ZONE, [['UPSERT', `sel._domainkey.${d7}`, 'CNAME']])],
    ['a TXT record at the apex', () => change(ZONE, [['UPSERT', d7, 'TXT']])],
    ['a TXT record outside _domainkey (_dmarc)', () => change(ZONE, [['UPSERT', `_dmarc.${d7}`, 'TXT']])],
    ['DELETE of an MX record', () => change(ZONE, [['DELETE', d7, 'MX']])],
    ['CREATE of a DKIM TXT record', () => change(ZONE, [['CREATE', `sel._domainkey.${d7}`, 'TXT']])],
    [
      'a DKIM TXT record batched with an A record',
      () =>
        change(ZONE, [
          ['UPSERT', `sel._domainkey.${d7}`, 'TXT'],
          ['UPSERT', `www.${d7}`, 'A'],
        ]),
    ],
    [
      'a DKIM TXT record in a zone that is not configured',
      () => change('arn:aws:route53:::hostedzone/ZNOTCONFIGURED0000001', [['UPSERT', `s._domainkey.${d7}`, 'TXT']]),
    ],
    ['a change with no record names (the Null guard)', () => decide('route53:ChangeResourceRecordSets', ZONE)],
    ['ses:DeleteEmailIdentity', () => decide('ses:DeleteEmailIdentity', identity(d7))],
    ['ses:CreateEmailIdentity', () => decide('ses:CreateEmailIdentity', identity('attacker.example'))],
    [
      'ses:SendEmail from an identity other than the sender’s',
      () => decide('ses:SendEmail', identity(d7), { 'ses:FromAddress': `ceo@${d7}` }),
    ],
    [
      'another prefix’s secrets',
      () =>
        decide(
          'secretsmanager:GetSecretValue',
          `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:other-app/${d7}/k1-AbCdEf`,
        ),
    ],
  ])('denies %s', async (_name, request) => {
    expect(await request()).not.toBe('Allowed');
  });
});

// ---------------------------------------------------------------------------------------------------
// The planner at 10,000 domains (SES's identity limit per region), without constructs.

/** The worker's statements of the 1-domain stack that do not grow with the fleet, around the DKIM ones. */
function renderLike(access: DkimAccess): ReturnType<typeof policyDocument> {
  const fixed = one.schedule.worker.policy.Statement.filter(
    (s) => !/^(Route53DkimRecords|Route53ReadRecords|SesIdentityDkim)/.test(s.Sid),
  );
  const read: PolicyStatement = {
    Sid: 'Route53ReadRecords',
    Effect: 'Allow',
    Action: ['route53:ListResourceRecordSets'],
    Resource: [...access.zones],
  };
  return policyDocument([...fixed, ...access.recordChanges, read, access.identityDkim]);
}

const ALL = `arn:aws:ses:${REGION}:${ACCOUNT}:identity/*`;
const target = (i: number, zone?: number): DkimAccessTarget => ({
  domain: domainName(i),
  identityArn: identity(domainName(i)),
  dnsMode: zone === undefined ? 'external' : 'route53',
  ...(zone !== undefined ? { zoneArn: `arn:aws:route53:::hostedzone/${zoneId(zone)}` } : {}),
  recordNames: zone === undefined ? [] : [`*._domainkey.${domainName(i)}`],
});
const plan = (targets: readonly DkimAccessTarget[]) =>
  chooseDkimAccess(
    targets,
    ALL,
    INLINE_POLICY_BUDGET,
    renderLike,
    (d) => renderedPolicyLength(d),
    (length) => new Error(`too large: ${length}`),
  );

describe('the worker policy planner at 10,000 domains', () => {
  it('keeps 10,000 external domains within the limit: SES on identity/*, no Route 53', () => {
    const started = Date.now();
    const choice = plan(Array.from({ length: 10_000 }, (_, i) => target(i)));
    expect(choice.access.level).toBe('all-identities');
    expect(choice.perDomainLength).toBeGreaterThan(IAM_LIMITS.inlinePoliciesPerRole * 50);
    expect(choice.length).toBeLessThanOrEqual(INLINE_POLICY_BUDGET);
    expect(choice.access.identityDkim.Resource).toEqual([ALL]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('keeps 10,000 route53 domains in 40 zones within the limit: *._domainkey.* in those 40 zones', () => {
    const choice = plan(Array.from({ length: 10_000 }, (_, i) => target(i, i % 40)));
    expect(choice.access.level).toBe('dkim-records');
    expect(choice.length).toBeLessThanOrEqual(INLINE_POLICY_BUDGET);
    expect(choice.access.recordChanges).toHaveLength(1);
    expect(choice.access.recordChanges[0].Resource).toHaveLength(40);
    expect(choice.access.recordChanges[0].Condition?.Null).toEqual({
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': 'false',
    });
    expect(choice.access.recordChanges[0].Condition?.['ForAllValues:StringEquals']).toEqual({
      'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
      'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'],
    });
  });

  it('keeps record names exact (one statement per zone) while only the identities must go', () => {
    const choice = plan(Array.from({ length: 90 }, (_, i) => target(i, i % 3)));
    expect(choice.access.level).toBe('all-identities');
    expect(choice.access.recordChanges).toHaveLength(3);
    expect(choice.access.recordChanges[0].Condition?.['ForAllValues:StringLike']).toEqual({
      'route53:ChangeResourceRecordSetsNormalizedRecordNames': Array.from(
        { length: 30 },
        (_, k) => `*._domainkey.${domainName(k * 3)}`,
      ),
    });
  });

  it('lists 100 zones once (reads on every zone) and refuses 10,000: no policy both names them and fits', () => {
    const hundred = plan(Array.from({ length: 10_000 }, (_, i) => target(i, i % 100)));
    expect(hundred.access.level).toBe('dkim-records-read-any-zone');
    expect(hundred.access.zones).toEqual(['arn:aws:route53:::hostedzone/*']);
    expect(hundred.access.recordChanges[0].Resource).toHaveLength(100);
    expect(() => plan(Array.from({ length: 10_000 }, (_, i) => target(i, i)))).toThrow(/^too large: \d{6}$/);
  });

  it('lists each shared zone once when widened, by id', () => {
    const shared: DkimAccessTarget[] = [0, 1].map((i) => ({
      ...target(i, 5),
      zoneArn: `\${data.aws_route53_zone.d${i}.arn}`,
      zoneArnById: `arn:aws:route53:::hostedzone/${zoneId(5)}`,
    }));
    expect(dkimAccess(shared, 'dkim-records', ALL).zones).toEqual([`arn:aws:route53:::hostedzone/${zoneId(5)}`]);
    expect(dkimAccess(shared, 'per-domain', ALL).zones).toHaveLength(2);
  });
});
