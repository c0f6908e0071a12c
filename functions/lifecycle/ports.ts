/**
 * The narrow interfaces the lifecycle engine talks to the world through (hexagonal "ports"). One adapter
 * per AWS service implements each in the runtime (later issue); `memory/` implements each in memory for
 * tests and `byodkim simulate`.
 *
 * Rules every adapter keeps:
 * - Throttling, 5xx and timeouts surface as `TransientError` (the engine backs off); anything retrying
 *   will not fix surfaces as `ServiceError`. A timeout may or may not have taken effect: the next run
 *   re-reads what is.
 * - Write calls are idempotent (the engine repeats a step after a crash).
 * - No method returns or logs private key material except `KeyStore.readPrivateKey`, whose result goes
 *   straight to `SesIdentityDkim.putExternalSigningKey` (invariant 6).
 */
import type { TxtAnswer } from '../dkim/dns-answer';
import type { DomainState } from './state';
import type { Notification } from './notifications';

/** The injected clock: epoch milliseconds. Nothing in the engine reads the system time. */
export interface Clock {
  now(): number;
}

export type SesSigningOrigin = 'AWS_SES' | 'EXTERNAL';
export type SesDkimStatus = 'PENDING' | 'SUCCESS' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';

/** `GetEmailIdentity` → `DkimAttributes`. */
export interface SesDkimAttributes {
  /** `SigningAttributesOrigin`; undefined when DKIM was never configured. */
  readonly origin?: SesSigningOrigin;
  readonly signingEnabled: boolean;
  readonly status: SesDkimStatus;
  /** BYODKIM: `[selector]`; Easy DKIM: the three CNAME tokens. */
  readonly tokens: readonly string[];
}

/** SES v2 identity DKIM (adapter: `GetEmailIdentity`, `PutEmailIdentityDkimSigningAttributes`, `PutEmailIdentityDkimAttributes`). */
export interface SesIdentityDkim {
  /** The identity's DKIM attributes, or undefined when the identity does not exist (Terraform creates it). */
  getDkim(domain: string): Promise<SesDkimAttributes | undefined>;
  /** `PutEmailIdentityDkimSigningAttributes(EXTERNAL, {selector, privateKey})`: SES starts looking for the record. */
  putExternalSigningKey(domain: string, selector: string, privateKey: string): Promise<void>;
  /** `PutEmailIdentityDkimAttributes(SigningEnabled)`. */
  setSigningEnabled(domain: string, enabled: boolean): Promise<void>;
}

export type ChangeStatus = 'PENDING' | 'INSYNC';

/** Route 53 record writes (adapter: `ChangeResourceRecordSets` UPSERT, `GetChange`). */
export interface DnsZoneWriter {
  /**
   * UPSERTs ONE TXT record at `name` made of `strings` (each ≤ 255 characters, quoted by the adapter).
   * `zone` is a hosted zone id (route53 mode) or the owned zone's name (delegated mode).
   */
  upsertTxt(zone: string, name: string, strings: readonly string[], ttlSeconds: number): Promise<{ changeId: string }>;
  getChange(changeId: string): Promise<ChangeStatus>;
}

/** DNS lookups (adapter: the DNS verifier, asking the zone's authoritative servers and public resolvers). */
export interface DnsObserver {
  /**
   * One answer per server: every authoritative server of the zone (`server` starts with `authoritative:`)
   * and every configured public resolver (`resolver:`). CNAMEs are followed (`cnameChain`).
   */
  lookupTxt(name: string): Promise<readonly TxtAnswer[]>;
}

/** Metadata of a stored key: never the private key. */
export interface StoredKey {
  /** The key's unique name (the secret is `<prefix>/<domain>/<keyId>`). */
  readonly keyId: string;
  readonly publicKey: string;
  readonly createdAt: number;
  /** Set once deletion was scheduled (Secrets Manager `DeletionDate`). */
  readonly deletionScheduledAt?: number;
}

/** Private keys: Secrets Manager, one secret per key, CMK-encrypted (adapter: Create/List/GetSecretValue/DeleteSecret). */
export interface KeyStore {
  /** Every key stored for the domain, including those scheduled for deletion. Metadata only. */
  list(domain: string): Promise<readonly StoredKey[]>;
  /**
   * Stores a new key pair under `keyId` (the public key as non-secret metadata). Idempotent: when the key
   * already exists the stored one is kept and `exists` returned — never overwritten.
   */
  create(domain: string, keyId: string, pair: KeyPair): Promise<'created' | 'exists'>;
  readPrivateKey(domain: string, keyId: string): Promise<string>;
  /** Schedules deletion after a recovery window (`DeleteSecret` RecoveryWindowInDays). Idempotent. */
  scheduleDeletion(domain: string, keyId: string, recoveryWindowDays: number): Promise<void>;
}

export interface KeyPair {
  /** SES form: base64 PKCS#1 DER, one line. Secret. */
  readonly privateKey: string;
  /** Base64 DER SubjectPublicKeyInfo: the `p=` of the record. */
  readonly publicKey: string;
}

export interface KeyGenerator {
  generate(bits: 1024 | 2048): Promise<KeyPair>;
}

/** One audit trail entry (DynamoDB event item). No key material. */
export interface LifecycleEvent {
  readonly at: number;
  readonly domain: string;
  /** The state version this event produced. */
  readonly version: number;
  /** The policy that acted, e.g. `publishRecord`, or `command:rotate`. */
  readonly policy: string;
  readonly message: string;
  readonly actions: readonly string[];
}

/** Recorded state (DynamoDB: one item per domain, conditional writes on `version`). */
export interface StateStore {
  load(domain: string): Promise<DomainState | undefined>;
  /**
   * Writes `state` only if the stored version equals `expectedVersion` (0: the item must not exist);
   * `state.version` must be `expectedVersion + 1`. `events` are written in the same transaction (DynamoDB
   * TransactWriteItems: the state item plus one event item each). Throws `ConflictError` when another
   * writer won; nothing is written then.
   */
  save(state: DomainState, expectedVersion: number, events?: readonly LifecycleEvent[]): Promise<void>;
}

/** SNS: change requests to DNS teams, notices to operators. */
export interface Notifier {
  send(notification: Notification): Promise<void>;
}

export interface MetricDatum {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'None' | 'Seconds';
  readonly dimensions: Readonly<Record<string, string>>;
}

/** CloudWatch EMF: synchronous (a structured log line), cannot fail. */
export interface Metrics {
  emit(datum: MetricDatum): void;
}

/** Structured JSON logs. Fields are names and public values only. */
export interface Logger {
  log(level: 'info' | 'warn' | 'error', event: string, fields: Readonly<Record<string, unknown>>): void;
}

export interface LifecyclePorts {
  readonly clock: Clock;
  readonly ses: SesIdentityDkim;
  readonly dnsWriter: DnsZoneWriter;
  readonly dnsObserver: DnsObserver;
  readonly keyStore: KeyStore;
  readonly keyGenerator: KeyGenerator;
  readonly stateStore: StateStore;
  readonly notifier: Notifier;
  readonly metrics: Metrics;
  readonly logger: Logger;
}
