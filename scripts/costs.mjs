#!/usr/bin/env node
// `npm run costs`: the monthly cost of one environment at 1, 100 and 10,000 domains, computed from the
// synthesized prod stack (what it creates: alarms and the metrics they watch, dashboards, KMS keys,
// Lambdas and their memory, schedules and their expressions, queues, topics, log groups and their retention)
// and the price sheet and usage model below, written to docs/costs.md.
// `npm run costs -- --check` (what test/scripts/costs.test.ts runs) fails when docs/costs.md differs from
// what this script computes now: a change to the stack, the metrics or the prices must update the doc.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
require('./ts-require.cjs');

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const DOC = path.join(root, 'docs', 'costs.md');
export const DOMAIN_COUNTS = [1, 100, 10_000];
const MONTH_HOURS = 730;
const MONTH_DAYS = MONTH_HOURS / 24;

/** List prices, USD, Asia Pacific (Tokyo) ap-northeast-1, on-demand, free tiers ignored. */
export const PRICES = {
  customMetricFirst10k: { usd: 0.3, unit: 'metric-month (first 10,000)' },
  customMetricNext240k: { usd: 0.1, unit: 'metric-month (10,001-250,000)' },
  alarmMetric: { usd: 0.1, unit: 'standard-resolution alarm metric-month (metric math: each metric)' },
  dashboard: { usd: 3.0, unit: 'dashboard-month' },
  logsIngestion: { usd: 0.76, unit: 'GB ingested (CloudWatch Logs, Standard)' },
  logsStorage: { usd: 0.033, unit: 'GB-month stored' },
  secret: { usd: 0.4, unit: 'secret-month' },
  secretsApi: { usd: 0.05, unit: '10,000 Secrets Manager API calls' },
  kmsKey: { usd: 1.0, unit: 'customer-managed key-month' },
  kmsRequests: { usd: 0.03, unit: '10,000 KMS requests' },
  lambdaGbSecondArm: { usd: 0.0000133334, unit: 'GB-second (arm64)' },
  lambdaRequests: { usd: 0.2, unit: '1,000,000 Lambda requests' },
  sqsRequests: { usd: 0.4, unit: '1,000,000 SQS requests (standard, 64 KB chunks)' },
  dynamoWrite: { usd: 0.7135, unit: '1,000,000 write request units (on-demand)' },
  dynamoRead: { usd: 0.1427, unit: '1,000,000 read request units (on-demand)' },
  dynamoStorage: { usd: 0.285, unit: 'GB-month (Standard table class)' },
  dynamoPitr: { usd: 0.228, unit: 'GB-month of point-in-time recovery' },
  schedulerInvocations: { usd: 1.0, unit: '1,000,000 EventBridge Scheduler invocations' },
  snsPublishes: { usd: 0.5, unit: '1,000,000 SNS publishes' },
  snsEmail: { usd: 2.0, unit: '100,000 e-mail notifications' },
  hostedZone: { usd: 0.5, unit: 'Route 53 hosted zone-month (first 25)' },
};

/** The usage model: what a domain costs per run, stated once, used everywhere below. */
export const USAGE = {
  workerSecondsPerDomainRun: 1.5,
  plannerSecondsPerRun: 2,
  monitorSecondsPerDomainRun: 0.05,
  reportSecondsPerDomain: 0.01,
  workerLogBytesPerDomainRun: 2048,
  monitorLogBytesPerDomainRun: 1024,
  plannerLogBytesPerRun: 4096,
  workerReadUnitsPerDomainRun: 1,
  workerWriteUnitsPerDomainRun: 1,
  monitorReadUnitsPerDomainRun: 1,
  sqsRequestsPerDomainRun: 0.5,
  eventsPerDomainMonth: 10,
  itemBytesPerDomain: 6 * 1024,
  eventBytes: 1024,
  eventRetentionMonths: 13,
  secretsCallsPerRotation: 6,
  kmsRequestsPerSecretCall: 1,
  alertEmailsPerMonth: 10,
};

function resources(json, type) {
  return Object.values(json.resource?.[type] ?? {});
}

/** Minutes between runs of an EventBridge Scheduler expression (rate, or a cron firing every day). */
function periodMinutes(expression) {
  const { schedulePeriodMinutes } = require('../functions/core/schedule-period.ts');
  return schedulePeriodMinutes(expression);
}

/** Runs a month of a schedule: the report's monthly cron counts once. */
function runsPerMonth(expression) {
  const minutes = periodMinutes(expression);
  if (minutes !== undefined) return (MONTH_HOURS * 60) / minutes;
  if (/^cron\(\S+ \S+ \d+ \* \? \*\)$/.test(expression)) return 1;
  throw new Error(`costs: cannot tell how often ${expression} runs`);
}

/** What the synthesized stack creates, read from its JSON. */
export function inventory(json) {
  const alarms = resources(json, 'aws_cloudwatch_metric_alarm');
  const alarmMetrics = alarms.reduce(
    (sum, a) => sum + (a.metric_query ? a.metric_query.filter((q) => q.metric !== undefined).length : 1),
    0,
  );
  const lambdas = resources(json, 'aws_lambda_function').map((f) => ({
    name: f.function_name,
    memoryGb: f.memory_size / 1024,
  }));
  const schedules = resources(json, 'aws_scheduler_schedule').map((s) => ({
    name: s.name,
    expression: s.schedule_expression,
    runs: runsPerMonth(s.schedule_expression),
  }));
  const domains = resources(json, 'aws_sesv2_email_identity').length;
  return {
    domains,
    alarms: alarms.length,
    alarmMetrics,
    dashboards: resources(json, 'aws_cloudwatch_dashboard').length,
    kmsKeys: resources(json, 'aws_kms_key').length,
    logGroups: resources(json, 'aws_cloudwatch_log_group').map((g) => ({
      name: g.name,
      retentionDays: g.retention_in_days,
    })),
    lambdas,
    schedules,
    queues: resources(json, 'aws_sqs_queue').length,
    topics: resources(json, 'aws_sns_topic').length,
    emailSubscriptions: resources(json, 'aws_sns_topic_subscription').filter((s) => s.protocol === 'email').length,
    tables: resources(json, 'aws_dynamodb_table').length,
    createdZones: resources(json, 'aws_route53_zone').length,
  };
}

/** The prod stack, synthesized as `npm run synth` does. */
export function synthesizeProd() {
  const { Testing } = require('cdktf');
  const { ByodkimStack } = require('../main.ts');
  const { environments } = require('../envs/index.ts');
  const { loadEnvironments } = require('../envs/load.ts');
  const prod = loadEnvironments(environments).environments.find((e) => e.config.environment === 'prod');
  if (!prod) throw new Error('costs: no prod environment in envs/index.ts');
  const stack = new ByodkimStack(Testing.app(), ByodkimStack.stackName('prod'), { config: prod.config });
  return { json: JSON.parse(Testing.synth(stack)), config: prod.config };
}

function metricsPerMonth(count) {
  const first = Math.min(count, 10_000);
  return first * PRICES.customMetricFirst10k.usd + Math.max(0, count - 10_000) * PRICES.customMetricNext240k.usd;
}

/** The monthly line items for `n` domains. */
export function estimate(inv, config, n) {
  const { METRICS } = require('../functions/core/contract.ts');
  const lambda = (role) => {
    const found = inv.lambdas.find((l) => l.name.endsWith(`-dkim-${role}`));
    if (!found) throw new Error(`costs: no ${role} Lambda in the synthesized stack`);
    return found;
  };
  const schedule = (role) => {
    const found = inv.schedules.find((s) => s.name.endsWith(`-dkim-${role}`));
    if (!found) throw new Error(`costs: no ${role} schedule in the synthesized stack`);
    return found;
  };
  const rotation = inv.schedules.find((s) => s.name.endsWith('-dkim-rotation'));
  const monitor = schedule('monitor');
  const report = schedule('report');
  const keyManagerRuns = rotation.runs;
  const domainRuns = keyManagerRuns * n;
  const monitorDomainRuns = monitor.runs * n;
  const hasCanary = inv.lambdas.some((l) => l.name.endsWith('-dkim-canary'));
  const metricDefs = Object.values(METRICS).filter((m) => hasCanary || !m.name.startsWith('Canary'));
  const perDomainMetrics = metricDefs.filter((m) => m.scope === 'domain').length;
  const metrics = metricDefs.length + perDomainMetrics * n;

  const policy = config.domains[0].rotation;
  const secretsPerDomain = 1 + (policy.renewBeforeDays + policy.graceDays) / policy.intervalDays;
  const rotationsPerMonth = (n * MONTH_DAYS) / policy.intervalDays;
  const secretCalls = rotationsPerMonth * USAGE.secretsCallsPerRotation;

  const gbSeconds =
    domainRuns * USAGE.workerSecondsPerDomainRun * lambda('worker').memoryGb +
    keyManagerRuns * USAGE.plannerSecondsPerRun * lambda('planner').memoryGb +
    monitorDomainRuns * USAGE.monitorSecondsPerDomainRun * lambda('monitor').memoryGb +
    report.runs * n * USAGE.reportSecondsPerDomain * lambda('report').memoryGb;
  const invocations = Math.round(domainRuns / 5 + keyManagerRuns + monitor.runs + report.runs);

  const logGb =
    (domainRuns * USAGE.workerLogBytesPerDomainRun +
      monitorDomainRuns * USAGE.monitorLogBytesPerDomainRun +
      keyManagerRuns * USAGE.plannerLogBytesPerRun) /
    1024 ** 3;
  const retentionMonths = Math.max(...inv.logGroups.map((g) => g.retentionDays)) / MONTH_DAYS;
  const storedLogGb = logGb * retentionMonths;

  const readUnits =
    domainRuns * USAGE.workerReadUnitsPerDomainRun + monitorDomainRuns * USAGE.monitorReadUnitsPerDomainRun;
  const writeUnits = domainRuns * USAGE.workerWriteUnitsPerDomainRun + n * USAGE.eventsPerDomainMonth;
  const tableGb =
    (n * (USAGE.itemBytesPerDomain + USAGE.eventsPerDomainMonth * USAGE.eventRetentionMonths * USAGE.eventBytes)) /
    1024 ** 3;
  // KMS: the table key is cached by DynamoDB, SQS reuses data keys for 5 minutes: about one request per run
  // and principal, plus one per Secrets Manager call.
  const kmsRequests = (keyManagerRuns + monitor.runs) * 4 + secretCalls * USAGE.kmsRequestsPerSecretCall;

  const items = [
    [
      'CloudWatch custom metrics',
      `${metrics.toLocaleString('en-US')} metrics (${perDomainMetrics} per domain + ${metricDefs.length} per environment)`,
      metricsPerMonth(metrics),
    ],
    [
      'CloudWatch alarms',
      `${inv.alarms} alarms, ${inv.alarmMetrics} metrics`,
      inv.alarmMetrics * PRICES.alarmMetric.usd,
    ],
    ['CloudWatch dashboards', `${inv.dashboards}`, inv.dashboards * PRICES.dashboard.usd],
    ['CloudWatch Logs ingestion', `${logGb.toFixed(3)} GB`, logGb * PRICES.logsIngestion.usd],
    [
      'CloudWatch Logs storage',
      `${storedLogGb.toFixed(2)} GB (steady state, ${Math.round(retentionMonths)} months kept)`,
      storedLogGb * PRICES.logsStorage.usd,
    ],
    [
      'Secrets Manager secrets',
      `${(n * secretsPerDomain).toLocaleString('en-US', { maximumFractionDigits: 1 })} secrets`,
      n * secretsPerDomain * PRICES.secret.usd,
    ],
    [
      'Secrets Manager API',
      `${Math.round(secretCalls).toLocaleString('en-US')} calls`,
      (secretCalls / 10_000) * PRICES.secretsApi.usd,
    ],
    ['KMS keys', `${inv.kmsKeys} keys`, inv.kmsKeys * PRICES.kmsKey.usd],
    [
      'KMS requests',
      `${Math.round(kmsRequests).toLocaleString('en-US')} requests`,
      (kmsRequests / 10_000) * PRICES.kmsRequests.usd,
    ],
    [
      'Lambda compute',
      `${Math.round(gbSeconds).toLocaleString('en-US')} GB-s`,
      gbSeconds * PRICES.lambdaGbSecondArm.usd,
    ],
    [
      'Lambda requests',
      `${invocations.toLocaleString('en-US')} invocations`,
      (invocations / 1e6) * PRICES.lambdaRequests.usd,
    ],
    [
      'SQS requests',
      `${Math.round(domainRuns * USAGE.sqsRequestsPerDomainRun).toLocaleString('en-US')} requests`,
      ((domainRuns * USAGE.sqsRequestsPerDomainRun) / 1e6) * PRICES.sqsRequests.usd,
    ],
    [
      'DynamoDB reads',
      `${Math.round(readUnits).toLocaleString('en-US')} RRU`,
      (readUnits / 1e6) * PRICES.dynamoRead.usd,
    ],
    [
      'DynamoDB writes',
      `${Math.round(writeUnits).toLocaleString('en-US')} WRU`,
      (writeUnits / 1e6) * PRICES.dynamoWrite.usd,
    ],
    [
      'DynamoDB storage + PITR',
      `${tableGb.toFixed(3)} GB`,
      tableGb * (PRICES.dynamoStorage.usd + PRICES.dynamoPitr.usd),
    ],
    [
      'EventBridge Scheduler',
      `${Math.round(keyManagerRuns + monitor.runs + report.runs)} invocations`,
      ((keyManagerRuns + monitor.runs + report.runs) / 1e6) * PRICES.schedulerInvocations.usd,
    ],
    [
      'SNS',
      `${report.runs + USAGE.alertEmailsPerMonth} publishes to ${inv.emailSubscriptions} e-mail subscriptions`,
      ((report.runs + USAGE.alertEmailsPerMonth) / 1e6) * PRICES.snsPublishes.usd +
        (((report.runs + USAGE.alertEmailsPerMonth) * inv.emailSubscriptions) / 1e5) * PRICES.snsEmail.usd,
    ],
  ];
  return items.map(([item, quantity, usd]) => ({ item, quantity, usd }));
}

const money = (usd) =>
  usd >= 100 ? `$${usd.toFixed(0)}` : usd >= 0.01 ? `$${usd.toFixed(2)}` : usd > 0 ? '< $0.01' : '$0';

/** docs/costs.md as this script computes it, formatted as `prettier --check .` wants it. */
export async function renderCostsDoc() {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(DOC)) ?? {};
  return prettier.format(costsMarkdown(), { ...options, filepath: DOC });
}

function costsMarkdown() {
  const { json, config } = synthesizeProd();
  const inv = inventory(json);
  const estimates = DOMAIN_COUNTS.map((n) => ({ n, items: estimate(inv, config, n) }));
  const total = (items) => items.reduce((sum, i) => sum + i.usd, 0);
  const policy = config.domains[0].rotation;
  const lines = [
    '# Monthly cost of one environment',
    '',
    '<!-- Written by `npm run costs` (scripts/costs.mjs); test/scripts/costs.test.ts fails when this file differs from what the script computes. Do not edit by hand. -->',
    '',
    'The cost of one environment with 1, 100 and 10,000 domains, computed by `scripts/costs.mjs` from the',
    'synthesized **prod** stack (`envs/prod.ts`: what it creates) and the list prices and usage model below.',
    'Domains are assumed to be in `route53` or `external` DNS mode; a `delegated` domain adds its own hosted',
    `zone (${money(PRICES.hostedZone.usd)} a month).`,
    '',
    '## Totals',
    '',
    `| Item | ${DOMAIN_COUNTS.map((n) => `${n.toLocaleString('en-US')} domain${n === 1 ? '' : 's'}`).join(' | ')} |`,
    `| --- | ${DOMAIN_COUNTS.map(() => '---:').join(' | ')} |`,
    ...estimates[0].items.map(
      (row, i) => `| ${row.item} | ${estimates.map((e) => money(e.items[i].usd)).join(' | ')} |`,
    ),
    `| **Total per month** | ${estimates.map((e) => `**${money(total(e.items))}**`).join(' | ')} |`,
    `| Per domain | ${estimates.map((e) => money(total(e.items) / e.n)).join(' | ')} |`,
    '',
    'The largest items:',
    '',
    ...estimates.map(
      (e) =>
        `- ${e.n.toLocaleString('en-US')} domain${e.n === 1 ? '' : 's'}: ${[...e.items]
          .sort((a, b) => b.usd - a.usd)
          .slice(0, 3)
          .map((i) => `${i.item} ${money(i.usd)}`)
          .join(', ')}`,
    ),
    '',
    'Only two metrics are published per domain (`DkimHealthy` and `KeyAgeDays`); every other metric is one',
    'per environment, and the domain stays in the structured log (Logs Insights). Alarms are per environment:',
    'their cost does not grow with the domains.',
    '',
    '## Quantities at 10,000 domains',
    '',
    '| Item | Quantity |',
    '| --- | --- |',
    ...estimates[estimates.length - 1].items.map((row) => `| ${row.item} | ${row.quantity} |`),
    '',
    '## What the synthesized prod stack creates (read by the script)',
    '',
    `- ${inv.alarms} alarms watching ${inv.alarmMetrics} metrics (environment-wide: the same count for any number of domains)`,
    `- ${inv.dashboards} dashboard, ${inv.kmsKeys} KMS keys, ${inv.tables} DynamoDB table, ${inv.queues} SQS queues, ${inv.topics} SNS topics (${inv.emailSubscriptions} e-mail subscriptions)`,
    `- Lambdas: ${inv.lambdas.map((l) => `${l.name} (${Math.round(l.memoryGb * 1024)} MB)`).join(', ')}`,
    `- Schedules: ${inv.schedules.map((s) => `${s.name} \`${s.expression}\` (${s.runs.toFixed(1)} runs a month)`).join(', ')}`,
    `- Log groups: ${inv.logGroups.map((g) => `${g.name} (${g.retentionDays} days)`).join(', ')}`,
    `- Per domain: an SES identity and a configuration set (free), a SPEC item; ${inv.createdZones} hosted zone(s) created for the ${inv.domains} configured domains (delegated mode)`,
    '',
    '## Price sheet',
    '',
    'AWS list prices for Asia Pacific (Tokyo), on-demand, in USD, free tiers ignored, as recorded in',
    '`PRICES` of `scripts/costs.mjs`. Prices change: check them against the AWS pricing pages before',
    'budgeting, update `PRICES`, and run `npm run costs`.',
    '',
    '| Price | Unit |',
    '| ---: | --- |',
    ...Object.values(PRICES).map((p) => `| $${p.usd} | ${p.unit} |`),
    '',
    '## Assumptions',
    '',
    `- The key manager runs on prod's schedule (\`${config.schedule.expression}\`), every domain every run; the monitor on \`${config.monitoring.schedule}\`; the report once a month.`,
    `- A worker run of a domain: ${USAGE.workerSecondsPerDomainRun} s, ${USAGE.workerReadUnitsPerDomainRun} read unit (SPEC + STATE in one Query), ${USAGE.workerWriteUnitsPerDomainRun} write unit (its HEARTBEAT), ${USAGE.sqsRequestsPerDomainRun} SQS requests (batched send, receive, delete), ${USAGE.workerLogBytesPerDomainRun} bytes of log.`,
    `- A monitor check of a domain: ${USAGE.monitorSecondsPerDomainRun * 1000} ms of its run (domains are checked concurrently), ${USAGE.monitorReadUnitsPerDomainRun} read unit, ${USAGE.monitorLogBytesPerDomainRun} bytes of log (its structured line and the EMF metrics). SES \`GetEmailIdentity\` and DNS queries cost nothing.`,
    `- Every metric is published every hour of the month (a metric costs from its first data point in a month, prorated by the hour).`,
    `- Keys rotate on prod's default policy (${policy.intervalDays} days, renew ${policy.renewBeforeDays} days before, ${policy.graceDays} days of grace): ${(1 + (policy.renewBeforeDays + policy.graceDays) / policy.intervalDays).toFixed(2)} secrets per domain on average (a secret scheduled for deletion is not billed); ${USAGE.secretsCallsPerRotation} Secrets Manager calls per rotation.`,
    `- State: ${USAGE.itemBytesPerDomain / 1024} KB of items per domain and ${USAGE.eventsPerDomainMonth} audit events a month of ${USAGE.eventBytes / 1024} KB, kept ${USAGE.eventRetentionMonths} months (their TTL); point-in-time recovery billed on the same size.`,
    '- Logs are stored as ingested for their whole retention (an upper bound: CloudWatch bills the compressed size).',
    `- Alerts: ${USAGE.alertEmailsPerMonth} alert publishes a month plus the report, each delivered to every e-mail subscription; Slack through AWS Chatbot is free.`,
    '- Not included: data transfer (DNS queries and API calls are small), Logs Insights queries run from the dashboard (billed per GB scanned when someone opens it), the optional canary, CloudTrail, and the S3 state bucket.',
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  // `--doc <file>` (repeatable): the file(s) to write or check instead of docs/costs.md.
  const docs = args.flatMap((arg, i) => (arg === '--doc' && args[i + 1] ? [path.resolve(args[i + 1])] : []));
  const text = await renderCostsDoc();
  for (const doc of docs.length > 0 ? docs : [DOC]) {
    if (args.includes('--check')) {
      let committed = '';
      try {
        committed = readFileSync(doc, 'utf8');
      } catch {
        committed = '';
      }
      if (committed !== text) {
        process.stderr.write(
          `${path.relative(root, doc)} differs from what scripts/costs.mjs computes from the synthesized stack and its prices: run "npm run costs" and commit the result\n`,
        );
        process.exitCode = 1;
      }
    } else {
      writeFileSync(doc, text);
      process.stdout.write(`wrote ${path.relative(root, doc)}\n`);
    }
  }
}
