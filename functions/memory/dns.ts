/**
 * A simulated DNS: the authoritative data of every zone (with a short history, so the simulation can ask
 * what was published at any recent moment), caching public resolvers that lag by the TTL (positive
 * answers) or the negative-cache time (NXDOMAIN), and a `DnsObserver` that asks the authoritative
 * servers and every resolver, like the real verifier.
 */
import type { TxtAnswer } from '../dkim/dns-answer';
import type { Clock, DnsObserver } from '../lifecycle/ports';
import { NEGATIVE_CACHE_SECONDS } from '../lifecycle/protocol';

/** What one name holds: TXT records (each its character-strings) or a CNAME, with a TTL. */
export interface RRset {
  readonly txt?: readonly (readonly string[])[];
  readonly cname?: string;
  readonly ttl: number;
}

interface Entry {
  /** From when the authoritative servers answer with this (Route 53: once the change is INSYNC). */
  readonly from: number;
  readonly rrset: RRset | undefined;
}

/** How many past versions of a name are kept (enough for cache windows; names change rarely). */
const HISTORY = 6;
const MAX_CNAME_DEPTH = 8;

export const AUTHORITATIVE_SERVER = 'authoritative:ns1';

export class SimDns {
  private readonly names = new Map<string, Entry[]>();
  private readonly answers = new Map<string, { key: unknown[]; answer: TxtAnswer }>();

  /** Publishes `rrset` (undefined: deletes the name) as seen by the authoritative servers from `from`. */
  set(name: string, rrset: RRset | undefined, from: number): void {
    const key = name.toLowerCase();
    const history = this.names.get(key) ?? [];
    // A change that becomes visible earlier than a pending one replaces it (Route 53 applies in order).
    while (history.length > 0 && history[history.length - 1]!.from >= from) history.pop();
    history.push({ from, rrset });
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    this.names.set(key, history);
  }

  private entry(name: string, t: number): Entry | undefined {
    const history = this.names.get(name.toLowerCase());
    if (!history) return undefined;
    for (let i = history.length - 1; i >= 0; i -= 1) if (history[i]!.from <= t) return history[i];
    return undefined;
  }

  /** The authoritative rrset of a name at time `t`. */
  at(name: string, t: number): RRset | undefined {
    return this.entry(name, t)?.rrset;
  }

  /** Times at which the authoritative data of `name` changed, within (from, to]. */
  changesBetween(name: string, from: number, to: number): number[] {
    const history = this.names.get(name.toLowerCase()) ?? [];
    return history.map((e) => e.from).filter((t) => t > from && t <= to);
  }

  /**
   * The authoritative answer at `t`, following CNAMEs. Answers are shared objects while the data is
   * unchanged, so consumers can memoize on identity.
   */
  resolve(name: string, t: number, server: string = AUTHORITATIVE_SERVER): { answer: TxtAnswer; ttl: number } {
    const chain: string[] = [];
    const entries: unknown[] = [server];
    let current = name;
    let ttl = Number.POSITIVE_INFINITY;
    let rrset: RRset | undefined;
    for (let depth = 0; depth <= MAX_CNAME_DEPTH; depth += 1) {
      const entry = this.entry(current, t);
      entries.push(entry);
      rrset = entry?.rrset;
      if (rrset) ttl = Math.min(ttl, rrset.ttl);
      if (!rrset?.cname) break;
      chain.push(rrset.cname);
      current = rrset.cname;
    }
    const cacheKey = `${server}\u0000${name.toLowerCase()}`;
    const cached = this.answers.get(cacheKey);
    if (cached && cached.key.length === entries.length && cached.key.every((e, i) => e === entries[i])) {
      return { answer: cached.answer, ttl: cached.answer.outcome === 'answer' ? ttl : NEGATIVE_CACHE_SECONDS };
    }
    const records = rrset?.txt ?? [];
    const answer: TxtAnswer = {
      name,
      outcome: records.length > 0 ? 'answer' : rrset ? 'nodata' : 'nxdomain',
      records,
      cnameChain: chain,
      server,
    };
    this.answers.set(cacheKey, { key: entries, answer });
    return { answer, ttl: answer.outcome === 'answer' ? ttl : NEGATIVE_CACHE_SECONDS };
  }
}

/** A public recursive resolver: answers from its cache until the TTL runs out. */
export class CachingResolver {
  private readonly cache = new Map<string, { answer: TxtAnswer; expiresAt: number; source: TxtAnswer }>();

  constructor(
    readonly server: string,
    private readonly dns: SimDns,
  ) {}

  query(name: string, t: number): TxtAnswer {
    const key = name.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && t < hit.expiresAt) return hit.answer;
    const { answer: source, ttl } = this.dns.resolve(name, t, AUTHORITATIVE_SERVER);
    const answer = hit && hit.source === source ? hit.answer : { ...source, server: this.server };
    this.cache.set(key, { answer, source, expiresAt: t + ttl * 1000 });
    return answer;
  }

  /** What the resolver would answer at `t`, without filling its cache (for checkers). */
  peek(name: string, t: number): TxtAnswer {
    const hit = this.cache.get(name.toLowerCase());
    if (hit && t < hit.expiresAt) return hit.answer;
    return { ...this.dns.resolve(name, t, AUTHORITATIVE_SERVER).answer, server: this.server };
  }
}

/** Which servers answer with a failure instead (the simulation's DNS flakiness); default: none. */
export type DnsFlake = (server: string, name: string) => TxtAnswer['outcome'] | undefined;

/** The observer the reconciler uses: the authoritative answer plus every public resolver's. */
export class MemoryDnsObserver implements DnsObserver {
  lookups = 0;

  constructor(
    private readonly dns: SimDns,
    readonly resolvers: readonly CachingResolver[],
    private readonly clock: Clock,
    private readonly flake: DnsFlake = () => undefined,
  ) {}

  async lookupTxt(name: string): Promise<readonly TxtAnswer[]> {
    const t = this.clock.now();
    this.lookups += 1 + this.resolvers.length;
    const answers = [this.dns.resolve(name, t).answer, ...this.resolvers.map((r) => r.query(name, t))];
    return answers.map((answer) => {
      const failure = this.flake(answer.server ?? '', name);
      return failure ? { name, outcome: failure, records: [], cnameChain: [], server: answer.server } : answer;
    });
  }
}
