/**
 * A simulated DNS team (external and delegated modes). It reads the change requests byodkim sends — by
 * parsing the zone-file lines in the message, like a person copying them — and publishes after a random
 * delay: mostly within the lead time, sometimes late (escalations speed it up). Sometimes it makes the
 * mistakes docs/design.md lists (pasted quotes, key cut at 255, domain appended twice, two TXT records at one
 * name, a stale old value, whitespace inside p=) and fixes them after being told what is wrong.
 *
 * It records, per request, when a correct record was first in place: the invariant checker uses that to
 * tell "the DNS team was late" (a key may then outlive its interval) from an engine bug.
 */
import { parseZoneFileRecord } from '../dkim/record';
import type { Notification } from '../lifecycle/notifications';
import type { Clock } from '../lifecycle/ports';
import { DAY_MS, HOUR_MS } from '../core/time';
import type { SimDns } from '../memory/dns';
import type { Prng } from './prng';

export const TEAM_MISTAKES = [
  'pasted-quotes',
  'key-cut-at-255',
  'domain-appended-twice',
  'two-records',
  'stale-old-value',
  'whitespace-in-p',
] as const;
export type TeamMistake = (typeof TEAM_MISTAKES)[number];

export interface TeamOptions {
  /** Probability that a publication has one of the mistakes. @default 0.25 */
  readonly mistakeRate?: number;
  /** Probability that the team answers after the lead time. @default 0.08 */
  readonly lateRate?: number;
  /**
   * Probability that a publication request is answered only after the domain's renewBefore (1.05–1.5 ×),
   * escalations notwithstanding: the old key outlives its interval, which invariant 4 must excuse.
   * @default 0.01
   */
  readonly veryLateRate?: number;
  /** Probability that a fix after a correction is wrong again. @default 0.1 */
  readonly repeatMistakeRate?: number;
}

interface TxtRequestData {
  readonly name: string;
  readonly ttl: number;
  readonly strings: readonly string[];
}

export interface TeamRequest {
  readonly id: string;
  readonly domain: string;
  readonly kind: 'publish' | 'revoke' | 'delegate';
  readonly sentAt: number;
  readonly leadTimeDays: number;
  readonly renewBeforeDays: number;
  /** Answered only after renewBefore; escalations do not hurry it. */
  veryLate?: boolean;
  readonly txt?: TxtRequestData;
  readonly cnames?: readonly { name: string; target: string; ttl: number }[];
  /** When a correct record (or the CNAMEs, or the revocation) was first in place. */
  correctAt?: number;
  firstAnswerAt?: number;
  /** The pending action's time and token (a newer schedule supersedes older ones). */
  scheduledAt?: number;
  token: number;
  mistakes: TeamMistake[];
  urgent: boolean;
}

export type Schedule = (at: number, domain: string, action: () => void) => void;

const ZONE_TXT_LINE = /^\S+\.? \d+ IN TXT .+$/m;
const ZONE_CNAME_LINE = /^(\S+)\. (\d+) IN CNAME (\S+)\.$/gm;

export class SimDnsTeam {
  readonly requests = new Map<string, TeamRequest>();
  /** The last value the team published per domain (what a "stale old value" repeats). */
  private readonly lastPublished = new Map<string, readonly string[]>();
  published = 0;
  mistakesMade = 0;
  /** What the team does, for `simulate`'s trace. */
  trace?: (domain: string, line: string) => void;

  constructor(
    private readonly rng: Prng,
    private readonly dns: SimDns,
    private readonly clock: Clock,
    private readonly schedule: Schedule,
    private readonly leadTimeOf: (domain: string) => number,
    private readonly renewBeforeOf: (domain: string) => number,
    private readonly options: TeamOptions = {},
  ) {}

  /** The notifier delivers every message here; the team acts on the ones addressed to it. */
  receive(n: Notification): void {
    if (n.audience !== 'dns-team' || !n.requestId) return;
    const now = this.clock.now();
    switch (n.kind) {
      case 'dns-change-request':
      case 'dns-revocation-request':
      case 'delegation-request': {
        const known = this.requests.get(n.requestId);
        const request = known ?? this.open(n, now);
        if (!known && request.kind === 'revoke') this.closeOvertaken(request);
        if (request.correctAt === undefined && request.scheduledAt === undefined)
          this.plan(request, this.answerDelay(request));
        return;
      }
      case 'dns-change-reminder':
        return;
      case 'dns-change-escalation': {
        const request = this.requests.get(n.requestId);
        if (
          request &&
          !request.veryLate &&
          request.correctAt === undefined &&
          (request.scheduledAt ?? Infinity) > now + 2 * DAY_MS
        ) {
          this.plan(request, this.rng.between(0.5, 2) * DAY_MS);
        }
        return;
      }
      case 'dns-correction':
      case 'delegation-correction': {
        const request = this.requests.get(n.requestId);
        if (request) this.plan(request, this.rng.between(0.2, 2) * DAY_MS, true);
        return;
      }
      default:
        return;
    }
  }

  private open(n: Notification, now: number): TeamRequest {
    const kind =
      n.kind === 'delegation-request' ? 'delegate' : n.kind === 'dns-revocation-request' ? 'revoke' : 'publish';
    const body = n.body.en;
    let txt: TxtRequestData | undefined;
    let cnames: { name: string; target: string; ttl: number }[] | undefined;
    if (kind === 'delegate') {
      cnames = [...body.matchAll(ZONE_CNAME_LINE)].map((m) => ({ name: m[1]!, target: m[3]!, ttl: Number(m[2]) }));
    } else {
      const line = ZONE_TXT_LINE.exec(body)?.[0];
      if (!line) throw new Error(`the DNS team cannot find a zone-file line in request ${n.requestId}`);
      const parsed = parseZoneFileRecord(line);
      txt = { name: parsed.name!, ttl: parsed.ttl ?? 3600, strings: parsed.strings };
    }
    const request: TeamRequest = {
      id: n.requestId!,
      domain: n.domain,
      kind,
      sentAt: now,
      leadTimeDays: this.leadTimeOf(n.domain),
      renewBeforeDays: this.renewBeforeOf(n.domain),
      ...(txt ? { txt } : {}),
      ...(cnames ? { cnames } : {}),
      token: 0,
      mistakes: [],
      urgent: n.subject.en.includes('URGENT'),
    };
    this.requests.set(request.id, request);
    return request;
  }

  /**
   * Mostly within the lead time; `lateRate` of requests late (up to 1.8 × lead); `veryLateRate` of
   * publications only after renewBefore. Urgent: hours.
   */
  private answerDelay(request: TeamRequest): number {
    if (request.urgent) return this.rng.between(1, 12) * HOUR_MS;
    const lead = request.leadTimeDays * DAY_MS;
    const roll = this.rng.next();
    const late = this.options.lateRate ?? 0.08;
    const veryLate = request.kind === 'publish' ? (this.options.veryLateRate ?? 0.01) : 0;
    if (roll < veryLate) {
      request.veryLate = true;
      return this.rng.between(1.05, 1.5) * Math.max(request.renewBeforeDays, request.leadTimeDays) * DAY_MS;
    }
    if (roll < veryLate + late) return this.rng.between(1.0, 1.8) * lead;
    if (roll < veryLate + late + 0.12) return this.rng.between(0.85, 0.99) * lead;
    return this.rng.between(0.05, 0.85) * lead;
  }

  private plan(request: TeamRequest, delay: number, fixing = false): void {
    const at = this.clock.now() + delay;
    request.token += 1;
    const token = request.token;
    request.scheduledAt = at;
    this.schedule(at, request.domain, () => {
      if (request.token !== token) return;
      request.scheduledAt = undefined;
      this.act(request, fixing);
    });
  }

  private act(request: TeamRequest, fixing: boolean): void {
    const now = this.clock.now();
    request.firstAnswerAt ??= now;
    if (request.kind === 'delegate') return this.delegate(request, fixing);
    const txt = request.txt!;
    if (request.kind === 'revoke') {
      if (this.rng.chance(0.25)) this.dns.set(txt.name, undefined, now);
      else this.dns.set(txt.name, { txt: [[...txt.strings]], ttl: txt.ttl }, now);
      request.correctAt ??= now;
      return;
    }
    const rate = fixing ? (this.options.repeatMistakeRate ?? 0.1) : (this.options.mistakeRate ?? 0.25);
    const mistake = this.rng.chance(rate) ? this.rng.pick(TEAM_MISTAKES) : undefined;
    this.trace?.(
      request.domain,
      `team acts on ${request.id} (${txt.name}${fixing ? ', fixing' : ''}): ${mistake ?? 'correct'}`,
    );
    this.publish(request, txt, mistake, now);
  }

  private publish(request: TeamRequest, txt: TxtRequestData, mistake: TeamMistake | undefined, now: number): void {
    this.published += 1;
    const strings = txt.strings;
    const set = (name: string, records: readonly (readonly string[])[]) =>
      this.dns.set(name, { txt: records, ttl: txt.ttl }, now);
    // A fix replaces whatever the team published before (at the right name and the doubled one).
    this.dns.set(`${txt.name}.${request.domain}`, undefined, now);
    const stale = this.lastPublished.get(request.domain);
    const effective = mistake === 'stale-old-value' && !stale ? 'key-cut-at-255' : mistake;
    if (effective) {
      request.mistakes.push(effective);
      this.mistakesMade += 1;
    }
    switch (effective) {
      case 'pasted-quotes':
        set(txt.name, [[`"${strings[0]}`, ...strings.slice(1, -1), `${strings[strings.length - 1]}"`]]);
        return;
      case 'key-cut-at-255':
        set(txt.name, [[strings[0]!]]);
        return;
      case 'domain-appended-twice':
        this.dns.set(txt.name, undefined, now);
        set(`${txt.name}.${request.domain}`, [strings]);
        return;
      case 'two-records':
        set(
          txt.name,
          strings.map((s) => [s]),
        );
        return;
      case 'stale-old-value':
        set(txt.name, [stale!]);
        return;
      case 'whitespace-in-p': {
        // Verifiers would remove the spaces, but the record is not byte-exact: byodkim asks for a fix.
        const joined = strings.join('');
        const at = joined.indexOf('p=') + 60;
        const spaced = `${joined.slice(0, at)} ${joined.slice(at, at + 64)} ${joined.slice(at + 64)}`;
        const parts: string[] = [];
        for (let i = 0; i < spaced.length; i += 255) parts.push(spaced.slice(i, i + 255));
        set(txt.name, [parts]);
        return;
      }
      default:
        set(txt.name, [strings]);
        this.lastPublished.set(request.domain, strings);
        request.correctAt ??= now;
        this.closeDuplicates(request, now);
    }
  }

  /**
   * The record a request asks for is now in place, exactly: every other open ticket for the same record
   * (the same name and value — a publication request that an URGENT one for the same key overtook, an
   * older restore request) is closed as done, its planned answer dropped. A team does not paste a record
   * again over the live one for a ticket that is already fulfilled.
   */
  private closeDuplicates(done: TeamRequest, now: number): void {
    const value = done.txt!.strings.join('');
    for (const r of this.requests.values()) {
      if (r === done || r.domain !== done.domain || r.kind !== 'publish' || !r.txt) continue;
      if (r.txt.name !== done.txt!.name || r.txt.strings.join('') !== value) continue;
      if (r.scheduledAt === undefined && r.correctAt !== undefined) continue;
      r.correctAt ??= now;
      r.firstAnswerAt ??= now;
      r.token += 1;
      r.scheduledAt = undefined;
      this.trace?.(r.domain, `team closes ${r.id}: the record it asks for is in place (${done.id})`);
    }
  }

  /**
   * A revocation overtakes every open request to publish (or put back) a record at the same name: the team
   * does the latest instruction, not a restore of a record it has just been told to revoke.
   */
  private closeOvertaken(revoke: TeamRequest): void {
    const name = revoke.txt!.name.toLowerCase();
    for (const r of this.requests.values()) {
      if (r.domain !== revoke.domain || r.kind !== 'publish' || !r.txt || r.txt.name.toLowerCase() !== name) continue;
      if (r.scheduledAt === undefined && r.correctAt !== undefined) continue;
      r.correctAt ??= this.clock.now();
      r.firstAnswerAt ??= this.clock.now();
      r.token += 1;
      r.scheduledAt = undefined;
      this.trace?.(r.domain, `team drops ${r.id}: overtaken by the revocation ${revoke.id}`);
    }
  }

  private delegate(request: TeamRequest, fixing: boolean): void {
    const now = this.clock.now();
    const cnames = request.cnames ?? [];
    const mistake =
      !fixing && this.rng.chance(this.options.mistakeRate ?? 0.25)
        ? this.rng.pick(['doubled', 'one-only'] as const)
        : undefined;
    cnames.forEach((c, i) => {
      if (mistake === 'one-only' && i === 1) return;
      if (mistake === 'doubled' && i === 1) {
        this.dns.set(`${c.name}.${request.domain}`, { cname: c.target, ttl: c.ttl }, now);
        return;
      }
      this.dns.set(`${c.name}.${request.domain}`, undefined, now);
      this.dns.set(c.name, { cname: c.target, ttl: c.ttl }, now);
    });
    if (mistake) {
      this.mistakesMade += 1;
      request.mistakes.push(mistake === 'doubled' ? 'domain-appended-twice' : 'two-records');
    } else {
      request.correctAt ??= now;
    }
  }

  /**
   * True when a request of this domain sent within [from, to] could still excuse an old key: the team
   * answered it after its lead time, or has not answered it yet (a verdict must wait for the answer).
   */
  mayExcuse(domain: string, from: number, to: number): boolean {
    for (const r of this.requests.values()) {
      if (r.domain !== domain || r.kind === 'revoke' || r.sentAt < from || r.sentAt > to) continue;
      if (r.correctAt === undefined || r.correctAt > r.sentAt + r.leadTimeDays * DAY_MS) return true;
    }
    return false;
  }

  /** Requests whose correct answer took longer than the lead time (or never came). */
  lateRequests(now: number): number {
    let late = 0;
    for (const r of this.requests.values()) {
      const due = r.sentAt + r.leadTimeDays * DAY_MS;
      if ((r.correctAt ?? (now > due ? Infinity : 0)) > due) late += 1;
    }
    return late;
  }
}
