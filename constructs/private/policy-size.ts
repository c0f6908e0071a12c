/**
 * IAM's size limits, and the size a policy document will have once Terraform has rendered it and AWS has
 * resolved its references, so a construct can choose, at synth time, the narrowest policy that AWS will
 * accept (docs/security.md, "IAM at fleet scale").
 *
 * IAM quotas (IAM User Guide, "IAM and AWS STS quotas"): the inline policies of one role total at most
 * 10,240 characters, a customer managed policy at most 6,144, white space not counted. A policy over the
 * limit fails `terraform apply` (`LimitExceeded: Maximum policy size of 10240 bytes exceeded`), after the
 * plan was approved: the size must be known at synth.
 */
import { Token } from 'cdktf';
import type { PolicyDocument } from './iam';

export const IAM_LIMITS = {
  /** All inline policies of one role together (characters, white space not counted). */
  inlinePoliciesPerRole: 10_240,
  /** One customer managed policy. */
  managedPolicy: 6_144,
} as const;

/**
 * The share of a limit a construct plans for: 10% is kept free for what the estimate cannot know exactly
 * (a partition or region name longer than the bound, statements a user adds) and for the next release's
 * statements.
 */
export const POLICY_BUDGET_RATIO = 0.9;

/** The inline-policy budget of one role: 9,216 characters. */
export const INLINE_POLICY_BUDGET = Math.floor(IAM_LIMITS.inlinePoliciesPerRole * POLICY_BUDGET_RATIO);

/**
 * What an unresolved value (a Terraform reference such as `${aws_sqs_queue.Q.arn}`) counts for when nothing
 * better is known: longer than any ARN the constructs reference (a table, queue, topic, log group or
 * configuration set ARN of a 64-character name is under 160).
 */
export const DEFAULT_TOKEN_LENGTH = 192;

/** Upper bounds of the AWS context's parts, for ARNs built from unresolved partition, region or account. */
export const ARN_PART_BOUNDS = { partition: 16, region: 20, accountId: 12 } as const;

/** cdktf's encoding of an unresolved string inside a string. */
const STRING_TOKEN = /\$\{TfToken\[[^\]]+\]\}/g;

/**
 * The number of characters of `document` as IAM counts them: compact JSON (Terraform's `jsonencode` adds
 * no white space), each unresolved value counted as `tokenLength(token)` (default
 * {@link DEFAULT_TOKEN_LENGTH}). An upper bound when the token lengths are.
 */
export function renderedPolicyLength(
  document: PolicyDocument,
  tokenLength: (token: string) => number | undefined = () => undefined,
): number {
  const text = JSON.stringify(document);
  let length = text.length;
  for (const [token] of text.matchAll(STRING_TOKEN)) {
    length += (tokenLength(token) ?? DEFAULT_TOKEN_LENGTH) - token.length;
  }
  return length;
}

/**
 * Known lengths of unresolved values, by the token string cdktf gives them: a value that is a literal is
 * measured as it is, so only tokens are registered.
 */
export class TokenLengths {
  private readonly lengths = new Map<string, number>();

  /** Registers `value`'s resolved length when `value` is one unresolved token; returns `value`. */
  public set(value: string, length: number): string {
    if (Token.isUnresolved(value)) {
      for (const [token] of value.matchAll(STRING_TOKEN)) this.lengths.set(token, length);
    }
    return value;
  }

  /** The registered length of `token`, or undefined. */
  public get = (token: string): number | undefined => this.lengths.get(token);

  /** The length `text` will have: literal characters as they are, registered tokens at their length. */
  public lengthOf(text: string): number {
    let length = text.length;
    for (const [token] of text.matchAll(STRING_TOKEN)) {
      length += (this.lengths.get(token) ?? DEFAULT_TOKEN_LENGTH) - token.length;
    }
    return length;
  }
}
