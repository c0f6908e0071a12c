/**
 * Security rules over synthesized Terraform, in the style of cdk-nag: one rule per file under `rules/`,
 * grouped in a pack (`pack.ts`). Run them on any stack with {@link checkTerraform} or make `cdktf synth`
 * fail on a finding with {@link addSecurityChecks}. docs/security.md lists every rule and why.
 */
export * from './types';
export { TerraformConfig, referencesIn, type CheckOptions, type Reference } from './terraform';
export { isWriteAction, parseRenderedPolicy, type PolicyRead, type Statement } from './iam';
export * from './pack';
export { alarmHasAction } from './rules/alarm-has-action';
export { chatbotLogGroupDeclared } from './rules/chatbot-log-group-declared';
export { customerManagedKeyAtRest } from './rules/customer-managed-key-at-rest';
export { deletionProtectionInProduction } from './rules/deletion-protection-in-production';
export { kmsKeyRotation } from './rules/kms-key-rotation';
export { lambdaLogGroupDeclared } from './rules/lambda-log-group-declared';
export { logGroupRetention } from './rules/log-group-retention';
export { isMonitorRole, MONITOR_ROLE_TAG, monitorReadOnly } from './rules/monitor-read-only';
export { keyMaterialIn, noKeyMaterial } from './rules/no-key-material';
export { noPrivateKeyVariable } from './rules/no-private-key-variable';
export { noSecretValue } from './rules/no-secret-value';
export { noTlsPrivateKey } from './rules/no-tls-private-key';
export { isEveryResource, noUnconditionedWriteOnEveryResource } from './rules/no-unconditioned-write-on-every-resource';
export { pointInTimeRecovery } from './rules/point-in-time-recovery';
export {
  ROUTE53_ACTIONS,
  ROUTE53_NAMES,
  ROUTE53_TYPES,
  route53DkimRecordsOnly,
} from './rules/route53-dkim-records-only';
export { s3BackendEncryptedAndLocked } from './rules/s3-backend-encrypted-and-locked';
export { scopedResourceActions } from './rules/scoped-resource-actions';
export { secretsScoped } from './rules/secrets-scoped';
export { sendEmailFromSenderOnly } from './rules/send-email-from-sender-only';
export { sesIdentityIgnoresDkimSigning } from './rules/ses-identity-ignores-dkim-signing';
