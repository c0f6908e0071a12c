import { actionsOf, hasCondition, identityPolicies, isWriteAction, resourcesOf, statementName } from '../iam';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

/** `*`, or an ARN whose resource part is `*` (`arn:aws:sqs:ap-northeast-1:111111111111:*`). */
export const isEveryResource = (resource: string): boolean =>
  resource === '*' || /^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/.test(resource);

export const noUnconditionedWriteOnEveryResource: SecurityRule = {
  id: 'BYODKIM-IAM1',
  name: 'NoUnconditionedWriteOnEveryResource',
  severity: 'error',
  rationale:
    'An identity policy that allows a write action on Resource "*" with no condition lets the principal change ' +
    'every resource of that kind in the account, today and every one created later. Name the resources, or ' +
    'narrow the statement with a condition (a tag, kms:ViaService, a Route 53 record name).',
  check(subject, config) {
    const policies = identityPolicies(subject, config);
    if (policies.length === 0) return NOT_APPLICABLE;
    const reasons: string[] = [];
    for (const policy of policies) {
      if (policy.unreadable) reasons.push(`${policy.unreadable}: the rule cannot check it`);
      policy.statements.forEach((s, i) => {
        if (s?.Effect !== 'Allow' || hasCondition(s)) return;
        const writes = actionsOf(s).filter(isWriteAction);
        if (writes.length > 0 && resourcesOf(s).some(isEveryResource)) {
          reasons.push(`${statementName(s, i)} allows ${writes.join(', ')} on every resource, with no condition`);
        }
      });
    }
    return nonCompliant(...reasons);
  },
};
