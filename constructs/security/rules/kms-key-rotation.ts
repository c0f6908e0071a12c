import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const kmsKeyRotation: SecurityRule = {
  id: 'BYODKIM-ENC2',
  name: 'KmsKeyRotation',
  severity: 'error',
  rationale:
    'Automatic rotation gives a customer-managed key new key material every rotation period (365 days by ' +
    'default) while old ciphertext stays readable, limiting how much data one key version protects.',
  check(subject) {
    if (subject.kind !== 'resource' || subject.type !== 'aws_kms_key') return NOT_APPLICABLE;
    const spec = subject.config.customer_master_key_spec ?? 'SYMMETRIC_DEFAULT';
    const usage = subject.config.key_usage ?? 'ENCRYPT_DECRYPT';
    // KMS rotates symmetric encryption keys only (asymmetric and HMAC keys cannot rotate automatically).
    if (spec !== 'SYMMETRIC_DEFAULT' || usage !== 'ENCRYPT_DECRYPT') return NOT_APPLICABLE;
    return subject.config.enable_key_rotation === true
      ? COMPLIANT
      : nonCompliant('enable_key_rotation is not true: turn on automatic key rotation');
  },
};
