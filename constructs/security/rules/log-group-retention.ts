import { isExpression } from '../terraform';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const logGroupRetention: SecurityRule = {
  id: 'BYODKIM-LOG1',
  name: 'LogGroupRetention',
  severity: 'error',
  rationale:
    'A log group without retention keeps every line forever: the cost grows without bound and logs outlive ' +
    'the period the audit policy sets for them.',
  check(subject) {
    if (subject.kind !== 'resource' || subject.type !== 'aws_cloudwatch_log_group') return NOT_APPLICABLE;
    const days = subject.config.retention_in_days;
    if (isExpression(days)) return COMPLIANT;
    if (typeof days === 'number' && days > 0) return COMPLIANT;
    return nonCompliant(
      days === undefined
        ? 'retention_in_days is not set (logs never expire): set a retention'
        : `retention_in_days is ${JSON.stringify(days)} (logs never expire): set a retention of 1 day or more`,
    );
  },
};
