import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { ADMIN_ACTIONS, KeyStoreKey, type KeyStoreKeyProps } from '../../constructs';
import { only, synth } from './synth';

const LITERAL: KeyStoreKeyProps = { accountId: '111111111111', region: 'ap-northeast-1' };

function keyOf(props: KeyStoreKeyProps = LITERAL, grant?: (key: KeyStoreKey, role: IamRole) => void) {
  let key: KeyStoreKey | undefined;
  const result = synth((scope) => {
    key = new KeyStoreKey(scope, 'KeyStoreKey', props);
    if (grant) {
      const role = new IamRole(scope, 'KeyManager', {
        name: 'key-manager',
        assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      });
      grant(key, role);
    }
  });
  return { ...result, key: key as KeyStoreKey };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Statement = any;
const statements = (key: KeyStoreKey): Statement[] => key.policyDocument.Statement as Statement[];

describe('KeyStoreKey: the key', () => {
  const { text } = keyOf();

  it('is a symmetric encryption key', () => {
    expect(text).toHaveResourceWithProperties(KmsKey, {
      key_usage: 'ENCRYPT_DECRYPT',
      customer_master_key_spec: 'SYMMETRIC_DEFAULT',
      multi_region: false,
    });
  });

  it('rotates its key material yearly', () => {
    expect(text).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, rotation_period_in_days: 365 });
  });

  it('waits 30 days before deletion by default', () => {
    expect(text).toHaveResourceWithProperties(KmsKey, { deletion_window_in_days: 30 });
  });

  it('takes the deletion window from its props', () => {
    expect(keyOf({ ...LITERAL, deletionWindowInDays: 7 }).text).toHaveResourceWithProperties(KmsKey, {
      deletion_window_in_days: 7,
    });
  });

  it('keeps the policy lockout safety check', () => {
    expect(text).toHaveResourceWithProperties(KmsKey, { bypass_policy_lockout_safety_check: false });
  });

  it('is protected from terraform destroy by default', () => {
    expect(text).toHaveResourceWithProperties(KmsKey, { lifecycle: { prevent_destroy: true } });
  });

  it('drops the protection when deletionProtection is false', () => {
    expect(keyOf({ ...LITERAL, deletionProtection: false }).text).toHaveResourceWithProperties(KmsKey, {
      lifecycle: { prevent_destroy: false },
    });
  });

  it('has an alias operators can find', () => {
    const { json } = keyOf({ ...LITERAL, alias: 'alias/byodkim-prod-key-store' });
    expect(only(json, 'resource', 'aws_kms_alias')).toEqual({
      name: 'alias/byodkim-prod-key-store',
      target_key_id: expect.stringMatching(/^\$\{aws_kms_key\.\w+\.key_id\}$/),
    });
  });

  it('renders its policy with jsonencode, so terraform plan shows it structured', () => {
    const { json } = keyOf();
    const policy = only(json, 'resource', 'aws_kms_key').policy as string;
    expect(policy.startsWith('${jsonencode({')).toBe(true);
    expect(policy).toContain('"Sid" = "KeyAdministration"');
  });
});

describe('KeyStoreKey: the key policy is least privilege', () => {
  it('lets the account administer the key but not use it', () => {
    const [admin] = statements(keyOf().key);
    expect(admin).toEqual({
      Sid: 'KeyAdministration',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: [...ADMIN_ACTIONS],
      Resource: '*',
    });
    for (const action of [
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey*',
      'kms:ReEncrypt*',
      'kms:CreateGrant',
      'kms:*',
    ]) {
      expect(admin.Action).not.toContain(action);
    }
  });

  it('lets AWS services create grants only for AWS resources, through the key store services', () => {
    const [, grants] = statements(keyOf().key);
    expect(grants).toEqual({
      Sid: 'AwsServiceGrants',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: ['kms:CreateGrant'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': ['secretsmanager.ap-northeast-1.amazonaws.com', 'dynamodb.ap-northeast-1.amazonaws.com'],
          'kms:CallerAccount': '111111111111',
        },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    });
  });

  it('lets nobody else use the key until a principal is granted', () => {
    expect(statements(keyOf().key)).toHaveLength(2);
  });

  it('grantEncryptDecrypt admits the role through Secrets Manager and DynamoDB from this account', () => {
    const { key, json } = keyOf(LITERAL, (k, role) => k.grantEncryptDecrypt(role));
    const use = statements(key)[2];
    expect(use).toEqual({
      Sid: 'KeyStoreUse1',
      Effect: 'Allow',
      Principal: { AWS: expect.any(String) },
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': ['secretsmanager.ap-northeast-1.amazonaws.com', 'dynamodb.ap-northeast-1.amazonaws.com'],
          'kms:CallerAccount': '111111111111',
        },
      },
    });
    const policy = only(json, 'resource', 'aws_kms_key').policy as string;
    expect(policy).toMatch(/"Principal" = \{"AWS" = aws_iam_role\.KeyManager\.arn\}/);
  });

  it('grantDecrypt adds a separate, narrower statement', () => {
    const { key } = keyOf(LITERAL, (k, role) => {
      k.grantEncryptDecrypt(role);
      k.grantDecrypt('arn:aws:iam::111111111111:role/monitor');
    });
    expect(statements(key)[3]).toMatchObject({
      Sid: 'KeyStoreUse2',
      Principal: { AWS: 'arn:aws:iam::111111111111:role/monitor' },
      Action: ['kms:Decrypt', 'kms:DescribeKey'],
    });
  });

  it('merges principals granted the same actions into one statement, once each', () => {
    const { key } = keyOf(LITERAL, (k) => {
      k.grantEncrypt('arn:aws:iam::111111111111:role/a');
      k.grantEncrypt('arn:aws:iam::111111111111:role/b');
      k.grantEncrypt('arn:aws:iam::111111111111:role/a');
    });
    expect(statements(key)).toHaveLength(3);
    expect(statements(key)[2].Principal).toEqual({
      AWS: ['arn:aws:iam::111111111111:role/a', 'arn:aws:iam::111111111111:role/b'],
    });
  });

  it('warns when a grantee is not a role or user ARN', () => {
    const { key } = keyOf(LITERAL, (k) => k.grantDecrypt('*'));
    expect(key.node.metadata.map((m) => m.data)).toEqual([
      expect.stringContaining('granting *, which is not an IAM role'),
    ]);
  });

  it('takes the services from viaServices', () => {
    const { key } = keyOf({ ...LITERAL, viaServices: ['secretsmanager'] });
    expect(key.viaServices).toEqual(['secretsmanager.ap-northeast-1.amazonaws.com']);
  });

  it('uses the partition of the region', () => {
    const { key } = keyOf({ accountId: '111111111111', region: 'cn-north-1' });
    expect(statements(key)[0].Principal).toEqual({ AWS: 'arn:aws-cn:iam::111111111111:root' });
  });
});

describe('KeyStoreKey: account and region', () => {
  it('reads them from data sources when not given', () => {
    const { text } = keyOf({});
    expect(text).toHaveDataSource(DataAwsCallerIdentity);
    expect(text).toHaveDataSource(DataAwsRegion);
    expect(text).toHaveDataSource(DataAwsPartition);
  });

  it('uses literals, and no data source, when given', () => {
    const { text } = keyOf();
    expect(text).not.toHaveDataSource(DataAwsCallerIdentity);
    expect(text).not.toHaveDataSource(DataAwsRegion);
    expect(text).not.toHaveDataSource(DataAwsPartition);
  });
});

describe('KeyStoreKey.ofStack', () => {
  it('returns one key per stack', () => {
    const { json } = synth((scope) => {
      const first = KeyStoreKey.ofStack(scope, LITERAL);
      expect(KeyStoreKey.ofStack(scope)).toBe(first);
    });
    expect(Object.keys(json.resource.aws_kms_key)).toHaveLength(1);
    expect(Object.keys(json.resource.aws_kms_alias)).toHaveLength(1);
  });
});

describe('KeyStoreKey: props are validated', () => {
  it.each<[string, KeyStoreKeyProps, string]>([
    [
      'a deletion window under 7 days',
      { deletionWindowInDays: 5 },
      'KeyStoreKey: deletionWindowInDays must be a whole number of days from 7 to 30 (given 5)',
    ],
    [
      'a deletion window over 30 days',
      { deletionWindowInDays: 31 },
      'deletionWindowInDays must be a whole number of days from 7 to 30 (given 31)',
    ],
    [
      'a rotation period under 90 days',
      { rotationPeriodInDays: 30 },
      'rotationPeriodInDays must be a whole number of days from 90 to 2560 (given 30)',
    ],
    ['an alias without the alias/ prefix', { alias: 'byodkim' }, 'alias must be alias/ followed by letters'],
    ['an AWS-managed alias', { alias: 'alias/aws/kms' }, 'alias must be alias/ followed by letters'],
    ['no service', { viaServices: [] }, 'viaServices must be at least one service endpoint prefix (given [])'],
    [
      'a service given as a host name',
      { viaServices: ['secretsmanager.amazonaws.com'] },
      'viaServices must be service endpoint prefixes',
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(() => keyOf({ ...LITERAL, ...props })).toThrow(message);
  });

  it('refuses a grant of something that is not a kms: action', () => {
    expect(() => keyOf(LITERAL, (k) => k.grant('arn:aws:iam::111111111111:role/a', 's3:GetObject'))).toThrow(
      'KeyStoreKey: actions must be kms: actions such as "kms:Decrypt" (given "s3:GetObject")',
    );
  });
});

describe('KeyStoreKey: alias resource', () => {
  it('points the alias at the key', () => {
    expect(keyOf().text).toHaveResourceWithProperties(KmsAlias, { name: 'alias/byodkim-key-store' });
  });
});
