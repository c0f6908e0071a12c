/**
 * IAM policies as the rules read them: the statements of every identity policy in the configuration
 * (role, user and group policies, managed policies, a role's inline policies, `aws_iam_policy_document`
 * data sources they reference), resource policies that name a principal (KMS key, SNS topic, SQS queue
 * policies), and which actions write.
 */
import { asArray, referencesIn, soleReference, type TerraformConfig } from './terraform';
import type { Json, Subject } from './types';

/** One statement, as IAM JSON (`Effect`, `Action`, `Resource`, `Condition`, `Principal`, …). */
export type Statement = Json;

/** A policy read from the configuration: its statements, or why they could not be read. */
export interface PolicyRead {
  /** Where the policy is, relative to the subject: `policy`, `inline_policy[0].policy`. */
  readonly field: string;
  readonly statements: readonly Statement[];
  /** Set when the policy is not JSON this module can read (a rule cannot check what it cannot read). */
  readonly unreadable?: string;
}

/**
 * `${jsonencode({"Version" = "2012-10-17", "Statement" = [...]})}` (how cdktf renders Fn.jsonencode) as
 * JSON, references as `"${aws_x.y.arn}"` strings. A plain JSON string policy is parsed as it is.
 */
export function parseRenderedPolicy(text: string): Json {
  const match = /^\$\{jsonencode\(([\s\S]*)\)\}$/.exec(text.trim());
  if (!match) return JSON.parse(text);
  const hcl = match[1];
  let out = '';
  for (let i = 0; i < hcl.length; ) {
    const c = hcl[i];
    if (c === '"') {
      let j = i + 1;
      while (j < hcl.length && hcl[j] !== '"') j += hcl[j] === '\\' ? 2 : 1;
      out += hcl.slice(i, j + 1);
      i = j + 1;
    } else if (c === '=') {
      out += ':';
      i += 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < hcl.length && /[\w.-]/.test(hcl[j])) j += 1;
      const word = hcl.slice(i, j);
      out += ['true', 'false', 'null'].includes(word) ? word : JSON.stringify(`\${${word}}`);
      i = j;
    } else {
      out += c;
      i += 1;
    }
  }
  return JSON.parse(out);
}

/** An `aws_iam_policy_document` data source's statements, in IAM JSON form. */
export function policyDocumentStatements(document: Json): Statement[] {
  return asArray<Json>(document?.statement).map((s) => {
    const out: Record<string, Json> = { Effect: s.effect ?? 'Allow' };
    if (s.sid !== undefined) out.Sid = s.sid;
    if (s.actions !== undefined) out.Action = s.actions;
    if (s.not_actions !== undefined) out.NotAction = s.not_actions;
    if (s.resources !== undefined) out.Resource = s.resources;
    if (s.not_resources !== undefined) out.NotResource = s.not_resources;
    const conditions = asArray<Json>(s.condition);
    if (conditions.length > 0) {
      const condition: Record<string, Record<string, Json>> = {};
      for (const c of conditions) (condition[c.test] ??= {})[c.variable] = c.values;
      out.Condition = condition;
    }
    const principals = asArray<Json>(s.principals);
    if (principals.length > 0) {
      const principal: Record<string, Json> = {};
      for (const p of principals) principal[p.type] = [...asArray(principal[p.type]), ...asArray(p.identifiers)];
      out.Principal = principal;
    }
    return out;
  });
}

/** Reads one policy value: rendered JSON, plain JSON, or a reference to an `aws_iam_policy_document`. */
export function readPolicy(value: unknown, field: string, config: TerraformConfig): PolicyRead {
  if (typeof value !== 'string') return { field, statements: [], unreadable: `${field} is not a string` };
  const ref = soleReference(value);
  if (ref && ref.kind === 'data' && ref.type === 'aws_iam_policy_document') {
    const document = config.find('data', ref.type, ref.name);
    if (document === undefined) return { field, statements: [], unreadable: `${value} is not in the configuration` };
    return { field, statements: policyDocumentStatements(document) };
  }
  try {
    return { field, statements: asArray<Json>(parseRenderedPolicy(value).Statement) };
  } catch {
    return { field, statements: [], unreadable: `${field} is neither JSON nor a jsonencode({...}) expression` };
  }
}

/** Types whose `policy` is an identity policy (what the principal it is attached to may do). */
const IDENTITY_POLICY_TYPES = ['aws_iam_role_policy', 'aws_iam_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'];

/** The identity policies a subject holds (none for anything but the IAM policy types and roles). */
export function identityPolicies(subject: Subject, config: TerraformConfig): PolicyRead[] {
  if (subject.kind !== 'resource') return [];
  if (IDENTITY_POLICY_TYPES.includes(subject.type)) return [readPolicy(subject.config.policy, 'policy', config)];
  if (subject.type === 'aws_iam_role') {
    return asArray<Json>(subject.config.inline_policy)
      .map((p, i) => ({ p, i }))
      .filter(({ p }) => p?.policy !== undefined)
      .map(({ p, i }) => readPolicy(p.policy, `inline_policy[${i}].policy`, config));
  }
  return [];
}

/** Resource policies that grant principals access: the field that holds each, per resource type. */
export const RESOURCE_POLICY_FIELDS: Readonly<Record<string, string>> = {
  aws_kms_key: 'policy',
  aws_kms_key_policy: 'policy',
  aws_sns_topic: 'policy',
  aws_sns_topic_policy: 'policy',
  aws_sqs_queue: 'policy',
  aws_sqs_queue_policy: 'policy',
  aws_secretsmanager_secret: 'policy',
  aws_secretsmanager_secret_policy: 'policy',
  aws_s3_bucket_policy: 'policy',
  aws_dynamodb_resource_policy: 'policy',
  aws_lambda_permission: '',
};

export const allowStatements = (statements: readonly Statement[]): Statement[] =>
  statements.filter((s) => s?.Effect === 'Allow');

/** A statement's `Action` list (a `NotAction` statement allows everything but the list: reported as `*`). */
export const actionsOf = (s: Statement): string[] => (s.NotAction !== undefined ? ['*'] : asArray<string>(s.Action));

/** A statement's `Resource` list (a `NotResource` statement reaches every other resource: reported as `*`). */
export const resourcesOf = (s: Statement): string[] =>
  s.NotResource !== undefined ? ['*'] : asArray<string>(s.Resource);

export const hasCondition = (s: Statement): boolean =>
  s.Condition !== null && typeof s.Condition === 'object' && Object.keys(s.Condition).length > 0;

/** How a finding names a statement: its Sid, or its position. */
export const statementName = (s: Statement, index: number): string =>
  typeof s.Sid === 'string' && s.Sid !== '' ? `statement ${s.Sid}` : `statement #${index + 1}`;

/** Every principal ARN or reference a resource-policy statement names (`Principal.AWS`, `Principal: "*"`). */
export function principalsOf(s: Statement): string[] {
  if (s.Principal === '*') return ['*'];
  return Object.values((s.Principal ?? {}) as Record<string, Json>).flatMap((v) => asArray<string>(v));
}

/** Whether a principal entry names `subject` (`${aws_iam_role.X.arn}`, `${aws_iam_role.X.unique_id}`, …). */
export const namesSubject = (principal: string, subject: Subject): boolean =>
  referencesIn(principal).some((r) => r.kind === 'resource' && r.type === subject.type && r.name === subject.name);

// --- Which actions write -------------------------------------------------------------------------------------

/**
 * Verbs of actions that only read (IAM access level Read or List). Everything else is a write, including
 * tagging, permissions management and any action this list does not know: unknown means write.
 */
const READ_VERBS = [
  'Get',
  'List',
  'Describe',
  'BatchGet',
  'Query',
  'Scan',
  'Head',
  'Search',
  'Lookup',
  'Select',
  'View',
  'Estimate',
  'Preview',
  'Read',
  'Download',
  'Detect',
  'Discover',
  'Filter',
  'Poll',
  'Receive',
  'Check',
  'Evaluate',
  'Validate',
  'Simulate',
];
const READ_VERB = new RegExp(`^(?:${READ_VERBS.join('|')})(?=[A-Z0-9]|\\*|$)`);

/**
 * Actions whose verb reads like a read but whose IAM access level is Write (they create credentials, move
 * data out or run work). Checked against the IAM reference's access levels in
 * test/constructs/security/iam.test.ts.
 */
const WRITES_DESPITE_VERB = new Set(
  [
    'sts:GetFederationToken',
    'sts:GetDelegatedAccessToken',
    'sts:GetWebIdentityToken',
    'secretsmanager:ValidateResourcePolicy',
    'cloudwatch:QueryTraces',
    'cloudwatch:SearchPrincipals',
    'apigateway:PreviewPortal',
  ].map((a) => a.toLowerCase()),
);

/**
 * Whether an action (or a pattern such as `s3:Get*`, `kms:*`, `*`) may allow a write. A pattern is a write
 * when any action it can match may write: `*`, `kms:*` and `kms:G*` are writes; `kms:Get*` and
 * `kms:Describe*` are reads.
 */
export function isWriteAction(action: string): boolean {
  const colon = action.indexOf(':');
  if (colon < 0) return true;
  const service = action.slice(0, colon).toLowerCase();
  const name = action.slice(colon + 1);
  if (!READ_VERB.test(name)) return true;
  return [...WRITES_DESPITE_VERB].some((writer) => matchesAction(`${service}:${name}`, writer));
}

/** Whether an action pattern of a statement (`route53:*`, `ses:Send*`, `*`) matches `action` (case-insensitive). */
export function matchesAction(pattern: string, action: string): boolean {
  const regex = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(action.toLowerCase());
}

/** The Allow statements of `policies` that allow `action`, with their position. */
export function statementsAllowing(
  policies: readonly PolicyRead[],
  action: string,
): { readonly statement: Statement; readonly index: number }[] {
  return policies.flatMap((p) =>
    p.statements
      .map((statement, index) => ({ statement, index }))
      .filter(
        ({ statement }) => statement?.Effect === 'Allow' && actionsOf(statement).some((a) => matchesAction(a, action)),
      ),
  );
}
