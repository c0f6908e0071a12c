/**
 * `byodkim simulate`: many domains, years of simulated time, the real reconciler on an EventBridge-like
 * schedule (every `scheduleHours`, plus `requeueAfter` re-runs like controller-runtime), a simulated DNS
 * team, simulated operators approving manual activations, faults on every AWS call (throttling, 5xx,
 * timeouts, crashes after the side effect), concurrent invocations of one domain — twins delivered at once
 * (at-least-once delivery) and divergent pairs, the second reading the state after the first's
 * compare-and-swap but the world before the first's actions — people who change SES and DNS by hand
 * (people.ts), operators whose commands race the scheduled runs (operators.ts) — and the invariant
 * checker after every step. Deterministic: the same options give the same report
 * (except `wallMs`).
 */
import { defaultRenewBeforeDays, DEFAULTS, type DomainSpec } from '../core/spec';
import { decide as coreDecide } from '../lifecycle/decide';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { observe, reconcile, type DecideFn, type ReconcileResult } from '../lifecycle/reconciler';
import type { OperatorRequest } from '../core/contract';
import { ConflictError } from '../core/errors';
import { dkimRecordName } from '../core/names';
import type { LifecyclePorts } from '../lifecycle/ports';
import { SimOperators, type ActionTally, type SimOperatorAction } from './operators';
import {
  nextDelayMs,
  SimPeople,
  UnsignedLedger,
  type PersonChange,
  type PersonEpisodeMax,
  type PersonPhase,
  type UnsignedCause,
} from './people';
import { RandomFaults, SimulatedCrash } from '../memory/faults';
import { realKeyPairsAsync } from '../memory/keys';
import type { KeyPair } from '../lifecycle/ports';
import { SimDnsTeam, type TeamOptions } from './dns-team';
import { EventQueue } from './event-queue';
import {
  INVARIANT_TITLES,
  InvariantChecker,
  SecretScanner,
  answerMatches,
  type InvariantNumber,
  type Violation,
} from './invariants';
import { Prng } from './prng';
import { World, type IdentitySetup, type RealDnsOptions } from './world';
import type { AccessDeniedRule, RateLimit } from '../memory/faults';
import { activeKey, initialState, type DomainState } from '../lifecycle/state';

export type SimDnsMode = 'route53' | 'external' | 'delegated' | 'mixed';

export interface SimulationOptions {
  readonly domains: number;
  readonly days: number;
  readonly dnsMode: SimDnsMode;
  /** Probability that any one AWS call fails (and that an invocation is delivered twice). */
  readonly faults: number;
  readonly seed: number;
  /** People's changes to SES or DNS behind byodkim's back, per domain per day on average. @default 0 */
  readonly people?: number;
  /** Operator commands at random times (racing a scheduled run), per domain per day on average. @default 0 */
  readonly operators?: number;
  /** Probability that a scheduled run is two concurrent invocations. @default `faults` */
  readonly concurrency?: number;
  /**
   * Of the concurrent pairs, the share that diverge: the second reads the state after the first's write but
   * the world before the first's actions (the rest are twins started at once). @default 0.5
   */
  readonly divergent?: number;
  /** The regular schedule (EventBridge Scheduler). @default 6 */
  readonly scheduleHours?: number;
  /** Real key pairs: the last two are the identities' pre-existing keys, the rest the pool (default: 10 RSA-2048). */
  readonly keyPairs?: readonly KeyPair[];
  /** The decision core (tests pass deliberately faulty ones to prove the checker). */
  readonly decide?: DecideFn;
  readonly team?: TeamOptions;
  /** Adjusts each simulated domain's spec (tests). */
  readonly adjustSpec?: (spec: DomainSpec, index: number) => DomainSpec;
  /** Simulation start (UTC ms). @default 2026-01-05T00:00:00Z */
  readonly start?: number;
  /** Receives every step, notification and failure of the simulated domains (for `--trace`). */
  readonly trace?: (domain: string, at: number, line: string) => void;
  /** Adjusts the simulated world once its domains exist (tests break a service on purpose). */
  readonly adjustWorld?: (world: World) => void;
  /**
   * DNS as it is — several authoritative servers per zone, lagging and sometimes stale secondaries, SOA
   * negative TTLs per zone, resolvers that SERVFAIL or time out (at `faults / 4`) — seeded by `seed`.
   * `false`: one server per zone, no lag, no failing lookups. @default on
   */
  readonly realDns?: Omit<RealDnsOptions, 'seed'> | false;
  /** SES's API rate for the account (beyond it TooManyRequestsException). @default 1 per second, burst 20 */
  readonly sesRate?: RateLimit;
  /** Route 53's API rate for the account. @default 10 per second, burst 50 */
  readonly route53Rate?: RateLimit;
  /** IAM too narrow: these actions fail with AccessDenied for these domains (`*`: all). */
  readonly accessDenied?: readonly AccessDeniedRule[];
}

/** SES's management API rate in the simulation (SES publishes none: a conservative 1 per second). */
export const SIM_SES_RATE: RateLimit = { perSecond: 1, burst: 20 };

export interface ViolationReport extends Omit<Violation, 'at'> {
  readonly title: string;
  readonly at: string;
}

export interface SimulationReport {
  readonly seed: number;
  readonly domains: number;
  readonly days: number;
  readonly dnsMode: SimDnsMode;
  readonly faults: number;
  readonly modes: Readonly<Record<'route53' | 'external' | 'delegated', number>>;
  readonly adoptedFrom: Readonly<Record<'easy-dkim' | 'byodkim' | 'none', number>>;
  readonly rotations: { readonly completed: number; readonly firstActivations: number; readonly scheduled: number };
  readonly violations: {
    readonly total: number;
    readonly byInvariant: Readonly<Record<string, number>>;
    readonly first?: ViolationReport;
    readonly sample: readonly ViolationReport[];
  };
  readonly keys: {
    readonly signed: number;
    readonly maxAgeDays: number;
    readonly overInterval: number;
    readonly overIntervalExcused: number;
    readonly rotatedWithinInterval: boolean;
  };
  /** Every unsigned minute, whatever the cause. */
  readonly unsignedMinutes: number;
  /**
   * Unsigned minutes by cause: a person's change (until the domain signs verifiably with byodkim's key
   * again), an operator's disable / revoke / rollback, or the engine (everything else: must be 0).
   */
  readonly unsignedMinutesByCause: Readonly<Record<UnsignedCause, number>>;
  /**
   * The longest stretch of unsigned mail one person's change caused (minutes), per DNS mode: about a
   * schedule period plus SES's reaction where byodkim writes the records, the DNS team's reaction in
   * external mode.
   */
  readonly personUnsignedMaxMinutes: Readonly<Partial<Record<'route53' | 'external' | 'delegated', number>>>;
  /**
   * A person's unsigned minutes split by phase: until the engine's reaction (the change is invisible until
   * the domain's next run: at most a schedule period, invariant 11), the repair where byodkim acts
   * (propagation, cache times, SES's re-verification), and the DNS team's time (external mode) — in total,
   * and the longest of each in one episode, per DNS mode; and how long the engine took to react.
   */
  readonly personUnsigned: {
    readonly byPhase: Readonly<Record<PersonPhase, number>>;
    readonly maxPerEpisode: Readonly<Partial<Record<'route53' | 'external' | 'delegated', PersonEpisodeMax>>>;
    /** Minutes from a person's change to the engine's reaction: the longest and the mean, per DNS mode. */
    readonly reactionMinutes: Readonly<
      Partial<
        Record<
          'route53' | 'external' | 'delegated',
          { readonly max: number; readonly mean: number; readonly count: number }
        >
      >
    >;
  };
  /** The domains with the most unsigned minutes caused by the engine (at most 5; none when all is well). */
  readonly engineUnsignedDomains: Readonly<Record<string, number>>;
  readonly people: { readonly changes: number; readonly byKind: Readonly<Record<PersonChange, number>> };
  /** Every command is accounted for: issued = applied + refused + busy. */
  readonly operators: ActionTally & {
    readonly byAction: Readonly<Record<SimOperatorAction, ActionTally>>;
    /** Refusals and busy answers by code. */
    readonly codes: Readonly<Record<string, number>>;
  };
  /** Compare-and-swap conflicts at the state store (a write that lost to a concurrent one). */
  readonly casConflicts: number;
  readonly dnsTeam: {
    readonly requests: number;
    readonly reminders: number;
    readonly escalations: number;
    readonly corrections: number;
    readonly mistakesMade: number;
    readonly lateAnswers: number;
  };
  readonly aws: {
    readonly calls: number;
    readonly perDomainPerDay: number;
    readonly byService: Readonly<Record<string, number>>;
  };
  readonly runs: number;
  readonly steps: number;
  readonly faultsInjected: number;
  readonly crashes: number;
  readonly failedRuns: number;
  readonly concurrentInvocations: number;
  /** Of those, pairs whose second invocation read the state after the first's write, the world before its actions. */
  readonly divergentInvocations: number;
  /** Checks made per invariant (an invariant the run should have exercised and that checked nothing is a violation). */
  readonly checks: Readonly<Record<InvariantNumber, number>>;
  /** Faults by kind: calls throttled at the services' rates, per service; AccessDenied errors. */
  readonly limits: { readonly throttled: Readonly<Record<string, number>>; readonly accessDenied: number };
  readonly wallMs: number;
}

const DEFAULT_START = Date.UTC(2026, 0, 5, 0, 0, 0);
/** A person's or an operator's episode ends once the domain has signed verifiably this long (cache times). */
const EPISODE_TAIL_MS = 3 * HOUR_MS;

/** Hooks around every AWS call of one invocation (the divergent pairs pause and release each other). */
interface CallHooks {
  readonly before?: (service: string, method: string) => Promise<void> | void;
  readonly after?: (service: string, method: string) => Promise<void> | void;
}

function hookedPorts(ports: LifecyclePorts, hooks: CallHooks): LifecyclePorts {
  const wrap = <T extends object>(port: T, service: string): T =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        const method = String(property);
        return async (...args: unknown[]) => {
          await hooks.before?.(service, method);
          const result = (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
          await hooks.after?.(service, method);
          return result;
        };
      },
    });
  return {
    ...ports,
    ses: wrap(ports.ses, 'ses'),
    dnsWriter: wrap(ports.dnsWriter, 'route53'),
    keyStore: wrap(ports.keyStore, 'keyStore'),
    stateStore: wrap(ports.stateStore, 'stateStore'),
    notifier: wrap(ports.notifier, 'notifier'),
  };
}
const MAX_STEPS = 24;
/** Real RSA-2048 pairs generated once per simulation (see memory/keys.ts): 10 × 150-day rotations > 3 years. */
export const KEY_POOL_SIZE = 10;
/**
 * The pool for a run: operators' rotations and revocations (about half of their commands) use keys up
 * faster than the schedule; a domain must not be handed a key again while the checker still remembers
 * its last use (see the checker's reuse gap).
 */
export function keyPoolSize(options: Pick<SimulationOptions, 'operators' | 'days'>): number {
  return Math.min(40, KEY_POOL_SIZE + Math.ceil(0.5 * (options.operators ?? 0) * options.days));
}

/** Pairs reserved for keys the identities had before byodkim (never handed out by the pool). */
const LEGACY_KEYS = 2;

function pad(n: number): string {
  return String(n).padStart(3, '0');
}

function modeOf(mode: SimDnsMode, index: number): 'route53' | 'external' | 'delegated' {
  if (mode !== 'mixed') return mode;
  return (['route53', 'external', 'delegated'] as const)[index % 3]!;
}

function buildSpec(index: number, mode: 'route53' | 'external' | 'delegated', manual: boolean): DomainSpec {
  const label = `d${pad(index + 1)}`;
  const domain = `${label}.example.jp`;
  const contacts = [`dns-team@${label}.example.jp`];
  const dns =
    mode === 'route53'
      ? { kind: 'route53' as const, hostedZoneId: `Z${pad(index + 1)}EXAMPLE` }
      : mode === 'external'
        ? { kind: 'external' as const, contacts, locale: 'ja' as const, leadTimeDays: DEFAULTS.leadTimeDays }
        : {
            kind: 'delegated' as const,
            zoneName: 'dkim.example.net',
            contacts,
            locale: 'ja' as const,
            leadTimeDays: DEFAULTS.leadTimeDays,
          };
  return {
    domain,
    selectorPrefix: `mail${pad(index + 1)}`,
    keyBits: 2048,
    dns,
    rotation: {
      intervalDays: DEFAULTS.intervalDays,
      renewBeforeDays: defaultRenewBeforeDays(dns),
      graceDays: DEFAULTS.graceDays,
      activation: manual ? 'manual' : 'auto',
    },
  };
}

export async function simulate(options: SimulationOptions): Promise<SimulationReport> {
  const started = process.hrtime.bigint();
  const rng = new Prng(options.seed);
  const setupRng = rng.fork('setup');
  const runRng = rng.fork('runs');
  const operatorRng = rng.fork('operators');
  const start = options.start ?? DEFAULT_START;
  const end = start + options.days * DAY_MS;
  const period = (options.scheduleHours ?? 6) * HOUR_MS;
  // The pool byodkim draws from, and separate pairs for the keys identities already had before adoption.
  const all = options.keyPairs ?? (await realKeyPairsAsync(keyPoolSize(options) + LEGACY_KEYS));
  const pairs = all.slice(0, all.length - LEGACY_KEYS);
  const legacyPairs = all.slice(all.length - LEGACY_KEYS);
  const decide = options.decide ?? coreDecide;
  const faults = new RandomFaults(options.faults, rng.fork('faults'));
  /** Invocations of one domain running concurrently: the gate interleaves their AWS calls. */
  let concurrent = 0;
  const interleave = rng.fork('interleave');
  const divergentRng = rng.fork('divergent');
  const peopleRng = rng.fork('people');
  const operatorsRng = rng.fork('operator-commands');
  // DNS as it is; lookup failures are a function of (server, name, minute): a replay in the same minute
  // sees the same world.
  const dnsSeed = rng.fork('dns-flake').int(0, 2 ** 31);
  const world: World = new World({
    start,
    keys: pairs,
    faults,
    gate: async () => {
      if (concurrent === 0) return;
      for (let i = interleave.int(0, 2); i > 0; i -= 1) await Promise.resolve();
    },
    ...(options.realDns === false
      ? {}
      : { realDns: { seed: dnsSeed, failureRate: options.faults / 4, ...options.realDns } }),
    sesRate: options.sesRate ?? SIM_SES_RATE,
    ...(options.route53Rate ? { route53Rate: options.route53Rate } : {}),
    ...(options.accessDenied ? { accessDenied: options.accessDenied } : {}),
  });
  world.notifier.keep = false;
  world.metrics.keep = false;
  world.logger.keep = false;
  world.stateStore.keepEvents = false;
  const queue = new EventQueue();
  const schedule = (at: number, domain: string, run: () => Promise<void> | void) => queue.push(at, domain, run);

  const team = new SimDnsTeam(
    rng.fork('dns-team'),
    world.dns,
    world.clock,
    schedule,
    (d) => {
      const dns = world.spec(d).dns;
      return dns.kind === 'route53' ? 0 : dns.leadTimeDays;
    },
    (d) => world.spec(d).rotation.renewBeforeDays,
    options.team,
  );

  // Domains, their identities as they are today (adoption), and when each starts sending.
  const modes = { route53: 0, external: 0, delegated: 0 };
  const adoptedFrom = { 'easy-dkim': 0, byodkim: 0, none: 0 };
  const sendingFrom = new Map<string, number>();
  const domains: string[] = [];
  for (let i = 0; i < options.domains; i += 1) {
    const mode = modeOf(options.dnsMode, i);
    const manual = i % 4 === 3;
    let spec = buildSpec(i, mode, manual);
    if (options.adjustSpec) spec = options.adjustSpec(spec, i);
    const roll = setupRng.next();
    const identity: IdentitySetup =
      roll < 0.4
        ? { kind: 'easy-dkim' }
        : roll < 0.7
          ? {
              kind: 'byodkim',
              selector: `legacy-${spec.selectorPrefix}`,
              pair: legacyPairs[setupRng.int(0, legacyPairs.length - 1)]!,
              ttl: 3600,
            }
          : { kind: 'none' };
    world.addDomain(spec, identity);
    modes[mode] += 1;
    adoptedFrom[identity.kind] += 1;
    if (identity.kind !== 'none') sendingFrom.set(spec.domain, start);
    domains.push(spec.domain);
  }
  options.adjustWorld?.(world);

  const scanner = new SecretScanner();
  for (const pair of all) scanner.addPrivateKey(pair.privateKey, pair.publicKey);
  const states = new Map<string, string>();
  const checker = new InvariantChecker(
    {
      dns: world.dns,
      resolvers: world.resolvers,
      ses: world.ses,
      keyStore: world.keyStore,
      specOf: (d) => world.spec(d),
      teamLate: (d, from, to) => team.mayExcuse(d, from, to),
      operatorTouched: (d) => {
        // A rollback brings back a key with its first activation date: invariant 4 is excused for the
        // interval that follows it (a fresh rotation starts at once, but may need the DNS team).
        const at = heldUp.get(d);
        return at !== undefined && world.clock.now() - at <= world.spec(d).rotation.intervalDays * DAY_MS;
      },
      sendingFrom: (d) => sendingFrom.get(d),
      changedByPerson: (name, at) => people.changedByPerson(name, at),
      schedulePeriodMs: period,
    },
    scanner,
  );
  const people = new SimPeople(peopleRng, world, legacyPairs, schedule);
  const heldUp = new Map<string, number>();
  // Invariant 11: people's changes, the engine's record writes and urgent requests reach the checker.
  people.onChange = (domain, at, change) => {
    options.trace?.(domain, at, `person: ${JSON.stringify(change)}`);
    checker.personChanged(domain, at, change);
  };
  if (options.trace) team.trace = (domain, line) => options.trace?.(domain, world.clock.now(), line);
  const upsert = world.route53.upsertTxt.bind(world.route53);
  world.route53.upsertTxt = async (zone, name, strings, ttl) => {
    const written = await upsert(zone, name, strings, ttl);
    checker.dnsWritten(name, world.clock.now());
    return written;
  };
  // A person's unsigned minutes by phase: until the engine reacts, then the repair — or, in external mode,
  // while the record SES signs with is still as the person left it, the DNS team.
  const phaseOf = (domain: string): PersonPhase =>
    checker.awaitingReaction(domain)
      ? 'untilReaction'
      : world.spec(domain).dns.kind === 'external' && people.activeRecordDamaged(domain, world.clock.now())
        ? 'dnsTeam'
        : 'repair';
  const ledger = new UnsignedLedger((d) => checker.unsignedMinutesOf(d), EPISODE_TAIL_MS, phaseOf);
  const operators = new SimOperators({ rng: operatorsRng, world, checker, decide, maxSteps: MAX_STEPS });
  // Compare-and-swap conflicts, counted where they happen: at the state store.
  let casConflicts = 0;
  const save = world.stateStore.save.bind(world.stateStore);
  world.stateStore.save = async (...args) => {
    try {
      return await save(...args);
    } catch (error) {
      if (error instanceof ConflictError) casConflicts += 1;
      throw error;
    }
  };

  // Everything that leaves the key store's boundary is scanned (invariant 6) and counted.
  const tally = { requests: 0, reminders: 0, escalations: 0, corrections: 0 };
  world.stateStore.onWrite = (domain, json) => {
    states.set(domain, json);
    // The item read from its JSON once, for the checker and the next run's load alike.
    checker.stateWritten(domain, world.clock.now(), json, world.stateStore.snapshot(domain));
  };
  world.stateStore.onEvents = (events) => {
    checker.eventsRecorded(events);
    for (const e of events) {
      operators.recorded(e);
      checker.scan(e.domain, e.at, 'an audit event', `${e.message} ${e.actions.join(' ')}`);
      options.trace?.(
        e.domain,
        e.at,
        `v${e.version} ${e.policy}: ${e.message}${e.actions.length ? ` [${e.actions.join('; ')}]` : ''}`,
      );
    }
  };
  world.metrics.onEmit = (datum) =>
    checker.scan(datum.dimensions.Domain ?? '', world.clock.now(), `metric ${datum.name}`, JSON.stringify(datum));
  world.logger.onLog = (line) => {
    checker.scan(String(line.fields.domain ?? ''), world.clock.now(), `log ${line.event}`, JSON.stringify(line.fields));
    if (line.level !== 'info')
      options.trace?.(
        String(line.fields.domain ?? ''),
        world.clock.now(),
        `${line.event} ${JSON.stringify(line.fields)}`,
      );
  };
  world.notifier.subscribe((n) => {
    checker.scan(
      n.domain,
      world.clock.now(),
      `notification ${n.kind}`,
      `${n.subject.en}\n${n.subject.ja}\n${n.body.en}\n${n.body.ja}\n${n.to.join(',')}`,
    );
    if (n.kind === 'dns-change-request' || n.kind === 'dns-revocation-request' || n.kind === 'delegation-request')
      tally.requests += 1;
    if (n.kind === 'dns-change-reminder') tally.reminders += 1;
    if (n.kind === 'dns-change-escalation') tally.escalations += 1;
    if (n.kind === 'dns-correction' || n.kind === 'delegation-correction') tally.corrections += 1;
    options.trace?.(n.domain, world.clock.now(), `notify ${n.audience} ${n.kind}: ${n.subject.en}`);
    checker.notified(n.domain, world.clock.now(), n);
    team.receive(n);
    if (n.kind === 'approval-needed') {
      const at = world.clock.now() + operatorRng.between(1, 48) * HOUR_MS;
      schedule(at, n.domain, () => race(n.domain, { kind: 'operator', action: 'approve', domain: n.domain }));
    }
  });
  // Keys byodkim generates are "ours" for checks 2–4 as soon as they are stored.
  const create = world.keyStore.create.bind(world.keyStore);
  world.keyStore.create = async (domain, keyId, pair) => {
    const created = await create(domain, keyId, pair);
    // The key id names the pair that was stored: a retried or concurrent generation's pair is discarded.
    if (created === 'created') checker.noteKey(domain, pair.publicKey, keyId);
    return created;
  };

  let runs = 0;
  let steps = 0;
  let failedRuns = 0;
  let concurrentInvocations = 0;
  let divergentInvocations = 0;
  const generation = new Map<string, number>();
  const offsets = new Map<string, number>();
  domains.forEach((d, i) => offsets.set(d, Math.floor((i * period) / Math.max(1, domains.length))));

  const nextPeriodic = (domain: string, now: number) => {
    const offset = offsets.get(domain)!;
    return start + offset + (Math.floor((now - start - offset) / period) + 1) * period;
  };
  const scheduleRun = (domain: string, at: number) => {
    const gen = (generation.get(domain) ?? 0) + 1;
    generation.set(domain, gen);
    schedule(at, domain, () => (generation.get(domain) === gen ? runDomain(domain) : undefined));
  };

  async function invoke(domain: string, ports: LifecyclePorts = world.ports): Promise<ReconcileResult | 'crashed'> {
    world.forDomain(domain);
    const run = checker.runStarted();
    const dnsFailuresBefore = world.dnsLookupFailures;
    try {
      const result = await reconcile(world.spec(domain), ports, { decide, maxSteps: MAX_STEPS, describe: false });
      // Invariant 11: a run the world's DNS failed (a server timed out or answered SERVFAIL) could not see
      // every answer — it may not switch SES to a record it could not verify — and counts as a failed run.
      const sawEverything = world.dnsLookupFailures === dnsFailuresBefore;
      // Invariant 10: a settled run carries out the commands acknowledged before it started.
      if (result.outcome === 'done' && result.requeueAfterMs !== 0)
        checker.runCompleted(domain, run, world.clock.now(), sawEverything);
      if (!sawEverything) checker.runFailed(domain, world.clock.now());
      return result;
    } catch (error) {
      if (error instanceof SimulatedCrash) return 'crashed';
      throw error;
    }
  }

  async function replay(domain: string, now: number): Promise<void> {
    const spec = world.spec(domain);
    const saved = faults.enabled;
    faults.enabled = false;
    try {
      const state = (await world.stateStore.load(domain)) ?? initialState(domain, now);
      const obs = await observe(spec, state, world.cleanPorts);
      const d = decide(spec, state, obs, now);
      checker.replayed(
        domain,
        now,
        d.policy,
        d.actions.map((a) => a.type),
        d.next !== state,
      );
    } finally {
      faults.enabled = saved;
    }
  }

  function settle(domain: string, result: ReconcileResult | 'crashed', now: number): number {
    if (result === 'crashed' || result.outcome === 'failed' || result.outcome === 'conflict')
      checker.runFailed(domain, world.clock.now());
    if (result === 'crashed') return now + MINUTE_MS; // the Lambda's asynchronous retry
    steps += result.steps.length;
    if (result.outcome === 'failed') failedRuns += 1;
    if (result.outcome === 'done' && result.requeueAfterMs === 0) {
      checker.didNotSettle(
        domain,
        now,
        result.steps.map((s) => `${s.policy}: ${s.message}`),
      );
      return now + MINUTE_MS;
    }
    if (result.outcome === 'conflict') return now + MINUTE_MS;
    return result.requeueAfterMs !== undefined ? now + Math.max(result.requeueAfterMs, 1000) : Infinity;
  }

  /**
   * Two invocations of one domain that start from different reads: the second loads the state after the
   * first recorded its step (compare-and-swap) but observes the world before the first's actions ran —
   * the first is paused right after its write until the second has observed. A lost update shows.
   */
  async function divergentPair(domain: string): Promise<(ReconcileResult | 'crashed')[]> {
    let releaseFirst!: () => void;
    const firstPaused = new Promise<void>((resolve) => (releaseFirst = resolve));
    let startSecond!: () => void;
    const secondStarts = new Promise<void>((resolve) => (startSecond = resolve));
    let paused = false;
    const firstPorts = hookedPorts(world.ports, {
      after: async (service, method) => {
        if (paused || service !== 'stateStore' || method !== 'save') return;
        paused = true;
        startSecond();
        await firstPaused;
      },
    });
    const secondPorts = hookedPorts(world.ports, {
      before: async (service, method) => {
        if (service !== 'stateStore' || method !== 'save') return;
        // Observed: let the first carry out its actions, and race it from here on.
        releaseFirst();
        for (let i = interleave.int(0, 6); i > 0; i -= 1) await Promise.resolve();
      },
    });
    const first = invoke(domain, firstPorts).finally(startSecond);
    const second = secondStarts.then(() => invoke(domain, secondPorts)).finally(releaseFirst);
    return Promise.all([first, second]);
  }

  async function runDomain(domain: string, racing = false): Promise<void> {
    const now = world.clock.now();
    runs += 1;
    let next: number;
    if (!racing && runRng.chance(options.concurrency ?? options.faults)) {
      concurrentInvocations += 1;
      concurrent += 1;
      let results: (ReconcileResult | 'crashed')[];
      try {
        if (divergentRng.chance(options.divergent ?? 0.5)) {
          divergentInvocations += 1;
          results = await divergentPair(domain);
        } else {
          results = await Promise.all([invoke(domain), invoke(domain)]);
        }
      } finally {
        concurrent -= 1;
      }
      next = Math.min(...results.map((r) => settle(domain, r, now)));
    } else {
      const result = await invoke(domain);
      next = settle(domain, result, now);
      if (!racing && result !== 'crashed' && result.outcome === 'done' && result.requeueAfterMs !== 0)
        await replay(domain, now);
    }
    scheduleRun(domain, Math.min(next, nextPeriodic(domain, now)));
  }

  /** An operator's command, racing a run of the same domain (started at the same instant, interleaved). */
  async function race(domain: string, request: OperatorRequest): Promise<void> {
    concurrent += 1;
    try {
      await Promise.all([command(request), runDomain(domain, true)]);
    } finally {
      concurrent -= 1;
    }
  }

  async function command(request: OperatorRequest): Promise<void> {
    const domain = request.domain;
    const issued = await operators.issue(request);
    const now = world.clock.now();
    const again = (after: number, next: OperatorRequest = request) =>
      schedule(now + after, domain, () => race(domain, next));
    if (issued.outcome === 'busy') {
      // Nothing changed: the operator sends it again later (a busy approval or enable must not be lost).
      if (request.action === 'approve' || request.action === 'enable') again(HOUR_MS);
      return;
    }
    if (issued.outcome === 'refused') return;
    if (request.action === 'disable' || request.action === 'revoke' || request.action === 'rollback')
      ledger.open(domain, 'operator', issued.issuedAt);
    if (request.action === 'rollback' || request.action === 'disable') heldUp.set(domain, now);
    // Whoever disabled signing enables it again later.
    if (request.action === 'disable' && recorded(domain)?.signingDisabledAt !== undefined)
      again(operatorRng.between(1, 48) * HOUR_MS, {
        kind: 'operator',
        action: 'enable',
        domain,
        actor: 'sim-operator',
      });
  }

  /** The recorded state item (the store's frozen copy of its JSON: read-only). */
  function recorded(domain: string): DomainState | undefined {
    return world.stateStore.snapshot(domain);
  }

  async function personChanges(domain: string): Promise<void> {
    const act = await people.act(domain, recorded(domain));
    if (act) ledger.open(domain, 'person', world.clock.now(), act.brokeActiveRecord, world.spec(domain).dns.kind);
    schedule(world.clock.now() + nextDelayMs(peopleRng, options.people!), domain, () => personChanges(domain));
  }

  async function operatorCommands(domain: string): Promise<void> {
    await race(domain, operators.choose(domain, recorded(domain)));
    schedule(world.clock.now() + nextDelayMs(operatorsRng, options.operators!), domain, () => operatorCommands(domain));
  }

  /**
   * Signing verifiably with byodkim's active key — its record byte-exact on every authoritative server —
   * (or as adopted, before the first activation), nothing held off.
   */
  function healthy(domain: string, now: number): boolean {
    const state = recorded(domain);
    const identity = world.ses.peek(domain);
    if (!state || !identity || !identity.enabled || identity.status !== 'SUCCESS') return false;
    if (state.signingDisabledAt !== undefined || state.compromiseHoldAt !== undefined || state.switching) return false;
    const active = activeKey(state);
    if (!active?.publicKey) return identity.origin !== undefined;
    if (identity.origin !== 'EXTERNAL' || identity.tokens[0] !== active.selector) return false;
    if (identity.publicKey !== active.publicKey) return false;
    const name = dkimRecordName(active.selector, domain);
    return world.dns
      .serversFor(name, now)
      .every((server) => answerMatches(world.dns.resolve(name, now, server).answer, active.publicKey!));
  }

  /** The checker after an event, with the unsigned minutes booked to their cause. */
  function check(domain: string, at: number): void {
    if (ledger.suspendsActiveRecordCheck(domain)) {
      // A person broke the record SES signs with: invariant 2 cannot hold until the engine repairs it.
      world.ses.refresh(domain);
      ledger.book(domain, () => checker.account(domain, at));
    } else {
      ledger.book(domain, () => checker.checkDomain(domain, at));
    }
    if (ledger.isOpen(domain)) ledger.settle(domain, at, healthy(domain, at));
  }

  for (const domain of domains) {
    checker.account(domain, start);
    scheduleRun(domain, start + offsets.get(domain)!);
    if (options.people) schedule(start + nextDelayMs(peopleRng, options.people), domain, () => personChanges(domain));
    if (options.operators)
      schedule(start + nextDelayMs(operatorsRng, options.operators), domain, () => operatorCommands(domain));
  }
  for (;;) {
    const event = queue.peek();
    if (!event || event.at > end) break;
    queue.pop();
    world.clock.set(event.at);
    ledger.book(event.domain, () => checker.account(event.domain, event.at));
    await event.run();
    check(event.domain, event.at);
  }
  world.clock.set(end);
  faults.enabled = false;
  world.limits.throttling = false;
  for (const domain of domains) {
    ledger.book(domain, () => checker.account(domain, end));
    // A last, fault-free run: the replay check is about a run that completed, and the domain's last run may
    // have failed (its backoff over by now) or work may be due since it.
    const result = await invoke(domain);
    check(domain, end);
    if (result !== 'crashed' && result.outcome === 'done' && result.requeueAfterMs !== 0) await replay(domain, end);
  }

  ledger.finish();
  checker.finish(end);
  const ages = checker.keyAges(end);
  const finalStates = domains.map((d) => JSON.parse(states.get(d) ?? 'null') as DomainState | null);
  const completed = finalStates.reduce((sum, s) => sum + (s?.rotations ?? 0), 0);
  const firstActivations = finalStates.filter((s) => s?.adoption?.replacedAt !== undefined).length;
  const toReport = (v: Violation): ViolationReport => ({
    ...v,
    title: INVARIANT_TITLES[v.invariant],
    at: new Date(v.at).toISOString(),
  });
  const total = Object.values(checker.counts).reduce((a, b) => a + b, 0);
  const first = [...checker.violations].sort((a, b) => a.at - b.at)[0];
  return {
    seed: options.seed,
    domains: options.domains,
    days: options.days,
    dnsMode: options.dnsMode,
    faults: options.faults,
    modes,
    adoptedFrom,
    rotations: { completed, firstActivations, scheduled: completed - firstActivations },
    violations: {
      total,
      byInvariant: Object.fromEntries(Object.entries(checker.counts).filter(([, n]) => n > 0)),
      ...(first ? { first: toReport(first) } : {}),
      sample: checker.violations.slice(0, 10).map(toReport),
    },
    keys: {
      signed: ages.keys,
      maxAgeDays: Math.round(ages.maxDays * 10) / 10,
      overInterval: ages.overInterval,
      overIntervalExcused: ages.overIntervalExcused,
      rotatedWithinInterval: ages.overInterval === ages.overIntervalExcused,
    },
    unsignedMinutes: checker.totalUnsignedMinutes(),
    unsignedMinutesByCause: { ...ledger.minutes },
    personUnsignedMaxMinutes: { ...ledger.personMaxPerChange },
    personUnsigned: {
      byPhase: { ...ledger.personByPhase },
      maxPerEpisode: Object.fromEntries(Object.entries(ledger.personMaxPerEpisode).map(([m, v]) => [m, { ...v }])),
      reactionMinutes: Object.fromEntries(
        Object.entries(checker.reactionMinutes).map(([mode, list]) => [
          mode,
          {
            max: Math.round(Math.max(0, ...list) * 10) / 10,
            mean: Math.round((list.reduce((a, b) => a + b, 0) / Math.max(1, list.length)) * 10) / 10,
            count: list.length,
          },
        ]),
      ),
    },
    engineUnsignedDomains: Object.fromEntries([...ledger.engineByDomain].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    people: { changes: people.total, byKind: { ...people.made } },
    operators: { ...operators.totals(), byAction: { ...operators.byAction }, codes: { ...operators.codes } },
    casConflicts,
    dnsTeam: {
      requests: tally.requests,
      reminders: tally.reminders,
      escalations: tally.escalations,
      corrections: tally.corrections,
      mistakesMade: team.mistakesMade,
      lateAnswers: team.lateRequests(end),
    },
    aws: {
      calls: world.counter.total,
      perDomainPerDay:
        Math.round((world.counter.total / Math.max(1, options.domains) / Math.max(1, options.days)) * 10) / 10,
      byService: { ...world.counter.byService },
    },
    runs,
    steps,
    faultsInjected: faults.injected,
    crashes: faults.crashes,
    failedRuns,
    concurrentInvocations,
    divergentInvocations,
    checks: { ...checker.checks },
    limits: {
      throttled: world.limits.throttled(),
      accessDenied: [...world.limits.denied.values()].reduce((a, b) => a + b, 0),
    },
    wallMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
  };
}
