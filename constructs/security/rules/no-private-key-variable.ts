import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const noPrivateKeyVariable: SecurityRule = {
  id: 'BYODKIM-KEY4',
  name: 'NoPrivateKeyVariable',
  severity: 'error',
  rationale:
    'A Lambda environment holds names and ARNs: it is readable by anyone with lambda:GetFunctionConfiguration ' +
    'and stored in the Terraform state. A variable named for a private key means a key is about to be, or ' +
    'already is, passed that way.',
  check(subject) {
    if (subject.kind !== 'resource' || subject.type !== 'aws_lambda_function') return NOT_APPLICABLE;
    const variables: Record<string, unknown> = subject.config.environment?.variables ?? {};
    return nonCompliant(
      ...Object.keys(variables)
        .filter((name) => /PRIVATE|SECRET_?KEY|SIGNING_?KEY/i.test(name))
        .map((name) => `environment variable ${name} is named for key material`),
    );
  },
};
