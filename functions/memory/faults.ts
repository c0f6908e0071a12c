/**
 * Fault injection for the in-memory ports: any AWS call can be throttled, fail with a 5xx, time out
 * (having taken effect or not), or "crash" the invocation AFTER its side effect happened — the Lambda
 * dies, nothing after it runs, and the next invocation must repair (invariant 7).
 */
import { TransientError } from '../core/errors';

/** The invocation died (Lambda timeout, OOM, host failure). Not a ByodkimError: the runner never catches it. */
export class SimulatedCrash extends Error {
  constructor(readonly after: string) {
    super(`simulated crash after ${after}`);
    this.name = 'SimulatedCrash';
  }
}

export type FaultKind = 'throttle' | 'server-error' | 'timeout' | 'crash-after';

/** Decides, per call, whether and how it fails. */
export interface FaultPlan {
  fault(service: string, method: string): FaultKind | undefined;
  /** For timeouts: did the call take effect before the client gave up? */
  tookEffect(): boolean;
}

export const NO_FAULTS: FaultPlan = { fault: () => undefined, tookEffect: () => true };

/** The random choices of {@link RandomFaults} (the simulation hands it a fork of its seeded `Prng`). */
export interface FaultDice {
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** Each call fails with probability `p`, the kind chosen uniformly. */
export class RandomFaults implements FaultPlan {
  enabled = true;
  injected = 0;
  crashes = 0;

  constructor(
    private readonly p: number,
    private readonly rng: FaultDice,
  ) {}

  fault(): FaultKind | undefined {
    if (!this.enabled || !this.rng.chance(this.p)) return undefined;
    this.injected += 1;
    const kind = this.rng.pick<FaultKind>(['throttle', 'server-error', 'timeout', 'crash-after']);
    if (kind === 'crash-after') this.crashes += 1;
    return kind;
  }

  tookEffect(): boolean {
    return this.rng.chance(0.5);
  }
}

/** The methods that change something (the crash-after-each-side-effect test walks through these). */
export const SIDE_EFFECTS: Readonly<Record<string, readonly string[]>> = {
  ses: ['putExternalSigningKey', 'setSigningEnabled'],
  route53: ['upsertTxt'],
  keyStore: ['create', 'scheduleDeletion'],
  stateStore: ['save'],
  notifier: ['send'],
};

/** Crashes right after the n-th side-effecting call (1-based), once. */
export class CrashAfterNthSideEffect implements FaultPlan {
  private seen = 0;
  crashedAfter?: string;

  constructor(private readonly n: number) {}

  fault(service: string, method: string): FaultKind | undefined {
    if (!SIDE_EFFECTS[service]?.includes(method)) return undefined;
    this.seen += 1;
    if (this.seen !== this.n) return undefined;
    this.crashedAfter = `${service}.${method}`;
    return 'crash-after';
  }

  tookEffect(): boolean {
    return true;
  }

  /** How many side-effecting calls were made. */
  get calls(): number {
    return this.seen;
  }
}

export interface CallCounter {
  total: number;
  readonly byService: Record<string, number>;
}

export function newCallCounter(): CallCounter {
  return { total: 0, byService: {} };
}

/**
 * Wraps every method of a port: counts the call, awaits `gate` (tests use it to interleave concurrent
 * invocations), then applies the plan's fault.
 */
export function withFaults<T extends object>(
  port: T,
  service: string,
  plan: () => FaultPlan,
  counter: CallCounter,
  gate?: () => Promise<void>,
): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = String(property);
      return async (...args: unknown[]) => {
        counter.total += 1;
        counter.byService[service] = (counter.byService[service] ?? 0) + 1;
        if (gate) await gate();
        const current = plan();
        const fault = current.fault(service, method);
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        switch (fault) {
          case 'throttle':
            throw new TransientError('THROTTLED', `${service} ${method}: Rate exceeded`, service);
          case 'server-error':
            throw new TransientError('SERVICE_UNAVAILABLE', `${service} ${method}: service unavailable (503)`, service);
          case 'timeout':
            if (current.tookEffect()) await call();
            throw new TransientError('TIMEOUT', `${service} ${method}: timed out`, service);
          case 'crash-after': {
            await call();
            throw new SimulatedCrash(`${service}.${method}`);
          }
          default:
            return call();
        }
      };
    },
  });
}
