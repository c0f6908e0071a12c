/**
 * A whole simulated world: one clock, DNS (authoritative data, public resolvers, SES's resolver), SES,
 * Route 53, the key store, the state store, the notifier, metrics, logs — and the ports the reconciler
 * sees, with faults injected on every AWS call. Tests build small worlds; `simulate` builds big ones.
 */
import { dkimRecordName } from '../core/names';
import { formatRecordValue, splitIntoStrings } from '../dkim/record';
import { CachingResolver, MemoryDnsObserver, SimDns, type DnsFlake } from '../memory/dns';
import { NO_FAULTS, newCallCounter, withFaults, type CallCounter, type FaultPlan } from '../memory/faults';
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
} from '../memory/services';
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
  readonly dnsFlake?: DnsFlake;
  readonly route53SyncMs?: number;
}

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
  /** The current fault plan (swap it to change faults mid-run). */
  faults: FaultPlan;
  /** The ports the reconciler uses: faults and call counting on every AWS call. */
  readonly ports: LifecyclePorts;
  /** The same services without faults or counting (replays, checkers). */
  readonly cleanPorts: LifecyclePorts;
  readonly specs = new Map<string, DomainSpec>();

  constructor(options: WorldOptions) {
    this.clock = new ManualClock(options.start);
    this.resolvers = [
      new CachingResolver('resolver:8.8.8.8', this.dns),
      new CachingResolver('resolver:1.1.1.1', this.dns),
    ];
    this.sesResolver = new CachingResolver('resolver:ses', this.dns);
    this.ses = new MemorySes(this.clock, this.sesResolver);
    this.route53 = new MemoryRoute53(this.clock, this.dns, options.route53SyncMs);
    this.keyStore = new MemoryKeyStore(this.clock);
    this.observer = new MemoryDnsObserver(this.dns, this.resolvers, this.clock, options.dnsFlake);
    this.keyGenerator = Array.isArray(options.keys)
      ? new KeyPool(options.keys as KeyPair[])
      : (options.keys as KeyGenerator);
    this.faults = options.faults ?? NO_FAULTS;
    const plan = () => this.faults;
    const wrap = <T extends object>(port: T, service: string) =>
      withFaults(port, service, plan, this.counter, options.gate);
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

  /** Registers a domain: its hosted zone (route53 / delegated) and its SES identity as it is today. */
  addDomain(spec: DomainSpec, identity: IdentitySetup): void {
    this.specs.set(spec.domain, spec);
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
