import { actionsOf, identityPolicies, resourcesOf, statementName } from '../iam';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

/** The one Secrets Manager action AWS authorizes only on `*` (it lists names and ARNs, never values). */
const LIST_SECRETS = 'secretsmanager:listsecrets';

/**
 * `arn:…:secret:<prefix>/*` (a name prefix that ends at a `/`) or one secret, `arn:…:secret:<name>` with or
 * without its `-??????` suffix. Region, account and partition are literal or a Terraform expression.
 */
const SECRET_ARN =
  /^arn:(?:[a-z-]+|\$\{[^}]+\}):secretsmanager:(?:[a-z0-9-]+|\$\{[^}]+\}):(?:\d{12}|\$\{[^}]+\}):secret:(?:[A-Za-z0-9_+=.@-]+\/)*(?:[A-Za-z0-9_+=.@-]+(?:-\?{6}|-\*)?|\*)$/;

export const secretsScoped: SecurityRule = {
  id: 'BYODKIM-IAM5',
  name: 'SecretsScoped',
  severity: 'error',
  rationale:
    'The key store holds DKIM private keys as secrets under one name prefix. Secrets Manager actions (but ' +
    'ListSecrets) are allowed only on that prefix (`secret:<prefix>/*`) or named secrets, never on ' +
    '`secret:*` or another account, region or wildcard, so a key manager cannot read the secrets of other ' +
    'applications.',
  check(subject, config) {
    const reasons: string[] = [];
    let applies = false;
    for (const policy of identityPolicies(subject, config)) {
      policy.statements.forEach((s, i) => {
        if (s?.Effect !== 'Allow') return;
        const actions = actionsOf(s).filter(
          (a) => a.toLowerCase().startsWith('secretsmanager:') && a.toLowerCase() !== LIST_SECRETS,
        );
        if (actions.length === 0) return;
        applies = true;
        const bad = resourcesOf(s).find((r) => !SECRET_ARN.test(r) || /:secret:\*$/.test(r));
        if (bad !== undefined) {
          reasons.push(`${statementName(s, i)}: ${bad} is not a secret name prefix (<prefix>/*) or one secret`);
        }
      });
    }
    return applies ? nonCompliant(...reasons) : NOT_APPLICABLE;
  },
};
