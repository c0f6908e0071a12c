/**
 * The contract between the parts that never import each other: the Lambda handlers (functions/handlers),
 * the constructs that deploy them and wire their alarms (constructs/), and the operator CLI (functions/cli).
 * Each side imports these names from here, so a renamed metric or environment variable is a compile error,
 * not an alarm that silently watches nothing.
 *
 * - Payloads: what the planner puts on the work queue, and what an operator (CLI, `aws lambda invoke`)
 *   sends the worker. {@link parseWorkerPayload} turns an untrusted payload into one of them or throws a
 *   {@link PayloadError} naming the field, what was expected and what was given — never a stack trace.
 * - Environment variables the Lambdas read ({@link LAMBDA_ENV}), read with {@link readLambdaEnvironment}.
 * - CloudWatch metric names, units and dimensions ({@link METRICS}).
 *
 * No private key material ever travels through any of these (invariant 6): payloads carry domains,
 * selectors and actor names only.
 */
import { ValidationError } from './errors';
import { domainProblem, selectorProblem } from './names';
import { resolveDomainSpec, type DomainSpec } from './spec';

// -------------------------------------------------------------------------------------------------
// Payloads

/** Operator actions (DESIGN: the lifecycle's operator actions; the CLI's commands of the same names). */
export const OPERATOR_ACTIONS = [
  'reconcile',
  'status',
  'rotate',
  'approve',
  'disable',
  'enable',
  'rollback',
  'revoke',
  'dns-request',
  'verify-dns',
] as const;

export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** Actions that change what SES signs with or whether it signs: the CLI asks before sending them. */
export const DISRUPTIVE_ACTIONS: readonly OperatorAction[] = ['rotate', 'approve', 'disable', 'rollback', 'revoke'];

/** An operator's request to the worker Lambda for one domain (direct invocation). */
export interface OperatorRequest {
  readonly kind: 'operator';
  readonly action: OperatorAction;
  /** The domain as an A-label, e.g. `example.com`. */
  readonly domain: string;
  /** `revoke`: the selector (or key id) of the compromised key. */
  readonly selector?: string;
  /** Who asked, for the audit trail (e.g. the caller's IAM identity or `alice`). */
  readonly actor?: string;
}

/** The planner's message for one domain (one SQS message per domain per scheduled run). */
export interface ReconcileMessage {
  readonly kind: 'reconcile';
  readonly domain: string;
  /** When the planner enqueued it (ISO 8601), for the queue-delay metric and the audit trail. */
  readonly enqueuedAt: string;
}

export type WorkerPayload = OperatorRequest | ReconcileMessage;

/** The worker's answer to an operator request. */
export interface OperatorResponse {
  readonly action: OperatorAction;
  readonly domain: string;
  /**
   * `done`: carried out (or, for `status`, answered); `refused`: not possible in the domain's state (the
   * message says why and what to do instead); `busy`: lost the compare-and-swap race to concurrent runs
   * every time it was retried — nothing changed, try again.
   */
  readonly outcome: 'done' | 'refused' | 'busy';
  /** A stable code for refusals and busy answers, e.g. `ROTATION_IN_FLIGHT`. */
  readonly code?: string;
  readonly message: { readonly en: string; readonly ja: string };
}

/** A worker payload that is not one of the {@link WorkerPayload} shapes. */
export class PayloadError extends ValidationError {
  constructor(
    field: string,
    public readonly expected: string,
    public readonly given: unknown,
  ) {
    super('INVALID_PAYLOAD', `invalid payload: ${field} must be ${expected}; given ${describe(given)}`, field);
  }
}

/** A value as given, short and safe to print (payloads hold no secrets, but may be huge). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const ACTOR_PATTERN = /^[\x20-\x7e]{1,128}$/;

function field(payload: Record<string, unknown>, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(payload, name) ? payload[name] : undefined;
}

function domainField(payload: Record<string, unknown>): string {
  const domain = field(payload, 'domain');
  if (typeof domain !== 'string' || domainProblem(domain) !== undefined) {
    throw new PayloadError('domain', 'a domain name as an A-label, e.g. example.com', domain);
  }
  return domain;
}

function refuseUnknownFields(payload: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(payload).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new PayloadError(unknown, `absent (known fields: ${known.join(', ')})`, payload[unknown]);
  }
}

/**
 * Validates an untrusted worker payload: an SQS message body (already JSON-parsed) or a direct
 * invocation's event. `kind` defaults to `operator` when `action` is present, so the operations team's
 * `aws lambda invoke --payload '{"action": "status", "domain": "example.com"}'` keeps working.
 */
export function parseWorkerPayload(payload: unknown): WorkerPayload {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new PayloadError('payload', 'a JSON object', payload);
  }
  const record = payload as Record<string, unknown>;
  const kind = field(record, 'kind') ?? (field(record, 'action') !== undefined ? 'operator' : undefined);
  if (kind === 'reconcile') {
    refuseUnknownFields(record, ['kind', 'domain', 'enqueuedAt']);
    const domain = domainField(record);
    const enqueuedAt = field(record, 'enqueuedAt');
    if (typeof enqueuedAt !== 'string' || Number.isNaN(Date.parse(enqueuedAt))) {
      throw new PayloadError('enqueuedAt', 'an ISO 8601 time, e.g. 2026-12-01T00:00:00.000Z', enqueuedAt);
    }
    return { kind, domain, enqueuedAt };
  }
  if (kind !== 'operator') {
    throw new PayloadError('kind', '"reconcile" or "operator" (or omitted with an action)', kind);
  }
  refuseUnknownFields(record, ['kind', 'action', 'domain', 'selector', 'actor']);
  const action = field(record, 'action');
  if (typeof action !== 'string' || !(OPERATOR_ACTIONS as readonly string[]).includes(action)) {
    throw new PayloadError('action', `one of ${OPERATOR_ACTIONS.join(', ')}`, action);
  }
  const domain = domainField(record);
  const selector = field(record, 'selector');
  if (selector !== undefined && (typeof selector !== 'string' || selectorProblem(selector) !== undefined)) {
    throw new PayloadError('selector', 'an SES selector (letters, digits and inner hyphens)', selector);
  }
  if (action === 'revoke' && selector === undefined) {
    throw new PayloadError('selector', 'the selector of the compromised key (revoke needs one)', selector);
  }
  const actor = field(record, 'actor');
  if (actor !== undefined && (typeof actor !== 'string' || !ACTOR_PATTERN.test(actor))) {
    throw new PayloadError('actor', '1-128 printable ASCII characters', actor);
  }
  return {
    kind: 'operator',
    action: action as OperatorAction,
    domain,
    ...(selector !== undefined ? { selector: selector as string } : {}),
    ...(actor !== undefined ? { actor: actor as string } : {}),
  };
}

// -------------------------------------------------------------------------------------------------
// Environment variables of the Lambdas

/**
 * Every environment variable a byodkim Lambda reads, by role. The constructs set them; the handlers read
 * them with {@link readLambdaEnvironment}. None ever holds key material.
 */
export const LAMBDA_ENV = {
  /** The environment's name (`dev`, `stg`, `prod`): the `Environment` metric dimension. */
  environment: 'BYODKIM_ENVIRONMENT',
  /** The DynamoDB table of lifecycle state and audit events. */
  stateTable: 'BYODKIM_STATE_TABLE',
  /** Secrets Manager names are `<prefix>/<domain>/<keyId>`. */
  secretPrefix: 'BYODKIM_SECRET_PREFIX',
  /** The environment's customer-managed KMS key that encrypts the key store. */
  keyStoreKeyArn: 'BYODKIM_KEY_STORE_KEY_ARN',
  /** The SNS topic for operator notices (alarms use the same topic). */
  operatorTopicArn: 'BYODKIM_OPERATOR_TOPIC_ARN',
  /** The verified SES sender for DNS-team change requests. */
  dnsTeamSender: 'BYODKIM_DNS_TEAM_SENDER',
  /** The planner's work queue (one message per domain). */
  workQueueUrl: 'BYODKIM_WORK_QUEUE_URL',
  /**
   * Domains the planner releases per second (message delays spread a run over time, so the fleet does not
   * ask SES and Route 53 all at once). Optional: default 8 (functions/handlers/planner.ts).
   */
  planRate: 'BYODKIM_PLAN_RATE',
  /** The planner's longest message delay, 0 to 900 s (SQS's maximum). Optional: default 900. */
  planWindowSeconds: 'BYODKIM_PLAN_WINDOW_SECONDS',
  /**
   * The operators' address(es), comma-separated: the `Reply-To` of DNS-team mail, so the DNS team's answers
   * reach people, not the sender. Optional: without it, replies go to the sender.
   */
  operatorReplyTo: 'BYODKIM_OPERATOR_REPLY_TO',
  /**
   * Recursive resolvers to verify records on, comma-separated `host[:port]`. Optional: without it, several
   * public resolvers (functions/adapters/dns-verifier.ts `DEFAULT_RESOLVERS`).
   */
  resolvers: 'BYODKIM_RESOLVERS',
  /**
   * The authoritative servers to ask instead of discovering the zone's name servers by NS lookup,
   * comma-separated `host[:port]` (split-horizon DNS, tests). Optional: without it, discovery.
   */
  authoritativeServers: 'BYODKIM_AUTHORITATIVE_SERVERS',
  /**
   * The MonitoringSuite's own SNS topic (encrypted with its own KMS key): the monitor's alerts and the
   * monthly report. Monitor and report only.
   */
  alarmTopicArn: 'BYODKIM_ALARM_TOPIC_ARN',
  /** `ja` or `en`: the language alerts and the monthly report lead with (both are always included). */
  locale: 'BYODKIM_LOCALE',
  /** The IANA time zone of the monthly report (its month and its dates). Optional: default `Asia/Tokyo`. */
  reportTimeZone: 'BYODKIM_REPORT_TIME_ZONE',
  /**
   * Minutes after which a domain whose key manager has not finished a run counts as silent. Optional:
   * default two schedule periods + 60 minutes (the construct computes it from the schedule).
   */
  keyManagerSilentMinutes: 'BYODKIM_KEY_MANAGER_SILENT_MINUTES',
  /**
   * The DKIM canary's domains: a JSON list `[{"domain": "example.com", "configurationSet": "<name>"}]`
   * (functions/handlers/canary.ts). Canary only, like every `canary…` variable below.
   */
  canaryTargets: 'BYODKIM_CANARY_TARGETS',
  /** The address on the receiving domain that the SES receipt rule stores in the canary bucket. */
  canaryRecipient: 'BYODKIM_CANARY_RECIPIENT',
  /** The local part canary messages are sent from (`<localPart>@<domain>`). Optional: default `canary`. */
  canaryLocalPart: 'BYODKIM_CANARY_LOCAL_PART',
  /** The S3 bucket received canary messages are stored in, and its region (a region SES receives mail in). */
  canaryBucket: 'BYODKIM_CANARY_BUCKET',
  canaryBucketRegion: 'BYODKIM_CANARY_BUCKET_REGION',
  /** The receipt rule's object key prefix, e.g. `incoming/`. */
  canaryPrefix: 'BYODKIM_CANARY_PREFIX',
  /** Seconds a canary run waits for its messages to arrive (1–780). Optional: default 300. */
  canaryWaitSeconds: 'BYODKIM_CANARY_WAIT_SECONDS',
} as const;

export type LambdaEnvName = keyof typeof LAMBDA_ENV;

/** The languages of alerts and the monthly report ({@link LAMBDA_ENV} `locale`). */
export const LOCALES = ['ja', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** The monthly report's time zone when {@link LAMBDA_ENV} `reportTimeZone` is not set. */
export const DEFAULT_REPORT_TIME_ZONE = 'Asia/Tokyo';

/** Powertools' own variables, set by the constructs so logs and metrics agree with {@link METRICS}. */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;

/** A Lambda started without the environment its construct sets (deployed by hand, or an old bundle). */
export class LambdaConfigurationError extends ValidationError {
  constructor(public readonly missing: readonly string[]) {
    super(
      'LAMBDA_ENVIRONMENT_INCOMPLETE',
      `the function's environment lacks ${missing.join(', ')}: deploy it with its byodkim construct, which sets them`,
      missing[0],
    );
  }
}

/** Reads the named variables; throws one error that lists every one that is missing or empty. */
export function readLambdaEnvironment<const K extends LambdaEnvName>(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly K[],
): Record<K, string> {
  const missing = names.filter((name) => !env[LAMBDA_ENV[name]]).map((name) => LAMBDA_ENV[name]);
  if (missing.length > 0) throw new LambdaConfigurationError(missing);
  return Object.fromEntries(names.map((name) => [name, env[LAMBDA_ENV[name]]!])) as Record<K, string>;
}

// -------------------------------------------------------------------------------------------------
// Metrics

/** The CloudWatch namespace of every byodkim metric. */
export const METRIC_NAMESPACE = 'Byodkim';

/** Dimension names: per domain, and per environment (the environment-wide aggregate alarms use). */
export const METRIC_DIMENSIONS = { environment: 'Environment', domain: 'Domain' } as const;

export type MetricUnit = 'Count' | 'None' | 'Seconds';

/**
 * Where a metric is published. `domain`: with the `[Environment, Domain]` dimension set (and
 * `[Environment]`) — each domain is a custom metric of its own (about $0.30 a month at list price), so at
 * most two metrics have this scope. `environment`: with `[Environment]` only; the domain stays in the
 * structured log line, where Logs Insights finds it.
 */
export type MetricScope = 'domain' | 'environment';

/** A metric's name, unit, scope and what one data point means. */
export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly scope: MetricScope;
  readonly description: string;
}

function metric(name: string, unit: MetricUnit, scope: MetricScope, description: string): MetricDefinition {
  return { name, unit, scope, description };
}

/**
 * Every metric byodkim emits. The key manager (reconciler) emits the run and step metrics; the monitor
 * emits the health metrics (two per domain, the rest one count per run for the environment); the canary
 * its own. Alarms and the dashboard refer to them through this table only.
 */
export const METRICS = {
  // Key manager: what a run did (environment scope; the domain is in the log line).
  rotationsCompleted: metric('RotationsCompleted', 'Count', 'environment', 'SES switched to a new byodkim key'),
  dnsRequestsSent: metric(
    'DnsRequestsSent',
    'Count',
    'environment',
    'change requests sent to a DNS team (first or again)',
  ),
  dnsRemindersSent: metric(
    'DnsRemindersSent',
    'Count',
    'environment',
    'reminders sent to a DNS team before the deadline',
  ),
  dnsEscalationsSent: metric('DnsEscalationsSent', 'Count', 'environment', 'escalations sent after the deadline'),
  dnsCorrectionsSent: metric('DnsCorrectionsSent', 'Count', 'environment', 'corrections of a wrongly published record'),
  actionFailures: metric('ActionFailures', 'Count', 'environment', 'a run whose side effects failed (it backs off)'),
  runsCompleted: metric(
    'RunsCompleted',
    'Count',
    'environment',
    'the key manager finished a run for a domain (its heartbeat)',
  ),
  commandsBusy: metric(
    'CommandsBusy',
    'Count',
    'environment',
    'an operator command answered busy after losing every race',
  ),
  // Per domain (the two metrics alarms need per domain).
  dkimHealthy: metric(
    'DkimHealthy',
    'None',
    'domain',
    '1 when SES signs with the recorded key (EXTERNAL, enabled, SUCCESS, Tokens = [active selector]) and the active record is byte-exact on every authoritative server, else 0',
  ),
  keyAgeDays: metric('KeyAgeDays', 'None', 'domain', 'days since the active key started signing'),
  // Monitor: one count per run for the environment (0 when no domain is in that state).
  domainsChecked: metric('DomainsChecked', 'Count', 'environment', 'domains the monitor checked in a run'),
  domainsUnhealthy: metric('DomainsUnhealthy', 'Count', 'environment', 'domains whose SES DKIM is not healthy'),
  recordProblems: metric(
    'RecordProblems',
    'Count',
    'environment',
    'domains whose active record is missing, mismatched, truncated, an old key or the wrong length on a server',
  ),
  signingDrift: metric(
    'SigningDrift',
    'Count',
    'environment',
    'domains whose SES signs with something other than the recorded key (e.g. back to Easy DKIM)',
  ),
  keysOverInterval: metric(
    'KeysOverInterval',
    'Count',
    'environment',
    'domains whose active key is older than its rotation interval',
  ),
  keysExpiringNoRotation: metric(
    'KeysExpiringNoRotation',
    'Count',
    'environment',
    'domains within renewBefore of the key’s expiry with no rotation started',
  ),
  dnsRequestsOverdue: metric(
    'DnsRequestsOverdue',
    'Count',
    'environment',
    'domains with an open DNS-team request older than its lead time',
  ),
  keyManagerSilent: metric(
    'KeyManagerSilent',
    'Count',
    'environment',
    'domains whose key manager has not finished a run for longer than the threshold',
  ),
  monitorRuns: metric(
    'MonitorRuns',
    'Count',
    'environment',
    'the monitor finished a check of the environment (its heartbeat)',
  ),
  // Canary (optional).
  canaryRuns: metric('CanaryRuns', 'Count', 'environment', 'the DKIM canary sent and checked a message'),
  canaryFailures: metric(
    'CanaryFailures',
    'Count',
    'environment',
    'a canary message whose DKIM-Signature did not pass or was not by the recorded active selector',
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

// -------------------------------------------------------------------------------------------------
// The state table (DynamoDB)

/**
 * The layout of the environment's DynamoDB table: lifecycle state, audit events and the domains' specs,
 * all in one table, one partition per domain. The construct creates the table from these names, Terraform
 * writes the SPEC items ({@link specItem}), and the runtime adapter (`functions/adapters/dynamodb.ts`)
 * reads and writes the rest.
 *
 * | `pk` | `sk` | What | Written by |
 * | --- | --- | --- | --- |
 * | `DOMAIN#<domain>` | `STATE` | the recorded `DomainState` (functions/lifecycle/state.ts) as JSON text (`state`), its `version` (number, the compare-and-swap), `domain`, `updatedAt`, `kind`=`STATE` | the worker, conditional on `version` |
 * | `DOMAIN#<domain>` | `EVENT#<version, 12 digits>` (`#<n>` for a second event of one version) | one audit event (`at`, `domain`, `version`, `policy`, `message`, `actions`), expiring at `expiresAt` (epoch seconds, the table's TTL attribute) | the worker, in the same transaction as the state |
 * | `DOMAIN#<domain>` | `SPEC` | the domain's resolved DomainSpec as a DynamoDB map (`spec`), `domain`, `kind`=`SPEC`, `specFormat` | Terraform (`aws_dynamodb_table_item`, one per domain: a plan shows the per-field diff) |
 * | `DOMAIN#<domain>` | `HEARTBEAT` | the key manager's last finished run for the domain: `lastRunAt` (ISO 8601), `outcome` (the reconcile outcome), `domain` ({@link heartbeatItem}) | the worker, one BatchWriteItem per SQS batch (≤ 25 items a call) |
 * | `REPORT` | `<YYYY-MM>` | the monthly report of that month as JSON text (`report`), `generatedAt` ({@link reportItem}) | the report Lambda (its role may PutItem on pk `REPORT` only: `dynamodb:LeadingKeys`) |
 *
 * The global secondary index `kind-index` (hash `kind`, range `domain`, keys only) is sparse: only SPEC and
 * STATE items carry `kind`, so the planner lists every configured domain with one paginated Query
 * (`kind = SPEC`), never a Scan over the audit events, and finds orphans (a STATE without a SPEC: a domain
 * removed from the configuration, whose keys and records stay until operators decide) with a second one.
 * Every item of one kind shares one index partition: fine for 10,000 domains (Terraform writes SPEC items
 * rarely; STATE writes stay far below a partition's 1,000 writes per second).
 */
export const STATE_TABLE = {
  /** Partition key (string): `DOMAIN#<domain>`. */
  partitionKey: 'pk',
  /** Sort key (string): `STATE`, `SPEC`, `HEARTBEAT` or `EVENT#…` (`<YYYY-MM>` under pk `REPORT`). */
  sortKey: 'sk',
  domainPrefix: 'DOMAIN#',
  stateSortKey: 'STATE',
  specSortKey: 'SPEC',
  /** The key manager's heartbeat per domain (the monitor's "key manager silent" check). */
  heartbeatSortKey: 'HEARTBEAT',
  /** The partition of the monthly reports (sort key `<YYYY-MM>`); the report role's only writable key. */
  reportPartitionKey: 'REPORT',
  eventSortKeyPrefix: 'EVENT#',
  /** Digits of the zero-padded version in an event's sort key, so events sort by version. */
  eventVersionDigits: 12,
  /** The table's TTL attribute (epoch seconds), set on event items only. */
  ttlAttribute: 'expiresAt',
  /** How long audit events are kept by default. */
  eventTtlDays: 400,
  /** The sparse index of SPEC and STATE items (keys only). */
  kindIndex: { name: 'kind-index', partitionKey: 'kind', sortKey: 'domain' },
  /** Attributes of the items besides the keys. */
  attributes: {
    kind: 'kind',
    domain: 'domain',
    version: 'version',
    state: 'state',
    updatedAt: 'updatedAt',
    spec: 'spec',
    specFormat: 'specFormat',
    /** HEARTBEAT: when the key manager last finished a run for the domain (ISO 8601). */
    lastRunAt: 'lastRunAt',
    /** HEARTBEAT: that run's outcome (`done`, `refused`, `conflict`, `failed`). */
    outcome: 'outcome',
    /** REPORT: the report as JSON text. */
    report: 'report',
    /** REPORT: when it was generated (ISO 8601). */
    generatedAt: 'generatedAt',
  },
  /** The value of `kind` on SPEC and STATE items (event items have none). */
  kinds: { spec: 'SPEC', state: 'STATE' },
  /** The format of a SPEC item's `spec` map; readers refuse one they do not know. */
  specFormat: 1,
} as const;

/** `DOMAIN#example.com`. */
export function domainPartitionKey(domain: string): string {
  return `${STATE_TABLE.domainPrefix}${domain}`;
}

/** `EVENT#000000000042` (the first event of version 42), `EVENT#000000000042#1` (the second). */
export function eventSortKey(version: number, index = 0): string {
  const padded = String(version).padStart(STATE_TABLE.eventVersionDigits, '0');
  return `${STATE_TABLE.eventSortKeyPrefix}${padded}${index > 0 ? `#${index}` : ''}`;
}

/** What the last finished key-manager run of a domain came to (the reconciler's outcome). */
export type HeartbeatOutcome = 'done' | 'refused' | 'conflict' | 'failed';

/** The HEARTBEAT item of a domain: the key manager finished a run at `lastRunAt`. */
export function heartbeatItem(
  domain: string,
  lastRunAt: string,
  outcome: HeartbeatOutcome,
): Record<string, { S: string }> {
  const a = STATE_TABLE.attributes;
  return {
    [STATE_TABLE.partitionKey]: { S: domainPartitionKey(domain) },
    [STATE_TABLE.sortKey]: { S: STATE_TABLE.heartbeatSortKey },
    [a.domain]: { S: domain },
    [a.lastRunAt]: { S: lastRunAt },
    [a.outcome]: { S: outcome },
  };
}

/** `2026-12` (the sort key of that month's REPORT item); `month` is 1–12. */
export function reportSortKey(year: number, month: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999 || !Number.isInteger(month) || month < 1 || month > 12) {
    throw new ValidationError(
      'INVALID_REPORT_MONTH',
      `a report month is a year and a month 1-12; given ${year}-${month}`,
    );
  }
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** The REPORT item of a month: the report's JSON text and when it was generated. */
export function reportItem(
  year: number,
  month: number,
  reportJson: string,
  generatedAt: string,
): Record<string, { S: string }> {
  const a = STATE_TABLE.attributes;
  return {
    [STATE_TABLE.partitionKey]: { S: STATE_TABLE.reportPartitionKey },
    [STATE_TABLE.sortKey]: { S: reportSortKey(year, month) },
    [a.report]: { S: reportJson },
    [a.generatedAt]: { S: generatedAt },
  };
}

/** A DynamoDB attribute value in DynamoDB JSON, as `aws_dynamodb_table_item.item` and the SDK take it. */
export type DynamoDbJsonValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly BOOL: boolean }
  | { readonly NULL: true }
  | { readonly L: readonly DynamoDbJsonValue[] }
  | { readonly M: Readonly<Record<string, DynamoDbJsonValue>> };

/** Plain JSON data in DynamoDB JSON: arrays are lists, objects maps, undefined fields left out. */
export function toDynamoDbJson(value: unknown, path = 'value'): DynamoDbJsonValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'boolean') return { BOOL: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError('INVALID_ITEM', `${path} is not a finite number`, path);
    return { N: String(value) };
  }
  if (Array.isArray(value)) return { L: value.map((item, i) => toDynamoDbJson(item, `${path}[${i}]`)) };
  if (typeof value === 'object') {
    const map: Record<string, DynamoDbJsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) map[key] = toDynamoDbJson(item, `${path}.${key}`);
    }
    return { M: map };
  }
  throw new ValidationError('INVALID_ITEM', `${path} cannot be stored in DynamoDB (${typeof value})`, path);
}

/**
 * The SPEC item of a domain, exactly as Terraform writes it (`aws_dynamodb_table_item.item` is
 * `JSON.stringify(specItem(spec))`): the keys, `kind`, `domain`, `specFormat` and the spec as a map, so a
 * plan shows `rotation.intervalDays: 180 → 90` as one changed field. The spec is resolved first (a resolved
 * spec stays the same; anything that is not a DomainSpec field is left out).
 */
export function specItem(spec: DomainSpec): Record<string, DynamoDbJsonValue> {
  const resolved = resolveDomainSpec(spec, { selectorPrefix: spec.selectorPrefix });
  const a = STATE_TABLE.attributes;
  return {
    [STATE_TABLE.partitionKey]: { S: domainPartitionKey(resolved.domain) },
    [STATE_TABLE.sortKey]: { S: STATE_TABLE.specSortKey },
    [a.kind]: { S: STATE_TABLE.kinds.spec },
    [a.domain]: { S: resolved.domain },
    [a.specFormat]: { N: String(STATE_TABLE.specFormat) },
    [a.spec]: toDynamoDbJson(resolved, 'spec'),
  };
}
