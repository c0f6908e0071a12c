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
} as const;

export type LambdaEnvName = keyof typeof LAMBDA_ENV;

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

/** A metric's name, unit and what one data point means. */
export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly description: string;
}

function metric(name: string, unit: MetricUnit, description: string): MetricDefinition {
  return { name, unit, description };
}

/**
 * Every metric byodkim emits. The key manager (reconciler) emits the run and step metrics; the monitor
 * emits the health metrics; alarms and the dashboard refer to them through this table only.
 */
export const METRICS = {
  // Key manager: what a run did.
  rotationsCompleted: metric('RotationsCompleted', 'Count', 'SES switched to a new byodkim key'),
  dnsRequestsSent: metric('DnsRequestsSent', 'Count', 'change requests sent to a DNS team (first or again)'),
  dnsRemindersSent: metric('DnsRemindersSent', 'Count', 'reminders sent to a DNS team before the deadline'),
  dnsEscalationsSent: metric('DnsEscalationsSent', 'Count', 'escalations sent after the deadline'),
  dnsCorrectionsSent: metric('DnsCorrectionsSent', 'Count', 'corrections of a wrongly published record'),
  actionFailures: metric('ActionFailures', 'Count', 'a run whose side effects failed (it backs off)'),
  keyAgeDays: metric('KeyAgeDays', 'None', 'days since the active key started signing'),
  runsCompleted: metric('RunsCompleted', 'Count', 'the key manager finished a run for a domain (heartbeat)'),
  commandsBusy: metric('CommandsBusy', 'Count', 'an operator command answered busy after losing every race'),
  // Monitor: what it saw.
  dkimHealthy: metric('DkimHealthy', 'None', '1 when SES signs with the recorded key and reports SUCCESS, else 0'),
  activeRecordMatches: metric('ActiveRecordMatches', 'None', '1 when the active record is byte-exact everywhere'),
  signingDrift: metric('SigningDrift', 'None', '1 when SES signs with something other than the recorded key'),
  dnsRequestAgeDays: metric('DnsRequestAgeDays', 'None', 'age of the oldest open DNS-team request'),
  monitorRuns: metric('MonitorRuns', 'Count', 'the monitor finished a check of the environment (heartbeat)'),
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
  /** Sort key (string): `STATE`, `SPEC` or `EVENT#…`. */
  sortKey: 'sk',
  domainPrefix: 'DOMAIN#',
  stateSortKey: 'STATE',
  specSortKey: 'SPEC',
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
