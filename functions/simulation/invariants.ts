/**
 * The invariant checker (DESIGN.md §4). It looks at the simulated world — SES's real signing history,
 * the authoritative DNS data, the resolvers, the key store, everything written, sent, logged or measured —
 * never at what the engine *believes*, except where an invariant is about the engine's records (5) or an
 * operator's declaration (a compromised key has no grace period). The simulation calls it after every
 * step; a violation is a bug, reported with the first one explained.
 *
 *  1. SES is never switched to a selector whose record is not verified, byte-exact, in DNS
 *     → at every PutEmailIdentityDkimSigningAttributes, the record matches on the authoritative servers
 *       and on every public resolver.
 *  2. While a selector is active its record resolves and matches, and its private key is stored
 *     → whenever SES is set to sign with a byodkim key.
 *  3. A key is destroyed only after grace + revoked/removed → at every key store deletion, SES last
 *     signed with it ≥ grace ago (unless declared compromised) and DNS no longer publishes it.
 *  4. No key signs longer than the interval, unless the DNS team answered after the lead time.
 *  5. At most one rotation in flight per domain → every state item written.
 *  6. No private key material anywhere but the key store → every state item, event, notification,
 *     metric, log line and error message is scanned for fragments of every private key.
 *  7. Replay / crash converges → after every completed run, an immediate replay decides nothing new;
 *     a run that never settles within the step budget is a violation.
 */
import { dkimRecordName } from '../core/names';
import type { TxtAnswer } from '../dkim/dns-answer';
import { diagnoseRecord } from '../dkim/diagnosis';
import { joinStrings } from '../dkim/record';
import type { CachingResolver, SimDns } from '../memory/dns';
import type { MemoryKeyStore, MemorySes, SigningSegment } from '../memory/services';
import { DAY_MS } from '../core/time';
import { propagationSoakMs } from '../lifecycle/protocol';
import type { DomainSpec } from '../core/spec';
import { IN_FLIGHT_STATES, type DomainState } from '../lifecycle/state';

export interface Violation {
  readonly invariant: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  readonly domain: string;
  readonly at: number;
  readonly message: string;
}

export const INVARIANT_TITLES: Readonly<Record<Violation['invariant'], string>> = {
  1: 'SES switched to a selector whose record is not verified in DNS',
  2: 'an active selector whose record does not match, or whose key is not stored',
  3: 'a key destroyed before its grace period ended or before its record was revoked',
  4: 'a key active longer than the rotation interval although the DNS team answered in time',
  5: 'more than one rotation in flight',
  6: 'private key material outside the key store',
  7: 'a replay or a crash that does not converge',
};

/** Fragments of private keys, indexed for scanning. Only the parts a public key never contains. */
export class SecretScanner {
  private readonly chunks = new Map<string, number>();
  private readonly publicKeys = new Set<string>();
  private static readonly CHUNK = 16;
  /** Base64 offset past the modulus and public exponent, which the public key also carries. */
  private static readonly SKIP = 420;

  addPrivateKey(privateKey: string, publicKey?: string): void {
    for (let i = SecretScanner.SKIP; i + SecretScanner.CHUNK <= privateKey.length; i += SecretScanner.CHUNK) {
      this.chunks.set(privateKey.slice(i, i + SecretScanner.CHUNK), i);
    }
    if (publicKey) this.publicKeys.add(publicKey);
  }

  /** True when `text` holds 48 or more consecutive characters of a private key's secret part. */
  contains(text: string): boolean {
    for (const match of text.matchAll(/[A-Za-z0-9+/]{48,}/g)) {
      const run = match[0];
      if (this.publicKeys.has(run)) continue;
      for (let i = 0; i + SecretScanner.CHUNK <= run.length; i += 1) {
        if (this.chunks.has(run.slice(i, i + SecretScanner.CHUNK))) return true;
      }
    }
    return false;
  }
}

/** A key that stops signing for this long and signs again is a new use of a pooled key, not a rollback. */
const REUSE_GAP_MS = 60 * DAY_MS;

interface KeyHistory {
  firstSigned: number;
  lastSigned: number;
  overReported?: boolean;
}

export interface CheckerContext {
  readonly dns: SimDns;
  readonly resolvers: readonly CachingResolver[];
  readonly ses: MemorySes;
  readonly keyStore: MemoryKeyStore;
  readonly specOf: (domain: string) => DomainSpec;
  readonly stateOf: (domain: string) => DomainState | undefined;
  /**
   * Invariant 4's exception: a DNS-team request sent in [from, to] was answered after its lead time — or
   * is not answered yet, so the verdict waits until it is.
   */
  readonly teamLate: (domain: string, from: number, to: number) => boolean;
  /** Domains whose rotation an operator held up (disable, rollback…): invariant 4 does not apply. */
  readonly operatorTouched: (domain: string) => boolean;
  /** Time sending starts for a domain (adopted identities send from the start). */
  readonly sendingFrom: (domain: string) => number | undefined;
}

export interface KeyAgeSummary {
  readonly keys: number;
  readonly maxDays: number;
  readonly overInterval: number;
  readonly overIntervalExcused: number;
}

const recordMemo = new WeakMap<TxtAnswer, Map<string, boolean>>();

/** Does this DNS answer publish exactly this key (the record diagnosis says `match`)? */
export function answerMatches(answer: TxtAnswer, domain: string, selector: string, publicKey: string): boolean {
  if (answer.outcome !== 'answer' || answer.records.length !== 1) return false;
  if (joinStrings(answer.records[0]!) === `v=DKIM1; k=rsa; p=${publicKey}`) return true;
  let byKey = recordMemo.get(answer);
  if (!byKey) {
    byKey = new Map();
    recordMemo.set(answer, byKey);
  }
  const memoKey = `${selector}\u0000${publicKey}`;
  let ok = byKey.get(memoKey);
  if (ok === undefined) {
    ok = diagnoseRecord({ selector, domain, publicKey }, answer).ok;
    byKey.set(memoKey, ok);
  }
  return ok;
}

/** Does any record of this answer still carry the key (in whatever damaged form)? */
function carries(answer: TxtAnswer, publicKey: string): boolean {
  return answer.records.some((r) =>
    joinStrings(r)
      .replace(/[ \t\r\n"]/g, '')
      .includes(publicKey.slice(-64)),
  );
}

export class InvariantChecker {
  readonly violations: Violation[] = [];
  readonly counts: Record<Violation['invariant'], number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0 };
  private switchIndex = 0;
  private deletionIndex = 0;
  private readonly keyHistory = new Map<string, Map<string, KeyHistory>>();
  private readonly accountedUntil = new Map<string, number>();
  /** Unsigned minutes per domain: distinct minute buckets touched by unsigned time (counted in time order). */
  private readonly unsigned = new Map<string, { minutes: number; lastMinute: number }>();
  private readonly ourKeys = new Map<string, Set<string>>();
  private readonly retired: (KeyHistory & { domain: string })[] = [];

  constructor(
    private readonly ctx: CheckerContext,
    readonly scanner: SecretScanner,
    /** Keep at most this many violation records (counts are always complete). */
    private readonly keep = 50,
  ) {}

  private violate(invariant: Violation['invariant'], domain: string, at: number, message: string): void {
    this.counts[invariant] += 1;
    if (this.violations.length < this.keep) this.violations.push({ invariant, domain, at, message });
  }

  /** A byodkim key was created for a domain (its public key), so checks 2–4 know which keys are ours. */
  noteKey(domain: string, publicKey: string): void {
    let set = this.ourKeys.get(domain);
    if (!set) {
      set = new Set();
      this.ourKeys.set(domain, set);
    }
    set.add(publicKey);
  }

  /** Invariant 6 for one piece of text that left the key store's boundary. */
  scan(domain: string, at: number, where: string, text: string): void {
    if (this.scanner.contains(text)) this.violate(6, domain, at, `private key material found in ${where}`);
  }

  /** Invariant 5 (and 6) on every state item written. */
  stateWritten(domain: string, at: number, json: string): void {
    this.scan(domain, at, 'the state item', json);
    const state = JSON.parse(json) as DomainState;
    const inFlight = state.keys.filter((k) => IN_FLIGHT_STATES.includes(k.state));
    if (inFlight.length > 1) {
      this.violate(
        5,
        domain,
        at,
        `${inFlight.length} rotations in flight: ${inFlight.map((k) => `${k.keyId} (${k.state})`).join(', ')}`,
      );
    }
  }

  /** Invariant 7: the replay right after a completed run must decide nothing. */
  replayed(domain: string, at: number, policy: string, actions: readonly string[], changed: boolean): void {
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
    this.violate(
      7,
      domain,
      at,
      `the run did not settle within its step budget (last steps: ${steps.slice(-3).join(' | ')})`,
    );
  }

  private verifiedEverywhere(domain: string, selector: string, publicKey: string, t: number): string | undefined {
    const name = dkimRecordName(selector, domain);
    const authoritative = this.ctx.dns.resolve(name, t).answer;
    if (!answerMatches(authoritative, domain, selector, publicKey)) return 'the authoritative servers';
    for (const resolver of this.ctx.resolvers) {
      if (!answerMatches(resolver.peek(name, t), domain, selector, publicKey)) return `resolver ${resolver.server}`;
    }
    return undefined;
  }

  /** Invariants 1–4 for one domain, after a step that touched it; also accounts unsigned time. */
  checkDomain(domain: string, now: number): void {
    const { ses, keyStore } = this.ctx;
    const spec = this.ctx.specOf(domain);
    ses.refresh(domain);
    // 1: every switch since the last check.
    for (; this.switchIndex < ses.switches.length; this.switchIndex += 1) {
      const s = ses.switches[this.switchIndex]!;
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
      const selector = identity.tokens[0]!;
      const answer = this.ctx.dns.resolve(dkimRecordName(selector, domain), now).answer;
      if (!answerMatches(answer, domain, selector, identity.publicKey)) {
        this.violate(
          2,
          domain,
          now,
          `selector ${selector} is active but its record does not match (${answer.outcome}, ${answer.records.length} record(s))`,
        );
      } else if (!keyStore.holds(domain, identity.publicKey)) {
        this.violate(2, domain, now, `selector ${selector} is active but its private key is not in the key store`);
      }
    }
    // 3: every deletion since the last check.
    for (; this.deletionIndex < keyStore.deletions.length; this.deletionIndex += 1) {
      const d = keyStore.deletions[this.deletionIndex]!;
      this.account(d.domain, d.at);
      const history = this.keyHistory.get(d.domain)?.get(d.publicKey);
      const dspec = this.ctx.specOf(d.domain);
      const state = this.ctx.stateOf(d.domain);
      const record = state?.keys.find((k) => k.keyId === d.keyId);
      const compromised = record?.compromisedAt !== undefined;
      const signingNow = ses.peek(d.domain)?.publicKey === d.publicKey && ses.peek(d.domain)?.enabled;
      if (signingNow) {
        this.violate(3, d.domain, d.at, `key ${d.keyId} was destroyed while SES is set to sign with it`);
      } else if (history && !compromised && d.at - history.lastSigned < dspec.rotation.graceDays * DAY_MS) {
        this.violate(
          3,
          d.domain,
          d.at,
          `key ${d.keyId} was destroyed ${((d.at - history.lastSigned) / DAY_MS).toFixed(2)} days after it last signed (grace ${dspec.rotation.graceDays} days)`,
        );
      }
      const selector = record?.selector ?? d.keyId;
      const answer = this.ctx.dns.resolve(dkimRecordName(selector, d.domain), d.at).answer;
      if (carries(answer, d.publicKey)) {
        this.violate(
          3,
          d.domain,
          d.at,
          `key ${d.keyId} was destroyed while ${dkimRecordName(selector, d.domain)} still publishes it`,
        );
      }
    }
    // 4: the age of the key SES signs with.
    if (identity?.publicKey && identity.origin === 'EXTERNAL') {
      const history = this.keyHistory.get(domain)?.get(identity.publicKey);
      if (history && !history.overReported && now - history.firstSigned > spec.rotation.intervalDays * DAY_MS) {
        const excused = this.ctx.teamLate(domain, history.firstSigned, now) || this.ctx.operatorTouched(domain);
        if (!excused) {
          history.overReported = true;
          this.violate(
            4,
            domain,
            now,
            `selector ${identity.tokens[0]} has signed for ${((now - history.firstSigned) / DAY_MS).toFixed(1)} days (interval ${spec.rotation.intervalDays})`,
          );
        }
      }
    }
  }

  private ours(domain: string, publicKey: string): boolean {
    return this.ourKeys.get(domain)?.has(publicKey) ?? false;
  }

  /** Integrates SES's signing history and DNS over [accountedUntil, now): unsigned minutes, key ages. */
  account(domain: string, now: number): void {
    const { ses } = this.ctx;
    const spec = this.ctx.specOf(domain);
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
      this.trackKey(domain, segment, end);
      if (end <= start || sendingFrom === undefined) continue;
      const a = Math.max(start, sendingFrom);
      if (end <= a) continue;
      for (const [u0, u1] of this.unsignedWithin(domain, spec, segment, a, end)) this.addUnsigned(domain, u0, u1);
    }
    ses.forget(domain, now);
  }

  private trackKey(domain: string, segment: SigningSegment, end: number): void {
    if (
      !segment.signing ||
      segment.origin !== 'EXTERNAL' ||
      !segment.publicKey ||
      !this.ours(domain, segment.publicKey)
    )
      return;
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

  /** Sub-intervals of [a, b) during which mail from the domain cannot be verified by every receiver. */
  private unsignedWithin(
    domain: string,
    spec: DomainSpec,
    segment: SigningSegment,
    a: number,
    b: number,
  ): [number, number][] {
    if (!segment.signing) return [[a, b]];
    if (segment.origin === 'AWS_SES') return []; // Easy DKIM: SES publishes and rotates its own records
    const selector = segment.selector!;
    const publicKey = segment.publicKey!;
    // A receiver may have cached any answer of the last `soak` (TTL / negative TTL): it can verify only if
    // the record matched throughout [t - soak, t].
    const soak = propagationSoakMs(spec);
    const name = dkimRecordName(selector, domain);
    const points = new Set<number>([a - soak]);
    for (const t of this.ctx.dns.changesBetween(name, a - soak, b)) points.add(t);
    const target = this.ctx.dns.at(name, a)?.cname ?? this.ctx.dns.at(name, b)?.cname;
    if (target) for (const t of this.ctx.dns.changesBetween(target, a - soak, b)) points.add(t);
    const sorted = [...points].sort((x, y) => x - y);
    const unsigned: [number, number][] = [];
    let matchedSince: number | undefined;
    for (let i = 0; i < sorted.length; i += 1) {
      const s0 = sorted[i]!;
      const s1 = sorted[i + 1] ?? b;
      const ok = answerMatches(this.ctx.dns.resolve(name, s0).answer, domain, selector, publicKey);
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
    const first = Math.max(Math.floor(from / 60_000), entry.lastMinute + 1);
    const last = Math.ceil(to / 60_000) - 1;
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

  /** Key ages over the whole run (signing time of every byodkim key). */
  keyAges(now: number): KeyAgeSummary {
    let keys = 0;
    let maxDays = 0;
    let over = 0;
    let excused = 0;
    const live = [...this.keyHistory].flatMap(([domain, map]) => [...map.values()].map((h) => ({ domain, ...h })));
    for (const h of [...this.retired, ...live]) {
      const interval = this.ctx.specOf(h.domain).rotation.intervalDays * DAY_MS;
      keys += 1;
      const age = h.lastSigned - h.firstSigned;
      maxDays = Math.max(maxDays, age / DAY_MS);
      if (age > interval) {
        over += 1;
        if (this.ctx.teamLate(h.domain, h.firstSigned, now) || this.ctx.operatorTouched(h.domain)) excused += 1;
      }
    }
    return { keys, maxDays, overInterval: over, overIntervalExcused: excused };
  }
}
