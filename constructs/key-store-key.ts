/**
 * KeyStoreKey: the environment's customer-managed KMS key, one per environment, shared by every domain.
 *
 * It encrypts the key store — the Secrets Manager secrets that hold DKIM private keys and the DynamoDB
 * table that holds lifecycle state (docs/design.md §5). Its key policy is least privilege:
 *
 * - `KeyAdministration`: the account (so IAM policies can delegate) may administer the key — describe,
 *   tag, rotate, disable, schedule deletion — but not encrypt or decrypt with it.
 * - `AwsServiceGrants`: the account may let the key store's services create grants for AWS resources
 *   (DynamoDB needs one when a table is created with this key); nothing else may create grants.
 * - `KeyStoreUse…`: only principals granted with {@link KeyStoreKey.grantEncryptDecrypt} (and friends)
 *   may use the key, only through the key store's services (`kms:ViaService`) and only from this account
 *   (`kms:CallerAccount`). A principal that can read a secret but was not granted cannot decrypt it.
 */
import { Annotations, Fn, Lazy, TerraformStack, Token } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { awsContextOf } from './aws-context';
import { ValidationError } from '../functions/core/errors';
import { formatValue } from '../functions/core/domain-rules';

/** A principal that may be granted use of the key: an IAM role (anything with an `arn`) or an ARN. */
export type KeyGrantee = string | { readonly arn: string };

export interface KeyStoreKeyProps {
  /** The key's alias, so operators find it in the console. @default 'alias/byodkim-key-store' */
  readonly alias?: string;
  /** What the key is for, as shown in the KMS console. @default a sentence naming the key store */
  readonly description?: string;
  /** Days KMS waits before deleting the key once deletion is scheduled (7–30). @default 30 */
  readonly deletionWindowInDays?: number;
  /** Days between automatic rotations of the key material (90–2560). @default 365 */
  readonly rotationPeriodInDays?: number;
  /** Refuse `terraform destroy` (and any replacement) of the key with `lifecycle.prevent_destroy`. @default true */
  readonly deletionProtection?: boolean;
  /**
   * The services (by endpoint prefix) through which granted principals may use the key.
   * @default ['secretsmanager', 'dynamodb']
   */
  readonly viaServices?: readonly string[];
  /** The account that owns the key. @default the `aws_caller_identity` data source */
  readonly accountId?: string;
  /** The key's region, used in `kms:ViaService`. @default the `aws_region` data source */
  readonly region?: string;
  /** The ARN partition. @default derived from `region`, or the `aws_partition` data source */
  readonly partition?: string;
  /** Tags on the key, in addition to the provider's default tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Decrypt, plus what callers need to learn about the key. */
export const DECRYPT_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'] as const;
/** Encrypt and generate data keys (Secrets Manager and DynamoDB use envelope encryption). */
export const ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'] as const;
export const ENCRYPT_DECRYPT_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
] as const;
/** What a principal needs of the key to create and use a DynamoDB table encrypted with it. */
export const TABLE_USE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
  'kms:CreateGrant',
] as const;
/** Administration without any cryptographic use (aws-cdk's key admin actions minus `kms:Create*`). */
export const ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
] as const;

const ALIAS_PATTERN = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const SERVICE_PATTERN = /^[a-z0-9-]+$/;
const SHARED_ID = 'ByodkimKeyStoreKey';

interface Grant {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly principals: string[];
}

function invalid(property: string, expected: string, given: unknown): never {
  throw new ValidationError(
    'INVALID_PROPS',
    `KeyStoreKey: ${property} must be ${expected} (given ${formatValue(given)})`,
    property,
  );
}

export class KeyStoreKey extends Construct {
  /**
   * The stack's shared key (construct id `ByodkimKeyStoreKey` at the stack's root), created with `props`
   * the first time it is asked for. {@link ByodkimDomain} uses it when it is given no key.
   */
  public static ofStack(scope: IConstruct, props: KeyStoreKeyProps = {}): KeyStoreKey {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(SHARED_ID);
    if (existing instanceof KeyStoreKey) return existing;
    return new KeyStoreKey(stack, SHARED_ID, props);
  }

  /** The `aws_kms_key` resource. */
  public readonly key: KmsKey;
  /** The `aws_kms_alias` resource. */
  public readonly aliasResource: KmsAlias;
  /** The key's ARN (use it in `kms_key_id` of secrets and tables). */
  public readonly keyArn: string;
  /** The key's id. */
  public readonly keyId: string;
  /** The alias name, e.g. `alias/byodkim-prod-key-store`. */
  public readonly aliasName: string;
  /** The full `kms:ViaService` values, e.g. `secretsmanager.ap-northeast-1.amazonaws.com`. */
  public readonly viaServices: readonly string[];

  private readonly grants: Grant[] = [];
  private readonly administrator: string;
  private readonly callerAccount: string;
  private readonly region: string;
  private tablesAllowed = false;
  private readonly logGroupArns: string[] = [];

  constructor(scope: Construct, id: string, props: KeyStoreKeyProps = {}) {
    super(scope, id);
    const alias = props.alias ?? 'alias/byodkim-key-store';
    if (!Token.isUnresolved(alias) && (!ALIAS_PATTERN.test(alias) || alias.startsWith('alias/aws/'))) {
      invalid('alias', 'alias/ followed by letters, digits, "/", "_" or "-" (not alias/aws/...)', alias);
    }
    const deletionWindowInDays = props.deletionWindowInDays ?? 30;
    if (
      !Token.isUnresolved(deletionWindowInDays) &&
      (!Number.isInteger(deletionWindowInDays) || deletionWindowInDays < 7 || deletionWindowInDays > 30)
    ) {
      invalid('deletionWindowInDays', 'a whole number of days from 7 to 30', deletionWindowInDays);
    }
    const rotationPeriodInDays = props.rotationPeriodInDays ?? 365;
    if (
      !Token.isUnresolved(rotationPeriodInDays) &&
      (!Number.isInteger(rotationPeriodInDays) || rotationPeriodInDays < 90 || rotationPeriodInDays > 2560)
    ) {
      invalid('rotationPeriodInDays', 'a whole number of days from 90 to 2560', rotationPeriodInDays);
    }
    const services = props.viaServices ?? ['secretsmanager', 'dynamodb'];
    if (services.length === 0) invalid('viaServices', 'at least one service endpoint prefix', services);
    for (const service of services) {
      if (!Token.isUnresolved(service) && !SERVICE_PATTERN.test(service)) {
        invalid('viaServices', 'service endpoint prefixes such as "secretsmanager"', service);
      }
    }

    const aws = awsContextOf(this, props);
    this.viaServices = services.map((service) => `${service}.${aws.region}.amazonaws.com`);

    this.administrator = `arn:${aws.partition}:iam::${aws.accountId}:root`;
    this.callerAccount = aws.accountId;
    this.region = aws.region;
    const policy = Lazy.stringValue({ produce: () => Fn.jsonencode(this.policyDocument) });

    this.key = new KmsKey(this, 'Key', {
      description:
        props.description ??
        'byodkim key store: encrypts DKIM private keys (Secrets Manager) and lifecycle state (DynamoDB)',
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: true,
      rotationPeriodInDays,
      deletionWindowInDays,
      multiRegion: false,
      bypassPolicyLockoutSafetyCheck: false,
      policy,
      tags: props.tags ? { ...props.tags } : undefined,
      lifecycle: { preventDestroy: props.deletionProtection ?? true },
    });
    this.aliasResource = new KmsAlias(this, 'Alias', { name: alias, targetKeyId: this.key.keyId });
    this.keyArn = this.key.arn;
    this.keyId = this.key.keyId;
    this.aliasName = alias;
  }

  /** The key policy as it stands (grants included), before `jsonencode`: for review and tests. */
  public get policyDocument(): Record<string, unknown> {
    const viaServiceCondition = {
      StringEquals: { 'kms:ViaService': [...this.viaServices], 'kms:CallerAccount': this.callerAccount },
    };
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'KeyAdministration',
          Effect: 'Allow',
          Principal: { AWS: this.administrator },
          Action: [...ADMIN_ACTIONS],
          Resource: '*',
        },
        {
          Sid: 'AwsServiceGrants',
          Effect: 'Allow',
          Principal: { AWS: this.administrator },
          Action: ['kms:CreateGrant'],
          Resource: '*',
          Condition: { ...viaServiceCondition, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        },
        ...this.grants.map((grant) => ({
          Sid: grant.sid,
          Effect: 'Allow',
          Principal: { AWS: grant.principals.length === 1 ? grant.principals[0] : [...grant.principals] },
          Action: [...grant.actions],
          Resource: '*',
          Condition: viaServiceCondition,
        })),
        ...(this.tablesAllowed ? this.tableStatements() : []),
        ...(this.logGroupArns.length > 0 ? [this.logsStatement()] : []),
      ],
    };
  }

  /**
   * Lets DynamoDB tables be created and used with this key (docs/design.md §5): whoever deploys or reads a
   * table in this account may use the key, but only through DynamoDB in this region (`kms:ViaService`), and
   * DynamoDB itself may describe the key. Without it, creating a table encrypted with this key fails at
   * apply time. Principals still need an IAM policy for the table and for `kms:*` (the account delegates to
   * IAM here, as for any service-integrated key); Secrets Manager stays limited to the `grant*()` principals.
   */
  public allowDynamoDbTables(): void {
    this.tablesAllowed = true;
  }

  /**
   * Lets CloudWatch Logs encrypt the log groups whose ARNs match `logGroupArnPattern` (an `ArnLike` pattern,
   * e.g. `arn:aws:logs:ap-northeast-1:111111111111:log-group:/aws/lambda/byodkim-prod-*`) with this key.
   */
  public allowLogGroups(logGroupArnPattern: string): void {
    if (!this.logGroupArns.includes(logGroupArnPattern)) this.logGroupArns.push(logGroupArnPattern);
  }

  private tableStatements(): Record<string, unknown>[] {
    const dynamodb = `dynamodb.${this.region}.amazonaws.com`;
    return [
      {
        Sid: 'DynamoDbTableUse',
        Effect: 'Allow',
        Principal: { AWS: this.administrator },
        Action: [...TABLE_USE_ACTIONS],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': dynamodb, 'kms:CallerAccount': this.callerAccount } },
      },
      {
        Sid: 'DynamoDbServiceDescribe',
        Effect: 'Allow',
        Principal: { Service: 'dynamodb.amazonaws.com' },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        Resource: '*',
      },
    ];
  }

  private logsStatement(): Record<string, unknown> {
    return {
      Sid: 'CloudWatchLogsUse',
      Effect: 'Allow',
      Principal: { Service: `logs.${this.region}.amazonaws.com` },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn':
            this.logGroupArns.length === 1 ? this.logGroupArns[0] : [...this.logGroupArns],
        },
      },
    };
  }

  /** Lets `grantee` encrypt and decrypt through the key store's services (the key-manager role). */
  public grantEncryptDecrypt(grantee: KeyGrantee): void {
    this.grant(grantee, ...ENCRYPT_DECRYPT_ACTIONS);
  }

  /** Lets `grantee` decrypt through the key store's services. */
  public grantDecrypt(grantee: KeyGrantee): void {
    this.grant(grantee, ...DECRYPT_ACTIONS);
  }

  /** Lets `grantee` encrypt through the key store's services. */
  public grantEncrypt(grantee: KeyGrantee): void {
    this.grant(grantee, ...ENCRYPT_ACTIONS);
  }

  /**
   * Lets `grantee` perform `actions` on the key, only through the key store's services and only from
   * this account. Grants with the same actions share one key policy statement.
   */
  public grant(grantee: KeyGrantee, ...actions: string[]): void {
    const principal = typeof grantee === 'string' ? grantee : grantee.arn;
    if (actions.length === 0) invalid('actions', 'at least one kms: action', actions);
    for (const action of actions) {
      if (!/^kms:[A-Za-z*]+$/.test(action)) invalid('actions', 'kms: actions such as "kms:Decrypt"', action);
    }
    if (!Token.isUnresolved(principal) && !/^arn:[a-z-]+:iam::\d{12}:(role|user)\/.+$/.test(principal)) {
      Annotations.of(this).addWarning(
        `KeyStoreKey: granting ${principal}, which is not an IAM role or user ARN; KMS rejects key policies naming principals that do not exist`,
      );
    }
    const sorted = [...new Set(actions)].sort();
    const existing = this.grants.find((g) => g.actions.join() === sorted.join());
    if (existing) {
      if (!existing.principals.includes(principal)) existing.principals.push(principal);
      return;
    }
    this.grants.push({ sid: `KeyStoreUse${this.grants.length + 1}`, actions: sorted, principals: [principal] });
  }
}
