/**
 * The monthly report Lambda: on the 1st of the month at 09:00 in the report time zone (the MonitoringSuite's
 * schedule), it reports on the month that just ended: reads every configured domain's SPEC, STATE and
 * HEARTBEAT items and the month's audit events, builds the report (functions/monitoring/report.ts), writes
 * it as the REPORT item (pk `REPORT`, sk `<YYYY-MM>`: the CLI reads it) and publishes it, in Japanese and
 * English, to the MonitoringSuite's topic.
 *
 * Its event: the schedule's (`{ "source": "byodkim.report" }`, an EventBridge event, or `{}`): the previous month; or an operator's
 * `{ "month": "2026-11", "publish": false }` to (re)build one month. Anything else: a typed JSON error.
 */
import { PayloadError, STATE_TABLE, reportSortKey } from '../core/contract';
import { ByodkimError, ValidationError } from '../core/errors';
import { buildMonthlyReport, renderMonthlyReport, type ReportDomainInput } from '../monitoring/report';
import { previousLocalMonth, startOfLocalMonth } from '../monitoring/time-zone';
import { createReportRuntime, mapConcurrently, type ReportRuntime } from './monitoring-runtime';
import { perContainer } from './runtime';

export interface ReportRequest {
  /** `YYYY-MM`. Default: the month before the current one in the report time zone. */
  readonly month?: { readonly year: number; readonly month: number };
  /** Publish to the topic. @default true */
  readonly publish?: boolean;
}

export interface ReportAnswer {
  readonly status: 'ok';
  readonly month: string;
  readonly domains: number;
  /** Where the JSON was written. */
  readonly item: { readonly pk: string; readonly sk: string };
  readonly published: boolean;
}

export interface ReportErrorAnswer {
  readonly status: 'error';
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

const KNOWN_FIELDS = ['month', 'publish', 'source'];

export function parseReportEvent(event: unknown): ReportRequest {
  if (event === undefined || event === null) return {};
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new PayloadError('event', 'a JSON object (the schedule sends one; or {"month": "2026-11"})', event);
  }
  const record = event as Record<string, unknown>;
  if (typeof record.source === 'string' && record.source.startsWith('aws.') && 'detail-type' in record) return {};
  const unknown = Object.keys(record).find((key) => !KNOWN_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw new PayloadError(unknown, `absent (known fields: ${KNOWN_FIELDS.join(', ')})`, record[unknown]);
  }
  const { month, publish, source } = record;
  if (source !== undefined && (typeof source !== 'string' || source.length > 128)) {
    throw new PayloadError('source', 'who invoked it, e.g. "byodkim.report" (the schedule\'s input)', source);
  }
  let parsed: { year: number; month: number } | undefined;
  if (month !== undefined) {
    const match = typeof month === 'string' ? /^(\d{4})-(\d{2})$/.exec(month) : null;
    const m = match ? Number(match[2]) : 0;
    if (!match || m < 1 || m > 12) throw new PayloadError('month', 'a month as YYYY-MM, e.g. "2026-11"', month);
    parsed = { year: Number(match[1]), month: m };
  }
  if (publish !== undefined && typeof publish !== 'boolean')
    throw new PayloadError('publish', 'true or false', publish);
  return { ...(parsed ? { month: parsed } : {}), ...(publish !== undefined ? { publish } : {}) };
}

/** Builds, stores and publishes the report of one month. */
export async function runReport(runtime: ReportRuntime, request: ReportRequest = {}): Promise<ReportAnswer> {
  const now = runtime.now();
  const { year, month } = request.month ?? previousLocalMonth(now, runtime.timeZone);
  const from = startOfLocalMonth(year, month, runtime.timeZone);
  const to =
    month === 12
      ? startOfLocalMonth(year + 1, 1, runtime.timeZone)
      : startOfLocalMonth(year, month + 1, runtime.timeZone);
  const domains = await runtime.reader.listDomains();
  const fleet = (
    await mapConcurrently(domains, runtime.concurrency, async (domain): Promise<ReportDomainInput | undefined> => {
      const { spec, state, heartbeat } = await runtime.reader.readDomain(domain);
      if (!spec) return undefined;
      const events = await runtime.reader.events(domain, from, to);
      return { spec, ...(state ? { state } : {}), ...(heartbeat ? { heartbeat } : {}), events };
    })
  ).filter((d): d is ReportDomainInput => d !== undefined);
  const report = buildMonthlyReport(fleet, {
    environment: runtime.environment,
    year,
    month,
    timeZone: runtime.timeZone,
    locale: runtime.locale,
    now,
  });
  await runtime.writer.put(year, month, JSON.stringify(report), report.generatedAt);
  let published = false;
  if (request.publish !== false) {
    const { subject, message } = renderMonthlyReport(report, runtime.locale);
    await runtime.topic.publish(subject, message);
    published = true;
  }
  runtime.logger.log('info', 'report.done', { month: report.month, ...report.totals, published });
  return {
    status: 'ok',
    month: report.month,
    domains: report.domains.length,
    item: { pk: STATE_TABLE.reportPartitionKey, sk: reportSortKey(year, month) },
    published,
  };
}

export async function report(
  getRuntime: () => ReportRuntime,
  event: unknown,
): Promise<ReportAnswer | ReportErrorAnswer> {
  let runtime: ReportRuntime | undefined;
  try {
    const request = parseReportEvent(event);
    runtime = getRuntime();
    return await runReport(runtime, request);
  } catch (error) {
    const failure =
      error instanceof ValidationError
        ? { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) }
        : error instanceof ByodkimError
          ? { code: error.code, message: error.message }
          : { code: 'INTERNAL_ERROR', message: 'the report failed unexpectedly; see its log' };
    if (!(error instanceof PayloadError)) {
      const fields = { ...failure, name: error instanceof Error ? error.name : typeof error };
      if (runtime) runtime.logger.log('error', 'report.failed', fields);
      else console.error(JSON.stringify({ level: 'ERROR', event: 'report.failed', ...fields }));
    }
    return { status: 'error', error: failure };
  }
}

const runtime = perContainer(() => createReportRuntime());

/** The Lambda entry point. */
export async function handler(event: unknown): Promise<ReportAnswer | ReportErrorAnswer> {
  return report(runtime, event);
}
