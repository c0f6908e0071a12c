/**
 * Security rules over synthesized Terraform JSON, in the cdk-nag style: one small pure rule per concern,
 * each returning, per resource, `compliant`, `non-compliant` (with the reason) or `not-applicable`; a pack
 * runs them all and lists the findings. The rules read what Terraform will be given (`cdk.tf.json`), not
 * the constructs' own view of it: a policy rendered with `jsonencode({...})` is parsed back to JSON.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export type RuleResult =
  | { readonly status: 'compliant' | 'not-applicable' }
  | { readonly status: 'non-compliant'; readonly reason: string };

export interface Finding {
  readonly rule: string;
  readonly resource: string;
  readonly reason: string;
}

export interface Rule {
  readonly name: string;
  readonly description: string;
  /** Judges one resource of the synthesized stack. */
  readonly check: (type: string, resource: Json) => RuleResult;
}

const compliant: RuleResult = { status: 'compliant' };
const notApplicable: RuleResult = { status: 'not-applicable' };
const nonCompliant = (reason: string): RuleResult => ({ status: 'non-compliant', reason });

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

const asArray = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];

/** The statements of every identity policy a resource carries (role inline policies). */
function statementsOf(type: string, resource: Json): Json[] | undefined {
  if (type !== 'aws_iam_role_policy' || typeof resource.policy !== 'string') return undefined;
  return asArray(parseRenderedPolicy(resource.policy).Statement);
}

const allows = (statement: Json, action: string): boolean =>
  statement.Effect === 'Allow' && asArray<string>(statement.Action).some((a) => a === action || a === '*');

export const ROUTE53_NAMES = 'route53:ChangeResourceRecordSetsNormalizedRecordNames';
export const ROUTE53_TYPES = 'route53:ChangeResourceRecordSetsRecordTypes';
export const ROUTE53_ACTIONS = 'route53:ChangeResourceRecordSetsActions';

/** Route 53 writes: zone ARNs only, DKIM names only, TXT only, UPSERT/DELETE only, never an empty name list. */
export const route53DkimRecordsOnly: Rule = {
  name: 'Route53DkimRecordsOnly',
  description:
    'route53:ChangeResourceRecordSets is allowed only on hosted zone ARNs, for TXT records under _domainkey, UPSERT/DELETE, with a Null guard',
  check(type, resource) {
    const statements = statementsOf(type, resource)?.filter((s) => allows(s, 'route53:ChangeResourceRecordSets'));
    if (!statements || statements.length === 0) return notApplicable;
    for (const s of statements) {
      const resources = asArray<string>(s.Resource);
      if (resources.some((r) => r === '*' || /hostedzone\/\*$/.test(r)))
        return nonCompliant(`${s.Sid}: Resource is every zone`);
      const names = asArray<string>(s.Condition?.['ForAllValues:StringLike']?.[ROUTE53_NAMES]);
      if (names.length === 0) return nonCompliant(`${s.Sid}: no ForAllValues:StringLike on ${ROUTE53_NAMES}`);
      const bad = names.find(
        (n) => !/(^\*\._domainkey\.|^[a-z0-9-]+\.)[a-z0-9._-]+$/.test(n) || n === '*' || /[A-Z]|\.$/.test(n),
      );
      if (bad !== undefined)
        return nonCompliant(`${s.Sid}: ${JSON.stringify(bad)} is not a normalized DKIM record name`);
      if (s.Condition?.Null?.[ROUTE53_NAMES] !== 'false') {
        return nonCompliant(`${s.Sid}: no Null guard: an empty ${ROUTE53_NAMES} would pass ForAllValues`);
      }
      const types = asArray<string>(s.Condition?.['ForAllValues:StringEquals']?.[ROUTE53_TYPES]);
      if (types.length === 0 || types.some((t) => t !== 'TXT'))
        return nonCompliant(`${s.Sid}: record types are not TXT only`);
      const actions = asArray<string>(s.Condition?.['ForAllValues:StringEquals']?.[ROUTE53_ACTIONS]);
      if (actions.length === 0 || actions.some((a) => a !== 'UPSERT' && a !== 'DELETE')) {
        return nonCompliant(`${s.Sid}: change actions are not limited to UPSERT and DELETE`);
      }
    }
    return compliant;
  },
};

/** Actions that support resource-level permissions and must never be granted on `*`. */
const SCOPED_PREFIXES = [
  'ses:',
  'secretsmanager:',
  'dynamodb:',
  'sqs:',
  'sns:',
  'lambda:',
  'logs:',
  'route53:ChangeResourceRecordSets',
  'kms:',
];
/** The few that AWS only authorizes on `*`. */
const UNSCOPED_ALLOWED = new Set(['secretsmanager:ListSecrets', 'route53:ListHostedZonesByName']);

export const noWildcardResources: Rule = {
  name: 'NoWildcardResources',
  description: 'SES, Secrets Manager, DynamoDB, SQS, SNS, Lambda, logs and KMS actions name their resources, never *',
  check(type, resource) {
    const statements = statementsOf(type, resource);
    if (!statements) return notApplicable;
    for (const s of statements.filter((st) => st.Effect === 'Allow')) {
      const actions = asArray<string>(s.Action);
      if (actions.includes('*')) return nonCompliant(`${s.Sid}: Action *`);
      const scoped = actions.filter((a) => SCOPED_PREFIXES.some((p) => a.startsWith(p)) && !UNSCOPED_ALLOWED.has(a));
      if (
        scoped.length > 0 &&
        asArray<string>(s.Resource).some((r) => r === '*' || /^arn:[^:]+:[^:]+:[^:]*:[^:]*:\*$/.test(r))
      ) {
        return nonCompliant(`${s.Sid}: ${scoped.join(', ')} on every resource`);
      }
    }
    return compliant;
  },
};

export const sendEmailFromSenderOnly: Rule = {
  name: 'SendEmailFromSenderOnly',
  description: 'ses:SendEmail is limited to identity ARNs and to one From address (ses:FromAddress)',
  check(type, resource) {
    const statements = statementsOf(type, resource)?.filter((s) => allows(s, 'ses:SendEmail'));
    if (!statements || statements.length === 0) return notApplicable;
    for (const s of statements) {
      if (typeof s.Condition?.StringEquals?.['ses:FromAddress'] !== 'string') {
        return nonCompliant(`${s.Sid}: no StringEquals ses:FromAddress`);
      }
    }
    return compliant;
  },
};

export const secretsUnderPrefixOnly: Rule = {
  name: 'SecretsUnderPrefixOnly',
  description: 'Secrets Manager actions (but ListSecrets) only on arn:…:secret:<prefix>/*',
  check(type, resource) {
    const statements = statementsOf(type, resource)?.filter((s) =>
      asArray<string>(s.Action).some((a) => a.startsWith('secretsmanager:') && !UNSCOPED_ALLOWED.has(a)),
    );
    if (!statements || statements.length === 0) return notApplicable;
    for (const s of statements) {
      const bad = asArray<string>(s.Resource).find(
        (r) =>
          !/^arn:[a-z-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9_+=.@-]+(?:\/[A-Za-z0-9_+=.@-]+)*\/\*$/.test(
            r,
          ),
      );
      if (bad !== undefined) return nonCompliant(`${s.Sid}: ${bad} is not a secret name prefix`);
    }
    return compliant;
  },
};

export const encryptedAtRest: Rule = {
  name: 'EncryptedAtRest',
  description: 'queues, topics, log groups and tables are encrypted with a customer-managed KMS key',
  check(type, resource) {
    switch (type) {
      case 'aws_sqs_queue':
      case 'aws_sns_topic':
        return resource.kms_master_key_id ? compliant : nonCompliant('no kms_master_key_id');
      case 'aws_cloudwatch_log_group':
        return resource.kms_key_id ? compliant : nonCompliant('no kms_key_id');
      case 'aws_dynamodb_table':
        return resource.server_side_encryption?.enabled === true && resource.server_side_encryption?.kms_key_arn
          ? resource.point_in_time_recovery?.enabled === true
            ? compliant
            : nonCompliant('point-in-time recovery is off')
          : nonCompliant('no customer-managed key in server_side_encryption');
      default:
        return notApplicable;
    }
  },
};

const KEY_MATERIAL = /-----BEGIN|PRIVATE KEY|MII[A-Za-z0-9+/]{60,}/;

export const noKeyMaterialInLambdaEnvironment: Rule = {
  name: 'NoKeyMaterialInLambdaEnvironment',
  description: 'a Lambda environment holds names and ARNs, never key material',
  check(type, resource) {
    if (type !== 'aws_lambda_function') return notApplicable;
    const variables: Record<string, string> = resource.environment?.variables ?? {};
    const bad = Object.entries(variables).find(
      ([name, value]) => KEY_MATERIAL.test(String(value)) || /PRIVATE/i.test(name),
    );
    return bad ? nonCompliant(`environment variable ${bad[0]} holds key material`) : compliant;
  },
};

export const SECURITY_RULES: readonly Rule[] = [
  route53DkimRecordsOnly,
  noWildcardResources,
  sendEmailFromSenderOnly,
  secretsUnderPrefixOnly,
  encryptedAtRest,
  noKeyMaterialInLambdaEnvironment,
];

/** Runs `rules` over every resource of a synthesized stack; returns the non-compliant ones. */
export function checkStack(stack: Json, rules: readonly Rule[] = SECURITY_RULES): Finding[] {
  const findings: Finding[] = [];
  for (const [type, resources] of Object.entries(stack.resource ?? {})) {
    for (const [name, resource] of Object.entries(resources as Record<string, Json>)) {
      for (const rule of rules) {
        const result = rule.check(type, resource);
        if (result.status === 'non-compliant')
          findings.push({ rule: rule.name, resource: `${type}.${name}`, reason: result.reason });
      }
    }
  }
  return findings;
}
