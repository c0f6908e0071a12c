import { asArray } from '../terraform';
import { identityPolicies, resourcesOf, statementName, statementsAllowing } from '../iam';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const ROUTE53_NAMES = 'route53:ChangeResourceRecordSetsNormalizedRecordNames';
export const ROUTE53_TYPES = 'route53:ChangeResourceRecordSetsRecordTypes';
export const ROUTE53_ACTIONS = 'route53:ChangeResourceRecordSetsActions';

/**
 * `*._domainkey.example.com`, one selector slot `mail-prod1.dkim.example.net`, normalized (lower case, no final
 * dot), or `*._domainkey.*`: any DKIM record of the zones the statement names (the form a key manager of
 * thousands of domains falls back to when their names do not fit in IAM's policy size; still TXT records
 * under _domainkey only, and never on every zone).
 */
const DKIM_NAME = /^(?:\*\._domainkey\.(?:\*|[a-z0-9._-]+)|[a-z0-9-]+\.[a-z0-9._-]+)$/;

export const route53DkimRecordsOnly: SecurityRule = {
  id: 'BYODKIM-IAM3',
  name: 'Route53DkimRecordsOnly',
  severity: 'error',
  rationale:
    'route53:ChangeResourceRecordSets on a zone can rewrite its MX, SPF or A records. A principal that manages ' +
    'DKIM keys may change TXT records under _domainkey (or the delegated selector slots) only: the statement ' +
    `names zone ARNs, limits ${ROUTE53_NAMES} with ForAllValues:StringLike and a Null guard (an empty list ` +
    `passes ForAllValues), ${ROUTE53_TYPES} to TXT and ${ROUTE53_ACTIONS} to UPSERT and DELETE.`,
  check(subject, config) {
    const policies = identityPolicies(subject, config);
    const statements = statementsAllowing(policies, 'route53:ChangeResourceRecordSets');
    if (statements.length === 0) return NOT_APPLICABLE;
    const reasons: string[] = [];
    for (const { statement: s, index } of statements) {
      const name = statementName(s, index);
      const problems: string[] = [];
      if (resourcesOf(s).some((r) => r === '*' || /hostedzone\/\*$/.test(r))) problems.push('Resource is every zone');
      const names = asArray<string>(s.Condition?.['ForAllValues:StringLike']?.[ROUTE53_NAMES]);
      if (names.length === 0) problems.push(`no ForAllValues:StringLike on ${ROUTE53_NAMES}`);
      const bad = names.find((n) => !DKIM_NAME.test(n) || n === '*' || /[A-Z]|\.$/.test(n));
      if (bad !== undefined) problems.push(`${JSON.stringify(bad)} is not a normalized DKIM record name`);
      if (String(s.Condition?.Null?.[ROUTE53_NAMES]) !== 'false') {
        problems.push(`no Null guard ("${ROUTE53_NAMES}": "false"): an empty name list would pass ForAllValues`);
      }
      const types = asArray<string>(s.Condition?.['ForAllValues:StringEquals']?.[ROUTE53_TYPES]);
      if (types.length === 0 || types.some((t) => t !== 'TXT')) problems.push('record types are not TXT only');
      const actions = asArray<string>(s.Condition?.['ForAllValues:StringEquals']?.[ROUTE53_ACTIONS]);
      if (actions.length === 0 || actions.some((a) => a !== 'UPSERT' && a !== 'DELETE')) {
        problems.push('change actions are not limited to UPSERT and DELETE');
      }
      if (problems.length > 0) reasons.push(`${name}: ${problems.join('; ')}`);
    }
    return nonCompliant(...reasons);
  },
};
