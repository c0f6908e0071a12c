/**
 * Names in the DKIM world: domains (IDN → A-label), SES selectors, and the record name they make.
 *
 * SES `DomainSigningSelector`: 1–63 characters, letters, digits and inner hyphens only — no dots, no
 * underscores, no leading or trailing hyphen. Selectors made by byodkim are `<prefix>-<yyyymmdd>-<n>`
 * (the current operations' convention, e.g. `mail-prod-20250907-1`).
 */
import { domainToASCII } from 'node:url';
import { ValidationError } from './errors';

export const SELECTOR_MAX_LENGTH = 63;
/** The highest `<n>` in `<prefix>-<yyyymmdd>-<n>`: at most this many new selectors per domain per day. */
export const SELECTOR_MAX_SEQUENCE = 99;
/** `-yyyymmdd-nn`: what a prefix grows by, at most, to become a selector. */
export const SELECTOR_SUFFIX_MAX_LENGTH = 1 + 8 + 1 + String(SELECTOR_MAX_SEQUENCE).length;

const SELECTOR_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** Why a selector breaks SES's rules, or undefined when it is valid. */
export function selectorProblem(selector: string): string | undefined {
  if (selector.length === 0) return 'must not be empty';
  if (selector.length > SELECTOR_MAX_LENGTH) {
    return `must be at most ${SELECTOR_MAX_LENGTH} characters (is ${selector.length})`;
  }
  if (selector.includes('.')) return 'must not contain dots';
  if (selector.includes('_')) return 'must not contain underscores';
  if (selector.startsWith('-') || selector.endsWith('-')) return 'must not start or end with a hyphen';
  if (!SELECTOR_PATTERN.test(selector)) return 'may contain only letters, digits and inner hyphens';
  return undefined;
}

/** Returns the selector unchanged, or throws a ValidationError naming the rule it breaks. */
export function assertSelector(selector: string, field = 'selector'): string {
  const problem = selectorProblem(selector);
  if (problem) {
    throw new ValidationError('INVALID_SELECTOR', `${field} ${JSON.stringify(selector)} ${problem}`, field);
  }
  return selector;
}

/** Why a selector prefix cannot make valid selectors, or undefined when it can. */
export function selectorPrefixProblem(prefix: string): string | undefined {
  const problem = selectorProblem(prefix);
  if (problem) return problem;
  const room = SELECTOR_MAX_LENGTH - SELECTOR_SUFFIX_MAX_LENGTH;
  if (prefix.length > room) {
    return `must be at most ${room} characters so that "<prefix>-yyyymmdd-${SELECTOR_MAX_SEQUENCE}" fits ${SELECTOR_MAX_LENGTH} (is ${prefix.length})`;
  }
  return undefined;
}

/** `<prefix>-<yyyymmdd>-<n>`, the date taken in UTC. */
export function makeSelector(prefix: string, date: Date, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > SELECTOR_MAX_SEQUENCE) {
    throw new ValidationError(
      'INVALID_SELECTOR_SEQUENCE',
      `selector sequence must be an integer from 1 to ${SELECTOR_MAX_SEQUENCE} (is ${sequence})`,
      'sequence',
    );
  }
  const ymd = date.toISOString().slice(0, 10).replace(/-/g, '');
  return assertSelector(`${prefix}-${ymd}-${sequence}`);
}

/**
 * The last label of a mail domain: at least two letters (`com`, `jp`) or an IDN top-level domain's
 * A-label (`xn--p1ai`). Every delegated top-level domain has this form (RFC 3696 §2: never all digits),
 * so `bar.c` or `192.0.2.1` is a typo or an IP address, not a mail domain.
 */
const TOP_LEVEL_LABEL_PATTERN = /^(?:[a-z]{2,63}|xn--[a-z0-9-]+)$/;

/** Why a domain name (already an A-label) is not a valid mail domain, or undefined. */
export function domainProblem(aLabel: string): string | undefined {
  if (aLabel.length === 0) return 'must not be empty';
  if (aLabel.length > 253) return `must be at most 253 characters (is ${aLabel.length})`;
  const labels = aLabel.split('.');
  if (labels.length < 2) return 'must have at least two labels, e.g. example.com';
  for (const label of labels) {
    if (label.length === 0) return 'must not contain an empty label';
    if (label.length > 63) return `label ${JSON.stringify(label)} must be at most 63 characters`;
    if (!LABEL_PATTERN.test(label)) {
      return `label ${JSON.stringify(label)} may contain only letters, digits and inner hyphens`;
    }
  }
  const last = labels[labels.length - 1];
  if (!TOP_LEVEL_LABEL_PATTERN.test(last)) {
    return `must end in a top-level domain of at least two letters or an xn-- label (is ${JSON.stringify(last)})`;
  }
  return undefined;
}

/** The A-label of a domain, or '' when it cannot be converted (an IDN with invalid characters). */
function aLabelOf(domain: string): string {
  return domain.length === 0 ? '' : domainToASCII(domain).toLowerCase();
}

/**
 * The lower-case A-label of a domain when it is a valid one (a trailing dot dropped), else the name
 * unchanged, for a rule to report: how a domain spec is normalized without throwing.
 */
export function aLabelOrAsGiven(domain: string): string {
  const ascii = aLabelOf(domain.trim().replace(/\.$/, ''));
  return ascii !== '' && domainProblem(ascii) === undefined ? ascii : domain;
}

/** The longest local part (before `@`) SMTP accepts (RFC 5321 §4.5.3.1.1). */
export const EMAIL_LOCAL_PART_MAX_LENGTH = 64;

/**
 * Why an e-mail address (a DNS team contact, a notification recipient) is not one, or undefined.
 *
 * One `@`; no whitespace; a local part of 1–64 characters that does not start or end with a dot or
 * hold two in a row; and a domain under the same rules as a mail domain ({@link domainProblem}, IDNs
 * allowed): `ops@exa_mple..com`, `x@y..z`, `ops@-bad-.com` and `foo@bar.c` are refused.
 */
export function emailProblem(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0) return 'must be an e-mail address';
  if (address.indexOf('@') !== at) return 'must be an e-mail address with one "@"';
  if (/\s/.test(address)) return 'must be an e-mail address without spaces';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0) return 'must be an e-mail address: nothing before "@"';
  if (local.length > EMAIL_LOCAL_PART_MAX_LENGTH) {
    return `must be an e-mail address: the part before "@" must be at most ${EMAIL_LOCAL_PART_MAX_LENGTH} characters (is ${local.length})`;
  }
  if (local.startsWith('.') || local.endsWith('.')) {
    return 'must be an e-mail address: the part before "@" must not start or end with a dot';
  }
  if (local.includes('..')) return 'must be an e-mail address: the part before "@" must not hold two dots in a row';
  const ascii = aLabelOf(domain);
  const problem = ascii === '' ? 'is not a valid domain name' : domainProblem(ascii);
  return problem ? `must be an e-mail address: its domain ${JSON.stringify(domain)} ${problem}` : undefined;
}

/**
 * Converts a domain (Unicode IDN or ASCII, any case, optional trailing dot) to its lower-case A-label,
 * e.g. `例え.jp` → `xn--r8jz45g.jp`. Throws a ValidationError when it is not a valid domain.
 */
export function toALabel(domain: string, field = 'domain'): string {
  const ascii = aLabelOf(domain.trim().replace(/\.$/, ''));
  const problem = ascii === '' ? 'is not a valid domain name' : domainProblem(ascii);
  if (problem) {
    throw new ValidationError('INVALID_DOMAIN', `${field} ${JSON.stringify(domain)} ${problem}`, field);
  }
  return ascii;
}

/**
 * `<selector>._domainkey`: the record name relative to the domain's zone (what a DNS team enters in a zone
 * that appends the domain). The one place the DKIM record name is built; {@link dkimRecordName} adds the
 * domain.
 */
export function relativeRecordName(selector: string): string {
  return `${selector}._domainkey`;
}

/**
 * `<selector>._domainkey.<domain>`, where the DKIM public key is published. No checks: the selector and the
 * (A-label) domain are already valid; `*` as the selector gives the pattern of every record of the domain.
 */
export function dkimRecordName(selector: string, domain: string): string {
  return `${relativeRecordName(selector)}.${domain}`;
}

/** Delegated mode: the selector of slot `n`, `<prefix><n>`. */
export function slotSelector(selectorPrefix: string, slot: 1 | 2): string {
  return `${selectorPrefix}${slot}`;
}

/** The two selector slots of delegated mode: `<prefix>1` and `<prefix>2`. */
export function delegatedSlots(selectorPrefix: string): readonly [string, string] {
  return [slotSelector(selectorPrefix, 1), slotSelector(selectorPrefix, 2)];
}

/** {@link dkimRecordName} of a selector and domain given by a user: both are checked (and the domain converted to its A-label) first. */
export function recordName(selector: string, domain: string): string {
  const name = dkimRecordName(assertSelector(selector), toALabel(domain));
  if (name.length > 253) {
    throw new ValidationError(
      'RECORD_NAME_TOO_LONG',
      `record name ${name} is ${name.length} characters; DNS allows 253: use a shorter selector`,
      'selector',
    );
  }
  return name;
}
