/**
 * DNS verification of a selector's record: asks the zone's authoritative name servers directly (found by
 * NS lookup, walking up from `_domainkey.<domain>`) and a list of recursive resolvers, each with its own
 * timeout and retries, and diagnoses every server's answer. Verified means every server returned the
 * matching record: the authoritative servers prove what is published, the resolvers what mail receivers
 * will see (caches included).
 *
 * Authoritative servers do not follow a CNAME into another zone; the verifier does, by asking that zone's
 * own authoritative servers, so `delegated` selectors are checked the way receivers resolve them.
 */
import { diagnoseRecord } from '../dkim/diagnosis';
import type { ExpectedRecord, LookupFailure, RecordDiagnosis, TxtAnswer } from '../dkim/dns-answer';
import { normaliseName, RCODE, RR_TYPE, type DnsResponse } from './dns-message';
import {
  DnsTransportError,
  formatServerAddress,
  parseServerAddress,
  udpTcpTransport,
  type DnsServerAddress,
  type DnsTransport,
} from './dns-transport';
import { DnsLookupError } from '../dkim/errors';
import { recordName } from '../core/names';

/**
 * The public resolvers the operations team already checks with (`dig @8.8.8.8`, `dig @1.1.1.1`) and Quad9:
 * three operators, so one resolver's stale cache or outage is one answer of three.
 */
export const DEFAULT_RESOLVERS: readonly string[] = ['8.8.8.8', '1.1.1.1', '9.9.9.9'];
export const DEFAULT_TIMEOUT_MS = 3000;
export const DEFAULT_RETRIES = 2;
/** The most CNAMEs followed from the record name before giving up (a loop or a misconfiguration). */
export const MAX_CNAME_CHAIN = 8;

export interface DnsVerifierOptions {
  /** Recursive resolvers asked for the record (`host` or `host:port`). Default: {@link DEFAULT_RESOLVERS}. */
  readonly resolvers?: readonly string[];
  /**
   * Authoritative servers: `discover` (default) finds the zone's name servers by NS lookup through
   * `discoveryResolvers`; a list asks those servers as authoritative; `none` skips them.
   */
  readonly authoritative?: 'discover' | 'none' | readonly string[];
  /**
   * Resolvers used to find name servers and their addresses (also to follow an authoritative server's
   * CNAME into another zone). Default: `resolvers`, or the default resolvers when `resolvers` is empty.
   */
  readonly discoveryResolvers?: readonly string[];
  /** The port discovered name servers are asked on (53; tests point it at a loopback server). */
  readonly nameServerPort?: number;
  /** Per-try timeout for every server, in milliseconds. */
  readonly timeoutMs?: number;
  /** Further tries after a timeout, for every server. */
  readonly retries?: number;
  /** Sends the queries (default: UDP with TCP fallback). */
  readonly transport?: DnsTransport;
}

/** One server's view of the record. */
export interface ServerReport {
  /** `host:port` of the server asked. */
  readonly server: string;
  readonly role: 'authoritative' | 'resolver';
  /** For a discovered authoritative server: its NS name. */
  readonly nameServer?: string;
  readonly answer: TxtAnswer;
  /**
   * The AA (authoritative answer) flag of the server's own response; undefined when it gave none. An
   * `authoritative` server answering without it does not serve the zone (or is a resolver).
   */
  readonly aa?: boolean;
  /** The answer at `<name>.<domain>`, asked when the name itself had no record. */
  readonly doubled?: TxtAnswer;
  readonly diagnosis: RecordDiagnosis;
  /** What went wrong on the wire when the lookup failed (e.g. `connection refused by … (ECONNREFUSED …)`). */
  readonly detail?: string;
}

export interface VerificationReport {
  readonly name: string;
  /** The zone whose name servers were asked, when discovered. */
  readonly zone?: string;
  /** True only when there was at least one server and every server returned the matching record. */
  readonly verified: boolean;
  readonly servers: readonly ServerReport[];
}

interface Settings {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly transport: DnsTransport;
  readonly discovery: readonly DnsServerAddress[];
  readonly nameServerPort: number;
}

function settingsFrom(options: DnsVerifierOptions): Settings {
  const resolvers = options.resolvers?.length ? options.resolvers : DEFAULT_RESOLVERS;
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: options.retries ?? DEFAULT_RETRIES,
    transport: options.transport ?? udpTcpTransport,
    discovery: (options.discoveryResolvers ?? resolvers).map((s) => parseServerAddress(s)),
    nameServerPort: options.nameServerPort ?? 53,
  };
}

type Failure = { failure: LookupFailure; detail: string; socketError?: string };
type Outcome = { response: DnsResponse } | Failure;

async function ask(
  settings: Settings,
  server: DnsServerAddress,
  name: string,
  type: number,
  recursive: boolean,
): Promise<Outcome> {
  try {
    const response = await settings.transport(server, name, type, {
      timeoutMs: settings.timeoutMs,
      retries: settings.retries,
      recursionDesired: recursive,
    });
    return { response };
  } catch (error) {
    if (error instanceof DnsTransportError) {
      // A server that cannot be reached is `unreachable`; `refused` is kept for a DNS REFUSED answer.
      const failure = error.kind === 'timeout' ? 'timeout' : error.kind === 'unreachable' ? 'unreachable' : 'servfail';
      return { failure, detail: error.message, ...(error.socketError ? { socketError: error.socketError } : {}) };
    }
    throw error;
  }
}

/** Asks the resolvers in turn until one gives a definite response (any rcode but SERVFAIL/REFUSED). */
async function askAny(settings: Settings, name: string, type: number): Promise<DnsResponse | undefined> {
  for (const server of settings.discovery) {
    const outcome = await ask(settings, server, name, type, true);
    if (
      'response' in outcome &&
      outcome.response.rcode !== RCODE.SERVFAIL &&
      outcome.response.rcode !== RCODE.REFUSED
    ) {
      return outcome.response;
    }
  }
  return undefined;
}

/** A discovered authoritative server. */
export interface NameServer {
  readonly nameServer: string;
  readonly address: DnsServerAddress;
}

/**
 * Finds the zone holding `name` and its name servers' IPv4 addresses: asks NS for `name`, then for each
 * parent in turn, through the discovery resolvers. Throws a DnsLookupError when no zone is found or the
 * resolvers cannot be reached.
 */
export async function findAuthoritativeServers(
  name: string,
  options: DnsVerifierOptions = {},
): Promise<{ zone: string; servers: NameServer[] }> {
  const settings = settingsFrom(options);
  const labels = normaliseName(name).split('.');
  let answeredAtAll = false;
  for (let i = 0; i < labels.length - 1; i += 1) {
    const candidate = labels.slice(i).join('.');
    const response = await askAny(settings, candidate, RR_TYPE.NS);
    if (!response) continue;
    answeredAtAll = true;
    const hosts = response.answers
      .filter((r) => r.type === RR_TYPE.NS && r.name === candidate && r.target)
      .map((r) => r.target!);
    if (hosts.length === 0) continue;
    const servers: NameServer[] = [];
    for (const host of [...new Set(hosts)].sort()) {
      const glue = response.additionals.filter((r) => r.type === RR_TYPE.A && r.name === host && r.address);
      const addresses = glue.length
        ? glue.map((r) => r.address!)
        : ((await askAny(settings, host, RR_TYPE.A))?.answers ?? [])
            .filter((r) => r.type === RR_TYPE.A && r.address)
            .map((r) => r.address!);
      for (const address of addresses) {
        servers.push({ nameServer: host, address: { host: address, port: settings.nameServerPort } });
      }
    }
    if (servers.length === 0) {
      throw new DnsLookupError(
        'NAME_SERVERS_UNRESOLVED',
        `found the name servers of ${candidate} (${hosts.join(', ')}) but none of their IPv4 addresses`,
      );
    }
    return { zone: candidate, servers };
  }
  throw new DnsLookupError(
    answeredAtAll ? 'ZONE_NOT_FOUND' : 'RESOLVERS_UNREACHABLE',
    answeredAtAll
      ? `could not find the DNS zone of ${name}: no NS records at it or any parent`
      : `could not find the DNS zone of ${name}: no resolver answered (${settings.discovery.map(formatServerAddress).join(', ')})`,
  );
}

function failed(
  name: string,
  server: string,
  failure: LookupFailure,
  chain: string[],
  socketError?: string,
): TxtAnswer {
  return { name, outcome: failure, records: [], cnameChain: chain, server, ...(socketError ? { socketError } : {}) };
}

/** What {@link lookupTxt} found: the answer, what went wrong on the wire, and the first response's AA flag. */
export interface TxtLookup {
  readonly answer: TxtAnswer;
  readonly detail?: string;
  /** The AA flag of `server`'s own response; undefined when it gave none. */
  readonly aa?: boolean;
}

/**
 * What `server` says about the TXT records at `name`, following CNAMEs: in the response itself (resolvers
 * return the whole chain) or, when an authoritative server's chain leaves its zone, through the target
 * zone's own name servers.
 */
export async function lookupTxt(
  server: DnsServerAddress,
  name: string,
  role: 'authoritative' | 'resolver',
  options: DnsVerifierOptions = {},
): Promise<TxtLookup> {
  const settings = settingsFrom(options);
  const label = formatServerAddress(server);
  const qname = normaliseName(name);
  const chain: string[] = [];
  let current = qname;
  /** Name servers of the zone a CNAME led to, still to try; empty while asking `server` itself. */
  let elsewhere: DnsServerAddress[] = [];
  let target = server;
  let aa: boolean | undefined;
  const result = (answer: TxtAnswer, detail?: string): TxtLookup => ({
    answer,
    ...(detail ? { detail } : {}),
    ...(aa === undefined ? {} : { aa }),
  });
  for (let hops = 0; ; hops += 1) {
    const outcome = await ask(settings, target, current, RR_TYPE.TXT, role === 'resolver');
    if ('failure' in outcome) {
      const next = elsewhere.shift();
      if (next) {
        target = next;
        continue;
      }
      return result(failed(qname, label, outcome.failure, chain, outcome.socketError), outcome.detail);
    }
    const { response } = outcome;
    if (target === server) aa = response.aa;
    if (response.rcode === RCODE.REFUSED) {
      return result(failed(qname, label, 'refused', chain), 'the server answered REFUSED (rcode 5)');
    }
    if (response.rcode !== RCODE.NOERROR && response.rcode !== RCODE.NXDOMAIN) {
      return result(failed(qname, label, 'servfail', chain), `rcode ${response.rcode}`);
    }
    // Follow the CNAMEs the response itself carries.
    for (;;) {
      const cname = response.answers.find((r) => r.type === RR_TYPE.CNAME && r.name === current && r.target);
      if (!cname) break;
      if (chain.includes(cname.target!) || cname.target === qname || chain.length >= MAX_CNAME_CHAIN) {
        return result(failed(qname, label, 'servfail', chain), `CNAME loop or chain longer than ${MAX_CNAME_CHAIN}`);
      }
      chain.push(cname.target!);
      current = cname.target!;
    }
    const records = response.answers
      .filter((r) => r.type === RR_TYPE.TXT && r.name === current && r.strings)
      .map((r) => r.strings!);
    if (records.length > 0) {
      // The TTL receivers cache it for: the smallest of the TXT records and the CNAMEs followed.
      const ttl = Math.min(
        ...response.answers
          .filter((r) => (r.type === RR_TYPE.TXT && r.name === current) || r.type === RR_TYPE.CNAME)
          .map((r) => r.ttl),
      );
      return result({ name: qname, outcome: 'answer', records, cnameChain: [...chain], server: label, ttl });
    }
    const inZone = (zone: string) => current === zone || current.endsWith(`.${zone}`);
    const leftTheZone =
      role === 'authoritative' &&
      chain.length > 0 &&
      response.rcode === RCODE.NOERROR &&
      !response.authorities.some((r) => r.type === RR_TYPE.SOA && inZone(r.name));
    if (!leftTheZone || hops >= MAX_CNAME_CHAIN) {
      const outcomeName = response.rcode === RCODE.NXDOMAIN ? 'nxdomain' : 'nodata';
      // RFC 2308 §3: the SOA in a negative answer carries min(SOA TTL, MINIMUM), the negative-caching TTL.
      const soa = response.authorities.find((r) => r.type === RR_TYPE.SOA);
      return result({
        name: qname,
        outcome: outcomeName,
        records: [],
        cnameChain: [...chain],
        server: label,
        ...(soa ? { negativeTtl: soa.ttl } : {}),
      });
    }
    // The chain left this server's zone: ask the target zone's own name servers, as a resolver would.
    try {
      elsewhere = (await findAuthoritativeServers(current, options)).servers.map((s) => s.address);
      target = elsewhere.shift()!;
    } catch (error) {
      if (error instanceof DnsLookupError) return result(failed(qname, label, 'servfail', chain), error.message);
      throw error;
    }
  }
}

/**
 * Verifies a selector's record on every server: the discovered (or given) authoritative servers and the
 * resolvers. Where a server has no record at the name, it is also asked for `<name>.<domain>` to recognise
 * the domain entered twice. Throws a DnsLookupError only when there is no server to ask at all.
 */
export async function verifyDns(
  expected: ExpectedRecord,
  options: DnsVerifierOptions = {},
): Promise<VerificationReport> {
  const name = recordName(expected.selector, expected.domain);
  const targets: { address: DnsServerAddress; role: 'authoritative' | 'resolver'; nameServer?: string }[] = [];
  let zone: string | undefined;
  const authoritative = options.authoritative ?? 'discover';
  if (authoritative === 'discover') {
    const found = await findAuthoritativeServers(`_domainkey.${expected.domain}`, options);
    zone = found.zone;
    for (const s of found.servers)
      targets.push({ address: s.address, role: 'authoritative', nameServer: s.nameServer });
  } else if (authoritative !== 'none') {
    for (const s of authoritative) targets.push({ address: parseServerAddress(s), role: 'authoritative' });
  }
  for (const s of options.resolvers ?? DEFAULT_RESOLVERS) {
    targets.push({ address: parseServerAddress(s), role: 'resolver' });
  }
  if (targets.length === 0) {
    throw new DnsLookupError('NO_DNS_SERVERS', 'no DNS server to ask: give resolvers or authoritative servers');
  }
  const servers = await Promise.all(
    targets.map(async ({ address, role, nameServer }): Promise<ServerReport> => {
      const { answer, detail, aa } = await lookupTxt(address, name, role, options);
      let doubled: TxtAnswer | undefined;
      if (answer.outcome === 'nxdomain' || answer.outcome === 'nodata') {
        doubled = (await lookupTxt(address, `${name}.${expected.domain}`, role, options)).answer;
      }
      return {
        server: formatServerAddress(address),
        role,
        ...(nameServer ? { nameServer } : {}),
        answer,
        ...(aa === undefined ? {} : { aa }),
        ...(doubled ? { doubled } : {}),
        diagnosis: diagnoseRecord(expected, answer, doubled),
        ...(detail ? { detail } : {}),
      };
    }),
  );
  return {
    name,
    ...(zone ? { zone } : {}),
    verified: servers.length > 0 && servers.every((s) => s.diagnosis.ok),
    servers,
  };
}
