/**
 * The key-material rules (BYODKIM-KEY1 … KEY4), the SES identity rule (SES1), deletion protection in
 * production (DEL1), the state backend (TF1) and alarms (ALM1): each fed a configuration that breaks it —
 * synthesized by cdktf where the provider has the resource, minimal JSON where it does not (tls_private_key
 * belongs to another provider) — and one that meets it.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { S3Backend, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import {
  alarmHasAction,
  ByodkimDomain,
  checkTerraform,
  deletionProtectionInProduction,
  keyMaterialIn,
  KeyStoreKey,
  noKeyMaterial,
  noPrivateKeyVariable,
  noSecretValue,
  noTlsPrivateKey,
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
