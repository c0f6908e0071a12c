/**
 * MonitoringSuite synthesized: every alarm (metric, dimensions, threshold, periods, missing data, actions),
 * the topic, its key policy and subscriptions, Slack, the dashboard body, the schedules, the roles' policy
 * text, and the props it refuses. What the roles' policies allow is evaluated in
 * monitoring-suite-iam.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ALARMS,
  ByodkimDomain,
  DkimRotationSchedule,
  identityReadResources,
  KeyStoreKey,
  MAX_LISTED_IDENTITIES,
  MonitoringSuite,
  type MonitoringSuiteProps,
} from '../../constructs';
import { dashboardBody, DASHBOARD_DOMAIN_LIMIT } from '../../constructs/private/monitoring-dashboard';
import { LAMBDA_ENV, METRICS, STATE_TABLE } from '../../functions/core/contract';
import { createMonitorRuntime, createReportRuntime } from '../../functions/handlers/monitoring-runtime';
import { logFields } from '../../functions/monitoring/verdicts';
import { checkTerraform, formatFinding, parseRenderedPolicy, type Json } from '../../constructs/security';
import { synth, type Synthesized } from './synth';

const ACCOUNT = '111111111111';
const REGION = 'ap-northeast-1';
const bundles = mkdtempSync(path.join(tmpdir(), 'byodkim-monitoring-bundles-'));
for (const name of ['planner', 'worker', 'monitor', 'report']) {
  writeFileSync(path.join(bundles, `${name}.zip`), `${name} bundle`);
}
afterAll(() => rmSync(bundles, { recursive: true, force: true }));

interface Built extends Synthesized {
  readonly suite: MonitoringSuite;
}

function build(props: Partial<MonitoringSuiteProps> = {}): Built {
  let suite!: MonitoringSuite;
  const result = synth((scope) => {
    const key = new KeyStoreKey(scope, 'KeyStoreKey', { accountId: ACCOUNT, region: REGION });
    const common = { encryptionKey: key, namePrefix: 'byodkim-dev' };
    const domains = [
      new ByodkimDomain(scope, 'example.com', {
        domain: 'example.com',
        dns: { kind: 'route53', hostedZoneId: 'Z1' },
        rotation: { intervalDays: 90, renewBeforeDays: 20 },
        ...common,
      }),
      new ByodkimDomain(scope, 'example.jp', {
        domain: 'example.jp',
        dns: { kind: 'external', contacts: ['dns@example.jp'] },
        ...common,
      }),
    ];
    const rotation = new DkimRotationSchedule(scope, 'Rotation', {
      domains,
      environment: 'dev',
      dnsTeamSender: 'dkim@example.com',
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
    });
    suite = new MonitoringSuite(scope, 'Monitoring', {
      rotation,
      domains,
      environment: 'dev',
      emails: ['dkim-ops@example.com', 'oncall@example.com'],
      bundleDirectory: bundles,
      accountId: ACCOUNT,
      region: REGION,
      ...props,
    });
  });
  return { ...result, suite };
}

const built = build();
const { json } = built;
const resources = (type: string): Record<string, Json> => json.resource[type] ?? {};
const byName = (type: string, field: string, name: string): Json => {
  const found = Object.values(resources(type)).filter((r) => r[field] === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const ref = (type: string, id: string, attribute = 'arn'): string => {
  const key = Object.keys(resources(type)).find((k) => k.startsWith(id));
  expect(key).toBeDefined();
  return `\${${type}.${key}.${attribute}}`;
};
const alarm = (suffix: string): Json => byName('aws_cloudwatch_metric_alarm', 'alarm_name', `byodkim-dev-${suffix}`);
const TOPIC = ref('aws_sns_topic', 'Monitoring_AlarmTopic');

describe('alarms', () => {
  it('creates one alarm per condition, none per domain', () => {
    expect(Object.keys(resources('aws_cloudwatch_metric_alarm'))).toHaveLength(ALARMS.length);
    expect(built.suite.alarmNamePrefix).toBe('byodkim-dev-');
  });

  it('notifies the topic when each alarm fires and when it clears', () => {
    for (const a of Object.values(resources('aws_cloudwatch_metric_alarm'))) {
      expect(a.alarm_actions).toEqual([TOPIC]);
      expect(a.ok_actions).toEqual([TOPIC]);
      expect(a.alarm_description).toMatch(/^【(重大|警告)】byodkim dev: /);
      expect(a.alarm_description).toMatch(/\n\[(CRITICAL|WARNING)\] byodkim dev: /);
      expect(a.alarm_description.length).toBeLessThanOrEqual(1024);
    }
  });

  it.each([
    ['dkim-unhealthy', METRICS.domainsUnhealthy.name, 'CRITICAL'],
    ['dkim-record-problems', METRICS.recordProblems.name, 'CRITICAL'],
    ['dkim-signing-drift', METRICS.signingDrift.name, 'CRITICAL'],
    ['dkim-keys-over-interval', METRICS.keysOverInterval.name, 'WARNING'],
    ['dkim-keys-expiring', METRICS.keysExpiringNoRotation.name, 'WARNING'],
    ['dkim-dns-requests-overdue', METRICS.dnsRequestsOverdue.name, 'WARNING'],
    ['dkim-key-manager-silent', METRICS.keyManagerSilent.name, 'WARNING'],
  ])('%s watches the environment-wide %s (%s)', (suffix, metric, severity) => {
    expect(alarm(suffix)).toMatchObject({
      namespace: 'Byodkim',
      metric_name: metric,
      dimensions: { Environment: 'dev' },
      statistic: 'Maximum',
      period: 3600,
      evaluation_periods: 1,
      datapoints_to_alarm: 1,
      threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      // A late monitor run leaves the state as it is; the monitor's heartbeat watches the monitor.
      treat_missing_data: 'ignore',
    });
    expect(alarm(suffix).alarm_description).toContain(`[${severity}]`);
  });

  it('adds the planner and worker Lambda errors to the failed actions', () => {
    const errors = alarm('dkim-key-manager-errors');
    expect(errors).toMatchObject({
      evaluation_periods: 1,
      threshold: 1,
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      treat_missing_data: 'notBreaching',
    });
    expect(errors.metric_name).toBeUndefined();
    const queries = errors.metric_query as Json[];
    expect(queries.map((q) => q.id)).toEqual(['planner', 'worker', 'actions', 'errors']);
    expect(queries[0].metric).toMatchObject({
      namespace: 'AWS/Lambda',
      metric_name: 'Errors',
      stat: 'Sum',
      period: 3600,
      dimensions: { FunctionName: ref('aws_lambda_function', 'Rotation_Planner_', 'function_name') },
    });
    expect(queries[1].metric.dimensions.FunctionName).toBe(
      ref('aws_lambda_function', 'Rotation_Worker_', 'function_name'),
    );
    expect(queries[2].metric).toMatchObject({
      namespace: 'Byodkim',
      metric_name: METRICS.actionFailures.name,
      dimensions: { Environment: 'dev' },
    });
    expect(queries[3]).toMatchObject({
      expression: 'FILL(planner, 0) + FILL(worker, 0) + FILL(actions, 0)',
      return_data: true,
    });
    expect(queries.slice(0, 3).every((q) => q.return_data === false)).toBe(true);
  });

  it('watches the dead-letter queue every 5 minutes', () => {
    expect(alarm('dkim-dead-letters')).toMatchObject({
      namespace: 'AWS/SQS',
      metric_name: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: ref('aws_sqs_queue', 'Rotation_DeadLetterQueue', 'name') },
      statistic: 'Maximum',
      period: 300,
      threshold: 1,
      treat_missing_data: 'notBreaching',
    });
  });

  it("watches the monitor's and the report's own errors", () => {
    const queries = alarm('dkim-monitor-errors').metric_query as Json[];
    expect(queries.map((q) => q.metric?.dimensions?.FunctionName ?? q.expression)).toEqual([
      ref('aws_lambda_function', 'Monitoring_Monitor_', 'function_name'),
      ref('aws_lambda_function', 'Monitoring_Report_', 'function_name'),
      'FILL(monitor, 0) + FILL(report, 0)',
    ]);
  });

  it('treats a silent key manager as breaching, over 2 schedule periods + 60 minutes in hourly periods', () => {
    // The rotation's default schedule runs every 6 hours: 2 × 6 h + 1 h = 13 hourly periods.
    expect(alarm('dkim-key-manager-heartbeat')).toMatchObject({
      namespace: 'Byodkim',
      metric_name: METRICS.runsCompleted.name,
      dimensions: { Environment: 'dev' },
      statistic: 'Sum',
      period: 3600,
      evaluation_periods: 13,
      datapoints_to_alarm: 13,
      threshold: 1,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
    });
    expect(alarm('dkim-key-manager-heartbeat').alarm_description).toContain('[CRITICAL]');
  });

  it('treats a silent monitor as breaching after the missed runs', () => {
    expect(alarm('dkim-monitor-heartbeat')).toMatchObject({
      metric_name: METRICS.monitorRuns.name,
      dimensions: { Environment: 'dev' },
      statistic: 'Sum',
      period: 3600,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      comparison_operator: 'LessThanThreshold',
      treat_missing_data: 'breaching',
    });
  });

  it('follows the thresholds, the monitor period and the silence it is given', () => {
    const { json: tuned } = build({
      monitorSchedule: 'rate(30 minutes)',
      thresholds: { dkimUnhealthy: 3, keyManagerErrors: 5, deadLetterMessages: 2 },
      keyManagerSilentMinutes: 600,
      monitorMissedRuns: 4,
      locale: 'en',
    });
    const find = (suffix: string) =>
      Object.values(tuned.resource.aws_cloudwatch_metric_alarm as Record<string, Json>).find(
        (a) => a.alarm_name === `byodkim-dev-${suffix}`,
      );
    expect(find('dkim-unhealthy')).toMatchObject({ threshold: 3, period: 1800 });
    expect(find('dkim-unhealthy').alarm_description).toMatch(
      /^\[CRITICAL\] byodkim dev: DKIM is not healthy for 3 or more/,
    );
    expect(find('dkim-key-manager-errors')).toMatchObject({ threshold: 5 });
    expect(find('dkim-dead-letters')).toMatchObject({ threshold: 2 });
    expect(find('dkim-key-manager-heartbeat')).toMatchObject({ evaluation_periods: 10 });
    expect(find('dkim-monitor-heartbeat')).toMatchObject({ period: 1800, evaluation_periods: 4 });
    const monitor = Object.values(tuned.resource.aws_scheduler_schedule as Record<string, Json>).find(
      (s) => s.name === 'byodkim-dev-dkim-monitor',
    );
    expect(monitor.schedule_expression).toBe('rate(30 minutes)');
  });
});

describe('the alarm topic and its key', () => {
  const topic = byName('aws_sns_topic', 'name', 'byodkim-dev-dkim-alarms');
  const keyResource = Object.entries(resources('aws_kms_key')).find(([id]) => id.startsWith('Monitoring_AlarmKey'))!;
  const keyPolicy = parseRenderedPolicy(keyResource[1].policy);
  const statement = (document: Json, sid: string) => document.Statement.find((s: Json) => s.Sid === sid);

  it('encrypts the topic with its own key, rotated yearly', () => {
    expect(topic.kms_master_key_id).toBe(`\${aws_kms_key.${keyResource[0]}.arn}`);
    expect(keyResource[1]).toMatchObject({ enable_key_rotation: true, rotation_period_in_days: 365 });
    expect(byName('aws_kms_alias', 'name', 'alias/byodkim-dev-dkim-monitoring')).toBeDefined();
  });

  it('lets CloudWatch alarms of this account (and only its alarms) use the key', () => {
    expect(statement(keyPolicy, 'CloudWatchAlarmsPublish')).toEqual({
      Sid: 'CloudWatchAlarmsPublish',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:byodkim-dev-*` },
      },
    });
  });

  it('lets the account use the key only through SNS, and CloudWatch Logs only for the suite’s log groups', () => {
    expect(statement(keyPolicy, 'TopicPublishThroughSns').Condition).toEqual({
      StringEquals: { 'kms:ViaService': `sns.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT },
    });
    expect(statement(keyPolicy, 'CloudWatchLogsUse').Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toEqual([
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/byodkim-dev-dkim-monitor`,
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/byodkim-dev-dkim-report`,
    ]);
    const administration = statement(keyPolicy, 'KeyAdministration');
    expect(administration.Action).not.toContain('kms:Decrypt');
    expect(administration.Action).not.toContain('kms:GenerateDataKey*');
  });

  it('lets CloudWatch alarms of this account publish to the topic, and refuses plain HTTP', () => {
    const policy = parseRenderedPolicy(Object.values(resources('aws_sns_topic_policy'))[0].policy);
    expect(Object.values(resources('aws_sns_topic_policy'))[0].arn).toBe(TOPIC);
    expect(statement(policy, 'CloudWatchAlarmsPublish')).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['sns:Publish'],
      Resource: TOPIC,
      Condition: {
        StringEquals: { 'aws:SourceAccount': ACCOUNT },
        ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:byodkim-dev-*` },
      },
    });
    expect(statement(policy, 'DenyInsecureTransport')).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('subscribes every configured address by e-mail', () => {
    const subscriptions = Object.values(resources('aws_sns_topic_subscription')).filter((s) => s.topic_arn === TOPIC);
    expect(subscriptions.map((s) => [s.protocol, s.endpoint])).toEqual([
      ['email', 'dkim-ops@example.com'],
      ['email', 'oncall@example.com'],
    ]);
  });

  it('creates no Slack channel unless asked, and one reading CloudWatch only when asked', () => {
    expect(json.resource.aws_chatbot_slack_channel_configuration).toBeUndefined();
    const { json: withSlack } = build({ slack: { workspaceId: 'T0123ABCDE', channelId: 'C0123ABCDE' } });
    const channel = Object.values(withSlack.resource.aws_chatbot_slack_channel_configuration as Record<string, Json>);
    expect(channel).toHaveLength(1);
    expect(channel[0]).toMatchObject({
      slack_team_id: 'T0123ABCDE',
      slack_channel_id: 'C0123ABCDE',
      guardrail_policy_arns: ['arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess'],
      user_authorization_required: true,
    });
    expect(channel[0].sns_topic_arns).toHaveLength(1);
    const slackKey = Object.entries(withSlack.resource.aws_kms_key as Record<string, Json>).find(([id]) =>
      id.startsWith('Monitoring_AlarmKey'),
    )![1];
    expect(statement(parseRenderedPolicy(slackKey.policy), 'ChatbotReadsTopic')).toMatchObject({
      Principal: { Service: 'chatbot.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    });
    expect(statement(keyPolicy, 'ChatbotReadsTopic')).toBeUndefined();
    const role = Object.values(withSlack.resource.aws_iam_role as Record<string, Json>).find(
      (r) => r.name === 'byodkim-dev-dkim-chatbot',
    );
    expect(JSON.stringify(role.assume_role_policy)).toContain('chatbot.amazonaws.com');
    const rolePolicy = Object.entries(withSlack.resource.aws_iam_role_policy as Record<string, Json>).find(([id]) =>
      id.startsWith('Monitoring_SlackRolePolicy'),
    )![1];
    const actions = parseRenderedPolicy(rolePolicy.policy).Statement.flatMap((s: Json) => s.Action);
    expect(actions.every((a: string) => /^cloudwatch:(Describe|Get)/.test(a))).toBe(true);
  });
});

describe('the Slack channel’s log group (AWS Chatbot writes it in us-east-1)', () => {
  const { json: withSlack } = build({
    slack: { workspaceId: 'T0123ABCDE', channelId: 'C0123ABCDE' },
    logRetentionDays: 90,
    kmsDeletionWindowDays: 7,
  });
  const entry = (type: string, prefix: string): [string, Json] =>
    Object.entries(withSlack.resource[type] as Record<string, Json>).find(([id]) => id.startsWith(prefix))!;
  const [groupId, group] = entry('aws_cloudwatch_log_group', 'Monitoring_SlackLogs');
  const [keyId, key] = entry('aws_kms_key', 'Monitoring_SlackLogKey');

  it('is declared in us-east-1 under the name Chatbot uses, with the environment’s retention and its own key', () => {
    expect(group).toMatchObject({
      name: '/aws/chatbot/byodkim-dev-dkim-alarms',
      region: 'us-east-1',
      retention_in_days: 90,
      kms_key_id: `\${aws_kms_key.${keyId}.arn}`,
    });
    expect(key).toMatchObject({ region: 'us-east-1', enable_key_rotation: true, deletion_window_in_days: 7 });
    expect(entry('aws_kms_alias', 'Monitoring_SlackLogKeyAlias')[1]).toMatchObject({
      region: 'us-east-1',
      name: 'alias/byodkim-dev-dkim-chatbot-logs',
    });
  });

  it('lets CloudWatch Logs of us-east-1 use the key for that log group only', () => {
    const keyPolicy = parseRenderedPolicy(key.policy);
    expect(keyPolicy.Statement.find((s: Json) => s.Sid === 'CloudWatchLogsUse')).toEqual({
      Sid: 'CloudWatchLogsUse',
      Effect: 'Allow',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/chatbot/byodkim-dev-dkim-alarms`,
        },
      },
    });
  });

  it('exists before the channel that logs to it, and satisfies the security pack (LOG3 an error)', () => {
    const channel = Object.values(
      withSlack.resource.aws_chatbot_slack_channel_configuration as Record<string, Json>,
    )[0];
    expect(channel.logging_level).toBe('ERROR');
    expect(channel.depends_on).toContain(`aws_cloudwatch_log_group.${groupId}`);
    const report = checkTerraform(withSlack);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.tally.find((t) => t.ruleId === 'BYODKIM-LOG3')).toMatchObject({ compliant: 1 });
  });
});

describe('the monitor and the report', () => {
  const fn = (name: string) => byName('aws_lambda_function', 'function_name', name);
  const schedule = (name: string) => byName('aws_scheduler_schedule', 'name', name);
  const logGroup = (name: string) => byName('aws_cloudwatch_log_group', 'name', name);

  it('runs the monitor from its own bundle, hourly, with its own schedule role', () => {
    const monitor = fn('byodkim-dev-dkim-monitor');
    expect(monitor.filename).toContain('monitor.zip');
    expect(monitor.reserved_concurrent_executions).toBe(1);
    expect(monitor.timeout).toBe(900);
    expect(monitor.role).toBe(ref('aws_iam_role', 'Monitoring_MonitorRole_'));
    expect(schedule('byodkim-dev-dkim-monitor')).toMatchObject({
      schedule_expression: 'rate(1 hour)',
      target: {
        arn: ref('aws_lambda_function', 'Monitoring_Monitor_'),
        role_arn: ref('aws_iam_role', 'Monitoring_MonitorScheduleRole'),
      },
    });
    expect(monitor.environment.variables).toMatchObject({
      [LAMBDA_ENV.environment]: 'dev',
      [LAMBDA_ENV.stateTable]: ref('aws_dynamodb_table', 'Rotation_StateTable', 'name'),
      [LAMBDA_ENV.alarmTopicArn]: TOPIC,
      [LAMBDA_ENV.locale]: 'ja',
      [LAMBDA_ENV.keyManagerSilentMinutes]: '780',
    });
  });

  it('runs the report on the 1st of the month at 09:00 Asia/Tokyo', () => {
    expect(schedule('byodkim-dev-dkim-report')).toMatchObject({
      schedule_expression: 'cron(0 9 1 * ? *)',
      schedule_expression_timezone: 'Asia/Tokyo',
      target: {
        arn: ref('aws_lambda_function', 'Monitoring_Report_'),
        role_arn: ref('aws_iam_role', 'Monitoring_ReportScheduleRole'),
      },
    });
    expect(fn('byodkim-dev-dkim-report').environment.variables[LAMBDA_ENV.reportTimeZone]).toBe('Asia/Tokyo');
    const { json: utc } = build({ reportTimeZone: 'Europe/Berlin' });
    const report = Object.values(utc.resource.aws_scheduler_schedule as Record<string, Json>).find(
      (s) => s.name === 'byodkim-dev-dkim-report',
    );
    expect(report.schedule_expression_timezone).toBe('Europe/Berlin');
  });

  it('sets the environment the monitor and report runtimes read (they start with it)', () => {
    const monitorRuntime = createMonitorRuntime(fn('byodkim-dev-dkim-monitor').environment.variables);
    expect(monitorRuntime).toMatchObject({ environment: 'dev', locale: 'ja', timeZone: 'Asia/Tokyo' });
    expect(monitorRuntime.keyManagerSilentMs).toBe(780 * 60_000);
    const reportRuntime = createReportRuntime(fn('byodkim-dev-dkim-report').environment.variables);
    expect(reportRuntime).toMatchObject({ environment: 'dev', locale: 'ja', timeZone: 'Asia/Tokyo' });
  });

  it('keeps each log group with retention, encrypted with the monitoring key', () => {
    for (const name of ['/aws/lambda/byodkim-dev-dkim-monitor', '/aws/lambda/byodkim-dev-dkim-report']) {
      expect(logGroup(name)).toMatchObject({
        retention_in_days: 731,
        kms_key_id: ref('aws_kms_key', 'Monitoring_AlarmKey'),
      });
    }
  });

  it('gives the monitor read actions only, besides its logs and the topic', () => {
    const actions = built.suite.monitor.policy.Statement.flatMap((s) => s.Action as string[]);
    expect(actions.sort()).toEqual(
      [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKey*',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ses:GetEmailIdentity',
        'sns:Publish',
      ].sort(),
    );
    const ses = built.suite.monitor.policy.Statement.find((s) => s.Sid === 'ReadSesIdentities')!;
    const identities = Object.keys(resources('aws_sesv2_email_identity')).map(
      (id) => `\${aws_sesv2_email_identity.${id}.arn}`,
    );
    expect(identities).toHaveLength(2);
    const rendered = parseRenderedPolicy(
      Object.entries(resources('aws_iam_role_policy')).find(([id]) => id.startsWith('Monitoring_MonitorRolePolicy'))![1]
        .policy,
    );
    expect(rendered.Statement.find((s: Json) => s.Sid === 'ReadSesIdentities').Resource.sort()).toEqual(
      identities.sort(),
    );
    expect(ses.Resource).toHaveLength(2);
  });

  it('names each identity up to 50 domains, then all identities of the region (IAM policy size)', () => {
    const arns = (n: number) =>
      Array.from({ length: n }, (_, i) => `arn:aws:ses:${REGION}:${ACCOUNT}:identity/d${i}.example`);
    const all = `arn:aws:ses:${REGION}:${ACCOUNT}:identity/*`;
    expect(identityReadResources(arns(50), all)).toEqual(arns(50));
    expect(identityReadResources(arns(51), all)).toEqual([all]);
    expect(MAX_LISTED_IDENTITIES).toBe(50);
    // By size too: 50 long domain names would not fit IAM's 10,240 characters.
    const long = (n: number) =>
      Array.from({ length: n }, (_, i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.d${i}.example`);
    expect(identityReadResources(arns(50), all, long(50))).toEqual([all]);
    expect(identityReadResources(arns(20), all, long(20))).toEqual(arns(20));
    expect(
      identityReadResources(
        arns(50),
        all,
        arns(50).map((_, i) => `d${i}.example`),
      ),
    ).toEqual(arns(50));
  });

  it('lets the report put items only under pk REPORT', () => {
    const write = built.suite.report.policy.Statement.find((s) => s.Sid === 'WriteMonthlyReport')!;
    expect(write.Action).toEqual(['dynamodb:PutItem']);
    expect(write.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [STATE_TABLE.reportPartitionKey] },
      Null: { 'dynamodb:LeadingKeys': 'false' },
    });
  });
});

describe('the dashboard', () => {
  const dashboard = byName('aws_cloudwatch_dashboard', 'dashboard_name', 'byodkim-dev-dkim');
  const body = JSON.parse(dashboard.dashboard_body);
  const texts = JSON.stringify(body);

  it('is valid JSON with widgets inside the 24-column grid', () => {
    expect(body.widgets.length).toBeGreaterThan(5);
    for (const w of body.widgets) {
      expect(['text', 'alarm', 'metric', 'log']).toContain(w.type);
      expect(w.x + w.width).toBeLessThanOrEqual(24);
    }
  });

  it('shows health and key age per domain with Metrics Insights, worst first, limited', () => {
    expect(texts).toContain(
      `SELECT MIN(DkimHealthy) FROM SCHEMA(\\"Byodkim\\", Domain, Environment) WHERE Environment = 'dev' GROUP BY Domain ORDER BY MIN() ASC LIMIT ${DASHBOARD_DOMAIN_LIMIT}`,
    );
    expect(texts).toContain('SELECT MAX(KeyAgeDays)');
    expect(texts).toContain('ORDER BY MAX() DESC');
    // The key-age chart marks the domains' rotation intervals (90 and the default 180 days).
    expect(texts).toContain('"value":90');
    expect(texts).toContain('"value":180');
  });

  it('lists every alarm, the errors and the last runs', () => {
    const alarmWidget = body.widgets.find((w: Json) => w.type === 'alarm');
    expect(alarmWidget.properties.alarms).toHaveLength(ALARMS.length);
    expect(alarmWidget.properties.alarms[0]).toBe(
      `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:byodkim-dev-dkim-unhealthy`,
    );
    const names = new Set(Object.values(resources('aws_cloudwatch_metric_alarm')).map((a) => a.alarm_name));
    for (const arn of alarmWidget.properties.alarms) expect(names).toContain(arn.split(':alarm:')[1]);
    expect(texts).toContain('byodkim-dev-dkim-worker');
    expect(texts).toContain("SOURCE '/aws/lambda/byodkim-dev-dkim-monitor'");
    expect(texts).toContain('byodkim-dev-dkim-work-dlq');
  });

  it("queries only fields the monitor's log line has", () => {
    const line = logFields({
      domain: 'example.com',
      keyOverInterval: false,
      expiringNoRotation: false,
      dnsRequestsOverdue: 0,
      keyManagerSilent: false,
      findings: [],
    });
    const queries: string[] = body.widgets.filter((w: Json) => w.type === 'log').map((w: Json) => w.properties.query);
    const monitorQueries = queries.filter((q) => q.includes('dkim-monitor'));
    expect(monitorQueries.length).toBeGreaterThanOrEqual(4);
    for (const query of monitorQueries) {
      const fields = [...query.matchAll(/(?:latest|ispresent)\((\w+)\)/g)].map((m) => m[1]);
      expect(fields.length).toBeGreaterThan(0);
      for (const field of fields) expect(Object.keys(line)).toContain(field);
    }
  });

  it('has the same size for 1 and 10,000 domains', () => {
    const input = (count: number) => ({
      environment: 'prod',
      region: REGION,
      title: 'byodkim prod',
      monitorPeriodSeconds: 3600,
      monitorLogGroup: '/aws/lambda/m',
      workerLogGroup: '/aws/lambda/w',
      functions: { planner: 'p', worker: 'w', monitor: 'm', report: 'r' },
      deadLetterQueueName: 'dlq',
      alarmArns: ['a'],
      intervalDays: { min: 30 + (count % 2), max: 180 },
    });
    const small = JSON.stringify(dashboardBody(input(1)));
    const large = JSON.stringify(dashboardBody(input(10_000)));
    expect(large.length).toBe(small.length);
    // CloudWatch's limit for a dashboard body.
    expect(texts.length).toBeLessThan(1_000_000);
  });
});

describe('refused props name the property, what is expected and what was given', () => {
  it.each([
    [
      { monitorSchedule: 'cron(0 * * * ? *)' },
      'monitorSchedule must be rate(<n> minutes) or rate(<n> hours)',
      '"cron(0 * * * ? *)"',
    ],
    [{ reportTimeZone: 'Tokyo' }, 'reportTimeZone must be an IANA time zone', '"Tokyo"'],
    [{ thresholds: { dkimUnhealthy: 0 } }, 'thresholds.dkimUnhealthy must be a whole number from 1 to 10000', '0'],
    [{ thresholds: { nope: 1 } as never }, 'thresholds has no alarm "nope"', ''],
    [
      { keyManagerSilentMinutes: 20_000 },
      'keyManagerSilentMinutes must be a whole number of minutes from 60 to 10080',
      '20000',
    ],
    [{ emails: ['ops'] }, 'emails ', '"ops"'],
    [
      { slack: { workspaceId: 'T0123ABCDE', channelId: '#alerts' } },
      'slack.channelId must be a Slack channel id',
      '"#alerts"',
    ],
    [{ monitorMissedRuns: 1 }, 'monitorMissedRuns must be a whole number from 2 to 24', '1'],
    [
      { canary: {} as never },
      'canary.receivingDomain must be a domain name as an A-label',
      'nothing (the field is missing)',
    ],
  ] as const)('%j', (props, message, given) => {
    let error: unknown;
    try {
      build(props as Partial<MonitoringSuiteProps>);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(message);
    if (given !== '') expect((error as Error).message).toContain(`(given ${given})`);
  });
});
