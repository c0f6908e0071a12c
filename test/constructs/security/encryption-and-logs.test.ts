/**
 * The encryption, key rotation, recovery and log rules (BYODKIM-ENC1, ENC2, DDB1, LOG1, LOG2): each fed a
 * stack synthesized by cdktf with the provider's own resource classes, which breaks it, and one that meets it.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsKmsKey } from '@cdktf/provider-aws/lib/data-aws-kms-key';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { Construct } from 'constructs';
import {
  checkTerraform,
  customerManagedKeyAtRest,
  kmsKeyRotation,
  lambdaLogGroupDeclared,
  logGroupRetention,
  pointInTimeRecovery,
  type Finding,
  type SecurityRule,
} from '../../../constructs';
import { synth } from '../synth';

/** The findings of one rule over what `build` synthesizes. */
function findings(rule: SecurityRule, build: (scope: Construct) => void): Finding[] {
  return [...checkTerraform(synth(build).json, { rules: [rule] }).findings];
}

const table = (scope: Construct, id: string, extra: Partial<ConstructorParameters<typeof DynamodbTable>[2]> = {}) =>
  new DynamodbTable(scope, id, {
    name: id,
    hashKey: 'pk',
    attribute: [{ name: 'pk', type: 'S' }],
    billingMode: 'PAY_PER_REQUEST',
    ...extra,
  });

describe('BYODKIM-ENC1 CustomerManagedKeyAtRest', () => {
  it('Noncompliance 1: a queue with SSE-SQS only (a key AWS owns)', () => {
    const found = findings(customerManagedKeyAtRest, (s) => {
      new SqsQueue(s, 'Jobs', { name: 'jobs', sqsManagedSseEnabled: true });
    });
    expect(found).toEqual([
      expect.objectContaining({
        ruleId: 'BYODKIM-ENC1',
        address: 'aws_sqs_queue.Jobs',
        reason: expect.stringMatching(/^kms_master_key_id is not set \(without it: .*SSE-SQS/),
      }),
    ]);
  });

  it('Noncompliance 2: a topic on the AWS managed key alias/aws/sns', () => {
    const found = findings(customerManagedKeyAtRest, (s) => {
      new SnsTopic(s, 'Alerts', { name: 'alerts', kmsMasterKeyId: 'alias/aws/sns' });
    });
    expect(found).toEqual([
      expect.objectContaining({
        address: 'aws_sns_topic.Alerts',
        reason: expect.stringContaining('is the AWS managed key "alias/aws/sns"'),
      }),
    ]);
  });

  it('Noncompliance 3: a queue on an AWS managed key looked up by a data source', () => {
    const found = findings(customerManagedKeyAtRest, (s) => {
      const managed = new DataAwsKmsKey(s, 'SqsManaged', { keyId: 'alias/aws/sqs' });
      new SqsQueue(s, 'Jobs', { name: 'jobs', kmsMasterKeyId: managed.arn });
    });
    expect(found).toEqual([
      expect.objectContaining({
        address: 'aws_sqs_queue.Jobs',
        reason: expect.stringContaining('data.aws_kms_key.SqsManaged, the AWS managed key alias/aws/sqs'),
      }),
    ]);
  });

  it('Noncompliance 4: a secret, a log group and a table with no key of their own', () => {
    const found = findings(customerManagedKeyAtRest, (s) => {
      new SecretsmanagerSecret(s, 'Token', { name: 'token' });
      new CloudwatchLogGroup(s, 'Logs', { name: '/app', retentionInDays: 7 });
      table(s, 'State', { serverSideEncryption: { enabled: true } });
    });
    expect(found.map((f) => [f.address, f.reason.split(' (')[0]])).toEqual([
      ['aws_cloudwatch_log_group.Logs', 'kms_key_id is not set'],
      ['aws_dynamodb_table.State', 'server_side_encryption.kms_key_arn is not set'],
      ['aws_secretsmanager_secret.Token', 'kms_key_id is not set'],
    ]);
  });

  it('Noncompliance 5: a key field that references something other than a KMS key', () => {
    const found = findings(customerManagedKeyAtRest, (s) => {
      const other = new SqsQueue(s, 'Other', { name: 'other', kmsMasterKeyId: 'alias/mine' });
      new SnsTopic(s, 'Alerts', { name: 'alerts', kmsMasterKeyId: other.arn });
    });
    expect(found).toEqual([
      expect.objectContaining({
        address: 'aws_sns_topic.Alerts',
        reason: expect.stringContaining('references aws_sqs_queue.Other, which is not a KMS key'),
      }),
    ]);
  });

  it('Compliance: all five kinds encrypted with a customer-managed key', () => {
    const { json } = synth((s) => {
      const key = new KmsKey(s, 'Key', { enableKeyRotation: true });
      new SqsQueue(s, 'Jobs', { name: 'jobs', kmsMasterKeyId: key.arn });
      new SnsTopic(s, 'Alerts', { name: 'alerts', kmsMasterKeyId: key.keyId });
      new SecretsmanagerSecret(s, 'Token', { name: 'token', kmsKeyId: key.arn });
      new CloudwatchLogGroup(s, 'Logs', { name: '/app', retentionInDays: 7, kmsKeyId: key.arn });
      table(s, 'State', { serverSideEncryption: { enabled: true, kmsKeyArn: key.arn } });
    });
    const report = checkTerraform(json, { rules: [customerManagedKeyAtRest] });
    expect(report.findings).toEqual([]);
    expect(report.tally[0]).toMatchObject({ compliant: 5, nonCompliant: 0 });
  });
});

describe('BYODKIM-ENC2 KmsKeyRotation', () => {
  it('Noncompliance: a symmetric key without automatic rotation', () => {
    expect(findings(kmsKeyRotation, (s) => new KmsKey(s, 'Key', {}))).toEqual([
      expect.objectContaining({ address: 'aws_kms_key.Key', reason: expect.stringMatching(/enable_key_rotation/) }),
    ]);
  });

  it('Compliance: rotation on; an asymmetric signing key is not applicable (KMS cannot rotate it)', () => {
    const { json } = synth((s) => {
      new KmsKey(s, 'Key', { enableKeyRotation: true });
      new KmsKey(s, 'Signing', { customerMasterKeySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' });
    });
    const report = checkTerraform(json, { rules: [kmsKeyRotation] });
    expect(report.findings).toEqual([]);
    expect(report.tally[0]).toMatchObject({ compliant: 1, nonCompliant: 0 });
  });
});

describe('BYODKIM-DDB1 PointInTimeRecovery', () => {
  it('Noncompliance: a table without point-in-time recovery', () => {
    expect(findings(pointInTimeRecovery, (s) => table(s, 'State'))).toEqual([
      expect.objectContaining({ address: 'aws_dynamodb_table.State', reason: expect.stringMatching(/point_in_time/) }),
    ]);
  });

  it('Compliance: recovery on', () => {
    expect(findings(pointInTimeRecovery, (s) => table(s, 'State', { pointInTimeRecovery: { enabled: true } }))).toEqual(
      [],
    );
  });
});

describe('BYODKIM-LOG1 LogGroupRetention', () => {
  it('Noncompliance: no retention, and retention 0 (never expire)', () => {
    const found = findings(logGroupRetention, (s) => {
      new CloudwatchLogGroup(s, 'Forever', { name: '/forever' });
      new CloudwatchLogGroup(s, 'Zero', { name: '/zero', retentionInDays: 0 });
    });
    expect(found.map((f) => [f.address, f.reason])).toEqual([
      ['aws_cloudwatch_log_group.Forever', 'retention_in_days is not set (logs never expire): set a retention'],
      ['aws_cloudwatch_log_group.Zero', 'retention_in_days is 0 (logs never expire): set a retention of 1 day or more'],
    ]);
  });

  it('Compliance: 30 days', () => {
    expect(findings(logGroupRetention, (s) => new CloudwatchLogGroup(s, 'L', { retentionInDays: 30 }))).toEqual([]);
  });
});

describe('BYODKIM-LOG2 LambdaLogGroupDeclared', () => {
  const fn = (scope: Construct, extra: Partial<ConstructorParameters<typeof LambdaFunction>[2]> = {}) =>
    new LambdaFunction(scope, 'Fn', {
      functionName: 'app-fn',
      role: 'arn:aws:iam::111111111111:role/app',
      filename: 'fn.zip',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      ...extra,
    });

  it('Noncompliance 1: a function whose log group Lambda would create itself', () => {
    expect(findings(lambdaLogGroupDeclared, (s) => fn(s))).toEqual([
      expect.objectContaining({
        address: 'aws_lambda_function.Fn',
        reason: "no aws_cloudwatch_log_group named /aws/lambda/app-fn: declare the function's log group",
      }),
    ]);
  });

  it('Noncompliance 2: logging_config names a log group the configuration does not declare', () => {
    const found = findings(lambdaLogGroupDeclared, (s) =>
      fn(s, { loggingConfig: { logFormat: 'JSON', logGroup: '/x' } }),
    );
    expect(found).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/"\/x" is not an aws_cloudwatch/) }),
    ]);
  });

  it('Compliance: /aws/lambda/<name> declared, or logging_config referencing a declared group', () => {
    expect(
      findings(lambdaLogGroupDeclared, (s) => {
        new CloudwatchLogGroup(s, 'FnLogs', { name: '/aws/lambda/app-fn', retentionInDays: 7 });
        fn(s);
      }),
    ).toEqual([]);
    expect(
      findings(lambdaLogGroupDeclared, (s) => {
        const logs = new CloudwatchLogGroup(s, 'Shared', { name: '/apps', retentionInDays: 7 });
        fn(s, { loggingConfig: { logFormat: 'JSON', logGroup: logs.name } });
      }),
    ).toEqual([]);
  });
});
