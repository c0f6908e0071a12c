/**
 * People in the simulated world: colleagues who change things behind byodkim's back, at random (seeded)
 * times — in the SES console (switch the identity to Easy DKIM, turn signing off, give SES their own key
 * under another selector) or in DNS (delete or edit a published record in Route 53, in the delegated zone
 * byodkim owns, or in the DNS team's zone). The engine must repair what it owns (drift repair, active-record
 * repair) and never blame itself for what it cannot.
 *
 * The checker is told which authoritative names a person changed and when (`changedByPerson`), so that
 * invariant 8 does not count a person's deletion of a retired record against the engine. The unsigned
 * minutes that follow a person's change (until the domain signs verifiably with byodkim's key again) are
 * booked to the person, apart from the engine's ({@link UnsignedLedger}).
 */
import { dkimRecordName } from '../core/names';
import { formatRecordValue, splitIntoStrings } from '../dkim/record';
import type { KeyPair } from '../lifecycle/ports';
import type { RRset } from '../memory/dns';
import { activeKey, type DomainState, type KeyRecord } from '../lifecycle/state';
import { DAY_MS, HOUR_MS } from '../core/time';
import type { Prng } from './prng';
import type { World } from './world';
import type { PersonChangeReport, SesSettings } from './invariants';

export const PERSON_CHANGES = [
  /** SES console: the identity goes back to Easy DKIM. */
  'ses-easy-dkim',
  /** SES console: DKIM signing turned off. */
  'ses-signing-off',
  /** SES console: the identity is given someone's own key under another selector (its record published first). */
  'ses-other-key',
  /** DNS: the active selector's record deleted. */
  'dns-delete-active',
  /** DNS: the active selector's record edited (the key cut at the first 255 characters). */
  'dns-edit-active',
  /** DNS: a retired selector's record deleted during its grace period. */
  'dns-delete-retired',
  /** DNS: the record of the key on its way to activation deleted. */
  'dns-delete-new',
] as const;

export type PersonChange = (typeof PERSON_CHANGES)[number];

/** What a person did, for the driver: which unsigned minutes to book to them, and what the checker should skip. */
export interface PersonAct {
  readonly kind: PersonChange;
  /** The record SES signs with was broken: invariant 2 cannot hold until the engine repairs it. */
  readonly brokeActiveRecord: boolean;
  /** The change completes later (an event the person scheduled). */
  readonly later?: boolean;
}

/** Schedules an event for a domain (the simulation's queue). */
export type PersonSchedule = (at: number, domain: string, run: () => Promise<void> | void) => void;

/** A person's change of a name: from when a server showed it, what was there before, when it was back. */
interface Damage {
  readonly from: number;
  readonly original: string | undefined;
  /** The domain, and whether the record was the one SES signs with (its repair is what the domain waits for). */
  readonly domain: string;
  readonly active: boolean;
  repairedAt?: number;
}

/** An rrset as one comparable string (undefined: nothing at the name). */
function valueOf(rrset: RRset | undefined): string | undefined {
  if (!rrset) return undefined;
  return rrset.cname !== undefined ? `CNAME ${rrset.cname}` : JSON.stringify(rrset.txt ?? []);
}

/** Days until the next change to one domain: exponential, `rate` changes per domain per day on average. */
export function nextDelayMs(rng: Prng, rate: number): number {
  return (-Math.log(1 - rng.next()) / rate) * DAY_MS;
}

export class SimPeople {
  readonly made: Record<PersonChange, number> = Object.fromEntries(PERSON_CHANGES.map((k) => [k, 0])) as Record<
    PersonChange,
    number
  >;
  /** Authoritative names a person changed: lowercase name → each change (and when it was undone). */
  private readonly damages = new Map<string, Damage[]>();
  /** Per domain, the changes of its active record not yet seen undone (`activeRecordDamaged`). */
  private readonly activeDamages = new Map<string, [string, Damage][]>();
  /** Selector names (CNAMEs) → the names of the records they point to that a person changed. */
  private readonly targets = new Map<string, Set<string>>();
  private counter = 0;
  /** Told of every change right after it is made (invariant 11: the engine must react to it). */
  onChange?: (domain: string, at: number, change: PersonChangeReport) => void;

  constructor(
    private readonly rng: Prng,
    private readonly world: World,
    /** Key pairs people use for their own keys (never byodkim's). */
    private readonly ownKeys: readonly KeyPair[],
    private readonly schedule: PersonSchedule,
  ) {}

  get total(): number {
    return Object.values(this.made).reduce((a, b) => a + b, 0);
  }

  /**
   * For the checker: is what the authoritative servers publish for `name` at `at` still a person's doing?
   * True from a person's change of the name (or of the record its CNAME points to) until every server
   * shows the record as it was before again. A change reaches each server at its own time (secondaries
   * lag), and a repair may go wrong first (a DNS team's mistake while putting it back).
   */
  changedByPerson(name: string, at: number): boolean {
    const key = name.toLowerCase();
    for (const n of [key, ...(this.targets.get(key) ?? [])]) {
      for (const damage of this.damages.get(n) ?? []) {
        if (damage.from > at) continue;
        damage.repairedAt ??= this.restoredBetween(n, damage, at);
        if (damage.repairedAt === undefined || damage.repairedAt > at) return true;
      }
    }
    return false;
  }

  /**
   * Is a record SES signs with still as a person left it (not yet back on every server) for `domain` at
   * `at`? In external mode this is the DNS team's time (the ledger books it apart).
   */
  activeRecordDamaged(domain: string, at: number): boolean {
    const open = this.activeDamages.get(domain);
    if (!open) return false;
    let damaged = false;
    // Asked at the simulation's clock, which only moves forward: a damage repaired by now is dropped.
    for (let i = open.length - 1; i >= 0; i -= 1) {
      const [name, damage] = open[i]!;
      if (damage.from > at) continue;
      damage.repairedAt ??= this.restoredBetween(name, damage, at);
      if (damage.repairedAt === undefined || damage.repairedAt > at) damaged = true;
      else open.splice(i, 1);
    }
    return damaged;
  }

  /** SES's settings now, as the checker reads them (invariant 11). */
  private sesSettings(domain: string): SesSettings {
    const identity = this.world.ses.peek(domain);
    return {
      ...(identity?.origin ? { origin: identity.origin } : {}),
      enabled: identity?.enabled ?? false,
      ...(identity?.tokens[0] !== undefined ? { selector: identity.tokens[0] } : {}),
      ...(identity?.publicKey ? { publicKey: identity.publicKey } : {}),
    };
  }

  /** The first time in (damage.from, to] at which every server shows the record as it was before. */
  private restoredBetween(name: string, damage: Damage, to: number): number | undefined {
    const servers = this.world.dns.servers(name);
    for (const t of this.world.dns.changesBetween(name, damage.from, to)) {
      if (servers.every((server) => valueOf(this.world.dns.at(name, t, server)) === damage.original)) return t;
    }
    return undefined;
  }

  /**
   * One person changes something about the domain now, chosen among what makes sense for it (`state` is
   * what byodkim recorded: the driver uses it to find the records that exist). Nothing when the domain has
   * no byodkim key signing yet.
   */
  async act(domain: string, state: DomainState | undefined): Promise<PersonAct | undefined> {
    const active = state ? activeKey(state) : undefined;
    if (!state || !active?.publicKey || state.switching) return undefined;
    const identity = this.world.ses.peek(domain);
    const retired = state.keys.filter((k) => k.state === 'retiring' && k.publicKey);
    const fresh = state.keys.find((k) => (k.state === 'dns-verified' || k.state === 'dns-requested') && k.publicKey);
    const options: PersonChange[] = ['dns-delete-active', 'dns-edit-active'];
    if (identity?.origin === 'EXTERNAL' && identity.tokens[0] === active.selector) {
      options.push('ses-easy-dkim', 'ses-other-key');
      if (identity.enabled) options.push('ses-signing-off');
    }
    if (retired.length > 0) options.push('dns-delete-retired');
    // In the DNS team's zone, a new record deleted after it verified is only escalated, and the simulated
    // team ignores escalations of a request it answered: the rotation would wait for ever. Not simulated.
    if (fresh && this.world.spec(domain).dns.kind !== 'external') options.push('dns-delete-new');
    const kind = this.rng.pick(options);
    this.made[kind] += 1;
    const now = this.world.clock.now();
    const before = this.sesSettings(domain);
    switch (kind) {
      case 'ses-easy-dkim':
        this.world.ses.tamper(domain, {
          origin: 'AWS_SES',
          tokens: ['easy1', 'easy2', 'easy3'],
          status: 'SUCCESS',
          enabled: true,
        });
        this.onChange?.(domain, now, { kind: 'ses', before });
        return { kind, brokeActiveRecord: false };
      case 'ses-signing-off':
        this.world.ses.tamper(domain, { enabled: false });
        this.onChange?.(domain, now, { kind: 'ses', before });
        return { kind, brokeActiveRecord: false };
      case 'ses-other-key': {
        // A careful colleague: their record is published, and SES is given their key once every server
        // has it (an hour later).
        this.counter += 1;
        const selector = `manual-${this.counter}`;
        const pair = this.rng.pick(this.ownKeys);
        const name = dkimRecordName(selector, domain);
        this.set(domain, name, name, { txt: [splitIntoStrings(formatRecordValue(pair.publicKey))], ttl: 300 }, now);
        const give = async (tries: number): Promise<void> => {
          const t = this.world.clock.now();
          if (!this.publishedEverywhere(name, pair.publicKey, t) && tries < 72) {
            this.schedule(t + HOUR_MS, domain, () => give(tries + 1));
            return;
          }
          const settings = this.sesSettings(domain);
          try {
            await this.world.ses.putExternalSigningKey(domain, selector, pair.privateKey);
          } catch {
            // SES refused (throttled…): the colleague gives up.
            return;
          }
          this.onChange?.(domain, this.world.clock.now(), { kind: 'ses', before: settings });
        };
        this.schedule(now + HOUR_MS, domain, () => give(1));
        return { kind, brokeActiveRecord: false, later: true };
      }
      case 'dns-delete-active':
        this.damage(domain, active, now, 'delete', true);
        return { kind, brokeActiveRecord: true };
      case 'dns-edit-active':
        this.damage(domain, active, now, 'cut', true);
        return { kind, brokeActiveRecord: true };
      case 'dns-delete-retired':
        this.damage(domain, this.rng.pick(retired), now, 'delete', false);
        return { kind, brokeActiveRecord: false };
      case 'dns-delete-new':
        this.damage(domain, fresh!, now, 'delete', false);
        return { kind, brokeActiveRecord: false };
    }
  }

  /**
   * Deletes or cuts the key's record where it is published: the selector's name, or — when that is a
   * CNAME (delegated mode) — the TXT record it points to in byodkim's zone.
   */
  private damage(domain: string, key: KeyRecord, now: number, how: 'delete' | 'cut', active: boolean): void {
    const name = dkimRecordName(key.selector, domain);
    const target = this.world.dns.at(name, now)?.cname;
    const where = target ?? name;
    const rrset = this.world.dns.at(where, now);
    const cut = rrset?.txt?.[0]?.[0];
    const value = how === 'delete' || cut === undefined ? undefined : { txt: [[cut]], ttl: rrset!.ttl };
    this.set(domain, name, where, value, now, active);
    this.onChange?.(domain, now, { kind: 'dns', name, where });
  }

  /** Changes the authoritative data of `where` (the record of selector name `name`) and remembers it. */
  private set(
    domain: string,
    name: string,
    where: string,
    rrset: RRset | undefined,
    now: number,
    active = false,
  ): void {
    // A server may show a change a little before `now` (Route 53's servers before INSYNC) or after it.
    const before = new Set(this.world.dns.changesBetween(where, now - DAY_MS, now + 30 * DAY_MS));
    const original = valueOf(this.world.dns.at(where, now));
    this.world.dns.set(where, rrset, now);
    const shown = this.world.dns.changesBetween(where, now - DAY_MS, now + 30 * DAY_MS).filter((t) => !before.has(t));
    const key = where.toLowerCase();
    const list = this.damages.get(key) ?? [];
    const damage: Damage = { from: Math.min(now, ...shown), original, domain, active };
    list.push(damage);
    this.damages.set(key, list);
    if (active) {
      const open = this.activeDamages.get(domain) ?? [];
      open.push([key, damage]);
      this.activeDamages.set(domain, open);
    }
    if (where !== name) {
      const targets = this.targets.get(name.toLowerCase()) ?? new Set<string>();
      targets.add(key);
      this.targets.set(name.toLowerCase(), targets);
    }
  }

  /** Every authoritative server and public resolver shows the record (the colleague checks with dig). */
  private publishedEverywhere(name: string, publicKey: string, t: number): boolean {
    const value = formatRecordValue(publicKey);
    const ok = (answer: { outcome: string; records: readonly (readonly string[])[] }) =>
      answer.outcome === 'answer' && answer.records.length === 1 && answer.records[0]!.join('') === value;
    return (
      this.world.dns.servers(name).every((server) => ok(this.world.dns.resolve(name, t, server).answer)) &&
      this.world.resolvers.every((r) => ok(r.peek(name, t)))
    );
  }
}

export type UnsignedCause = 'engine' | 'person' | 'operator';

/**
 * The phases of a person's episode, each booked apart:
 * - `untilReaction`: from the change until the engine's reaction — the change is invisible until the
 *   domain's next run, so at most one schedule period (plus the run time; invariant 11 checks it);
 * - `repair`: from the reaction until the domain signs verifiably again, where byodkim can act (writes the
 *   record, gives SES the key again): propagation, the receivers' cache time, SES's re-verification;
 * - `dnsTeam`: external mode, while the record SES signs with is still as the person left it — the DNS
 *   team's time (byodkim asked urgently, reminds and escalates; it cannot write the zone).
 */
export const PERSON_PHASES = ['untilReaction', 'repair', 'dnsTeam'] as const;
export type PersonPhase = (typeof PERSON_PHASES)[number];

/** The longest episode (total unsigned minutes) and the longest of each phase, in minutes. */
export type PersonEpisodeMax = Record<'total' | PersonPhase, number>;

interface Episode {
  cause: 'person' | 'operator';
  group: string;
  since: number;
  minutes: number;
  byPhase: Record<PersonPhase, number>;
  /** Invariant 2 cannot hold until the engine repairs the record a person broke. */
  brokeActiveRecord: boolean;
  healthySince?: number;
}

function noPhases(): Record<PersonPhase, number> {
  return { untilReaction: 0, repair: 0, dnsTeam: 0 };
}

/**
 * Books unsigned minutes to their cause. A person's change (or an operator's disable, revoke or rollback)
 * opens an episode for the domain; the minutes the checker counts while it is open are the person's (or
 * the operator's); it closes once the domain has signed verifiably with byodkim's key for `tailMs` (longer
 * than any cache time, so the receivers' caches are covered). Every other unsigned minute is the engine's.
 * A person's minutes are split by phase (`phaseOf`, asked when they are booked: the phase the domain was
 * in up to the event that books them).
 */
export class UnsignedLedger {
  readonly minutes: Record<UnsignedCause, number> = { engine: 0, person: 0, operator: 0 };
  /** A person's unsigned minutes by phase (their sum is `minutes.person`). */
  readonly personByPhase: Record<PersonPhase, number> = noPhases();
  /** The longest single episode a person caused, in unsigned minutes, per group (the domains' DNS modes). */
  readonly personMaxPerChange: Record<string, number> = {};
  /** Per group: the longest episode a person caused, and the longest stretch of each phase in one episode. */
  readonly personMaxPerEpisode: Record<string, PersonEpisodeMax> = {};
  /** The engine's unsigned minutes per domain (where to look when there are any). */
  readonly engineByDomain = new Map<string, number>();
  private readonly episodes = new Map<string, Episode>();

  constructor(
    private readonly unsignedOf: (domain: string) => number,
    private readonly tailMs: number,
    private readonly phaseOf: (domain: string) => PersonPhase = () => 'repair',
  ) {}

  /** Runs an accounting step of the checker for the domain and books the minutes it added. */
  book(domain: string, account: () => void): void {
    const episode = this.episodes.get(domain);
    // The phase up to this event (the engine's reaction or the DNS team's answer, if any, comes in it).
    const phase = episode?.cause === 'person' ? this.phaseOf(domain) : undefined;
    const before = this.unsignedOf(domain);
    account();
    const added = this.unsignedOf(domain) - before;
    if (added <= 0) return;
    if (episode) {
      episode.minutes += added;
      this.minutes[episode.cause] += added;
      if (phase) {
        episode.byPhase[phase] += added;
        this.personByPhase[phase] += added;
      }
    } else {
      this.minutes.engine += added;
      this.engineByDomain.set(domain, (this.engineByDomain.get(domain) ?? 0) + added);
    }
  }

  /** A person or an operator changed something that may leave mail unsigned. */
  open(domain: string, cause: 'person' | 'operator', at: number, brokeActiveRecord = false, group = 'all'): void {
    const episode = this.episodes.get(domain);
    if (episode && !(episode.cause === 'person' && cause === 'operator')) {
      // The first cause keeps the episode; the domain must be healthy again from now on.
      episode.brokeActiveRecord ||= brokeActiveRecord;
      episode.healthySince = undefined;
      return;
    }
    // An operator's command (disable, revoke, rollback) takes the domain over from a person, as it does for
    // invariant 11: the person's episode ends as it stands, and what follows is the operator's.
    if (episode) this.close(domain, episode);
    this.episodes.set(domain, {
      cause,
      group,
      since: at,
      minutes: 0,
      byPhase: noPhases(),
      brokeActiveRecord: (episode?.brokeActiveRecord ?? false) || brokeActiveRecord,
    });
  }

  /** After an event of the domain: is it healthy (signing verifiably with byodkim's key) now? */
  settle(domain: string, now: number, healthy: boolean): void {
    const episode = this.episodes.get(domain);
    if (!episode) return;
    if (!healthy) {
      episode.healthySince = undefined;
      return;
    }
    episode.healthySince ??= now;
    if (now - episode.healthySince >= this.tailMs) this.close(domain, episode);
  }

  isOpen(domain: string): boolean {
    return this.episodes.has(domain);
  }

  /** A person broke the active record and the domain is not healthy again yet: invariant 2 waits. */
  suspendsActiveRecordCheck(domain: string): boolean {
    const episode = this.episodes.get(domain);
    return episode !== undefined && episode.brokeActiveRecord && episode.healthySince === undefined;
  }

  /** The end of the run: every open episode counts as it stands. */
  finish(): void {
    for (const [domain, episode] of this.episodes) this.close(domain, episode);
  }

  private close(domain: string, episode: Episode): void {
    if (episode.cause === 'person') {
      const group = episode.group;
      this.personMaxPerChange[group] = Math.max(this.personMaxPerChange[group] ?? 0, episode.minutes);
      const max = (this.personMaxPerEpisode[group] ??= { total: 0, ...noPhases() });
      max.total = Math.max(max.total, episode.minutes);
      for (const phase of PERSON_PHASES) max[phase] = Math.max(max[phase], episode.byPhase[phase]);
    }
    this.episodes.delete(domain);
  }
}
