/**
 * Fault injection for the in-memory ports: any AWS call can be throttled, fail with a 5xx, time out
 * (having taken effect or not), or "crash" the invocation AFTER its side effect happened — the Lambda
 * dies, nothing after it runs, and the next invocation must repair (invariant 7).
 *
 * Faults by kind, besides the random ones: throttling at the services' rates (a token bucket over
 * simulated time, shared by every domain of the account — Route 53: 10 requests per second, burst 50;
 * SES: a configurable rate, `TooManyRequestsException`), and `AccessDenied` on a chosen action and domain
 * (an IAM policy that is too narrow), as a `CallGuard` checked before the call.
 */
import { ServiceError, TransientError } from '../core/errors';

/**
 * Makes an injected fault's error without capturing a stack trace: nothing reads the stack of a simulated
 * fault (it always points here), and a long simulation throws hundreds of thousands of them.
 */
export function injected<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

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

// ---------------------------------------------------------------------------------------------------
// Faults by kind: rate limits and AccessDenied

/** A service's request rate: sustained requests per second, and the burst a full bucket allows. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/** Route 53's API limit: 10 requests per second per account, burst 50 (design §2). */
export const ROUTE53_RATE: RateLimit = { perSecond: 10, burst: 50 };

/** A token bucket over simulated time: `burst` tokens, refilled at `perSecond`; a call takes one or is throttled. */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;
  /** Calls let through / throttled. */
  allowed = 0;
  throttled = 0;

  constructor(readonly limit: RateLimit) {
    this.tokens = limit.burst;
  }

  take(now: number): boolean {
    if (this.last !== undefined && now > this.last) {
      this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    }
    this.last = Math.max(this.last ?? now, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.allowed += 1;
      return true;
    }
    this.throttled += 1;
    return false;
  }
}

/** The IAM action each port method needs (what an AccessDenied names). */
export const IAM_ACTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ses: {
    getDkim: 'ses:GetEmailIdentity',
    putExternalSigningKey: 'ses:PutEmailIdentityDkimSigningAttributes',
    setSigningEnabled: 'ses:PutEmailIdentityDkimAttributes',
  },
  route53: { upsertTxt: 'route53:ChangeResourceRecordSets', getChange: 'route53:GetChange' },
  keyStore: {
    list: 'secretsmanager:ListSecrets',
    create: 'secretsmanager:CreateSecret',
    readPrivateKey: 'secretsmanager:GetSecretValue',
    scheduleDeletion: 'secretsmanager:DeleteSecret',
  },
  stateStore: { load: 'dynamodb:GetItem', save: 'dynamodb:TransactWriteItems' },
  notifier: { send: 'sns:Publish' },
};

/** Which IAM action, on which resource (ARN) and for which domain, a call is. */
export interface CallTarget {
  readonly action: string;
  readonly resource: string;
  readonly domain?: string;
}

/** An action the IAM policy does not allow for a domain (`*`: every domain), from `from` on. */
export interface AccessDeniedRule {
  readonly domain: string;
  /** `ses:PutEmailIdentityDkimSigningAttributes`, or without the service prefix. */
  readonly action: string;
  readonly from?: number;
}

/** AWS's AccessDenied, naming the action and the resource (no key material: names and ARNs only). */
export function accessDenied(service: string, target: CallTarget): ServiceError {
  return injected(
    () =>
      new ServiceError(
        'ACCESS_DENIED',
        `User: arn:aws:sts::111122223333:assumed-role/byodkim-key-manager/worker is not authorized to perform: ${target.action} on resource: ${target.resource} because no identity-based policy allows the ${target.action} action`,
        service,
      ),
  );
}

/** Decides, before a call runs, whether it is refused (throttled, denied): the error to throw, if any. */
export type CallGuard = (service: string, method: string, args: readonly unknown[]) => Error | undefined;

/**
 * Rate limits per service (one bucket per service for the whole account) and AccessDenied rules, over
 * the clock `now`. `target` names what a call acts on.
 */
export class ServiceLimits {
  readonly buckets = new Map<string, TokenBucket>();
  /** AccessDenied errors thrown, per `domain action`. */
  readonly denied = new Map<string, number>();
  /** Rate limits apply (AccessDenied rules always do: IAM does not relent). */
  throttling = true;

  constructor(
    private readonly now: () => number,
    limits: Readonly<Record<string, RateLimit | undefined>>,
    private readonly rules: readonly AccessDeniedRule[],
    private readonly target: (service: string, method: string, args: readonly unknown[]) => CallTarget | undefined,
  ) {
    for (const [service, limit] of Object.entries(limits)) if (limit) this.buckets.set(service, new TokenBucket(limit));
  }

  readonly guard: CallGuard = (service, method, args) => {
    if (this.rules.length > 0) {
      const target = this.target(service, method, args);
      const rule =
        target &&
        this.rules.find(
          (r) =>
            (r.domain === '*' || r.domain === target.domain) &&
            (r.action === target.action || target.action.endsWith(`:${r.action}`)) &&
            this.now() >= (r.from ?? -Infinity),
        );
      if (target && rule) {
        const key = `${target.domain ?? ''} ${target.action}`;
        this.denied.set(key, (this.denied.get(key) ?? 0) + 1);
        return accessDenied(service, target);
      }
    }
    const bucket = this.throttling ? this.buckets.get(service) : undefined;
    if (bucket && !bucket.take(this.now())) {
      return injected(() =>
        service === 'ses'
          ? new TransientError('THROTTLED', `ses ${method}: TooManyRequestsException: Too Many Requests`, service)
          : new TransientError('THROTTLED', `${service} ${method}: Throttling: Rate exceeded`, service),
      );
    }
    return undefined;
  };

  /** Calls throttled per service. */
  throttled(): Record<string, number> {
    return Object.fromEntries([...this.buckets].map(([s, b]) => [s, b.throttled]));
  }
}

/**
 * Wraps every method of a port: counts the call, awaits `gate` (tests use it to interleave concurrent
 * invocations), refuses it when `guard` says so (rate limits, AccessDenied), then applies the plan's fault.
 */
export function withFaults<T extends object>(
  port: T,
  service: string,
  plan: () => FaultPlan,
  counter: CallCounter,
  gate?: () => Promise<void>,
  guard?: CallGuard,
): T {
  // One wrapper per method, made again only when the method itself is replaced on the port.
  const wrappers = new Map<string | symbol, { value: unknown; wrapped: unknown }>();
  return new Proxy(port, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const known = wrappers.get(property);
      if (known && known.value === value) return known.wrapped;
      const method = String(property);
      const wrapped = async (...args: unknown[]) => {
        counter.total += 1;
        counter.byService[service] = (counter.byService[service] ?? 0) + 1;
        if (gate) await gate();
        const refused = guard?.(service, method, args);
        if (refused) throw refused;
        const current = plan();
        const fault = current.fault(service, method);
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        switch (fault) {
          case 'throttle':
            throw injected(() => new TransientError('THROTTLED', `${service} ${method}: Rate exceeded`, service));
          case 'server-error':
            throw injected(
              () =>
                new TransientError('SERVICE_UNAVAILABLE', `${service} ${method}: service unavailable (503)`, service),
            );
          case 'timeout':
            if (current.tookEffect()) await call();
            throw injected(() => new TransientError('TIMEOUT', `${service} ${method}: timed out`, service));
          case 'crash-after': {
            await call();
            throw injected(() => new SimulatedCrash(`${service}.${method}`));
          }
          default:
            return call();
        }
      };
      wrappers.set(property, { value, wrapped });
      return wrapped;
    },
  });
}
