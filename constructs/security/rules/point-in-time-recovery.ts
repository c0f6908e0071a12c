import { block } from '../terraform';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const pointInTimeRecovery: SecurityRule = {
  id: 'BYODKIM-DDB1',
  name: 'PointInTimeRecovery',
  severity: 'error',
  rationale:
    'The state table records which key signs for each domain and where every rotation stands; point-in-time ' +
    'recovery lets operators restore it to any second of the last 35 days after a bad write or deletion.',
  check(subject) {
    if (subject.kind !== 'resource' || subject.type !== 'aws_dynamodb_table') return NOT_APPLICABLE;
    return block(subject.config.point_in_time_recovery)?.enabled === true
      ? COMPLIANT
      : nonCompliant('point_in_time_recovery.enabled is not true: turn on point-in-time recovery');
  },
};
