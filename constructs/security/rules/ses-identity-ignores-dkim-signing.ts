import { asArray, block } from '../terraform';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const sesIdentityIgnoresDkimSigning: SecurityRule = {
  id: 'BYODKIM-SES1',
  name: 'SesIdentityIgnoresDkimSigning',
  severity: 'error',
  rationale:
    "The key manager sets an identity's DKIM signing attributes (BYODKIM selector and key) at every rotation. " +
    'Terraform must ignore them (lifecycle ignore_changes = [dkim_signing_attributes]) and never set them: ' +
    'otherwise the next apply puts back the selector it knew (or Easy DKIM), and a private key given to ' +
    'Terraform is stored in its state.',
  check(subject) {
    if (subject.kind !== 'resource' || subject.type !== 'aws_sesv2_email_identity') return NOT_APPLICABLE;
    const reasons: string[] = [];
    const ignored = subject.config.lifecycle?.ignore_changes;
    if (ignored !== 'all' && !asArray<string>(ignored).includes('dkim_signing_attributes')) {
      reasons.push('lifecycle.ignore_changes does not list dkim_signing_attributes: the next apply undoes a rotation');
    }
    const attributes = block(subject.config.dkim_signing_attributes);
    if (attributes?.domain_signing_private_key !== undefined) {
      reasons.push('dkim_signing_attributes.domain_signing_private_key is set: the key would be in the state');
    }
    return nonCompliant(...reasons);
  },
};
