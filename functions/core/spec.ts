/**
 * What a domain *should* be: the desired state the reconciler works towards (docs/design.md §3).
 *
 * This is the contract between the synth-time configuration (`envs/`, validated with zod in
 * `envs/schema.ts`) and the runtime lifecycle (`functions/lifecycle/`). Plain data, no AWS types, so
 * a Lambda payload, a DynamoDB item and a test fixture can all carry it.
 *
 * A {@link DomainSpecInput} (an env file's domain, a construct's props) becomes a {@link DomainSpec} in
 * one function, {@link resolveDomainSpec}: the only place defaults are applied.
 */
import { aLabelOrAsGiven } from './names';

export type Locale = 'ja' | 'en';

/** RSA key lengths SES accepts. 2048 is the default; 1024 only for DNS hosts that cannot hold longer records. */
export type KeyBits = 1024 | 2048;

/** The zone is in Route 53 and the stack may write `*._domainkey.<domain>` TXT records: unattended rotations. */
export interface Route53DnsMode {
  readonly kind: 'route53';
  /** The Route 53 hosted zone holding `<domain>` (e.g. `Z0123456789ABCDEFGHIJ`). */
  readonly hostedZoneId: string;
}

/** A DNS team publishes every record by hand (the seeds' world). */
export interface ExternalDnsMode {
  readonly kind: 'external';
  /** Where change requests, reminders and escalations go (e-mail addresses). */
  readonly contacts: readonly string[];
  /** The DNS team's language for change requests; every request also carries the other language. */
  readonly locale: Locale;
  /** How many days the DNS team needs to publish a record. @default 14 */
  readonly leadTimeDays: number;
}

/**
 * A one-time request asks the DNS team for CNAMEs from two fixed selector slots
 * (`<prefix>1._domainkey.<domain>`, `<prefix>2._domainkey.<domain>`) to a Route 53 zone the stack
 * owns; from then on rotations alternate slots and run unattended.
 */
export interface DelegatedDnsMode {
  readonly kind: 'delegated';
  /** The Route 53 zone the stack owns, e.g. `dkim.example.net`; slot `<prefix>1` lives at `<prefix>1.<zoneName>`. */
  readonly zoneName: string;
  /** Where the one-time CNAME request goes. */
  readonly contacts: readonly string[];
  readonly locale: Locale;
  /** How many days the DNS team needs for the one-time CNAME request. @default 14 */
  readonly leadTimeDays: number;
}

export type DnsMode = Route53DnsMode | ExternalDnsMode | DelegatedDnsMode;

export interface RotationPolicy {
  /** A key is active at most this many days. @default 180 (M3AAWG: at least every 6 months) */
  readonly intervalDays: number;
  /** Start a rotation this many days before the active key reaches `intervalDays`. */
  readonly renewBeforeDays: number;
  /** Keep a retired selector published this many days after switching (queued and forwarded mail). @default 7 */
  readonly graceDays: number;
  /** `manual` stops at dns-verified until an operator approves. @default 'auto' */
  readonly activation: 'auto' | 'manual';
}

export interface DomainSpec {
  /** The mail domain as an A-label (IDNs are converted when the configuration is read). */
  readonly domain: string;
  /** Selectors are `<selectorPrefix>-<yyyymmdd>-<n>` (delegated mode: the slots `<prefix>1`, `<prefix>2`). */
  readonly selectorPrefix: string;
  /** @default 2048 */
  readonly keyBits: KeyBits;
  readonly dns: DnsMode;
  readonly rotation: RotationPolicy;
}

/** SES searches DNS for a BYODKIM record for up to 72 hours, then reports FAILED. */
export const SES_DNS_SEARCH_DAYS = 3;

export const DEFAULTS = {
  keyBits: 2048 as KeyBits,
  /** The DNS team's language. */
  locale: 'ja' as Locale,
  leadTimeDays: 14,
  intervalDays: 180,
  graceDays: 7,
  activation: 'auto' as const,
  /** Safety margin added on top of the DNS team's lead time and SES's 72 h search. */
  renewMarginDays: 7,
} as const;

/**
 * The default `renewBeforeDays` for a DNS mode: 30 days when DNS is ours (the current operations alert
 * one month before expiry); with a DNS team, whichever is longer of 30 and lead time + 72 h + margin.
 */
export function defaultRenewBeforeDays(dns: Pick<DnsMode, 'kind'> & { leadTimeDays?: number }): number {
  if (dns.kind !== 'external') return 30;
  const lead = dns.leadTimeDays ?? DEFAULTS.leadTimeDays;
  return Math.max(30, lead + SES_DNS_SEARCH_DAYS + DEFAULTS.renewMarginDays);
}

/** An external DNS mode as a user writes it: the team's language and lead time may be left out. */
export interface ExternalDnsInput {
  readonly kind: 'external';
  /** The DNS team's e-mail addresses: change requests, reminders and escalations go there. */
  readonly contacts: readonly string[];
  /** The DNS team's language (every request carries the other language too). @default 'ja' */
  readonly locale?: Locale;
  /** Days the DNS team needs to publish a record. @default 14 */
  readonly leadTimeDays?: number;
}

/** A delegated DNS mode as a user writes it. */
export interface DelegatedDnsInput {
  readonly kind: 'delegated';
  /** The zone the stack creates and owns, e.g. `dkim.example.net` (not the domain or a parent of it). */
  readonly zoneName: string;
  /** The DNS team's e-mail addresses, for the one-time CNAME request. */
  readonly contacts: readonly string[];
  /** The DNS team's language. @default 'ja' */
  readonly locale?: Locale;
  /** Days the DNS team needs for the one-time CNAME request. @default 14 */
  readonly leadTimeDays?: number;
}

/** A DNS mode as a user writes it (route53 mode has nothing to leave out). */
export type DnsModeInput = Route53DnsMode | ExternalDnsInput | DelegatedDnsInput;

/** A rotation policy as a user writes it: every field may be left out. */
export interface RotationPolicyInput {
  /** A key is active at most this many days. @default 180 */
  readonly intervalDays?: number;
  /**
   * Start a rotation this many days before the active key reaches `intervalDays`.
   * @default 30; external mode: the larger of 30 and leadTimeDays + 3 + 7
   */
  readonly renewBeforeDays?: number;
  /** Keep a retired selector published this many days after the switch. @default 7 */
  readonly graceDays?: number;
  /** `manual` waits at dns-verified for an operator's approval. @default 'auto' */
  readonly activation?: 'auto' | 'manual';
}

/**
 * A domain as a user writes it: an env file's domain, or {@link ByodkimDomain}'s props. A resolved
 * {@link DomainSpec} is one too, so a spec can be handed on whole and resolved again without change.
 */
export interface DomainSpecInput {
  /** The mail domain; a Unicode IDN (例え.jp) is converted to its A-label (xn--r8jz45g.jp). */
  readonly domain: string;
  /** Selectors are `<selectorPrefix>-<yyyymmdd>-<n>`. @default the caller's ({@link ResolveOptions}) */
  readonly selectorPrefix?: string;
  /** @default 2048 */
  readonly keyBits?: KeyBits;
  readonly dns: DnsModeInput;
  /** @default 180/30/7 days, auto */
  readonly rotation?: RotationPolicyInput;
}

/** What {@link resolveDomainSpec} cannot know by itself. */
export interface ResolveOptions {
  /**
   * The selector prefix of a domain that sets none: the caller's name prefix — `<project>-<environment>`
   * for an env file (the `namePrefix` ByodkimStack gives ByodkimDomain), `namePrefix` for ByodkimDomain.
   */
  readonly selectorPrefix: string;
}

/**
 * The one place a domain spec gets its defaults: every field the input leaves out is filled, and the
 * domain and a delegated zone are converted to A-labels (a name that cannot be converted is kept as
 * given, for the domain rules to report). Nothing is checked here: see `domain-rules.ts`.
 *
 * Resolving a resolved spec changes nothing (whatever `options` say), so a spec can pass through several
 * hands — env file, stack, construct — and stay the same object the lifecycle consumes.
 */
export function resolveDomainSpec(input: DomainSpecInput, options: ResolveOptions): DomainSpec {
  const dns = resolveDns(input.dns);
  const rotation = input.rotation ?? {};
  return {
    domain: aLabelOrAsGiven(input.domain),
    selectorPrefix: input.selectorPrefix ?? options.selectorPrefix,
    keyBits: input.keyBits ?? DEFAULTS.keyBits,
    dns,
    rotation: {
      intervalDays: rotation.intervalDays ?? DEFAULTS.intervalDays,
      renewBeforeDays: rotation.renewBeforeDays ?? defaultRenewBeforeDays(dns),
      graceDays: rotation.graceDays ?? DEFAULTS.graceDays,
      activation: rotation.activation ?? DEFAULTS.activation,
    },
  };
}

function resolveDns(dns: DnsModeInput): DnsMode {
  switch (dns.kind) {
    case 'route53':
      return { kind: 'route53', hostedZoneId: dns.hostedZoneId };
    case 'external':
      return {
        kind: 'external',
        contacts: [...dns.contacts],
        locale: dns.locale ?? DEFAULTS.locale,
        leadTimeDays: dns.leadTimeDays ?? DEFAULTS.leadTimeDays,
      };
    case 'delegated':
      return {
        kind: 'delegated',
        zoneName: aLabelOrAsGiven(dns.zoneName),
        contacts: [...dns.contacts],
        locale: dns.locale ?? DEFAULTS.locale,
        leadTimeDays: dns.leadTimeDays ?? DEFAULTS.leadTimeDays,
      };
    default:
      // Not a DNS mode (a user's typo reaching the construct): kept as given for the rules to report.
      return { ...(dns as DnsMode) };
  }
}
