/**
 * The worker Lambda. Two ways in:
 *
 * - **An SQS batch** from the work queue: each message is one domain ({@link ReconcileMessage}); each is
 *   reconciled by the engine, and the messages that could not be — a malformed body, an unexpected error —
 *   are returned in `batchItemFailures`, so SQS retries only those (and moves them to the dead-letter queue
 *   after `maxReceiveCount` receives). A domain that is no longer configured is skipped, never torn down.
 *   The domain's SPEC and STATE are read in one call; when the engine asks to run again within SQS's
 *   longest delay (15 min: Route 53 INSYNC, SES verification, a soak), the domain is sent back to the queue
 *   once, delayed — a rotation takes minutes, not one schedule period per wait.
 * - **A direct invocation** by an operator (CLI, `aws lambda invoke`) with an {@link OperatorRequest}: the
 *   payload is validated (parseWorkerPayload), the command applied through the operator-request path, and
 *   the answer is JSON with a status per domain. A malformed payload gets a typed JSON error naming the
 *   field; an unexpected failure a JSON error too — never a stack trace.
 */
import { PayloadError, parseWorkerPayload, type OperatorRequest, type ReconcileMessage } from '../core/contract';
import { ByodkimError, ValidationError } from '../core/errors';
import {
  answerOperatorRequest,
  type DomainResponse,
  type ErrorAnswer,
  type OperatorAnswer,
} from '../lifecycle/operator-answer';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { preloadedStateStore, type HeartbeatEntry } from '../adapters/dynamodb';
import { reconcile } from '../lifecycle/reconciler';
import { createWorkerRuntime, perContainer, type WorkerRuntime } from './runtime';

export interface SqsRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSource?: string;
}

export interface SqsBatchResponse {
  readonly batchItemFailures: { readonly itemIdentifier: string }[];
}

// The operator answer's shape is the lifecycle's (functions/lifecycle/operator-answer.ts): the CLI's
// simulated backend builds the same one.
export type { DomainResponse, ErrorAnswer, OperatorAnswer };

export type WorkerAnswer = SqsBatchResponse | OperatorAnswer | ErrorAnswer;

function isSqsEvent(event: unknown): event is { Records: SqsRecord[] } {
  const records = (event as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((r) => (r as SqsRecord | null)?.eventSource === 'aws:sqs' && typeof r.body === 'string')
  );
}

function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof ValidationError) {
    return {
      status: 'error',
      error: { code: error.code, message: error.message, ...(error.field !== undefined ? { field: error.field } : {}) },
    };
  }
  if (error instanceof ByodkimError) return { status: 'error', error: { code: error.code, message: error.message } };
  return { status: 'error', error: { code: 'INTERNAL_ERROR', message: 'the worker failed unexpectedly; see its log' } };
}

/** The longest wait a requeue carries: SQS's maximum `DelaySeconds`. A longer one is left to the schedule. */
export const MAX_REQUEUE_DELAY_MS = 15 * 60_000;

/**
 * Reconciles the domain of one queue message; throws when the message must be retried. Returns when to run
 * again (the engine's `requeueAfterMs`), undefined when the regular schedule will do.
 *
 * The SPEC and STATE items are read in one call (loadDomain); the state is handed to the reconciler's
 * first load, so a domain with nothing to do costs that read and the engine's observations only.
 */
async function reconcileMessage(
  runtime: WorkerRuntime,
  message: ReconcileMessage,
  finished?: HeartbeatEntry[],
): Promise<number | undefined> {
  const { spec, state } = await runtime.specs.loadDomain(message.domain);
  if (!spec) {
    runtime.logger.log('warn', 'worker.domain-not-configured', {
      domain: message.domain,
      message: 'no SPEC item: the domain was removed from the configuration; its keys and records are kept',
    });
    return undefined;
  }
  const ports = { ...runtime.ports, stateStore: preloadedStateStore(runtime.ports.stateStore, spec.domain, state) };
  const result = await reconcile(spec, ports);
  finished?.push({ domain: spec.domain, at: runtime.ports.clock.now(), outcome: result.outcome });
  runtime.logger.log(result.outcome === 'failed' ? 'warn' : 'info', 'worker.reconciled', {
    domain: message.domain,
    outcome: result.outcome,
    steps: result.steps.length,
    conflicts: result.conflicts,
    enqueuedAt: message.enqueuedAt,
    ...(result.error ? { error: result.error } : {}),
  });
  return result.requeueAfterMs;
}

/**
 * Sends the domain back to the work queue, delayed by `afterMs` (at least 1 s), when that is within SQS's
 * limit: a rotation's short waits (Route 53 INSYNC, SES verification, a soak) cost minutes, not a schedule
 * period. One message per processed message at most; a failure to send is logged, not retried — the
 * schedule still comes.
 */
async function requeue(runtime: WorkerRuntime, domain: string, afterMs: number | undefined): Promise<void> {
  if (afterMs === undefined || afterMs > MAX_REQUEUE_DELAY_MS) return;
  const delaySeconds = Math.max(1, Math.ceil(afterMs / 1000));
  const message: ReconcileMessage = {
    kind: 'reconcile',
    domain,
    enqueuedAt: new Date(runtime.ports.clock.now()).toISOString(),
  };
  try {
    await runtime.sqs.send(
      new SendMessageCommand({
        QueueUrl: runtime.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
      }),
    );
    runtime.logger.log('info', 'worker.requeued', { domain, delaySeconds });
  } catch (error) {
    runtime.logger.log('warn', 'worker.requeue-failed', {
      domain,
      delaySeconds,
      name: error instanceof Error ? error.name : typeof error,
      message: 'the domain waits for the next scheduled run',
    });
  }
}

/** An SQS batch: each message reconciled on its own; the failed ones reported for retry. */
export async function handleBatch(runtime: WorkerRuntime, records: readonly SqsRecord[]): Promise<SqsBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  const finished: HeartbeatEntry[] = [];
  for (const record of records) {
    try {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        throw new PayloadError('body', 'a JSON object', record.body);
      }
      const payload = parseWorkerPayload(body);
      if (payload.kind === 'reconcile')
        await requeue(runtime, payload.domain, await reconcileMessage(runtime, payload, finished));
      else await operatorRequest(runtime, payload);
    } catch (error) {
      const answer = errorAnswer(error);
      runtime.logger.log('error', 'worker.message-failed', { messageId: record.messageId, ...answer.error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  await writeHeartbeat(runtime, finished);
  return { batchItemFailures: failures };
}

/**
 * The key manager's heartbeat (the monitor's "key manager silent" check): one BatchWriteItem for the
 * batch's finished runs. A failure is logged, never fails the batch: the runs themselves succeeded.
 */
async function writeHeartbeat(runtime: WorkerRuntime, finished: readonly HeartbeatEntry[]): Promise<void> {
  if (finished.length === 0 || runtime.heartbeats === undefined) return;
  try {
    const { unprocessed } = await runtime.heartbeats.write(finished);
    if (unprocessed.length > 0) {
      runtime.logger.log('warn', 'worker.heartbeat-unprocessed', { domains: unprocessed });
    }
  } catch (error) {
    runtime.logger.log('warn', 'worker.heartbeat-failed', {
      domains: finished.map((entry) => entry.domain),
      name: error instanceof Error ? error.name : typeof error,
      ...(error instanceof ByodkimError ? { code: error.code } : {}),
    });
  }
}

async function operatorRequest(runtime: WorkerRuntime, request: OperatorRequest): Promise<DomainResponse> {
  const spec = await runtime.specs.getSpec(request.domain);
  const { response, result } = await answerOperatorRequest(runtime.ports, spec, request);
  if (!result) return response;
  runtime.logger.log('info', 'worker.operator-request', {
    domain: request.domain,
    action: request.action,
    actor: request.actor,
    outcome: response.outcome,
    code: response.code,
    attempts: result.attempts,
  });
  return response;
}

/** A direct invocation: an operator request (or a reconcile message) for one domain. */
export async function handleDirect(runtime: WorkerRuntime, event: unknown): Promise<OperatorAnswer | ErrorAnswer> {
  const payload = parseWorkerPayload(event);
  if (payload.kind === 'operator') return { status: 'ok', domains: [await operatorRequest(runtime, payload)] };
  const finished: HeartbeatEntry[] = [];
  await reconcileMessage(runtime, payload, finished);
  await writeHeartbeat(runtime, finished);
  return {
    status: 'ok',
    domains: [
      {
        action: 'reconcile',
        domain: payload.domain,
        outcome: 'done',
        message: { en: 'reconciled', ja: '調整しました' },
      },
    ],
  };
}

/** Dispatches an event: an SQS batch, or a direct invocation. */
export async function work(getRuntime: () => WorkerRuntime, event: unknown): Promise<WorkerAnswer> {
  if (isSqsEvent(event)) {
    const runtime = getRuntime();
    try {
      return await handleBatch(runtime, event.Records);
    } finally {
      runtime.metrics.flush();
    }
  }
  let runtime: WorkerRuntime | undefined;
  try {
    // The payload is checked before anything is built: a malformed request costs no AWS call.
    parseWorkerPayload(event);
    runtime = getRuntime();
    return await handleDirect(runtime, event);
  } catch (error) {
    if (!(error instanceof PayloadError)) {
      const fields = {
        name: error instanceof Error ? error.name : typeof error,
        ...(error instanceof ByodkimError ? { code: error.code, message: error.message } : {}),
      };
      if (runtime) runtime.logger.log('error', 'worker.request-failed', fields);
      else console.error(JSON.stringify({ level: 'ERROR', message: 'worker.request-failed', ...fields }));
    }
    return errorAnswer(error);
  } finally {
    runtime?.metrics.flush();
  }
}

const runtime = perContainer(() => createWorkerRuntime());

/** The Lambda entry point. */
export async function handler(event: unknown): Promise<WorkerAnswer> {
  return work(runtime, event);
}
