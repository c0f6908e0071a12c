/**
 * The operator-request path: what the worker Lambda does with an {@link OperatorRequest} (CLI, `aws lambda
 * invoke`), and what the simulation's operators go through. The command is applied by the reconciler under
 * the same write-ahead compare-and-swap as every step (reconciler.ts, commands.ts), then the chain carries
 * it out in the same invocation.
 *
 * A command can lose the compare-and-swap to a scheduled run of the same domain that recorded first. It is
 * then applied again to what that run recorded — after a jittered exponential backoff — a bounded number of
 * times; if it loses every time, the answer is `busy` (`BUSY_TRY_AGAIN`: nothing changed, try again). It is
 * never dropped silently: the answer is `done` only when the command is in the recorded history. A port
 * failure before the command is recorded is retried like a lost race when it is transient (throttling,
 * 5xx, timeouts: `busy`, `UNAVAILABLE_TRY_AGAIN`, in the end) and refused at once otherwise
 * (`SERVICE_ERROR`, e.g. AccessDenied: trying again would not help).
 *
 * The emergency commands, `revoke` (a compromised key) and `disable`, have priority: more attempts, each
 * re-reading at once several times before backing off, and a shorter backoff — so that they are applied
 * while scheduled runs keep recording (a run records only while it has work, so the race ends).
 */
import type { OperatorRequest, OperatorResponse } from '../core/contract';
import type { BilingualText } from '../core/errors';
import type { OperatorCommand } from './commands';
import type { LifecyclePorts } from './ports';
import { reconcile, type DecideFn, type ReconcileResult } from './reconciler';
import type { DomainSpec } from '../core/spec';

/** Commands that must be applied even against a storm of concurrent runs. */
export const EMERGENCY_ACTIONS: readonly OperatorRequest['action'][] = ['revoke', 'disable'];

/** How often a command is tried, and how long it waits between tries. */
export interface RetryPolicy {
  /** Tries (each one load → observe → apply → compare-and-swap). */
  readonly attempts: number;
  /** Immediate re-reads within one try before it backs off (the reconciler's `maxConflicts`). */
  readonly rereads: number;
  /** Backoff before try n+1: a uniformly random wait in [0, min(capMs, baseMs × 2^n)) ("full jitter"). */
  readonly baseMs: number;
  readonly capMs: number;
}

export const RETRY: RetryPolicy = { attempts: 5, rereads: 1, baseMs: 100, capMs: 2_000 };
export const EMERGENCY_RETRY: RetryPolicy = { attempts: 12, rereads: 3, baseMs: 20, capMs: 500 };

/** The retry policy of an action. */
export function retryPolicyFor(action: OperatorRequest['action']): RetryPolicy {
  return EMERGENCY_ACTIONS.includes(action) ? EMERGENCY_RETRY : RETRY;
}

/** The wait before try `attempt + 1` (attempt counts from 1), given a uniform random number in [0, 1). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: number): number {
  return Math.floor(random * Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1)));
}

export interface OperatorRequestOptions {
  /** Waits between tries (default: a timer). The simulation yields to the runs it races instead. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform random numbers in [0, 1) for the jitter (default `Math.random`; the simulation's are seeded). */
  readonly random?: () => number;
  /** Overrides the action's retry policy (tests). */
  readonly retry?: RetryPolicy;
  readonly decide?: DecideFn;
  readonly maxSteps?: number;
  /** Compute the named conditions (status output). @default true */
  readonly describe?: boolean;
}

/** The answer, plus what the caller may log or count (the Lambda returns the {@link OperatorResponse} part). */
export interface OperatorResult extends OperatorResponse {
  /** Tries made (1 when the first one was applied or refused). */
  readonly attempts: number;
  /** Compare-and-swap conflicts met over all tries. */
  readonly conflicts: number;
  /** The state version at which the command was recorded (`done` for a command that changes the state). */
  readonly version?: number;
  /** The reconciler's result of the last try. */
  readonly result: ReconcileResult;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `busy` answer: nothing was changed, the operator sends the command again. */
export function busyMessage(action: string, domain: string, attempts: number): BilingualText {
  return {
    en: `busy, try again: ${action} for ${domain} lost the race to other runs of the domain ${attempts} time(s) and was not applied; nothing was changed`,
    ja: `混み合っています。再度お試しください: ${domain} の ${action} は同じドメインの他の実行と ${attempts} 回競合したため適用されていません（何も変更されていません）`,
  };
}

function serviceErrorMessage(action: string, domain: string, error: string): BilingualText {
  return {
    en: `${action} for ${domain} could not be recorded: ${error}. Nothing was changed; fix the cause (e.g. the key manager's permissions), then send the command again`,
    ja: `${domain} の ${action} を記録できませんでした: ${error}。何も変更されていません。原因（キー管理の権限など）を修正してから再度実行してください`,
  };
}

function unavailableMessage(action: string, domain: string, error: string): BilingualText {
  return {
    en: `busy, try again: ${action} for ${domain} could not be recorded (${error}); nothing was changed`,
    ja: `混み合っています。再度お試しください: ${domain} の ${action} を記録できませんでした（${error}）。何も変更されていません`,
  };
}

/**
 * Applies one operator request to its domain and carries it out. `spec` is the domain's (the handler
 * looks it up by `request.domain`). Never throws for a lost race or a port failure; an unexpected error (a
 * bug, a crash) propagates like in every run.
 */
export async function handleOperatorRequest(
  ports: LifecyclePorts,
  spec: DomainSpec,
  request: OperatorRequest,
  options: OperatorRequestOptions = {},
): Promise<OperatorResult> {
  const policy = options.retry ?? retryPolicyFor(request.action);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const command: OperatorCommand = {
    action: request.action,
    ...(request.selector !== undefined ? { selector: request.selector } : {}),
    ...(request.actor !== undefined ? { actor: request.actor } : {}),
  };
  const base = { action: request.action, domain: request.domain };
  let conflicts = 0;
  for (let attempt = 1; ; attempt += 1) {
    const result = await reconcile(spec, ports, {
      command,
      maxConflicts: policy.rereads,
      ...(options.decide ? { decide: options.decide } : {}),
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      ...(options.describe !== undefined ? { describe: options.describe } : {}),
    });
    conflicts += result.conflicts;
    const answer = { ...base, attempts: attempt, conflicts, result };
    if (result.outcome === 'refused') {
      const refusal = result.refusal!;
      return { ...answer, outcome: 'refused', code: refusal.code, message: { en: refusal.en, ja: refusal.ja } };
    }
    // Recorded: the command's step is in the history (whatever happened to the steps after it).
    const step = result.steps.find((s) => s.policy === `command:${request.action}`);
    if (step) {
      return {
        ...answer,
        outcome: 'done',
        message: result.message ?? { en: 'done', ja: '完了' },
        version: step.version,
      };
    }
    // Applied without a state change to record (status, reconcile, verify-dns), with nothing left to do.
    if (result.outcome === 'done') {
      return { ...answer, outcome: 'done', message: result.message ?? { en: 'done', ja: '完了' } };
    }
    // Not recorded: a lost compare-and-swap, or a port failure before the command's step was recorded.
    const failed = result.outcome === 'failed' ? result.error : undefined;
    if (failed && !failed.transient) {
      // AccessDenied, a missing resource…: trying again will not help until someone fixes it.
      return {
        ...answer,
        outcome: 'refused',
        code: 'SERVICE_ERROR',
        message: serviceErrorMessage(request.action, request.domain, `${failed.code}: ${failed.message}`),
      };
    }
    if (attempt >= policy.attempts) {
      ports.logger.log('warn', 'lifecycle.command.busy', {
        domain: request.domain,
        action: request.action,
        attempts: attempt,
        conflicts,
      });
      ports.metrics.emit({ name: 'CommandsBusy', value: 1, unit: 'Count', dimensions: { Domain: request.domain } });
      return failed
        ? {
            ...answer,
            outcome: 'busy',
            code: 'UNAVAILABLE_TRY_AGAIN',
            message: unavailableMessage(request.action, request.domain, `${failed.code}: ${failed.message}`),
          }
        : {
            ...answer,
            outcome: 'busy',
            code: 'BUSY_TRY_AGAIN',
            message: busyMessage(request.action, request.domain, attempt),
          };
    }
    await sleep(backoffMs(policy, attempt, random()));
  }
}

/** The answer as the Lambda returns it (no reconciler internals). */
export function toResponse(result: OperatorResult): OperatorResponse {
  return {
    action: result.action,
    domain: result.domain,
    outcome: result.outcome,
    ...(result.code !== undefined ? { code: result.code } : {}),
    message: result.message,
  };
}
