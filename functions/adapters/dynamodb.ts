/**
 * The DynamoDB adapters: the lifecycle's {@link StateStore} (one STATE item per domain, written with
 * compare-and-swap on `version`, audit events as their own items with a TTL, in the same transaction) and
 * the planner's {@link DynamoDbSpecStore} (the SPEC items Terraform writes, one per domain).
 *
 * The table's layout is the contract's ({@link STATE_TABLE}, functions/core/contract.ts): the construct
 * creates the table from it and Terraform writes the SPEC items with `specItem`.
 */
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type AttributeValue,
  type QueryCommandOutput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { checkDomainSpec, formatPath, formatValue } from '../core/domain-rules';
import { ConflictError, ServiceError, TransientError, ValidationError } from '../core/errors';
import { STATE_TABLE, domainPartitionKey, eventSortKey, heartbeatItem, type HeartbeatOutcome } from '../core/contract';
import type { DomainSpec, DomainSpecInput } from '../core/spec';
import type { LifecycleEvent, StateStore } from '../lifecycle/ports';
import type { DomainState } from '../lifecycle/state';
import { awsClientConfig, awsErrorName, mapAwsError } from './aws-errors';

const SERVICE = 'DynamoDB';
const A = STATE_TABLE.attributes;
const DAY_SECONDS = 86_400;
/** TransactWriteItems takes at most 100 operations: the state and 99 events. */
const MAX_EVENTS_PER_SAVE = 99;

export interface DynamoDbStateStoreOptions {
  readonly tableName: string;
  /** Defaults to a client built with the runtime's standard settings (no explicit endpoint). */
  readonly client?: DynamoDBClient;
  /** How long audit events are kept (their `expiresAt`). @default STATE_TABLE.eventTtlDays (400) */
  readonly eventTtlDays?: number;
}

function stateKey(domain: string): Record<string, AttributeValue> {
  return {
    [STATE_TABLE.partitionKey]: { S: domainPartitionKey(domain) },
    [STATE_TABLE.sortKey]: { S: STATE_TABLE.stateSortKey },
  };
}

/** The lifecycle state of every domain: `DOMAIN#<domain>` / `STATE`, compare-and-swap on `version`. */
export class DynamoDbStateStore implements StateStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly eventTtlDays: number;

  constructor(options: DynamoDbStateStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? new DynamoDBClient(awsClientConfig());
    this.eventTtlDays = options.eventTtlDays ?? STATE_TABLE.eventTtlDays;
    if (!Number.isInteger(this.eventTtlDays) || this.eventTtlDays < 1) {
      throw new ValidationError(
        'INVALID_EVENT_TTL',
        `eventTtlDays must be a whole number of days ≥ 1; given ${this.eventTtlDays}`,
        'eventTtlDays',
      );
    }
  }

  async load(domain: string): Promise<DomainState | undefined> {
    const output = await this.call('GetItem', domain, () =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: stateKey(domain), ConsistentRead: true })),
    );
    if (output.Item === undefined) return undefined;
    return parseStateItem(domain, output.Item);
  }

  async save(state: DomainState, expectedVersion: number, events: readonly LifecycleEvent[] = []): Promise<void> {
    if (!Number.isInteger(expectedVersion) || expectedVersion < 0 || state.version !== expectedVersion + 1) {
      throw new ValidationError(
        'INVALID_STATE_VERSION',
        `state of ${state.domain}: version ${state.version} must be expectedVersion + 1 (${expectedVersion} + 1)`,
        'version',
      );
    }
    if (events.length > MAX_EVENTS_PER_SAVE) {
      throw new ValidationError(
        'TOO_MANY_EVENTS',
        `state of ${state.domain}: ${events.length} events in one save; at most ${MAX_EVENTS_PER_SAVE}`,
        'events',
      );
    }
    events.forEach((event, i) => {
      if (event.domain !== state.domain || event.version !== state.version) {
        throw new ValidationError(
          'INVALID_EVENT',
          `event ${i} of ${state.domain} version ${state.version} names ${event.domain} version ${event.version}: an event records the state version it produced`,
          `events[${i}]`,
        );
      }
    });
    const put = {
      TableName: this.tableName,
      Item: this.stateItem(state),
      ...versionCondition(expectedVersion),
    };
    try {
      if (events.length === 0) {
        await this.client.send(new PutItemCommand({ ...put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
        return;
      }
      const items: TransactWriteItem[] = [
        { Put: { ...put, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
        ...events.map(
          (event, i): TransactWriteItem => ({ Put: { TableName: this.tableName, Item: this.eventItem(event, i) } }),
        ),
      ];
      await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      throw this.saveError(error, state.domain, expectedVersion, events.length > 0);
    }
  }

  /**
   * Every domain with a recorded state (the sparse `kind-index`, paginated). With the spec store's
   * `listDomains`, the planner finds orphans: recorded domains that are no longer configured.
   */
  async listDomains(pageSize?: number): Promise<string[]> {
    return listKind(this.client, this.tableName, STATE_TABLE.kinds.state, pageSize);
  }

  private stateItem(state: DomainState): Record<string, AttributeValue> {
    return {
      ...stateKey(state.domain),
      [A.kind]: { S: STATE_TABLE.kinds.state },
      [A.domain]: { S: state.domain },
      [A.version]: { N: String(state.version) },
      [A.updatedAt]: { N: String(state.updatedAt) },
      [A.state]: { S: JSON.stringify(state) },
    };
  }

  private eventItem(event: LifecycleEvent, index: number): Record<string, AttributeValue> {
    const expiresAt = Math.floor(event.at / 1000) + this.eventTtlDays * DAY_SECONDS;
    return {
      ...marshall(
        {
          at: event.at,
          domain: event.domain,
          version: event.version,
          policy: event.policy,
          message: event.message,
          actions: [...event.actions],
        },
        { removeUndefinedValues: true },
      ),
      [STATE_TABLE.partitionKey]: { S: domainPartitionKey(event.domain) },
      [STATE_TABLE.sortKey]: { S: eventSortKey(event.version, index) },
      [STATE_TABLE.ttlAttribute]: { N: String(expiresAt) },
    };
  }

  private saveError(error: unknown, domain: string, expectedVersion: number, transaction: boolean): Error {
    const name = awsErrorName(error);
    if (name === 'ConditionalCheckFailedException') {
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return conflict(domain, expectedVersion, item);
    }
    if (name === 'TransactionCanceledException') {
      const reasons =
        (error as { CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] })
          .CancellationReasons ?? [];
      const stateReason = reasons[0];
      // The state's condition failed, or another transaction was writing the item: another writer won the
      // race (or is winning it). Nothing was written; re-reading is always safe.
      if (stateReason?.Code === 'ConditionalCheckFailed' || reasons.some((r) => r.Code === 'TransactionConflict')) {
        return conflict(domain, expectedVersion, stateReason?.Item);
      }
      const throttled = reasons.find((r) => r.Code === 'ThrottlingError' || r.Code === 'ProvisionedThroughputExceeded');
      if (throttled !== undefined) {
        return new TransientError(
          'THROTTLED',
          `${SERVICE} TransactWriteItems on ${this.resource(domain)} was cancelled (${throttled.Code}); back off and try again`,
          SERVICE,
        );
      }
    }
    return mapAwsError(error, {
      service: SERVICE,
      action: transaction ? 'TransactWriteItems' : 'PutItem',
      resource: this.resource(domain),
    });
  }

  private resource(domain: string): string {
    return `table ${this.tableName} item ${domainPartitionKey(domain)}`;
  }

  private async call<T>(action: string, domain: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw mapAwsError(error, { service: SERVICE, action, resource: this.resource(domain) });
    }
  }
}

function versionCondition(expectedVersion: number): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
} {
  if (expectedVersion === 0) {
    return {
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey },
    };
  }
  return {
    ConditionExpression: '#version = :expected',
    ExpressionAttributeNames: { '#version': A.version },
    ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
  };
}

function conflict(
  domain: string,
  expectedVersion: number,
  item: Record<string, AttributeValue> | undefined,
): ConflictError {
  const stored = item?.[A.version]?.N;
  const found =
    item === undefined
      ? expectedVersion === 0
        ? 'already exists'
        : 'changed'
      : stored === undefined
        ? 'has no version'
        : `is at version ${stored}`;
  return new ConflictError(
    `state of ${domain} ${found}, not version ${expectedVersion}: another writer won; re-read and decide again`,
    expectedVersion,
  );
}

/** A STATE item's recorded state, checked (its JSON is the domain's state, its `version` the state's). */
export function parseStateItem(domain: string, item: Record<string, AttributeValue>): DomainState {
  const text = item[A.state]?.S;
  const version = Number(item[A.version]?.N);
  let state: DomainState | undefined;
  try {
    state = text === undefined ? undefined : (JSON.parse(text) as DomainState);
  } catch {
    state = undefined;
  }
  if (
    state === undefined ||
    typeof state !== 'object' ||
    state === null ||
    state.domain !== domain ||
    state.version !== version
  ) {
    throw new ServiceError(
      'STATE_ITEM_INVALID',
      `the state item of ${domain} (${domainPartitionKey(domain)} / ${STATE_TABLE.stateSortKey}) is not a byodkim state: ` +
        `its \`${A.state}\` must be the JSON of the domain's state, version equal to \`${A.version}\``,
      SERVICE,
    );
  }
  return state;
}

/** The domains of one kind of item (SPEC or STATE), from the sparse kind-index, every page read. */
export async function listKind(
  client: DynamoDBClient,
  tableName: string,
  kind: string,
  pageSize?: number,
): Promise<string[]> {
  const index = STATE_TABLE.kindIndex;
  const domains: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    let page: QueryCommandOutput;
    try {
      page = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.name,
          KeyConditionExpression: '#kind = :kind',
          ExpressionAttributeNames: { '#kind': index.partitionKey },
          ExpressionAttributeValues: { ':kind': { S: kind } },
          ...(pageSize !== undefined ? { Limit: pageSize } : {}),
          ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
        }),
      );
    } catch (error) {
      throw mapAwsError(error, {
        service: SERVICE,
        action: 'Query',
        resource: `table ${tableName} index ${index.name}`,
      });
    }
    for (const item of page.Items ?? []) {
      const domain = item[index.sortKey]?.S;
      if (domain !== undefined) domains.push(domain);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return domains;
}

export interface DynamoDbSpecStoreOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
  /** Items per Query page. @default DynamoDB's (1 MB) */
  readonly pageSize?: number;
}

/**
 * A SPEC item that is not a valid domain spec: missing, of an unknown format, or breaking a domain rule.
 * `field` is the path inside the spec (`rotation.intervalDays`), `domain` the item's domain.
 */
export class SpecItemError extends ValidationError {
  constructor(
    public readonly domain: string,
    field: string,
    problem: string,
  ) {
    super('INVALID_SPEC_ITEM', `the spec of ${domain} in the state table is broken: ${field} ${problem}`, field);
  }
}

/** The domains' specs as Terraform wrote them: `DOMAIN#<domain>` / `SPEC`. Read only. */
export class DynamoDbSpecStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly pageSize: number | undefined;

  constructor(options: DynamoDbSpecStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? new DynamoDBClient(awsClientConfig());
    this.pageSize = options.pageSize;
  }

  /** Every configured domain, in the index's order (by domain), every page read. */
  async listDomains(): Promise<string[]> {
    return listKind(this.client, this.tableName, STATE_TABLE.kinds.spec, this.pageSize);
  }

  /**
   * The domain's SPEC and STATE items in ONE strongly consistent call: a Query on the domain's partition
   * with `begins_with(sk, 'S')` (both `SPEC` and `STATE` start with S, the `EVENT#…` items do not). A
   * Query, not BatchGetItem: one request with no `UnprocessedKeys` to retry, and the same single-partition
   * read as two GetItems — so the worker's steady state costs one DynamoDB call, not two. `spec` is checked
   * like {@link getSpec}'s; `state` is what {@link DynamoDbStateStore.load} would return at this instant
   * (hand it to the reconciler's first load: {@link preloadedStateStore}; its save still compares and swaps).
   */
  async loadDomain(domain: string): Promise<{ spec: DomainSpec | undefined; state: DomainState | undefined }> {
    let items: Record<string, AttributeValue>[];
    try {
      const output = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :s)',
          ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey, '#sk': STATE_TABLE.sortKey },
          ExpressionAttributeValues: { ':pk': { S: domainPartitionKey(domain) }, ':s': { S: 'S' } },
          ConsistentRead: true,
        }),
      );
      items = output.Items ?? [];
    } catch (error) {
      throw mapAwsError(error, {
        service: SERVICE,
        action: 'Query',
        resource: `table ${this.tableName} items ${domainPartitionKey(domain)} SPEC and STATE`,
      });
    }
    const bySortKey = (sk: string) => items.find((item) => item[STATE_TABLE.sortKey]?.S === sk);
    const specItem = bySortKey(STATE_TABLE.specSortKey);
    const stateItem = bySortKey(STATE_TABLE.stateSortKey);
    return {
      spec: specItem === undefined ? undefined : parseSpecItem(domain, specItem),
      state: stateItem === undefined ? undefined : parseStateItem(domain, stateItem),
    };
  }

  /** The domain's spec, checked with the same rules as at synth time; undefined when no SPEC item exists. */
  async getSpec(domain: string): Promise<DomainSpec | undefined> {
    let item: Record<string, AttributeValue> | undefined;
    try {
      const key = {
        [STATE_TABLE.partitionKey]: { S: domainPartitionKey(domain) },
        [STATE_TABLE.sortKey]: { S: STATE_TABLE.specSortKey },
      };
      item = (await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key }))).Item;
    } catch (error) {
      throw mapAwsError(error, {
        service: SERVICE,
        action: 'GetItem',
        resource: `table ${this.tableName} item ${domainPartitionKey(domain)} SPEC`,
      });
    }
    return item === undefined ? undefined : parseSpecItem(domain, item);
  }
}

/**
 * A state store whose first `load` of `domain` returns `preloaded` (read by
 * {@link DynamoDbSpecStore.loadDomain} in the same call as the spec) instead of reading the item again;
 * every later load, and every save, goes to `store`. The compare-and-swap is unchanged: a save names the
 * version that was read, so a writer that moved in between still makes it fail with `ConflictError`.
 */
export function preloadedStateStore(store: StateStore, domain: string, preloaded: DomainState | undefined): StateStore {
  let used = false;
  return {
    load: async (name) => {
      if (!used && name === domain) {
        used = true;
        return preloaded;
      }
      return store.load(name);
    },
    save: (state, expectedVersion, events) => store.save(state, expectedVersion, events),
  };
}

/** A SPEC item's `spec` map, checked: its shape first (what the rules cannot read), then every domain rule. */
export function parseSpecItem(domain: string, item: Record<string, AttributeValue>): DomainSpec {
  const format = item[A.specFormat]?.N;
  if (format !== String(STATE_TABLE.specFormat)) {
    throw new SpecItemError(
      domain,
      A.specFormat,
      `must be ${STATE_TABLE.specFormat} (this worker's format); given ${formatValue(format)}`,
    );
  }
  const map = item[A.spec]?.M;
  if (map === undefined) throw new SpecItemError(domain, A.spec, 'must be a map (the domain spec)');
  const input = unmarshall(map) as Record<string, unknown>;
  const shape: [string, unknown, string][] = [
    ['domain', input.domain, 'string'],
    ['selectorPrefix', input.selectorPrefix, 'string'],
    ['dns', input.dns, 'object'],
  ];
  for (const [field, value, type] of shape) {
    if (typeof value !== type || value === null || Array.isArray(value)) {
      throw new SpecItemError(
        domain,
        field,
        `must be ${type === 'object' ? 'a map' : 'a string'}; given ${formatValue(value)}`,
      );
    }
  }
  if (input.domain !== domain) {
    throw new SpecItemError(
      domain,
      'domain',
      `must be the item's domain ${domain}; given ${formatValue(input.domain)}`,
    );
  }
  if (
    input.rotation !== undefined &&
    (typeof input.rotation !== 'object' || input.rotation === null || Array.isArray(input.rotation))
  ) {
    throw new SpecItemError(domain, 'rotation', `must be a map; given ${formatValue(input.rotation)}`);
  }
  const dns = input.dns as Record<string, unknown>;
  if (dns.kind !== 'route53' && dns.contacts !== undefined && !Array.isArray(dns.contacts)) {
    throw new SpecItemError(domain, 'dns.contacts', `must be a list; given ${formatValue(dns.contacts)}`);
  }
  const { spec, violations } = checkDomainSpec(input as unknown as DomainSpecInput, {
    selectorPrefix: input.selectorPrefix as string,
  });
  const first = violations[0];
  if (first !== undefined) {
    throw new SpecItemError(domain, formatPath(first.path), `${first.rule}; given ${formatValue(first.value)}`);
  }
  return spec;
}

/** BatchWriteItem takes at most 25 requests. */
export const MAX_BATCH_WRITE_ITEMS = 25;
/** Further BatchWriteItem calls for items DynamoDB left unprocessed (throttling), before giving up. */
const HEARTBEAT_RETRIES = 2;

/** One domain's finished key-manager run, for {@link writeHeartbeats}. */
export interface HeartbeatEntry {
  readonly domain: string;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly outcome: HeartbeatOutcome;
}

/**
 * Writes the key manager's HEARTBEAT items (`DOMAIN#<domain>` / `HEARTBEAT`: `lastRunAt`, `outcome`), one
 * BatchWriteItem per 25 domains — the worker calls it once per SQS batch, so a heartbeat costs at most 0.2
 * calls per domain-run (0.04 with full batches of 25, 0.2 with the queue's batches of 5). A domain named
 * twice keeps its latest run (BatchWriteItem refuses two requests for one key). Items DynamoDB leaves
 * unprocessed are sent again up to twice; what is still left is returned (the caller logs it: a missed
 * heartbeat is the monitor's concern, never a reason to fail the batch).
 */
export async function writeHeartbeats(
  client: DynamoDBClient,
  tableName: string,
  entries: readonly HeartbeatEntry[],
): Promise<{ readonly written: number; readonly calls: number; readonly unprocessed: readonly string[] }> {
  const latest = new Map<string, HeartbeatEntry>();
  for (const entry of entries) {
    const known = latest.get(entry.domain);
    if (known === undefined || known.at <= entry.at) latest.set(entry.domain, entry);
  }
  const all = [...latest.values()];
  let calls = 0;
  const unprocessed: string[] = [];
  for (let i = 0; i < all.length; i += MAX_BATCH_WRITE_ITEMS) {
    let requests = all.slice(i, i + MAX_BATCH_WRITE_ITEMS).map((entry) => ({
      PutRequest: { Item: heartbeatItem(entry.domain, new Date(entry.at).toISOString(), entry.outcome) },
    }));
    for (let attempt = 0; requests.length > 0 && attempt <= HEARTBEAT_RETRIES; attempt += 1) {
      calls += 1;
      let output;
      try {
        output = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      } catch (error) {
        throw mapAwsError(error, {
          service: SERVICE,
          action: 'BatchWriteItem',
          resource: `table ${tableName} HEARTBEAT items of ${requests.length} domains`,
        });
      }
      requests = (output.UnprocessedItems?.[tableName] ?? []).flatMap((r) =>
        r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item as ReturnType<typeof heartbeatItem> } }] : [],
      );
    }
    unprocessed.push(...requests.map((r) => r.PutRequest.Item[A.domain]!.S));
  }
  return { written: all.length - unprocessed.length, calls, unprocessed };
}
