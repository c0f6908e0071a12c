import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const s3BackendEncryptedAndLocked: SecurityRule = {
  id: 'BYODKIM-TF1',
  name: 'S3BackendEncryptedAndLocked',
  severity: 'error',
  rationale:
    "The Terraform state holds every resource's attributes. The S3 backend encrypts it (encrypt = true) and " +
    'locks it (use_lockfile, or a DynamoDB lock table), so two applies never interleave and corrupt it.',
  check(subject) {
    if (subject.kind !== 'block' || subject.type !== 'terraform') return NOT_APPLICABLE;
    const s3 = subject.config?.backend?.s3;
    if (s3 === undefined) return NOT_APPLICABLE;
    const reasons: string[] = [];
    if (s3.encrypt !== true) reasons.push('backend.s3.encrypt is not true: the state is stored unencrypted');
    if (s3.use_lockfile !== true && !s3.dynamodb_table) {
      reasons.push('backend.s3 has neither use_lockfile = true nor dynamodb_table: the state is not locked');
    }
    return nonCompliant(...reasons);
  },
};
