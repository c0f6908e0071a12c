import { LAMBDA_ENV } from '../../../functions/core/contract';
import { lambdaFunctionName } from '../../../functions/core/resource-names';
import {
  actionsOf,
  identityPolicies,
  isWriteAction,
  namesSubject,
  principalsOf,
  readPolicy,
  resourcesOf,
  RESOURCE_POLICY_FIELDS,
  statementName,
  type Statement,
} from '../iam';
import { asArray, block, referencesIn, soleReference, type TerraformConfig } from '../terraform';
import { NOT_APPLICABLE, nonCompliant, type Json, type SecurityRule, type Subject } from '../types';

/** The tag that marks a role as the monitor's (`MonitoringSuite` sets it; another stack may too). */
export const MONITOR_ROLE_TAG = { key: 'ByodkimComponent', value: 'monitor' } as const;
/** `<namePrefix>-dkim-monitor`: the monitor's function (and role) name, functions/core/resource-names.ts. */
const MONITOR_NAME = new RegExp(`${lambdaFunctionName('', 'monitor').replace(/[-]/g, '\\-')}$`);

const refersTo = (value: unknown, subject: Subject): boolean =>
  typeof value === 'string' &&
  referencesIn(value).some((r) => r.kind === 'resource' && r.type === subject.type && r.name === subject.name);

/** The Lambda functions that run as `role`. */
const functionsOf = (role: Subject, config: TerraformConfig): Subject[] =>
  config.resources('aws_lambda_function').filter((f) => refersTo(f.config.role, role));

/** Whether a role is the monitor's: tagged so, named so, or the role of the monitor function. */
export function isMonitorRole(role: Subject, config: TerraformConfig): boolean {
  if (role.kind !== 'resource' || role.type !== 'aws_iam_role') return false;
  if (role.config.tags?.[MONITOR_ROLE_TAG.key] === MONITOR_ROLE_TAG.value) return true;
  if (typeof role.config.name === 'string' && MONITOR_NAME.test(role.config.name)) return true;
  return functionsOf(role, config).some(
    (f) => typeof f.config.function_name === 'string' && MONITOR_NAME.test(f.config.function_name),
  );
}

/** What the monitor may write to: its functions' log groups and the alarm topic its functions are given. */
interface Allowed {
  readonly logGroups: readonly Subject[];
  readonly alarmTopics: readonly Subject[];
}

function allowedTargets(role: Subject, config: TerraformConfig): Allowed {
  const functions = functionsOf(role, config);
  const logGroups = config.resources('aws_cloudwatch_log_group').filter((g) =>
    functions.some((f) => {
      const configured = block(f.config.logging_config)?.log_group;
      if (configured !== undefined) return refersTo(configured, g) || configured === g.config.name;
      return g.config.name === `/aws/lambda/${f.config.function_name}`;
    }),
  );
  const alarmTopics = functions
    .map((f) => soleReference(f.config.environment?.variables?.[LAMBDA_ENV.alarmTopicArn]))
    .map((ref) => (ref ? config.resolve(ref) : undefined))
    .filter((t): t is Subject => t?.type === 'aws_sns_topic');
  return { logGroups, alarmTopics };
}

const LOG_WRITES = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const KMS_VIA = ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKey*'];
const VIA_SERVICE = /^(?:sns|dynamodb)\.[a-z0-9-]+\.amazonaws\.com$/;

/** Why a write the statement allows is not one the contract lets the monitor make, or undefined. */
function forbiddenWrite(action: string, s: Statement, allowed: Allowed): string | undefined {
  const resources = resourcesOf(s);
  const onlyOn = (targets: readonly Subject[]) =>
    resources.length > 0 && resources.every((r) => targets.some((t) => refersTo(r, t)));
  if (LOG_WRITES.some((a) => a.toLowerCase() === action.toLowerCase())) {
    return onlyOn(allowed.logGroups) ? undefined : `${action} on something other than the monitor's own log group`;
  }
  if (action.toLowerCase() === 'sns:publish') {
    return onlyOn(allowed.alarmTopics)
      ? undefined
      : `sns:Publish on something other than the alarm topic (${LAMBDA_ENV.alarmTopicArn})`;
  }
  if (KMS_VIA.some((a) => a.toLowerCase() === action.toLowerCase())) {
    const via = asArray<string>(s.Condition?.StringEquals?.['kms:ViaService']);
    return via.length > 0 && via.every((v) => VIA_SERVICE.test(v))
      ? undefined
      : `${action} without a kms:ViaService condition limited to SNS and DynamoDB`;
  }
  return `${action} is a write action`;
}

/** Every statement that grants the role something: its identity policies and resource policies naming it. */
function grants(role: Subject, config: TerraformConfig): { where: string; statement: Statement; index: number }[] {
  const out: { where: string; statement: Statement; index: number }[] = [];
  const add = (where: string, statements: readonly Statement[]) =>
    statements.forEach((statement, index) => out.push({ where, statement, index }));
  for (const policy of identityPolicies(role, config)) add(`${role.address}.${policy.field}`, policy.statements);
  const attachedTo = (p: Subject) =>
    refersTo(p.config.role, role) || (typeof role.config.name === 'string' && p.config.role === role.config.name);
  for (const p of config.resources('aws_iam_role_policy').filter(attachedTo)) {
    for (const policy of identityPolicies(p, config)) add(p.address, policy.statements);
  }
  for (const a of config.resources('aws_iam_role_policy_attachment').filter(attachedTo)) {
    const ref = soleReference(a.config.policy_arn);
    const managed = ref?.type === 'aws_iam_policy' ? config.resolve(ref) : undefined;
    if (managed) for (const policy of identityPolicies(managed, config)) add(managed.address, policy.statements);
    else add(a.address, [{ Sid: 'ManagedPolicy', Effect: 'Allow', Action: '*', Resource: '*', Managed: true }]);
  }
  for (const arn of asArray<string>(role.config.managed_policy_arns)) {
    const ref = soleReference(arn);
    const managed = ref?.type === 'aws_iam_policy' ? config.resolve(ref) : undefined;
    if (managed) for (const policy of identityPolicies(managed, config)) add(managed.address, policy.statements);
    else add(`${role.address}.managed_policy_arns`, [{ Effect: 'Allow', Action: '*', Resource: '*', Managed: true }]);
  }
  for (const [type, field] of Object.entries(RESOURCE_POLICY_FIELDS)) {
    if (field === '') continue;
    for (const r of config.resources(type)) {
      if (r.config[field] === undefined) continue;
      const { statements } = readPolicy(r.config[field], field, config);
      const naming = statements.filter((s: Json) => principalsOf(s).some((p) => namesSubject(p, role)));
      add(r.address, naming);
    }
  }
  return out;
}

export const monitorReadOnly: SecurityRule = {
  id: 'BYODKIM-IAM6',
  name: 'MonitorReadOnly',
  severity: 'error',
  rationale:
    'The monitor watches the key manager and must not share its fate: its role reads SES, the state table and ' +
    'DNS, and writes only its own log group, sns:Publish to the alarm topic and KMS data keys through SNS or ' +
    'DynamoDB (kms:ViaService). Any other write would let a monitor bug change what it watches.',
  check(subject, config) {
    if (!isMonitorRole(subject, config)) return NOT_APPLICABLE;
    const allowed = allowedTargets(subject, config);
    const reasons: string[] = [];
    for (const { where, statement: s, index } of grants(subject, config)) {
      if (s?.Effect !== 'Allow') continue;
      if (s.Managed === true) {
        reasons.push(`${where} attaches a managed policy this rule cannot read: grant the monitor inline statements`);
        continue;
      }
      const problems = actionsOf(s)
        .filter(isWriteAction)
        .map((a) => (a.includes('*') && !KMS_VIA.includes(a) ? `${a} may allow writes` : forbiddenWrite(a, s, allowed)))
        .filter((p): p is string => p !== undefined);
      if (problems.length > 0) reasons.push(`${where} ${statementName(s, index)}: ${problems.join('; ')}`);
    }
    return nonCompliant(...reasons);
  },
};
