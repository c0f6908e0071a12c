import { block, isExpression, soleReference, type TerraformConfig } from '../terraform';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type Json, type SecurityRule } from '../types';

/** Where each type names its key, and what it falls back to without one. */
const KEY_FIELD: Readonly<Record<string, { readonly field: string; readonly without: string }>> = {
  aws_secretsmanager_secret: { field: 'kms_key_id', without: 'the AWS managed key aws/secretsmanager' },
  aws_sqs_queue: { field: 'kms_master_key_id', without: 'no encryption, or SSE-SQS (a key AWS owns)' },
  aws_sns_topic: { field: 'kms_master_key_id', without: 'no encryption at rest under a key you control' },
  aws_cloudwatch_log_group: { field: 'kms_key_id', without: 'the service-owned key of CloudWatch Logs' },
  aws_dynamodb_table: { field: 'server_side_encryption.kms_key_arn', without: 'a key AWS owns' },
};

const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\//;
const KEY_TYPES = ['aws_kms_key', 'aws_kms_replica_key', 'aws_kms_alias'];

/** Why a key value is not a customer-managed key, or undefined when it is one. */
function notCustomerManaged(value: unknown, config: TerraformConfig): string | undefined {
  if (typeof value !== 'string' || value === '') return 'is not set';
  if (AWS_MANAGED_ALIAS.test(value)) return `is the AWS managed key ${JSON.stringify(value)}`;
  const ref = soleReference(value);
  if (ref) {
    const target = config.resolve(ref);
    if (!target) return `references ${value}, which is not in the configuration`;
    if (!KEY_TYPES.includes(target.type)) return `references ${target.address}, which is not a KMS key`;
    // A data source may look up an AWS managed key by its alias (`alias/aws/sqs`).
    const looked = target.config.key_id ?? target.config.name;
    if (typeof looked === 'string' && AWS_MANAGED_ALIAS.test(looked)) {
      return `is ${target.address}, the AWS managed key ${looked}`;
    }
    return undefined;
  }
  // A literal key ARN, key id or alias of the account's own, or an expression this rule cannot follow.
  if (isExpression(value) || /^(arn:[^:]+:kms:|alias\/|[0-9a-f-]{36}$|mrk-)/.test(value)) return undefined;
  return `is ${JSON.stringify(value)}, which is not a KMS key ARN, id or alias`;
}

function keyOf(type: string, resource: Json): unknown {
  if (type !== 'aws_dynamodb_table') return resource[KEY_FIELD[type].field];
  const sse = block(resource.server_side_encryption);
  return sse?.enabled === true ? sse.kms_key_arn : undefined;
}

export const customerManagedKeyAtRest: SecurityRule = {
  id: 'BYODKIM-ENC1',
  name: 'CustomerManagedKeyAtRest',
  severity: 'error',
  rationale:
    'Secrets, tables, queues, topics and log groups are encrypted with a KMS key the account manages: its key ' +
    'policy decides who may read the data, its use is logged in CloudTrail, and disabling it cuts off access. ' +
    'AWS managed and AWS owned keys allow none of that.',
  check(subject, config) {
    if (subject.kind !== 'resource' || !(subject.type in KEY_FIELD)) return NOT_APPLICABLE;
    const { field, without } = KEY_FIELD[subject.type];
    const problem = notCustomerManaged(keyOf(subject.type, subject.config), config);
    if (problem === undefined) return COMPLIANT;
    const fallback = problem === 'is not set' ? ` (without it: ${without})` : '';
    return nonCompliant(`${field} ${problem}${fallback}: encrypt it with a customer-managed KMS key`);
  },
};
