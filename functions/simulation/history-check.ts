/**
 * The invariant checker over a RECORDED history: what a test against real services (moto, DNS servers on
 * loopback, the strict SES fake) saw happen, instead of the simulated world. The same
 * {@link InvariantChecker} judges it, through read-only views that answer its questions from the record:
 *
 * - **DNS** as each server served it over time: every change of a name on a server (authoritative servers
 *   and public resolvers alike), with the TTLs the answers carried and each zone's negative TTL;
 * - **SES** as it was configured over time (origin, selector, key, signing enabled), and its switches
 *   (`PutEmailIdentityDkimSigningAttributes`); whether SES signs at a moment is decided the way SES decides
 *   it — signing enabled, and for an external key a record at `<selector>._domainkey.<domain>` on the
 *   authoritative server that carries `v=DKIM1` and exactly the key — re-evaluated at every change of it;
 * - **the key store**: every key created (its private half, for invariant 6's scan) and every deletion;
 * - **the engine's records**: every state item written (in order), the audit events, the runs (start and
 *   completion), the replays made right after a completed run, and the operator commands acknowledged;
 * - **everything emitted**: log lines, responses, notifications, scanned for key material.
 *
 * The history is replayed in time order: at every recorded instant the checker is told what happened then
 * and checks every domain. Things recorded at the same instant (the test's clock stands still during a
 * run) are applied together, so an order *within* a run is not judged (e.g. a key destroyed a moment
 * before its record in the same run): the checks are at run granularity.
 */
import type { DomainSpec } from '../core/spec';
import type { TxtAnswer } from '../dkim/dns-answer';
import type { CachingResolver, SimDns } from '../memory/dns';
import type { KeyDeletion, MemoryKeyStore, MemorySes, SigningSegment } from '../memory/services';
import {
  INVARIANTS,
  InvariantChecker,
  SecretScanner,
  type AcknowledgedCommand,
  type InvariantNumber,
  type Violation,
} from './invariants';

/** What one server served for one name from `at` on (no `txt` and no `cname`: the name does not exist). */
export interface RecordedDnsChange {
  readonly at: number;
  readonly server: string;
  readonly name: string;
  readonly txt?: readonly (readonly string[])[];
  readonly cname?: string;
  /** The TTL the answer carried (seconds). */
  readonly ttl: number;
}

/** SES's DKIM configuration of an identity from `at` on. */
export interface RecordedSesState {
  readonly at: number;
  readonly domain: string;
  readonly origin: 'AWS_SES' | 'EXTERNAL';
  readonly signingEnabled: boolean;
  readonly selector?: string;
  /** The public half of the key SES was given (base64 SPKI). */
  readonly publicKey?: string;
}

export interface RecordedHistory {
  /** The domains' specs (grace period, interval, DNS mode). */
  readonly specs: Readonly<Record<string, DomainSpec>>;
  /** The authoritative servers (every zone's: the test's servers answer for all of them). */
  readonly authoritative: readonly string[];
  /** The public resolvers records are verified on. */
  readonly resolvers: readonly string[];
  /** Zones and their SOA negative-caching TTL (seconds). */
  readonly zones: readonly { readonly apex: string; readonly negativeTtl: number }[];
  readonly dns: readonly RecordedDnsChange[];
  readonly ses: readonly RecordedSesState[];
  /** `PutEmailIdentityDkimSigningAttributes`, as SES received them. */
  readonly switches: readonly { at: number; domain: string; selector: string; publicKey: string }[];
  readonly keys: readonly { at: number; domain: string; keyId: string; publicKey: string; privateKey: string }[];
  readonly deletions: readonly { at: number; domain: string; keyId: string }[];
  /** The STATE items as written (their JSON `state`), in the order they were written. */
  readonly stateWrites: readonly { at: number; domain: string; json: string }[];
  readonly events: readonly { at: number; domain: string; version: number; policy: string }[];
  /** Runs of a domain: `completedAt` when the run settled (outcome done). */
  readonly runs: readonly { domain: string; startedAt: number; completedAt?: number }[];
  /** Right after a completed run: what the engine decided on the same state and world (nothing, if it converged). */
  readonly replays: readonly {
    at: number;
    domain: string;
    policy: string;
    actions: readonly string[];
    changed: boolean;
  }[];
  readonly commands: readonly (AcknowledgedCommand & { readonly domain: string })[];
  readonly texts: readonly { at: number; domain: string; where: string; text: string }[];
  /** DNS-team change requests (external and delegated modes): sent, due, answered (published as asked). */
  readonly dnsTeamRequests?: readonly { domain: string; sentAt: number; deadline: number; answeredAt?: number }[];
  /** When each domain starts sending mail (an adopted identity: when it was adopted). */
  readonly sendingFrom: Readonly<Record<string, number>>;
  /** The end of the history: retired selectors and acknowledged commands are checked up to here. */
  readonly end: number;
}

export interface HistoryVerdict {
  readonly violations: readonly Violation[];
  readonly counts: Readonly<Record<InvariantNumber, number>>;
  readonly checks: Readonly<Record<InvariantNumber, number>>;
  readonly unsignedMinutes: Readonly<Record<string, number>>;
}

const MAX_CNAME_DEPTH = 8;
const NO_RECORDS: readonly (readonly string[])[] = [];

/** The recorded DNS, per server and name: what it answered at any moment (the parts SimDns the checker reads). */
class RecordedDns {
  /** `server|name` → changes, oldest first. */
  private readonly changes = new Map<string, RecordedDnsChange[]>();
  /** Stable answer objects (the checker memoizes on identity). */
  private readonly answers = new Map<string, { key: string; result: { answer: TxtAnswer; ttl: number } }>();

  constructor(private readonly history: RecordedHistory) {
    for (const change of [...history.dns].sort((a, b) => a.at - b.at)) {
      const key = `${change.server}|${change.name.toLowerCase()}`;
      const list = this.changes.get(key) ?? [];
      list.push(change);
      this.changes.set(key, list);
    }
  }

  private entry(name: string, t: number, server: string): RecordedDnsChange | undefined {
    const list = this.changes.get(`${server}|${name.toLowerCase()}`);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i -= 1) if (list[i]!.at <= t) return list[i];
    return undefined;
  }

  private negativeTtl(name: string): number {
    const lower = name.toLowerCase();
    let best: { apex: string; negativeTtl: number } | undefined;
    for (const zone of this.history.zones)
      if ((lower === zone.apex || lower.endsWith(`.${zone.apex}`)) && zone.apex.length > (best?.apex.length ?? -1))
        best = zone;
    return best?.negativeTtl ?? 0;
  }

  servers(): readonly string[] {
    return this.history.authoritative;
  }

  serversFor(): readonly string[] {
    return this.history.authoritative;
  }

  at(name: string, t: number, server: string = this.history.authoritative[0]!): { cname?: string } | undefined {
    const entry = this.entry(name, t, server);
    return entry && (entry.txt || entry.cname) ? (entry.cname ? { cname: entry.cname } : {}) : undefined;
  }

  changesBetween(name: string, from: number, to: number, server?: string): number[] {
    const times = new Set<number>();
    // No server given: any authoritative server (as SimDns: the zone's servers).
    for (const s of server === undefined ? this.history.authoritative : [server]) {
      for (const c of this.changes.get(`${s}|${name.toLowerCase()}`) ?? [])
        if (c.at > from && c.at <= to) times.add(c.at);
    }
    return [...times].sort((a, b) => a - b);
  }

  resolve(
    name: string,
    t: number,
    server: string = this.history.authoritative[0]!,
  ): { answer: TxtAnswer; ttl: number } {
    const chain: string[] = [];
    const used: string[] = [];
    let current = name.toLowerCase();
    let entry: RecordedDnsChange | undefined;
    let ttl = Number.POSITIVE_INFINITY;
    let negativeTtl = 0;
    for (let depth = 0; depth <= MAX_CNAME_DEPTH; depth += 1) {
      negativeTtl = Math.max(negativeTtl, this.negativeTtl(current));
      entry = this.entry(current, t, server);
      used.push(entry ? `${entry.at}` : '-');
      if (entry && (entry.txt || entry.cname)) ttl = Math.min(ttl, entry.ttl);
      if (!entry?.cname) break;
      chain.push(entry.cname);
      current = entry.cname.toLowerCase();
    }
    const key = `${server}|${name.toLowerCase()}`;
    const signature = used.join(',');
    const cached = this.answers.get(`${key}|${signature}`);
    if (cached) return cached.result;
    const exists = entry !== undefined && (entry.txt !== undefined || entry.cname !== undefined);
    const records = entry?.txt ?? NO_RECORDS;
    const outcome: TxtAnswer['outcome'] = records.length > 0 ? 'answer' : exists ? 'nodata' : 'nxdomain';
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
    this.answers.set(`${key}|${signature}`, { key, result });
    return result;
  }
}

/** SES's verdict on a record: `v=DKIM1` first, `k=rsa` if any, `p=` exactly the key (SES's rule, not byodkim's). */
function carriesKey(value: string, publicKey: string): boolean {
  if (!value.trimStart().startsWith('v=DKIM1')) return false;
  const tags = new Map<string, string>();
  for (const part of value.split(';')) {
    const at = part.indexOf('=');
    if (part.trim() === '') continue;
    if (at < 0) return false;
    tags.set(part.slice(0, at).trim(), part.slice(at + 1).replace(/\s+/g, ''));
  }
  return (!tags.has('k') || tags.get('k') === 'rsa') && tags.get('p') === publicKey;
}

/** The recorded SES (the parts of MemorySes the checker reads), as of `cursor`. */
class RecordedSes {
  cursor = Number.NEGATIVE_INFINITY;
  private readonly timelines = new Map<string, SigningSegment[]>();

  constructor(
    private readonly history: RecordedHistory,
    dns: RecordedDns,
  ) {
    const authoritative = history.authoritative[0]!;
    const byDomain = new Map<string, RecordedSesState[]>();
    for (const s of history.ses) byDomain.set(s.domain, [...(byDomain.get(s.domain) ?? []), s]);
    for (const [domain, states] of byDomain) {
      const sorted = [...states].sort((a, b) => a.at - b.at);
      const segments: SigningSegment[] = [];
      sorted.forEach((state, i) => {
        const until = sorted[i + 1]?.at ?? Number.POSITIVE_INFINITY;
        const segment = (from: number): SigningSegment => {
          const signs =
            state.signingEnabled &&
            (state.origin === 'AWS_SES' ||
              (state.selector !== undefined &&
                state.publicKey !== undefined &&
                dns
                  .resolve(`${state.selector}._domainkey.${domain}`, from, authoritative)
                  .answer.records.some((r) => carriesKey(r.join(''), state.publicKey!))));
          return {
            from,
            signing: signs,
            origin: state.origin,
            ...(state.selector !== undefined ? { selector: state.selector } : {}),
            ...(state.publicKey !== undefined ? { publicKey: state.publicKey } : {}),
          };
        };
        const points = [state.at];
        if (state.origin === 'EXTERNAL' && state.selector)
          points.push(...dns.changesBetween(`${state.selector}._domainkey.${domain}`, state.at, until, authoritative));
        for (const p of points.filter((p) => p < until)) {
          const next = segment(p);
          const last = segments.at(-1);
          // The same verdict and configuration: one segment (a new one would look like a switch).
          if (
            last &&
            last.signing === next.signing &&
            last.origin === next.origin &&
            last.selector === next.selector &&
            last.publicKey === next.publicKey
          )
            continue;
          if (last && last.from === p) segments.pop();
          segments.push(next);
        }
      });
      this.timelines.set(domain, segments);
    }
  }

  get switches() {
    return this.history.switches.filter((s) => s.at <= this.cursor);
  }

  refresh(): void {}

  forget(): void {}

  timeline(domain: string): readonly SigningSegment[] {
    return (this.timelines.get(domain) ?? []).filter((s) => s.from <= this.cursor);
  }

  peek(domain: string): { origin: string; enabled: boolean; publicKey?: string; tokens: string[] } | undefined {
    let state: RecordedSesState | undefined;
    for (const s of this.history.ses) if (s.domain === domain && s.at <= this.cursor) state = s;
    if (!state) return undefined;
    return {
      origin: state.origin,
      enabled: state.signingEnabled,
      ...(state.publicKey !== undefined ? { publicKey: state.publicKey } : {}),
      tokens: state.selector !== undefined ? [state.selector] : [],
    };
  }
}

/** The recorded key store (the parts of MemoryKeyStore the checker reads), as of `cursor`. */
class RecordedKeyStore {
  cursor = Number.NEGATIVE_INFINITY;

  constructor(private readonly history: RecordedHistory) {}

  private publicKeyOf(domain: string, keyId: string): string {
    return this.history.keys.find((k) => k.domain === domain && k.keyId === keyId)?.publicKey ?? '';
  }

  get deletions(): KeyDeletion[] {
    return this.history.deletions
      .filter((d) => d.at <= this.cursor)
      .map((d) => ({ ...d, publicKey: this.publicKeyOf(d.domain, d.keyId) }));
  }

  holds(domain: string, publicKey: string): boolean {
    return this.history.keys.some(
      (k) =>
        k.domain === domain &&
        k.publicKey === publicKey &&
        k.at <= this.cursor &&
        !this.history.deletions.some((d) => d.domain === domain && d.keyId === k.keyId && d.at <= this.cursor),
    );
  }
}

/** A public resolver as recorded (the CachingResolver surface the checker reads). */
function recordedResolver(dns: RecordedDns, server: string): Pick<CachingResolver, 'server' | 'peek'> {
  return { server, peek: (name: string, t: number) => dns.resolve(name, t, server).answer };
}

/**
 * Runs the invariant checker over a recorded history and returns its verdict: the violations, and the
 * checks each invariant made (an invariant the history exercised but that checked nothing is reported as
 * a violation of it by the checker itself).
 */
export function checkRecordedHistory(history: RecordedHistory): HistoryVerdict {
  const dns = new RecordedDns(history);
  const ses = new RecordedSes(history, dns);
  const keyStore = new RecordedKeyStore(history);
  const commandsOf = (domain: string) => history.commands.filter((c) => c.domain === domain);
  const checker = new InvariantChecker(
    {
      dns: dns as unknown as SimDns,
      resolvers: history.resolvers.map((server) => recordedResolver(dns, server) as unknown as CachingResolver),
      ses: ses as unknown as MemorySes,
      keyStore: keyStore as unknown as MemoryKeyStore,
      specOf: (domain) => {
        const spec = history.specs[domain];
        if (!spec) throw new Error(`recorded history: no spec for ${domain}`);
        return spec;
      },
      teamLate: (domain, from, to) =>
        (history.dnsTeamRequests ?? []).some(
          (r) =>
            r.domain === domain &&
            r.sentAt >= from &&
            r.sentAt <= to &&
            (r.answeredAt === undefined || r.answeredAt > r.deadline),
        ),
      operatorTouched: (domain) => commandsOf(domain).some((c) => ['disable', 'rollback', 'revoke'].includes(c.action)),
      sendingFrom: (domain) => history.sendingFrom[domain],
    },
    scannerOf(history),
    1000,
  );

  const domains = Object.keys(history.specs);
  const instants = new Set<number>([history.end]);
  for (const list of [
    history.dns,
    history.ses,
    history.switches,
    history.keys,
    history.deletions,
    history.stateWrites,
    history.replays,
    history.texts,
  ])
    for (const item of list) instants.add(item.at);
  for (const run of history.runs) {
    instants.add(run.startedAt);
    if (run.completedAt !== undefined) instants.add(run.completedAt);
  }
  for (const c of history.commands) instants.add(c.issuedAt);

  const runNumbers = new Map<(typeof history.runs)[number], number>();
  for (const t of [...instants].filter((x) => x <= history.end).sort((a, b) => a - b)) {
    ses.cursor = t;
    keyStore.cursor = t;
    for (const k of history.keys) if (k.at === t) checker.noteKey(k.domain, k.publicKey, k.keyId);
    for (const run of history.runs) if (run.startedAt === t) runNumbers.set(run, checker.runStarted());
    for (const w of history.stateWrites) {
      if (w.at !== t) continue;
      checker.stateWritten(w.domain, w.at, w.json);
      const version = (JSON.parse(w.json) as { version: number }).version;
      checker.eventsRecorded(
        history.events.filter((e) => e.domain === w.domain && e.version === version && e.at === t),
      );
    }
    for (const c of history.commands) if (c.issuedAt === t) checker.commandAcknowledged(c.domain, c);
    for (const text of history.texts) if (text.at === t) checker.scan(text.domain, text.at, text.where, text.text);
    for (const run of history.runs)
      if (run.completedAt === t) checker.runCompleted(run.domain, runNumbers.get(run)!, run.completedAt);
    for (const r of history.replays) if (r.at === t) checker.replayed(r.domain, r.at, r.policy, r.actions, r.changed);
    for (const domain of domains) checker.checkDomain(domain, t);
  }
  checker.finish(history.end);
  return {
    violations: checker.violations,
    counts: { ...checker.counts },
    checks: { ...checker.checks },
    unsignedMinutes: Object.fromEntries(domains.map((d) => [d, checker.unsignedMinutesOf(d)])),
  };
}

function scannerOf(history: RecordedHistory): SecretScanner {
  const scanner = new SecretScanner();
  for (const k of history.keys) scanner.addPrivateKey(k.privateKey, k.publicKey);
  return scanner;
}

/** The invariants a verdict checked (at least once each). */
export function checkedInvariants(verdict: HistoryVerdict): InvariantNumber[] {
  return INVARIANTS.filter((n) => verdict.checks[n] > 0);
}
