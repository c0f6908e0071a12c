/**
 * A whole simulated world: one clock, DNS (authoritative data, public resolvers, SES's resolver), SES,
 * Route 53, the key store, the state store, the notifier, metrics, logs — and the ports the reconciler
 * sees, with faults injected on every AWS call. Tests build small worlds; `simulate` builds big ones.
 */
import { dkimRecordName } from '../core/names';
import { formatRecordValue, splitIntoStrings } from '../dkim/record';
import {
  CachingResolver,
  MemoryDnsObserver,
  SimDns,
  mix,
  route53Lag,
  mixInt,
  secondaryLag,
  type DnsFlake,
} from '../memory/dns';
import {
  IAM_ACTIONS,
  NO_FAULTS,
  ROUTE53_RATE,
  ServiceLimits,
  newCallCounter,
  withFaults,
  type AccessDeniedRule,
  type CallCounter,
  type CallTarget,
  type FaultPlan,
  type RateLimit,
} from '../memory/faults';
import { KeyPool } from '../memory/keys';
import {
  ManualClock,
  MemoryKeyStore,
  MemoryLogger,
  MemoryMetrics,
  MemoryNotifier,
  MemoryRoute53,
  MemorySes,
  MemoryStateStore,
  ROUTE53_SYNC_MS,
} from '../memory/services';
import type { TxtAnswer } from '../dkim/dns-answer';
import type { KeyGenerator, KeyPair, LifecyclePorts } from '../lifecycle/ports';
import type { DomainSpec } from '../core/spec';

/** How the SES identity looks before byodkim first runs. */
export type IdentitySetup =
  | { readonly kind: 'easy-dkim' }
  /** BYODKIM with a key the team already has: its record is published at `<selector>._domainkey.<domain>`. */
  | { readonly kind: 'byodkim'; readonly selector: string; readonly pair: KeyPair; readonly ttl: number }
  | { readonly kind: 'none' };

export interface WorldOptions {
  readonly start: number;
  /** A generator, or key pairs for a `KeyPool`. */
  readonly keys: KeyGenerator | readonly KeyPair[];
  readonly faults?: FaultPlan;
  /** Awaited before every AWS call (tests interleave concurrent invocations with it). */
  readonly gate?: () => Promise<void>;
  /** Which lookups fail; default: none, or `realDns.failureRate`'s. */
  readonly dnsFlake?: DnsFlake;
  readonly route53SyncMs?: number;
  /** DNS as it is: several servers per zone, lagging secondaries, SOA negative TTLs, failing lookups. */
  readonly realDns?: RealDnsOptions;
  /** Route 53's API rate for the account (every domain). @default 10 per second, burst 50 */
  readonly route53Rate?: RateLimit | false;
  /** SES's API rate for the account; beyond it `TooManyRequestsException`. @default none */
  readonly sesRate?: RateLimit;
  /** Actions the IAM policy does not allow (AccessDenied), per domain. */
  readonly accessDenied?: readonly AccessDeniedRule[];
}

/** The DNS as it is (seeded): what `WorldOptions.realDns` turns on. */
export interface RealDnsOptions {
  readonly seed: number;
  /**
   * Probability that a lookup fails: a resolver answers SERVFAIL or times out; an authoritative server
   * times out (at a tenth of the rate). Decided per server, name and minute. @default 0
   */
  readonly failureRate?: number;
  /** Probability that a secondary misses a change's NOTIFY and serves old data until its SOA refresh. @default 0.05 */
  readonly staleRate?: number;
  /** The most a secondary lags otherwise (ms). @default 5 minutes */
  readonly maxLagMs?: number;
  /** SOA negative TTLs of DNS teams' zones (one drawn per zone). @default 300, 900, 3600, 10800 s */
  readonly externalNegativeTtls?: readonly number[];
  /** SOA negative TTLs of Route 53 zones (one drawn per zone). @default 900 (Route 53's default), 60, 3600 */
  readonly route53NegativeTtls?: readonly number[];
  /** Secondaries per DNS team's zone, drawn per zone. @default 2–3 */
  readonly secondaries?: readonly number[];
}

const AWS_ACCOUNT = '111122223333';
const AWS_REGION = 'ap-northeast-1';

export class World {
  readonly clock: ManualClock;
  readonly dns = new SimDns();
  readonly resolvers: CachingResolver[];
  readonly sesResolver: CachingResolver;
  readonly ses: MemorySes;
  readonly route53: MemoryRoute53;
  readonly keyStore: MemoryKeyStore;
  readonly stateStore = new MemoryStateStore();
  readonly notifier = new MemoryNotifier();
  readonly metrics = new MemoryMetrics();
  readonly logger = new MemoryLogger();
  readonly observer: MemoryDnsObserver;
  readonly keyGenerator: KeyGenerator;
  readonly counter: CallCounter = newCallCounter();
  /**
   * DNS lookups the world failed (a server timed out or answered SERVFAIL): a run during which this grows
   * could not see every answer, and the checker treats it like a failed run (invariant 11).
   */
  dnsLookupFailures = 0;
  /** The current fault plan (swap it to change faults mid-run). */
  faults: FaultPlan;
  /** The ports the reconciler uses: faults and call counting on every AWS call. */
  readonly ports: LifecyclePorts;
  /** The same services without faults or counting (replays, checkers). */
  readonly cleanPorts: LifecyclePorts;
  readonly specs = new Map<string, DomainSpec>();
  /** Rate limits and AccessDenied rules on the reconciler's calls (not on `cleanPorts`). */
  readonly limits: ServiceLimits;
  private readonly realDns?: RealDnsOptions;
  private readonly syncMs: number;
  private readonly recordOwners = new Map<string, string>();

  constructor(options: WorldOptions) {
    this.clock = new ManualClock(options.start);
    this.realDns = options.realDns;
    this.syncMs = options.route53SyncMs ?? ROUTE53_SYNC_MS;
    const resolverSeed = options.realDns ? mix(options.realDns.seed, 'resolvers') : undefined;
    this.resolvers = [
      new CachingResolver('resolver:8.8.8.8', this.dns, resolverSeed),
      new CachingResolver('resolver:1.1.1.1', this.dns, resolverSeed),
    ];
    this.sesResolver = new CachingResolver('resolver:ses', this.dns, resolverSeed);
    this.ses = new MemorySes(this.clock, this.sesResolver);
    this.route53 = new MemoryRoute53(this.clock, this.dns, this.syncMs);
    this.keyStore = new MemoryKeyStore(this.clock);
    this.observer = new MemoryDnsObserver(
      this.dns,
      this.resolvers,
      this.clock,
      options.dnsFlake ?? (options.realDns?.failureRate ? this.lookupFailures(options.realDns) : undefined),
    );
    this.limits = new ServiceLimits(
      () => this.clock.now(),
      {
        route53: options.route53Rate === false ? undefined : (options.route53Rate ?? ROUTE53_RATE),
        ses: options.sesRate,
      },
      options.accessDenied ?? [],
      (service, method, args) => this.target(service, method, args),
    );
    this.keyGenerator = Array.isArray(options.keys)
      ? new KeyPool(options.keys as KeyPair[])
      : (options.keys as KeyGenerator);
    this.faults = options.faults ?? NO_FAULTS;
    const plan = () => this.faults;
    const wrap = <T extends object>(port: T, service: string) =>
      withFaults(port, service, plan, this.counter, options.gate, this.limits.guard);
    this.cleanPorts = {
      clock: this.clock,
      ses: this.ses,
      dnsWriter: this.route53,
      dnsObserver: this.observer,
      keyStore: this.keyStore,
      keyGenerator: this.keyGenerator,
      stateStore: this.stateStore,
      notifier: this.notifier,
      metrics: this.metrics,
      logger: this.logger,
    };
    this.ports = {
      ...this.cleanPorts,
      ses: wrap(this.ses, 'ses'),
      dnsWriter: wrap(this.route53, 'route53'),
      keyStore: wrap(this.keyStore, 'keyStore'),
      stateStore: wrap(this.stateStore, 'stateStore'),
      notifier: wrap(this.notifier, 'notifier'),
    };
  }

  /** Lookups that fail, per server, name and minute (seeded): a replay in the same minute sees the same. */
  private lookupFailures(real: RealDnsOptions): DnsFlake {
    const rate = real.failureRate ?? 0;
    const bases = new Map<string, Map<string, number>>();
    return (server, name) => {
      let byName = bases.get(server);
      if (!byName) {
        byName = new Map();
        bases.set(server, byName);
      }
      let base = byName.get(name);
      if (base === undefined) {
        base = mix(real.seed, 'flake', server, name);
        byName.set(name, base);
      }
      const u = mixInt(base, Math.floor(this.clock.now() / 60_000)) / 4294967296;
      let failure: TxtAnswer['outcome'] | undefined;
      if (server.startsWith('authoritative')) failure = u < rate / 10 ? 'timeout' : undefined;
      else if (u < rate) failure = u < rate / 2 ? 'servfail' : 'timeout';
      if (failure) this.dnsLookupFailures += 1;
      return failure;
    };
  }

  /** Registers the zones of a domain (DNS as it is): its own zone, and in delegated mode the owned zone. */
  private addZones(spec: DomainSpec): void {
    const real = this.realDns;
    if (!real) return;
    const pick = <T>(items: readonly T[], ...label: string[]) => items[mix(real.seed, ...label) % items.length]!;
    const teamZone = (apex: string) =>
      this.dns.addZone({
        apex,
        servers: 1 + pick(real.secondaries ?? [2, 3], 'secondaries', apex),
        negativeTtl: pick(real.externalNegativeTtls ?? [300, 900, 3600, 10800], 'soa', apex),
        lag: secondaryLag(mix(real.seed, 'lag', apex), {
          ...(real.staleRate !== undefined ? { staleRate: real.staleRate } : {}),
          ...(real.maxLagMs !== undefined ? { maxLagMs: real.maxLagMs } : {}),
        }),
      });
    const route53Zone = (apex: string) =>
      this.dns.addZone({
        apex,
        servers: 4,
        negativeTtl: pick(real.route53NegativeTtls ?? [900, 900, 60, 3600], 'soa', apex),
        lag: route53Lag(mix(real.seed, 'lag', apex), this.syncMs),
      });
    if (spec.dns.kind === 'route53') route53Zone(spec.domain);
    else teamZone(spec.domain);
    if (spec.dns.kind === 'delegated') route53Zone(spec.dns.zoneName);
  }

  /** The IAM action, resource and domain of a reconciler's call (for AccessDenied rules). */
  private target(service: string, method: string, args: readonly unknown[]): CallTarget | undefined {
    const action = IAM_ACTIONS[service]?.[method];
    if (!action) return undefined;
    const first = args[0];
    switch (service) {
      case 'ses':
        return {
          action,
          resource: `arn:aws:ses:${AWS_REGION}:${AWS_ACCOUNT}:identity/${String(first)}`,
          domain: String(first),
        };
      case 'keyStore':
        return {
          action,
          resource: `arn:aws:secretsmanager:${AWS_REGION}:${AWS_ACCOUNT}:secret:byodkim/${String(first)}${args[1] !== undefined && typeof args[1] === 'string' ? `/${args[1]}` : ''}`,
          domain: String(first),
        };
      case 'route53': {
        const name = method === 'upsertTxt' ? String(args[1]).toLowerCase() : undefined;
        return {
          action,
          resource:
            method === 'upsertTxt' ? `arn:aws:route53:::hostedzone/${String(first)}` : `arn:aws:route53:::change/*`,
          ...(name ? { domain: this.ownerOf(name) } : {}),
        };
      }
      case 'stateStore': {
        const domain = typeof first === 'string' ? first : (first as { domain?: string } | undefined)?.domain;
        return { action, resource: `arn:aws:dynamodb:${AWS_REGION}:${AWS_ACCOUNT}:table/byodkim-state`, domain };
      }
      case 'notifier':
        return {
          action,
          resource: `arn:aws:sns:${AWS_REGION}:${AWS_ACCOUNT}:byodkim-notifications`,
          domain: (first as { domain?: string } | undefined)?.domain,
        };
      default:
        return undefined;
    }
  }

  /** The domain a record name byodkim writes belongs to (its selector record, or a delegated slot). */
  private ownerOf(name: string): string | undefined {
    const hit = this.recordOwners.get(name);
    if (hit) return hit;
    for (const spec of this.specs.values()) {
      const owned =
        name.endsWith(`._domainkey.${spec.domain}`) ||
        (spec.dns.kind === 'delegated' &&
          (name === `${spec.selectorPrefix}1.${spec.dns.zoneName}` ||
            name === `${spec.selectorPrefix}2.${spec.dns.zoneName}`));
      if (owned) {
        this.recordOwners.set(name, spec.domain);
        return spec.domain;
      }
    }
    return undefined;
  }

  /** Registers a domain: its hosted zone (route53 / delegated) and its SES identity as it is today. */
  addDomain(spec: DomainSpec, identity: IdentitySetup): void {
    this.specs.set(spec.domain, spec);
    this.addZones(spec);
    if (spec.dns.kind === 'route53') this.route53.addZone({ ref: spec.dns.hostedZoneId, apex: spec.domain });
    if (spec.dns.kind === 'delegated') this.route53.addZone({ ref: spec.dns.zoneName, apex: spec.dns.zoneName });
    if (identity.kind === 'byodkim') {
      const name = dkimRecordName(identity.selector, spec.domain);
      // Published long ago: every resolver cache already holds it.
      const since = this.clock.now() - 365 * 86_400_000;
      this.dns.set(
        name,
        { txt: [splitIntoStrings(formatRecordValue(identity.pair.publicKey))], ttl: identity.ttl },
        since,
      );
      this.ses.createIdentity(spec.domain, {
        kind: 'byodkim',
        selector: identity.selector,
        publicKey: identity.pair.publicKey,
      });
    } else {
      this.ses.createIdentity(spec.domain, identity);
    }
  }

  spec(domain: string): DomainSpec {
    const spec = this.specs.get(domain);
    if (!spec) throw new Error(`unknown domain ${domain}`);
    return spec;
  }

  /** Selects the domain the key pool draws for (a pool walks each domain's keys in turn). */
  forDomain(domain: string): void {
    if (this.keyGenerator instanceof KeyPool) this.keyGenerator.domain = domain;
  }
}
