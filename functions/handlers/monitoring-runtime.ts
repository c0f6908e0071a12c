/**
 * The composition root of the monitor and report Lambdas (docs/monitoring.md): their environment
 * (LAMBDA_ENV, read with readLambdaEnvironment; the optional ones checked here, each bad value one error
 * naming the variable, what was expected and what was given) and their adapters, built once per
 * container. Read-only adapters only, besides the alarm topic and the report's REPORT item.
 *
 * | Variable | Monitor | Report | What |
 * | --- | --- | --- | --- |
 * | `BYODKIM_ENVIRONMENT` | yes | yes | the `Environment` metric dimension, the alert's and report's environment |
 * | `BYODKIM_STATE_TABLE` | yes | yes | the state table (SPEC, STATE, HEARTBEAT, EVENT; REPORT written by the report) |
 * | `BYODKIM_ALARM_TOPIC_ARN` | yes | yes | the MonitoringSuite's topic |
 * | `BYODKIM_LOCALE` | optional | optional | `ja` (default) or `en`: the language that leads |
 * | `BYODKIM_REPORT_TIME_ZONE` | optional | optional | IANA zone (default Asia/Tokyo): the report's month, the alert's times, the WARNING digest hour |
 * | `BYODKIM_KEY_MANAGER_SILENT_MINUTES` | optional | | the silence threshold (default 780: two 6-hour periods + 60) |
 * | `BYODKIM_RESOLVERS`, `BYODKIM_AUTHORITATIVE_SERVERS` | optional | | as the worker's: where records are looked up |
 */
import { LAMBDA_ENV, LOCALES, DEFAULT_REPORT_TIME_ZONE, readLambdaEnvironment, type Locale } from '../core/contract';
import { ValidationError } from '../core/errors';
import { MINUTE_MS } from '../core/time';
import type { DnsObserver, Logger, Metrics, SesIdentityDkim } from '../lifecycle/ports';
import { checkTimeZone } from '../monitoring/time-zone';
import { DEFAULT_KEY_MANAGER_SILENT_MINUTES } from '../monitoring/verdicts';
import { NetworkDnsObserver } from '../adapters/dns-observer';
import { DynamoDbMonitorReader, DynamoDbReportWriter, SnsTopicPublisher } from '../adapters/monitoring-store';
import { PowertoolsLogger, PowertoolsMetrics } from '../adapters/powertools';
import { SesV2IdentityDkim } from '../adapters/ses';
import { listVariable } from './runtime';

type Env = Readonly<Record<string, string | undefined>>;

/** Domains checked at the same time (each costs a DynamoDB Query, an SES call and the DNS lookups). */
export const MONITOR_CONCURRENCY = 16;

/** The settings both Lambdas share. */
export interface MonitoringSettings {
  readonly environment: string;
  readonly locale: Locale;
  readonly timeZone: string;
}

export interface MonitorRuntime extends MonitoringSettings {
  readonly keyManagerSilentMs: number;
  readonly reader: Pick<DynamoDbMonitorReader, 'listDomains' | 'readDomain'>;
  readonly ses: Pick<SesIdentityDkim, 'getDkim'>;
  readonly dns: DnsObserver;
  readonly topic: Pick<SnsTopicPublisher, 'publish'>;
  readonly logger: Logger;
  readonly metrics: Metrics & { flush(): void };
  readonly now: () => number;
  readonly concurrency: number;
}

export interface ReportRuntime extends MonitoringSettings {
  readonly reader: Pick<DynamoDbMonitorReader, 'listDomains' | 'readDomain' | 'events'>;
  readonly writer: Pick<DynamoDbReportWriter, 'put'>;
  readonly topic: Pick<SnsTopicPublisher, 'publish'>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly concurrency: number;
}

/** `BYODKIM_LOCALE`: `ja` when unset. */
export function readLocale(env: Env): Locale {
  const value = env[LAMBDA_ENV.locale];
  if (value === undefined || value === '') return 'ja';
  if (!(LOCALES as readonly string[]).includes(value)) {
    throw new ValidationError(
      'INVALID_ENVIRONMENT',
      `${LAMBDA_ENV.locale} must be one of ${LOCALES.join(', ')}; given ${JSON.stringify(value)}`,
      LAMBDA_ENV.locale,
    );
  }
  return value as Locale;
}

/** `BYODKIM_REPORT_TIME_ZONE`: Asia/Tokyo when unset. */
export function readTimeZone(env: Env): string {
  const value = env[LAMBDA_ENV.reportTimeZone];
  return value === undefined || value === ''
    ? DEFAULT_REPORT_TIME_ZONE
    : checkTimeZone(value, LAMBDA_ENV.reportTimeZone);
}

/** `BYODKIM_KEY_MANAGER_SILENT_MINUTES` in milliseconds (default two 6-hour periods + 60 minutes). */
export function readSilentMs(env: Env): number {
  const value = env[LAMBDA_ENV.keyManagerSilentMinutes];
  if (value === undefined || value === '') return DEFAULT_KEY_MANAGER_SILENT_MINUTES * MINUTE_MS;
  const minutes = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(minutes) || minutes < 1) {
    throw new ValidationError(
      'INVALID_ENVIRONMENT',
      `${LAMBDA_ENV.keyManagerSilentMinutes} must be a whole number of minutes, at least 1; given ${JSON.stringify(value)}`,
      LAMBDA_ENV.keyManagerSilentMinutes,
    );
  }
  return minutes * MINUTE_MS;
}

export function createMonitorRuntime(env: Env = process.env): MonitorRuntime {
  const vars = readLambdaEnvironment(env, ['environment', 'stateTable', 'alarmTopicArn']);
  const logger = new PowertoolsLogger({ environment: vars.environment });
  const metrics = new PowertoolsMetrics({ environment: vars.environment, logger, env });
  const resolvers = listVariable(env[LAMBDA_ENV.resolvers]);
  const authoritative = listVariable(env[LAMBDA_ENV.authoritativeServers]);
  return {
    environment: vars.environment,
    locale: readLocale(env),
    timeZone: readTimeZone(env),
    keyManagerSilentMs: readSilentMs(env),
    reader: new DynamoDbMonitorReader({ tableName: vars.stateTable }),
    ses: new SesV2IdentityDkim(),
    dns: new NetworkDnsObserver({
      ...(resolvers ? { resolvers } : {}),
      ...(authoritative ? { authoritative } : {}),
    }),
    topic: new SnsTopicPublisher({ topicArn: vars.alarmTopicArn }),
    logger,
    metrics,
    now: () => Date.now(),
    concurrency: MONITOR_CONCURRENCY,
  };
}

export function createReportRuntime(env: Env = process.env): ReportRuntime {
  const vars = readLambdaEnvironment(env, ['environment', 'stateTable', 'alarmTopicArn']);
  return {
    environment: vars.environment,
    locale: readLocale(env),
    timeZone: readTimeZone(env),
    reader: new DynamoDbMonitorReader({ tableName: vars.stateTable }),
    writer: new DynamoDbReportWriter({ tableName: vars.stateTable }),
    topic: new SnsTopicPublisher({ topicArn: vars.alarmTopicArn }),
    logger: new PowertoolsLogger({ environment: vars.environment }),
    now: () => Date.now(),
    concurrency: MONITOR_CONCURRENCY,
  };
}

/** Runs `work` over `items`, at most `limit` at a time; results in the items' order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
