/**
 * The monitor Lambda: read-only, on its own schedule (hourly by default), independent of the key manager.
 * For every configured domain it reads the SPEC, STATE and HEARTBEAT items (one Query), SES's DKIM
 * attributes (GetEmailIdentity) and the active selector's record on every authoritative server and
 * resolver, asks functions/monitoring/verdicts.ts for the verdicts, logs one structured line per domain
 * (`monitor.domain`: Logs Insights names the failing domains), emits the metrics of the contract
 * (`DkimHealthy` and `KeyAgeDays` per domain, the counts per environment, `MonitorRuns` last) and
 * publishes one alert to the MonitoringSuite's topic when the run found problems (functions/monitoring/
 * alerts.ts says when). It writes nothing anywhere else.
 *
 * Its event: the schedule's (`{ "source": "byodkim.monitor" }`, an EventBridge event, or `{}`), or an
 * operator's `{ "domains": ["example.com"], "publish": false }` to check some domains without alerting.
 * Anything else is answered with a typed JSON error naming the field — never a stack trace.
 */
import { PayloadError } from '../core/contract';
import { ByodkimError, ValidationError } from '../core/errors';
import { domainProblem } from '../core/names';
import { renderAlert, shouldAlert } from '../monitoring/alerts';
import {
  activeRecordName,
  judgeDomain,
  logFields,
  metricData,
  summarise,
  uncheckedDomain,
  type DnsObservation,
  type DomainVerdicts,
  type RunSummary,
  type SesObservation,
} from '../monitoring/verdicts';
import { createMonitorRuntime, mapConcurrently, type MonitorRuntime } from './monitoring-runtime';
import { perContainer } from './runtime';

/** What an operator may ask of a run. */
export interface MonitorRequest {
  /** Check only these domains (each must be configured). Default: every configured domain. */
  readonly domains?: readonly string[];
  /** Publish the alert when one is due. @default true */
  readonly publish?: boolean;
}

export interface MonitorAnswer {
  readonly status: 'ok';
  readonly summary: RunSummary;
  /** `published`, `none` (no problem), `held` (WARNING only, outside the daily digest hour), `skipped` (publish: false), `failed`. */
  readonly alert: 'published' | 'none' | 'held' | 'skipped' | 'failed';
  /** The domains with WARNING or CRITICAL findings, with their codes. */
  readonly problems: readonly { readonly domain: string; readonly findings: readonly string[] }[];
}

export interface MonitorErrorAnswer {
  readonly status: 'error';
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

const KNOWN_FIELDS = ['domains', 'publish', 'source'];

function isScheduledEvent(event: Record<string, unknown>): boolean {
  return typeof event.source === 'string' && event.source.startsWith('aws.') && 'detail-type' in event;
}

/** Validates the event: a scheduled event or `{}` is a full run; an operator's request is checked field by field. */
export function parseMonitorEvent(event: unknown): MonitorRequest {
  if (event === undefined || event === null) return {};
  if (typeof event !== 'object' || Array.isArray(event)) {
    throw new PayloadError('event', 'a JSON object (the schedule sends one; or {"domains": [...]})', event);
  }
  const record = event as Record<string, unknown>;
  if (isScheduledEvent(record)) return {};
  const unknown = Object.keys(record).find((key) => !KNOWN_FIELDS.includes(key));
  if (unknown !== undefined) {
    throw new PayloadError(unknown, `absent (known fields: ${KNOWN_FIELDS.join(', ')})`, record[unknown]);
  }
  const { domains, publish, source } = record;
  if (source !== undefined && (typeof source !== 'string' || source.length > 128)) {
    throw new PayloadError('source', 'who invoked it, e.g. "byodkim.monitor" (the schedule\'s input)', source);
  }
  if (
    domains !== undefined &&
    (!Array.isArray(domains) ||
      domains.length === 0 ||
      domains.some((d) => typeof d !== 'string' || domainProblem(d) !== undefined))
  ) {
    throw new PayloadError('domains', 'a non-empty list of domain names as A-labels, e.g. ["example.com"]', domains);
  }
  if (publish !== undefined && typeof publish !== 'boolean') {
    throw new PayloadError('publish', 'true or false', publish);
  }
  return {
    ...(domains !== undefined ? { domains: domains as string[] } : {}),
    ...(publish !== undefined ? { publish } : {}),
  };
}

function errorCode(error: unknown): { code: string; message: string } {
  if (error instanceof ByodkimError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.name : 'unexpected failure' };
}

/** Checks one domain: its items, SES, DNS; never throws (a failure is the domain's verdict). */
async function checkDomain(runtime: MonitorRuntime, domain: string): Promise<DomainVerdicts | undefined> {
  let items;
  try {
    items = await runtime.reader.readDomain(domain);
  } catch (error) {
    const { code, message } = errorCode(error);
    return uncheckedDomain(domain, code, message);
  }
  const { spec, state, heartbeat } = items;
  if (!spec) return undefined; // removed from the configuration since the listing

  let ses: SesObservation;
  try {
    const attributes = await runtime.ses.getDkim(domain);
    ses = attributes === undefined ? { kind: 'missing' } : { kind: 'attributes', attributes };
  } catch (error) {
    ses = { kind: 'error', ...errorCode(error) };
  }

  let dns: DnsObservation | undefined;
  const name = activeRecordName(spec, state);
  if (name !== undefined) {
    try {
      dns = { kind: 'answers', answers: await runtime.dns.lookupTxt(name) };
    } catch (error) {
      dns = { kind: 'error', message: errorCode(error).message };
    }
  }
  return judgeDomain(
    {
      spec,
      ...(state ? { state } : {}),
      ...(heartbeat ? { heartbeat } : {}),
      ses,
      ...(dns ? { dns } : {}),
    },
    { now: runtime.now(), keyManagerSilentMs: runtime.keyManagerSilentMs },
  );
}

/** One run over the configured domains (or the requested ones). */
export async function runMonitor(runtime: MonitorRuntime, request: MonitorRequest = {}): Promise<MonitorAnswer> {
  const configured = await runtime.reader.listDomains();
  let domains = configured;
  if (request.domains) {
    const missing = request.domains.filter((d) => !configured.includes(d));
    if (missing.length > 0) {
      throw new PayloadError('domains', `domains configured in this environment`, missing);
    }
    domains = [...request.domains];
  }
  const checked = (await mapConcurrently(domains, runtime.concurrency, (d) => checkDomain(runtime, d))).filter(
    (v): v is DomainVerdicts => v !== undefined,
  );
  for (const verdict of checked) {
    const fields = logFields(verdict);
    runtime.logger.log((fields.problems as number) > 0 ? 'warn' : 'info', 'monitor.domain', fields);
  }
  const summary = summarise(checked);
  const now = runtime.now();
  const alert = renderAlert(checked, summary, {
    environment: runtime.environment,
    locale: runtime.locale,
    timeZone: runtime.timeZone,
    now,
  });
  let outcome: MonitorAnswer['alert'] = 'none';
  if (alert) {
    if (request.publish === false) outcome = 'skipped';
    else if (!shouldAlert(alert.severity, now, runtime.timeZone)) outcome = 'held';
    else {
      try {
        await runtime.topic.publish(alert.subject, alert.message);
        outcome = 'published';
      } catch (error) {
        outcome = 'failed';
        runtime.logger.log('error', 'monitor.alert-failed', { subject: alert.subject, ...errorCode(error) });
      }
    }
  }
  for (const datum of metricData(checked, summary)) runtime.metrics.emit(datum);
  runtime.logger.log(summary.severity === 'CRITICAL' ? 'warn' : 'info', 'monitor.run', { ...summary, alert: outcome });
  return {
    status: 'ok',
    summary,
    alert: outcome,
    problems: checked
      .map((v) => ({
        domain: v.domain,
        findings: v.findings.filter((f) => f.severity !== 'INFO').map((f) => `${f.severity} ${f.code}`),
      }))
      .filter((p) => p.findings.length > 0),
  };
}

/** Validates the event, runs, flushes the metrics; every failure is a typed JSON answer. */
export async function monitor(
  getRuntime: () => MonitorRuntime,
  event: unknown,
): Promise<MonitorAnswer | MonitorErrorAnswer> {
  let runtime: MonitorRuntime | undefined;
  try {
    const request = parseMonitorEvent(event);
    runtime = getRuntime();
    return await runMonitor(runtime, request);
  } catch (error) {
    const answer: MonitorErrorAnswer = {
      status: 'error',
      error:
        error instanceof ValidationError
          ? { ...errorCode(error), ...(error.field !== undefined ? { field: error.field } : {}) }
          : errorCode(error),
    };
    if (!(error instanceof PayloadError)) {
      if (runtime) runtime.logger.log('error', 'monitor.run-failed', answer.error);
      else console.error(JSON.stringify({ level: 'ERROR', event: 'monitor.run-failed', ...answer.error }));
    }
    return answer;
  } finally {
    runtime?.metrics.flush();
  }
}

const runtime = perContainer(() => createMonitorRuntime());

/** The Lambda entry point. */
export async function handler(event: unknown): Promise<MonitorAnswer | MonitorErrorAnswer> {
  return monitor(runtime, event);
}
