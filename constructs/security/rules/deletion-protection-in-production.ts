import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

/** What a destroy cannot bring back: the keys, the identities (and their reputation), zones, state. */
const PROTECTED_TYPES = [
  'aws_dynamodb_table',
  'aws_kms_key',
  'aws_sesv2_email_identity',
  'aws_route53_zone',
  'aws_secretsmanager_secret',
];

export const deletionProtectionInProduction: SecurityRule = {
  id: 'BYODKIM-DEL1',
  name: 'DeletionProtectionInProduction',
  severity: 'error',
  rationale:
    'In production a `terraform destroy` or a renamed construct must not delete what cannot be recreated: ' +
    'the state table (deletion_protection_enabled, and prevent_destroy), KMS keys, SES identities, hosted ' +
    'zones and secrets carry lifecycle.prevent_destroy, and no resource turns prevent_destroy off.',
  check(subject, config) {
    if (!config.production || subject.kind !== 'resource') return NOT_APPLICABLE;
    const reasons: string[] = [];
    const preventDestroy = subject.config.lifecycle?.prevent_destroy;
    if (PROTECTED_TYPES.includes(subject.type)) {
      if (preventDestroy !== true) reasons.push('lifecycle.prevent_destroy is not true in production');
    } else if (preventDestroy === false) {
      reasons.push('lifecycle.prevent_destroy is turned off in production');
    } else {
      return NOT_APPLICABLE;
    }
    if (subject.type === 'aws_dynamodb_table' && subject.config.deletion_protection_enabled !== true) {
      reasons.push('deletion_protection_enabled is not true in production');
    }
    return nonCompliant(...reasons);
  },
};
