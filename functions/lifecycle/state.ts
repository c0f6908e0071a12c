/**
 * What the lifecycle engine has *recorded* for a domain: one item per domain (DynamoDB, docs/design.md §5),
 * written only with compare-and-swap on `version`. Plain JSON data: times are epoch milliseconds, no
 * Dates, no class instances, and never any private key material (invariant 6) — only selectors and
 * public keys.
 */

/** The life of one selector (docs/design.md §3). */
export type KeyState =
  /** The selector is chosen; the key pair is being generated (`publicKey` unset) or is stored (`publicKey` set). */
  | 'generated'
  /** The record was written (Route 53) or requested from the DNS team (external). */
  | 'dns-requested'
  /** The record was seen byte-exact on the authoritative servers and the public resolvers. */
  | 'dns-verified'
  /** SES signs with this selector. */
  | 'active'
  /** Replaced; still published for the grace period (mail in queues is verified later). */
  | 'retiring'
  /** The record is being revoked (`v=DKIM1; p=`) or removed; `revocation.confirmedAt` once seen in DNS. */
  | 'revoked'
  /** The private key is scheduled for deletion in the key store (recovery window). Terminal. */
  | 'destroyed';

export const KEY_STATES: readonly KeyState[] = [
  'generated',
  'dns-requested',
  'dns-verified',
  'active',
  'retiring',
  'revoked',
  'destroyed',
];

/** States of a key that is on its way to becoming active: at most one per domain (invariant 5). */
export const IN_FLIGHT_STATES: readonly KeyState[] = ['generated', 'dns-requested', 'dns-verified'];

/** Why a rotation was started. */
export type RotationReason =
  | 'first-activation'
  | 'scheduled'
  | 'operator'
  | 'compromise'
  /** SES reported FAILED and the key cannot be used any more (e.g. lost from the key store). */
  | 'regenerate';

/** A request sent to the DNS team (external mode: publish or revoke; delegated: the one-time CNAMEs). */
export interface DnsTeamRequest {
  /** Stable id quoted in every message, so the team can answer "done <id>". */
  readonly id: string;
  readonly sentAt: number;
  /** When the notifier accepted the message (unset: the send failed or was interrupted; it is sent again). */
  readonly deliveredAt?: number;
  /** `sentAt + leadTimeDays`: the date the team promised. */
  readonly deadline: number;
  /** How many reminders were sent (before the deadline). */
  readonly reminders: number;
  readonly lastReminderAt?: number;
  /** How many escalations were sent (after the deadline). */
  readonly escalations: number;
  readonly lastEscalationAt?: number;
  /** The last wrong publication the team was told about, so each distinct mistake is reported once. */
  readonly reportedMistake?: string;
  readonly reportedMistakeAt?: number;
  /** Set by the `dns-request` operator action: send the request again on the next run. */
  readonly resendRequested?: boolean;
  /**
   * An urgent request (a 1-day deadline, escalated every day): the active record was deleted or changed
   * by hand and mail fails DKIM until it is back, or a compromised key's replacement.
   */
  readonly urgent?: boolean;
}

export interface KeyRecord {
  /**
   * The key's unique name, `<prefix>-<yyyymmdd>-<n>`: the key store's secret name. Equal to `selector`
   * except in delegated mode, where the selector is a reused slot name (`<prefix>1`, `<prefix>2`).
   */
  readonly keyId: string;
  /** The DKIM selector SES signs with (`s=`) and the record name's first label. */
  readonly selector: string;
  readonly state: KeyState;
  readonly reason: RotationReason;
  /** Base64 DER SubjectPublicKeyInfo, set once the key pair is stored. Public: safe to record. */
  readonly publicKey?: string;
  /** Delegated mode: which slot (1 or 2) this key occupies. */
  readonly slot?: 1 | 2;
  readonly createdAt: number;
  readonly dnsRequestedAt?: number;
  /** The Route 53 change that wrote the record, until Route 53 reports it INSYNC. */
  readonly route53ChangeId?: string;
  readonly route53InSyncAt?: number;
  /** External mode: the publication request. */
  readonly dnsRequest?: DnsTeamRequest;
  /**
   * External mode, the active key: the URGENT request to put its record back after it was deleted or
   * changed by hand (1-day deadline, escalated daily). Cleared once the record verifies again.
   */
  readonly restoreRequest?: DnsTeamRequest;
  /** First time the record was seen correct everywhere (the propagation soak starts here). */
  readonly dnsVerifiedAt?: number;
  /** `activation: manual`: when an operator approved the switch. */
  readonly approvedAt?: number;
  /** First time SES signed with this key (kept across rollbacks: a key's age counts from here). */
  readonly activatedAt?: number;
  readonly retiredAt?: number;
  readonly revocation?: {
    readonly startedAt: number;
    /** External mode: the revocation request to the DNS team. */
    readonly request?: DnsTeamRequest;
    /** Route 53 / delegated: the change that wrote `v=DKIM1; p=`. */
    readonly route53ChangeId?: string;
    /** When DNS was seen to no longer publish the key. */
    readonly confirmedAt?: number;
  };
  readonly destroyedAt?: number;
  /** Set by the `revoke` operator action: the key is treated as compromised (no grace period). */
  readonly compromisedAt?: number;
  /** The active key's record was found wrong on the authoritative servers and written again (route53 / delegated). */
  readonly recordRepairedAt?: number;
  /** SES reported FAILED for this key and the engine acted on it (so it acts once per episode). */
  readonly sesFailureHandledAt?: number;
  /**
   * SES stopped signing with this key because its record was wrong, and the record is being repaired
   * (written again, or the DNS team asked): since then. SES is given the key again as soon as the record
   * verifies — SES itself looks again only hourly, and never turns signing back on.
   */
  readonly sesAwaitsRecordSince?: number;
}

/** What SES was doing before byodkim took over the identity (first run). */
export interface Adoption {
  readonly observedAt: number;
  /** `AWS_SES`: Easy DKIM; `EXTERNAL`: someone else's BYODKIM key; `NONE`: the identity did not sign. */
  readonly origin: 'AWS_SES' | 'EXTERNAL' | 'NONE';
  readonly selector?: string;
  readonly signingEnabled: boolean;
  /** True once SES signs with a byodkim key: the previous signing is no longer used. */
  readonly replacedAt?: number;
}

/** Delegated mode: the one-time CNAME setup for the two selector slots. */
export interface Delegation {
  readonly request?: DnsTeamRequest;
  /** Both slots were seen to resolve through the expected CNAMEs. */
  readonly verifiedAt?: number;
  /** The empty slot placeholders (`v=DKIM1; p=`) were written in the owned zone. */
  readonly placeholdersWrittenAt?: number;
}

/** Why the last action failed, for backoff and for the `status` output. */
export interface FailureRecord {
  /** Consecutive failed runs; reset by a run whose actions all succeed. */
  readonly count: number;
  readonly at: number;
  readonly code: string;
  readonly message: string;
  readonly transient: boolean;
}

/** The one SES switch in progress (written ahead of the SES calls, see docs/lifecycle.md). */
export interface PendingSwitch {
  readonly keyId: string;
  readonly startedAt: number;
  readonly reason: 'activate' | 'rollback' | 'compromise' | 'repair';
  /**
   * When this switch gave SES the key (recorded from the call's outcome). A delegated slot's selector is
   * reused: SES being on the selector does not say which key it holds.
   */
  readonly givenAt?: number;
}

export interface DomainState {
  readonly domain: string;
  /** Compare-and-swap version: every write is conditional on the version read (invariant 5). */
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly adoption?: Adoption;
  readonly delegation?: Delegation;
  /** Newest last. Destroyed keys are kept for a while (audit, selector numbering), then pruned. */
  readonly keys: readonly KeyRecord[];
  readonly switching?: PendingSwitch;
  /** Set by the `rotate` operator action; cleared when the rotation starts. */
  readonly rotationRequestedAt?: number;
  /** Set by `disable` (emergency: SigningEnabled=false); cleared by `enable`. */
  readonly signingDisabledAt?: number;
  /** Set when a compromise left no verified key to switch to: signing stays off until a new key is verified. */
  readonly compromiseHoldAt?: number;
  readonly failure?: FailureRecord;
  /** Operator notifications already sent, by topic (e.g. `overdue:<selector>`), so each is sent once. */
  readonly notified: Readonly<Record<string, number>>;
  /** Rotations completed (SES switched to a new byodkim key). */
  readonly rotations: number;
}

export function initialState(domain: string, now: number): DomainState {
  return { domain, version: 0, createdAt: now, updatedAt: now, keys: [], notified: {}, rotations: 0 };
}

export function activeKey(state: DomainState): KeyRecord | undefined {
  return state.keys.find((k) => k.state === 'active');
}

/** The key on its way to becoming active, if a rotation is in flight. */
export function inFlightKey(state: DomainState): KeyRecord | undefined {
  return state.keys.find((k) => IN_FLIGHT_STATES.includes(k.state));
}

/** The key a selector names: the newest one (delegated slots are reused). */
export function keyBySelector(state: DomainState, selector: string): KeyRecord | undefined {
  return [...state.keys].reverse().find((k) => k.selector === selector || k.keyId === selector);
}

/** The most recently retired key still in its grace period and not compromised: the rollback target. */
export function rollbackCandidate(state: DomainState): KeyRecord | undefined {
  const retiring = state.keys.filter((k) => k.state === 'retiring' && k.compromisedAt === undefined);
  return retiring.sort((a, b) => (b.retiredAt ?? 0) - (a.retiredAt ?? 0))[0];
}

/** Records a switch of SES to the key ahead of the SES calls (write-ahead; completeSwitch finishes it). */
export function withSwitchTo(
  state: DomainState,
  key: Pick<KeyRecord, 'keyId'>,
  reason: PendingSwitch['reason'],
  now: number,
): DomainState {
  return { ...state, switching: { keyId: key.keyId, startedAt: now, reason } };
}

export function withKey(state: DomainState, keyId: string, patch: Partial<KeyRecord>): DomainState {
  return {
    ...state,
    keys: state.keys.map((k) => (k.keyId === keyId ? { ...k, ...patch } : k)),
  };
}
