/**
 * The pack as a whole: every rule passes on the three environments (each synthesized once, with the pack as
 * a synth validation), the validation fails `cdktf synth` on a finding, suppressions need a reason, and
 * docs/security.md describes every rule.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import {
  addSecurityChecks,
  checkTerraform,
  COMPLIANT,
  nonCompliant,
  NOT_APPLICABLE,
  type SecurityRule,
  formatFinding,
  SECURITY_RULES,
  TerraformConfig,
  type SecurityReport,
} from '../../../constructs';
import { environments } from '../../../envs';
import { loadEnvironments } from '../../../envs/load';
import { ByodkimStack } from '../../../main';

const loaded = loadEnvironments(environments).environments;

const stackOf = (environment: string): ByodkimStack => {
  const { config } = loaded.find((e) => e.config.environment === environment)!;
  return new ByodkimStack(Testing.app(), ByodkimStack.stackName(environment), { config });
};

/** The environment's stack synthesized with validations on (ByodkimStack runs the pack as one). */
function synthesized(environment: string): { report: SecurityReport; production: boolean } {
  const json = JSON.parse(Testing.synth(stackOf(environment), true)); // throws on a finding of severity error
  return { report: checkTerraform(json), production: new TerraformConfig(json).production };
}

const ENVIRONMENTS = ['dev', 'stg', 'prod'] as const;
const synthesizedEnvironments = Object.fromEntries(ENVIRONMENTS.map((e) => [e, synthesized(e)]));

/** Rules every environment's stack gives something to judge (so "no finding" is not "nothing checked"). */
const APPLY_EVERYWHERE = [
  'BYODKIM-ENC1',
  'BYODKIM-ENC2',
  'BYODKIM-DDB1',
  'BYODKIM-LOG1',
  'BYODKIM-LOG2',
  'BYODKIM-IAM1',
  'BYODKIM-IAM2',
  'BYODKIM-IAM3',
  'BYODKIM-IAM4',
  'BYODKIM-IAM5',
  'BYODKIM-IAM6',
  'BYODKIM-KEY1',
  'BYODKIM-KEY2',
  'BYODKIM-KEY3',
  'BYODKIM-KEY4',
  'BYODKIM-SES1',
  'BYODKIM-TF1',
  'BYODKIM-ALM1',
];

describe.each(ENVIRONMENTS)('the security pack on the %s stack', (environment) => {
  const { report, production } = synthesizedEnvironments[environment];

  it('finds nothing (the pack as a synth validation let it synthesize), not even a warning', () => {
    // stg's Slack channel logs ERRORs to /aws/chatbot/<name> in us-east-1: the stack declares that log group
    // there (LOG3), with the environment's retention (LOG1) and a key of its own in us-east-1 (ENC1, KMS1).
    expect(report.findings.map(formatFinding)).toEqual([]);
    if (environment === 'stg') {
      expect(report.tally.find((t) => t.ruleId === 'BYODKIM-LOG3')).toMatchObject({ compliant: 1, nonCompliant: 0 });
    }
    expect(report.suppressed).toEqual([]);
    expect(report.passed).toBe(true);
  });

  it('had something to judge for every rule that applies to it', () => {
    const judged = report.tally.filter((t) => t.compliant > 0).map((t) => t.ruleId);
    expect(judged).toEqual(expect.arrayContaining(APPLY_EVERYWHERE));
    // One monitor (the MonitoringSuite's), judged read-only; the report's role is not taken for it.
    expect(report.tally.find((t) => t.ruleId === 'BYODKIM-IAM6')?.compliant).toBe(1);
    if (environment === 'prod') expect(judged).toContain('BYODKIM-DEL1');
    else expect(judged).not.toContain('BYODKIM-DEL1');
  });

  it(`is ${environment === 'prod' ? '' : 'not '}a production stack (inferred from its Environment tag)`, () => {
    expect(production).toBe(environment === 'prod');
  });
});

describe('ByodkimStack', () => {
  it('fails its synth on a finding (npm run synth runs the pack)', () => {
    const stack = stackOf('dev');
    new SqsQueue(stack, 'Stray', { name: 'stray' });
    expect(() => Testing.synth(stack, true)).toThrow(
      /\[BYODKIM-ENC1 CustomerManagedKeyAtRest\] aws_sqs_queue\.Stray \(byodkim-dev\/Stray\): kms_master_key_id is not set/,
    );
  });
});

describe('addSecurityChecks', () => {
  function stackWithQueue(kmsMasterKeyId?: string): TerraformStack {
    const stack = new TerraformStack(Testing.app(), 'app');
    new AwsProvider(stack, 'aws', { region: 'ap-northeast-1' });
    new SqsQueue(stack, 'Jobs', { name: 'jobs', ...(kmsMasterKeyId ? { kmsMasterKeyId } : {}) });
    return stack;
  }

  it('fails the synth with one line per finding: rule, address, construct path, reason', () => {
    const stack = stackWithQueue();
    addSecurityChecks(stack);
    expect(() => Testing.synth(stack, true)).toThrow(
      '[BYODKIM-ENC1 CustomerManagedKeyAtRest] aws_sqs_queue.Jobs (app/Jobs): kms_master_key_id is not set',
    );
  });

  it('lets a compliant stack synthesize', () => {
    const stack = stackWithQueue('alias/app-queues');
    addSecurityChecks(stack);
    expect(() => Testing.synth(stack, true)).not.toThrow();
  });

  it('reports a finding of severity warning as an annotation, without failing the synth', () => {
    const stack = stackWithQueue('alias/app-queues');
    const queueNamed: SecurityRule = {
      id: 'MYTEAM-SQS1',
      name: 'QueueNamedForTeam',
      severity: 'warning',
      rationale: 'queues are named <team>-<purpose> so the cost report can group them by team',
      check: (subject) =>
        subject.type !== 'aws_sqs_queue'
          ? NOT_APPLICABLE
          : /^mail-/.test(subject.config.name)
            ? COMPLIANT
            : nonCompliant(`name ${subject.config.name} does not start with mail-`),
    };
    addSecurityChecks(stack, { rules: [...SECURITY_RULES, queueNamed] });
    expect(() => Testing.synth(stack, true)).not.toThrow();
    expect(stack.node.metadata.map((m) => m.data)).toEqual([
      '[MYTEAM-SQS1 QueueNamedForTeam] aws_sqs_queue.Jobs (app/Jobs): name jobs does not start with mail-',
    ]);
  });

  it('lets a suppressed finding through, and keeps it in the report with its reason', () => {
    const stack = stackWithQueue();
    const suppressions = [
      { ruleId: 'BYODKIM-ENC1', address: 'aws_sqs_queue.Jobs', reason: 'public job ids only, nothing secret' },
    ];
    addSecurityChecks(stack, { suppressions });
    expect(() => Testing.synth(stack, true)).not.toThrow();
    const report = checkTerraform(stack.toTerraform(), { suppressions });
    expect(report.findings).toEqual([]);
    expect(report.suppressed).toEqual([
      expect.objectContaining({ ruleId: 'BYODKIM-ENC1', suppression: 'public job ids only, nothing secret' }),
    ]);
  });

  it.each([
    [
      { ruleId: 'BYODKIM-ENC9', reason: 'a good long reason' },
      /suppressions\[0\]\.ruleId must be the id of a rule of the pack \(given "BYODKIM-ENC9"\)/,
    ],
    [
      { ruleId: 'BYODKIM-ENC1', reason: 'ok' },
      /suppressions\[0\]\.reason must say why, in 10 characters or more \(given "ok"\)/,
    ],
  ])('refuses a suppression %j', (suppression, message) => {
    expect(() => addSecurityChecks(stackWithQueue(), { suppressions: [suppression] })).toThrow(message);
    expect(() => checkTerraform({}, { suppressions: [suppression] })).toThrow(message);
  });
});

describe('checkTerraform', () => {
  it('refuses what is not synthesized Terraform JSON', () => {
    expect(() => checkTerraform('cdk.tf.json')).toThrow(
      'the security pack checks synthesized Terraform JSON (an object with resource, data, terraform, …); given string',
    );
  });
});

describe('the rules of the pack', () => {
  const docs = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'security.md'), 'utf8');

  it('have unique ids and names, a severity and a rationale', () => {
    expect(new Set(SECURITY_RULES.map((r) => r.id)).size).toBe(SECURITY_RULES.length);
    expect(new Set(SECURITY_RULES.map((r) => r.name)).size).toBe(SECURITY_RULES.length);
    for (const rule of SECURITY_RULES) {
      expect(rule.id).toMatch(/^BYODKIM-[A-Z]+\d$/);
      expect(['error', 'warning']).toContain(rule.severity);
      expect(rule.rationale.length).toBeGreaterThan(80);
    }
  });

  it('are each described in docs/security.md, by id and name', () => {
    const missing = SECURITY_RULES.filter((r) => !docs.includes(`\`${r.id}\``) || !docs.includes(r.name));
    expect(missing.map((r) => r.id)).toEqual([]);
  });

  it('live one per file under constructs/security/rules/', () => {
    const dir = path.join(__dirname, '..', '..', '..', 'constructs', 'security', 'rules');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))).toHaveLength(SECURITY_RULES.length);
  });
});
