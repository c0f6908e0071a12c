/**
 * The environment's CloudWatch dashboard body, as plain data (JSON.stringify'd into
 * `aws_cloudwatch_dashboard.dashboard_body`). Its size does not depend on the number of domains: per-domain
 * views are Metrics Insights queries (`GROUP BY Domain ORDER BY … LIMIT n`: the worst n domains of however
 * many there are) and Logs Insights queries over the monitor's structured log, never one widget per domain.
 */
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRICS, type MetricDefinition } from '../../functions/core/contract';

/** Series one Metrics Insights widget shows: the worst ones first (Metrics Insights returns at most 500). */
export const DASHBOARD_DOMAIN_LIMIT = 50;

export interface DashboardInput {
  readonly environment: string;
  readonly region: string;
  /** Seconds between monitor runs: the period of the monitor's metrics. */
  readonly monitorPeriodSeconds: number;
  readonly monitorLogGroup: string;
  readonly workerLogGroup: string;
  readonly functions: {
    readonly planner: string;
    readonly worker: string;
    readonly monitor: string;
    readonly report: string;
  };
  readonly deadLetterQueueName: string;
  /** The alarms' ARNs (literal or Terraform references). */
  readonly alarmArns: readonly string[];
  /** The shortest and longest rotation interval of the environment's domains, in days. */
  readonly intervalDays: { readonly min: number; readonly max: number };
  /** A link or name shown in the header. */
  readonly title: string;
}

type Widget = Record<string, unknown>;

const WIDTH = 24;

/** `SELECT <fn>(<metric>) FROM SCHEMA("Byodkim", Domain, Environment) WHERE Environment = '<env>' GROUP BY Domain …`. */
export function perDomainQuery(
  metric: MetricDefinition,
  environment: string,
  fn: 'MIN' | 'MAX',
  order: 'ASC' | 'DESC',
  limit = DASHBOARD_DOMAIN_LIMIT,
): string {
  const { environment: env, domain } = METRIC_DIMENSIONS;
  return (
    `SELECT ${fn}(${metric.name}) FROM SCHEMA("${METRIC_NAMESPACE}", ${domain}, ${env}) ` +
    `WHERE ${env} = '${environment}' GROUP BY ${domain} ORDER BY ${fn}() ${order} LIMIT ${limit}`
  );
}

/** The dashboard body for one environment. */
export function dashboardBody(input: DashboardInput): Record<string, unknown> {
  const { environment, region } = input;
  const period = input.monitorPeriodSeconds;
  const env = { [METRIC_DIMENSIONS.environment]: environment };
  const envMetric = (metric: MetricDefinition, stat: string, label?: string) => [
    METRIC_NAMESPACE,
    metric.name,
    METRIC_DIMENSIONS.environment,
    env[METRIC_DIMENSIONS.environment],
    { stat, ...(label !== undefined ? { label } : {}) },
  ];
  const lambdaErrors = (name: string) => [
    'AWS/Lambda',
    'Errors',
    'FunctionName',
    name,
    { stat: 'Sum', label: `${name} errors` },
  ];

  const widgets: Widget[] = [];
  let y = 0;
  const row = (height: number, ...items: Widget[]) => {
    const width = Math.floor(WIDTH / items.length);
    items.forEach((item, i) => widgets.push({ ...item, x: i * width, y, width, height }));
    y += height;
  };

  row(2, {
    type: 'text',
    properties: {
      markdown:
        `# ${input.title}\n` +
        `DKIM health of every domain of **${environment}**, worst first (up to ${DASHBOARD_DOMAIN_LIMIT} per chart). ` +
        `全ドメインの DKIM の状態（問題のあるドメインから最大 ${DASHBOARD_DOMAIN_LIMIT} 件表示）。`,
    },
  });
  row(6, {
    type: 'alarm',
    properties: { title: 'Alarms / アラーム', alarms: [...input.alarmArns], sortBy: 'stateUpdatedTimestamp' },
  });
  row(
    8,
    {
      type: 'metric',
      properties: {
        title: `${METRICS.dkimHealthy.name} per domain, unhealthy first (1 = healthy) / ドメイン別の状態`,
        region,
        view: 'timeSeries',
        period,
        yAxis: { left: { min: 0, max: 1 } },
        metrics: [
          [{ expression: perDomainQuery(METRICS.dkimHealthy, environment, 'MIN', 'ASC'), id: 'health', label: '' }],
        ],
      },
    },
    {
      type: 'metric',
      properties: {
        title: 'Domains by state, per monitor run / 状態別のドメイン数',
        region,
        view: 'timeSeries',
        stacked: false,
        period,
        metrics: [
          envMetric(METRICS.domainsChecked, 'Maximum'),
          envMetric(METRICS.domainsUnhealthy, 'Maximum'),
          envMetric(METRICS.recordProblems, 'Maximum'),
          envMetric(METRICS.signingDrift, 'Maximum'),
          envMetric(METRICS.keysOverInterval, 'Maximum'),
          envMetric(METRICS.keysExpiringNoRotation, 'Maximum'),
          envMetric(METRICS.dnsRequestsOverdue, 'Maximum'),
          envMetric(METRICS.keyManagerSilent, 'Maximum'),
        ],
      },
    },
  );
  row(8, {
    type: 'metric',
    properties: {
      title: `${METRICS.keyAgeDays.name} per domain, oldest first, against the rotation policy / 鍵の使用日数とローテーション間隔`,
      region,
      view: 'timeSeries',
      period,
      metrics: [[{ expression: perDomainQuery(METRICS.keyAgeDays, environment, 'MAX', 'DESC'), id: 'age', label: '' }]],
      annotations: {
        horizontal: [
          { label: `shortest rotation interval (${input.intervalDays.min} d)`, value: input.intervalDays.min },
          ...(input.intervalDays.max !== input.intervalDays.min
            ? [{ label: `longest rotation interval (${input.intervalDays.max} d)`, value: input.intervalDays.max }]
            : []),
        ],
      },
    },
  });
  row(
    6,
    {
      type: 'metric',
      properties: {
        title: 'Errors / エラー',
        region,
        view: 'timeSeries',
        period: 300,
        metrics: [
          lambdaErrors(input.functions.planner),
          lambdaErrors(input.functions.worker),
          lambdaErrors(input.functions.monitor),
          lambdaErrors(input.functions.report),
          envMetric(METRICS.actionFailures, 'Sum'),
          [
            'AWS/SQS',
            'ApproximateNumberOfMessagesVisible',
            'QueueName',
            input.deadLetterQueueName,
            { stat: 'Maximum', label: 'dead-letter queue' },
          ],
        ],
      },
    },
    {
      type: 'metric',
      properties: {
        title: 'Runs (heartbeats) / 実行回数',
        region,
        view: 'timeSeries',
        period,
        metrics: [
          envMetric(METRICS.runsCompleted, 'Sum', 'key manager: domain runs finished'),
          envMetric(METRICS.monitorRuns, 'Sum', 'monitor runs'),
          envMetric(METRICS.rotationsCompleted, 'Sum'),
          envMetric(METRICS.dnsRequestsSent, 'Sum'),
        ],
      },
    },
  );
  // The monitor logs one line per domain and run (functions/monitoring/verdicts.ts logFields): Logs Insights
  // reads the domain, which the environment-wide metrics do not carry.
  const monitorLog = (title: string, query: string): Widget => ({
    type: 'log',
    properties: {
      title,
      region,
      view: 'table',
      query: `SOURCE '${input.monitorLogGroup}' | filter ispresent(domain) ${query}`,
    },
  });
  row(
    8,
    monitorLog(
      'Domains with problems, latest run / 問題のあるドメイン（最新の実行）',
      '| stats latest(problems) as problems, latest(findings) as findings, latest(record) as record, latest(drift) as drift by domain ' +
        '| filter problems > 0 | sort problems desc | limit 100',
    ),
    monitorLog(
      'Overdue DNS-team requests / 期限を過ぎた DNS 依頼',
      '| stats latest(dnsRequestsOverdue) as overdue, latest(findings) as findings by domain ' +
        '| filter overdue > 0 | sort overdue desc | limit 100',
    ),
  );
  row(
    8,
    monitorLog(
      'Key age against the policy, oldest first / 鍵の使用日数',
      '| stats latest(keyAgeDays) as keyAgeDays, latest(keyOverInterval) as overInterval, latest(expiringNoRotation) as expiringNoRotation, latest(selector) as selector by domain ' +
        '| sort keyAgeDays desc | limit 100',
    ),
    monitorLog(
      'Last key-manager run per domain, longest ago first / ドメイン別の鍵管理の最終実行',
      '| stats latest(minutesSinceKeyManagerRun) as minutesSinceRun, latest(keyManagerSilent) as silent, latest(dkimHealthy) as healthy by domain ' +
        '| sort minutesSinceRun desc | limit 100',
    ),
  );
  row(6, {
    type: 'log',
    properties: {
      title: 'Worker errors (latest) / worker のエラー',
      region,
      view: 'table',
      query:
        `SOURCE '${input.workerLogGroup}' | filter level = 'ERROR' ` +
        '| fields @timestamp, domain, message | sort @timestamp desc | limit 50',
    },
  });
  return { start: '-P7D', periodOverride: 'inherit', widgets };
}
