/**
 * The invariant checker (DESIGN.md §4). It looks at the simulated world — SES's real signing history,
 * the authoritative DNS data, the resolvers, the key store, everything written, sent, logged or measured —
 * never at what the engine *believes*, except where an invariant is about the engine's records (5, 9).
 *
 * It shares no code with the engine: it decides "the record matches" by its own byte comparison of the
 * joined character-strings with the exact value byodkim publishes (not through the record diagnosis the
 * engine uses, so a bug there cannot blind both), keeps its own model of what SES signs with (MemorySes's
 * signing segments and calls), builds record names itself, and takes grace periods from the spec and
 * cache times from the TTLs the DNS answers carry. Its only imports from the engine are state *types*,
 * for invariants 5 and 9.
 *
 *  1. SES is never switched to a selector whose record is not verified, byte-exact, in DNS
 *     → at every PutEmailIdentityDkimSigningAttributes, the record matches on EVERY authoritative server
 *       of the zone (a lagging secondary included) and on every public resolver.
 *  2. While a selector is active its record resolves and matches, and its private key is stored
 *     → whenever SES is set to sign with a byodkim key, on every authoritative server.
 *  3. A key is destroyed only after grace + revoked/removed → at every key store deletion, SES last
 *     signed with it ≥ grace ago (unless declared compromised) and DNS no longer publishes it.
 *  4. No key signs longer than the interval, unless the DNS team answered after the lead time.
 *  5. At most one rotation in flight per domain → every state item written.
 *  6. No private key material anywhere but the key store → every state item, event, notification,
 *     metric, log line and error message is scanned for fragments of every private key.
 *  7. Replay / crash converges → after every completed run, an immediate replay decides nothing new;
 *     a run that never settles within the step budget is a violation.
 *  8. A retired selector stays published, unchanged, for its whole grace period → from the moment SES
 *     last signed with a byodkim key that SES then stopped using, for `graceDays`, every authoritative
 *     server answers with exactly its record at every change of the name on any of them (unless an
 *     operator declared the key compromised: a revoke cuts the grace period).
 *
 * "The authoritative servers" are all of them: every server of the zone and of every zone on the CNAME
 * chain (`SimDns.serversFor`), each asked itself — a receiver's resolver may ask any of them.
 *  9. Every recorded state version is exactly the previous one plus one, and no acknowledged operator
 *     command is lost → every state item written, and every command the driver reports as acknowledged
 *     is in the recorded history (its `command:<action>` event, at a version no later write replaced).
 *
 * 10. An acknowledged `disable` or `revoke` is carried out → SES's signing history (the world's, not the
 *     engine's state): after an acknowledged `disable`, SES signs with no byodkim key until an acknowledged
 *     `enable` is issued; after an acknowledged `revoke`, SES never signs with the revoked key again. The
 *     engine is allowed the run that carries the command out: the obligation holds from the end of the
 *     domain's first run that starts after the acknowledgement and completes (`runStarted` /
 *     `runCompleted`) — the command's own invocation may have carried it out already, but a run racing it
 *     (started before, acting after) may undo that, and the next completed run must repair it.
 *
 * 11. The engine reacts to a person's change that breaks or endangers signing within one schedule period
 *     (plus `REACTION_SLACK_MS` of run time; when runs fail — throttling, 5xx, crashes — by the end of the
 *     domain's first run that starts after the change and completes, if that is later) → the driver reports each
 *     change a person made (`personChanged`: SES's settings as they were just before, or the record name
 *     deleted or edited); it endangers signing when SES signed with a byodkim key (enabled) and now does
 *     not (Easy DKIM, another key, signing off), or the record deleted or edited is the one of the key
 *     SES is set to sign with. The reaction, seen in the world: route53 / delegated — the record's name
 *     (or its CNAME target) written again (`dnsWritten`: Route 53's calls), or SES set to sign with a
 *     byodkim key again (or switched to another); external — an URGENT request sent to the DNS team
 *     (`notified`), or SES set to sign with a byodkim key. An operator command acknowledged in the
 *     window takes the domain over: the obligation is dropped. A run the driver reports as failed
 *     (`runFailed`: an AWS fault, a crash, a lost compare-and-swap, or the world's DNS failing a lookup
 *     during the run) continues a chain of prompt retries. No obligation of its own for a change that
 *     finds the damage already there (SES changed while the key's record is a person's doing; external:
 *     the record changed again before it was back). Checked only when the driver gives the schedule
 *     period (`CheckerContext.schedulePeriodMs`).
 *
 * Each invariant counts the checks it made (`checks`): `finish` reports, as a violation, an invariant
 * that the run should have exercised (e.g. 1 when SES was switched) and that checked nothing.
 */
import type { MemoryKeyStore, MemorySes, SigningSegment } from '../memory/services';
import type { CachingResolver, SimDns } from '../memory/dns';
import type { DomainSpec } from '../core/spec';
import type { DomainState, KeyState } from '../lifecycle/state';

export type InvariantNumber = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11;

export const INVARIANTS: readonly InvariantNumber[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

export interface Violation {
  readonly invariant: InvariantNumber;
  readonly domain: string;
  readonly at: number;
  readonly message: string;
}

export const INVARIANT_TITLES: Readonly<Record<InvariantNumber, string>> = {
  1: 'SES switched to a selector whose record is not verified in DNS',
  2: 'an active selector whose record does not match, or whose key is not stored',
  3: 'a key destroyed before its grace period ended or before its record was revoked',
  4: 'a key active longer than the rotation interval although the DNS team answered in time',
  5: 'more than one rotation in flight',
  6: 'private key material outside the key store',
  7: 'a replay or a crash that does not converge',
  8: 'a retired selector unpublished or changed during its grace period',
  9: 'a recorded state version that is not the previous one plus one, or an acknowledged command lost',
  10: 'SES signing with a byodkim key after an acknowledged disable, or with a revoked key, a run later',
  11: "no reaction within a schedule period to a person's change that broke or endangered signing",
};

/** The checker's own time units (it shares no module with the engine). */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A–Z a–z 0–9 + / (the base64 alphabet without padding), by character code. */
const BASE64_CHARS = (() => {
  const table = new Uint8Array(128);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i += 1) table[alphabet.charCodeAt(i)] = 1;
  return table;
})();

function isBase64Char(code: number): boolean {
  return code < 128 && BASE64_CHARS[code] === 1;
}

/** Fragments of private keys, indexed for scanning. Only the parts a public key never contains. */
export class SecretScanner {
  private readonly chunks = new Map<string, number>();
  private readonly publicKeys = new Set<string>();
  private static readonly CHUNK = 16;
  /** The shortest run of base64 characters looked at. */
  private static readonly MIN_RUN = 48;
  /** Base64 offset past the modulus and public exponent, which the public key also carries. */
  private static readonly SKIP = 420;

  addPrivateKey(privateKey: string, publicKey?: string): void {
    for (let i = SecretScanner.SKIP; i + SecretScanner.CHUNK <= privateKey.length; i += SecretScanner.CHUNK) {
      this.chunks.set(privateKey.slice(i, i + SecretScanner.CHUNK), i);
    }
    if (publicKey) this.publicKeys.add(publicKey);
  }

  /**
   * True when `text` holds 48 or more consecutive characters of a private key's secret part: every
   * maximal run of 48 or more base64 characters (A–Z a–z 0–9 + /) that is not a whole public key is
   * looked up, at every offset, in the index of 16-character fragments.
   */
  contains(text: string): boolean {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (!isBase64Char(text.charCodeAt(i))) {
        i += 1;
        continue;
      }
      let j = i + 1;
      while (j < n && isBase64Char(text.charCodeAt(j))) j += 1;
      if (j - i >= SecretScanner.MIN_RUN) {
        const run = text.slice(i, j);
        if (!this.publicKeys.has(run)) {
          for (let k = 0; k + SecretScanner.CHUNK <= run.length; k += 1) {
            if (this.chunks.has(run.slice(k, k + SecretScanner.CHUNK))) return true;
          }
        }
      }
      i = j;
    }
    return false;
  }
}

/** A key that stops signing for this long and signs again is a new use of a pooled key, not a rollback. */
const REUSE_GAP_MS = 60 * DAY;

/** How far back the checker looks for the TTLs a receiver's cache may still be honouring. */
const TTL_LOOKBACK_MS = DAY;

/** Key states of a rotation in flight (DESIGN.md §3), written here rather than taken from the engine. */
const IN_FLIGHT: readonly KeyState[] = ['generated', 'dns-requested', 'dns-verified'];

/** Commands that change nothing in the recorded state: acknowledging them promises no record. */
const READ_ONLY_COMMANDS = new Set(['status', 'reconcile', 'verify-dns']);

interface KeyHistory {
  firstSigned: number;
  lastSigned: number;
  overReported?: boolean;
}

/** What one DNS server answered: the fields the checker reads (the world's answers carry more). */
export interface DnsAnswer {
  readonly outcome: string;
  readonly records: readonly (readonly string[])[];
}

export interface CheckerContext {
  readonly dns: SimDns;
  readonly resolvers: readonly CachingResolver[];
  readonly ses: MemorySes;
  readonly keyStore: MemoryKeyStore;
  readonly specOf: (domain: string) => DomainSpec;
  /**
   * The engine's recorded state, read only for a `compromisedAt` an operator's revoke recorded — for
   * harnesses that issue commands without telling the checker (`declareCompromised`). The simulation
   * does not pass it: there the operator's declaration reaches the checker directly.
   */
  readonly stateOf?: (domain: string) => unknown;
  /**
   * Invariant 4's exception: a DNS-team request sent in [from, to] was answered after its lead time — or
   * is not answered yet, so the verdict waits until it is.
   */
  readonly teamLate: (domain: string, from: number, to: number) => boolean;
  /** Domains whose rotation an operator held up (disable, rollback…): invariant 4 does not apply. */
  readonly operatorTouched: (domain: string) => boolean;
  /** Time sending starts for a domain (adopted identities send from the start). */
  readonly sendingFrom: (domain: string) => number | undefined;
  /**
   * Invariant 8's exception: the authoritative data of `name` was changed at `at` by a person behind the
   * engine's back (deleted or edited), not by the engine or on its request. @default never
   */
  readonly changedByPerson?: (name: string, at: number) => boolean;
  /** The regular schedule's period: invariant 11 gives the engine this long (plus run time) to react. */
  readonly schedulePeriodMs?: number;
}

/** Invariant 11: run time on top of the schedule period — a run that failed (throttling, a crash) is retried within minutes. */
export const REACTION_SLACK_MS = 15 * MINUTE;
/**
 * Invariant 11: after a failed run, the engine runs the domain again within this long while a person's
 * change awaits its reaction (its retry poll is 5 min, external 15; 5 min of slack) — or the failure does
 * not excuse it.
 */
export const RETRY_WITHIN_MS = 20 * MINUTE;

/** What SES was set to just before a person changed it (invariant 11). */
export interface SesSettings {
  readonly origin?: string;
  readonly enabled: boolean;
  readonly selector?: string;
  readonly publicKey?: string;
}

/** A person's change, as the driver reports it (invariant 11). */
export type PersonChangeReport =
  | { readonly kind: 'ses'; readonly before: SesSettings }
  /** `name`: the selector's record name; `where`: what was changed (the CNAME's target in delegated mode). */
  | { readonly kind: 'dns'; readonly name: string; readonly where: string };

/** Invariant 11: a person's change that endangers signing, and the reaction it needs by `deadline`. */
interface ReactionObligation {
  readonly kind: 'ses' | 'dns';
  readonly domain: string;
  readonly at: number;
  readonly deadline: number;
  readonly what: string;
  /** Names whose write by the engine counts as the reaction (route53 / delegated). */
  readonly names: readonly string[];
  /** The key SES signed with before the change (a switch to another byodkim key also counts for DNS changes). */
  readonly publicKey: string;
  readonly external: boolean;
  /** Runs started before the change: the first run started after it that completes may extend the deadline. */
  readonly runsBefore: number;
  /** The end of the domain's first run that started after the change and completed. */
  completedAt?: number;
  /**
   * Failed runs (throttling, 5xx, timeouts, crashes, lost compare-and-swap) from the change on, each
   * followed by the next within RETRY_WITHIN_MS, the first before `deadline`: the chain allows until the
   * end of the run that completes it (`chainEnd`), or `chainUntil` while it is open.
   */
  chainUntil?: number;
  chainEnd?: number;
  reactedAt?: number;
  how?: string;
}

export interface KeyAgeSummary {
  readonly keys: number;
  readonly maxDays: number;
  readonly overInterval: number;
  readonly overIntervalExcused: number;
}

/** An operator command the driver reports as acknowledged (applied), for invariant 9. */
export interface AcknowledgedCommand {
  readonly action: string;
  /** When the operator issued it. */
  readonly issuedAt: number;
  /** The state version the reconciler reported for the command's step, when it reported one. */
  readonly version?: number;
  /** `revoke`: the key as the command names it (key id or selector), for invariant 10. */
  readonly key?: string;
}

/** Invariant 10: what an acknowledged `disable` or `revoke` forbids SES to sign with, and from when. */
interface SigningObligation {
  readonly domain: string;
  readonly action: 'disable' | 'revoke';
  readonly issuedAt: number;
  /** `revoke`: the revoked public key (`disable`: every byodkim key) and the key id it was stored under. */
  readonly publicKey?: string;
  readonly keyId?: string;
  /** Runs started before the acknowledgement: only a run started later carries the command out. */
  readonly runsBefore: number;
  /** The end of the first such run that completed: the obligation holds from here. */
  effectiveFrom?: number;
  /** `disable`: an acknowledged `enable` was issued here. */
  endedAt?: number;
  violated?: boolean;
}

const expectedValues = new Map<string, string>();

/** The value byodkim publishes for a key (DESIGN.md §2), written out here, not taken from the engine. */
export function expectedRecordValue(publicKey: string): string {
  let value = expectedValues.get(publicKey);
  if (value === undefined) {
    // Flattened once per key: the comparison runs at every check of every server.
    value = `v=DKIM1; k=rsa; p=${publicKey}`;
    if (expectedValues.size >= 1024) expectedValues.clear();
    expectedValues.set(publicKey, value);
  }
  return value;
}

/** `<selector>._domainkey.<domain>`, built here, not taken from the engine. */
function recordNameOf(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

const joined = new WeakMap<readonly string[], string>();

/** A TXT record's character-strings joined (RFC 6376 §3.6.2.2: concatenated with nothing between). */
function join(strings: readonly string[]): string {
  let value = joined.get(strings);
  if (value === undefined) {
    value = strings.join('');
    joined.set(strings, value);
  }
  return value;
}

/**
 * Does this DNS answer publish exactly this key? One TXT record whose joined character-strings are, byte
 * for byte, `v=DKIM1; k=rsa; p=<publicKey>`. The checker's own comparison, nothing tolerated.
 */
export function answerMatches(answer: DnsAnswer, publicKey: string): boolean {
  return (
    answer.outcome === 'answer' &&
    answer.records.length === 1 &&
    join(answer.records[0]!) === expectedRecordValue(publicKey)
  );
}

/** Does any record of this answer still carry the key (in whatever damaged form)? */
function carries(answer: DnsAnswer, publicKey: string): boolean {
  const tail = publicKey.slice(-64);
  return answer.records.some((r) =>
    join(r)
      .replace(/[ \t\r\n"]/g, '')
      .includes(tail),
  );
}

/** Says what an answer holds, briefly, for violation messages. */
function summarize(answer: DnsAnswer): string {
  if (answer.outcome !== 'answer') return answer.outcome;
  const values = answer.records.map((r) => {
    const value = join(r);
    return value.length > 40 ? `"${value.slice(0, 24)}…${value.slice(-12)}"` : `"${value}"`;
  });
  return `${answer.records.length} record(s): ${values.join(', ')}`;
}

/** The answers of every authoritative server for `name` at `t` (every zone on the CNAME chain). */
function authoritativeAnswers(dns: SimDns, name: string, t: number): { answer: DnsAnswer; ttl: number }[] {
  return dns.serversFor(name, t).map((server) => dns.resolve(name, t, server));
}

/** The first authoritative server whose answer does not publish exactly this key, with its answer. */
function firstMismatch(
  dns: SimDns,
  name: string,
  publicKey: string,
  t: number,
): { server: string; answer: DnsAnswer } | undefined {
  for (const server of dns.serversFor(name, t)) {
    const answer = dns.resolve(name, t, server).answer;
    if (!answerMatches(answer, publicKey)) return { server, answer };
  }
  return undefined;
}

function emptyCounts(): Record<InvariantNumber, number> {
  return { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0 };
}

/** A byodkim key SES stopped using: its record must stay as it was for the grace period (invariant 8). */
interface RetiredSelector {
  readonly domain: string;
  readonly selector: string;
  readonly publicKey: string;
  /** SES last signed with it: the grace period starts here. */
  readonly from: number;
  readonly until: number;
  /** Checked up to here. */
  checkedTo?: number;
  /** SES was given the key again (rollback): the watch ends. */
  endedAt?: number;
}

interface CommandRecord {
  readonly action: string;
  readonly at: number;
}

export class InvariantChecker {
  readonly violations: Violation[] = [];
  /** Violations per invariant (complete, unlike `violations`). */
  readonly counts: Record<InvariantNumber, number> = emptyCounts();
  /** Checks made per invariant: a checker that checked nothing proves nothing. */
  readonly checks: Record<InvariantNumber, number> = emptyCounts();
  private switchIndex = 0;
  private deletionIndex = 0;
  private readonly keyHistory = new Map<string, Map<string, KeyHistory>>();
  private readonly accountedUntil = new Map<string, number>();
  /** Unsigned minutes per domain: distinct minute buckets touched by unsigned time (counted in time order). */
  private readonly unsigned = new Map<string, { minutes: number; lastMinute: number }>();
  private readonly ourKeys = new Map<string, Set<string>>();
  private readonly retired: (KeyHistory & { domain: string })[] = [];
  /** Key ids the key store was given, per domain: key id → public key. */
  private readonly keyIds = new Map<string, Map<string, string>>();
  /** Selectors SES was given, per domain and public key. */
  private readonly selectorsOf = new Map<string, Map<string, Set<string>>>();
  /** What SES was last seen configured with (BYODKIM key), per domain, from its signing history. */
  private readonly configured = new Map<string, { publicKey?: string; selector?: string }>();
  private readonly watches: RetiredSelector[] = [];
  /** Keys an operator declared compromised, per domain: public key (or `selector:<s>`) → when. */
  private readonly compromised = new Map<string, Map<string, number>>();
  /** The last recorded state version per domain. */
  private readonly versions = new Map<string, number>();
  /** `command:<action>` events recorded, per domain and version (a later write at that version replaces them). */
  private readonly commandEvents = new Map<string, Map<number, CommandRecord[]>>();
  private readonly acks: { domain: string; ack: AcknowledgedCommand }[] = [];
  /** What the run did, to tell which invariants should have been exercised. */
  private readonly seen = { signed: 0, retirements: 0, acks: 0, obligations: 0 };
  /** Invariant 10: the acknowledged disables and revokes, per domain. */
  private readonly obligations = new Map<string, SigningObligation[]>();
  /** Runs started (every domain): a run's number tells whether it started after an acknowledgement. */
  private runsStarted = 0;
  /** Invariant 11: people's changes that endanger signing, not yet reacted to, per domain. */
  private readonly reactions = new Map<string, ReactionObligation[]>();
  /** Invariant 11: the last acknowledged operator command per domain (it takes the domain over). */
  private readonly lastCommandAt = new Map<string, number>();
  /** Invariant 11: how long the engine took to react, per obligation reacted to (minutes), by DNS mode. */
  readonly reactionMinutes: Record<string, number[]> = {};
  /** Invariant 11: people's changes that endangered signing. */
  personChangesChecked = 0;

  constructor(
    private readonly ctx: CheckerContext,
    readonly scanner: SecretScanner,
    /** Keep at most this many violation records (counts are always complete). */
    private readonly keep = 50,
  ) {}

  private violate(invariant: InvariantNumber, domain: string, at: number, message: string): void {
    this.counts[invariant] += 1;
    if (this.violations.length < this.keep) this.violations.push({ invariant, domain, at, message });
  }

  private graceMs(domain: string): number {
    return this.ctx.specOf(domain).rotation.graceDays * DAY;
  }

  /**
   * A byodkim key was created for a domain (its public key, and the key store's id for it), so checks
   * 2–4 and 8 know which keys are ours.
   */
  noteKey(domain: string, publicKey: string, keyId?: string): void {
    let set = this.ourKeys.get(domain);
    if (!set) {
      set = new Set();
      this.ourKeys.set(domain, set);
    }
    set.add(publicKey);
    if (keyId !== undefined) {
      // A key pool (tests) hands a revoked pair out again under a new key id: a new key, the revoke's watch ends.
      for (const o of this.obligations.get(domain) ?? [])
        if (o.action === 'revoke' && o.publicKey === publicKey && o.keyId !== keyId && o.endedAt === undefined)
          o.endedAt = this.accountedUntil.get(domain) ?? 0;
      const ids = this.keyIds.get(domain) ?? new Map<string, string>();
      ids.set(keyId, publicKey);
      this.keyIds.set(domain, ids);
    }
  }

  /**
   * An operator declared a key compromised (`revoke`) at `at`: from then on it has no grace period
   * (invariants 3 and 8). The command driver calls this when the operator issues the revoke — the key is
   * compromised whatever the engine makes of the command. The key is named as the command names it.
   */
  declareCompromised(
    domain: string,
    key: { readonly selector?: string; readonly keyId?: string; readonly publicKey?: string },
    at: number,
  ): void {
    const map = this.compromised.get(domain) ?? new Map<string, number>();
    this.compromised.set(domain, map);
    const mark = (k: string) => {
      if (!map.has(k)) map.set(k, at);
    };
    if (key.publicKey) mark(key.publicKey);
    const ids = this.keyIds.get(domain);
    for (const ref of [key.keyId, key.selector]) {
      const publicKey = ref === undefined ? undefined : ids?.get(ref);
      if (publicKey) mark(publicKey);
    }
    if (key.selector === undefined) return;
    mark(`selector:${key.selector}`);
    // The key that selector names now: the one SES is given under it, or the one its record carries.
    const identity = this.ctx.ses.peek(domain);
    if (identity?.origin === 'EXTERNAL' && identity.tokens[0] === key.selector && identity.publicKey)
      mark(identity.publicKey);
    for (const { answer } of authoritativeAnswers(this.ctx.dns, recordNameOf(key.selector, domain), at))
      for (const publicKey of this.ourKeys.get(domain) ?? []) if (carries(answer, publicKey)) mark(publicKey);
  }

  /** Declared compromised at or before `t` (by the driver, or as recorded when the harness passes `stateOf`). */
  private compromisedAt(domain: string, publicKey: string, selector: string | undefined, t: number): boolean {
    const map = this.compromised.get(domain);
    const at = map?.get(publicKey) ?? (selector !== undefined ? map?.get(`selector:${selector}`) : undefined);
    if (at !== undefined && at <= t) return true;
    if (!this.ctx.stateOf) return false;
    const recorded = this.ctx.stateOf(domain) as
      | { keys?: readonly { publicKey?: string; compromisedAt?: number }[] }
      | undefined;
    return (
      recorded?.keys?.some((k) => k.publicKey === publicKey && k.compromisedAt !== undefined && k.compromisedAt <= t) ??
      false
    );
  }

  /** Invariant 6 for one piece of text that left the key store's boundary. */
  scan(domain: string, at: number, where: string, text: string): void {
    this.checks[6] += 1;
    if (this.scanner.contains(text)) this.violate(6, domain, at, `private key material found in ${where}`);
  }

  /**
   * Invariants 5, 6 and 9 (the version) on every state item written: `json` as stored, and `parsed`, the
   * store's own reading of that JSON when it has one (`JSON.parse(json)` otherwise).
   */
  stateWritten(domain: string, at: number, json: string, parsed?: unknown): void {
    this.scan(domain, at, 'the state item', json);
    const state = (parsed ?? JSON.parse(json)) as Pick<DomainState, 'version' | 'keys'>;
    this.checks[5] += 1;
    const inFlight = state.keys.filter((k) => IN_FLIGHT.includes(k.state));
    if (inFlight.length > 1) {
      this.violate(
        5,
        domain,
        at,
        `${inFlight.length} rotations in flight: ${inFlight.map((k) => `${k.keyId} (${k.state})`).join(', ')}`,
      );
    }
    this.checks[9] += 1;
    const previous = this.versions.get(domain) ?? 0;
    if (state.version !== previous + 1) {
      this.violate(
        9,
        domain,
        at,
        state.version <= previous
          ? `state version ${state.version} was written again after version ${previous}: an earlier write was overwritten (a lost compare-and-swap)`
          : `state version ${state.version} was written after version ${previous}: ${state.version - previous - 1} version(s) skipped`,
      );
    }
    this.versions.set(domain, state.version);
    // A write at a version replaces whatever the history held at it: the commands recorded there are lost.
    this.commandEvents.get(domain)?.delete(state.version);
  }

  /** The audit events written with a state item (after `stateWritten`), for invariant 9's command check. */
  eventsRecorded(
    events: readonly {
      readonly domain: string;
      readonly at: number;
      readonly version: number;
      readonly policy: string;
    }[],
  ): void {
    for (const e of events) {
      if (!e.policy.startsWith('command:')) continue;
      const byVersion = this.commandEvents.get(e.domain) ?? new Map<number, CommandRecord[]>();
      this.commandEvents.set(e.domain, byVersion);
      const list = byVersion.get(e.version) ?? [];
      list.push({ action: e.policy.slice('command:'.length), at: e.at });
      byVersion.set(e.version, list);
    }
  }

  /**
   * Invariant 9: the driver reports an operator command as acknowledged (applied). It must be in the
   * recorded history — a `command:<action>` event at or after the time it was issued (at the version the
   * reconciler reported, if any) — now and, checked again by `finish`, at the end of the run.
   */
  commandAcknowledged(domain: string, ack: AcknowledgedCommand): void {
    if (READ_ONLY_COMMANDS.has(ack.action)) return;
    this.lastCommandAt.set(domain, Math.max(this.lastCommandAt.get(domain) ?? 0, ack.issuedAt));
    this.seen.acks += 1;
    this.acks.push({ domain, ack });
    this.checkAck(domain, ack, ack.issuedAt, 'was acknowledged but is not in the recorded history');
    this.oblige(domain, ack);
  }

  /** Invariant 10: an acknowledged disable or revoke starts an obligation; an acknowledged enable ends disables. */
  private oblige(domain: string, ack: AcknowledgedCommand): void {
    const list = this.obligations.get(domain) ?? [];
    this.obligations.set(domain, list);
    if (ack.action === 'enable') {
      for (const o of list) if (o.action === 'disable' && o.endedAt === undefined) o.endedAt = ack.issuedAt;
      return;
    }
    if (ack.action !== 'disable' && ack.action !== 'revoke') return;
    let publicKey: string | undefined;
    let keyId: string | undefined;
    if (ack.action === 'revoke') {
      publicKey = ack.key === undefined ? undefined : (this.keyIds.get(domain)?.get(ack.key) ?? ack.key);
      keyId = ack.key;
      if (!publicKey || !this.ours(domain, publicKey)) return; // a key byodkim never held: nothing can sign with it
    }
    list.push({
      domain,
      action: ack.action,
      issuedAt: ack.issuedAt,
      ...(publicKey !== undefined ? { publicKey } : {}),
      ...(keyId !== undefined ? { keyId } : {}),
      runsBefore: this.runsStarted,
    });
  }

  /** A run (scheduled, or an operator command's invocation) of some domain starts: its number, for `runCompleted`. */
  runStarted(): number {
    this.runsStarted += 1;
    return this.runsStarted;
  }

  /**
   * A run of `domain` completed (settled) at `at`: the acknowledged commands of the domain that were
   * acknowledged before it started are now carried out (invariant 10 holds from here). `sawEverything`
   * false: the world's DNS failed a lookup during the run — for invariant 11 it is a failed run, not one
   * that completes a chain of retries or ends the grace of the first completed run.
   */
  runCompleted(domain: string, run: number, at: number, sawEverything = true): void {
    // A run the DNS failed could not see every answer: it completes nothing for invariant 11 (`runFailed`).
    for (const o of sawEverything ? (this.reactions.get(domain) ?? []) : []) {
      if (o.completedAt === undefined && o.runsBefore < run) o.completedAt = at;
      if (o.chainUntil !== undefined && o.chainEnd === undefined && at <= o.chainUntil) o.chainEnd = at;
    }
    const pending = (this.obligations.get(domain) ?? []).filter(
      (o) => o.effectiveFrom === undefined && o.runsBefore < run,
    );
    if (pending.length === 0) return;
    this.seen.obligations += pending.length;
    for (const o of pending) {
      o.effectiveFrom = at;
      this.checks[10] += 1;
    }
  }

  /**
   * Invariant 11: a run of `domain` failed at `at` (throttling, 5xx, timeout, crash, lost compare-and-swap).
   * A failure before an open obligation's deadline starts a chain of retries; each failure within
   * RETRY_WITHIN_MS of the previous one continues it. The deadline becomes the end of the first run that
   * completes within RETRY_WITHIN_MS of the chain's last failure (or that moment, if none does).
   */
  runFailed(domain: string, at: number): void {
    for (const o of this.reactions.get(domain) ?? []) {
      if (o.reactedAt !== undefined || at < o.at) continue;
      const open = o.chainUntil !== undefined && o.chainEnd === undefined;
      if ((open && at <= o.chainUntil!) || at <= o.deadline) {
        o.chainUntil = at + RETRY_WITHIN_MS;
        o.chainEnd = undefined;
      }
    }
  }

  /** Invariant 10 for one obligation over a piece [start, end] of one signing segment. */
  private checkObligation(o: SigningObligation, segment: SigningSegment, start: number, end: number): void {
    if (o.violated || o.effectiveFrom === undefined) return;
    if (!segment.signing || segment.origin !== 'EXTERNAL' || !segment.publicKey) return;
    if (!this.ours(o.domain, segment.publicKey)) return;
    if (o.action === 'revoke' && segment.publicKey !== o.publicKey) return;
    const from = Math.max(start, o.effectiveFrom);
    const to = Math.min(end, o.endedAt ?? Infinity);
    // A piece of positive length after the run that carried the command out.
    if (to <= from) return;
    o.violated = true;
    const issued = new Date(o.issuedAt).toISOString();
    this.violate(
      10,
      o.domain,
      from,
      o.action === 'disable'
        ? `SES signs with byodkim selector ${segment.selector} after the operator's acknowledged disable issued at ${issued} was carried out (a completed run later) and before any acknowledged enable`
        : `SES signs with the revoked key (selector ${segment.selector}) after the operator's acknowledged revoke issued at ${issued} was carried out (a completed run later)`,
    );
  }

  private checkAck(domain: string, ack: AcknowledgedCommand, at: number, what: string): void {
    this.checks[9] += 1;
    const byVersion = this.commandEvents.get(domain);
    const found = [...(byVersion ?? [])].some(
      ([version, list]) =>
        (ack.version === undefined || version === ack.version) &&
        list.some((c) => c.action === ack.action && c.at >= ack.issuedAt),
    );
    if (!found) {
      this.violate(
        9,
        domain,
        at,
        `operator command ${ack.action} issued at ${new Date(ack.issuedAt).toISOString()}${ack.version !== undefined ? ` (version ${ack.version})` : ''} ${what}`,
      );
    }
  }

  /** Invariant 7: the replay right after a completed run must decide nothing. */
  replayed(domain: string, at: number, policy: string, actions: readonly string[], changed: boolean): void {
    this.checks[7] += 1;
    if (actions.length > 0 || changed) {
      this.violate(
        7,
        domain,
        at,
        `a replay of a completed run still acts: ${policy} ${actions.join(', ') || '(changes the state)'}`,
      );
    }
  }

  /** Invariant 7: a run that did not settle within its step budget. */
  didNotSettle(domain: string, at: number, steps: readonly string[]): void {
    this.checks[7] += 1;
    this.violate(
      7,
      domain,
      at,
      `the run did not settle within its step budget (last steps: ${steps.slice(-3).join(' | ')})`,
    );
  }

  private verifiedEverywhere(domain: string, selector: string, publicKey: string, t: number): string | undefined {
    const name = recordNameOf(selector, domain);
    const wrong = firstMismatch(this.ctx.dns, name, publicKey, t);
    if (wrong) return `the authoritative servers (${wrong.server}: ${summarize(wrong.answer)})`;
    for (const resolver of this.ctx.resolvers) {
      const answer = resolver.peek(name, t);
      if (!answerMatches(answer, publicKey)) return `resolver ${resolver.server} (${summarize(answer)})`;
    }
    return undefined;
  }

  /** Invariants 1–4 and 8 for one domain, after a step that touched it; also accounts unsigned time. */
  checkDomain(domain: string, now: number): void {
    const { ses, keyStore } = this.ctx;
    const spec = this.ctx.specOf(domain);
    ses.refresh(domain);
    // 1: every switch since the last check.
    for (; this.switchIndex < ses.switches.length; this.switchIndex += 1) {
      const s = ses.switches[this.switchIndex]!;
      this.noteSelector(s.domain, s.publicKey, s.selector);
      this.checks[1] += 1;
      const where = this.verifiedEverywhere(s.domain, s.selector, s.publicKey, s.at);
      if (where)
        this.violate(
          1,
          s.domain,
          s.at,
          `SES was given selector ${s.selector} while ${where} did not show its record byte-exact`,
        );
    }
    this.account(domain, now);
    // 2: the key SES is set to sign with.
    const identity = ses.peek(domain);
    if (
      identity &&
      identity.origin === 'EXTERNAL' &&
      identity.enabled &&
      identity.publicKey &&
      this.ours(domain, identity.publicKey)
    ) {
      this.checks[2] += 1;
      const selector = identity.tokens[0]!;
      const wrong = firstMismatch(this.ctx.dns, recordNameOf(selector, domain), identity.publicKey, now);
      if (wrong) {
        this.violate(
          2,
          domain,
          now,
          `selector ${selector} is active but its record does not match on ${wrong.server} (${summarize(wrong.answer)})`,
        );
      } else if (!keyStore.holds(domain, identity.publicKey)) {
        this.violate(2, domain, now, `selector ${selector} is active but its private key is not in the key store`);
      }
    }
    // 3: every deletion since the last check.
    for (; this.deletionIndex < keyStore.deletions.length; this.deletionIndex += 1) {
      const d = keyStore.deletions[this.deletionIndex]!;
      this.checks[3] += 1;
      this.account(d.domain, d.at);
      const history = this.keyHistory.get(d.domain)?.get(d.publicKey);
      const grace = this.graceMs(d.domain);
      const names = this.namesOf(d.domain, d.keyId, d.publicKey);
      const compromised = this.compromisedAt(d.domain, d.publicKey, undefined, d.at);
      const identityNow = ses.peek(d.domain);
      const signingNow = identityNow?.publicKey === d.publicKey && identityNow?.enabled;
      if (signingNow) {
        this.violate(3, d.domain, d.at, `key ${d.keyId} was destroyed while SES is set to sign with it`);
      } else if (history && !compromised && d.at - history.lastSigned < grace) {
        this.violate(
          3,
          d.domain,
          d.at,
          `key ${d.keyId} was destroyed ${((d.at - history.lastSigned) / DAY).toFixed(2)} days after it last signed (grace ${grace / DAY} days)`,
        );
      }
      for (const name of names) {
        const still = authoritativeAnswers(this.ctx.dns, name, d.at).some((a) => carries(a.answer, d.publicKey));
        if (still) {
          this.violate(3, d.domain, d.at, `key ${d.keyId} was destroyed while ${name} still publishes it`);
          break;
        }
      }
    }
    // 4: the age of the key SES signs with.
    if (identity?.publicKey && identity.origin === 'EXTERNAL') {
      const history = this.keyHistory.get(domain)?.get(identity.publicKey);
      if (history) {
        this.checks[4] += 1;
        if (!history.overReported && now - history.firstSigned > spec.rotation.intervalDays * DAY) {
          const excused = this.ctx.teamLate(domain, history.firstSigned, now) || this.ctx.operatorTouched(domain);
          if (!excused) {
            history.overReported = true;
            this.violate(
              4,
              domain,
              now,
              `selector ${identity.tokens[0]} has signed for ${((now - history.firstSigned) / DAY).toFixed(1)} days (interval ${spec.rotation.intervalDays})`,
            );
          }
        }
      }
    }
    // 8: the records of the selectors SES stopped using.
    this.checkRetired(domain, now);
  }

  private noteSelector(domain: string, publicKey: string, selector: string): void {
    const byKey = this.selectorsOf.get(domain) ?? new Map<string, Set<string>>();
    this.selectorsOf.set(domain, byKey);
    const set = byKey.get(publicKey) ?? new Set<string>();
    set.add(selector);
    byKey.set(publicKey, set);
  }

  /**
   * Where a key may be published: its key id (the selector, outside delegated mode), every selector SES
   * was given it under, and the two delegated slots (`<prefix>1`, `<prefix>2`).
   */
  private namesOf(domain: string, keyId: string, publicKey: string): string[] {
    const spec = this.ctx.specOf(domain);
    const selectors = new Set<string>([keyId, ...(this.selectorsOf.get(domain)?.get(publicKey) ?? [])]);
    if (spec.dns.kind === 'delegated') for (const n of [1, 2]) selectors.add(`${spec.selectorPrefix}${n}`);
    return [...selectors].map((s) => recordNameOf(s, domain));
  }

  /** Invariant 8: every retired selector of the domain, from where it was last checked up to `now`. */
  private checkRetired(domain: string, now: number): void {
    for (let i = 0; i < this.watches.length; i += 1) {
      const w = this.watches[i]!;
      if (w.domain !== domain) continue;
      const to = Math.min(now, w.until, w.endedAt ?? Infinity);
      const done = this.checkRetiredUntil(w, to) || to >= w.until || (w.endedAt !== undefined && to >= w.endedAt);
      if (done) {
        this.watches.splice(i, 1);
        i -= 1;
      }
    }
  }

  /** Checks one retired selector over (checkedTo, to]; true when the watch is over (violated or compromised). */
  private checkRetiredUntil(w: RetiredSelector, to: number): boolean {
    const from = w.checkedTo;
    if (from !== undefined && to <= from) return false;
    this.checks[8] += 1;
    const name = recordNameOf(w.selector, w.domain);
    const points = new Set<number>(from === undefined ? [w.from] : []);
    const start = from ?? w.from;
    for (const t of this.ctx.dns.changesBetween(name, start, to)) points.add(t);
    for (const target of this.cnameTargets(name, start, to))
      for (const t of this.ctx.dns.changesBetween(target, start, to)) points.add(t);
    w.checkedTo = to;
    // The grace period is [from, until): the record may go at `until`, or when SES is given the key again.
    const end = Math.min(w.until, w.endedAt ?? Infinity);
    for (const t of [...points].sort((a, b) => a - b)) {
      if (t >= end) break;
      if (this.compromisedAt(w.domain, w.publicKey, w.selector, t)) return true;
      if (this.ctx.changedByPerson?.(name, t)) continue;
      const wrong = firstMismatch(this.ctx.dns, name, w.publicKey, t);
      if (wrong) {
        this.violate(
          8,
          w.domain,
          t,
          `selector ${w.selector} stopped signing ${((t - w.from) / DAY).toFixed(2)} days before, within its ${(w.until - w.from) / DAY}-day grace period, but authoritative server ${wrong.server} no longer publishes its record unchanged (${summarize(wrong.answer)})`,
        );
        return true;
      }
    }
    return false;
  }

  /** CNAME targets of `name` at `from` and `to` (delegated selectors). */
  private cnameTargets(name: string, from: number, to: number): string[] {
    const targets = new Set<string>();
    for (const t of [from, to]) {
      for (const server of this.ctx.dns.servers(name)) {
        const cname = this.ctx.dns.at(name, t, server)?.cname;
        if (cname) targets.add(cname);
      }
    }
    return [...targets];
  }

  private ours(domain: string, publicKey: string): boolean {
    return this.ourKeys.get(domain)?.has(publicKey) ?? false;
  }

  /** Integrates SES's signing history and DNS over [accountedUntil, now): unsigned minutes, key ages. */
  account(domain: string, now: number): void {
    const { ses } = this.ctx;
    const from = this.accountedUntil.get(domain) ?? now;
    // Even at the same instant: a switch that just happened must start its key's history (invariant 4).
    this.accountedUntil.set(domain, now);
    const timeline = ses.timeline(domain);
    const sendingFrom = this.ctx.sendingFrom(domain);
    for (let i = 0; i < timeline.length; i += 1) {
      const segment = timeline[i]!;
      const start = Math.max(segment.from, from);
      const end = Math.min(timeline[i + 1]?.from ?? now, now);
      if (end < start) continue;
      this.checkObligations(domain, segment, start, end);
      this.trackKey(domain, segment, end);
      this.trackConfigured(domain, segment);
      if (end <= start || sendingFrom === undefined) continue;
      const a = Math.max(start, sendingFrom);
      if (end <= a) continue;
      for (const [u0, u1] of this.unsignedWithin(domain, segment, a, end)) this.addUnsigned(domain, u0, u1);
    }
    ses.forget(domain, now);
    if (this.reactions.has(domain)) this.checkReactions(domain, now);
  }

  /** Invariant 10 over one piece of SES's signing history. */
  private checkObligations(domain: string, segment: SigningSegment, start: number, end: number): void {
    const list = this.obligations.get(domain);
    if (!list) return;
    for (const o of list) {
      if (o.violated || o.effectiveFrom === undefined || end <= o.effectiveFrom) continue;
      if (o.endedAt !== undefined && start >= o.endedAt) continue;
      this.checks[10] += 1;
      this.checkObligation(o, segment, start, end);
    }
  }

  private trackKey(domain: string, segment: SigningSegment, end: number): void {
    if (
      !segment.signing ||
      segment.origin !== 'EXTERNAL' ||
      !segment.publicKey ||
      !this.ours(domain, segment.publicKey)
    )
      return;
    this.seen.signed += 1;
    let map = this.keyHistory.get(domain);
    if (!map) {
      map = new Map();
      this.keyHistory.set(domain, map);
    }
    const history = map.get(segment.publicKey);
    // A key pool hands a key out again years later: a long pause starts a new life (a rollback is days).
    if (history && segment.from - history.lastSigned < REUSE_GAP_MS)
      history.lastSigned = Math.max(history.lastSigned, end);
    else {
      if (history) this.retired.push({ domain, ...history });
      map.set(segment.publicKey, { firstSigned: segment.from, lastSigned: end });
    }
  }

  /**
   * Follows which key SES is configured with: when it moves off one of our keys that signed, that
   * selector's grace period starts at the moment SES last signed with it (invariant 8); when SES is given
   * a key again (rollback), its watch ends.
   */
  private trackConfigured(domain: string, segment: SigningSegment): void {
    const now = segment.origin === 'EXTERNAL' ? { publicKey: segment.publicKey, selector: segment.selector } : {};
    const before = this.configured.get(domain);
    if (before?.publicKey === now.publicKey && before?.selector === now.selector) return;
    this.configured.set(domain, now);
    if (now.publicKey) {
      for (const w of this.watches) {
        if (w.domain === domain && w.publicKey === now.publicKey && w.endedAt === undefined && segment.from >= w.from)
          w.endedAt = segment.from;
      }
    }
    if (!before?.publicKey || !before.selector || !this.ours(domain, before.publicKey)) return;
    const history = this.keyHistory.get(domain)?.get(before.publicKey);
    if (!history) return; // never signed: nobody verifies mail with it
    if (this.compromisedAt(domain, before.publicKey, before.selector, history.lastSigned)) return;
    this.seen.retirements += 1;
    this.watches.push({
      domain,
      selector: before.selector,
      publicKey: before.publicKey,
      from: history.lastSigned,
      until: history.lastSigned + this.graceMs(domain),
    });
  }

  /**
   * Sub-intervals of [a, b) during which mail from the domain cannot be verified by every receiver: a
   * receiver's cache may hold any answer of the last `soak` — the longest TTL the answers for the name
   * carried (positive, or the negative-caching time) — so the record must have matched throughout.
   */
  private unsignedWithin(domain: string, segment: SigningSegment, a: number, b: number): [number, number][] {
    if (!segment.signing) return [[a, b]];
    if (segment.origin === 'AWS_SES') return []; // Easy DKIM: SES publishes and rotates its own records
    const selector = segment.selector!;
    const publicKey = segment.publicKey!;
    const name = recordNameOf(selector, domain);
    const targets = this.cnameTargets(name, a, b);
    const changes = (from: number, to: number) => [
      ...this.ctx.dns.changesBetween(name, from, to),
      ...targets.flatMap((t) => this.ctx.dns.changesBetween(t, from, to)),
    ];
    // A receiver's resolver may have asked any authoritative server: every one's TTLs and answers count.
    let soak = 0;
    for (const t of [a - TTL_LOOKBACK_MS, ...changes(a - TTL_LOOKBACK_MS, b)])
      for (const { ttl } of authoritativeAnswers(this.ctx.dns, name, t)) soak = Math.max(soak, ttl * 1000);
    const points = new Set<number>([a - soak, ...changes(a - soak, b)]);
    const sorted = [...points].sort((x, y) => x - y);
    const unsigned: [number, number][] = [];
    let matchedSince: number | undefined;
    for (let i = 0; i < sorted.length; i += 1) {
      const s0 = sorted[i]!;
      const s1 = sorted[i + 1] ?? b;
      const ok = firstMismatch(this.ctx.dns, name, publicKey, s0) === undefined;
      if (ok) matchedSince ??= s0;
      else matchedSince = undefined;
      const goodFrom = matchedSince === undefined ? Infinity : matchedSince + soak;
      const lo = Math.max(s0, a);
      const hi = Math.min(s1, b);
      if (hi <= lo) continue;
      const badEnd = Math.min(hi, goodFrom);
      if (badEnd > lo) unsigned.push([lo, badEnd]);
    }
    return unsigned;
  }

  private addUnsigned(domain: string, from: number, to: number): void {
    const entry = this.unsigned.get(domain) ?? { minutes: 0, lastMinute: -Infinity };
    const first = Math.max(Math.floor(from / MINUTE), entry.lastMinute + 1);
    const last = Math.ceil(to / MINUTE) - 1;
    if (last >= first) {
      entry.minutes += last - first + 1;
      entry.lastMinute = last;
    }
    this.unsigned.set(domain, entry);
  }

  unsignedMinutesOf(domain: string): number {
    return this.unsigned.get(domain)?.minutes ?? 0;
  }

  totalUnsignedMinutes(): number {
    let total = 0;
    for (const entry of this.unsigned.values()) total += entry.minutes;
    return total;
  }

  /**
   * The end of a run: the retired selectors' records up to `now`, every acknowledged command once more
   * (a later write may have replaced it), and every invariant the run should have exercised but that
   * checked nothing — reported as a violation of that invariant.
   */
  finish(now: number): void {
    for (const domain of new Set(this.watches.map((w) => w.domain))) this.checkRetired(domain, now);
    for (const domain of [...this.reactions.keys()]) this.checkReactions(domain, now, true);
    for (const { domain, ack } of this.acks) this.checkAck(domain, ack, now, 'was lost from the recorded history');
    for (const [invariant, reason] of this.unexercised()) {
      this.violate(invariant, '', now, `invariant ${invariant} was checked 0 times although ${reason}`);
    }
  }

  /**
   * Invariants that checked nothing although the world gave them something to check, and why. What the
   * world did is read from the world (SES's calls, the key store), not from the checks' own loops.
   */
  unexercised(): [InvariantNumber, string][] {
    const { signed, retirements, acks, obligations } = this.seen;
    const endangering = this.personChangesChecked;
    const switches = this.ctx.ses.switches.length;
    const deletions = this.ctx.keyStore.deletions.length;
    const keys = [...this.ourKeys.values()].reduce((n, set) => n + set.size, 0);
    const acted = `byodkim created ${keys} key(s)`;
    const expected: [InvariantNumber, number, string][] = [
      [1, switches, `SES was switched ${switches} time(s)`],
      [2, signed, 'SES signed with byodkim keys'],
      [3, deletions, `${deletions} key(s) were destroyed`],
      [4, signed, 'SES signed with byodkim keys'],
      [5, keys, acted],
      [6, keys, acted],
      [7, keys, acted],
      [8, retirements, `${retirements} selector(s) retired`],
      [9, keys + acks, `${acted} and ${acks} command(s) were acknowledged`],
      [10, obligations, `${obligations} disable or revoke command(s) were acknowledged`],
      [11, endangering, `${endangering} change(s) by people endangered signing`],
    ];
    return expected.filter(([n, count]) => count > 0 && this.checks[n] === 0).map(([n, , reason]) => [n, reason]);
  }

  /**
   * Invariant 11: a person changed SES or DNS for `domain` at `at` (reported right after the change). When
   * it endangers signing, the engine must react by `at + schedulePeriodMs + REACTION_SLACK_MS`.
   */
  personChanged(domain: string, at: number, change: PersonChangeReport): void {
    const period = this.ctx.schedulePeriodMs;
    if (period === undefined) return;
    const identity = this.ctx.ses.peek(domain);
    const spec = this.ctx.specOf(domain);
    let what: string;
    let publicKey: string;
    let names: string[];
    if (change.kind === 'ses') {
      const before = change.before;
      if (before.origin !== 'EXTERNAL' || !before.enabled || !before.publicKey || !before.selector) return;
      if (!this.ours(domain, before.publicKey)) return;
      // Signing with that key is off by an acknowledged command (a disable not yet ended by an enable, or
      // the key's revoke): byodkim owes no signing with it — invariant 10 holds SES to the command instead.
      if (this.signingForbidden(domain, before.publicKey)) return;
      const same =
        identity?.origin === 'EXTERNAL' &&
        identity.enabled &&
        identity.tokens[0] === before.selector &&
        identity.publicKey === before.publicKey;
      if (same) return;
      // The record of the key SES signed with was already a person's doing (deleted or edited, not yet back
      // on every server): that key cannot be given back to SES until it is (invariant 1), and the record's
      // repair is what the earlier change required.
      if (this.ctx.changedByPerson?.(recordNameOf(before.selector, domain), at)) return;
      what =
        identity?.origin !== 'EXTERNAL'
          ? `SES switched to ${identity?.origin ?? 'nothing'}`
          : identity.publicKey !== before.publicKey || identity.tokens[0] !== before.selector
            ? `SES given selector ${identity.tokens[0]} instead of ${before.selector}`
            : `SES signing turned off (selector ${before.selector})`;
      publicKey = before.publicKey;
      names = [recordNameOf(before.selector, domain)];
    } else {
      // The record of a key SES was switched away from, damaged before the engine put SES back: SES may not
      // be given that key until its record verifies again everywhere (invariant 1) — the record's repair,
      // owed to this change, is now what that earlier change waits for.
      const lower = change.name.toLowerCase();
      const awaitsSes = (o: ReactionObligation) =>
        o.kind === 'ses' && o.reactedAt === undefined && o.names.includes(lower);
      const pending = this.reactions.get(domain) ?? [];
      const waiting = pending.find(awaitsSes);
      if (waiting) {
        const kept = pending.filter((o) => !awaitsSes(o));
        if (kept.length > 0) this.reactions.set(domain, kept);
        else this.reactions.delete(domain);
        what = `the record ${change.name} of the key SES was switched away from (${waiting.what}) deleted or edited`;
        publicKey = waiting.publicKey;
      } else {
        if (identity?.origin !== 'EXTERNAL' || !identity.publicKey || !this.ours(domain, identity.publicKey)) return;
        // Signing with that key is off by an acknowledged command: no signing is broken (invariant 10 holds
        // SES to the command); the record is still repaired before signing resumes (invariant 2 on enable).
        if (this.signingForbidden(domain, identity.publicKey)) return;
        const selector = identity.tokens[0]!;
        if (recordNameOf(selector, domain).toLowerCase() !== lower) return;
        // External mode: the record was still a person's doing just before this change (not yet back, as it
        // was, on every server): the urgent request to put it back — the reaction the earlier change required
        // — still stands, and asks for the same value. Only byodkim's own writes can be asked for again.
        if (spec.dns.kind === 'external' && this.ctx.changedByPerson?.(change.where, at - 1)) return;
        what = `the record ${change.name} of the selector SES signs with deleted or edited`;
        publicKey = identity.publicKey;
      }
      names = [change.name, change.where];
    }
    this.personChangesChecked += 1;
    const list = this.reactions.get(domain) ?? [];
    list.push({
      kind: change.kind,
      domain,
      at,
      deadline: at + period + REACTION_SLACK_MS,
      what,
      names: [...new Set(names.map((n) => n.toLowerCase()))],
      publicKey,
      external: spec.dns.kind === 'external',
      runsBefore: this.runsStarted,
    });
    this.reactions.set(domain, list);
  }

  /** Invariant 10's obligations in force: an acknowledged disable not ended, or a revoke of `publicKey`. */
  private signingForbidden(domain: string, publicKey: string): boolean {
    return (this.obligations.get(domain) ?? []).some((o) =>
      o.action === 'disable' ? o.endedAt === undefined : o.publicKey === publicKey,
    );
  }

  /** Invariant 11: a change of the domain that endangered signing is waiting for the engine's reaction. */
  awaitingReaction(domain: string): boolean {
    return this.reactions.get(domain)?.some((o) => o.reactedAt === undefined) ?? false;
  }

  /** Invariant 11: the world's Route 53 wrote `name` at `at` (a successful UPSERT, in any zone). */
  dnsWritten(name: string, at: number): void {
    if (this.reactions.size === 0) return;
    const lower = name.toLowerCase();
    for (const o of [...this.reactions.values()].flat())
      if (!o.external && o.reactedAt === undefined && at >= o.at && o.names.includes(lower))
        this.reacted(o, at, 'record written again');
  }

  /** Invariant 11: a message was sent (an urgent one to the DNS team is external mode's reaction). */
  notified(
    domain: string,
    at: number,
    n: { readonly audience: string; readonly subject: { readonly en: string } },
  ): void {
    if (n.audience !== 'dns-team' || !/\bURGENT\b/.test(n.subject.en)) return;
    for (const o of this.reactions.get(domain) ?? [])
      if (o.external && o.reactedAt === undefined && at >= o.at) this.reacted(o, at, 'urgent request to the DNS team');
  }

  private reacted(o: ReactionObligation, at: number, how: string): void {
    o.reactedAt = at;
    o.how = how;
  }

  /**
   * Invariant 11 for the domain's open obligations at `now`: SES set to sign with a byodkim key again (or,
   * for a broken record, with another one) is a reaction; a reaction by the deadline closes the obligation
   * (one check), none by then is a violation at the deadline. `final`: the end of the run (an obligation
   * whose deadline is later is dropped unchecked).
   */
  private checkReactions(domain: string, now: number, final = false): void {
    const list = this.reactions.get(domain);
    if (!list) return;
    const identity = this.ctx.ses.peek(domain);
    const sesBack =
      identity?.origin === 'EXTERNAL' &&
      identity.enabled &&
      !!identity.publicKey &&
      this.ours(domain, identity.publicKey);
    const keep: ReactionObligation[] = [];
    for (const o of list) {
      // SES signs with a byodkim key again — for a broken record, with another key than the broken one.
      if (
        o.reactedAt === undefined &&
        sesBack &&
        now >= o.at &&
        (o.kind === 'ses' || identity!.publicKey !== o.publicKey)
      )
        this.reacted(o, now, 'SES set to sign with a byodkim key');
      const command = this.lastCommandAt.get(domain);
      if (o.reactedAt === undefined && command !== undefined && command >= o.at && command <= o.deadline) continue;
      // Runs that failed (throttling, 5xx, crashes) are retried after their backoff: the deadline is the
      // later of the schedule period (+ slack) and the end of the first run after the change that completed.
      // A chain of failed runs retried promptly (runFailed) extends it to the run that completes the chain.
      const chain = o.chainUntil === undefined ? 0 : (o.chainEnd ?? o.chainUntil);
      const deadline = Math.max(o.deadline, o.completedAt ?? -Infinity, chain);
      if (o.reactedAt !== undefined && o.reactedAt <= deadline) {
        this.checks[11] += 1;
        const mode = this.ctx.specOf(domain).dns.kind;
        (this.reactionMinutes[mode] ??= []).push((o.reactedAt - o.at) / MINUTE);
        continue;
      }
      if (now > deadline || (final && deadline <= now)) {
        this.checks[11] += 1;
        this.violate(
          11,
          domain,
          deadline,
          `${o.what} at ${new Date(o.at).toISOString()}: no reaction by ${new Date(deadline).toISOString()} (${deadline === o.deadline ? `one schedule period and ${REACTION_SLACK_MS / MINUTE} minutes later` : deadline === chain ? (o.chainEnd === undefined ? `${RETRY_WITHIN_MS / MINUTE} minutes after a failed run, with no run since` : 'the end of the run that completed after failed runs retried in time') : 'the end of the first run after it that completed'})${o.reactedAt !== undefined ? `; the first came at ${new Date(o.reactedAt).toISOString()} (${o.how})` : ''}`,
        );
        continue;
      }
      if (!final) keep.push(o);
    }
    if (keep.length > 0) this.reactions.set(domain, keep);
    else this.reactions.delete(domain);
  }

  /** Key ages over the whole run (signing time of every byodkim key). */
  keyAges(now: number): KeyAgeSummary {
    let keys = 0;
    let maxDays = 0;
    let over = 0;
    let excused = 0;
    const live = [...this.keyHistory].flatMap(([domain, map]) => [...map.values()].map((h) => ({ domain, ...h })));
    for (const h of [...this.retired, ...live]) {
      const interval = this.ctx.specOf(h.domain).rotation.intervalDays * DAY;
      keys += 1;
      const age = h.lastSigned - h.firstSigned;
      maxDays = Math.max(maxDays, age / DAY);
      if (age > interval) {
        over += 1;
        if (this.ctx.teamLate(h.domain, h.firstSigned, now) || this.ctx.operatorTouched(h.domain)) excused += 1;
      }
    }
    return { keys, maxDays, overInterval: over, overIntervalExcused: excused };
  }
}
