/**
 * The rules over resources (BYODKIM-ENC1, ENC2, DDB1, LOG1, LOG2; KEY1 … KEY4; SES1, DEL1, TF1, ALM1): each
 * fed a configuration that breaks it — synthesized by cdktf with the provider's own resource classes, or
 * minimal JSON where the provider has no such resource (tls_private_key belongs to another provider) — and
 * one that meets it; each finding names the resource. (The IAM rules are in iam.test.ts.)
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { S3Backend, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ChatbotSlackChannelConfiguration } from '@cdktf/provider-aws/lib/chatbot-slack-channel-configuration';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsKmsKey } from '@cdktf/provider-aws/lib/data-aws-kms-key';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import {
  alarmHasAction,
  ByodkimDomain,
  chatbotLogGroupDeclared,
  checkTerraform,
  customerManagedKeyAtRest,
  deletionProtectionInProduction,
  keyMaterialIn,
  KeyStoreKey,
  kmsKeyRotation,
  lambdaLogGroupDeclared,
  logGroupRetention,
  noKeyMaterial,
  noPrivateKeyVariable,
  noSecretValue,
  noTlsPrivateKey,
  pointInTimeRecovery,
  s3BackendEncryptedAndLocked,
  sesIdentityIgnoresDkimSigning,
  type Finding,
  type Json,
  type SecurityRule,
} from '../../../constructs';
import { synth, synthStack } from '../synth';

const rulesFindings = (rule: SecurityRule, json: Json, production?: boolean): Finding[] => [
  ...checkTerraform(json, { rules: [rule], ...(production !== undefined ? { production } : {}) }).findings,
];
const findings = (rule: SecurityRule, build: (scope: Construct) => void): Finding[] =>
  rulesFindings(rule, synth(build).json);

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const PKCS1_PEM = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8_DER = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
const SPKI_DER = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

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

describe('BYODKIM-LOG3 ChatbotLogGroupDeclared', () => {
  const channel = (scope: Construct, loggingLevel?: string) =>
    new ChatbotSlackChannelConfiguration(scope, 'Slack', {
      configurationName: 'mail-alarms',
      iamRoleArn: 'arn:aws:iam::111111111111:role/chatbot',
      slackChannelId: 'C0123',
      slackTeamId: 'T0123',
      ...(loggingLevel !== undefined ? { loggingLevel } : {}),
    });
  const logGroup = (scope: Construct, extra: Partial<ConstructorParameters<typeof CloudwatchLogGroup>[2]> = {}) =>
    new CloudwatchLogGroup(scope, 'ChatbotLogs', { name: '/aws/chatbot/mail-alarms', retentionInDays: 30, ...extra });

  it('Noncompliance 1: a channel that logs to a log group Chatbot would create in us-east-1 (an error)', () => {
    expect(findings(chatbotLogGroupDeclared, (s) => channel(s, 'ERROR'))).toEqual([
      expect.objectContaining({
        ruleId: 'BYODKIM-LOG3',
        severity: 'error',
        address: 'aws_chatbot_slack_channel_configuration.Slack',
        reason: expect.stringMatching(/^logging_level ERROR writes to \/aws\/chatbot\/mail-alarms \(us-east-1\)/),
      }),
    ]);
  });

  it('Noncompliance 2: the log group declared in the stack’s region (ap-northeast-1), not where Chatbot writes', () => {
    expect(
      findings(chatbotLogGroupDeclared, (s) => {
        channel(s, 'INFO');
        logGroup(s);
      }),
    ).toEqual([
      expect.objectContaining({
        reason:
          '/aws/chatbot/mail-alarms is declared in ap-northeast-1, but Chatbot writes it in us-east-1: declare it ' +
          "through a provider (or the resource's region) for us-east-1",
      }),
    ]);
  });

  it('Compliance: no logging, or the log group declared in us-east-1 (resource region or provider alias)', () => {
    expect(findings(chatbotLogGroupDeclared, (s) => channel(s))).toEqual([]);
    expect(
      findings(chatbotLogGroupDeclared, (s) => {
        channel(s, 'INFO');
        logGroup(s, { region: 'us-east-1' });
      }),
    ).toEqual([]);
    expect(
      findings(chatbotLogGroupDeclared, (s) => {
        channel(s, 'ERROR');
        const east = new AwsProvider(s, 'east', { alias: 'east', region: 'us-east-1' });
        logGroup(s, { provider: east });
      }),
    ).toEqual([]);
  });
});

describe('BYODKIM-KEY1 NoTlsPrivateKey', () => {
  it('Noncompliance: a tls_private_key resource, and one as a data source', () => {
    const json = {
      resource: { tls_private_key: { dkim: { algorithm: 'RSA', rsa_bits: 2048 } } },
      data: { tls_private_key: { read: {} } },
    };
    expect(rulesFindings(noTlsPrivateKey, json).map((f) => [f.address, f.reason])).toEqual([
      ['tls_private_key.dkim', 'a resource tls_private_key puts a private key into the Terraform state'],
      ['data.tls_private_key.read', 'a data tls_private_key puts a private key into the Terraform state'],
    ]);
  });

  it('Compliance: no such resource', () => {
    expect(rulesFindings(noTlsPrivateKey, { resource: { aws_sqs_queue: { q: {} } } })).toEqual([]);
  });
});

describe('BYODKIM-KEY2 NoSecretValue', () => {
  it('Noncompliance: a secret value written by Terraform, and one read by a data source', () => {
    const { json } = synth((s) => {
      new SecretsmanagerSecretVersion(s, 'Key', { secretId: 'byodkim-prod/example.com/k1', secretString: 'x' });
    });
    json.data = { aws_secretsmanager_secret_version: { read: { secret_id: 'byodkim-prod/example.com/k1' } } };
    expect(rulesFindings(noSecretValue, json).map((f) => f.address)).toEqual([
      'aws_secretsmanager_secret_version.Key',
      'data.aws_secretsmanager_secret_version.read',
    ]);
  });
});

describe('BYODKIM-KEY3 NoKeyMaterial', () => {
  const fn = (scope: Construct, variables: Record<string, string>) =>
    new LambdaFunction(scope, 'Fn', {
      functionName: 'fn',
      role: 'arn:aws:iam::111111111111:role/fn',
      filename: 'fn.zip',
      handler: 'index.handler',
      runtime: 'nodejs22.x',
      environment: { variables },
    });

  it('Noncompliance 1: a PEM private key in a Lambda environment (the reason names the field, never the key)', () => {
    const found = findings(noKeyMaterial, (s) => fn(s, { KEY: PKCS1_PEM }));
    expect(found).toEqual([
      expect.objectContaining({
        ruleId: 'BYODKIM-KEY3',
        address: 'aws_lambda_function.Fn',
        reason: 'environment.variables.KEY holds a PEM block (BEGIN RSA PRIVATE KEY)',
      }),
    ]);
  });

  it('Noncompliance 2: a DKIM public key in a TXT record, split in 255-character strings', () => {
    const value = `v=DKIM1; k=rsa; p=${SPKI_DER}`;
    const found = findings(noKeyMaterial, (s) => {
      new Route53Record(s, 'Dkim', {
        zoneId: 'Z1',
        name: 'sel1._domainkey.example.com',
        type: 'TXT',
        ttl: 300,
        records: [value.match(/.{1,100}/g)!.join('""')],
      });
    });
    expect(found.map((f) => [f.address, f.reason])).toEqual([
      ['aws_route53_record.Dkim', 'records[0] holds a public key or certificate (base64 DER)'],
    ]);
  });

  it.each([
    ['a base64 PKCS#8 private key', PKCS8_DER, 'a private key (base64 DER)'],
    ['a base64-encoded PEM', Buffer.from(PKCS1_PEM).toString('base64'), 'a base64-encoded PEM block'],
    ['a key file read by Terraform', '${file("keys/dkim.pem")}', 'a key file read into the configuration'],
  ])('Noncompliance: %s in an output', (_case, value, kind) => {
    const found = rulesFindings(noKeyMaterial, { output: { leaked: { value } } });
    expect(found).toEqual([expect.objectContaining({ address: 'output.leaked', reason: `value holds ${kind}` })]);
    expect(found[0].reason).not.toContain(value.slice(0, 40));
  });

  it('Compliance: hashes, ARNs and random base64 of key sizes are not key material', () => {
    // 2,000 deterministic pseudo-random strings of 48 to 300 bytes, base64: none looks like DER.
    let seed = Buffer.from('byodkim');
    for (let i = 0; i < 2000; i += 1) {
      seed = createHash('sha512').update(seed).digest();
      const bytes = Buffer.concat(
        Array.from({ length: 1 + (i % 5) }, (_, k) => createHash('sha512').update(seed).update(String(k)).digest()),
      );
      expect(keyMaterialIn(bytes.subarray(0, 48 + (i % 253)).toString('base64'))).toBeUndefined();
    }
    expect(keyMaterialIn(createHash('sha256').update('bundle').digest('base64'))).toBeUndefined();
    expect(
      keyMaterialIn('arn:aws:kms:ap-northeast-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ).toBeUndefined();
  });
});

describe('BYODKIM-KEY4 NoPrivateKeyVariable', () => {
  it('Noncompliance: a Lambda variable named for a private key', () => {
    const json = {
      resource: { aws_lambda_function: { fn: { environment: { variables: { DKIM_PRIVATE_KEY: 'x' } } } } },
    };
    expect(rulesFindings(noPrivateKeyVariable, json)).toEqual([
      expect.objectContaining({
        address: 'aws_lambda_function.fn',
        reason: 'environment variable DKIM_PRIVATE_KEY is named for key material',
      }),
    ]);
  });

  it('Compliance: names and ARNs', () => {
    const json = {
      resource: { aws_lambda_function: { fn: { environment: { variables: { BYODKIM_SECRET_PREFIX: 'x' } } } } },
    };
    expect(rulesFindings(noPrivateKeyVariable, json)).toEqual([]);
  });
});

describe('BYODKIM-SES1 SesIdentityIgnoresDkimSigning', () => {
  it('Noncompliance 1: an identity Terraform would reset at the next apply', () => {
    const found = findings(sesIdentityIgnoresDkimSigning, (s) => {
      new Sesv2EmailIdentity(s, 'Identity', { emailIdentity: 'example.com' });
    });
    expect(found).toEqual([
      expect.objectContaining({
        address: 'aws_sesv2_email_identity.Identity',
        reason: expect.stringMatching(/^lifecycle.ignore_changes does not list dkim_signing_attributes/),
      }),
    ]);
  });

  it('Noncompliance 2: an identity given its private key through Terraform (also key material)', () => {
    const { json } = synth((s) => {
      new Sesv2EmailIdentity(s, 'Identity', {
        emailIdentity: 'example.com',
        dkimSigningAttributes: { domainSigningPrivateKey: PKCS8_DER, domainSigningSelector: 'sel1' },
        lifecycle: { ignoreChanges: ['dkim_signing_attributes'] },
      });
    });
    expect(rulesFindings(sesIdentityIgnoresDkimSigning, json).map((f) => f.reason)).toEqual([
      'dkim_signing_attributes.domain_signing_private_key is set: the key would be in the state',
    ]);
    expect(rulesFindings(noKeyMaterial, json).map((f) => f.reason)).toEqual([
      'dkim_signing_attributes.domain_signing_private_key holds a private key (base64 DER)',
    ]);
  });

  it('Compliance: the identity ByodkimDomain synthesizes', () => {
    const { json } = synth((s) => {
      const key = new KeyStoreKey(s, 'Key', { accountId: '111111111111', region: 'ap-northeast-1' });
      new ByodkimDomain(s, 'example.com', {
        domain: 'example.com',
        dns: { kind: 'external', contacts: ['dns@example.com'] },
        encryptionKey: key,
      });
    });
    const report = checkTerraform(json, { rules: [sesIdentityIgnoresDkimSigning] });
    expect(report.findings).toEqual([]);
    expect(report.tally[0].compliant).toBe(1);
  });
});

describe('BYODKIM-DEL1 DeletionProtectionInProduction', () => {
  const build = (scope: Construct, protect: boolean) => {
    new DynamodbTable(scope, 'State', {
      name: 'state',
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      deletionProtectionEnabled: protect,
      lifecycle: { preventDestroy: protect },
    });
  };

  it('Noncompliance: an unprotected table, in production', () => {
    const { json } = synth((s) => build(s, false));
    expect(rulesFindings(deletionProtectionInProduction, json, true).map((f) => [f.address, f.reason])).toEqual([
      ['aws_dynamodb_table.State', 'lifecycle.prevent_destroy is not true in production'],
      ['aws_dynamodb_table.State', 'deletion_protection_enabled is not true in production'],
    ]);
  });

  it('Noncompliance: prevent_destroy turned off on any resource, production inferred from the Environment tag', () => {
    const stack = new TerraformStack(Testing.app(), 'prod');
    new AwsProvider(stack, 'aws', { region: 'ap-northeast-1', defaultTags: [{ tags: { Environment: 'prod' } }] });
    new LambdaFunction(stack, 'Fn', {
      functionName: 'fn',
      role: 'r',
      filename: 'f.zip',
      lifecycle: { preventDestroy: false },
    });
    const { json } = synthStack(stack);
    expect(rulesFindings(deletionProtectionInProduction, json)).toEqual([
      expect.objectContaining({
        address: 'aws_lambda_function.Fn',
        reason: 'lifecycle.prevent_destroy is turned off in production',
      }),
    ]);
    expect(rulesFindings(deletionProtectionInProduction, json, false)).toEqual([]);
  });

  it('Compliance: protected in production; not applicable outside it', () => {
    expect(rulesFindings(deletionProtectionInProduction, synth((s) => build(s, true)).json, true)).toEqual([]);
    const report = checkTerraform(synth((s) => build(s, false)).json, { rules: [deletionProtectionInProduction] });
    expect(report.tally[0]).toMatchObject({ compliant: 0, nonCompliant: 0 });
  });
});

describe('BYODKIM-TF1 S3BackendEncryptedAndLocked', () => {
  const withBackend = (props: Partial<ConstructorParameters<typeof S3Backend>[1]>): Json => {
    const stack = new TerraformStack(Testing.app(), 'stack');
    new AwsProvider(stack, 'aws', { region: 'ap-northeast-1' });
    new S3Backend(stack, { bucket: 'state', key: 'k', region: 'ap-northeast-1', ...props });
    return synthStack(stack).json;
  };

  it('Noncompliance: a state neither encrypted nor locked', () => {
    expect(rulesFindings(s3BackendEncryptedAndLocked, withBackend({})).map((f) => [f.address, f.reason])).toEqual([
      ['terraform', 'backend.s3.encrypt is not true: the state is stored unencrypted'],
      ['terraform', 'backend.s3 has neither use_lockfile = true nor dynamodb_table: the state is not locked'],
    ]);
  });

  it('Compliance: encrypted and locked by a DynamoDB table; not applicable without an S3 backend', () => {
    expect(rulesFindings(s3BackendEncryptedAndLocked, withBackend({ encrypt: true, dynamodbTable: 'locks' }))).toEqual(
      [],
    );
    const report = checkTerraform(synth(() => undefined).json, { rules: [s3BackendEncryptedAndLocked] });
    expect(report.tally[0]).toMatchObject({ compliant: 0, nonCompliant: 0 });
  });
});

describe('BYODKIM-ALM1 AlarmHasAction', () => {
  const alarm = (
    scope: Construct,
    id: string,
    extra: Partial<ConstructorParameters<typeof CloudwatchMetricAlarm>[2]>,
  ) =>
    new CloudwatchMetricAlarm(scope, id, {
      alarmName: id,
      namespace: 'Byodkim',
      metricName: 'MonitorRuns',
      statistic: 'Sum',
      period: 3600,
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      ...extra,
    });

  it('Noncompliance: an alarm that tells no one, and one whose actions are disabled', () => {
    const found = findings(alarmHasAction, (s) => {
      alarm(s, 'Silent', {});
      alarm(s, 'Disabled', { alarmActions: ['arn:aws:sns:ap-northeast-1:111111111111:alarms'], actionsEnabled: false });
    });
    expect(found.map((f) => [f.address, f.reason])).toEqual([
      ['aws_cloudwatch_metric_alarm.Disabled', 'actions_enabled is false: its actions never run'],
      ['aws_cloudwatch_metric_alarm.Silent', 'alarm_actions is empty: no one is told'],
    ]);
  });

  it('Compliance: an alarm with an action', () => {
    expect(
      findings(alarmHasAction, (s) => alarm(s, 'Paging', { alarmActions: ['arn:aws:sns:ap-northeast-1:1:a'] })),
    ).toEqual([]);
  });
});
