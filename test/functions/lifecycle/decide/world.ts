/**
 * A situation for `decide`, stated in a few lines: the domain's spec (per DNS mode), the recorded keys and
 * what a run observes (SES, the key store, DNS answers per server, Route 53 changes), at one instant.
 *
 *   given('route53').key('current', 'active').signing('current').dns('current', 'correct')
 *
 * Defaults describe a domain that has been running for a while: every recorded key with a public key is
 * in the key store, the identity was adopted from Easy DKIM (and replaced once a key was activated), a
 * delegated domain's CNAMEs are verified. Nothing is observed in DNS unless a case says so.
 *
 * The public keys are real RSA-2048 keys (made once with Node's crypto, independent of the code under
 * test), so the record diagnosis sees what it sees in production; no key is generated per test. `decide`
 * never sees private keys.
 */
import { decide } from '../../../../functions/lifecycle/decide';
import type { Observations, RecordObservation } from '../../../../functions/lifecycle/observations';
import type { ChangeStatus, SesDkimAttributes, StoredKey } from '../../../../functions/lifecycle/ports';
import type { DomainState, KeyRecord, KeyState } from '../../../../functions/lifecycle/state';
import type { TxtAnswer } from '../../../../functions/dkim/dns-answer';
import { defaultRenewBeforeDays, type DomainSpec, type RotationPolicy } from '../../../../functions/core/spec';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../../functions/core/time';

export { DAY_MS, HOUR_MS, MINUTE_MS };

export type Decision = ReturnType<typeof decide>;

/** Wednesday 2026-04-01 03:00 UTC (noon in Tokyo). */
export const NOW = Date.UTC(2026, 3, 1, 3, 0, 0);
export const DOMAIN = 'example.jp';
export const HOSTED_ZONE_ID = 'Z0EXAMPLE';
export const OWNED_ZONE = 'dkim.example.net';
export const DNS_TEAM = ['dns@example.jp'];
export const REVOKED_VALUE = 'v=DKIM1; p=';

export const PUBLIC_KEYS = {
  old: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx3B4yX904gTVnHNrYB1JocJq41aE2DHght8qbIg2REDYWnihTuueOVxEOE5ySBHkd1Pih2y1l2DgsEYe12gH5RGieyuNX+f7uTmUcqD2IHaI/epjFVl1zWhmeztHgm83bU/sQ5tKrVJwfd0ZqeHMy20TsD5DgmkMEwVy9V/MTckou018xACeBigK1zavtsLfC/Q06hRodftuhqb2rfjym1/8w0Fa1Wed9M3LqnEBGT0YscNOYhAVM0S1G4/RdV9ANOajm4gGS9Z2TXSHoszytsXTDFh8Q0PrE1ZCnYHssjsM6DCQon9bbyPYeOH7ybzi2Jy4ju86WTZN2+5fjH0+EwIDAQAB',
  current:
    'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAn6CBctNUjPrZ7jQKIUn2pwYpX0ysqPIz7Z23bk2gUbxe1/iTrKbAoDuGm3bkOXX0eLKX/xr7ZwKDhCSkM+hJYWCawwU83W2gLfASR/ET6WVv9Tdw3wHMvnShLf5XfKX78+D1Ub1ns9EDD+udywFWBxJd/vcstDXglzXJbOxp08BNRFbwvgkQvAwyXEoFCLtJK834nxU16fvKnevEtHXvo0jNXo4wt67p96rGv3rKLKTEgfH31Bx7ey4p+7aUcD2GmqmrDqjoccRmNKTGBkqD7eQuFMU5sVdkWwTHtfz3FcmGcCIXdizdl5a67BXaz98rp59r+fmJ2aAxsAEjroWIwwIDAQAB',
  next: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuiMX8WBlOI1xFEq0a2aYX/pkhvsLt0OtvAUI5clCR82BQ4ZuhwbyJu11PHcEOXIXwn5lyL7LuFuUgQPP3G+ET4UH/tqiBvNT9JwFePxe+HbsONoxPQm/GESPuL6bSW83RBh1gQZsov/vxKHIrbskPP9LO1aagkGz9x5QW2R3a4vKG37LlG/mKy0NmdIl2+z8R4Adzy9Z1mXeo7d/VRQGroxLPLLo7PuQBgNQREp4u3bi8Wn6Ej5+OtbsEO12XW5QNEFzWA2VsUVM+Uk8eJ173KXeF+C6i8z/X3azQhv5oZgIb9p+sXentjDQf+rI7gD2wlSM9etelN6/11jtEc3BYwIDAQAB',
} as const;

/** The three keys a case talks about by name: the one before, the one SES signs with, the one on its way. */
export type KeyName = keyof typeof PUBLIC_KEYS;

export const KEY_IDS: Record<KeyName, string> = {
  old: 'mail-20250801-1',
  current: 'mail-20251101-1',
  next: 'mail-20260330-1',
};

/** The id the next new key gets at NOW: `<prefix>-<yyyymmdd>-<n>`. */
export const NEW_KEY_ID = 'mail-20260401-1';

const CREATED_AT: Record<KeyName, number> = {
  old: NOW - 240 * DAY_MS,
  current: NOW - 60 * DAY_MS,
  next: NOW - 2 * DAY_MS,
};
/** Delegated mode: `current` occupies slot 1, `old` (before it) and `next` (after it) slot 2. */
const SLOTS: Record<KeyName, 1 | 2> = { old: 2, current: 1, next: 2 };

const AUTHORITATIVE = ['authoritative:ns-1.example.jp', 'authoritative:ns-2.example.jp'] as const;
const RESOLVERS = ['resolver:8.8.8.8', 'resolver:1.1.1.1'] as const;
export const SERVERS = [...AUTHORITATIVE, ...RESOLVERS] as const;

export type Mode = DomainSpec['dns']['kind'];

export function specFor(mode: Mode, rotation: Partial<RotationPolicy> = {}): DomainSpec {
  const dns: DomainSpec['dns'] =
    mode === 'route53'
      ? { kind: 'route53', hostedZoneId: HOSTED_ZONE_ID }
      : mode === 'external'
        ? { kind: 'external', contacts: DNS_TEAM, locale: 'ja', leadTimeDays: 14 }
        : { kind: 'delegated', zoneName: OWNED_ZONE, contacts: DNS_TEAM, locale: 'ja', leadTimeDays: 14 };
  return {
    domain: DOMAIN,
    selectorPrefix: 'mail',
    keyBits: 2048,
    dns,
    rotation: {
      intervalDays: 180,
      renewBeforeDays: defaultRenewBeforeDays(dns),
      graceDays: 7,
      activation: 'auto',
      ...rotation,
    },
  };
}

/** `<selector>._domainkey.<domain>`, written out here rather than taken from the code under test. */
export function recordName(selector: string): string {
  return `${selector}._domainkey.${DOMAIN}`;
}

/** The record value for a public key. */
export function recordValue(publicKey: string): string {
  return `v=DKIM1; k=rsa; p=${publicKey}`;
}

/** The value cut into 255-character strings of one record. */
export function recordStrings(publicKey: string): string[] {
  const value = recordValue(publicKey);
  const strings: string[] = [];
  for (let i = 0; i < value.length; i += 255) strings.push(value.slice(i, i + 255));
  return strings;
}

/** What one server shows at a selector's name. */
export type Shown =
  /** The key's record, byte-exact, in 255-character strings. */
  | 'correct'
  /** Another key's record (a stale or mistyped value). */
  | 'wrong-key'
  /** The value cut after the first 255 characters. */
  | 'truncated'
  /** `v=DKIM1; p=`. */
  | 'revoked'
  /** NXDOMAIN (delegated mode: no CNAME either). */
  | 'missing'
  /** The server did not answer. */
  | 'timeout';

/** The same on every server, or one thing on the authoritative servers and another on the resolvers. */
export type Seen = Shown | { readonly authoritative: Shown; readonly resolvers: Shown };

function answer(name: string, server: string, shown: Shown, publicKey: string, cnameChain: string[]): TxtAnswer {
  const base = { name, server, cnameChain };
  switch (shown) {
    case 'correct':
      return { ...base, outcome: 'answer', records: [recordStrings(publicKey)] };
    case 'wrong-key':
      return {
        ...base,
        outcome: 'answer',
        records: [recordStrings(publicKey === PUBLIC_KEYS.old ? PUBLIC_KEYS.next : PUBLIC_KEYS.old)],
      };
    case 'truncated':
      return { ...base, outcome: 'answer', records: [[recordValue(publicKey).slice(0, 255)]] };
    case 'revoked':
      return { ...base, outcome: 'answer', records: [[REVOKED_VALUE]] };
    case 'missing':
      return { ...base, outcome: 'nxdomain', records: [], cnameChain: [] };
    case 'timeout':
      return { ...base, outcome: 'timeout', records: [], cnameChain: [] };
  }
}

function stateDefaults(world: World, name: KeyName | string, state: KeyState): KeyRecord {
  const named = (name in PUBLIC_KEYS ? name : undefined) as KeyName | undefined;
  const keyId = named ? KEY_IDS[named] : name;
  const createdAt = named ? CREATED_AT[named] : NOW - 400 * DAY_MS;
  const delegated = world.spec.dns.kind === 'delegated';
  const slot = named ? SLOTS[named] : 1;
  const writable = world.spec.dns.kind !== 'external';
  const order = ['generated', 'dns-requested', 'dns-verified', 'active', 'retiring', 'revoked', 'destroyed'];
  const reached = (s: KeyState) => order.indexOf(state) >= order.indexOf(s);
  const requestedAt = createdAt + MINUTE_MS;
  let key: KeyRecord = {
    keyId,
    selector: delegated ? `mail${slot}` : keyId,
    state,
    reason: 'scheduled',
    createdAt,
    ...(delegated ? { slot } : {}),
    ...(state !== 'generated' ? { publicKey: named ? PUBLIC_KEYS[named] : PUBLIC_KEYS.old } : {}),
  };
  if (reached('dns-requested')) {
    key = {
      ...key,
      dnsRequestedAt: requestedAt,
      ...(writable
        ? { route53ChangeId: `change-${keyId}`, route53InSyncAt: requestedAt + MINUTE_MS }
        : {
            dnsRequest: {
              id: keyId,
              sentAt: requestedAt,
              deliveredAt: requestedAt,
              deadline: requestedAt + 14 * DAY_MS,
              reminders: 0,
              escalations: 0,
            },
          }),
    };
  }
  if (reached('dns-verified')) {
    key = { ...key, dnsVerifiedAt: state === 'dns-verified' ? NOW - 2 * HOUR_MS : createdAt + HOUR_MS };
  }
  if (reached('active')) key = { ...key, activatedAt: createdAt + DAY_MS };
  if (reached('retiring')) {
    key = { ...key, retiredAt: state === 'retiring' ? NOW - DAY_MS : NOW - 8 * DAY_MS };
  }
  if (reached('revoked')) {
    const startedAt = state === 'revoked' ? NOW - HOUR_MS : NOW - 25 * DAY_MS;
    key = {
      ...key,
      revocation: {
        startedAt,
        ...(state === 'destroyed' ? { confirmedAt: startedAt + HOUR_MS } : {}),
        ...(writable
          ? { route53ChangeId: `revoke-${keyId}` }
          : {
              request: {
                id: `${keyId}-revoke`,
                sentAt: startedAt,
                deliveredAt: startedAt,
                deadline: startedAt + 14 * DAY_MS,
                reminders: 0,
                escalations: 0,
              },
            }),
      },
    };
  }
  if (reached('destroyed')) key = { ...key, destroyedAt: NOW - 20 * DAY_MS };
  return key;
}

/** Freezes a value deeply, so that a `decide` that mutates its inputs throws instead of passing. */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) frozen(inner);
  }
  return value;
}

export class World {
  readonly spec: DomainSpec;
  now = NOW;
  private readonly keys: KeyRecord[] = [];
  private statePatch: Partial<DomainState> = {};
  private sesAttributes: SesDkimAttributes | undefined = {
    origin: 'AWS_SES',
    signingEnabled: true,
    status: 'SUCCESS',
    tokens: ['tokena', 'tokenb', 'tokenc'],
  };
  private readonly lostKeys = new Set<string>();
  private readonly extraStored: StoredKey[] = [];
  private readonly deletionPending = new Set<string>();
  private readonly records: Record<string, RecordObservation> = {};
  private readonly changes: Record<string, ChangeStatus> = {};

  constructor(spec: DomainSpec) {
    this.spec = spec;
  }

  /** Records (or replaces) a key in `state`, with the timestamps a key in that state has (overridable with `patch`). */
  key(name: KeyName | string, state: KeyState, patch: Partial<KeyRecord> = {}): this {
    const key = { ...stateDefaults(this, name, state), ...patch };
    const selector =
      patch.slot !== undefined && patch.selector === undefined && this.spec.dns.kind === 'delegated'
        ? `mail${patch.slot}`
        : key.selector;
    const at = this.keys.findIndex((k) => k.keyId === key.keyId);
    if (at >= 0) this.keys[at] = { ...key, selector };
    else this.keys.push({ ...key, selector });
    return this;
  }

  /** Top-level fields of the recorded state (`failure`, `switching`, `notified`, `adoption`…). */
  with(patch: Partial<DomainState>): this {
    this.statePatch = { ...this.statePatch, ...patch };
    return this;
  }

  /** SES signs (BYODKIM) with a recorded key's selector; `attributes` override status, signingEnabled… */
  signing(name: KeyName | string, attributes: Partial<SesDkimAttributes> = {}): this {
    const key = this.find(name);
    this.sesAttributes = {
      origin: 'EXTERNAL',
      signingEnabled: true,
      status: 'SUCCESS',
      tokens: [key.selector],
      ...attributes,
    };
    return this;
  }

  /** SES's DKIM attributes as given (undefined: the identity does not exist). */
  ses(attributes: SesDkimAttributes | undefined): this {
    this.sesAttributes = attributes;
    return this;
  }

  /** The keys are not in the key store (lost, or never stored). */
  lost(...names: (KeyName | string)[]): this {
    for (const name of names) this.lostKeys.add(this.find(name).keyId);
    return this;
  }

  /** A destroyed key whose deletion never reached the key store. */
  deletionNotScheduled(name: KeyName | string): this {
    this.deletionPending.add(this.find(name).keyId);
    return this;
  }

  /** A key in the key store that the state does not record (a crashed run stored it). */
  stored(keyId: string, publicKey: string): this {
    this.extraStored.push({ keyId, publicKey, createdAt: this.now - MINUTE_MS });
    return this;
  }

  /**
   * What every server answers at a key's record name; `except` names servers that answer otherwise. In
   * delegated mode the answers come through the slot's CNAME into the owned zone.
   */
  dns(name: KeyName | string, seen: Seen, except: Partial<Record<(typeof SERVERS)[number], Shown>> = {}): this {
    const key = this.find(name);
    const publicKey = key.publicKey ?? (name in PUBLIC_KEYS ? PUBLIC_KEYS[name as KeyName] : PUBLIC_KEYS.old);
    const lookup = recordName(key.selector);
    const cname = this.spec.dns.kind === 'delegated' ? [`${key.selector}.${OWNED_ZONE}`] : [];
    const shownOn = (server: (typeof SERVERS)[number]): Shown =>
      except[server] ??
      (typeof seen === 'string' ? seen : server.startsWith('authoritative') ? seen.authoritative : seen.resolvers);
    this.records[lookup] = {
      answers: SERVERS.map((server) => answer(lookup, server, shownOn(server), publicKey, cname)),
    };
    return this;
  }

  /** What every server answers at the name with the domain appended twice (a hand-entry mistake). */
  doubled(name: KeyName | string, shown: Shown): this {
    const key = this.find(name);
    const lookup = recordName(key.selector);
    const publicKey = key.publicKey ?? PUBLIC_KEYS.old;
    this.records[lookup] = {
      answers: this.records[lookup]?.answers ?? [],
      doubled: SERVERS.map((server) => answer(`${lookup}.${DOMAIN}`, server, shown, publicKey, [])),
    };
    return this;
  }

  /**
   * Delegated mode: what every server answers at a slot's name (`mail<slot>._domainkey.<domain>`): the
   * CNAME into the owned zone (`target`, followed to the slot's placeholder), a TXT record the DNS team
   * published instead of a CNAME, or nothing.
   */
  slot(slot: 1 | 2, found: { cname: string } | 'txt' | 'missing', doubled?: { cname: string }): this {
    const lookup = recordName(`mail${slot}`);
    const shown = (name: string, f: { cname: string } | 'txt' | 'missing', server: string): TxtAnswer =>
      f === 'missing'
        ? { name, server, outcome: 'nxdomain', records: [], cnameChain: [] }
        : f === 'txt'
          ? { name, server, outcome: 'answer', records: [[REVOKED_VALUE]], cnameChain: [] }
          : { name, server, outcome: 'answer', records: [[REVOKED_VALUE]], cnameChain: [f.cname] };
    this.records[lookup] = {
      answers: SERVERS.map((server) => shown(lookup, found, server)),
      ...(doubled ? { doubled: SERVERS.map((server) => shown(`${lookup}.${DOMAIN}`, doubled, server)) } : {}),
    };
    return this;
  }

  /** A Route 53 change's status as `GetChange` reports it. */
  change(changeId: string, status: ChangeStatus): this {
    this.changes[changeId] = status;
    return this;
  }

  at(now: number): this {
    this.now = now;
    return this;
  }

  get state(): DomainState {
    const everActive = this.keys.some((k) => k.activatedAt !== undefined);
    const delegated = this.spec.dns.kind === 'delegated';
    return {
      domain: DOMAIN,
      version: 12,
      createdAt: NOW - 400 * DAY_MS,
      updatedAt: NOW - HOUR_MS,
      adoption: {
        observedAt: NOW - 400 * DAY_MS,
        origin: 'AWS_SES',
        signingEnabled: true,
        ...(everActive ? { replacedAt: NOW - 239 * DAY_MS } : {}),
      },
      ...(delegated
        ? {
            delegation: {
              placeholdersWrittenAt: NOW - 400 * DAY_MS,
              verifiedAt: NOW - 390 * DAY_MS,
              request: {
                id: 'mail-cname-20250226',
                sentAt: NOW - 400 * DAY_MS,
                deliveredAt: NOW - 400 * DAY_MS,
                deadline: NOW - 386 * DAY_MS,
                reminders: 0,
                escalations: 0,
              },
            },
          }
        : {}),
      keys: this.keys,
      notified: {},
      rotations: this.keys.filter((k) => k.activatedAt !== undefined).length,
      ...this.statePatch,
    };
  }

  get observations(): Observations {
    const keys: StoredKey[] = this.keys
      .filter((k) => k.publicKey !== undefined && !this.lostKeys.has(k.keyId))
      .map((k) => ({
        keyId: k.keyId,
        publicKey: k.publicKey!,
        createdAt: k.createdAt,
        ...(k.state === 'destroyed' && !this.deletionPending.has(k.keyId)
          ? { deletionScheduledAt: k.destroyedAt ?? NOW }
          : {}),
      }));
    return {
      ses: this.sesAttributes,
      keys: [...keys, ...this.extraStored],
      records: this.records,
      changes: this.changes,
    };
  }

  /** Runs `decide` on the situation (inputs frozen: the engine must not mutate them). */
  decide(): { decision: Decision; state: DomainState } {
    const state = frozen(this.state);
    const decision = decide(frozen(this.spec), state, frozen(this.observations), this.now);
    return { decision, state };
  }

  find(name: KeyName | string): KeyRecord {
    const keyId = name in KEY_IDS ? KEY_IDS[name as KeyName] : name;
    const key = [...this.keys].reverse().find((k) => k.keyId === keyId);
    if (!key) throw new Error(`the world has no key ${name}`);
    return key;
  }
}

export function given(mode: Mode, rotation: Partial<RotationPolicy> = {}): World {
  return new World(specFor(mode, rotation));
}

/** The key a name (or key id) refers to in a state. */
export function keyIn(state: DomainState, name: KeyName | string): KeyRecord | undefined {
  const keyId = name in KEY_IDS ? KEY_IDS[name as KeyName] : name;
  return [...state.keys].reverse().find((k) => k.keyId === keyId);
}

/** What a case expects of the decision. */
export interface Want {
  /** The policy that acts, or `idle`. */
  readonly policy: string;
  /** Every action, in order, each matched on the fields given (`toMatchObject`). Default: none. */
  readonly actions?: readonly object[];
  /** Fields of keys in the next state (each compared with `toEqual`; `undefined` means unset). */
  readonly keys?: Readonly<Record<string, Partial<Record<keyof KeyRecord, unknown>>>>;
  /** Top-level fields of the next state (each compared with `toEqual`; `undefined` means unset). */
  readonly state?: Partial<Record<keyof DomainState, unknown>>;
  /** The next state is the recorded one, unchanged (always so when idle). */
  readonly unchanged?: boolean;
  /** When to run again (idle only). Default: no requeue. */
  readonly requeueAfterMs?: number;
  /** A word or phrase the message carries. */
  readonly message?: string | RegExp;
}

export interface Case {
  readonly name: string;
  readonly given: () => World;
  readonly want: Want;
  /** Anything more a case checks. */
  readonly then?: (decision: Decision, before: DomainState) => void;
}

export function expectDecision(world: World, want: Want): { decision: Decision; state: DomainState } {
  const { decision, state } = world.decide();
  expect({ policy: decision.policy, message: decision.message }).toEqual({
    policy: want.policy,
    message: want.message === undefined ? expect.any(String) : expect.stringMatching(want.message),
  });
  expect(decision.actions).toHaveLength((want.actions ?? []).length);
  (want.actions ?? []).forEach((action, i) => expect(decision.actions[i]).toMatchObject(action));
  expect(decision.requeueAfterMs).toBe(want.requeueAfterMs);
  if (want.unchanged || want.policy === 'idle') expect(decision.next).toBe(state);
  for (const [field, value] of Object.entries(want.state ?? {})) {
    expect({ [field]: decision.next[field as keyof DomainState] }).toEqual({ [field]: value });
  }
  for (const [name, fields] of Object.entries(want.keys ?? {})) {
    const key = keyIn(decision.next, name);
    expect(key).toBeDefined();
    for (const [field, value] of Object.entries(fields)) {
      expect({ key: name, [field]: key![field as keyof KeyRecord] }).toEqual({ key: name, [field]: value });
    }
  }
  return { decision, state };
}

/** Runs a table of cases. */
export function table(cases: readonly Case[]): void {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { decision, state } = expectDecision(c.given(), c.want);
    c.then?.(decision, state);
  });
}

/** A `notify` action matcher: kind and audience (the DNS team's messages go to its contacts). */
export function notifies(kind: string, audience: 'dns-team' | 'operators', more: object = {}): object {
  return {
    type: 'notify',
    notification: { kind, audience, domain: DOMAIN, to: audience === 'dns-team' ? DNS_TEAM : [], ...more },
  };
}

/** A domain running normally: SES signs with the active key `current`, whose record is correct everywhere. */
export function running(mode: Mode, rotation: Partial<RotationPolicy> = {}): World {
  return given(mode, rotation).key('current', 'active').signing('current').dns('current', 'correct');
}

/** A failure recorded by an earlier run (`count` consecutive, the last at `at`). */
export function failure(count: number, at: number, transient = true): DomainState['failure'] {
  return { count, at, transient, code: transient ? 'TooManyRequestsException' : 'AccessDenied', message: 'failed' };
}
