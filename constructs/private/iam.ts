/**
 * IAM policy documents as plain data, rendered with `jsonencode` (like the key policy: `terraform plan`
 * shows the statements with only the unknown ARNs unknown), and the trust policies of the roles.
 */
import { Fn, Lazy } from 'cdktf';

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
  readonly Principal?: Readonly<Record<string, string | readonly string[]>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: '2012-10-17', Statement: statements };
}

/** `jsonencode(document)`, computed when the stack is synthesized (statements may be added until then). */
export function renderPolicy(document: () => PolicyDocument): string {
  return Lazy.stringValue({ produce: () => Fn.jsonencode(document()) });
}

/** A role a service assumes: `service` (e.g. `lambda.amazonaws.com`), optionally only for `sourceAccount`. */
export function trustPolicy(service: string, sourceAccount?: string): string {
  return Fn.jsonencode({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AssumedByService',
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(sourceAccount !== undefined ? { Condition: { StringEquals: { 'aws:SourceAccount': sourceAccount } } } : {}),
      },
    ],
  });
}
