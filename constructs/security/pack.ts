/**
 * The byodkim security pack: every rule of `rules/`, run over a synthesized Terraform configuration, and the
 * validation that fails `cdktf synth` when a rule at `error` severity is not met.
 *
 * ```ts
 * import { addSecurityChecks, checkTerraform } from 'byodkim/constructs';
 * addSecurityChecks(stack);                       // synth fails on a finding
 * const report = checkTerraform(stack.toTerraform()); // or inspect the findings yourself
 * ```
 */
import { Annotations, type TerraformStack } from 'cdktf';
import { alarmHasAction } from './rules/alarm-has-action';
import { chatbotLogGroupDeclared } from './rules/chatbot-log-group-declared';
import { customerManagedKeyAtRest } from './rules/customer-managed-key-at-rest';
import { deletionProtectionInProduction } from './rules/deletion-protection-in-production';
import { kmsKeyRotation } from './rules/kms-key-rotation';
import { lambdaLogGroupDeclared } from './rules/lambda-log-group-declared';
import { logGroupRetention } from './rules/log-group-retention';
import { monitorReadOnly } from './rules/monitor-read-only';
import { noKeyMaterial } from './rules/no-key-material';
import { noPrivateKeyVariable } from './rules/no-private-key-variable';
import { noSecretValue } from './rules/no-secret-value';
import { noTlsPrivateKey } from './rules/no-tls-private-key';
import { noUnconditionedWriteOnEveryResource } from './rules/no-unconditioned-write-on-every-resource';
import { pointInTimeRecovery } from './rules/point-in-time-recovery';
import { route53DkimRecordsOnly } from './rules/route53-dkim-records-only';
import { s3BackendEncryptedAndLocked } from './rules/s3-backend-encrypted-and-locked';
import { scopedResourceActions } from './rules/scoped-resource-actions';
import { secretsScoped } from './rules/secrets-scoped';
import { sendEmailFromSenderOnly } from './rules/send-email-from-sender-only';
import { sesIdentityIgnoresDkimSigning } from './rules/ses-identity-ignores-dkim-signing';
import { constructPath, TerraformConfig, type CheckOptions } from './terraform';
import type { Finding, Json, SecurityRule } from './types';

/** Every rule of the pack, in the order docs/security.md lists them. */
export const SECURITY_RULES: readonly SecurityRule[] = [
  customerManagedKeyAtRest,
  kmsKeyRotation,
  pointInTimeRecovery,
  logGroupRetention,
  lambdaLogGroupDeclared,
  chatbotLogGroupDeclared,
  noUnconditionedWriteOnEveryResource,
  scopedResourceActions,
  route53DkimRecordsOnly,
  sendEmailFromSenderOnly,
  secretsScoped,
  monitorReadOnly,
  noTlsPrivateKey,
  noSecretValue,
  noKeyMaterial,
  noPrivateKeyVariable,
  sesIdentityIgnoresDkimSigning,
  deletionProtectionInProduction,
  s3BackendEncryptedAndLocked,
  alarmHasAction,
];

/** A finding accepted on purpose, with the reason why (kept in the report, never silently dropped). */
export interface Suppression {
  /** The rule, e.g. `BYODKIM-IAM2`. */
  readonly ruleId: string;
  /** The Terraform address (`aws_iam_role_policy.Ci_Policy_1A2B`) or construct path prefix; every subject when absent. */
  readonly address?: string;
  /** Why the finding is acceptable: at least 10 characters, shown in the report. */
  readonly reason: string;
}

export interface SecurityCheckOptions extends CheckOptions {
  /** The rules to run. @default SECURITY_RULES */
  readonly rules?: readonly SecurityRule[];
  /** Findings accepted on purpose. @default none */
  readonly suppressions?: readonly Suppression[];
}

/** How many subjects each rule found compliant, non-compliant and not applicable. */
export interface RuleTally {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly compliant: number;
  readonly nonCompliant: number;
  readonly notApplicable: number;
}

export interface SecurityReport {
  /** Non-compliant subjects, suppressed ones excepted. */
  readonly findings: readonly Finding[];
  /** The findings a suppression accepted, with its reason. */
  readonly suppressed: readonly (Finding & { readonly suppression: string })[];
  readonly tally: readonly RuleTally[];
  /** True when no finding of severity `error` is left. */
  readonly passed: boolean;
}

function checkSuppressions(suppressions: readonly Suppression[], rules: readonly SecurityRule[]): void {
  for (const [i, s] of suppressions.entries()) {
    if (!rules.some((r) => r.id === s.ruleId)) {
      throw new Error(
        `suppressions[${i}].ruleId must be the id of a rule of the pack (given ${JSON.stringify(s.ruleId)})`,
      );
    }
    if (typeof s.reason !== 'string' || s.reason.trim().length < 10) {
      throw new Error(
        `suppressions[${i}].reason must say why, in 10 characters or more (given ${JSON.stringify(s.reason)})`,
      );
    }
  }
}

/** Runs the pack over a synthesized configuration (`stack.toTerraform()`, or a parsed `cdk.tf.json`). */
export function checkTerraform(json: Json, options: SecurityCheckOptions = {}): SecurityReport {
  const rules = options.rules ?? SECURITY_RULES;
  const suppressions = options.suppressions ?? [];
  checkSuppressions(suppressions, rules);
  const config = new TerraformConfig(json, options);
  const findings: Finding[] = [];
  const suppressed: (Finding & { suppression: string })[] = [];
  const tally: RuleTally[] = rules.map((rule) => {
    const counts = { compliant: 0, nonCompliant: 0, notApplicable: 0 };
    for (const subject of config.subjects) {
      const result = rule.check(subject, config);
      if (result.status === 'compliant') counts.compliant += 1;
      else if (result.status === 'not-applicable') counts.notApplicable += 1;
      else {
        counts.nonCompliant += 1;
        const path = constructPath(subject);
        const suppression = suppressions.find(
          (s) =>
            s.ruleId === rule.id &&
            (s.address === undefined || s.address === subject.address || (path?.startsWith(s.address) ?? false)),
        );
        for (const reason of result.reasons) {
          const finding: Finding = {
            ruleId: rule.id,
            ruleName: rule.name,
            severity: rule.severity,
            address: subject.address,
            ...(path !== undefined ? { path } : {}),
            reason,
          };
          if (suppression) suppressed.push({ ...finding, suppression: suppression.reason });
          else findings.push(finding);
        }
      }
    }
    return { ruleId: rule.id, ruleName: rule.name, ...counts };
  });
  return { findings, suppressed, tally, passed: !findings.some((f) => f.severity === 'error') };
}

/** One line per finding: `[BYODKIM-ENC1 CustomerManagedKeyAtRest] aws_sqs_queue.Q_1A2B: kms_master_key_id is not set …`. */
export function formatFinding(finding: Finding): string {
  const where = finding.path !== undefined ? ` (${finding.path})` : '';
  return `[${finding.ruleId} ${finding.ruleName}] ${finding.address}${where}: ${finding.reason}`;
}

/**
 * Runs the pack when `stack` is synthesized: `cdktf synth` fails with one line per finding of severity
 * `error` (rule, Terraform address, construct path, reason); a `warning` is added as an annotation.
 */
export function addSecurityChecks(stack: TerraformStack, options: SecurityCheckOptions = {}): void {
  checkSuppressions(options.suppressions ?? [], options.rules ?? SECURITY_RULES);
  let warned = false;
  stack.node.addValidation({
    validate: () => {
      const report = checkTerraform(stack.toTerraform(), options);
      if (!warned) {
        warned = true;
        for (const f of report.findings.filter((f) => f.severity === 'warning')) {
          Annotations.of(stack).addWarning(formatFinding(f));
        }
      }
      return report.findings.filter((f) => f.severity === 'error').map(formatFinding);
    },
  });
}
