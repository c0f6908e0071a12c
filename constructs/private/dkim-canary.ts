/**
 * DkimCanary: the infrastructure of the optional DKIM signature canary (docs/canary.md), created by the
 * MonitoringSuite when its `canary` prop is set. The only check that proves what recipients see: a real
 * message, sent through SES from each canary domain, received by SES in a region that receives mail, and
 * verified by an independent verifier (functions/handlers/canary.ts).
 *
 * In the **receiving region** (`receivingRegion`: us-east-1, us-west-2 or eu-west-1; every resource sets
 * the provider's per-resource `region`, so no provider alias is needed):
 * - a KMS key (rotation on) whose policy lets SES encrypt messages (`ses.amazonaws.com`,
 *   `kms:GenerateDataKey*`, only for this account's canary receipt rule: `aws:SourceAccount`,
 *   `aws:SourceArn`) and lets the canary Lambda's role decrypt them through S3 only;
 * - the bucket: SSE-KMS with that key by default, every public access blocked, objects owned by the bucket
 *   owner, TLS required, the received messages expired after `messageRetentionDays`; its policy lets SES put
 *   objects under the prefix only, for this account's canary receipt rule only;
 * - the receipt rule set, its rule (the recipient only, TLS required, spam and virus scan, the S3 action)
 *   and — unless `existingRuleSetName` names the account's active rule set — its activation (one rule set is
 *   active per account and region: activating this one replaces any other);
 * - the receiving domain's SES identity and, with `receivingHostedZoneId`, its MX record and the identity's
 *   DKIM CNAMEs in Route 53.
 *
 * In the **stack's region**: the canary Lambda (bundle `canary`) with its own least-privilege role —
 * `ses:SendEmail` only from `<localPart>@<domain>` of the canary domains to the canary recipient, through
 * their identities and configuration sets; `dynamodb:GetItem` of the state table only in the canary
 * domains' partitions (`dynamodb:LeadingKeys`); `s3:ListBucket` under the prefix, `s3:GetObject` and
 * `s3:DeleteObject` of the objects under it, `kms:Decrypt` through S3 — its log group (the key store key,
 * like the key manager's) and an EventBridge Scheduler schedule with its own role.
 *
 * Its alarms are the suite's (`addAlarm`): `CanaryFailures` ≥ 1 in a run (critical) and `CanaryRuns`
 * missing for `missedRuns` periods (missing data breaching).
 *
 * Construct ids (`Bucket`, `BucketKey`, `RuleSet`, `Rule`, `Function`, …) are part of the public contract:
 * renaming one replaces the resource in every user's state.
 */
import { Fn, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type {
  CloudwatchMetricAlarm,
  CloudwatchMetricAlarmConfig,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SesActiveReceiptRuleSet } from '@cdktf/provider-aws/lib/ses-active-receipt-rule-set';
import { SesReceiptRule } from '@cdktf/provider-aws/lib/ses-receipt-rule';
import { SesReceiptRuleSet } from '@cdktf/provider-aws/lib/ses-receipt-rule-set';
import { Sesv2EmailIdentity } from '@cdktf/provider-aws/lib/sesv2-email-identity';
import {
  LAMBDA_ENV,
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  METRICS,
  POWERTOOLS_ENV,
  domainPartitionKey,
} from '../../functions/core/contract';
import { formatValue } from '../../functions/core/domain-rules';
import { ValidationError } from '../../functions/core/errors';
import { domainProblem, emailProblem } from '../../functions/core/names';
import type { AwsContext } from '../aws-context';
import type { ByodkimDomain } from '../byodkim-domain';
import type { DkimRotationSchedule } from '../dkim-rotation-schedule';
import { ADMIN_ACTIONS } from '../key-store-key';
import { policyDocument, renderPolicy, trustPolicy, type PolicyDocument, type PolicyStatement } from './iam';
import { bundledFunction, defaultBundleDirectory, readLambdaBundle, type LambdaBundle } from './lambda-bundle';

/** The regions where SES receives mail (the receipt rule, the bucket and its key live there). */
export const SES_RECEIVING_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'] as const;

/** What operators configure (the MonitoringSuite's `canary` prop, `monitoring.canary` of an environment file). */
export interface DkimCanaryOptions {
  /**
   * The domain canary messages are sent to, e.g. `dkim-canary.example.net`: its MX record points at
   * `inbound-smtp.<receivingRegion>.amazonaws.com` (created with `receivingHostedZoneId`, else published by
   * hand). Use a domain (or subdomain) of its own: the rule stores only the canary recipient's mail.
   */
  readonly receivingDomain: string;
  /** A region where SES receives mail. @default 'us-east-1' */
  readonly receivingRegion?: (typeof SES_RECEIVING_REGIONS)[number];
  /** The Route 53 zone of `receivingDomain`: its MX record and its identity's DKIM CNAMEs are created there. @default none (publish them by hand) */
  readonly receivingHostedZoneId?: string;
  /** The recipient's local part: messages go to `<recipientLocalPart>@<receivingDomain>`. @default 'canary' */
  readonly recipientLocalPart?: string;
  /** Messages are sent from `<senderLocalPart>@<domain>`. @default 'canary' */
  readonly senderLocalPart?: string;
  /** The domains to check (A-labels, each one of the suite's domains). @default every domain of the suite */
  readonly domains?: readonly string[];
  /** When the canary runs: `rate(<n> minutes|hours|days)`, 15 minutes to 1 day. @default 'rate(1 hour)' */
  readonly schedule?: string;
  /** Seconds a run waits for its messages (60–780). @default 300 */
  readonly waitSeconds?: number;
  /** Days received messages are kept (a failed one is kept for investigation; a passed one is deleted). @default 3 */
  readonly messageRetentionDays?: number;
  /** Runs in a row that may be missing before the canary's heartbeat alarm fires (2–24). @default 2 */
  readonly missedRuns?: number;
  /**
   * The account's active receipt rule set in `receivingRegion`, when it already has one: the canary's rule
   * is added to it and no rule set is created or activated. Without it, a rule set is created and made
   * active — replacing whatever rule set was active in that region. @default none
   */
  readonly existingRuleSetName?: string;
  /** Create the SES identity of `receivingDomain` in `receivingRegion` (false when it exists). @default true */
  readonly createReceivingIdentity?: boolean;
  /** The bucket's name. @default `<namePrefix>-dkim-canary-<account>` */
  readonly bucketName?: string;
}

/** What the suite hands the canary besides the options. */
export interface DkimCanaryProps extends DkimCanaryOptions {
  /** The key manager: its state table (STATE items) and key store key (the log group). */
  readonly rotation: DkimRotationSchedule;
  /** The suite's domains; the canary checks those named in `domains` (all by default). */
  readonly suiteDomains: readonly ByodkimDomain[];
  readonly environment: string;
  readonly namePrefix: string;
  /** The suite's way to add an alarm (its name prefix, its topic as action). */
  readonly addAlarm: (
    id: string,
    config: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'> & {
      readonly nameSuffix: string;
    },
  ) => CloudwatchMetricAlarm;
  readonly aws: AwsContext;
  /** Recursive resolvers the canary's verification uses (`host[:port]`). @default the DNS verifier's */
  readonly resolvers?: readonly string[];
  readonly logRetentionDays?: number;
  readonly kmsDeletionWindowDays?: number;
  readonly deletionProtection?: boolean;
  readonly bundleDirectory?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export const DEFAULT_CANARY_SCHEDULE = 'rate(1 hour)';
export const DEFAULT_CANARY_WAIT_SECONDS = 300;
export const DEFAULT_MESSAGE_RETENTION_DAYS = 3;
export const DEFAULT_CANARY_MISSED_RUNS = 2;
/** The receipt rule's object key prefix. */
export const CANARY_OBJECT_PREFIX = 'incoming/';
/** The Lambda's time beyond the wait: sending, reading and verifying. */
const FUNCTION_MARGIN_SECONDS = 90;
/** More domains than this do not fit the Lambda's 4 KB environment, and cost more than a canary should. */
export const MAX_CANARY_DOMAINS = 50;
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;
const LOCAL_PART_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,62}[A-Za-z0-9])?$/;
const BUCKET_PATTERN = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const RULE_SET_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Minutes between runs of a `rate(...)` expression, or undefined for anything else. */
export function ratePeriodMinutes(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return undefined;
  const n = Number(match[1]);
  const unit = match[2]!.replace(/s$/, '');
  // EventBridge takes `rate(1 hour)` and `rate(2 hours)`, never `rate(1 hours)` or `rate(2 hour)`.
  if (n < 1 || match[2]!.endsWith('s') === (n === 1)) return undefined;
  return n * (unit === 'minute' ? 1 : unit === 'hour' ? 60 : 1440);
}

export class DkimCanary extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  /** The role's inline policy, before `jsonencode`: for review and tests. */
  public readonly policy: PolicyDocument;
  public readonly bundle: LambdaBundle;
  public readonly schedule: SchedulerSchedule;
  public readonly scheduleRole: IamRole;
  public readonly bucket: S3Bucket;
  public readonly bucketPolicyDocument: PolicyDocument;
  public readonly bucketKey: KmsKey;
  public readonly bucketKeyPolicy: PolicyDocument;
  public readonly ruleSetName: string;
  public readonly ruleSet?: SesReceiptRuleSet;
  public readonly activeRuleSet?: SesActiveReceiptRuleSet;
  public readonly rule: SesReceiptRule;
  public readonly receivingIdentity?: Sesv2EmailIdentity;
  /** The MX record and the identity's three DKIM CNAMEs (with `receivingHostedZoneId`). */
  public readonly receivingRecords: readonly Route53Record[];
  /** `CanaryFailures` ≥ 1 (critical). */
  public readonly failureAlarm: CloudwatchMetricAlarm;
  /** `CanaryRuns` missing for `missedRuns` periods (missing data breaching). */
  public readonly silenceAlarm: CloudwatchMetricAlarm;
  /** `<recipientLocalPart>@<receivingDomain>`. */
  public readonly recipient: string;
  public readonly receivingRegion: string;
  /** The domains checked. */
  public readonly domains: readonly ByodkimDomain[];
  public readonly environmentVariables: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: DkimCanaryProps) {
    super(scope, id);
    const fail = (message: string, field: string): never => {
      throw new ValidationError('INVALID_PROPS', `DkimCanary ${this.node.path}: canary.${message}`, `canary.${field}`);
    };
    const literal = (value: unknown): boolean => !Token.isUnresolved(value);
    const { aws, namePrefix } = props;

    const receivingDomain = props.receivingDomain;
    if (
      literal(receivingDomain) &&
      (typeof receivingDomain !== 'string' || domainProblem(receivingDomain) !== undefined)
    ) {
      fail(
        `receivingDomain must be a domain name as an A-label, e.g. dkim-canary.example.net (given ${formatValue(receivingDomain)})`,
        'receivingDomain',
      );
    }
    const receivingRegion = props.receivingRegion ?? 'us-east-1';
    if (!(SES_RECEIVING_REGIONS as readonly string[]).includes(receivingRegion)) {
      fail(
        `receivingRegion must be a region where SES receives mail: ${SES_RECEIVING_REGIONS.join(', ')} (given ${formatValue(receivingRegion)})`,
        'receivingRegion',
      );
    }
    const recipientLocalPart = props.recipientLocalPart ?? 'canary';
    const senderLocalPart = props.senderLocalPart ?? 'canary';
    for (const [field, value] of [
      ['recipientLocalPart', recipientLocalPart],
      ['senderLocalPart', senderLocalPart],
    ] as const) {
      if (!LOCAL_PART_PATTERN.test(value)) {
        fail(
          `${field} must be an e-mail local part of letters, digits and . _ + - (given ${formatValue(value)})`,
          field,
        );
      }
    }
    const recipient = `${recipientLocalPart}@${receivingDomain}`;
    if (literal(receivingDomain) && emailProblem(recipient) !== undefined) {
      fail(`recipientLocalPart@receivingDomain ${emailProblem(recipient)} (given ${recipient})`, 'recipientLocalPart');
    }

    const byName = new Map(props.suiteDomains.map((d) => [d.domain, d]));
    const names = props.domains ?? props.suiteDomains.map((d) => d.domain);
    if (names.length === 0) fail('domains must name at least one domain (given none)', 'domains');
    if (names.length > MAX_CANARY_DOMAINS) {
      fail(
        `domains must name at most ${MAX_CANARY_DOMAINS} domains: a sample is enough to prove the signing path, and more do not fit the Lambda's environment (given ${names.length}; list the ones to check)`,
        'domains',
      );
    }
    const domains = names.map((name, i) => {
      const domain = byName.get(name);
      if (domain === undefined) {
        fail(
          `domains[${i}] must be one of the environment's domains (${[...byName.keys()].join(', ')}) (given ${formatValue(name)})`,
          `domains[${i}]`,
        );
      }
      return domain!;
    });
    if (new Set(names).size !== names.length) fail('domains must list each domain once', 'domains');

    const schedule = props.schedule ?? DEFAULT_CANARY_SCHEDULE;
    const periodMinutes = ratePeriodMinutes(schedule);
    if (periodMinutes === undefined || periodMinutes < 15 || periodMinutes > 1440) {
      fail(
        `schedule must be rate(<n> minutes|hours|days), from 15 minutes to 1 day: a run waits up to 13 minutes for its messages, and the heartbeat alarm's period follows the schedule (given ${formatValue(schedule)})`,
        'schedule',
      );
    }
    const waitSeconds = props.waitSeconds ?? DEFAULT_CANARY_WAIT_SECONDS;
    if (!Number.isInteger(waitSeconds) || waitSeconds < 60 || waitSeconds > 780) {
      fail(
        `waitSeconds must be a whole number of seconds from 60 to 780 (given ${formatValue(waitSeconds)})`,
        'waitSeconds',
      );
    }
    const retentionDays = props.messageRetentionDays ?? DEFAULT_MESSAGE_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 90) {
      fail(
        `messageRetentionDays must be a whole number of days from 1 to 90 (given ${formatValue(retentionDays)})`,
        'messageRetentionDays',
      );
    }
    const missedRuns = props.missedRuns ?? DEFAULT_CANARY_MISSED_RUNS;
    if (!Number.isInteger(missedRuns) || missedRuns < 2 || missedRuns > 24 || missedRuns * periodMinutes! > 7 * 1440) {
      fail(
        `missedRuns must be a whole number from 2 to 24 (the period a run is due in has no data until the run ends: 1 would fire at the start of every period), and missedRuns × the schedule's period at most 7 days (given ${formatValue(missedRuns)})`,
        'missedRuns',
      );
    }
    if (props.existingRuleSetName !== undefined && !RULE_SET_PATTERN.test(props.existingRuleSetName)) {
      fail(
        `existingRuleSetName must be an SES receipt rule set name (given ${formatValue(props.existingRuleSetName)})`,
        'existingRuleSetName',
      );
    }
    const bucketName = props.bucketName ?? `${namePrefix}-dkim-canary-${aws.accountId}`;
    if (literal(bucketName) && !BUCKET_PATTERN.test(bucketName)) {
      fail(
        `bucketName must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens (given ${formatValue(bucketName)})`,
        'bucketName',
      );
    }
    const logRetentionDays = props.logRetentionDays ?? 731;
    const deletionProtection = props.deletionProtection ?? true;
    const tags = props.tags ? { ...props.tags } : undefined;
    const region = receivingRegion;
    const { partition, accountId } = aws;

    this.recipient = recipient;
    this.receivingRegion = receivingRegion;
    this.domains = domains;
    const functionName = `${namePrefix}-dkim-canary`;
    const ruleName = `${namePrefix}-dkim-canary`;
    this.ruleSetName = props.existingRuleSetName ?? `${namePrefix}-dkim-canary`;
    const ruleArn = `arn:${partition}:ses:${region}:${accountId}:receipt-rule-set/${this.ruleSetName}:receipt-rule/${ruleName}`;
    const bucketArn = `arn:${partition}:s3:::${bucketName}`;
    const objectsArn = `${bucketArn}/${CANARY_OBJECT_PREFIX}*`;
    const fromSes = {
      StringEquals: { 'aws:SourceAccount': accountId },
      ArnLike: { 'aws:SourceArn': ruleArn },
    };

    // ---------------------------------------------------------------------------------------------
    // The Lambda's role first: the bucket key's policy names it.

    this.role = new IamRole(this, 'Role', {
      name: functionName,
      description: 'byodkim: the DKIM canary (sends through SES, reads the received copies, verifies them)',
      assumeRolePolicy: trustPolicy('lambda.amazonaws.com'),
      tags,
    });

    // ---------------------------------------------------------------------------------------------
    // The bucket and its key, in the receiving region.

    this.bucketKeyPolicy = policyDocument([
      {
        Sid: 'KeyAdministration',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: [...ADMIN_ACTIONS],
        Resource: '*',
      },
      {
        // SES writes each message with the bucket's default encryption: S3 asks KMS for a data key for it.
        Sid: 'SesEncryptsCanaryMessages',
        Effect: 'Allow',
        Principal: { Service: 'ses.amazonaws.com' },
        Action: ['kms:GenerateDataKey*'],
        Resource: '*',
        Condition: fromSes,
      },
      {
        Sid: 'CanaryReadsThroughS3',
        Effect: 'Allow',
        Principal: { AWS: this.role.arn },
        Action: ['kms:Decrypt'],
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:CallerAccount': accountId },
        },
      },
    ]);
    this.bucketKey = new KmsKey(this, 'BucketKey', {
      region,
      description: 'byodkim: encrypts the DKIM canary messages SES receives',
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: true,
      deletionWindowInDays: props.kmsDeletionWindowDays ?? 30,
      policy: Fn.jsonencode(this.bucketKeyPolicy),
      tags,
      lifecycle: { preventDestroy: deletionProtection },
    });
    new KmsAlias(this, 'BucketKeyAlias', {
      region,
      name: `alias/${namePrefix}-dkim-canary`,
      targetKeyId: this.bucketKey.keyId,
    });

    this.bucket = new S3Bucket(this, 'Bucket', { region, bucket: bucketName, forceDestroy: !deletionProtection, tags });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'BucketPublicAccess', {
      region,
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'BucketOwnership', {
      region,
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'BucketEncryption', {
      region,
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: this.bucketKey.arn },
          bucketKeyEnabled: false,
        },
      ],
    });
    new S3BucketLifecycleConfiguration(this, 'BucketLifecycle', {
      region,
      bucket: this.bucket.id,
      rule: [
        {
          id: 'expire-canary-messages',
          status: 'Enabled',
          filter: [{ prefix: CANARY_OBJECT_PREFIX }],
          expiration: [{ days: retentionDays }],
        },
        {
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    this.bucketPolicyDocument = policyDocument([
      {
        Sid: 'SesStoresCanaryMessages',
        Effect: 'Allow',
        Principal: { Service: 'ses.amazonaws.com' },
        Action: ['s3:PutObject'],
        Resource: [objectsArn],
        Condition: fromSes,
      },
      {
        Sid: 'TlsOnly',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:*'],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    const bucketPolicy = new S3BucketPolicy(this, 'BucketPolicy', {
      region,
      bucket: this.bucket.id,
      policy: Fn.jsonencode(this.bucketPolicyDocument),
      dependsOn: [publicAccess],
    });

    // ---------------------------------------------------------------------------------------------
    // Receiving: the identity, its DNS records, the rule set and the rule.

    if (props.createReceivingIdentity ?? true) {
      // Easy DKIM, as SES sets it up (it only verifies the domain for receiving). Like every identity of the
      // stack, its DKIM signing attributes are never changed by Terraform after creation.
      this.receivingIdentity = new Sesv2EmailIdentity(this, 'ReceivingIdentity', {
        region,
        emailIdentity: receivingDomain,
        tags,
        lifecycle: { ignoreChanges: ['dkim_signing_attributes'] },
      });
    }
    const records: Route53Record[] = [];
    if (props.receivingHostedZoneId !== undefined) {
      records.push(
        new Route53Record(this, 'ReceivingMx', {
          zoneId: props.receivingHostedZoneId,
          name: receivingDomain,
          type: 'MX',
          ttl: 300,
          records: [`10 inbound-smtp.${region}.amazonaws.com`],
        }),
      );
      if (this.receivingIdentity !== undefined) {
        const tokens = this.receivingIdentity.dkimSigningAttributes.tokens;
        for (let i = 0; i < 3; i++) {
          const token = Fn.element(tokens, i);
          records.push(
            new Route53Record(this, `ReceivingDkim${i + 1}`, {
              zoneId: props.receivingHostedZoneId,
              name: `${token}._domainkey.${receivingDomain}`,
              type: 'CNAME',
              ttl: 1800,
              records: [`${token}.dkim.amazonses.com`],
            }),
          );
        }
      }
    }
    this.receivingRecords = records;

    if (props.existingRuleSetName === undefined) {
      this.ruleSet = new SesReceiptRuleSet(this, 'RuleSet', { region, ruleSetName: this.ruleSetName });
      this.activeRuleSet = new SesActiveReceiptRuleSet(this, 'ActiveRuleSet', {
        region,
        ruleSetName: this.ruleSet.ruleSetName,
      });
    }
    // SES writes a test object when the rule is created: the bucket policy, the key and the default
    // encryption must be in place first.
    this.rule = new SesReceiptRule(this, 'Rule', {
      region,
      name: ruleName,
      ruleSetName: this.ruleSet?.ruleSetName ?? this.ruleSetName,
      recipients: [recipient],
      enabled: true,
      scanEnabled: true,
      tlsPolicy: 'Require',
      s3Action: [{ bucketName: this.bucket.bucket, objectKeyPrefix: CANARY_OBJECT_PREFIX, position: 1 }],
      dependsOn: [bucketPolicy, encryption, this.bucketKey],
    });

    // ---------------------------------------------------------------------------------------------
    // The Lambda, in the stack's region.

    const rotation = props.rotation;
    rotation.keyStoreKey.allowLogGroups(
      `arn:${partition}:logs:${aws.region}:${accountId}:log-group:/aws/lambda/${namePrefix}-dkim-*`,
    );
    this.logGroup = new CloudwatchLogGroup(this, 'Logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: logRetentionDays,
      kmsKeyId: rotation.keyStoreKey.keyArn,
      tags,
    });
    const statements: PolicyStatement[] = [
      { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: [...LOG_ACTIONS], Resource: [`${this.logGroup.arn}:*`] },
      {
        Sid: 'ReadRecordedSelectors',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: [rotation.table.arn],
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': domains.map((d) => domainPartitionKey(d.domain)) },
        },
      },
      // One statement per domain: its own canary address, through its own identity and configuration set,
      // to the canary recipient only.
      ...domains.map(
        (d, i): PolicyStatement => ({
          Sid: `SendCanaryMessage${i + 1}`,
          Effect: 'Allow',
          Action: ['ses:SendEmail'],
          Resource: [d.identityArn, d.configurationSetArn],
          Condition: {
            StringEquals: { 'ses:FromAddress': `${senderLocalPart}@${d.domain}` },
            'ForAllValues:StringEquals': { 'ses:Recipients': [recipient] },
          },
        }),
      ),
      {
        Sid: 'ListReceivedMessages',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [bucketArn],
        Condition: { StringLike: { 's3:prefix': [CANARY_OBJECT_PREFIX, `${CANARY_OBJECT_PREFIX}*`] } },
      },
      {
        Sid: 'ReadAndDeleteReceivedMessages',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:DeleteObject'],
        Resource: [objectsArn],
      },
      {
        Sid: 'DecryptReceivedMessages',
        Effect: 'Allow',
        Action: ['kms:Decrypt'],
        Resource: [this.bucketKey.arn],
        Condition: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      },
    ];
    this.policy = policyDocument(statements);
    const policyResource = new IamRolePolicy(this, 'RolePolicy', {
      name: 'least-privilege',
      role: this.role.name,
      policy: renderPolicy(() => this.policy),
    });

    this.environmentVariables = {
      [LAMBDA_ENV.environment]: props.environment,
      [LAMBDA_ENV.stateTable]: rotation.table.name,
      [LAMBDA_ENV.canaryTargets]: JSON.stringify(
        domains.map((d) => ({ domain: d.domain, configurationSet: d.configurationSetName })),
      ),
      [LAMBDA_ENV.canaryRecipient]: recipient,
      [LAMBDA_ENV.canaryLocalPart]: senderLocalPart,
      [LAMBDA_ENV.canaryBucket]: bucketName,
      [LAMBDA_ENV.canaryBucketRegion]: region,
      [LAMBDA_ENV.canaryPrefix]: CANARY_OBJECT_PREFIX,
      [LAMBDA_ENV.canaryWaitSeconds]: String(waitSeconds),
      ...(props.resolvers && props.resolvers.length > 0 ? { [LAMBDA_ENV.resolvers]: props.resolvers.join(',') } : {}),
      [POWERTOOLS_ENV.metricsNamespace]: METRIC_NAMESPACE,
      [POWERTOOLS_ENV.serviceName]: 'byodkim-canary',
    };
    this.bundle = readLambdaBundle(props.bundleDirectory ?? defaultBundleDirectory(), 'canary', (m) =>
      fail(`bundle: ${m}`, 'bundleDirectory'),
    );
    this.function = bundledFunction(this, 'Function', 'Bundle', {
      name: functionName,
      description: 'byodkim: DKIM signature canary (sends through SES, verifies what recipients see)',
      roleArn: this.role.arn,
      bundle: this.bundle,
      memorySize: 512,
      timeout: waitSeconds + FUNCTION_MARGIN_SECONDS,
      reservedConcurrency: 1,
      environment: this.environmentVariables,
      tags,
      dependsOn: [this.logGroup, policyResource],
    });

    this.scheduleRole = new IamRole(this, 'ScheduleRole', {
      name: `${namePrefix}-dkim-canary-schedule`,
      description: 'byodkim: lets EventBridge Scheduler invoke the DKIM canary',
      assumeRolePolicy: trustPolicy('scheduler.amazonaws.com', accountId),
      tags,
    });
    const functionArn = this.function.arn;
    new IamRolePolicy(this, 'ScheduleRolePolicy', {
      name: 'invoke-canary',
      role: this.scheduleRole.name,
      policy: renderPolicy(() =>
        policyDocument([
          {
            Sid: 'InvokeCanary',
            Effect: 'Allow',
            Action: ['lambda:InvokeFunction'],
            Resource: [functionArn, `${functionArn}:*`],
          },
        ]),
      ),
    });
    this.schedule = new SchedulerSchedule(this, 'Schedule', {
      name: `${namePrefix}-dkim-canary`,
      description: 'byodkim: runs the DKIM signature canary',
      scheduleExpression: schedule,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: functionArn,
        roleArn: this.scheduleRole.arn,
        input: JSON.stringify({ source: 'byodkim.canary' }),
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 600 },
      },
    });

    // ---------------------------------------------------------------------------------------------
    // Alarms (the suite's: its name prefix, its topic).

    const environment = { [METRIC_DIMENSIONS.environment]: props.environment };
    const period = periodMinutes! * 60;
    const checked = domains.map((d) => d.domain).join(', ');
    this.failureAlarm = props.addAlarm('Alarm-canaryFailures', {
      nameSuffix: 'dkim-canary-failed',
      alarmDescription: [
        `CRITICAL byodkim ${props.environment}: the DKIM canary's message did not pass (${checked}): recipients may see DKIM fail. The log line canary.result (level ERROR) of ${functionName} names the domain and the reason; see docs/canary.md.`,
        `CRITICAL byodkim ${props.environment}: DKIM カナリアのメールが検証に通りませんでした (${checked})。受信側で DKIM が失敗しているおそれがあります。${functionName} のログ canary.result (ERROR) にドメインと理由があります。docs/canary.md を参照してください。`,
      ].join('\n'),
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.canaryFailures.name,
      dimensions: environment,
      statistic: 'Maximum',
      period,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    this.silenceAlarm = props.addAlarm('Alarm-canarySilent', {
      nameSuffix: 'dkim-canary-silent',
      alarmDescription: [
        `WARNING byodkim ${props.environment}: the DKIM canary has not finished a run for ${missedRuns} period(s) of ${schedule}: nothing proves what recipients see. Check ${functionName}'s errors and its log line canary.failed.`,
        `WARNING byodkim ${props.environment}: DKIM カナリアが ${schedule} の ${missedRuns} 回分、実行を完了していません。受信側で署名が検証できるか確認できていない状態です。${functionName} のエラーとログ canary.failed を確認してください。`,
      ].join('\n'),
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.canaryRuns.name,
      dimensions: environment,
      statistic: 'SampleCount',
      period,
      evaluationPeriods: missedRuns,
      datapointsToAlarm: missedRuns,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
  }
}
