/**
 * The deployed environment's backend: its worker Lambda (Invoke, RequestResponse) and its alarms
 * (CloudWatch DescribeAlarms). Loaded only when a command talks to AWS: `--local` never loads the SDK.
 */
import type { OperatorRequest } from '../../core/contract';
import type { DomainResponse } from '../../lifecycle/operator-answer';
import {
  AlarmReader,
  LambdaInvoker,
  OperatorAwsError,
  type FiringAlarm,
  type OperatorAwsOptions,
} from '../../adapters/operator-aws';
import { BackendError, readWorkerAnswer, type Backend } from './backend';

/** The environment's worker Lambda (Invoke, RequestResponse) and its alarms (CloudWatch). */
export class AwsBackend implements Backend {
  readonly kind = 'aws' as const;
  readonly target: string;
  private readonly invoker: LambdaInvoker;
  private readonly alarmReader: AlarmReader;

  constructor(
    private readonly names: { worker: string; alarmPrefix: string },
    options: OperatorAwsOptions,
  ) {
    this.target = names.worker;
    this.invoker = new LambdaInvoker(options);
    this.alarmReader = new AlarmReader(options);
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
  }
}
