/**
 * The real {@link DnsObserver}: asks every authoritative name server of the record's zone (found by NS
 * lookup and cached for a short time) and every configured recursive resolver, each on its own timeout
 * and retries, through the DNS verifier's `findAuthoritativeServers` and `lookupTxt` (UDP with TCP
 * fallback, CNAMEs followed, each TXT record's character-strings kept apart).
 *
 * One answer per server, labelled `authoritative:<ns name>@<host:port>` or `resolver:<host:port>` (the
 * lifecycle tells them apart by that prefix). A server that fails is an answer with a failure outcome,
 * never an exception; when the zone's name servers cannot be found at all, the answer list says so with
 * one failed `authoritative:<domain>` answer, so that resolvers alone never verify a record.
 */
import type { TxtAnswer } from '../dkim/dns-answer';
import type { DnsObserver } from '../lifecycle/ports';
import { ValidationError } from '../core/errors';
import { DnsLookupError } from '../dkim/errors';
import { normaliseName } from './dns-message';
import { formatServerAddress, parseServerAddress, type DnsServerAddress, type DnsTransport } from './dns-transport';
import {
  DEFAULT_RESOLVERS,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  findAuthoritativeServers,
  lookupTxt,
  type DnsVerifierOptions,
} from './dns-verifier';

/** How long a zone's name servers are reused before they are looked up again. */
export const DEFAULT_NAME_SERVER_CACHE_MS = 5 * 60 * 1000;

export interface NetworkDnsObserverOptions {
  /** Recursive resolvers asked for every record (`host` or `host:port`). Default: 8.8.8.8, 1.1.1.1, 9.9.9.9. */
  readonly resolvers?: readonly string[];
  /** Resolvers used to find name servers (and to follow a CNAME into another zone). Default: `resolvers`. */
  readonly discoveryResolvers?: readonly string[];
  /** `discover` (default): the zone's name servers, by NS lookup; a list: these servers; `none`: none. */
  readonly authoritative?: 'discover' | 'none' | readonly string[];
  /** The port discovered name servers are asked on (53; tests point it at a loopback server). */
  readonly nameServerPort?: number;
  /** Per-try timeout for every server, in milliseconds. */
  readonly timeoutMs?: number;
  /** Further tries after a timeout, for every server. */
  readonly retries?: number;
  /** How long discovered name servers are reused (default 5 minutes). Failed discoveries are not kept. */
  readonly nameServerCacheMs?: number;
  /** The clock of the cache, epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** Sends the queries (default: UDP with TCP fallback). */
  readonly transport?: DnsTransport;
}

interface Target {
  readonly label: string;
  readonly address: DnsServerAddress;
}

type Discovery = { readonly servers: readonly Target[] } | { readonly failed: string };

export class NetworkDnsObserver implements DnsObserver {
  private readonly resolvers: readonly Target[];
  private readonly fixed: readonly Target[] | undefined;
  private readonly discover: boolean;
  private readonly verifierOptions: DnsVerifierOptions;
  private readonly cacheMs: number;
  private readonly now: () => number;
  /** Discovered name servers by the name discovery starts from (`_domainkey.<domain>`), in flight or done. */
  private readonly cache = new Map<string, { readonly expires: number; readonly discovery: Promise<Discovery> }>();

  constructor(options: NetworkDnsObserverOptions = {}) {
    const resolvers = options.resolvers ?? DEFAULT_RESOLVERS;
    this.resolvers = resolvers.map((s) => {
      const address = parseServerAddress(s);
      return { label: `resolver:${formatServerAddress(address)}`, address };
    });
    const authoritative = options.authoritative ?? 'discover';
    this.discover = authoritative === 'discover';
    this.fixed =
      typeof authoritative === 'string'
        ? undefined
        : authoritative.map((s) => {
            const address = parseServerAddress(s);
            return { label: `authoritative:${formatServerAddress(address)}`, address };
          });
    if (!this.discover && !this.fixed?.length && this.resolvers.length === 0) {
      throw new ValidationError('NO_DNS_SERVERS', 'no DNS server to ask: give resolvers or authoritative servers');
    }
    const discoveryResolvers = options.discoveryResolvers ?? (resolvers.length ? resolvers : DEFAULT_RESOLVERS);
    discoveryResolvers.forEach((s) => parseServerAddress(s));
    this.verifierOptions = {
      resolvers: discoveryResolvers,
      discoveryResolvers,
      nameServerPort: options.nameServerPort ?? 53,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: options.retries ?? DEFAULT_RETRIES,
      ...(options.transport ? { transport: options.transport } : {}),
    };
    this.cacheMs = options.nameServerCacheMs ?? DEFAULT_NAME_SERVER_CACHE_MS;
    this.now = options.now ?? Date.now;
  }

  async lookupTxt(name: string): Promise<readonly TxtAnswer[]> {
    const qname = normaliseName(name);
    const [authoritative, resolvers] = await Promise.all([
      this.askAuthoritative(qname),
      Promise.all(this.resolvers.map((t) => this.ask(t, qname, 'resolver'))),
    ]);
    return [...authoritative, ...resolvers];
  }

  private async askAuthoritative(qname: string): Promise<TxtAnswer[]> {
    if (this.fixed) return Promise.all(this.fixed.map((t) => this.ask(t, qname, 'authoritative')));
    if (!this.discover) return [];
    const start = discoveryStart(qname);
    const discovery = await this.nameServers(start);
    if ('failed' in discovery) {
      // No server to ask is not "no answer": one failed authoritative answer keeps the record unverified.
      const domain = start.replace(/^_domainkey\./, '');
      return [{ name: qname, outcome: 'servfail', records: [], cnameChain: [], server: `authoritative:${domain}` }];
    }
    return Promise.all(discovery.servers.map((t) => this.ask(t, qname, 'authoritative')));
  }

  private async ask(target: Target, qname: string, role: 'authoritative' | 'resolver'): Promise<TxtAnswer> {
    const { answer } = await lookupTxt(target.address, qname, role, this.verifierOptions);
    return { ...answer, server: target.label };
  }

  /** The name servers of the zone holding `start`, from the cache while it is fresh; concurrent callers share one lookup. */
  private nameServers(start: string): Promise<Discovery> {
    const now = this.now();
    const cached = this.cache.get(start);
    if (cached && cached.expires > now) return cached.discovery;
    const discovery = findAuthoritativeServers(start, this.verifierOptions).then(
      (found): Discovery => ({
        servers: found.servers.map((s) => ({
          label: `authoritative:${s.nameServer}@${formatServerAddress(s.address)}`,
          address: s.address,
        })),
      }),
      (error: unknown): Discovery => {
        if (!(error instanceof DnsLookupError)) throw error;
        if (this.cache.get(start)?.discovery === discovery) this.cache.delete(start);
        return { failed: error.message };
      },
    );
    this.cache.set(start, { expires: now + this.cacheMs, discovery });
    return discovery;
  }
}

/**
 * Where the zone search starts: `_domainkey.<domain>` for a DKIM record name (so every selector of a
 * domain shares one cache entry), otherwise the name's parent.
 */
function discoveryStart(qname: string): string {
  const labels = qname.split('.');
  const at = labels.indexOf('_domainkey');
  return at >= 0 ? labels.slice(at).join('.') : labels.slice(labels.length > 2 ? 1 : 0).join('.');
}
