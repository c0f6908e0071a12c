/**
 * What a security rule is and what it answers, in the style of cdk-nag: a rule judges one part of a
 * synthesized Terraform configuration (a resource, a data source, the `terraform` block, …) and answers
 * compliant, non-compliant (with the reason) or not applicable. Rules read the JSON Terraform is given
 * (`cdk.tf.json`), never the constructs that produced it, so they judge another team's stack the same way.
 */
import type { TerraformConfig } from './terraform';

/** Synthesized Terraform JSON, or any part of it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** `error` fails the check (and the synth, with {@link addSecurityChecks}); `warning` is reported only. */
export type Severity = 'error' | 'warning';

export type RuleResult =
  | { readonly status: 'compliant' }
  | { readonly status: 'not-applicable' }
  | { readonly status: 'non-compliant'; readonly reasons: readonly string[] };

export const COMPLIANT: RuleResult = { status: 'compliant' };
export const NOT_APPLICABLE: RuleResult = { status: 'not-applicable' };

/** Non-compliant for every reason given; compliant when there is none. */
export function nonCompliant(...reasons: readonly string[]): RuleResult {
  return reasons.length === 0 ? COMPLIANT : { status: 'non-compliant', reasons };
}

/**
 * One part of the configuration a rule judges. `address` is what Terraform calls it
 * (`aws_sqs_queue.WorkQueue_1A2B`, `data.aws_iam_policy_document.x`, `terraform`, `output.y`).
 */
export interface Subject {
  readonly kind: 'resource' | 'data' | 'ephemeral' | 'block';
  /** The resource or data source type; for a block, its top-level key (`terraform`, `output`, `provider`, …). */
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly config: Json;
}

export interface SecurityRule {
  /** Stable identifier used in findings and suppressions, e.g. `BYODKIM-ENC1`. */
  readonly id: string;
  /** What holds when the rule is met, e.g. `CustomerManagedKeyAtRest`. */
  readonly name: string;
  readonly severity: Severity;
  /** Why it matters, in one or two sentences (shown in docs/security.md and with each finding). */
  readonly rationale: string;
  /** Judges one subject; `config` gives the rest of the configuration (references, options). */
  check(subject: Subject, config: TerraformConfig): RuleResult;
}

/** One non-compliant subject. */
export interface Finding {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: Severity;
  /** The Terraform address of the subject, e.g. `aws_iam_role_policy.Worker_Policy_1A2B`. */
  readonly address: string;
  /** The construct path cdktf recorded (`//.metadata.path`), when there is one. */
  readonly path?: string;
  readonly reason: string;
}
