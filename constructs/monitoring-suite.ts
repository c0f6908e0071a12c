/**
 * MonitoringSuite: watches an environment's DKIM independently of the key manager that keeps it
 * ({@link DkimRotationSchedule}), and tells people when it is at risk (docs/monitoring.md).
 *
 * - The **monitor** Lambda (bundle `monitor`): its own read-only role (the state table and its index, SES
 *   `GetEmailIdentity` on the identities, `kms:Decrypt` through DynamoDB; its own log group; `sns:Publish`
 *   on the alarm topic only), its own log group (retention, encrypted with the monitoring key), its own
 *   EventBridge Scheduler schedule (default hourly) with its own role. It shares nothing with the key
 *   manager but the table it reads.
 * - The **report** Lambda (bundle `report`) on `cron(0 9 1 * ? *)` in the report time zone (the 1st of the
 *   month, 09:00, default Asia/Tokyo): reads the table, writes the month's report under pk `REPORT` only
 *   (`dynamodb:LeadingKeys`), publishes it to the alarm topic.
 * - The **alarm topic** (SNS), encrypted with the suite's own KMS key (rotation on), whose key policy lets
 *   CloudWatch alarms of this account use it (`cloudwatch.amazonaws.com`: `kms:Decrypt`,
 *   `kms:GenerateDataKey*`, limited by `aws:SourceAccount` and `aws:SourceArn`) — without it, alarms on an
 *   encrypted topic are never delivered, silently; e-mail subscriptions; Slack through AWS Chatbot when
 *   configured.
 * - **Alarms**, environment-wide (one per condition for 1 or 10,000 domains): DKIM not healthy, record
 *   problems, signing drift (critical); key over its interval, key expiring with no rotation, DNS request
 *   overdue, key manager silent for some domains, key-manager errors, dead letters, monitor errors
 *   (warning); the key manager's and the monitor's heartbeats (critical, missing data = breaching). Every
 *   alarm notifies the topic when it fires and when it clears.
 * - A **dashboard** per environment whose size does not grow with the domains (Metrics Insights and Logs
 *   Insights queries).
 *
 * Construct ids (`Monitor`, `Report`, `AlarmTopic`, `AlarmKey`, `Alarm-<key>`, `Dashboard`, …) are part of
 * the public contract: renaming one replaces the resource in every user's state.
 */
import { Fn, Token, type TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { ChatbotSlackChannelConfiguration } from '@cdktf/provider-aws/lib/chatbot-slack-channel-configuration';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import {
  DEFAULT_REPORT_TIME_ZONE,
  LAMBDA_ENV,
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  METRICS,
  POWERTOOLS_ENV,
  STATE_TABLE,
  type Locale,
} from '../functions/core/contract';
import { formatValue } from '../functions/core/domain-rules';
import { ValidationError } from '../functions/core/errors';
import { emailProblem } from '../functions/core/names';
import { alarmNamePrefix, lambdaFunctionName } from '../functions/core/resource-names';
import { schedulePeriodMinutes, silentAfterMinutes } from '../functions/core/schedule-period';
import { awsContextOf, type AwsContext } from './aws-context';
import { ByodkimDomain } from './byodkim-domain';
import { DkimRotationSchedule } from './dkim-rotation-schedule';
import { ADMIN_ACTIONS } from './key-store-key';
import {
  ALARM_TEXTS,
  ALARMS,
  alarmDescription,
  MONITOR_COUNT_METRICS,
  THRESHOLD_ALARMS,
  type AlarmKey,
  type ThresholdAlarm,
} from './private/monitoring-alarms';
import { dashboardBody } from './private/monitoring-dashboard';
import { CHATBOT_LOG_REGION } from './security/rules/chatbot-log-group-declared';
import { DkimCanary, type DkimCanaryOptions } from './private/dkim-canary';
import { policyDocument, renderPolicy, trustPolicy, type PolicyDocument, type PolicyStatement } from './private/iam';
import { bundledFunction, defaultBundleDirectory, readLambdaBundle, type LambdaBundle } from './private/lambda-bundle';

export { ALARMS, THRESHOLD_ALARMS, type AlarmKey, type ThresholdAlarm } from './private/monitoring-alarms';
export { CHATBOT_LOG_REGION };

/** Alarms to a Slack channel through AWS Chatbot (the workspace is authorized once in the Chatbot console). */
export interface MonitoringSlackChannel {
  /** The Slack workspace (team) id, e.g. `T0123ABCDE`. */
  readonly workspaceId: string;
  /** The channel id, e.g. `C0123ABCDE`. */
  readonly channelId: string;
  /**
   * The AWS provider that manages the channel configuration: AWS Chatbot is a global service whose API
   * answers in a few regions only (e.g. us-east-2, us-west-2, eu-west-1, ap-southeast-1), so a stack in
   * another region passes a provider for one of them (ByodkimStack does: us-east-2).
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
  /**
   * An AWS provider for us-east-1, where AWS Chatbot writes the channel's logs (`/aws/chatbot/<configuration
   * name>`, whatever region manages the channel). The suite declares that log group there, with the
   * retention and a KMS key of its own in us-east-1; undeclared, Chatbot would create it with no retention
   * and no customer key. @default the per-resource `region` argument (us-east-1) on `provider`
   */
  readonly logsProvider?: TerraformProvider;
}

export interface MonitoringSuiteProps {
  /** The key manager to watch: its state table, dead-letter queue, Lambdas and key store key. */
  readonly rotation: DkimRotationSchedule;
  /** The domains the monitor checks (the rotation's domains): SES read access to their identities. */
  readonly domains: readonly ByodkimDomain[];
  /** The environment's name: the `Environment` metric dimension. */
  readonly environment: string;
  /** Prefix of every name (functions, roles, topic, alarms, dashboard, key alias). @default the rotation's `namePrefix` */
  readonly namePrefix?: string;
  /** Addresses that receive alarms and the monthly report (each confirms the subscription once). @default none */
  readonly emails?: readonly string[];
  /** The language alerts, alarm descriptions and the report lead with (both are always included). @default 'ja' */
  readonly locale?: Locale;
  /** When the monitor runs: `rate(<n> minutes|hours)`, 5 minutes to 1 day; alarm periods follow it. @default 'rate(1 hour)' */
  readonly monitorSchedule?: string;
  /** The IANA time zone of the monthly report. @default 'Asia/Tokyo' */
  readonly reportTimeZone?: string;
  /** When the report runs, in `reportTimeZone`. @default 'cron(0 9 1 * ? *)' (the 1st of the month, 09:00) */
  readonly reportSchedule?: string;
  /**
   * Minutes without a finished key-manager run before it counts as silent (the heartbeat alarm, and per
   * domain in the monitor), 60–10080. @default 2 periods of the rotation's schedule + 60
   */
  readonly keyManagerSilentMinutes?: number;
  /** Monitor runs in a row that may be missed before its heartbeat alarm fires (2–24). @default 2 */
  readonly monitorMissedRuns?: number;
  /** Alarm thresholds (counts per monitor period; each 1–10000). @default 1 for every alarm */
  readonly thresholds?: Readonly<Partial<Record<ThresholdAlarm, number>>>;
  /** Alarms also to Slack through AWS Chatbot. @default none */
  readonly slack?: MonitoringSlackChannel;
  /** Recursive resolvers the monitor checks records on (`host[:port]`). @default the DNS observer's own list */
  readonly resolvers?: readonly string[];
  /** Authoritative servers to ask instead of discovering them (`host[:port]`). @default discovery */
  readonly authoritativeServers?: readonly string[];
  /** Days CloudWatch keeps the monitor's and the report's logs. @default 731 */
  readonly logRetentionDays?: number;
  /** Days KMS waits before deleting the monitoring key (7–30). @default 30 */
  readonly kmsDeletionWindowDays?: number;
  /** `prevent_destroy` on the monitoring key. @default true */
  readonly deletionProtection?: boolean;
  /**
   * The DKIM signature canary: a message sent through SES from the domains on a schedule, received by SES
   * in a region that receives mail and its DKIM-Signature verified (constructs/private/dkim-canary.ts,
   * docs/canary.md). @default none (off)
   */
  readonly canary?: DkimCanaryOptions;
  /** Where `npm run bundle` wrote `monitor.zip` and `report.zip`. @default `<package root>/bundles` */
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

export const DEFAULT_MONITOR_SCHEDULE = 'rate(1 hour)';
/** The 1st of every month at 09:00 (the current operations' monthly check). */
export const DEFAULT_REPORT_SCHEDULE = 'cron(0 9 1 * ? *)';
export const DEFAULT_MONITOR_MISSED_RUNS = 2;
/** The monitor may need the whole 15 minutes for 10,000 domains (SES and DNS per domain). */
export const MONITOR_TIMEOUT_SECONDS = 900;
export const REPORT_TIMEOUT_SECONDS = 300;
/** Longest silence an alarm can watch: CloudWatch evaluates at most 7 days of periods. */
export const MAX_SILENT_MINUTES = 7 * 24 * 60;
/** The heartbeat of the key manager is evaluated in hourly periods (silence rounded up to hours). */
const KEY_MANAGER_HEARTBEAT_PERIOD = 3600;
/** Dead letters are checked every 5 minutes. */
const DEAD_LETTER_PERIOD = 300;

const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;
/** What the monitor and the report read of the state table (one Query per domain partition, the kind index). */
export const MONITOR_TABLE_ACTIONS = ['dynamodb:Query', 'dynamodb:GetItem'] as const;
const TOPIC_KEY_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'] as const;
const SCHEDULE_PATTERN = /^(?:cron|rate|at)\(.+\)$/;

/** What one Lambda of the suite is made of. */
export interface MonitoringFunction {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** The role's inline policy, before `jsonencode`: for review and tests. */
  readonly policy: PolicyDocument;
  readonly policyResource: IamRolePolicy;
  readonly bundle: LambdaBundle;
  readonly schedule: SchedulerSchedule;
  readonly scheduleRole: IamRole;
}

/**
 * Identities the monitor's role names one by one; beyond this, its policy would near IAM's 10,240-character
 * limit for a role's inline policies, and `GetEmailIdentity` (read-only) is allowed on the account's
 * identities in the region instead.
 */
export const MAX_LISTED_IDENTITIES = 50;
/**
 * Characters the listed identity ARNs may take in the monitor's policy (the rest of it is under 2,000): a
 * count alone is not enough, 50 ARNs of 253-character domains would take about 15,000.
 */
export const MAX_LISTED_IDENTITY_CHARACTERS = 5_000;
/** An SES identity ARN but its domain, at its longest: `arn:aws-us-gov:ses:<20>:<12>:identity/` and JSON quotes. */
const IDENTITY_ARN_OVERHEAD = 64;

/**
 * The resources of the monitor's `ses:GetEmailIdentity`: each identity, or all of them past
 * {@link MAX_LISTED_IDENTITIES} identities or (given their `domains`) {@link MAX_LISTED_IDENTITY_CHARACTERS}.
 */
export function identityReadResources(
  identityArns: readonly string[],
  allIdentitiesArn: string,
  domains?: readonly string[],
): string[] {
  const characters = (domains ?? []).reduce((sum, d) => sum + IDENTITY_ARN_OVERHEAD + d.length, 0);
  return identityArns.length <= MAX_LISTED_IDENTITIES && characters <= MAX_LISTED_IDENTITY_CHARACTERS
    ? [...identityArns]
    : [allIdentitiesArn];
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export class MonitoringSuite extends Construct {
  public readonly monitor: MonitoringFunction;
  public readonly report: MonitoringFunction;
  /** Encrypts the alarm topic and the suite's log groups; CloudWatch alarms may use it. */
  public readonly key: KmsKey;
  public readonly keyAlias: KmsAlias;
  public readonly topic: SnsTopic;
  public readonly topicPolicy: SnsTopicPolicy;
  public readonly alarmTopicArn: string;
  public readonly emailSubscriptions: readonly SnsTopicSubscription[];
  public readonly slackChannel?: ChatbotSlackChannelConfiguration;
  /** The channel's log group in us-east-1 (`/aws/chatbot/<configuration name>`), when Slack is configured. */
  public readonly slackLogGroup?: CloudwatchLogGroup;
  /** The KMS key (us-east-1) that encrypts it. */
  public readonly slackLogKey?: KmsKey;
  public readonly alarms: Readonly<Record<AlarmKey, CloudwatchMetricAlarm>>;
  public readonly dashboard: CloudwatchDashboard;
  /** The DKIM signature canary, when the `canary` prop is set. */
  public readonly canary?: DkimCanary;
  public readonly namePrefix: string;
  /** `<namePrefix>-`: every alarm of the environment's name starts with it. */
  public readonly alarmNamePrefix: string;
  /** Seconds between monitor runs: the period of the health alarms. */
  public readonly monitorPeriodSeconds: number;
  public readonly keyManagerSilentMinutes: number;
  public readonly thresholds: Readonly<Record<ThresholdAlarm, number>>;
  /** The key policy as it stands, before `jsonencode`: for review and tests. */
  public readonly keyPolicy: PolicyDocument;
  /** The topic policy, before `jsonencode`. */
  public readonly topicPolicyDocument: PolicyDocument;
  public readonly monitorEnvironment: Readonly<Record<string, string>>;
  public readonly reportEnvironment: Readonly<Record<string, string>>;

  private readonly aws: AwsContext;
  private readonly locale: Locale;
  private readonly environment: string;
  private readonly dashboardName: string;
  private readonly alarmTags: Record<string, string> | undefined;

  constructor(scope: Construct, id: string, props: MonitoringSuiteProps) {
    super(scope, id);
    const fail = (message: string, field?: string): never => {
      throw new ValidationError('INVALID_PROPS', `MonitoringSuite ${this.node.path}: ${message}`, field);
    };
    const literal = (value: unknown): boolean => !Token.isUnresolved(value);

    if (!(props.rotation instanceof DkimRotationSchedule)) {
      fail(`rotation must be the DkimRotationSchedule to watch (given ${formatValue(props.rotation)})`, 'rotation');
    }
    const domains = props.domains ?? [];
    if (domains.length === 0) fail('domains must list at least one ByodkimDomain (given none)', 'domains');
    for (const domain of domains) {
      if (!(domain instanceof ByodkimDomain))
        fail(`domains must be ByodkimDomain constructs (given ${formatValue(domain)})`, 'domains');
    }
    if (literal(props.environment) && !/^[a-z][a-z0-9]{0,9}$/.test(props.environment ?? '')) {
      fail(
        `environment must be 1-10 lowercase letters and digits (given ${formatValue(props.environment)})`,
        'environment',
      );
    }
    const rotation = props.rotation;
    const namePrefix = props.namePrefix ?? rotation.namePrefix;
    if (literal(namePrefix) && !/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(namePrefix)) {
      fail(
        `namePrefix must be 1-32 lowercase letters, digits and inner hyphens (given ${formatValue(namePrefix)})`,
        'namePrefix',
      );
    }
    for (const address of props.emails ?? []) {
      const problem = literal(address) ? emailProblem(address) : undefined;
      if (problem !== undefined) fail(`emails ${problem} (given ${formatValue(address)})`, 'emails');
    }
    const locale = props.locale ?? 'ja';
    if (locale !== 'ja' && locale !== 'en')
      fail(`locale must be "ja" or "en" (given ${formatValue(locale)})`, 'locale');

    const monitorSchedule = props.monitorSchedule ?? DEFAULT_MONITOR_SCHEDULE;
    const monitorMinutes = /^rate\(/.test(monitorSchedule) ? schedulePeriodMinutes(monitorSchedule) : undefined;
    if (monitorMinutes === undefined || monitorMinutes < 5 || monitorMinutes > 1440) {
      fail(
        `monitorSchedule must be rate(<n> minutes) or rate(<n> hours), from 5 minutes to 1 day: the alarms' periods follow it (given ${formatValue(monitorSchedule)})`,
        'monitorSchedule',
      );
    }
    this.monitorPeriodSeconds = monitorMinutes! * 60;

    const reportTimeZone = props.reportTimeZone ?? DEFAULT_REPORT_TIME_ZONE;
    if (literal(reportTimeZone) && !isTimeZone(reportTimeZone)) {
      fail(
        `reportTimeZone must be an IANA time zone such as Asia/Tokyo (given ${formatValue(reportTimeZone)})`,
        'reportTimeZone',
      );
    }
    const reportSchedule = props.reportSchedule ?? DEFAULT_REPORT_SCHEDULE;
    if (literal(reportSchedule) && !SCHEDULE_PATTERN.test(reportSchedule)) {
      fail(
        `reportSchedule must be cron(...), rate(...) or at(...) (given ${formatValue(reportSchedule)})`,
        'reportSchedule',
      );
    }

    const keyManagerExpression = rotation.schedule.scheduleExpressionInput;
    const silentDefault =
      keyManagerExpression !== undefined && literal(keyManagerExpression)
        ? silentAfterMinutes(keyManagerExpression)
        : undefined;
    const keyManagerSilentMinutes = props.keyManagerSilentMinutes ?? silentDefault;
    if (keyManagerSilentMinutes === undefined) {
      fail(
        `keyManagerSilentMinutes must be given: the key manager's period cannot be read from its schedule (${formatValue(keyManagerExpression)})`,
        'keyManagerSilentMinutes',
      );
    }
    if (
      !Number.isInteger(keyManagerSilentMinutes) ||
      keyManagerSilentMinutes! < 60 ||
      keyManagerSilentMinutes! > MAX_SILENT_MINUTES
    ) {
      fail(
        `keyManagerSilentMinutes must be a whole number of minutes from 60 to ${MAX_SILENT_MINUTES}${props.keyManagerSilentMinutes === undefined ? ' (its default, 2 schedule periods + 60, is out of range: set it)' : ''} (given ${formatValue(keyManagerSilentMinutes)})`,
        'keyManagerSilentMinutes',
      );
    }
    this.keyManagerSilentMinutes = keyManagerSilentMinutes!;

    const monitorMissedRuns = props.monitorMissedRuns ?? DEFAULT_MONITOR_MISSED_RUNS;
    if (!Number.isInteger(monitorMissedRuns) || monitorMissedRuns < 2 || monitorMissedRuns > 24) {
      fail(
        `monitorMissedRuns must be a whole number from 2 to 24: the period a run is due in has no data until the run ends, so 1 would alarm in every period (given ${formatValue(monitorMissedRuns)})`,
        'monitorMissedRuns',
      );
    }
    if (monitorMissedRuns * this.monitorPeriodSeconds > MAX_SILENT_MINUTES * 60) {
      fail(
        `monitorMissedRuns × the monitor's period must be at most 7 days, what an alarm can evaluate (given ${monitorMissedRuns} × ${monitorMinutes} minutes)`,
        'monitorMissedRuns',
      );
    }
    const thresholds = {} as Record<ThresholdAlarm, number>;
    for (const name of Object.keys(props.thresholds ?? {})) {
      if (!(THRESHOLD_ALARMS as readonly string[]).includes(name)) {
        fail(`thresholds has no alarm "${name}" (known: ${THRESHOLD_ALARMS.join(', ')})`, `thresholds.${name}`);
      }
    }
    for (const name of THRESHOLD_ALARMS) {
      const value = props.thresholds?.[name] ?? 1;
      if (!Number.isInteger(value) || value < 1 || value > 10000) {
        fail(
          `thresholds.${name} must be a whole number from 1 to 10000 (given ${formatValue(value)})`,
          `thresholds.${name}`,
        );
      }
      thresholds[name] = value;
    }
    this.thresholds = thresholds;
    if (props.slack !== undefined) {
      if (literal(props.slack.workspaceId) && !/^T[A-Z0-9]{4,20}$/.test(props.slack.workspaceId)) {
        fail(
          `slack.workspaceId must be a Slack workspace id such as T0123ABCDE (given ${formatValue(props.slack.workspaceId)})`,
          'slack.workspaceId',
        );
      }
      if (literal(props.slack.channelId) && !/^[CG][A-Z0-9]{4,20}$/.test(props.slack.channelId)) {
        fail(
          `slack.channelId must be a Slack channel id such as C0123ABCDE (given ${formatValue(props.slack.channelId)})`,
          'slack.channelId',
        );
      }
    }
    for (const name of ['resolvers', 'authoritativeServers'] as const) {
      for (const server of props[name] ?? []) {
        if (literal(server) && !/^[A-Za-z0-9.:[\]-]+$/.test(server)) {
          fail(`${name} must be host[:port] entries (given ${formatValue(server)})`, name);
        }
      }
    }
    const logRetentionDays = props.logRetentionDays ?? 731;
    if (literal(logRetentionDays) && (!Number.isInteger(logRetentionDays) || logRetentionDays < 1)) {
      fail(
        `logRetentionDays must be a whole number of days (given ${formatValue(logRetentionDays)})`,
        'logRetentionDays',
      );
    }
    const deletionWindow = props.kmsDeletionWindowDays ?? 30;
    if (!Number.isInteger(deletionWindow) || deletionWindow < 7 || deletionWindow > 30) {
      fail(
        `kmsDeletionWindowDays must be a whole number of days from 7 to 30 (given ${formatValue(deletionWindow)})`,
        'kmsDeletionWindowDays',
      );
    }
    const tags = props.tags ? { ...props.tags } : undefined;
    const aws = awsContextOf(this, props);
    this.aws = aws;
    this.locale = locale;
    this.environment = props.environment;
    this.namePrefix = namePrefix;
    this.alarmNamePrefix = alarmNamePrefix(namePrefix);
    this.dashboardName = `${namePrefix}-dkim`;
    this.alarmTags = tags;

    const bundleDirectory = props.bundleDirectory ?? defaultBundleDirectory();
    const bundleOf = (handler: string) => readLambdaBundle(bundleDirectory, handler, (m) => fail(m, 'bundleDirectory'));
    const monitorBundle = bundleOf('monitor');
    const reportBundle = bundleOf('report');

    const monitorName = lambdaFunctionName(namePrefix, 'monitor');
    const reportName = lambdaFunctionName(namePrefix, 'report');
    const logGroupArn = (name: string) => this.arn('logs', `log-group:/aws/lambda/${name}`);

    // ---------------------------------------------------------------------------------------------
    // The monitoring key: the topic and the suite's logs; CloudWatch alarms of this account may use it.

    const root = `arn:${aws.partition}:iam::${aws.accountId}:root`;
    const alarmSourceArn = this.arn('cloudwatch', `alarm:${this.alarmNamePrefix}*`);
    const sns = `sns.${aws.region}.amazonaws.com`;
    this.keyPolicy = policyDocument([
      {
        Sid: 'KeyAdministration',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: [...ADMIN_ACTIONS],
        Resource: '*',
      },
      {
        // Without this, CloudWatch cannot publish to the encrypted topic and alarms are dropped silently.
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: [...TOPIC_KEY_ACTIONS],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': aws.accountId },
          ArnLike: { 'aws:SourceArn': alarmSourceArn },
        },
      },
      {
        // Publishers of this account (the monitor and report roles, by their IAM policies) through SNS only.
        Sid: 'TopicPublishThroughSns',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: [...TOPIC_KEY_ACTIONS],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': sns, 'kms:CallerAccount': aws.accountId } },
      },
      ...(props.slack !== undefined
        ? [
            {
              // AWS Chatbot reads the alarm notifications of the encrypted topic for the Slack channel.
              Sid: 'ChatbotReadsTopic',
              Effect: 'Allow' as const,
              Principal: { Service: 'chatbot.amazonaws.com' },
              Action: [...TOPIC_KEY_ACTIONS],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': aws.accountId } },
            },
          ]
        : []),
      {
        Sid: 'CloudWatchLogsUse',
        Effect: 'Allow',
        Principal: { Service: `logs.${aws.region}.amazonaws.com` },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [logGroupArn(monitorName), logGroupArn(reportName)] },
        },
      },
    ]);
    this.key = new KmsKey(this, 'AlarmKey', {
      description: `byodkim ${props.environment}: encrypts the DKIM alarm topic and the monitor's logs`,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: deletionWindow,
      multiRegion: false,
      bypassPolicyLockoutSafetyCheck: false,
      policy: Fn.jsonencode(this.keyPolicy),
      tags,
      lifecycle: { preventDestroy: props.deletionProtection ?? true },
    });
    this.keyAlias = new KmsAlias(this, 'AlarmKeyAlias', {
      name: `alias/${namePrefix}-dkim-monitoring`,
      targetKeyId: this.key.keyId,
    });

    // ---------------------------------------------------------------------------------------------
    // The alarm topic, its policy, and who receives it.

    this.topic = new SnsTopic(this, 'AlarmTopic', {
      name: `${namePrefix}-dkim-alarms`,
      displayName: `byodkim ${props.environment}`,
      kmsMasterKeyId: this.key.arn,
      tags,
    });
    this.alarmTopicArn = this.topic.arn;
    this.topicPolicyDocument = policyDocument([
      {
        Sid: 'AccountManagesTopic',
        Effect: 'Allow',
        Principal: { AWS: root },
        Action: [
          'sns:GetTopicAttributes',
          'sns:SetTopicAttributes',
          'sns:AddPermission',
          'sns:RemovePermission',
          'sns:DeleteTopic',
          'sns:Subscribe',
          'sns:ListSubscriptionsByTopic',
          'sns:Publish',
        ],
        Resource: this.topic.arn,
      },
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['sns:Publish'],
        Resource: this.topic.arn,
        Condition: {
          StringEquals: { 'aws:SourceAccount': aws.accountId },
          ArnLike: { 'aws:SourceArn': alarmSourceArn },
        },
      },
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['sns:Publish'],
        Resource: this.topic.arn,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    this.topicPolicy = new SnsTopicPolicy(this, 'AlarmTopicPolicy', {
      arn: this.topic.arn,
      policy: Fn.jsonencode(this.topicPolicyDocument),
    });
    this.emailSubscriptions = (props.emails ?? []).map(
      (address, i) =>
        new SnsTopicSubscription(this, `AlarmEmail${i + 1}`, {
          topicArn: this.topic.arn,
          protocol: 'email',
          endpoint: address,
        }),
    );
    if (props.slack !== undefined) {
      const slack = this.slack(props.slack, tags, {
        logRetentionDays,
        deletionWindow,
        deletionProtection: props.deletionProtection ?? true,
      });
      this.slackChannel = slack.channel;
      this.slackLogGroup = slack.logGroup;
      this.slackLogKey = slack.logKey;
    }

    // ---------------------------------------------------------------------------------------------
    // The monitor and the report.

    const table = rotation.table;
    const tableArn = table.arn;
    const indexArn = `${tableArn}/index/${STATE_TABLE.kindIndex.name}`;
    const readState: PolicyStatement[] = [
      { Sid: 'ReadState', Effect: 'Allow', Action: [...MONITOR_TABLE_ACTIONS], Resource: [tableArn, indexArn] },
      {
        // The table is encrypted with the key store key: decrypt through DynamoDB only (never Secrets Manager).
        Sid: 'ReadStateKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: [rotation.keyStoreKey.keyArn],
        Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${aws.region}.amazonaws.com` } },
      },
    ];
    const publish: PolicyStatement[] = [
      { Sid: 'PublishAlarmTopic', Effect: 'Allow', Action: ['sns:Publish'], Resource: [this.topic.arn] },
      {
        Sid: 'AlarmTopicKey',
        Effect: 'Allow',
        Action: [...TOPIC_KEY_ACTIONS],
        Resource: [this.key.arn],
        Condition: { StringEquals: { 'kms:ViaService': sns } },
      },
    ];
    const common = {
      [LAMBDA_ENV.environment]: props.environment,
      [LAMBDA_ENV.stateTable]: table.name,
      [LAMBDA_ENV.alarmTopicArn]: this.topic.arn,
      [LAMBDA_ENV.locale]: locale,
      [POWERTOOLS_ENV.metricsNamespace]: METRIC_NAMESPACE,
    };
    this.monitorEnvironment = {
      ...common,
      [LAMBDA_ENV.keyManagerSilentMinutes]: String(this.keyManagerSilentMinutes),
      // The alert's times and its daily WARNING digest are in the report's time zone.
      [LAMBDA_ENV.reportTimeZone]: reportTimeZone,
      ...(props.resolvers && props.resolvers.length > 0 ? { [LAMBDA_ENV.resolvers]: props.resolvers.join(',') } : {}),
      ...(props.authoritativeServers && props.authoritativeServers.length > 0
        ? { [LAMBDA_ENV.authoritativeServers]: props.authoritativeServers.join(',') }
        : {}),
      [POWERTOOLS_ENV.serviceName]: 'byodkim-monitor',
    };
    this.reportEnvironment = {
      ...common,
      [LAMBDA_ENV.reportTimeZone]: reportTimeZone,
      [POWERTOOLS_ENV.serviceName]: 'byodkim-report',
    };

    this.monitor = this.scheduledFunction('Monitor', {
      name: monitorName,
      description: 'byodkim: read-only DKIM monitor (SES, DNS, key age, DNS requests, key-manager heartbeats)',
      bundle: monitorBundle,
      memorySize: 512,
      timeout: MONITOR_TIMEOUT_SECONDS,
      environment: this.monitorEnvironment,
      logRetentionDays,
      scheduleExpression: monitorSchedule,
      scheduleTimeZone: 'UTC',
      tags,
      statements: () => [
        ...readState,
        {
          Sid: 'ReadSesIdentities',
          Effect: 'Allow',
          Action: ['ses:GetEmailIdentity'],
          Resource: identityReadResources(
            domains.map((d) => d.identityArn),
            this.arn('ses', 'identity/*'),
            domains.map((d) => d.domain),
          ),
        },
        ...publish,
      ],
    });
    this.report = this.scheduledFunction('Report', {
      name: reportName,
      description: 'byodkim: the monthly DKIM report (ja/en), to the alarm topic and the state table',
      bundle: reportBundle,
      memorySize: 512,
      timeout: REPORT_TIMEOUT_SECONDS,
      environment: this.reportEnvironment,
      logRetentionDays,
      scheduleExpression: reportSchedule,
      scheduleTimeZone: reportTimeZone,
      tags,
      statements: () => [
        ...readState,
        {
          // The report's own partition only: it can never touch a domain's state, spec or events.
          Sid: 'WriteMonthlyReport',
          Effect: 'Allow',
          Action: ['dynamodb:PutItem'],
          Resource: [tableArn],
          Condition: {
            'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [STATE_TABLE.reportPartitionKey] },
            Null: { 'dynamodb:LeadingKeys': 'false' },
          },
        },
        ...publish,
      ],
    });

    // ---------------------------------------------------------------------------------------------
    // Alarms and the dashboard.

    this.alarms = this.createAlarms(rotation, monitorMissedRuns);
    const intervals = domains.map((d) => d.spec.rotation.intervalDays);
    this.dashboard = new CloudwatchDashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      dashboardBody: JSON.stringify(
        dashboardBody({
          environment: props.environment,
          region: aws.region,
          title: `byodkim ${props.environment}: DKIM`,
          monitorPeriodSeconds: this.monitorPeriodSeconds,
          monitorLogGroup: `/aws/lambda/${monitorName}`,
          workerLogGroup: `/aws/lambda/${rotation.worker.function.functionNameInput ?? lambdaFunctionName(namePrefix, 'worker')}`,
          functions: {
            planner: rotation.planner.function.functionNameInput ?? lambdaFunctionName(namePrefix, 'planner'),
            worker: rotation.worker.function.functionNameInput ?? lambdaFunctionName(namePrefix, 'worker'),
            monitor: monitorName,
            report: reportName,
          },
          deadLetterQueueName: rotation.deadLetterQueue.nameInput ?? rotation.deadLetterQueue.name,
          alarmArns: ALARMS.map((key) => this.alarmArn(key)),
          intervalDays: { min: Math.min(...intervals), max: Math.max(...intervals) },
        }),
      ),
    });

    // The DKIM signature canary (optional): its alarms are this suite's (its name prefix, its topic).
    if (props.canary !== undefined) {
      this.canary = new DkimCanary(this, 'Canary', {
        ...props.canary,
        rotation,
        suiteDomains: domains,
        environment: props.environment,
        namePrefix,
        addAlarm: (alarmId, config) => this.addAlarm(alarmId, config),
        aws,
        ...(props.resolvers !== undefined ? { resolvers: props.resolvers } : {}),
        logRetentionDays,
        kmsDeletionWindowDays: deletionWindow,
        deletionProtection: props.deletionProtection ?? true,
        bundleDirectory,
        ...(tags !== undefined ? { tags } : {}),
      });
    }
  }

  /** The full name of an alarm, e.g. `byodkim-prod-dkim-unhealthy`. */
  public alarmName(key: AlarmKey): string {
    return `${this.alarmNamePrefix}${ALARM_TEXTS[key].suffix}`;
  }

  /**
   * Adds an alarm of this suite (for the canary and other watchers): its name gets the suite's prefix (so
   * the key policy lets it publish), and it notifies the topic when it fires and when it clears.
   */
  public addAlarm(
    id: string,
    config: Omit<CloudwatchMetricAlarmConfig, 'alarmName' | 'alarmActions' | 'okActions'> & {
      readonly nameSuffix: string;
    },
  ): CloudwatchMetricAlarm {
    const { nameSuffix, ...rest } = config;
    return new CloudwatchMetricAlarm(this, id, {
      ...rest,
      alarmName: `${this.alarmNamePrefix}${nameSuffix}`,
      alarmActions: [this.alarmTopicArn],
      okActions: [this.alarmTopicArn],
      tags: this.alarmTags,
    });
  }

  /** `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>` (literal when the context is). */
  private alarmArn(key: AlarmKey): string {
    return this.arn('cloudwatch', `alarm:${this.alarmName(key)}`);
  }

  private arn(service: string, resource: string): string {
    const { partition, region, accountId } = this.aws;
    return `arn:${partition}:${service}:${region}:${accountId}:${resource}`;
  }

  private createAlarms(
    rotation: DkimRotationSchedule,
    monitorMissedRuns: number,
  ): Record<AlarmKey, CloudwatchMetricAlarm> {
    const environment = { [METRIC_DIMENSIONS.environment]: this.environment };
    const period = this.monitorPeriodSeconds;
    const describe = (key: AlarmKey, threshold: number) =>
      alarmDescription(key, {
        environment: this.environment,
        threshold,
        dashboard: this.dashboardName,
        locale: this.locale,
      });
    const alarm = (key: AlarmKey, threshold: number, config: Partial<CloudwatchMetricAlarmConfig>) =>
      this.addAlarm(`Alarm-${key}`, {
        nameSuffix: ALARM_TEXTS[key].suffix,
        alarmDescription: describe(key, threshold),
        evaluationPeriods: 1,
        ...config,
      } as CloudwatchMetricAlarmConfig & { nameSuffix: string });

    const alarms = {} as Record<AlarmKey, CloudwatchMetricAlarm>;
    // The monitor's counts: one data point per run. A run that is late leaves a period empty: ignored (the
    // state stays), since the monitor's heartbeat is what watches the monitor itself.
    for (const [key, metric] of Object.entries(MONITOR_COUNT_METRICS) as [
      keyof typeof MONITOR_COUNT_METRICS,
      typeof METRICS.domainsUnhealthy,
    ][]) {
      const threshold = this.thresholds[key];
      alarms[key] = alarm(key, threshold, {
        namespace: METRIC_NAMESPACE,
        metricName: metric.name,
        dimensions: environment,
        statistic: 'Maximum',
        period,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'ignore',
      });
    }

    // Key-manager errors: Lambda errors of the planner and the worker plus failed actions, per monitor period.
    const lambdaErrors = (id: string, functionName: string) => ({
      id,
      metric: {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: functionName },
        stat: 'Sum',
        period,
      },
      returnData: false,
    });
    alarms.keyManagerErrors = alarm('keyManagerErrors', this.thresholds.keyManagerErrors, {
      metricQuery: [
        lambdaErrors('planner', rotation.planner.function.functionName),
        lambdaErrors('worker', rotation.worker.function.functionName),
        {
          id: 'actions',
          metric: {
            namespace: METRIC_NAMESPACE,
            metricName: METRICS.actionFailures.name,
            dimensions: environment,
            stat: 'Sum',
            period,
          },
          returnData: false,
        },
        {
          id: 'errors',
          expression: 'FILL(planner, 0) + FILL(worker, 0) + FILL(actions, 0)',
          label: 'key-manager errors',
          returnData: true,
        },
      ],
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: this.thresholds.keyManagerErrors,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    alarms.deadLetterMessages = alarm('deadLetterMessages', this.thresholds.deadLetterMessages, {
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: rotation.deadLetterQueue.name },
      statistic: 'Maximum',
      period: DEAD_LETTER_PERIOD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: this.thresholds.deadLetterMessages,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });
    alarms.monitorErrors = alarm('monitorErrors', 1, {
      metricQuery: [
        lambdaErrors('monitor', this.monitor.function.functionName),
        lambdaErrors('report', this.report.function.functionName),
        { id: 'errors', expression: 'FILL(monitor, 0) + FILL(report, 0)', label: 'monitor errors', returnData: true },
      ],
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
    });

    // Heartbeats: no data is the failure they exist to catch.
    const silentHours = Math.ceil(this.keyManagerSilentMinutes / 60);
    alarms.keyManagerHeartbeat = alarm('keyManagerHeartbeat', 1, {
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.runsCompleted.name,
      dimensions: environment,
      statistic: 'Sum',
      period: KEY_MANAGER_HEARTBEAT_PERIOD,
      evaluationPeriods: silentHours,
      datapointsToAlarm: silentHours,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
    alarms.monitorHeartbeat = alarm('monitorHeartbeat', 1, {
      namespace: METRIC_NAMESPACE,
      metricName: METRICS.monitorRuns.name,
      dimensions: environment,
      statistic: 'Sum',
      period,
      evaluationPeriods: monitorMissedRuns,
      datapointsToAlarm: monitorMissedRuns,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });
    return alarms;
  }

  /**
   * AWS Chatbot: the topic into a Slack channel; the channel's role and guardrail read CloudWatch only. Its
   * error log (`logging_level` ERROR) goes to `/aws/chatbot/<name>` in us-east-1, declared here with the
   * environment's retention and a key of its own there (a log group's key must be in its region).
   */
  private slack(
    channel: MonitoringSlackChannel,
    tags: Record<string, string> | undefined,
    logs: { logRetentionDays: number; deletionWindow: number; deletionProtection: boolean },
  ): { channel: ChatbotSlackChannelConfiguration; logGroup: CloudwatchLogGroup; logKey: KmsKey } {
    const configurationName = `${this.namePrefix}-dkim-alarms`;
    const logGroupName = `/aws/chatbot/${configurationName}`;
    const { partition, accountId } = this.aws;
    const inLogRegion =
      channel.logsProvider !== undefined
        ? { provider: channel.logsProvider }
        : { ...(channel.provider !== undefined ? { provider: channel.provider } : {}), region: CHATBOT_LOG_REGION };
    const logKey = new KmsKey(this, 'SlackLogKey', {
      ...inLogRegion,
      description: `byodkim: encrypts the AWS Chatbot log group ${logGroupName} (${CHATBOT_LOG_REGION})`,
      keyUsage: 'ENCRYPT_DECRYPT',
      customerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      enableKeyRotation: true,
      rotationPeriodInDays: 365,
      deletionWindowInDays: logs.deletionWindow,
      multiRegion: false,
      bypassPolicyLockoutSafetyCheck: false,
      policy: Fn.jsonencode(
        policyDocument([
          {
            Sid: 'KeyAdministration',
            Effect: 'Allow',
            Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
            Action: [...ADMIN_ACTIONS],
            Resource: '*',
          },
          {
            Sid: 'CloudWatchLogsUse',
            Effect: 'Allow',
            Principal: { Service: `logs.${CHATBOT_LOG_REGION}.amazonaws.com` },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: {
              ArnEquals: {
                'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${CHATBOT_LOG_REGION}:${accountId}:log-group:${logGroupName}`,
              },
            },
          },
        ]),
      ),
      tags,
      lifecycle: { preventDestroy: logs.deletionProtection },
    });
    new KmsAlias(this, 'SlackLogKeyAlias', {
      ...inLogRegion,
      name: `alias/${this.namePrefix}-dkim-chatbot-logs`,
      targetKeyId: logKey.keyId,
    });
    const logGroup = new CloudwatchLogGroup(this, 'SlackLogs', {
      ...inLogRegion,
      name: logGroupName,
      retentionInDays: logs.logRetentionDays,
      kmsKeyId: logKey.arn,
      tags,
    });
    const role = new IamRole(this, 'SlackRole', {
      name: `${this.namePrefix}-dkim-chatbot`,
      description: 'byodkim: AWS Chatbot posts DKIM alarms to Slack (CloudWatch read only)',
      assumeRolePolicy: trustPolicy('chatbot.amazonaws.com'),
      tags,
    });
    new IamRolePolicy(this, 'SlackRolePolicy', {
      name: 'read-alarms',
      role: role.name,
      policy: renderPolicy(() =>
        policyDocument([
          {
            // Chatbot renders the alarm and its graph; these actions take no resource-level permission.
            Sid: 'ReadAlarmsAndMetrics',
            Effect: 'Allow',
            Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricData', 'cloudwatch:GetMetricWidgetImage'],
            Resource: ['*'],
          },
        ]),
      ),
    });
    const slackChannel = new ChatbotSlackChannelConfiguration(this, 'SlackChannel', {
      configurationName,
      ...(channel.provider !== undefined ? { provider: channel.provider } : {}),
      iamRoleArn: role.arn,
      slackTeamId: channel.workspaceId,
      slackChannelId: channel.channelId,
      snsTopicArns: [this.topic.arn],
      guardrailPolicyArns: [`arn:${this.aws.partition}:iam::aws:policy/CloudWatchReadOnlyAccess`],
      loggingLevel: 'ERROR',
      userAuthorizationRequired: true,
      tags,
      // The log group exists, with its retention and key, before Chatbot could write (and create) it.
      dependsOn: [logGroup],
    });
    return { channel: slackChannel, logGroup, logKey };
  }

  private scheduledFunction(
    id: 'Monitor' | 'Report',
    options: {
      name: string;
      description: string;
      bundle: LambdaBundle;
      memorySize: number;
      timeout: number;
      environment: Readonly<Record<string, string>>;
      logRetentionDays: number;
      scheduleExpression: string;
      scheduleTimeZone: string;
      tags: Record<string, string> | undefined;
      statements: () => PolicyStatement[];
    },
  ): MonitoringFunction {
    const logGroup = new CloudwatchLogGroup(this, `${id}Logs`, {
      name: `/aws/lambda/${options.name}`,
      retentionInDays: options.logRetentionDays,
      kmsKeyId: this.key.arn,
      tags: options.tags,
    });
    const role = new IamRole(this, `${id}Role`, {
      name: options.name,
      description: options.description,
      assumeRolePolicy: trustPolicy('lambda.amazonaws.com'),
      tags: options.tags,
    });
    let document: PolicyDocument | undefined;
    const policy = (): PolicyDocument =>
      (document ??= policyDocument([
        { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: [...LOG_ACTIONS], Resource: [`${logGroup.arn}:*`] },
        ...options.statements(),
      ]));
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
      // One run at a time: a slow run is never overtaken by the next one.
      reservedConcurrency: 1,
      environment: options.environment,
      tags: options.tags,
      dependsOn: [logGroup, policyResource],
    });

    const scheduleRole = new IamRole(this, `${id}ScheduleRole`, {
      name: `${options.name}-schedule`,
      description: `byodkim: lets EventBridge Scheduler invoke ${options.name}`,
      assumeRolePolicy: trustPolicy('scheduler.amazonaws.com', this.aws.accountId),
      tags: options.tags,
    });
    new IamRolePolicy(this, `${id}ScheduleRolePolicy`, {
      name: `invoke-${id.toLowerCase()}`,
      role: scheduleRole.name,
      policy: renderPolicy(() =>
        policyDocument([
          {
            Sid: `Invoke${id}`,
            Effect: 'Allow',
            Action: ['lambda:InvokeFunction'],
            Resource: [fn.arn, `${fn.arn}:*`],
          },
        ]),
      ),
    });
    const schedule = new SchedulerSchedule(this, `${id}Schedule`, {
      name: options.name,
      description: options.description,
      scheduleExpression: options.scheduleExpression,
      scheduleExpressionTimezone: options.scheduleTimeZone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: fn.arn,
        roleArn: scheduleRole.arn,
        input: JSON.stringify({ source: `byodkim.${id.toLowerCase()}` }),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
    });
    return {
      function: fn,
      role,
      logGroup,
      bundle: options.bundle,
      policyResource,
      schedule,
      scheduleRole,
      get policy() {
        return policy();
      },
    };
  }
}
