import { identityPolicies, statementName, statementsAllowing } from '../iam';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const sendEmailFromSenderOnly: SecurityRule = {
  id: 'BYODKIM-IAM4',
  name: 'SendEmailFromSenderOnly',
  severity: 'error',
  rationale:
    'A principal that mails DNS teams sends from one address: ses:SendEmail is limited by ' +
    'StringEquals ses:FromAddress, so the role cannot send as anyone else of a verified domain ' +
    '(for instance a CEO address, to phish the company).',
  check(subject, config) {
    const statements = statementsAllowing(identityPolicies(subject, config), 'ses:SendEmail');
    if (statements.length === 0) return NOT_APPLICABLE;
    return nonCompliant(
      ...statements
        .filter(({ statement: s }) => typeof s.Condition?.StringEquals?.['ses:FromAddress'] !== 'string')
        .map(({ statement: s, index }) => `${statementName(s, index)}: no StringEquals on ses:FromAddress`),
    );
  },
};
