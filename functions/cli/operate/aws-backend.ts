/**
 * The deployed environment's backend: its worker Lambda (Invoke, RequestResponse) and its alarms
 * (CloudWatch DescribeAlarms). Loaded only when a command talks to AWS: `--local` never loads the SDK.
 */
import type { OperatorRequest } from '../../core/contract';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import type { MonthlyReport } from '../../monitoring/report';
import {
  AlarmReader,
  LambdaInvoker,
  OperatorAwsError,
  ReportReader,
  type FiringAlarm,
  type OperatorAwsOptions,
} from '../../adapters/operator-aws';
import { BackendError, readReport, readWorkerAnswer, type Backend } from './backend';
import type { ResourceNames } from './environments';

/** The environment's worker Lambda (Invoke, RequestResponse) and its alarms (CloudWatch). */
export class AwsBackend implements Backend {
  readonly kind = 'aws' as const;
  readonly target: string;
  private readonly invoker: LambdaInvoker;
  private readonly alarmReader: AlarmReader;
  private readonly reportReader: ReportReader;

  constructor(
    private readonly names: ResourceNames,
    options: OperatorAwsOptions,
  ) {
    this.target = names.worker;
    this.invoker = new LambdaInvoker(options);
    this.alarmReader = new AlarmReader(options);
    this.reportReader = new ReportReader(options);
  }

  now(): number {
    return Date.now();
  }

  /** Asks the report function to build `month` without publishing it, then reads the REPORT item it wrote. */
  async monthlyReport(month: string): Promise<MonthlyReport> {
    const fn = this.names.report;
    let result;
    try {
      result = await this.invoker.invoke(fn, { month, publish: false });
      if (result.functionError) {
        const p = result.payload as { errorType?: unknown; errorMessage?: unknown } | undefined;
        throw new BackendError(
          'lambda',
          'FUNCTION_ERROR',
          `${fn} failed (${result.functionError}, ${String(p?.errorType ?? '')}: ${String(p?.errorMessage ?? '').split('\n')[0]}); see its CloudWatch log`,
        );
      }
      const answer = result.payload as { status?: unknown; error?: { code?: unknown; message?: unknown } } | undefined;
      if (answer?.status === 'error') {
        const code = typeof answer.error?.code === 'string' ? answer.error.code : 'UNKNOWN_ERROR';
        throw new BackendError(
          'lambda',
          code,
          `${fn} refused the request: ${code}: ${String(answer.error?.message ?? '')}`,
        );
      }
      if (answer?.status !== 'ok') {
        throw new BackendError('answer', 'INVALID_ANSWER', `${fn} answered something byodkim does not know`);
      }
      const text = await this.reportReader.read(this.names.stateTable, month);
      if (text === undefined) {
        throw new BackendError(
          'answer',
          'NO_REPORT',
          `${fn} answered ok but the table ${this.names.stateTable} has no REPORT item ${month}`,
        );
      }
      return readReport(text, month, fn);
    } catch (error) {
      if (error instanceof OperatorAwsError) throw new BackendError('aws', error.code, error.message);
      throw error;
    }
  }

  async request(request: OperatorRequest): Promise<DomainResponse> {
    let result;
    try {
      result = await this.invoker.invoke(this.names.worker, request);
    } catch (error) {
      if (error instanceof OperatorAwsError) throw new BackendError('aws', error.code, error.message);
      throw error;
    }
    if (result.functionError) {
      const p = result.payload as { errorType?: unknown; errorMessage?: unknown } | undefined;
      const type = typeof p?.errorType === 'string' ? p.errorType : result.functionError;
      const message = typeof p?.errorMessage === 'string' ? p.errorMessage.split('\n')[0] : 'no message';
      throw new BackendError(
        'lambda',
        'FUNCTION_ERROR',
        `${this.names.worker} failed (${result.functionError}, ${type}: ${message}); see its CloudWatch log`,
      );
    }
    return readWorkerAnswer(result.payload, request, this.names.worker);
  }

  async alarms(): Promise<readonly FiringAlarm[]> {
    try {
      return await this.alarmReader.firing(this.names.alarmPrefix);
    } catch (error) {
      if (error instanceof OperatorAwsError) throw new BackendError('aws', error.code, error.message);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.invoker.client.destroy();
    this.alarmReader.client.destroy();
    this.reportReader.client.destroy();
  }
}
