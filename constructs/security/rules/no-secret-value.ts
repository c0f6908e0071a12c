import { NOT_APPLICABLE, nonCompliant, COMPLIANT, type SecurityRule } from '../types';

/** Types that carry a secret's value through Terraform (resource or data source). */
const SECRET_VALUE_TYPES = ['aws_secretsmanager_secret_version', 'aws_secretsmanager_secret_versions'];

export const noSecretValue: SecurityRule = {
  id: 'BYODKIM-KEY2',
  name: 'NoSecretValue',
  severity: 'error',
  rationale:
    'A secret value written (aws_secretsmanager_secret_version) or read (the data source of the same name) by ' +
    "Terraform is stored in clear text in its state. The key store's secrets are created and read by the key " +
    "manager only; Terraform creates at most the secret's container and its key.",
  check(subject) {
    if (subject.kind === 'block') return NOT_APPLICABLE;
    if (!SECRET_VALUE_TYPES.includes(subject.type)) return COMPLIANT;
    return nonCompliant(
      subject.kind === 'resource'
        ? `${subject.type} writes a secret value, which Terraform keeps in its state`
        : `data source ${subject.type} reads a secret value into the Terraform state`,
    );
  },
};
