/**
 * Where an operator's request goes: the environment's worker Lambda on AWS, or the simulated backend of
 * `--local` (operate/local.ts). Both answer with the worker's {@link DomainResponse}; what the Lambda
 * returns is checked before anything is printed from it (it is another program's output).
 */
import type { OperatorRequest } from '../../core/contract';
import { ByodkimError } from '../../core/errors';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import type { FiringAlarm } from '../../adapters/operator-aws';
import { REPORT_FORMAT, type MonthlyReport } from '../../monitoring/report';

export type { FiringAlarm };

export interface Backend {
  readonly kind: 'aws' | 'local';
  /** What is asked: the function's name, or the local state file. */
  readonly target: string;
  /** Sends one request for one domain; throws a {@link BackendError} when no answer could be had. */
  request(request: OperatorRequest): Promise<DomainResponse>;
  /** The environment's alarms in ALARM; undefined where there are none to ask (the simulated backend). */
  alarms(): Promise<readonly FiringAlarm[] | undefined>;
  /**
   * The monthly report of `month` (`YYYY-MM`), built now by the report Lambda's own code (AWS: the report
   * function, then its REPORT item; local: built from the simulated state and audit events).
   */
  monthlyReport(month: string): Promise<MonthlyReport>;
  /** The backend's clock now (epoch ms): the simulated one for --local. */
  now(): number;
  /** Saves what must be kept (the simulated backend's history). */
  close(): Promise<void>;
}

/**
 * No answer from the backend: `aws` (credentials, access, not found, network), `lambda` (the function
 * failed or answered with a typed error), `answer` (the answer is not one the CLI knows).
 */
export class BackendError extends ByodkimError {
  constructor(
    public readonly kind: 'aws' | 'lambda' | 'answer',
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

const OUTCOMES = ['done', 'refused', 'busy'];

function isText(value: unknown): value is { en: string; ja: string } {
  const v = value as { en?: unknown; ja?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.en === 'string' && typeof v.ja === 'string';
}

/** Reads the worker's answer to one request, or throws naming what is wrong with it. */
export function readWorkerAnswer(payload: unknown, request: OperatorRequest, functionName: string): DomainResponse {
  const bad = (what: string) =>
    new BackendError('answer', 'INVALID_ANSWER', `${functionName} answered something byodkim does not know: ${what}`);
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw bad('not a JSON object');
  const answer = payload as { status?: unknown; error?: unknown; domains?: unknown };
  if (answer.status === 'error') {
    const error = answer.error as { code?: unknown; message?: unknown; field?: unknown } | undefined;
    const code = typeof error?.code === 'string' ? error.code : 'UNKNOWN_ERROR';
    const message = typeof error?.message === 'string' ? error.message : 'no message';
    const field = typeof error?.field === 'string' ? ` (field ${error.field})` : '';
    throw new BackendError('lambda', code, `${functionName} refused the request: ${code}: ${message}${field}`);
  }
  if (answer.status !== 'ok') throw bad(`status ${JSON.stringify(answer.status)}`);
  if (!Array.isArray(answer.domains) || answer.domains.length !== 1) throw bad('not exactly one domain answered');
  const d = answer.domains[0] as Partial<DomainResponse> | null;
  if (typeof d !== 'object' || d === null) throw bad('the domain answer is not an object');
  if (d.domain !== request.domain) throw bad(`the answer is for ${JSON.stringify(d.domain)}, not ${request.domain}`);
  if (typeof d.action !== 'string' || !OUTCOMES.includes(String(d.outcome)) || !isText(d.message)) {
    throw bad('the domain answer lacks action, outcome (done, refused, busy) or message (en, ja)');
  }
  if (d.view !== undefined && (typeof d.view !== 'object' || d.view === null || d.view.domain !== request.domain)) {
    throw bad('the view is not one of this domain');
  }
  return d as DomainResponse;
}

/** Reads a REPORT item's JSON, or throws naming what is wrong with it. */
export function readReport(text: string, month: string, where: string): MonthlyReport {
  let parsed: Partial<MonthlyReport>;
  try {
    parsed = JSON.parse(text) as Partial<MonthlyReport>;
  } catch {
    throw new BackendError('answer', 'INVALID_REPORT', `${where}: the REPORT item ${month} is not JSON`);
  }
  if (parsed.format !== REPORT_FORMAT || parsed.month !== month || !Array.isArray(parsed.domains) || !parsed.totals) {
    throw new BackendError(
      'answer',
      'INVALID_REPORT',
      `${where}: the REPORT item ${month} is not a report of format ${REPORT_FORMAT} for ${month} (is the report Lambda the same version as the CLI?)`,
    );
  }
  return parsed as MonthlyReport;
}
