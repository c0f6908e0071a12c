import { actionsOf, identityPolicies, resourcesOf, statementName } from '../iam';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';
import { isEveryResource } from './no-unconditioned-write-on-every-resource';

/** Services (and one Route 53 action) whose actions support resource-level permissions. */
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
/** The few that AWS authorizes only on `*`. */
const ONLY_ON_EVERY_RESOURCE = new Set(['secretsmanager:listsecrets', 'route53:listhostedzonesbyname']);

export const scopedResourceActions: SecurityRule = {
  id: 'BYODKIM-IAM2',
  name: 'ScopedResourceActions',
  severity: 'error',
  rationale:
    'SES, Secrets Manager, DynamoDB, SQS, SNS, Lambda, CloudWatch Logs, KMS and Route 53 record changes support ' +
    'resource-level permissions: granting them on "*" (read or write) reaches every identity, secret, table, ' +
    'queue, topic, function, log group, key or zone of the account when a few ARNs would do. No statement ' +
    'allows Action "*".',
  check(subject, config) {
    const policies = identityPolicies(subject, config);
    if (policies.length === 0) return NOT_APPLICABLE;
    const reasons: string[] = [];
    for (const policy of policies) {
      if (policy.unreadable) reasons.push(`${policy.unreadable}: the rule cannot check it`);
      policy.statements.forEach((s, i) => {
        if (s?.Effect !== 'Allow') return;
        const actions = actionsOf(s);
        if (actions.includes('*')) {
          reasons.push(`${statementName(s, i)} allows Action "*"`);
          return;
        }
        const scoped = actions.filter(
          (a) =>
            SCOPED_PREFIXES.some((p) => a.toLowerCase().startsWith(p.toLowerCase())) &&
            !ONLY_ON_EVERY_RESOURCE.has(a.toLowerCase()),
        );
        if (scoped.length > 0 && resourcesOf(s).some(isEveryResource)) {
          reasons.push(`${statementName(s, i)} allows ${scoped.join(', ')} on every resource: name the ARNs`);
        }
      });
    }
    return nonCompliant(...reasons);
  },
};
