/**
 * The thin runner around the pure decision core, one domain per call:
 *
 *   load state → observe the world → decide → record the next state (compare-and-swap on `version`)
 *   → execute the actions → record their outcomes → decide again … until every policy waits.
 *
 * Write-ahead: the next state (the *intent*: "key X is being generated", "SES is being switched to X",
 * "X is being revoked") is recorded with CAS BEFORE the side effects. A concurrent run loses the CAS,
 * executes nothing and re-reads. A crash after any AWS call leaves the intent recorded; the next run
 * observes what is and repeats the idempotent step or moves on (level-triggered).
 *
 * Errors: `TransientError`/`ServiceError` from a port are recorded as a failure (backoff) and end the
 * run. Anything else (a bug, a Lambda crash) propagates: nothing is swallowed.
 */
import { ConflictError, ServiceError, TransientError, type BilingualText } from '../core/errors';
import { DAY_MS } from '../core/time';
import { applyCommand, type OperatorCommand, type Refusal } from './commands';
import { conditionsFor, type Condition } from './conditions';
import { observationPlan, type Observations, type RecordObservation } from './observations';
import { applyOutcome, type Action, type ActionOutcome } from './actions';
import { decide as defaultDecide, type Decision } from './decide';
import { backoffDelayMs } from './protocol';
import { assertKeyForSes } from './ses-key';
import { retryAfterFailureMs } from './signing-path';
import type { LifecyclePorts } from './ports';
import type { DomainSpec } from '../core/spec';
import { activeKey, initialState, type DomainState } from './state';

export type DecideFn = (spec: DomainSpec, state: DomainState, obs: Observations, now: number) => Decision;

export interface ReconcileOptions {
  readonly command?: OperatorCommand;
  /** Steps per invocation before handing back (the next run continues). @default 16 */
  readonly maxSteps?: number;
  /** The decision core; tests inject deliberately faulty ones to prove the invariant checker. */
  readonly decide?: DecideFn;
  /** Compute the named conditions for the result (status output). @default true */
  readonly describe?: boolean;
  /**
   * Compare-and-swap conflicts met before the run hands back with outcome `conflict` (each one re-reads and
   * decides again at once). The operator-request path passes 1 and retries with a backoff itself.
   * @default 3
   */
  readonly maxConflicts?: number;
}

export interface StepRecord {
  readonly policy: string;
  readonly message: string;
  readonly actions: readonly string[];
  readonly version: number;
}

export interface ReconcileResult {
  /** `done`: every policy waits (or the step budget ran out: `requeueAfterMs` is 0). */
  readonly outcome: 'done' | 'refused' | 'conflict' | 'failed';
  readonly domain: string;
  /** Compare-and-swap conflicts this run met (another invocation recorded first; the run re-read). */
  readonly conflicts: number;
  readonly state: DomainState;
  readonly steps: readonly StepRecord[];
  readonly conditions: readonly Condition[];
  /** When to run again at the latest (undefined: the regular schedule). */
  readonly requeueAfterMs?: number;
  readonly refusal?: Refusal;
  readonly message?: BilingualText;
  readonly error?: { readonly code: string; readonly message: string; readonly transient: boolean };
  /** The observations of the last pass (for `status` and `verify-dns` output). */
  readonly observations?: Observations;
}

/** Port failures the engine expects and backs off from (every other error propagates). */
export function isExpectedFailure(error: unknown): error is TransientError | ServiceError {
  return error instanceof TransientError || error instanceof ServiceError;
}

/** Reads what is: SES, the key store, DNS answers per server, pending Route 53 changes. */
export async function observe(spec: DomainSpec, state: DomainState, ports: LifecyclePorts): Promise<Observations> {
  const plan = observationPlan(spec, state);
  const ses = await ports.ses.getDkim(spec.domain);
  const keys = await ports.keyStore.list(spec.domain);
  const records: Record<string, RecordObservation> = {};
  for (const name of plan.names) {
    const answers = await ports.dnsObserver.lookupTxt(name);
    const missing = answers.some((a) => a.outcome !== 'answer' || a.records.length === 0);
    if (plan.doubledFor.includes(name) && missing) {
      records[name] = { answers, doubled: await ports.dnsObserver.lookupTxt(`${name}.${spec.domain}`) };
    } else {
      records[name] = { answers };
    }
  }
  const changes: Record<string, 'PENDING' | 'INSYNC'> = {};
  for (const id of plan.changeIds) changes[id] = await ports.dnsWriter.getChange(id);
  return { ses, keys, records, changes };
}

/** Carries out one action; returns what must be recorded. */
export async function execute(spec: DomainSpec, action: Action, ports: LifecyclePorts): Promise<ActionOutcome> {
  const domain = spec.domain;
  switch (action.type) {
    case 'generate-key': {
      const pair = await ports.keyGenerator.generate(action.bits);
      assertKeyForSes(pair.privateKey, pair.publicKey, 'keyGenerator');
      const created = await ports.keyStore.create(domain, action.keyId, pair);
      if (created === 'created') return { publicKey: pair.publicKey };
      // A concurrent or crashed run stored this key first: the stored key wins, ours is discarded.
      const existing = (await ports.keyStore.list(domain)).find((k) => k.keyId === action.keyId);
      return existing ? { publicKey: existing.publicKey } : {};
    }
    case 'write-txt':
      return ports.dnsWriter.upsertTxt(action.zone, action.name, action.strings, action.ttlSeconds);
    case 'ses-put-signing-key': {
      const privateKey = await ports.keyStore.readPrivateKey(domain, action.keyId);
      // Refused before SES sees it: an encoding SES accepts and never verifies, or another key.
      const stored = (await ports.keyStore.list(domain)).find((k) => k.keyId === action.keyId);
      assertKeyForSes(privateKey, stored?.publicKey, 'keyStore');
      await ports.ses.putExternalSigningKey(domain, action.selector, privateKey);
      return {};
    }
    case 'ses-set-signing-enabled':
      await ports.ses.setSigningEnabled(domain, action.enabled);
      return {};
    case 'destroy-key':
      await ports.keyStore.scheduleDeletion(domain, action.keyId, action.recoveryWindowDays);
      return {};
    case 'notify':
      await ports.notifier.send(action.notification);
      return {};
  }
}

/** Actions carried out only while the intent that asked for them is still the recorded state. */
function fenced(action: Action): boolean {
  return (
    action.type === 'ses-put-signing-key' ||
    (action.type === 'ses-set-signing-enabled' && action.enabled) ||
    action.type === 'destroy-key'
  );
}

function describeAction(action: Action): string {
  switch (action.type) {
    case 'generate-key':
      return `generate-key ${action.keyId}`;
    case 'write-txt':
      return `write-txt ${action.purpose} ${action.name}`;
    case 'ses-put-signing-key':
      return `ses-put-signing-key ${action.selector}`;
    case 'ses-set-signing-enabled':
      return `ses-set-signing-enabled ${action.enabled}`;
    case 'destroy-key':
      return `destroy-key ${action.keyId}`;
    case 'notify':
      return `notify ${action.notification.kind}`;
  }
}

/** Records an outcome without a new decision: `conflict` when another invocation recorded first. */
async function saveQuietly(
  ports: LifecyclePorts,
  state: DomainState,
  expected: number,
): Promise<DomainState | 'conflict' | undefined> {
  const next = { ...state, version: expected + 1 };
  try {
    await ports.stateStore.save(next, expected);
    return next;
  } catch (error) {
    // Someone else is running (they record it), or the store is throttling (the next run repairs it).
    if (error instanceof ConflictError) return 'conflict';
    if (isExpectedFailure(error)) return undefined;
    throw error;
  }
}

function emitStepMetrics(ports: LifecyclePorts, before: DomainState, decision: Decision): void {
  const dimensions = { Domain: before.domain };
  const count = (name: string, value = 1) => ports.metrics.emit({ name, value, unit: 'Count', dimensions });
  if (decision.next.rotations > before.rotations)
    count('RotationsCompleted', decision.next.rotations - before.rotations);
  for (const action of decision.actions) {
    if (action.type !== 'notify') continue;
    const kind = action.notification.kind;
    if (kind === 'dns-change-request' || kind === 'dns-revocation-request' || kind === 'delegation-request')
      count('DnsRequestsSent');
    if (kind === 'dns-change-reminder') count('DnsRemindersSent');
    if (kind === 'dns-change-escalation') count('DnsEscalationsSent');
    if (kind === 'dns-correction' || kind === 'delegation-correction') count('DnsCorrectionsSent');
  }
}

/** Runs one domain until every policy waits (or the step budget is spent). */
export async function reconcile(
  spec: DomainSpec,
  ports: LifecyclePorts,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const decide = options.decide ?? defaultDecide;
  const maxSteps = options.maxSteps ?? 16;
  const maxConflicts = options.maxConflicts ?? 3;
  const domain = spec.domain;
  const steps: StepRecord[] = [];
  let command = options.command;
  let message: BilingualText | undefined;
  /** Every compare-and-swap conflict (steps and outcome records); `lostSteps` counts the steps only. */
  let conflicts = 0;
  let lostSteps = 0;
  let last: { state: DomainState; obs?: Observations } = { state: initialState(domain, ports.clock.now()) };
  const result = (outcome: ReconcileResult['outcome'], extra: Partial<ReconcileResult> = {}): ReconcileResult => {
    const now = ports.clock.now();
    return {
      outcome,
      domain,
      conflicts,
      state: last.state,
      steps,
      conditions: last.obs && options.describe !== false ? conditionsFor(spec, last.state, last.obs, now) : [],
      ...(message ? { message } : {}),
      ...(last.obs ? { observations: last.obs } : {}),
      ...extra,
    };
  };

  while (steps.length < maxSteps) {
    const now = ports.clock.now();
    let loaded: DomainState;
    try {
      loaded = (await ports.stateStore.load(domain)) ?? initialState(domain, now);
    } catch (error) {
      if (!isExpectedFailure(error)) throw error;
      // Nothing can be recorded without the state item: report and let the schedule retry.
      return result('failed', {
        error: { code: error.code, message: error.message, transient: error instanceof TransientError },
        requeueAfterMs: 5 * 60_000,
      });
    }
    last = { state: loaded };
    let obs: Observations;
    try {
      obs = await observe(spec, loaded, ports);
    } catch (error) {
      if (!isExpectedFailure(error)) throw error;
      return recordFailure(error, loaded);
    }
    last = { state: loaded, obs };

    let state = loaded;
    if (command) {
      const applied = applyCommand(spec, loaded, obs, now, command);
      if (!applied.done) {
        ports.logger.log('warn', 'lifecycle.command.refused', {
          domain,
          action: command.action,
          code: applied.refusal.code,
          reason: applied.refusal.en,
        });
        return result('refused', { refusal: applied.refusal });
      }
      message = applied.message;
      if (command.action === 'status') return result('done');
      state = applied.state;
    }

    const decision = decide(spec, state, obs, now);
    if (decision.next === loaded && decision.actions.length === 0) {
      emitKeyAge(ports, spec, loaded, now);
      return result('done', decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {});
    }

    // Write ahead: the intent is recorded before any side effect.
    const intended: DomainState = { ...decision.next, version: loaded.version + 1, updatedAt: now };
    const event = {
      at: now,
      domain,
      version: intended.version,
      policy: '',
      message: decision.message,
      actions: decision.actions.map(describeAction),
    };
    const policy = command && state !== loaded ? `command:${command.action}` : decision.policy;
    try {
      await ports.stateStore.save(intended, loaded.version, [{ ...event, policy }]);
    } catch (error) {
      if (!(error instanceof ConflictError)) {
        if (!isExpectedFailure(error)) throw error;
        // A write that timed out may have taken effect: read it back before calling the step failed (an
        // operator's command would otherwise be refused as "already done" when tried again).
        if (!(error instanceof TransientError) || !(await tookEffect(intended))) return recordFailure(error, loaded);
      } else {
        conflicts += 1;
        lostSteps += 1;
        ports.logger.log('info', 'lifecycle.conflict', {
          domain,
          expectedVersion: loaded.version,
          attempt: lostSteps,
        });
        if (lostSteps >= maxConflicts) return result('conflict');
        continue; // another invocation moved first: re-read and decide again
      }
    }
    command = undefined;
    const step: StepRecord = {
      policy,
      message: decision.message,
      actions: decision.actions.map(describeAction),
      version: intended.version,
    };
    steps.push(step);
    last = { state: intended, obs };
    ports.logger.log('info', 'lifecycle.step', { domain, ...step });
    emitStepMetrics(ports, loaded, decision);

    let current = intended;
    let superseded = false;
    for (const action of decision.actions) {
      let outcome: ActionOutcome;
      try {
        // Fencing: what SES signs with, and destroying a key, are never done on an intent another
        // invocation has replaced since (an operator's revoke, a newer switch) — re-read first.
        if (fenced(action) && (await supersededSince(intended))) {
          superseded = true;
          break;
        }
        outcome = await execute(spec, action, ports);
      } catch (error) {
        if (!isExpectedFailure(error)) throw error;
        return recordFailure(error, current);
      }
      current = applyOutcome(current, action, outcome, ports.clock.now());
    }
    if (superseded) {
      conflicts += 1;
      ports.logger.log('info', 'lifecycle.superseded', { domain, version: intended.version });
      continue; // re-read and decide again from what was recorded since
    }
    if (current !== intended || intended.failure) {
      const { failure: _failure, ...cleared } = current;
      const saved = await saveQuietly(ports, { ...cleared, updatedAt: now }, intended.version);
      if (saved === 'conflict') conflicts += 1;
      else if (saved) last = { state: saved, obs };
    }
  }
  return result('done', { requeueAfterMs: 0 });

  /** Has another invocation recorded a newer state since this run recorded `intended`? */
  async function supersededSince(intended: DomainState): Promise<boolean> {
    const now = await ports.stateStore.load(domain);
    return now !== undefined && now.version !== intended.version;
  }

  /** Is the recorded item exactly the one this run wrote (its write took effect although it failed)? */
  async function tookEffect(intended: DomainState): Promise<boolean> {
    try {
      const back = await ports.stateStore.load(domain);
      return back?.version === intended.version && canonical(back) === canonical(intended);
    } catch (error) {
      if (isExpectedFailure(error)) return false;
      throw error;
    }
  }

  async function recordFailure(error: TransientError | ServiceError, base: DomainState): Promise<ReconcileResult> {
    const now = ports.clock.now();
    const transient = error instanceof TransientError;
    const count = (base.failure?.count ?? 0) + 1;
    const failure = { count, at: now, code: error.code, message: error.message, transient };
    ports.logger.log('warn', 'lifecycle.failure', {
      domain,
      code: error.code,
      message: error.message,
      transient,
      count,
    });
    ports.metrics.emit({ name: 'ActionFailures', value: 1, unit: 'Count', dimensions: { Domain: domain } });
    // The observations of this pass, if it got that far (a failure while observing has none).
    const obs = last.state === base || last.state.version === base.version ? last.obs : undefined;
    const saved = await saveQuietly(ports, { ...base, failure, updatedAt: now }, base.version);
    if (saved === 'conflict') conflicts += 1;
    else if (saved) last = { ...last, state: saved };
    return result('failed', {
      error: { code: error.code, message: error.message, transient },
      requeueAfterMs: retryAfterFailureMs({ spec, state: base, obs, now }, failure, backoffDelayMs(failure)),
    });
  }
}

/** JSON with object keys sorted and undefined fields left out: a stored item compares equal to the one written. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function emitKeyAge(ports: LifecyclePorts, spec: DomainSpec, state: DomainState, now: number): void {
  const active = activeKey(state);
  if (active?.activatedAt === undefined) return;
  ports.metrics.emit({
    name: 'KeyAgeDays',
    value: Math.floor((now - active.activatedAt) / DAY_MS),
    unit: 'None',
    dimensions: { Domain: spec.domain },
  });
}
