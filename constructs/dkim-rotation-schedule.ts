/**
 * DkimRotationSchedule: the runtime that keeps every {@link ByodkimDomain} of an environment signed with a
 * fresh key, unattended (docs/design.md §5).
 *
 * - An EventBridge Scheduler schedule (time-zone aware, its own role) invokes the **planner** Lambda, which
 *   lists the configured domains (the SPEC items below) and puts one message per domain on the **work
 *   queue**.
 * - The **worker** Lambda reads the queue (event source mapping with `maximum_concurrency`, partial batch
 *   failures) and reconciles one domain per message; a message that fails `maxReceiveCount` times moves to
 *   the **dead-letter queue**. Operators invoke the worker directly with an operator payload.
 * - The **state table** (DynamoDB: point-in-time recovery, the key store key, TTL on audit events) holds the
 *   lifecycle state, the audit trail and one **SPEC item per domain**, written by Terraform: a plan shows the
 *   per-domain, per-field diff of what changed in the configuration.
 * - One IAM role per Lambda, least privilege down to the record: Route 53 writes only TXT records under
 *   `*._domainkey.<domain>` (delegated: the two slot names) of the configured zones, SES actions only on the
 *   identities, `ses:SendEmail` only from the DNS-team sender, secrets only under the prefix, the table and
 *   the queues only. KMS use is granted in the keys' policies ({@link KeyStoreKey.grant}).
 * - Queues and the operator topic (created unless one is given) are encrypted with a messaging key of their
 *   own; the Lambdas' log groups with the key store key.
 *
 * No key material ever reaches Terraform: the Lambdas' environment holds names and ARNs only.
 *
 * Construct ids (`Planner`, `Worker`, `StateTable`, `WorkQueue`, `Spec<n>` by domain, …) are part of the
 * public contract: renaming one replaces the resource in every user's state.
 */
import { Annotations, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { LAMBDA_ENV, METRIC_NAMESPACE, POWERTOOLS_ENV, STATE_TABLE, specItem } from '../functions/core/contract';
import { formatValue } from '../functions/core/domain-rules';
import { ValidationError } from '../functions/core/errors';
import { emailProblem } from '../functions/core/names';
import { route53NamePattern } from '../functions/core/route53-names';
import { awsContextOf, type AwsContext } from './aws-context';
import { ByodkimDomain } from './byodkim-domain';
import { KeyStoreKey } from './key-store-key';
import { policyDocument, renderPolicy, trustPolicy, type PolicyDocument, type PolicyStatement } from './private/iam';
import { chooseDkimAccess, type DkimAccess, type DkimAccessLevel, type DkimAccessTarget } from './private/dkim-access';
import {
  ARN_PART_BOUNDS,
  IAM_LIMITS,
  INLINE_POLICY_BUDGET,
  renderedPolicyLength,
  TokenLengths,
} from './private/policy-size';
import { bundledFunction, defaultBundleDirectory, readLambdaBundle, type LambdaBundle } from './private/lambda-bundle';
import { lambdaFunctionName, stateTableName, type LambdaRole } from '../functions/core/resource-names';

export interface DkimRotationScheduleProps {
  /** The domains to keep rotating (at least one). Each gets a SPEC item and IAM access to its identity and zone. */
  readonly domains: readonly ByodkimDomain[];
  /** The environment's name (`dev`, `prod`): the `Environment` metric dimension and part of default names. */
  readonly environment: string;
  /** The key store key (secrets, the state table, log groups). @default the domains' `encryptionKey` */
  readonly keyStoreKey?: KeyStoreKey;
  /** Prefix of every name (functions, roles, table, queues, topic, key alias). @default `byodkim-<environment>` */
  readonly namePrefix?: string;
  /** When the planner runs: an EventBridge Scheduler `cron(…)`, `rate(…)` or `at(…)`. @default 'cron(0 0/6 * * ? *)' (every 6 hours) */
  readonly scheduleExpression?: string;
  /** The IANA time zone of `scheduleExpression`, e.g. `Asia/Tokyo`. @default 'UTC' */
  readonly scheduleTimeZone?: string;
  /** Workers reconciling at once (the event source mapping's `maximum_concurrency`, 2–1000). @default 10 */
  readonly workerMaxConcurrency?: number;
  /** Receives of a message before it moves to the dead-letter queue (1–1000). @default 5 */
  readonly maxReceiveCount?: number;
  /** Days CloudWatch keeps the Lambdas' logs. @default 731 */
  readonly logRetentionDays?: number;
  /** The SNS topic for operator notices. @default a topic created here, encrypted with the messaging key */
  readonly operatorTopicArn?: string;
  /** E-mail addresses subscribed to the created operator topic (ignored with `operatorTopicArn`). @default none */
  readonly operatorEmails?: readonly string[];
  /** The address DNS-team change requests are sent from, on an SES identity verified for sending. */
  readonly dnsTeamSender: string;
  /**
   * The ARN of the SES identity `dnsTeamSender` sends through.
   * @default the identity of one of `domains` when the sender's domain is one, else `identity/<sender's domain>`
   */
  readonly dnsTeamSenderIdentityArn?: string;
  /** Secrets are `<secretPrefix>/<domain>/<keyId>`; the worker may touch no other secret. @default namePrefix */
  readonly secretPrefix?: string;
  /**
   * The operators' addresses, the `Reply-To` of DNS-team mail (the DNS team's answers reach people, not the
   * sender). @default `operatorEmails`
   */
  readonly operatorReplyTo?: readonly string[];
  /** Recursive resolvers the worker verifies records on (`host[:port]`). @default the DNS observer's own list (8.8.8.8, 1.1.1.1, 9.9.9.9) */
  readonly resolvers?: readonly string[];
  /**
   * Authoritative servers the worker asks instead of discovering the zone's name servers (`host[:port]`):
   * split-horizon DNS, where the public name servers are not reachable from the Lambdas. @default discovery
   */
  readonly authoritativeServers?: readonly string[];
  /** Refuse `terraform destroy` of the state table (and DynamoDB's own deletion protection). @default true */
  readonly deletionProtection?: boolean;
  /** Where `npm run bundle` wrote `planner.zip` and `worker.zip`. @default `<package root>/bundles` */
  readonly bundleDirectory?: string;
  /** The account. @default the `aws_caller_identity` data source */
  readonly accountId?: string;
  /** The region. @default the `aws_region` data source */
  readonly region?: string;
  /** The ARN partition. @default derived from `region`, or the `aws_partition` data source */
  readonly partition?: string;
  /** Tags on every resource, in addition to the provider's default tags. @default none */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Every 6 hours, on the hour (00:00, 06:00, 12:00, 18:00 in `scheduleTimeZone`). */
export const DEFAULT_SCHEDULE_EXPRESSION = 'cron(0 0/6 * * ? *)';
export const DEFAULT_WORKER_MAX_CONCURRENCY = 10;
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
/** Worker timeout; the queue's visibility timeout is six times as long (AWS's advice for Lambda consumers). */
export const WORKER_TIMEOUT_SECONDS = 300;
export const PLANNER_TIMEOUT_SECONDS = 300;
/** Invocations kept free beside the queue's workers for operators' direct requests. */
export const OPERATOR_HEADROOM = 2;
/** Messages per worker invocation: small, so one slow domain delays few others. */
export const WORKER_BATCH_SIZE = 5;

export { ROUTE53_CONDITION_KEYS, SES_IDENTITY_ACTIONS, type DkimAccessLevel } from './private/dkim-access';
export const SECRET_ACTIONS = [
  'secretsmanager:CreateSecret',
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:TagResource',
] as const;
/** TransactWriteItems is authorized by the actions of its parts (Put, Update, ConditionCheck). */
export const WORKER_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
] as const;
/**
 * The key manager's heartbeat for the monitor: one BatchWriteItem per SQS batch (functions/adapters/dynamodb.ts
 * `writeHeartbeats`), its items limited to the HEARTBEAT item's attributes (`dynamodb:Attributes`), so the
 * batch call cannot write a STATE, SPEC or event item.
 */
export const WORKER_HEARTBEAT_ATTRIBUTES = [
  STATE_TABLE.partitionKey,
  STATE_TABLE.sortKey,
  STATE_TABLE.attributes.domain,
  STATE_TABLE.attributes.lastRunAt,
  STATE_TABLE.attributes.outcome,
] as const;
/** SendMessage: a domain whose engine asks to run again within 15 min goes back to the queue, delayed. */
export const WORKER_QUEUE_ACTIONS = [
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
] as const;
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

const NAME_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const SECRET_PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-]+(?:\/[A-Za-z0-9_+=.@-]+)*$/;
const SCHEDULE_PATTERN = /^(?:cron|rate|at)\(.+\)$/;

/** What one Lambda of the schedule is made of. */
export interface RotationFunction {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** The role's inline policy, before `jsonencode`: for review and tests. */
  readonly policy: PolicyDocument;
  /** The `aws_iam_role_policy` that holds it. */
  readonly policyResource: IamRolePolicy;
  readonly bundle: LambdaBundle;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class DkimRotationSchedule extends Construct {
  public readonly planner: RotationFunction;
  public readonly worker: RotationFunction;
  public readonly table: DynamodbTable;
  /** One SPEC item per domain, by domain. */
  public readonly specItems: Readonly<Record<string, DynamodbTableItem>>;
  public readonly workQueue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  public readonly eventSourceMapping: LambdaEventSourceMapping;
  public readonly schedule: SchedulerSchedule;
  public readonly scheduleRole: IamRole;
  /** Encrypts the queues and the created topic. */
  public readonly messagingKey: KeyStoreKey;
  /** The topic created here (undefined when `operatorTopicArn` was given). */
  public readonly operatorTopic?: SnsTopic;
  public readonly operatorTopicArn: string;
  public readonly keyStoreKey: KeyStoreKey;
  public readonly namePrefix: string;
  public readonly secretPrefix: string;
  public readonly dnsTeamSender: string;
  public readonly dnsTeamSenderIdentityArn: string;
  /** The Lambdas' environment variables (names and ARNs only: never key material). */
  public readonly plannerEnvironment: Readonly<Record<string, string>>;
  public readonly workerEnvironment: Readonly<Record<string, string>>;
  /**
   * How precisely the worker's policy names the domains: `per-domain` (each identity and record name),
   * `all-identities` or `dkim-records` when listing them would exceed IAM's policy size limit.
   */
  public readonly workerAccessLevel: DkimAccessLevel;
  /** The size the worker's policy will have once rendered (characters, an upper bound), against IAM's 10,240. */
  public readonly workerPolicyLength: number;

  private readonly aws: AwsContext;
  /** Lengths of the ARNs the worker's policy references, for its size (see private/policy-size). */
  private tokenLengths?: TokenLengths;

  constructor(scope: Construct, id: string, props: DkimRotationScheduleProps) {
    super(scope, id);
    const fail = (message: string, field?: string): never => {
      throw new ValidationError('INVALID_PROPS', `DkimRotationSchedule ${this.node.path}: ${message}`, field);
    };
    const literal = (value: unknown): boolean => !Token.isUnresolved(value);

    const domains = props.domains ?? [];
    if (domains.length === 0) fail('domains must list at least one ByodkimDomain (given none)', 'domains');
    const seen = new Set<string>();
    for (const domain of domains) {
      if (!(domain instanceof ByodkimDomain))
        fail(`domains must be ByodkimDomain constructs (given ${formatValue(domain)})`, 'domains');
      if (seen.has(domain.domain)) fail(`domains must list each domain once (given ${domain.domain} twice)`, 'domains');
      seen.add(domain.domain);
    }
    if (literal(props.environment) && !/^[a-z][a-z0-9]{0,9}$/.test(props.environment ?? '')) {
      fail(
        `environment must be 1-10 lowercase letters and digits (given ${formatValue(props.environment)})`,
        'environment',
      );
    }
    const namePrefix = props.namePrefix ?? `byodkim-${props.environment}`;
    if (literal(namePrefix) && !NAME_PREFIX_PATTERN.test(namePrefix)) {
      fail(
        `namePrefix must be 1-32 lowercase letters, digits and inner hyphens (given ${formatValue(namePrefix)})`,
        'namePrefix',
      );
    }
    const secretPrefix = props.secretPrefix ?? namePrefix;
    if (literal(secretPrefix) && !SECRET_PREFIX_PATTERN.test(secretPrefix)) {
      fail(
        `secretPrefix must be secret-name characters without a leading or trailing "/" (given ${formatValue(secretPrefix)})`,
        'secretPrefix',
      );
    }
    const scheduleExpression = props.scheduleExpression ?? DEFAULT_SCHEDULE_EXPRESSION;
    if (literal(scheduleExpression) && !SCHEDULE_PATTERN.test(scheduleExpression)) {
      fail(
        `scheduleExpression must be cron(...), rate(...) or at(...) (given ${formatValue(scheduleExpression)})`,
        'scheduleExpression',
      );
    }
    const scheduleTimeZone = props.scheduleTimeZone ?? 'UTC';
    if (literal(scheduleTimeZone) && !isTimeZone(scheduleTimeZone)) {
      fail(
        `scheduleTimeZone must be an IANA time zone such as Asia/Tokyo (given ${formatValue(scheduleTimeZone)})`,
        'scheduleTimeZone',
      );
    }
    const maxConcurrency = props.workerMaxConcurrency ?? DEFAULT_WORKER_MAX_CONCURRENCY;
    if (literal(maxConcurrency) && (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000)) {
      fail(
        `workerMaxConcurrency must be a whole number from 2 to 1000 (given ${formatValue(maxConcurrency)})`,
        'workerMaxConcurrency',
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    if (
      literal(maxReceiveCount) &&
      (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000)
    ) {
      fail(
        `maxReceiveCount must be a whole number from 1 to 1000 (given ${formatValue(maxReceiveCount)})`,
        'maxReceiveCount',
      );
    }
    const logRetentionDays = props.logRetentionDays ?? 731;
    if (literal(logRetentionDays) && (!Number.isInteger(logRetentionDays) || logRetentionDays < 1)) {
      fail(
        `logRetentionDays must be a whole number of days (given ${formatValue(logRetentionDays)})`,
        'logRetentionDays',
      );
    }
    if (literal(props.dnsTeamSender) && emailProblem(props.dnsTeamSender ?? '') !== undefined) {
      fail(
        `dnsTeamSender ${emailProblem(props.dnsTeamSender ?? '')} (given ${formatValue(props.dnsTeamSender)})`,
        'dnsTeamSender',
      );
    }
    for (const address of props.operatorEmails ?? []) {
      const problem = literal(address) ? emailProblem(address) : undefined;
      if (problem !== undefined) fail(`operatorEmails ${problem} (given ${formatValue(address)})`, 'operatorEmails');
    }
    const operatorReplyTo = props.operatorReplyTo ?? props.operatorEmails ?? [];
    for (const address of operatorReplyTo) {
      const problem = literal(address) ? emailProblem(address) : undefined;
      if (problem !== undefined) fail(`operatorReplyTo ${problem} (given ${formatValue(address)})`, 'operatorReplyTo');
    }
    for (const name of ['resolvers', 'authoritativeServers'] as const) {
      for (const server of props[name] ?? []) {
        if (literal(server) && !/^[A-Za-z0-9.:[\]-]+$/.test(server)) {
          fail(`${name} must be host[:port] entries (given ${formatValue(server)})`, name);
        }
      }
    }
    const keyStoreKey = props.keyStoreKey ?? domains[0].encryptionKey;
    const otherKey = domains.find((d) => d.encryptionKey !== keyStoreKey);
    if (otherKey) {
      fail(`every domain must use the schedule's key store key (${otherKey.domain} uses another one)`, 'keyStoreKey');
    }
    const deletionProtection = props.deletionProtection ?? true;
    const tags = props.tags ? { ...props.tags } : undefined;

    const aws = awsContextOf(this, props);
    this.aws = aws;
    this.namePrefix = namePrefix;
    this.secretPrefix = secretPrefix;
    this.keyStoreKey = keyStoreKey;
    this.dnsTeamSender = props.dnsTeamSender;
    const senderDomain = props.dnsTeamSender.slice(props.dnsTeamSender.lastIndexOf('@') + 1).toLowerCase();
    const senderIdentity = domains.find((d) => d.domain === senderDomain);
    this.dnsTeamSenderIdentityArn =
      props.dnsTeamSenderIdentityArn ?? senderIdentity?.identityArn ?? this.arn('ses', `identity/${senderDomain}`);

    const bundleDirectory = props.bundleDirectory ?? defaultBundleDirectory();
    const bundleOf = (handler: string) => readLambdaBundle(bundleDirectory, handler, (m) => fail(m, 'bundleDirectory'));
    const plannerBundle = bundleOf('planner');
    const workerBundle = bundleOf('worker');

    // ---------------------------------------------------------------------------------------------
    // Keys: the key store key for the table and the logs; a messaging key for the queues and the topic.

    keyStoreKey.allowDynamoDbTables();
    // The one naming rule the CLI uses too (`byodkim status --env …` invokes the worker by this name).
    const functionName = (role: LambdaRole) => lambdaFunctionName(namePrefix, role);
    keyStoreKey.allowLogGroups(this.arn('logs', `log-group:/aws/lambda/${namePrefix}-dkim-*`));
    this.messagingKey = new KeyStoreKey(this, 'MessagingKey', {
      alias: `alias/${namePrefix}-dkim-messaging`,
      description: 'byodkim: encrypts the DKIM rotation work queues and the operator notice topic',
      viaServices: ['sqs', 'sns'],
      deletionProtection,
      accountId: aws.accountId,
      region: aws.region,
      partition: aws.partition,
      tags,
    });

    // ---------------------------------------------------------------------------------------------
    // The state table and one SPEC item per domain.

    const index = STATE_TABLE.kindIndex;
    this.table = new DynamodbTable(this, 'StateTable', {
      name: stateTableName(namePrefix),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: STATE_TABLE.partitionKey,
      rangeKey: STATE_TABLE.sortKey,
      attribute: [
        { name: STATE_TABLE.partitionKey, type: 'S' },
        { name: STATE_TABLE.sortKey, type: 'S' },
        { name: index.partitionKey, type: 'S' },
        { name: index.sortKey, type: 'S' },
      ],
      globalSecondaryIndex: [
        { name: index.name, hashKey: index.partitionKey, rangeKey: index.sortKey, projectionType: 'KEYS_ONLY' },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: keyStoreKey.keyArn },
      ttl: { attributeName: STATE_TABLE.ttlAttribute, enabled: true },
      deletionProtectionEnabled: deletionProtection,
      tags,
      lifecycle: { preventDestroy: deletionProtection },
    });
    const specItems: Record<string, DynamodbTableItem> = {};
    for (const domain of domains) {
      specItems[domain.domain] = new DynamodbTableItem(this, `Spec-${domain.domain}`, {
        tableName: this.table.name,
        hashKey: this.table.hashKey,
        rangeKey: this.table.rangeKey,
        item: JSON.stringify(specItem(domain.spec)),
      });
    }
    this.specItems = specItems;

    // ---------------------------------------------------------------------------------------------
    // Queues and the operator topic.

    this.deadLetterQueue = new SqsQueue(this, 'DeadLetterQueue', {
      name: `${namePrefix}-dkim-work-dlq`,
      kmsMasterKeyId: this.messagingKey.keyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: 14 * 24 * 3600,
      tags,
    });
    this.workQueue = new SqsQueue(this, 'WorkQueue', {
      name: `${namePrefix}-dkim-work`,
      kmsMasterKeyId: this.messagingKey.keyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      visibilityTimeoutSeconds: 6 * WORKER_TIMEOUT_SECONDS,
      messageRetentionSeconds: 4 * 24 * 3600,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount }),
      tags,
    });
    new SqsQueueRedriveAllowPolicy(this, 'DeadLetterQueueSources', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.workQueue.arn] }),
    });

    if (props.operatorTopicArn !== undefined) {
      this.operatorTopicArn = props.operatorTopicArn;
    } else {
      this.operatorTopic = new SnsTopic(this, 'OperatorTopic', {
        name: `${namePrefix}-dkim-operators`,
        displayName: 'byodkim',
        kmsMasterKeyId: this.messagingKey.keyArn,
        tags,
      });
      this.operatorTopicArn = this.operatorTopic.arn;
      (props.operatorEmails ?? []).forEach((address, i) => {
        new SnsTopicSubscription(this, `OperatorEmail${i + 1}`, {
          topicArn: this.operatorTopicArn,
          protocol: 'email',
          endpoint: address,
        });
      });
    }

    // ---------------------------------------------------------------------------------------------
    // The Lambdas.

    const common = {
      [LAMBDA_ENV.environment]: props.environment,
      [LAMBDA_ENV.stateTable]: this.table.name,
      [POWERTOOLS_ENV.metricsNamespace]: METRIC_NAMESPACE,
    };
    this.plannerEnvironment = {
      ...common,
      [LAMBDA_ENV.workQueueUrl]: this.workQueue.url,
      [LAMBDA_ENV.operatorTopicArn]: this.operatorTopicArn,
      [POWERTOOLS_ENV.serviceName]: 'byodkim-planner',
    };
    this.workerEnvironment = {
      ...common,
      [LAMBDA_ENV.workQueueUrl]: this.workQueue.url,
      [LAMBDA_ENV.secretPrefix]: secretPrefix,
      [LAMBDA_ENV.keyStoreKeyArn]: keyStoreKey.keyArn,
      [LAMBDA_ENV.operatorTopicArn]: this.operatorTopicArn,
      [LAMBDA_ENV.dnsTeamSender]: props.dnsTeamSender,
      ...(operatorReplyTo.length > 0 ? { [LAMBDA_ENV.operatorReplyTo]: operatorReplyTo.join(',') } : {}),
      ...(props.resolvers && props.resolvers.length > 0 ? { [LAMBDA_ENV.resolvers]: props.resolvers.join(',') } : {}),
      ...(props.authoritativeServers && props.authoritativeServers.length > 0
        ? { [LAMBDA_ENV.authoritativeServers]: props.authoritativeServers.join(',') }
        : {}),
      [POWERTOOLS_ENV.serviceName]: 'byodkim-worker',
    };

    const tableArn = this.table.arn;
    const indexArn = `${tableArn}/index/${index.name}`;

    this.planner = this.rotationFunction('Planner', {
      name: functionName('planner'),
      description: 'byodkim: enqueues one reconcile message per configured domain (scheduled)',
      bundle: plannerBundle,
      memorySize: 256,
      timeout: PLANNER_TIMEOUT_SECONDS,
      reservedConcurrency: 1,
      environment: this.plannerEnvironment,
      logRetentionDays,
      tags,
      statements: (own) => [
        own,
        {
          Sid: 'ListConfiguredDomains',
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: [indexArn],
        },
        {
          Sid: 'ReadSpecs',
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
          Resource: [tableArn],
        },
        { Sid: 'EnqueueDomains', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.workQueue.arn] },
        // The orphaned-domain report.
        { Sid: 'OperatorNotices', Effect: 'Allow', Action: ['sns:Publish'], Resource: [this.operatorTopicArn] },
      ],
    });
    this.messagingKey.grant(this.planner.role, 'kms:GenerateDataKey*', 'kms:Decrypt');

    // What the worker may do to the domains, at the narrowest precision IAM accepts (docs/security.md,
    // "IAM at fleet scale"): every identity and record name listed while the policy fits.
    const lengths = new TokenLengths();
    const { partition, region, accountId } = aws;
    lengths.set(partition, ARN_PART_BOUNDS.partition);
    lengths.set(region, ARN_PART_BOUNDS.region);
    lengths.set(accountId, ARN_PART_BOUNDS.accountId);
    const partLength = (value: string, bound: number) => (Token.isUnresolved(value) ? bound : value.length);
    const identityArnHead =
      'arn::ses:::identity/'.length +
      partLength(partition, ARN_PART_BOUNDS.partition) +
      partLength(region, ARN_PART_BOUNDS.region) +
      partLength(accountId, ARN_PART_BOUNDS.accountId);
    const zoneArnLength = `arn::route53:::hostedzone/`.length + partLength(partition, ARN_PART_BOUNDS.partition) + 32;
    const targets: DkimAccessTarget[] = domains.map((d) => {
      lengths.set(d.identityArn, identityArnHead + d.domain.length);
      if (d.hostedZoneArn !== undefined) lengths.set(d.hostedZoneArn, zoneArnLength);
      const zoneId = d.spec.dns.kind === 'route53' ? d.spec.dns.hostedZoneId : undefined;
      return {
        domain: d.domain,
        identityArn: d.identityArn,
        ...(d.hostedZoneArn !== undefined ? { zoneArn: d.hostedZoneArn } : {}),
        ...(zoneId !== undefined && !Token.isUnresolved(zoneId)
          ? { zoneArnById: `arn:${partition}:route53:::hostedzone/${zoneId}` }
          : {}),
        dnsMode: d.dnsMode,
        recordNames: d.managedRecordNames.map(route53NamePattern),
      };
    });
    const allIdentitiesArn = this.arn('ses', 'identity/*');
    // The table, queue and topic ARNs are known but for their partition, region and account.
    const regionalHead = 'arn:::::'.length + identityArnHead - 'arn::ses:::identity/'.length;
    lengths.set(this.table.arn, regionalHead + 'dynamodb'.length + 'table/'.length + `${namePrefix}-dkim-state`.length);
    lengths.set(this.workQueue.arn, regionalHead + 'sqs'.length + `${namePrefix}-dkim-work`.length);
    if (this.operatorTopic) {
      lengths.set(this.operatorTopicArn, regionalHead + 'sns'.length + `${namePrefix}-dkim-operators`.length);
    }
    this.tokenLengths = lengths;
    const workerStatements = (access: DkimAccess, own: PolicyStatement): PolicyStatement[] => [
      own,
      ...access.recordChanges,
      ...(access.recordChanges.length > 0
        ? [
            {
              // The record as Route 53 holds it (a DELETE must repeat it exactly).
              Sid: 'Route53ReadRecords',
              Effect: 'Allow' as const,
              Action: ['route53:ListResourceRecordSets'],
              Resource: [...access.zones],
            },
            {
              Sid: 'Route53ChangeStatus',
              Effect: 'Allow' as const,
              Action: ['route53:GetChange'],
              Resource: [`arn:${aws.partition}:route53:::change/*`],
            },
          ]
        : []),
      ...(domains.some((d) => d.dnsMode === 'delegated')
        ? [
            {
              // A delegated zone is named in the spec, not by id; this action takes no resource.
              Sid: 'Route53FindDelegatedZones',
              Effect: 'Allow' as const,
              Action: ['route53:ListHostedZonesByName'],
              Resource: ['*'],
            },
          ]
        : []),
      access.identityDkim,
      {
        Sid: 'SesSendAsDnsTeamSender',
        Effect: 'Allow',
        Action: ['ses:SendEmail'],
        Resource: [
          this.dnsTeamSenderIdentityArn,
          ...(senderIdentity && props.dnsTeamSenderIdentityArn === undefined
            ? [senderIdentity.configurationSetArn]
            : []),
        ],
        Condition: { StringEquals: { 'ses:FromAddress': props.dnsTeamSender } },
      },
      {
        Sid: 'KeyStoreSecrets',
        Effect: 'Allow',
        Action: [...SECRET_ACTIONS],
        Resource: [this.arn('secretsmanager', `secret:${secretPrefix}/*`)],
      },
      {
        // ListSecrets supports no resource-level permission; it returns metadata, never a secret value.
        Sid: 'KeyStoreList',
        Effect: 'Allow',
        Action: ['secretsmanager:ListSecrets'],
        Resource: ['*'],
      },
      { Sid: 'StateTable', Effect: 'Allow', Action: [...WORKER_TABLE_ACTIONS], Resource: [tableArn] },
      {
        Sid: 'Heartbeats',
        Effect: 'Allow',
        Action: ['dynamodb:BatchWriteItem'],
        Resource: [tableArn],
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...WORKER_HEARTBEAT_ATTRIBUTES] } },
      },
      { Sid: 'WorkQueue', Effect: 'Allow', Action: [...WORKER_QUEUE_ACTIONS], Resource: [this.workQueue.arn] },
      { Sid: 'OperatorNotices', Effect: 'Allow', Action: ['sns:Publish'], Resource: [this.operatorTopicArn] },
    ];
    let workerAccessLevel: DkimAccessLevel = 'per-domain';
    let workerPolicyLength = 0;
    this.worker = this.rotationFunction('Worker', {
      name: functionName('worker'),
      description: 'byodkim: reconciles one domain per message; takes operator requests directly',
      bundle: workerBundle,
      memorySize: 512,
      timeout: WORKER_TIMEOUT_SECONDS,
      reservedConcurrency: maxConcurrency + OPERATOR_HEADROOM,
      environment: this.workerEnvironment,
      logRetentionDays,
      tags,
      statements: (own) => {
        const choice = chooseDkimAccess(
          targets,
          allIdentitiesArn,
          INLINE_POLICY_BUDGET,
          (access) => policyDocument(workerStatements(access, own)),
          (document) => renderedPolicyLength(document, lengths.get),
          (length) =>
            new ValidationError(
              'INVALID_PROPS',
              `DkimRotationSchedule ${this.node.path}: the worker's IAM policy needs ${length} characters even with ` +
                `SES on identity/* and Route 53 on *._domainkey.* of the ${new Set(targets.map((t) => t.zoneArnById ?? t.zoneArn).filter(Boolean)).size} ` +
                `configured zones (IAM allows ${IAM_LIMITS.inlinePoliciesPerRole} for a role's inline policies; ` +
                `this construct plans for ${INLINE_POLICY_BUDGET}): split the domains across several schedules (stacks)`,
              'domains',
            ),
          `arn:${aws.partition}:route53:::hostedzone/*`,
        );
        workerAccessLevel = choice.access.level;
        workerPolicyLength = choice.length;
        if (choice.access.level !== 'per-domain') {
          Annotations.of(this).addWarning(
            `DkimRotationSchedule ${this.node.path}: the worker's IAM policy was widened to "${choice.access.level}" ` +
              `(${choice.length} characters) because listing every identity and record name of the ${domains.length} ` +
              `domains would take ${choice.perDomainLength}, over the ${INLINE_POLICY_BUDGET} planned of IAM's ` +
              `${IAM_LIMITS.inlinePoliciesPerRole}-character limit for a role's inline policies: ` +
              'SES DKIM actions (never DeleteEmailIdentity) on every identity of this account and region; ' +
              (choice.access.level === 'all-identities'
                ? 'Route 53 still every record name, by zone'
                : 'Route 53 TXT UPSERT/DELETE of any *._domainkey.* name in the configured zones only' +
                  (choice.access.level === 'dkim-records-read-any-zone'
                    ? ', ListResourceRecordSets (read) on every zone'
                    : '')) +
              ' (docs/security.md, "IAM at fleet scale")',
          );
        }
        return choice.rendered.Statement as PolicyStatement[];
      },
    });
    this.workerAccessLevel = workerAccessLevel;
    this.workerPolicyLength = workerPolicyLength;
    keyStoreKey.grantEncryptDecrypt(this.worker.role);
    this.messagingKey.grant(this.worker.role, 'kms:GenerateDataKey*', 'kms:Decrypt');

    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'WorkerQueueMapping', {
      eventSourceArn: this.workQueue.arn,
      functionName: this.worker.function.arn,
      batchSize: WORKER_BATCH_SIZE,
      maximumBatchingWindowInSeconds: 0,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: maxConcurrency },
      enabled: true,
      dependsOn: [this.worker.policyResource],
    });

    // ---------------------------------------------------------------------------------------------
    // The schedule and its role.

    this.scheduleRole = new IamRole(this, 'ScheduleRole', {
      name: `${namePrefix}-dkim-schedule`,
      description: 'byodkim: lets EventBridge Scheduler invoke the DKIM rotation planner',
      assumeRolePolicy: trustPolicy('scheduler.amazonaws.com', aws.accountId),
      tags,
    });
    const plannerArn = this.planner.function.arn;
    new IamRolePolicy(this, 'ScheduleRolePolicy', {
      name: 'invoke-planner',
      role: this.scheduleRole.name,
      policy: renderPolicy(() =>
        policyDocument([
          {
            Sid: 'InvokePlanner',
            Effect: 'Allow',
            Action: ['lambda:InvokeFunction'],
            Resource: [plannerArn, `${plannerArn}:*`],
          },
        ]),
      ),
    });
    this.schedule = new SchedulerSchedule(this, 'Schedule', {
      name: `${namePrefix}-dkim-rotation`,
      description: 'byodkim: runs the DKIM rotation planner',
      scheduleExpression,
      scheduleExpressionTimezone: scheduleTimeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: plannerArn,
        roleArn: this.scheduleRole.arn,
        input: JSON.stringify({ source: 'byodkim.schedule' }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
    });
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>`. */
  private arn(service: string, resource: string): string {
    const { partition, region, accountId } = this.aws;
    return `arn:${partition}:${service}:${region}:${accountId}:${resource}`;
  }

  private rotationFunction(
    id: string,
    options: {
      name: string;
      description: string;
      bundle: LambdaBundle;
      memorySize: number;
      timeout: number;
      reservedConcurrency: number;
      environment: Readonly<Record<string, string>>;
      logRetentionDays: number;
      tags: Record<string, string> | undefined;
      /** The role's statements, given the one that lets it write its own logs. */
      statements: (ownLogs: PolicyStatement) => PolicyStatement[];
    },
  ): RotationFunction {
    const logGroup = new CloudwatchLogGroup(this, `${id}Logs`, {
      name: `/aws/lambda/${options.name}`,
      retentionInDays: options.logRetentionDays,
      kmsKeyId: this.keyStoreKey.keyArn,
      tags: options.tags,
    });
    const role = new IamRole(this, `${id}Role`, {
      name: options.name,
      description: options.description,
      assumeRolePolicy: trustPolicy('lambda.amazonaws.com'),
      tags: options.tags,
    });
    // The log group's ARN: `arn:<p>:logs:<r>:<a>:log-group:<name>` (its parts as the other ARNs measured).
    this.tokenLengths?.set(
      logGroup.arn,
      this.tokenLengths.lengthOf(this.arn('logs', `log-group:/aws/lambda/${options.name}`)),
    );
    // Built now, not at synth: the worker chooses its precision by the policy's size and says so (a warning).
    const document = policyDocument(
      options.statements({
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: [...LOG_ACTIONS],
        Resource: [`${logGroup.arn}:*`],
      }),
    );
    const policy = (): PolicyDocument => document;
    const policyResource = new IamRolePolicy(this, `${id}RolePolicy`, {
      name: 'least-privilege',
      role: role.name,
      policy: renderPolicy(policy),
    });
    const fn = bundledFunction(this, id, `${id}Bundle`, {
      name: options.name,
      description: options.description,
      roleArn: role.arn,
      bundle: options.bundle,
      memorySize: options.memorySize,
      timeout: options.timeout,
      reservedConcurrency: options.reservedConcurrency,
      environment: options.environment,
      tags: options.tags,
      dependsOn: [logGroup, policyResource],
    });
    return {
      function: fn,
      role,
      logGroup,
      bundle: options.bundle,
      policyResource,
      get policy() {
        return policy();
      },
    };
  }
}
