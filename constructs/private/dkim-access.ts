/**
 * The key manager's access to the domains it rotates — SES DKIM actions on their identities, Route 53 TXT
 * changes of their DKIM records — at the narrowest precision whose policy IAM accepts (docs/security.md,
 * "IAM at fleet scale").
 *
 * Listing every identity ARN and every record name grows with the fleet: about 100 characters per route53
 * domain, when a role's inline policies may total 10,240. The levels, narrowest first:
 *
 * 1. `per-domain`: each identity ARN; per domain, its zone and its record names (`*._domainkey.<domain>`,
 *    or the delegated slots).
 * 2. `all-identities`: the three DKIM actions (`GetEmailIdentity`, `PutEmailIdentityDkimSigningAttributes`,
 *    `PutEmailIdentityDkimAttributes`) on `identity/*` of this account and region — never
 *    `DeleteEmailIdentity`, never `SendEmail` (that stays on the sender's identity); Route 53 still every
 *    record name, one statement per zone (domains sharing a zone share it: a name can only be written in
 *    the zone that holds it, so nothing more is allowed).
 * 3. `dkim-records`: as level 2, and Route 53 in one statement: the configured zones (each listed once),
 *    TXT only, UPSERT/DELETE only, names `*._domainkey.*` (any DKIM record of those zones, no other name)
 *    and the delegated slot names, with the Null guard.
 *
 * 4. `dkim-records-read-any-zone`: as level 3, and `ListResourceRecordSets` (a read) on every zone of the
 *    account instead of the configured ones, so the zones are listed once (for the writes) rather than twice:
 *    about twice as many zones fit.
 *
 * Past level 4 (the configured zones alone do not fit), no policy keeps the properties that matter and the
 * construct refuses to synthesize.
 */
import type { PolicyStatement } from './iam';

export const DKIM_ACCESS_LEVELS = [
  'per-domain',
  'all-identities',
  'dkim-records',
  'dkim-records-read-any-zone',
] as const;
export type DkimAccessLevel = (typeof DKIM_ACCESS_LEVELS)[number];

/** Route 53 `ChangeResourceRecordSets` as the worker may call it: TXT, UPSERT/DELETE, and these names only. */
export const ROUTE53_CONDITION_KEYS = {
  names: 'route53:ChangeResourceRecordSetsNormalizedRecordNames',
  types: 'route53:ChangeResourceRecordSetsRecordTypes',
  actions: 'route53:ChangeResourceRecordSetsActions',
} as const;

export const SES_IDENTITY_ACTIONS = [
  'ses:GetEmailIdentity',
  'ses:PutEmailIdentityDkimSigningAttributes',
  'ses:PutEmailIdentityDkimAttributes',
] as const;

/** Any DKIM record (`<selector>._domainkey.<domain>`), normalized as Route 53 compares names. */
export const ANY_DKIM_RECORD = '*._domainkey.*';

/** One domain as the policy sees it. */
export interface DkimAccessTarget {
  readonly domain: string;
  /** The identity's ARN as written in the policy (a literal or a Terraform reference). */
  readonly identityArn: string;
  /** The zone the key manager writes to (route53 and delegated modes), as written at level 1. */
  readonly zoneArn?: string;
  /**
   * The same zone's ARN built from its id when the id is a literal (`arn:<partition>:route53:::hostedzone/<id>`),
   * so domains sharing a zone list it once at level 3. @default zoneArn
   */
  readonly zoneArnById?: string;
  /** `route53` (records under `*._domainkey.<domain>`) or `delegated` (slot names of a zone the stack owns). */
  readonly dnsMode: 'route53' | 'delegated' | 'external';
  /** Normalized `StringLike` patterns of the names it may change (empty in external mode). */
  readonly recordNames: readonly string[];
}

/** The statements of one level. */
export interface DkimAccess {
  readonly level: DkimAccessLevel;
  /** `ChangeResourceRecordSets` statements (none when no domain has a zone). */
  readonly recordChanges: readonly PolicyStatement[];
  /** The zones the worker reads records of (each once): `[arn:…:route53:::hostedzone/*]` at level 4. */
  readonly zones: readonly string[];
  readonly identityDkim: PolicyStatement;
}

function recordChange(sid: string, zones: readonly string[], names: readonly string[]): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: ['route53:ChangeResourceRecordSets'],
    Resource: [...zones],
    Condition: {
      'ForAllValues:StringLike': { [ROUTE53_CONDITION_KEYS.names]: [...names] },
      'ForAllValues:StringEquals': {
        [ROUTE53_CONDITION_KEYS.types]: ['TXT'],
        [ROUTE53_CONDITION_KEYS.actions]: ['UPSERT', 'DELETE'],
      },
      Null: { [ROUTE53_CONDITION_KEYS.names]: 'false' },
    },
  };
}

/** The statements of `level` for `targets`; `allIdentitiesArn` is `arn:…:ses:<region>:<account>:identity/*`. */
export function dkimAccess(
  targets: readonly DkimAccessTarget[],
  level: DkimAccessLevel,
  allIdentitiesArn: string,
  allZonesArn = 'arn:aws:route53:::hostedzone/*',
): DkimAccess {
  const zoned = targets.filter((t) => t.zoneArn !== undefined && t.recordNames.length > 0);
  let recordChanges: PolicyStatement[];
  let zones: string[];
  if (level === 'dkim-records' || level === 'dkim-records-read-any-zone') {
    zones = [...new Set(zoned.map((t) => t.zoneArnById ?? t.zoneArn!))];
    const names = new Set<string>();
    for (const t of zoned) {
      if (t.dnsMode === 'route53') names.add(ANY_DKIM_RECORD);
      else t.recordNames.forEach((n) => names.add(n));
    }
    recordChanges = zoned.length > 0 ? [recordChange('Route53DkimRecords', zones, [...names])] : [];
    if (level === 'dkim-records-read-any-zone' && zoned.length > 0) zones = [allZonesArn];
  } else if (level === 'all-identities') {
    // By zone: the same names in fewer statements (a name can only be written in the zone that holds it).
    const byZone = new Map<string, Set<string>>();
    for (const t of zoned) {
      const names = byZone.get(t.zoneArnById ?? t.zoneArn!) ?? new Set<string>();
      t.recordNames.forEach((n) => names.add(n));
      byZone.set(t.zoneArnById ?? t.zoneArn!, names);
    }
    zones = [...byZone.keys()];
    recordChanges = zones.map((zone, i) => recordChange(`Route53DkimRecords${i + 1}`, [zone], [...byZone.get(zone)!]));
  } else {
    recordChanges = zoned.map((t, i) => recordChange(`Route53DkimRecords${i + 1}`, [t.zoneArn!], t.recordNames));
    zones = [...new Set(zoned.map((t) => t.zoneArn!))];
  }
  const identityDkim: PolicyStatement = {
    Sid: 'SesIdentityDkim',
    Effect: 'Allow',
    Action: [...SES_IDENTITY_ACTIONS],
    Resource: level === 'per-domain' ? targets.map((t) => t.identityArn) : [allIdentitiesArn],
  };
  return { level, recordChanges, zones, identityDkim };
}

/** What {@link chooseDkimAccess} settled on. */
export interface DkimAccessChoice<T> {
  readonly access: DkimAccess;
  /** What `render` made of it (the whole policy). */
  readonly rendered: T;
  /** Its size as `measure` counted it. */
  readonly length: number;
  /** The size of the `per-domain` policy, when the choice is another level. */
  readonly perDomainLength: number;
}

/**
 * The narrowest level whose policy (`render` of the level's statements) measures at most `budget`; throws
 * `tooLarge(length at the widest level)` when none does.
 */
export function chooseDkimAccess<T>(
  targets: readonly DkimAccessTarget[],
  allIdentitiesArn: string,
  budget: number,
  render: (access: DkimAccess) => T,
  measure: (rendered: T) => number,
  tooLarge: (length: number) => Error,
  allZonesArn?: string,
): DkimAccessChoice<T> {
  let perDomainLength = 0;
  let length = 0;
  for (const level of DKIM_ACCESS_LEVELS) {
    const access = dkimAccess(targets, level, allIdentitiesArn, allZonesArn);
    const rendered = render(access);
    length = measure(rendered);
    if (level === 'per-domain') perDomainLength = length;
    if (length <= budget) return { access, rendered, length, perDomainLength };
  }
  throw tooLarge(length);
}
