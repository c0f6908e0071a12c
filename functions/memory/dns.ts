/**
 * A simulated DNS, as it is:
 *
 * - Zones, each served by several authoritative servers (`authoritative:ns1` … `nsN`). An external zone
 *   (a DNS team's) has a primary and secondaries that pick a change up after a lag — seconds to minutes,
 *   and sometimes (a NOTIFY lost) only at the next SOA refresh, serving the old data meanwhile. A Route 53
 *   zone's servers pick a change up at different moments before the change is INSYNC.
 * - Each zone's SOA gives its negative-caching TTL (RFC 2308): an NXDOMAIN / NODATA may be cached that
 *   long, whatever a client assumes. Answers carry the TTLs (`ttl`, `negativeTtl`), as on the wire.
 * - Caching public resolvers that ask one of the zone's servers (any of them, as real resolvers do) and
 *   keep the answer for its TTL (positive) or the zone's negative TTL (NXDOMAIN / NODATA).
 * - A `DnsObserver` that asks every authoritative server of the zone and every resolver, like the real
 *   verifier — one answer per server — where lookups may fail (SERVFAIL, timeouts) as the world decides.
 *
 * Names outside any registered zone are served by one server with no lag (small tests need no zones).
 */
import type { TxtAnswer } from '../dkim/dns-answer';
import type { Clock, DnsObserver } from '../lifecycle/ports';

/** What one name holds: TXT records (each its character-strings) or a CNAME, with a TTL. */
export interface RRset {
  readonly txt?: readonly (readonly string[])[];
  readonly cname?: string;
  readonly ttl: number;
}

/** A zone and how its servers behave. */
export interface ZoneOptions {
  /** The zone's apex, e.g. `example.jp`. */
  readonly apex: string;
  /** How many authoritative servers serve it (the first is the primary). @default 1 */
  readonly servers?: number;
  /** The SOA's negative-caching TTL in seconds: min(SOA TTL, SOA minimum). @default 900 (Route 53's) */
  readonly negativeTtl?: number;
  /**
   * When server `index` answers with a change set for `from`, relative to `from` (ms; may be negative for
   * Route 53, whose servers pick a change up before it is INSYNC). @default 0 for every server
   */
  readonly lag?: (index: number, name: string, from: number) => number;
}

interface Zone {
  readonly apex: string;
  readonly servers: number;
  readonly negativeTtl: number;
  readonly lag?: (index: number, name: string, from: number) => number;
}

interface Entry {
  /** The moment the change was made (Route 53: when it is INSYNC). */
  readonly from: number;
  /** When each server of the zone answers with it. */
  readonly visible: readonly number[];
  readonly rrset: RRset | undefined;
}

/** How many past versions of a name are kept (enough for cache windows; names change rarely). */
const HISTORY = 6;
const MAX_CNAME_DEPTH = 8;
/** Answers kept per name and server (a name's history, plus the CNAME targets' changes). */
const ANSWERS_KEPT = 2 * HISTORY;

interface CachedAnswer {
  readonly server: string;
  readonly entries: readonly (Entry | undefined)[];
  readonly result: { answer: TxtAnswer; ttl: number };
}

/** The records of a negative answer: one shared list, so that equal answers from any server compare equal. */
const NO_RECORDS: readonly (readonly string[])[] = Object.freeze([]);

function sameEntries(a: readonly (Entry | undefined)[], b: readonly (Entry | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
/** Route 53's default SOA: negative answers cached 900 s. */
export const DEFAULT_NEGATIVE_TTL = 900;

/** The label of authoritative server `index` (0-based): `authoritative:ns1`, `authoritative:ns2`, … */
export function serverLabel(index: number): string {
  return `authoritative:ns${index + 1}`;
}

export const AUTHORITATIVE_SERVER = serverLabel(0);

const indexOfLabel = new Map<string, number>();

function serverIndex(server: string): number {
  let index = indexOfLabel.get(server);
  if (index === undefined) {
    const match = /^authoritative:ns(\d+)$/.exec(server);
    index = match ? Number(match[1]) - 1 : 0;
    indexOfLabel.set(server, index);
  }
  return index;
}

const labelLists: string[][] = [];

/** `ns1` … `ns<count>` (shared, frozen lists). */
function labels(count: number): readonly string[] {
  let list = labelLists[count];
  if (!list) {
    list = Object.freeze(Array.from({ length: count }, (_, i) => serverLabel(i))) as string[];
    labelLists[count] = list;
  }
  return list;
}

const DEFAULT_ZONE: Zone = { apex: '', servers: 1, negativeTtl: DEFAULT_NEGATIVE_TTL };

/** A 32-bit mix of numbers and strings (deterministic, for seeded lags and choices). */
export function mix(seed: number, ...parts: readonly (string | number)[]): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const part of parts) {
    const text = typeof part === 'number' ? String(part) : part;
    for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ 0x2f, 0x01000193) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** `mix` of a hash and an integer (cheap: for hashes taken again and again with a changing number). */
export function mixInt(h: number, n: number): number {
  let x = (h ^ Math.imul(n | 0, 0x9e3779b1) ^ Math.floor(n / 4294967296)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** A uniform number in [0, 1) from `mix`. */
export function unit(seed: number, ...parts: readonly (string | number)[]): number {
  return mix(seed, ...parts) / 4294967296;
}

/**
 * A DNS team's zone: the primary answers at once; each secondary after a NOTIFY and a zone transfer
 * (2 s – `maxLagMs`), except that with probability `staleRate` a secondary misses the NOTIFY and serves
 * the old data until its next SOA refresh (`refreshMs` range).
 */
export function secondaryLag(
  seed: number,
  options: { maxLagMs?: number; staleRate?: number; refreshMs?: readonly [number, number] } = {},
): (index: number, name: string, from: number) => number {
  const maxLag = options.maxLagMs ?? 5 * 60_000;
  const stale = options.staleRate ?? 0.05;
  const [r0, r1] = options.refreshMs ?? [20 * 60_000, 2 * 3_600_000];
  return (index, name, from) => {
    if (index === 0) return 0;
    if (unit(seed, 'stale', index, name, from) < stale)
      return r0 + unit(seed, 'refresh', index, name, from) * (r1 - r0);
    return 2_000 + unit(seed, 'lag', index, name, from) * (maxLag - 2_000);
  };
}

/** A Route 53 zone: each of its servers picks a change up at some moment before the change is INSYNC. */
export function route53Lag(seed: number, syncMs: number): (index: number, name: string, from: number) => number {
  return (index, name, from) => -Math.floor(unit(seed, 'r53', index, name, from) * syncMs * 0.9);
}

export class SimDns {
  private readonly names = new Map<string, Entry[]>();
  /**
   * Answers per name and server, with the entries they came from: the same data gives the same answer
   * object (consumers memoize on identity), also when checkers ask about past moments between runs.
   */
  private readonly answers = new Map<string, CachedAnswer[][]>();
  private readonly zones = new Map<string, Zone>();
  private readonly zoneOfName = new Map<string, Zone>();

  /** Registers a zone: names at or under its apex are served by its servers (the longest apex wins). */
  addZone(options: ZoneOptions): void {
    const apex = options.apex.toLowerCase().replace(/\.$/, '');
    this.zones.set(apex, {
      apex,
      servers: Math.max(1, options.servers ?? 1),
      negativeTtl: options.negativeTtl ?? DEFAULT_NEGATIVE_TTL,
      ...(options.lag ? { lag: options.lag } : {}),
    });
    this.zoneOfName.clear();
  }

  private zone(name: string): Zone {
    const hit = this.zoneOfName.get(name);
    if (hit) return hit;
    let zone = DEFAULT_ZONE;
    for (let at = name; ; ) {
      const found = this.zones.get(at);
      if (found) {
        zone = found;
        break;
      }
      const dot = at.indexOf('.');
      if (dot < 0) break;
      at = at.slice(dot + 1);
    }
    this.zoneOfName.set(name, zone);
    return zone;
  }

  /** The authoritative servers of the zone `name` is in, primary first. */
  servers(name: string): readonly string[] {
    return labels(this.zone(name.toLowerCase()).servers);
  }

  /**
   * The labels to ask for `name` at `t` so that every server of every zone on its CNAME chain is asked:
   * `ns1` … `nsK`, K the most servers of any zone on the chain (a zone with fewer is asked at `index mod n`).
   */
  serversFor(name: string, t: number): readonly string[] {
    let current = name.toLowerCase();
    let count = this.zone(current).servers;
    for (let depth = 0; depth < MAX_CNAME_DEPTH; depth += 1) {
      const cname = this.entry(current, t, 0)?.rrset?.cname;
      if (!cname) break;
      current = cname.toLowerCase();
      count = Math.max(count, this.zone(current).servers);
    }
    return labels(count);
  }

  /** The zone's SOA negative-caching TTL (seconds) for `name`. */
  negativeTtl(name: string): number {
    return this.zone(name.toLowerCase()).negativeTtl;
  }

  /** Publishes `rrset` (undefined: deletes the name) as made at `from`; each server answers with it after its lag. */
  set(name: string, rrset: RRset | undefined, from: number): void {
    const key = name.toLowerCase();
    const zone = this.zone(key);
    const visible = Array.from({ length: zone.servers }, (_, i) => from + (zone.lag ? zone.lag(i, key, from) : 0));
    const history = this.names.get(key) ?? [];
    // A change made earlier than a pending one replaces it (Route 53 applies in order).
    while (history.length > 0 && history[history.length - 1]!.from >= from) history.pop();
    history.push({ from, visible, rrset });
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    this.names.set(key, history);
  }

  /** The newest change server `index` answers with at `t` (a secondary that catches up skips to the newest). */
  private entry(name: string, t: number, index: number): Entry | undefined {
    const history = this.names.get(name);
    if (!history) return undefined;
    for (let i = history.length - 1; i >= 0; i -= 1) {
      const e = history[i]!;
      if (e.visible[index % e.visible.length]! <= t) return e;
    }
    return undefined;
  }

  /** The rrset of a name at time `t` on `server` (default: the primary). */
  at(name: string, t: number, server: string = AUTHORITATIVE_SERVER): RRset | undefined {
    return this.entry(name.toLowerCase(), t, serverIndex(server))?.rrset;
  }

  /**
   * Times within (from, to] at which what a server answers for `name` changed: on `server`, or on any
   * server of the zone when none is given.
   */
  changesBetween(name: string, from: number, to: number, server?: string): number[] {
    const history = this.names.get(name.toLowerCase());
    if (!history) return [];
    const times: number[] = [];
    const only = server === undefined ? undefined : serverIndex(server);
    for (const e of history) {
      const visible = e.visible;
      for (let i = 0; i < visible.length; i += 1) {
        const t = visible[i]!;
        if ((only === undefined || i === only % visible.length) && t > from && t <= to) times.push(t);
      }
    }
    if (times.length < 2) return times;
    times.sort((a, b) => a - b);
    // Distinct times, in order.
    let kept = 1;
    for (let i = 1; i < times.length; i += 1) if (times[i] !== times[kept - 1]) times[kept++] = times[i]!;
    times.length = kept;
    return times;
  }

  /**
   * What `server` answers at `t`, following CNAMEs (a hop into a zone with fewer servers is asked at
   * `index mod n`). `ttl`: the positive TTL (the smallest on the chain), or for a negative answer the
   * negative TTL — the longest SOA negative TTL of the zones on the chain (the answer's `negativeTtl`).
   * Answers are shared objects while the data is unchanged, so consumers can memoize on identity.
   */
  resolve(name: string, t: number, server: string = AUTHORITATIVE_SERVER): { answer: TxtAnswer; ttl: number } {
    const index = serverIndex(server);
    const lower = name.toLowerCase();
    const chain: string[] = [];
    const entries: (Entry | undefined)[] = [];
    let current = lower;
    let ttl = Number.POSITIVE_INFINITY;
    let rrset: RRset | undefined;
    // The longest negative TTL of the zones on the chain: an NXDOMAIN for any hop may be cached that long.
    let negativeTtl = 0;
    for (let depth = 0; depth <= MAX_CNAME_DEPTH; depth += 1) {
      negativeTtl = Math.max(negativeTtl, this.zone(current).negativeTtl);
      const entry = this.entry(current, t, index);
      entries.push(entry);
      rrset = entry?.rrset;
      if (rrset) ttl = Math.min(ttl, rrset.ttl);
      if (!rrset?.cname) break;
      chain.push(rrset.cname);
      current = rrset.cname.toLowerCase();
    }
    // The same entries on the whole chain as an earlier answer: the same answer object.
    let slots = this.answers.get(lower);
    if (!slots) {
      slots = [];
      this.answers.set(lower, slots);
    }
    const cached = (slots[index] ??= []);
    for (const c of cached) {
      if (c.server === server && sameEntries(c.entries, entries)) return c.result;
    }
    const records = rrset?.txt ?? NO_RECORDS;
    const outcome: TxtAnswer['outcome'] = records.length > 0 ? 'answer' : rrset ? 'nodata' : 'nxdomain';
    const answer: TxtAnswer = {
      name,
      outcome,
      records,
      cnameChain: chain,
      server,
      ...(outcome === 'answer' ? { ttl } : {}),
      negativeTtl,
    };
    const result = { answer, ttl: outcome === 'answer' ? ttl : negativeTtl };
    cached.push({ server, entries, result });
    if (cached.length > ANSWERS_KEPT) cached.shift();
    return result;
  }
}

/**
 * A public recursive resolver: answers from its cache until the TTL runs out; on a miss it asks one of
 * the zone's authoritative servers (chosen by `seed`, the name and the second — stale secondaries
 * included), and caches negative answers for the zone's SOA negative TTL.
 */
export class CachingResolver {
  private readonly cache = new Map<string, { answer: TxtAnswer; expiresAt: number; source: TxtAnswer }>();
  private readonly bases = new Map<string, number>();

  constructor(
    readonly server: string,
    private readonly dns: SimDns,
    /** Seeds the choice of authoritative server; undefined: always the primary. */
    private readonly seed?: number,
  ) {}

  private fetch(name: string, t: number): { answer: TxtAnswer; ttl: number } {
    const servers = this.seed === undefined ? [AUTHORITATIVE_SERVER] : this.dns.servers(name);
    let choice = 0;
    if (servers.length > 1) {
      let base = this.bases.get(name);
      if (base === undefined) {
        base = mix(this.seed ?? 0, this.server, name);
        this.bases.set(name, base);
      }
      choice = mixInt(base, Math.floor(t / 1000)) % servers.length;
    }
    return this.dns.resolve(name, t, servers[choice]);
  }

  private relabel(source: TxtAnswer, hit?: { answer: TxtAnswer; source: TxtAnswer }): TxtAnswer {
    // The same data from another server: keep the answer object (consumers memoize on identity).
    if (
      hit &&
      (hit.source === source ||
        (hit.source.outcome === source.outcome &&
          hit.source.records === source.records &&
          hit.source.cnameChain.join(' ') === source.cnameChain.join(' ')))
    )
      return hit.answer;
    return { ...source, server: this.server };
  }

  query(name: string, t: number): TxtAnswer {
    const key = name.toLowerCase();
    const hit = this.cache.get(key);
    if (hit && t < hit.expiresAt) return hit.answer;
    const { answer: source, ttl } = this.fetch(name, t);
    const answer = this.relabel(source, hit);
    this.cache.set(key, { answer, source, expiresAt: t + ttl * 1000 });
    return answer;
  }

  /** What the resolver would answer at `t`, without filling its cache (for checkers). */
  peek(name: string, t: number): TxtAnswer {
    const hit = this.cache.get(name.toLowerCase());
    if (hit && t < hit.expiresAt) return hit.answer;
    return this.relabel(this.fetch(name, t).answer, hit);
  }

  /** Forgets a cached answer (tests). */
  flush(name: string): void {
    this.cache.delete(name.toLowerCase());
  }
}

/** Which servers answer with a failure instead (the simulation's DNS flakiness); default: none. */
export type DnsFlake = (server: string, name: string) => TxtAnswer['outcome'] | undefined;

/**
 * The observer the reconciler uses: one answer per authoritative server of the zone (every server of
 * every zone on the CNAME chain) plus every public resolver's.
 */
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
    const servers = this.dns.serversFor(name, t);
    this.lookups += servers.length + this.resolvers.length;
    const answers = [
      ...servers.map((server) => this.dns.resolve(name, t, server).answer),
      ...this.resolvers.map((r) => r.query(name, t)),
    ];
    return answers.map((answer) => {
      const failure = this.flake(answer.server ?? '', name);
      return failure ? { name, outcome: failure, records: [], cnameChain: [], server: answer.server } : answer;
    });
  }
}
