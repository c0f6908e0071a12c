/**
 * The data contract between DNS observation (the real verifier in `dns-verifier.ts`, the simulated DNS
 * of the lifecycle engine) and the record diagnosis (`diagnosis.ts`). Plain data, no I/O.
 */

/** What one DNS server said for a TXT query at one name. */
export interface TxtAnswer {
  /** The name that was asked, e.g. `mail-prod-20250907-1._domainkey.example.com`. */
  readonly name: string;
  /**
   * `answer`: the name exists and has TXT records (see `records`); `nodata`: the name exists without TXT;
   * `nxdomain`: the name does not exist. The lookup failed, so nothing is known about the record:
   * `servfail` (a SERVFAIL answer, or a response that could not be used), `refused` (a DNS answer with
   * rcode REFUSED: the server runs but declines the question), `timeout` (no response in time),
   * `unreachable` (no DNS response at all: the server's name does not resolve, the connection was refused
   * (ICMP port unreachable), or there is no route; see `socketError`).
   */
  readonly outcome: 'answer' | 'nodata' | 'nxdomain' | LookupFailure;
  /** Every TXT record at the name, each as its character-strings in wire order (each ≤ 255 octets). */
  readonly records: readonly (readonly string[])[];
  /** CNAME targets followed to reach the records, in order; empty when the name held the TXT itself. */
  readonly cnameChain: readonly string[];
  /** Which server answered (`host:port` or a resolver name), for per-server reports. */
  readonly server?: string;
  /** For `unreachable`: the system error code, e.g. `ENOTFOUND`, `ECONNREFUSED`, `EHOSTUNREACH`. */
  readonly socketError?: string;
  /**
   * For `answer`: the TTL of the records in seconds (through a CNAME, the smallest on the chain), as the
   * server gave it (a resolver's is what remains of its cache time). Absent when unknown.
   */
  readonly ttl?: number;
  /**
   * The zone's negative-caching TTL in seconds (RFC 2308: min of the SOA's TTL and MINIMUM), how long an
   * NXDOMAIN / NODATA for a name in the zone may be cached. Absent when unknown.
   */
  readonly negativeTtl?: number;
}

/** The outcomes of a lookup that failed: they say nothing about the record. */
export const LOOKUP_FAILURES = ['servfail', 'refused', 'timeout', 'unreachable'] as const;
export type LookupFailure = (typeof LOOKUP_FAILURES)[number];

export function isLookupFailure(outcome: TxtAnswer['outcome']): outcome is LookupFailure {
  return (LOOKUP_FAILURES as readonly string[]).includes(outcome);
}

/** What is wrong with a published DKIM record, or `match`. One code per mistake people make by hand. */
export type DiagnosisCode =
  | 'match'
  | 'no-record'
  | 'wrong-key'
  | 'key-truncated'
  | 'quoted-value'
  | 'domain-appended-twice'
  | 'multiple-records'
  | 'revoked'
  | 'malformed'
  | 'weak-key'
  | 'whitespace-in-key'
  | 'testing-flag'
  | 'lookup-failed';

export interface RecordDiagnosis {
  readonly code: DiagnosisCode;
  /** True only for `match`: the record is exactly the one expected (reaching it through a CNAME is fine). */
  readonly ok: boolean;
  /** Set when the record was reached through a CNAME (reported, not an error). */
  readonly viaCname?: readonly string[];
  /** What is wrong and what to do, for humans: English and Japanese (DNS-team change requests use both). */
  readonly message: { readonly en: string; readonly ja: string };
}

/** The record a selector should have: its name parts and the public key (base64 DER SubjectPublicKeyInfo). */
export interface ExpectedRecord {
  readonly selector: string;
  /** The domain as an A-label. */
  readonly domain: string;
  readonly publicKey: string;
}
