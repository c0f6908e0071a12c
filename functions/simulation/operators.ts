/**
 * Operators in the simulated world: at random (seeded) times they send `rotate`, `disable` (and `enable`
 * later), `rollback`, `revoke` (a compromised key: the active one, a retired one or the new one) and
 * `approve` — and they approve manual activations when asked. Every command goes through the path the
 * worker Lambda uses (`handleOperatorRequest`: apply under compare-and-swap, retry a lost race with a
 * jittered backoff, answer `busy` in the end), racing the scheduled runs of the same domain (the driver
 * runs them concurrently).
 *
 * Every command is accounted for: issued = applied + refused + busy. The checker is told when a key is
 * declared compromised (at issue: the key is compromised whatever the engine makes of it) and about every
 * command answered `done` (invariant 9: it must be in the recorded history; invariant 10: an acknowledged
 * disable or revoke must be carried out — a revoke names its key).
 */
import type { OperatorRequest } from '../core/contract';
import { SimulatedCrash } from '../memory/faults';
import { handleOperatorRequest, type OperatorResult } from '../lifecycle/operator-request';
import type { DecideFn } from '../lifecycle/reconciler';
import { activeKey, type DomainState } from '../lifecycle/state';
import type { InvariantChecker } from './invariants';
import type { Prng } from './prng';
import type { World } from './world';

/** The actions the simulated operators send. */
export const SIM_OPERATOR_ACTIONS = ['rotate', 'disable', 'enable', 'rollback', 'revoke', 'approve'] as const;
export type SimOperatorAction = (typeof SIM_OPERATOR_ACTIONS)[number];

/** How often each action is chosen at a random time (`enable` also follows every applied `disable`). */
const WEIGHTS: readonly (readonly [SimOperatorAction, number])[] = [
  ['rotate', 0.2],
  ['disable', 0.15],
  ['enable', 0.05],
  ['rollback', 0.2],
  ['revoke', 0.25],
  ['approve', 0.15],
];

export interface ActionTally {
  issued: number;
  /** Answered `done`. */
  applied: number;
  refused: number;
  /** Answered `busy` (lost every race, or the service kept failing): nothing changed. */
  busy: number;
  /** Commands that needed more than one try (a lost race, a failure, or a crashed invocation). */
  retried: number;
  /** Tries beyond the first, over all commands. */
  extraAttempts: number;
}

function emptyTally(): ActionTally {
  return { issued: 0, applied: 0, refused: 0, busy: 0, retried: 0, extraAttempts: 0 };
}

/** How often an operator sends a command again when the invocation died (a Lambda crash) before answering. */
const CRASH_RETRIES = 5;

export interface OperatorsOptions {
  readonly rng: Prng;
  readonly world: World;
  readonly checker: InvariantChecker;
  readonly decide?: DecideFn;
  readonly maxSteps?: number;
  /**
   * The backoff between tries. The simulation's clock does not move during an event: the command yields
   * to the run it races instead, about one turn per `msPerTurn`.
   */
  readonly msPerTurn?: number;
}

/** One command's fate, for the driver (follow-ups, unsigned-minute episodes). */
export interface Issued {
  readonly request: OperatorRequest;
  readonly issuedAt: number;
  /** The answer, or `undefined` when every invocation crashed (counted as busy). */
  readonly result?: OperatorResult;
  readonly outcome: 'done' | 'refused' | 'busy';
}

export class SimOperators {
  readonly byAction: Record<SimOperatorAction, ActionTally> = Object.fromEntries(
    SIM_OPERATOR_ACTIONS.map((a) => [a, emptyTally()]),
  ) as Record<SimOperatorAction, ActionTally>;
  /** Refusals and busy answers by code. */
  readonly codes: Record<string, number> = {};
  /** Compare-and-swap conflicts met by commands. */
  conflicts = 0;
  private readonly turnRng: Prng;
  private readonly jitterRng: Prng;
  /** The last `command:<action>` recorded per domain and action: when, at which version. */
  private readonly lastRecorded = new Map<string, { at: number; version: number }>();

  constructor(private readonly options: OperatorsOptions) {
    this.turnRng = options.rng.fork('turns');
    this.jitterRng = options.rng.fork('jitter');
  }

  /** The driver forwards every audit event: a command's own record says it was applied. */
  recorded(event: {
    readonly domain: string;
    readonly at: number;
    readonly version: number;
    readonly policy: string;
  }): void {
    if (event.policy.startsWith('command:'))
      this.lastRecorded.set(`${event.domain} ${event.policy.slice('command:'.length)}`, {
        at: event.at,
        version: event.version,
      });
  }

  /** Totals over every action. */
  totals(): ActionTally {
    const total = emptyTally();
    for (const tally of Object.values(this.byAction)) {
      for (const k of Object.keys(total) as (keyof ActionTally)[]) total[k] += tally[k];
    }
    return total;
  }

  /**
   * A command an operator sends at a random time, chosen among the actions (a revoke names a key byodkim
   * holds: the active one mostly, else a retired or the new one).
   */
  choose(domain: string, state: DomainState | undefined): OperatorRequest {
    const rng = this.options.rng;
    let roll = rng.next();
    let action: SimOperatorAction = 'rotate';
    for (const [a, w] of WEIGHTS) {
      if (roll < w) {
        action = a;
        break;
      }
      roll -= w;
    }
    if (action === 'revoke') {
      const keys = state?.keys ?? [];
      const active = state ? activeKey(state) : undefined;
      const retired = keys.filter((k) => k.state === 'retiring');
      const fresh = keys.filter(
        (k) => k.state === 'generated' || k.state === 'dns-requested' || k.state === 'dns-verified',
      );
      const which = rng.next();
      const key =
        (which < 0.6 ? active : undefined) ??
        (which < 0.85 && retired.length > 0 ? rng.pick(retired) : undefined) ??
        fresh[0] ??
        active;
      // Named by key id: a delegated slot's selector names several keys over time.
      if (key) return { kind: 'operator', action, domain, selector: key.keyId, actor: 'sim-operator' };
      action = 'rotate';
    }
    return { kind: 'operator', action, domain, actor: 'sim-operator' };
  }

  /** Sends one command through the worker's path and accounts for it. */
  async issue(request: OperatorRequest): Promise<Issued> {
    const { world, checker } = this.options;
    const domain = request.domain;
    const action = request.action as SimOperatorAction;
    const tally = this.byAction[action];
    const issuedAt = world.clock.now();
    tally.issued += 1;
    if (action === 'revoke' && request.selector !== undefined)
      checker.declareCompromised(domain, { keyId: request.selector, selector: request.selector }, issuedAt);
    const msPerTurn = this.options.msPerTurn ?? 10;
    const sleep = async (ms: number) => {
      for (let i = Math.min(200, Math.ceil(ms / msPerTurn) + this.turnRng.int(0, 3)); i > 0; i -= 1)
        await Promise.resolve();
    };
    let result: OperatorResult | undefined;
    let crashes = 0;
    for (;;) {
      world.forDomain(domain);
      try {
        result = await handleOperatorRequest(world.ports, world.spec(domain), request, {
          sleep,
          random: () => this.jitterRng.next(),
          describe: false,
          ...(this.options.decide ? { decide: this.options.decide } : {}),
          ...(this.options.maxSteps !== undefined ? { maxSteps: this.options.maxSteps } : {}),
        });
        break;
      } catch (error) {
        if (!(error instanceof SimulatedCrash)) throw error;
        crashes += 1;
        if (crashes > CRASH_RETRIES) break;
      }
    }
    // Invariant 10: the key a revoke names.
    const named = action === 'revoke' && request.selector !== undefined ? { key: request.selector } : {};
    const extra = crashes + (result ? result.attempts - 1 : 0);
    if (extra > 0) tally.retried += 1;
    tally.extraAttempts += extra;
    // An invocation that died before answering, or a write that failed after it took effect, may have
    // recorded the command: the operator looks (status) before counting a refusal of the command tried
    // again (e.g. ALREADY_DISABLED), or a command whose every invocation crashed, as not carried out.
    const ambiguous = crashes > 0 || (result !== undefined && result.attempts > 1);
    const earlier = ambiguous && result?.outcome !== 'done' ? this.lastRecorded.get(`${domain} ${action}`) : undefined;
    if (earlier && earlier.at >= issuedAt) {
      if (result) this.conflicts += result.conflicts;
      tally.applied += 1;
      checker.commandAcknowledged(domain, { action, issuedAt, version: earlier.version, ...named });
      return result ? { request, issuedAt, result, outcome: 'done' } : { request, issuedAt, outcome: 'done' };
    }
    if (!result) {
      tally.busy += 1;
      this.codes.CRASHED = (this.codes.CRASHED ?? 0) + 1;
      return { request, issuedAt, outcome: 'busy' };
    }
    this.conflicts += result.conflicts;
    if (result.outcome === 'done') {
      tally.applied += 1;
      checker.commandAcknowledged(domain, {
        action,
        issuedAt,
        ...(result.version !== undefined ? { version: result.version } : {}),
        ...named,
      });
    } else {
      if (result.outcome === 'refused') tally.refused += 1;
      else tally.busy += 1;
      if (result.code) this.codes[result.code] = (this.codes[result.code] ?? 0) + 1;
    }
    return { request, issuedAt, result, outcome: result.outcome };
  }
}
