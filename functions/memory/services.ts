/**
 * In-memory SES, Route 53, key store, state store, notifier, metrics, logger and clock. They behave like
 * the real services where the lifecycle depends on it:
 *
 * - SES checks the BYODKIM record when given a key and then every 5 minutes through its own caching
 *   resolver; PENDING → SUCCESS only once the record is visible and matches the key, FAILED after 72 h;
 *   signing happens only while enabled and SUCCESS. Giving SES a key again (the same one included) puts
 *   the identity back to PENDING: mail is unsigned until SES sees the record again.
 * - SES re-checks a verified record daily; when it is gone or wrong, SES turns signing OFF by itself
 *   (`SigningEnabled=false`, TEMPORARY_FAILURE, then FAILED after 72 h) and checks hourly. When the record
 *   is back the status returns to SUCCESS, but signing stays off until someone enables it again.
 * - The API takes any private key that matches the `DomainSigningPrivateKey` pattern. A PKCS#8 DER key or
 *   the base64 of a PEM file is accepted — and never verifies: PENDING, then FAILED after 72 h (as users
 *   report). Only base64 PKCS#1 DER works.
 * - Route 53 refuses strings over 255 characters and values over 4000, writes only inside its zones, and
 *   reports a change INSYNC (and the authoritative servers answer with it) after a delay.
 * - The key store never overwrites a key, hides private keys from listings, refuses to read a key
 *   scheduled for deletion and purges it after the recovery window.
 * - The state store keeps JSON (like DynamoDB items) and enforces the version condition.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { dkimRecordName, selectorProblem } from '../core/names';
import { ROUTE53_TXT_VALUE_MAX, TXT_STRING_MAX_OCTETS, joinStrings } from '../dkim/record';
import { ConflictError, ServiceError } from '../core/errors';
import type { Notification } from '../lifecycle/notifications';
import type {
  ChangeStatus,
  Clock,
  DnsZoneWriter,
  KeyPair,
  KeyStore,
  LifecycleEvent,
  Logger,
  MetricDatum,
  Metrics,
  Notifier,
  SesDkimAttributes,
  SesDkimStatus,
  SesIdentityDkim,
  SesSigningOrigin,
  StateStore,
  StoredKey,
} from '../lifecycle/ports';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time';
import type { DomainState } from '../lifecycle/state';
import { CachingResolver, SimDns, type RRset } from './dns';

export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

// ---------------------------------------------------------------------------------------------------
// SES

/** SES looks for a BYODKIM record for this long, then reports FAILED. */
export const SES_SEARCH_MS = 72 * 60 * MINUTE_MS;
/** How often SES looks again while PENDING. */
export const SES_CHECK_INTERVAL_MS = 5 * MINUTE_MS;
/** How often SES re-checks the record of a key that verified (a record that disappears stops signing). */
export const SES_RECHECK_MS = DAY_MS;
/** How often SES looks again for a record that disappeared (TEMPORARY_FAILURE). */
export const SES_FAILING_RECHECK_MS = HOUR_MS;
/** `DomainSigningPrivateKey`'s pattern and length (the API refuses anything else). */
const SES_KEY_PATTERN = /^[a-zA-Z0-9+/]+={0,2}$/;
const SES_KEY_MAX = 20480;

interface Identity {
  origin?: SesSigningOrigin;
  enabled: boolean;
  status: SesDkimStatus;
  tokens: string[];
  /** BYODKIM: the public half of the key SES was given. */
  publicKey?: string;
  /** False when the key was given in an encoding SES accepts but never verifies (PKCS#8, base64 of PEM). */
  verifiable?: boolean;
  pendingSince?: number;
  nextCheck?: number;
  lastVerified?: number;
  failingSince?: number;
}

/** One stretch of time during which SES signed (or did not) in the same way: the ground truth for checkers. */
export interface SigningSegment {
  readonly from: number;
  /** SES adds a DKIM signature (enabled and SUCCESS). */
  readonly signing: boolean;
  readonly origin?: SesSigningOrigin;
  readonly selector?: string;
  readonly publicKey?: string;
}

export interface SesSwitch {
  readonly at: number;
  readonly domain: string;
  readonly selector: string;
  readonly publicKey: string;
  /** The key's encoding: only `pkcs1` ever verifies. */
  readonly encoding: KeyEncoding;
}

export type KeyEncoding = 'pkcs1' | 'pkcs8' | 'base64-pem';

const publicKeyMemo = new Map<string, { publicKey: string; encoding: KeyEncoding }>();

/**
 * What SES reads from the private key it is given: the public half and the encoding — base64 PKCS#1 DER
 * (the only one that verifies), PKCS#8 DER or the base64 of a PEM file (accepted, never verifies).
 * undefined when it is no RSA private key at all.
 */
export function readSesKey(privateKey: string): { publicKey: string; encoding: KeyEncoding } | undefined {
  const hit = publicKeyMemo.get(privateKey);
  if (hit) return hit;
  const bytes = Buffer.from(privateKey, 'base64');
  const attempts: [KeyEncoding, () => ReturnType<typeof createPrivateKey>][] = [
    ['pkcs1', () => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs1' })],
    ['pkcs8', () => createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' })],
    ['base64-pem', () => createPrivateKey({ key: bytes.toString('latin1'), format: 'pem' })],
  ];
  for (const [encoding, read] of attempts) {
    try {
      const key = read();
      if (key.asymmetricKeyType !== 'rsa') continue;
      // OpenSSL reads a PKCS#8 structure as PKCS#1 when told so: tell them apart by the DER layout.
      if (encoding === 'pkcs1' && bytes[0] === 0x30 && pkcs8Layout(bytes)) continue;
      const publicKey = (createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
      const result = { publicKey, encoding };
      publicKeyMemo.set(privateKey, result);
      return result;
    } catch {
      // the next encoding
    }
  }
  return undefined;
}

/** PKCS#8 PrivateKeyInfo: SEQUENCE { INTEGER version, SEQUENCE algorithm, … } (PKCS#1 has INTEGERs only). */
function pkcs8Layout(der: Buffer): boolean {
  let at = 1;
  const length = der[at++]!;
  if (length & 0x80) at += length & 0x7f;
  if (der[at] !== 0x02) return false;
  at += 2 + der[at + 1]!;
  return der[at] === 0x30;
}

/** What SES derives from the private key it is given, when it is one SES verifies (PKCS#1 DER). */
export function publicKeyOf(privateKey: string): string | undefined {
  const read = readSesKey(privateKey);
  return read?.encoding === 'pkcs1' ? read.publicKey : undefined;
}

export class MemorySes implements SesIdentityDkim {
  private readonly identities = new Map<string, Identity>();
  private readonly timelines = new Map<string, SigningSegment[]>();
  /** Every PutEmailIdentityDkimSigningAttributes, for invariant 1. */
  readonly switches: SesSwitch[] = [];
  /** Every time SES turned signing off by itself (the record was gone or wrong at a re-check). */
  readonly signingTurnedOff: { readonly at: number; readonly domain: string }[] = [];

  constructor(
    private readonly clock: Clock,
    /** SES's own resolver: it sees DNS through a cache like everyone else. */
    private readonly resolver: CachingResolver,
  ) {}

  /** Creates an identity (Terraform's job): Easy DKIM, an existing BYODKIM key, or no DKIM yet. */
  createIdentity(
    domain: string,
    setup: { kind: 'easy-dkim' } | { kind: 'byodkim'; selector: string; publicKey: string } | { kind: 'none' },
  ): void {
    const now = this.clock.now();
    if (setup.kind === 'easy-dkim') {
      this.identities.set(domain, {
        origin: 'AWS_SES',
        enabled: true,
        status: 'SUCCESS',
        tokens: ['easy1', 'easy2', 'easy3'],
      });
    } else if (setup.kind === 'byodkim') {
      this.identities.set(domain, {
        origin: 'EXTERNAL',
        enabled: true,
        status: 'SUCCESS',
        tokens: [setup.selector],
        publicKey: setup.publicKey,
        lastVerified: now,
      });
    } else {
      this.identities.set(domain, { enabled: false, status: 'NOT_STARTED', tokens: [] });
    }
    this.record(domain, now);
  }

  private identity(domain: string): Identity {
    const identity = this.identities.get(domain);
    if (!identity) throw new ServiceError('NotFoundException', `SES identity ${domain} does not exist`, 'ses');
    return identity;
  }

  private matches(domain: string, identity: Identity, t: number): boolean {
    const selector = identity.tokens[0];
    if (!selector || !identity.publicKey || identity.verifiable === false) return false;
    const answer = this.resolver.query(dkimRecordName(selector, domain), t);
    if (answer.outcome !== 'answer' || answer.records.length !== 1) return false;
    const value = joinStrings(answer.records[0]!);
    const key = /(?:^|;)[ \t\r\n]*p=([^;]*)/.exec(value)?.[1];
    return !value.includes('"') && key !== undefined && key.replace(/[ \t\r\n]/g, '') === identity.publicKey;
  }

  /** Advances SES's own checks up to now (status transitions happen at their exact times). */
  refresh(domain: string): void {
    const identity = this.identities.get(domain);
    if (!identity || identity.origin !== 'EXTERNAL') return;
    const now = this.clock.now();
    if (identity.status === 'PENDING' && identity.nextCheck !== undefined) {
      while (identity.nextCheck !== undefined && identity.nextCheck <= now && identity.status === 'PENDING') {
        const t: number = identity.nextCheck;
        if (this.matches(domain, identity, t)) {
          identity.status = 'SUCCESS';
          identity.lastVerified = t;
          this.record(domain, t);
        } else if (t - (identity.pendingSince ?? t) >= SES_SEARCH_MS) {
          identity.status = 'FAILED';
          this.record(domain, t);
        } else {
          identity.nextCheck = t + SES_CHECK_INTERVAL_MS;
        }
      }
      return;
    }
    // A verified record is re-checked daily; one that failed, hourly (until FAILED after 72 h). The check
    // happens at the first look after it is due (never back-dated: the signing history is append-only).
    const failing = identity.status === 'TEMPORARY_FAILURE';
    if (identity.status !== 'SUCCESS' && !failing) return;
    if ((identity.lastVerified ?? now) + (failing ? SES_FAILING_RECHECK_MS : SES_RECHECK_MS) > now) return;
    identity.lastVerified = now;
    if (this.matches(domain, identity, now)) {
      identity.failingSince = undefined;
      if (failing) {
        // Back to SUCCESS, but signing stays off: SES does not turn it on again by itself.
        identity.status = 'SUCCESS';
        this.record(domain, now);
      }
      return;
    }
    if (identity.failingSince === undefined) {
      // The record is gone or wrong: SES turns signing off by itself.
      identity.failingSince = now;
      identity.enabled = false;
      this.signingTurnedOff.push({ at: now, domain });
    }
    identity.status = now - identity.failingSince >= SES_SEARCH_MS ? 'FAILED' : 'TEMPORARY_FAILURE';
    this.record(domain, now);
  }

  async getDkim(domain: string): Promise<SesDkimAttributes | undefined> {
    if (!this.identities.has(domain)) return undefined;
    this.refresh(domain);
    const identity = this.identity(domain);
    return {
      ...(identity.origin ? { origin: identity.origin } : {}),
      signingEnabled: identity.enabled,
      status: identity.status,
      tokens: [...identity.tokens],
    };
  }

  async putExternalSigningKey(domain: string, selector: string, privateKey: string): Promise<void> {
    const identity = this.identity(domain);
    this.refresh(domain);
    const problem = selectorProblem(selector);
    if (problem) throw new ServiceError('BadRequestException', `DomainSigningSelector ${problem}`, 'ses');
    if (privateKey.length === 0 || privateKey.length > SES_KEY_MAX || !SES_KEY_PATTERN.test(privateKey))
      throw new ServiceError(
        'BadRequestException',
        `DomainSigningPrivateKey must match ${String(SES_KEY_PATTERN)}, 1–${SES_KEY_MAX} characters`,
        'ses',
      );
    const read = readSesKey(privateKey);
    if (!read)
      throw new ServiceError('BadRequestException', 'DomainSigningPrivateKey is not an RSA private key', 'ses');
    const { publicKey, encoding } = read;
    const now = this.clock.now();
    Object.assign(identity, {
      origin: 'EXTERNAL',
      tokens: [selector],
      publicKey,
      verifiable: encoding === 'pkcs1',
      status: 'PENDING',
      pendingSince: now,
      nextCheck: now,
      failingSince: undefined,
    } satisfies Partial<Identity>);
    this.switches.push({ at: now, domain, selector, publicKey, encoding });
    this.record(domain, now);
    this.refresh(domain);
  }

  async setSigningEnabled(domain: string, enabled: boolean): Promise<void> {
    const identity = this.identity(domain);
    this.refresh(domain);
    identity.enabled = enabled;
    this.record(domain, this.clock.now());
  }

  /** Test hook: change the identity behind byodkim's back (a colleague in the console). */
  tamper(domain: string, patch: Partial<Pick<Identity, 'origin' | 'enabled' | 'status' | 'tokens'>>): void {
    this.refresh(domain);
    Object.assign(this.identity(domain), patch);
    this.record(domain, this.clock.now());
  }

  private record(domain: string, at: number): void {
    const identity = this.identities.get(domain)!;
    const signing = identity.enabled && identity.status === 'SUCCESS' && identity.origin !== undefined;
    const segment: SigningSegment = {
      from: at,
      signing,
      ...(identity.origin ? { origin: identity.origin } : {}),
      ...(identity.origin === 'EXTERNAL' ? { selector: identity.tokens[0], publicKey: identity.publicKey } : {}),
    };
    const timeline = this.timelines.get(domain) ?? [];
    const last = timeline[timeline.length - 1];
    if (
      last &&
      last.signing === segment.signing &&
      last.selector === segment.selector &&
      last.publicKey === segment.publicKey &&
      last.origin === segment.origin
    )
      return;
    while (timeline.length > 0 && timeline[timeline.length - 1]!.from >= at) timeline.pop();
    timeline.push(segment);
    this.timelines.set(domain, timeline);
  }

  /** SES's signing history for a domain (oldest first). */
  timeline(domain: string): readonly SigningSegment[] {
    return this.timelines.get(domain) ?? [];
  }

  /** Drops history before `t`, keeping the segment in force at `t`. */
  forget(domain: string, t: number): void {
    const timeline = this.timelines.get(domain);
    if (!timeline) return;
    let keep = 0;
    for (let i = 0; i < timeline.length; i += 1) if (timeline[i]!.from <= t) keep = i;
    if (keep > 0) timeline.splice(0, keep);
  }

  /** The identity's current settings (for checkers; no private key). */
  peek(domain: string): Readonly<Identity> | undefined {
    return this.identities.get(domain);
  }
}

// ---------------------------------------------------------------------------------------------------
// Route 53

export interface HostedZone {
  /** The hosted zone id (route53 mode) or zone name (delegated mode) the engine passes as `zone`. */
  readonly ref: string;
  /** The zone's apex, e.g. `example.com`. */
  readonly apex: string;
}

/** How long Route 53 takes to propagate a change to its authoritative servers. */
export const ROUTE53_SYNC_MS = 45_000;

export class MemoryRoute53 implements DnsZoneWriter {
  private readonly zones = new Map<string, HostedZone>();
  private readonly changes = new Map<string, number>();
  private counter = 0;

  constructor(
    private readonly clock: Clock,
    private readonly dns: SimDns,
    private readonly syncMs: number = ROUTE53_SYNC_MS,
  ) {}

  addZone(zone: HostedZone): void {
    this.zones.set(zone.ref, zone);
  }

  async upsertTxt(
    zone: string,
    name: string,
    strings: readonly string[],
    ttlSeconds: number,
  ): Promise<{ changeId: string }> {
    const hosted = this.zones.get(zone);
    if (!hosted) throw new ServiceError('NoSuchHostedZone', `no hosted zone ${zone}`, 'route53');
    const lower = name.toLowerCase().replace(/\.$/, '');
    if (lower !== hosted.apex && !lower.endsWith(`.${hosted.apex}`)) {
      throw new ServiceError(
        'InvalidChangeBatch',
        `RRSet with DNS name ${name} is not permitted in zone ${hosted.apex}`,
        'route53',
      );
    }
    const long = strings.find((s) => Buffer.byteLength(s, 'utf8') > TXT_STRING_MAX_OCTETS);
    if (long !== undefined) {
      throw new ServiceError(
        'InvalidChangeBatch',
        `TXT character-string of ${long.length} characters exceeds ${TXT_STRING_MAX_OCTETS}`,
        'route53',
      );
    }
    const quotedLength = strings.reduce((sum, s) => sum + s.length + 2, 0) + Math.max(0, strings.length - 1);
    if (quotedLength > ROUTE53_TXT_VALUE_MAX) {
      throw new ServiceError(
        'InvalidChangeBatch',
        `TXT value of ${quotedLength} characters exceeds ${ROUTE53_TXT_VALUE_MAX}`,
        'route53',
      );
    }
    const now = this.clock.now();
    this.counter += 1;
    const changeId = `/change/C${String(this.counter).padStart(10, '0')}`;
    const rrset: RRset = { txt: [[...strings]], ttl: ttlSeconds };
    this.dns.set(lower, rrset, now + this.syncMs);
    this.changes.set(changeId, now + this.syncMs);
    return { changeId };
  }

  /** Writes a CNAME (the DNS team's job in delegated mode, or a test's). */
  setCname(name: string, target: string, ttlSeconds: number): void {
    this.dns.set(name, { cname: target, ttl: ttlSeconds }, this.clock.now());
  }

  async getChange(changeId: string): Promise<ChangeStatus> {
    const insyncAt = this.changes.get(changeId);
    if (insyncAt === undefined) throw new ServiceError('NoSuchChange', `no change ${changeId}`, 'route53');
    return this.clock.now() >= insyncAt ? 'INSYNC' : 'PENDING';
  }
}

// ---------------------------------------------------------------------------------------------------
// Key store

interface StoredSecret {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly createdAt: number;
  deletionScheduledAt?: number;
  purgeAt?: number;
}

export interface KeyDeletion {
  readonly at: number;
  readonly domain: string;
  readonly keyId: string;
  readonly publicKey: string;
}

export class MemoryKeyStore implements KeyStore {
  private readonly secrets = new Map<string, Map<string, StoredSecret>>();
  /** Every deletion scheduled, for invariant 3. */
  readonly deletions: KeyDeletion[] = [];

  constructor(private readonly clock: Clock) {}

  private domainSecrets(domain: string): Map<string, StoredSecret> {
    let map = this.secrets.get(domain);
    if (!map) {
      map = new Map();
      this.secrets.set(domain, map);
    }
    const now = this.clock.now();
    for (const [id, secret] of map) if (secret.purgeAt !== undefined && now >= secret.purgeAt) map.delete(id);
    return map;
  }

  async list(domain: string): Promise<readonly StoredKey[]> {
    return [...this.domainSecrets(domain)].map(([keyId, s]) => ({
      keyId,
      publicKey: s.publicKey,
      createdAt: s.createdAt,
      ...(s.deletionScheduledAt !== undefined ? { deletionScheduledAt: s.deletionScheduledAt } : {}),
    }));
  }

  async create(domain: string, keyId: string, pair: KeyPair): Promise<'created' | 'exists'> {
    const map = this.domainSecrets(domain);
    if (map.has(keyId)) return 'exists';
    map.set(keyId, { privateKey: pair.privateKey, publicKey: pair.publicKey, createdAt: this.clock.now() });
    return 'created';
  }

  async readPrivateKey(domain: string, keyId: string): Promise<string> {
    const secret = this.domainSecrets(domain).get(keyId);
    if (!secret) throw new ServiceError('ResourceNotFoundException', `no key ${keyId} for ${domain}`, 'secretsmanager');
    if (secret.deletionScheduledAt !== undefined) {
      throw new ServiceError(
        'InvalidRequestException',
        `key ${keyId} of ${domain} is scheduled for deletion`,
        'secretsmanager',
      );
    }
    return secret.privateKey;
  }

  async scheduleDeletion(domain: string, keyId: string, recoveryWindowDays: number): Promise<void> {
    const secret = this.domainSecrets(domain).get(keyId);
    if (!secret || secret.deletionScheduledAt !== undefined) return;
    const now = this.clock.now();
    secret.deletionScheduledAt = now;
    secret.purgeAt = now + recoveryWindowDays * DAY_MS;
    this.deletions.push({ at: now, domain, keyId, publicKey: secret.publicKey });
  }

  /** For checkers: the usable (not deletion-scheduled) key with this public key, if any. */
  holds(domain: string, publicKey: string): boolean {
    for (const secret of this.domainSecrets(domain).values()) {
      if (secret.publicKey === publicKey && secret.deletionScheduledAt === undefined) return true;
    }
    return false;
  }

  /** Test hook: a key lost outside byodkim (deleted by hand). */
  lose(domain: string, keyId: string): void {
    this.domainSecrets(domain).delete(keyId);
  }
}

// ---------------------------------------------------------------------------------------------------
// State store, notifier, metrics, logger

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}

export class MemoryStateStore implements StateStore {
  /**
   * The item as DynamoDB holds it (JSON), its version, and a frozen snapshot of it (what `load` returns),
   * read from the JSON when first asked for (a run writes several versions and the next run reads one).
   */
  private readonly items = new Map<string, { json: string; version: number; state?: DomainState }>();
  readonly events: LifecycleEvent[] = [];
  /** Called with every item written (JSON), for the invariant checker. */
  onWrite: (domain: string, json: string) => void = () => undefined;
  /** Keep the audit trail (false in long simulations: the checker scans events as they arrive). */
  keepEvents = true;
  onEvents: (events: readonly LifecycleEvent[]) => void = () => undefined;
  /**
   * The conditional write (compare-and-swap on `version`). Tests turn it off to break it on purpose: the
   * store then writes whatever it is given, and the invariant checker must see the lost update (invariant 9).
   */
  conditional = true;

  async load(domain: string): Promise<DomainState | undefined> {
    return this.snapshot(domain);
  }

  async save(state: DomainState, expectedVersion: number, events: readonly LifecycleEvent[] = []): Promise<void> {
    const version = this.items.get(state.domain)?.version ?? 0;
    if (this.conditional && (version !== expectedVersion || state.version !== expectedVersion + 1)) {
      throw new ConflictError(
        `state of ${state.domain} is at version ${version}, not ${expectedVersion}`,
        expectedVersion,
      );
    }
    const json = JSON.stringify(state);
    this.items.set(state.domain, { json, version: state.version });
    this.onWrite(state.domain, json);
    if (events.length > 0) {
      if (this.keepEvents) this.events.push(...events);
      this.onEvents(events);
    }
  }

  /** The raw item (JSON), as DynamoDB would hold it. */
  raw(domain: string): string | undefined {
    return this.items.get(domain)?.json;
  }

  /** The item as `load` returns it (frozen, read from the JSON), without waiting (for the simulation's drivers). */
  snapshot(domain: string): DomainState | undefined {
    const item = this.items.get(domain);
    if (!item) return undefined;
    item.state ??= deepFreeze(JSON.parse(item.json) as DomainState);
    return item.state;
  }
}

export class MemoryNotifier implements Notifier {
  readonly sent: Notification[] = [];
  keep = true;
  private readonly listeners: ((n: Notification) => void)[] = [];

  subscribe(listener: (n: Notification) => void): void {
    this.listeners.push(listener);
  }

  async send(notification: Notification): Promise<void> {
    if (this.keep) this.sent.push(notification);
    for (const listener of this.listeners) listener(notification);
  }
}

export class MemoryMetrics implements Metrics {
  readonly data: MetricDatum[] = [];
  keep = true;
  onEmit: (datum: MetricDatum) => void = () => undefined;
  emit(datum: MetricDatum): void {
    if (this.keep) this.data.push(datum);
    this.onEmit(datum);
  }
}

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = [];
  keep = true;
  onLog: (line: LogLine) => void = () => undefined;
  log(level: LogLine['level'], event: string, fields: Readonly<Record<string, unknown>>): void {
    const line = { level, event, fields };
    if (this.keep) this.lines.push(line);
    this.onLog(line);
  }
}
