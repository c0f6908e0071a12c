/**
 * The rules a domain's desired state must satisfy, as small pure functions over a {@link DomainSpec}.
 *
 * One source of truth for the two places that check them: the typed environment configuration
 * (`envs/schema.ts`, which reports every violation with the env file and field path) and the
 * ByodkimDomain construct (which throws with every violation, for stacks that import it directly). Both
 * call {@link checkDomainSpec}, which resolves the input first and tells a default from a given value.
 * Each rule returns the violations it finds; an empty list means the spec satisfies it.
 */
import { delegatedSlots, domainProblem, emailProblem, selectorPrefixProblem, selectorProblem } from './names';
import {
  resolveDomainSpec,
  SES_DNS_SEARCH_DAYS,
  type DomainSpec,
  type DomainSpecInput,
  type ResolveOptions,
} from './spec';

/** One broken rule: where (a path inside the spec), what the rule is, and the value that breaks it. */
export interface RuleViolation {
  /** Field path inside the domain spec, e.g. `['rotation', 'renewBeforeDays']`. */
  readonly path: readonly (string | number)[];
  /** The rule, worded for a person: "must be greater than 17 (…)". */
  readonly rule: string;
  /** The value that breaks it. */
  readonly value: unknown;
  /** The values that would pass, when the rule can say: "a whole number from 1 to 29". */
  readonly passing?: string;
}

/** Where a value in a resolved spec came from: the user's input, or a default. */
export type ValueSource = 'given' | 'default';

/** A violation of a spec resolved from an input, with where its value came from. */
export interface SpecViolation extends RuleViolation {
  readonly source: ValueSource;
}

/** The RSA key lengths SES accepts, the default first. */
export const KEY_BITS = [2048, 1024] as const;
/** The longest rotation interval accepted: older keys contradict RFC 8301 / M3AAWG guidance. */
export const MAX_INTERVAL_DAYS = 730;
/** The longest lead time accepted for a DNS team. */
export const MAX_LEAD_TIME_DAYS = 180;
/** The longest grace period accepted for a retired selector. */
export const MAX_GRACE_DAYS = 90;
/** A Route 53 hosted zone id, as the console shows it (no `/hostedzone/` prefix). */
export const HOSTED_ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,31}$/;

/**
 * A rule: the violations it finds in a spec. The spec is typed, but its values come from users (an env
 * file, construct props), so a rule checks them at run time too.
 */
export type DomainRule = (spec: DomainSpec) => RuleViolation[];

const violation = (path: readonly (string | number)[], rule: string, value: unknown): RuleViolation => ({
  path,
  rule,
  value,
});

const wholeNumberFrom = (min: number, max: number): string => `a whole number from ${min} to ${max}`;

function integerIn(
  path: readonly (string | number)[],
  value: unknown,
  min: number,
  max: number,
  why = '',
): RuleViolation[] {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return [
      {
        ...violation(path, `must be a whole number of days from ${min} to ${max}${why}`, value),
        passing: wholeNumberFrom(min, max),
      },
    ];
  }
  return [];
}

export const domainNameRule: DomainRule = (spec) => {
  const problem = domainProblem(spec.domain);
  return problem ? [violation(['domain'], `${problem} (an A-label such as example.com)`, spec.domain)] : [];
};

export const selectorPrefixRule: DomainRule = (spec) => {
  const problem = selectorPrefixProblem(spec.selectorPrefix);
  if (problem) return [violation(['selectorPrefix'], problem, spec.selectorPrefix)];
  if (spec.dns.kind === 'delegated') {
    for (const slot of delegatedSlots(spec.selectorPrefix)) {
      const slotProblem = selectorProblem(slot);
      if (slotProblem) return [violation(['selectorPrefix'], `slot ${slot} ${slotProblem}`, spec.selectorPrefix)];
    }
  }
  return [];
};

export const keyBitsRule: DomainRule = (spec) =>
  (KEY_BITS as readonly number[]).includes(spec.keyBits)
    ? []
    : [
        violation(
          ['keyBits'],
          'must be 2048 (the default) or 1024 (only for DNS hosts that cannot hold a longer record); SES accepts no other RSA key length',
          spec.keyBits,
        ),
      ];

export const dnsModeRule: DomainRule = (spec) => {
  const dns = spec.dns;
  switch (dns.kind) {
    case 'route53':
      return HOSTED_ZONE_ID_PATTERN.test(dns.hostedZoneId)
        ? []
        : [
            violation(
              ['dns', 'hostedZoneId'],
              'must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ (without "/hostedzone/")',
              dns.hostedZoneId,
            ),
          ];
    case 'external':
    case 'delegated': {
      const found: RuleViolation[] = [];
      if (dns.contacts.length === 0) {
        found.push(
          violation(['dns', 'contacts'], 'must name at least one e-mail address of the DNS team', dns.contacts),
        );
      }
      dns.contacts.forEach((contact, index) => {
        const problem = typeof contact === 'string' ? emailProblem(contact) : 'must be an e-mail address';
        if (problem) found.push(violation(['dns', 'contacts', index], problem, contact));
      });
      if (dns.locale !== 'ja' && dns.locale !== 'en') {
        found.push(violation(['dns', 'locale'], 'must be "ja" or "en"', dns.locale));
      }
      found.push(...integerIn(['dns', 'leadTimeDays'], dns.leadTimeDays, 1, MAX_LEAD_TIME_DAYS));
      if (dns.kind === 'delegated') {
        const zoneProblem = domainProblem(dns.zoneName);
        if (zoneProblem) {
          found.push(
            violation(['dns', 'zoneName'], `${zoneProblem} (an A-label such as dkim.example.net)`, dns.zoneName),
          );
        } else if (dns.zoneName === spec.domain || spec.domain.endsWith(`.${dns.zoneName}`)) {
          found.push(
            violation(
              ['dns', 'zoneName'],
              `must not be ${spec.domain} or one of its parents: the stack's zone would shadow the domain's own zone (use a name such as dkim.example.net)`,
              dns.zoneName,
            ),
          );
        }
      }
      return found;
    }
    default:
      return [
        violation(['dns', 'kind'], 'must be "route53", "external" or "delegated"', (dns as { kind?: unknown }).kind),
      ];
  }
};

export const rotationRule: DomainRule = (spec) => {
  const r = spec.rotation;
  const found = [
    ...integerIn(['rotation', 'intervalDays'], r.intervalDays, 1, MAX_INTERVAL_DAYS),
    ...integerIn(['rotation', 'renewBeforeDays'], r.renewBeforeDays, 1, MAX_INTERVAL_DAYS),
    ...integerIn(
      ['rotation', 'graceDays'],
      r.graceDays,
      1,
      MAX_GRACE_DAYS,
      ' (mail in queues and forwarders is verified after the switch)',
    ),
  ];
  if (r.activation !== 'auto' && r.activation !== 'manual') {
    found.push(violation(['rotation', 'activation'], 'must be "auto" or "manual"', r.activation));
  }
  if (found.length > 0) return found;
  // The renewBeforeDays that pass: below the interval, and in external mode above lead time + 72 h.
  const dns = spec.dns;
  const lead = dns.kind === 'external' && Number.isInteger(dns.leadTimeDays) ? dns.leadTimeDays : undefined;
  const lowest = lead === undefined ? 1 : lead + SES_DNS_SEARCH_DAYS + 1;
  const highest = r.intervalDays - 1;
  const passing = lowest <= highest ? wholeNumberFrom(lowest, highest) : undefined;
  const noneFits =
    passing === undefined
      ? ` (no renewBeforeDays fits: ${lead === undefined ? '' : `with dns.leadTimeDays ${lead}, `}rotation.intervalDays must be at least ${lowest + 1})`
      : '';
  const renewBefore = (rule: string): RuleViolation => ({
    ...violation(['rotation', 'renewBeforeDays'], `${rule}${noneFits}`, r.renewBeforeDays),
    ...(passing === undefined ? {} : { passing }),
  });
  if (r.renewBeforeDays >= r.intervalDays) {
    found.push(
      renewBefore(
        `must be less than rotation.intervalDays (${r.intervalDays}): a rotation starts renewBeforeDays before the active key reaches its interval`,
      ),
    );
  }
  if (lead !== undefined && r.renewBeforeDays < lowest) {
    found.push(
      renewBefore(
        `must be greater than dns.leadTimeDays + ${SES_DNS_SEARCH_DAYS} = ${lowest - 1} in external mode (the DNS team's lead time plus SES's 72-hour DNS search), or the old key expires before the new record is live`,
      ),
    );
  }
  return found;
};

/** Every rule, in the order their violations are reported. */
export const DOMAIN_RULES: readonly DomainRule[] = [
  domainNameRule,
  selectorPrefixRule,
  keyBitsRule,
  dnsModeRule,
  rotationRule,
];

/** Every violation of every rule; empty when the spec is valid. */
export function domainSpecViolations(spec: DomainSpec): RuleViolation[] {
  return DOMAIN_RULES.flatMap((rule) => rule(spec));
}

/** The value at `path` inside a spec or an input, or undefined when a part of the path is missing. */
function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value = root;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/**
 * Resolves an input ({@link resolveDomainSpec}) and checks the spec it gives: every violation, each
 * marked `default` when the input leaves its field out (the value is a default) or `given` when it
 * sets it — so a message never calls a default "given".
 */
export function checkDomainSpec(
  input: DomainSpecInput,
  options: ResolveOptions,
): { spec: DomainSpec; violations: SpecViolation[] } {
  const spec = resolveDomainSpec(input, options);
  const violations = domainSpecViolations(spec).map(
    (v): SpecViolation => ({
      ...v,
      source: valueAt(input, v.path) === undefined && valueAt(spec, v.path) !== undefined ? 'default' : 'given',
    }),
  );
  return { spec, violations };
}

/**
 * What to say about the value that breaks a rule, after the rule: `given 10`, or for a default
 * `default 30 applies because the field is not set — set rotation.renewBeforeDays to a whole number from
 * 1 to 29` (`path` as the reader knows the field: inside an env file or inside the construct's props).
 */
export function describeValue(
  problem: { readonly value: unknown; readonly source?: ValueSource; readonly passing?: string },
  path: string,
): string {
  if (problem.source !== 'default') return `given ${formatValue(problem.value)}`;
  const fix = problem.passing === undefined ? '' : ` — set ${path} to ${problem.passing}`;
  return `default ${formatValue(problem.value)} applies because the field is not set${fix}`;
}

/** `rotation.renewBeforeDays`, `dns.contacts[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out === '' ? part : `${out}.${part}`;
  }, '');
}

/** Stands in for NaN and ±Infinity inside JSON.stringify, which would otherwise write them as `null`. */
const NON_FINITE = '\u2063non-finite\u2063';

/** A value as the user wrote it, short enough for one line. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  let text: string;
  try {
    text =
      typeof value === 'bigint'
        ? `${value}n`
        : (JSON.stringify(value, (_key, v: unknown) =>
            typeof v === 'number' && !Number.isFinite(v) ? `${NON_FINITE}${v}` : v,
          )?.replace(new RegExp(`"${NON_FINITE}(-?Infinity|NaN)"`, 'g'), '$1') ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
