/**
 * `byodkim simulate`: many domains, years of simulated time, the real reconciler on an EventBridge-like
 * schedule (every `scheduleHours`, plus `requeueAfter` re-runs like controller-runtime), a simulated DNS
 * team, simulated operators approving manual activations, faults on every AWS call (throttling, 5xx,
 * timeouts, crashes after the side effect), duplicate concurrent invocations (at-least-once delivery) —
 * and the invariant checker after every step. Deterministic: the same options give the same report
 * (except `wallMs`).
 */
import { defaultRenewBeforeDays, DEFAULTS, type DomainSpec } from '../core/spec';
import { decide as coreDecide } from '../lifecycle/decide';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import { observe, reconcile, type DecideFn, type ReconcileResult } from '../lifecycle/reconciler';
import { RandomFaults, SimulatedCrash } from '../memory/faults';
import { realKeyPairs } from '../memory/keys';
import type { KeyPair } from '../lifecycle/ports';
import { SimDnsTeam, type TeamOptions } from './dns-team';
import { EventQueue } from './event-queue';
import { INVARIANT_TITLES, InvariantChecker, SecretScanner, type InvariantNumber, type Violation } from './invariants';
import { Prng } from './prng';
import { World, type IdentitySetup } from './world';
import { initialState, type DomainState } from '../lifecycle/state';

export type SimDnsMode = 'route53' | 'external' | 'delegated' | 'mixed';

export interface SimulationOptions {
  readonly domains: number;
  readonly days: number;
  readonly dnsMode: SimDnsMode;
  /** Probability that any one AWS call fails (and that an invocation is delivered twice). */
  readonly faults: number;
  readonly seed: number;
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
}

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
  readonly unsignedMinutes: number;
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
  /** Checks made per invariant (an invariant the run should have exercised and that checked nothing is a violation). */
  readonly checks: Readonly<Record<InvariantNumber, number>>;
  readonly wallMs: number;
}

const DEFAULT_START = Date.UTC(2026, 0, 5, 0, 0, 0);
const MAX_STEPS = 24;
/** Real RSA-2048 pairs generated once per simulation (see memory/keys.ts): 10 × 150-day rotations > 3 years. */
export const KEY_POOL_SIZE = 10;
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
  const all = options.keyPairs ?? realKeyPairs(KEY_POOL_SIZE + LEGACY_KEYS);
  const pairs = all.slice(0, all.length - LEGACY_KEYS);
  const legacyPairs = all.slice(all.length - LEGACY_KEYS);
  const decide = options.decide ?? coreDecide;
  const faults = new RandomFaults(options.faults, rng.fork('faults'));
  let concurrent = false;
  const interleave = rng.fork('interleave');
  // DNS flakiness is a function of (server, name, minute): a replay in the same minute sees the same world.
  const flakeSeed = rng.fork('dns-flake').int(0, 2 ** 31);
  const flaky = (server: string, name: string, t: number) => {
    let h = flakeSeed ^ Math.floor(t / MINUTE_MS);
    const key = `${server} ${name}`;
    for (let i = 0; i < key.length; i += 1) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    return h / 4294967296 < options.faults / 4;
  };
  const world: World = new World({
    start,
    keys: pairs,
    faults,
    gate: async () => {
      if (!concurrent) return;
      for (let i = interleave.int(0, 2); i > 0; i -= 1) await Promise.resolve();
    },
    dnsFlake: (server: string, name: string) =>
      server.startsWith('resolver') && flaky(server, name, world.clock.now()) ? 'timeout' : undefined,
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
      operatorTouched: () => false,
      sendingFrom: (d) => sendingFrom.get(d),
    },
    scanner,
  );

  // Everything that leaves the key store's boundary is scanned (invariant 6) and counted.
  const tally = { requests: 0, reminders: 0, escalations: 0, corrections: 0 };
  world.stateStore.onWrite = (domain, json) => {
    states.set(domain, json);
    checker.stateWritten(domain, world.clock.now(), json);
  };
  world.stateStore.onEvents = (events) => {
    checker.eventsRecorded(events);
    for (const e of events) {
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
    team.receive(n);
    if (n.kind === 'approval-needed') {
      const at = world.clock.now() + operatorRng.between(1, 48) * HOUR_MS;
      schedule(at, n.domain, () => operatorApprove(n.domain));
    }
  });
  // Keys byodkim generates are "ours" for checks 2–4 as soon as they are stored.
  const create = world.keyStore.create.bind(world.keyStore);
  world.keyStore.create = async (domain, keyId, pair) => {
    checker.noteKey(domain, pair.publicKey, keyId);
    return create(domain, keyId, pair);
  };

  let runs = 0;
  let steps = 0;
  let failedRuns = 0;
  let concurrentInvocations = 0;
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

  async function invoke(domain: string, command?: { action: 'approve' }): Promise<ReconcileResult | 'crashed'> {
    world.forDomain(domain);
    try {
      return await reconcile(world.spec(domain), world.ports, {
        decide,
        maxSteps: MAX_STEPS,
        describe: false,
        ...(command ? { command } : {}),
      });
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

  async function runDomain(domain: string): Promise<void> {
    const now = world.clock.now();
    runs += 1;
    let next: number;
    concurrent = runRng.chance(options.faults);
    if (concurrent) {
      concurrentInvocations += 1;
      const results = await Promise.all([invoke(domain), invoke(domain)]);
      concurrent = false;
      next = Math.min(...results.map((r) => settle(domain, r, now)));
    } else {
      const result = await invoke(domain);
      next = settle(domain, result, now);
      if (result !== 'crashed' && result.outcome === 'done' && result.requeueAfterMs !== 0) await replay(domain, now);
    }
    scheduleRun(domain, Math.min(next, nextPeriodic(domain, now)));
  }

  async function operatorApprove(domain: string): Promise<void> {
    const issuedAt = world.clock.now();
    const result = await invoke(domain, { action: 'approve' });
    // Acknowledged: the command was applied (its step recorded), or the run says done (invariant 9 then
    // finds out whether it was recorded at all).
    if (result !== 'crashed' && result.outcome !== 'refused' && result.outcome !== 'conflict') {
      const step = result.steps.find((s) => s.policy === 'command:approve');
      if (step || result.outcome === 'done')
        checker.commandAcknowledged(domain, {
          action: 'approve',
          issuedAt,
          ...(step ? { version: step.version } : {}),
        });
    }
    if (result === 'crashed' || result.outcome === 'failed' || result.outcome === 'conflict') {
      schedule(world.clock.now() + HOUR_MS, domain, () => operatorApprove(domain));
    }
  }

  for (const domain of domains) {
    checker.account(domain, start);
    scheduleRun(domain, start + offsets.get(domain)!);
  }
  for (;;) {
    const event = queue.peek();
    if (!event || event.at > end) break;
    queue.pop();
    world.clock.set(event.at);
    checker.account(event.domain, event.at);
    await event.run();
    checker.checkDomain(event.domain, event.at);
  }
  world.clock.set(end);
  faults.enabled = false;
  for (const domain of domains) {
    checker.account(domain, end);
    // A last, fault-free run: the replay check is about a run that completed, and the domain's last run may
    // have failed (its backoff over by now) or work may be due since it.
    const result = await invoke(domain);
    checker.checkDomain(domain, end);
    if (result !== 'crashed' && result.outcome === 'done' && result.requeueAfterMs !== 0) await replay(domain, end);
  }

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
    checks: { ...checker.checks },
    wallMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
  };
}
