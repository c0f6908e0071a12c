import {
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DynamoDbSpecStore,
  DynamoDbStateStore,
  SpecItemError,
  preloadedStateStore,
} from '../../../functions/adapters/dynamodb';
import { STATE_TABLE, domainPartitionKey, eventSortKey, specItem } from '../../../functions/core/contract';
import { ConflictError, ServiceError, ValidationError } from '../../../functions/core/errors';
import { resolveDomainSpec, type DomainSpec } from '../../../functions/core/spec';
import type { LifecycleEvent } from '../../../functions/lifecycle/ports';
import { initialState, type DomainState } from '../../../functions/lifecycle/state';
import { createStateTable } from '../../support/state-table';
import { startMoto, type Moto } from '../../support/moto';

const TABLE = 'byodkim-dev-state';
const T0 = Date.UTC(2026, 11, 1);
const DAY_S = 86_400;

function state(domain: string, version: number, patch: Partial<DomainState> = {}): DomainState {
  return {
    ...initialState(domain, T0),
    version,
    updatedAt: T0 + version * 1000,
    keys: [
      {
        keyId: 'byodkim-dev-20261201-1',
        selector: 'byodkim-dev-20261201-1',
        state: 'dns-requested',
        reason: 'first-activation',
        publicKey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA',
        createdAt: T0,
        dnsRequestedAt: T0 + 1000,
      },
    ],
    notified: { 'overdue:byodkim-dev-20261201-1': T0 },
    ...patch,
  };
}

function event(domain: string, version: number, message: string): LifecycleEvent {
  return { at: T0 + version * 1000, domain, version, policy: 'publishRecord', message, actions: ['route53-upsert'] };
}

function spec(domain: string, patch: Partial<DomainSpec> = {}): DomainSpec {
  return {
    ...resolveDomainSpec(
      { domain, dns: { kind: 'external', contacts: ['dns-team@example.net'] } },
      { selectorPrefix: 'byodkim-dev' },
    ),
    ...patch,
  };
}

async function items(client: DynamoDBClient, domain: string): Promise<Record<string, unknown>[]> {
  const out = await client.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey },
      ExpressionAttributeValues: { ':pk': { S: domainPartitionKey(domain) } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((item) => unmarshall(item));
}

/** Writes a SPEC item as Terraform does (specItem's JSON through the SDK), `patch` over it. */
async function putSpec(
  client: DynamoDBClient,
  wanted: DomainSpec,
  patch: Record<string, AttributeValue> = {},
): Promise<void> {
  const item = JSON.parse(JSON.stringify(specItem(wanted))) as Record<string, AttributeValue>;
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...item, ...patch } }));
}

/** Counts the commands a client sends, by name. */
function countCommands(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

describe('DynamoDbStateStore and DynamoDbSpecStore against moto', () => {
  let moto: Moto;
  let client: DynamoDBClient;
  let store: DynamoDbStateStore;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    client = new DynamoDBClient({ ...moto.clientConfig, maxAttempts: 1 });
    await createStateTable(client, TABLE);
    store = new DynamoDbStateStore({ tableName: TABLE, client });
  });
  afterEach(() => client.destroy());

  it('round-trips a state: nothing before the first save, then each version as written', async () => {
    expect(await store.load('example.com')).toBeUndefined();
    await store.save(state('example.com', 1), 0);
    expect(await store.load('example.com')).toEqual(state('example.com', 1));
    const next = state('example.com', 2, { rotationRequestedAt: T0 + 5, keys: [] });
    await store.save(next, 1);
    expect(await store.load('example.com')).toEqual(next);
    const [stored] = await items(client, 'example.com');
    expect(stored).toMatchObject({
      pk: 'DOMAIN#example.com',
      sk: 'STATE',
      kind: 'STATE',
      domain: 'example.com',
      version: 2,
      updatedAt: next.updatedAt,
    });
    expect(JSON.parse(stored!.state as string)).toEqual(next);
  });

  it('a second writer loses the compare-and-swap: ConflictError, and nothing of it is written', async () => {
    await store.save(state('example.com', 1), 0);
    const other = new DynamoDbStateStore({ tableName: TABLE, client });
    const [a, b] = [await store.load('example.com'), await other.load('example.com')];
    expect(a!.version).toBe(1);
    expect(b!.version).toBe(1);

    await store.save(state('example.com', 2, { rotations: 1 }), 1, [event('example.com', 2, 'writer A')]);
    const lost = other.save(state('example.com', 2, { rotations: 99 }), 1, [event('example.com', 2, 'writer B')]);
    await expect(lost).rejects.toThrow(ConflictError);
    await expect(lost).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      expectedVersion: 1,
      message: expect.stringContaining('is at version 2'),
    });

    expect((await store.load('example.com'))!.rotations).toBe(1);
    const events = (await items(client, 'example.com')).filter((i) => String(i.sk).startsWith('EVENT#'));
    expect(events.map((e) => e.message)).toEqual(['writer A']);
  });

  it('a first write loses to an existing item, and a write without events (PutItem) loses the same way', async () => {
    await store.save(state('example.com', 1), 0);
    await expect(store.save(state('example.com', 1, { rotations: 7 }), 0)).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringContaining('is at version 1, not version 0'),
    });
    await expect(
      store.save(state('example.com', 1, { rotations: 7 }), 0, [event('example.com', 1, 'late')]),
    ).rejects.toThrow(ConflictError);
    await store.save(state('example.com', 2), 1);
    await expect(store.save(state('example.com', 2, { rotations: 7 }), 1)).rejects.toThrow(ConflictError);
    expect((await store.load('example.com'))!.rotations).toBe(0);
    expect((await items(client, 'example.com')).map((i) => i.sk)).toEqual(['STATE']);
  });

  it('writes the events in the same transaction, keyed by version, expiring after the TTL', async () => {
    const counts = countCommands(client);
    const ttl = new DynamoDbStateStore({ tableName: TABLE, client, eventTtlDays: 30 });
    await ttl.save(state('example.com', 1), 0, [event('example.com', 1, 'adopted')]);
    await ttl.save(state('example.com', 2), 1, [
      event('example.com', 2, 'first of two'),
      { ...event('example.com', 2, 'second of two'), actions: [] },
    ]);
    expect(counts.get('TransactWriteItemsCommand')).toBe(2);
    expect(counts.get('PutItemCommand')).toBeUndefined();

    const all = await items(client, 'example.com');
    expect(all.map((i) => i.sk)).toEqual(['EVENT#000000000001', 'EVENT#000000000002', 'EVENT#000000000002#1', 'STATE']);
    expect(all[0]).toEqual({
      pk: 'DOMAIN#example.com',
      sk: eventSortKey(1),
      at: T0 + 1000,
      domain: 'example.com',
      version: 1,
      policy: 'publishRecord',
      message: 'adopted',
      actions: ['route53-upsert'],
      expiresAt: Math.floor((T0 + 1000) / 1000) + 30 * DAY_S,
    });
    expect(all[2]).toMatchObject({ message: 'second of two', actions: [] });

    await store.save(state('example.com', 3), 2, [event('example.com', 3, 'default ttl')]);
    const [latest] = (await items(client, 'example.com')).filter((i) => i.sk === 'EVENT#000000000003');
    expect(latest!.expiresAt).toBe(Math.floor((T0 + 3000) / 1000) + STATE_TABLE.eventTtlDays * DAY_S);
  });

  it('refuses a version that is not expectedVersion + 1, or an event of another version, before calling DynamoDB', async () => {
    const counts = countCommands(client);
    await expect(store.save(state('example.com', 3), 1)).rejects.toMatchObject({
      name: 'ValidationError',
      code: 'INVALID_STATE_VERSION',
    });
    await expect(store.save(state('example.com', 1), 0, [event('example.com', 7, 'stale')])).rejects.toMatchObject({
      code: 'INVALID_EVENT',
      field: 'events[0]',
    });
    expect(counts.size).toBe(0);
  });

  it('maps a missing table to a ServiceError naming the action and the table', async () => {
    const missing = new DynamoDbStateStore({ tableName: 'no-such-table', client });
    const failure = missing.load('example.com');
    await expect(failure).rejects.toThrow(ServiceError);
    await expect(failure).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/GetItem on table no-such-table/),
    });
  });

  it('reads back the SPEC item specItem builds (the item Terraform writes), checked by the domain rules', async () => {
    const wanted = spec('example.com', {
      rotation: { intervalDays: 90, renewBeforeDays: 30, graceDays: 7, activation: 'manual' },
    });
    const item = specItem(wanted);
    expect(item).toMatchObject({
      pk: { S: 'DOMAIN#example.com' },
      sk: { S: 'SPEC' },
      kind: { S: 'SPEC' },
      domain: { S: 'example.com' },
      specFormat: { N: '1' },
    });
    expect((item.spec as { M: Record<string, unknown> }).M.rotation).toEqual({
      M: {
        intervalDays: { N: '90' },
        renewBeforeDays: { N: '30' },
        graceDays: { N: '7' },
        activation: { S: 'manual' },
      },
    });
    // Terraform's aws_dynamodb_table_item takes the item as JSON text: the same JSON goes through the SDK here.
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: JSON.parse(JSON.stringify(item)) as Record<string, AttributeValue>,
      }),
    );
    const specs = new DynamoDbSpecStore({ tableName: TABLE, client });
    expect(await specs.getSpec('example.com')).toEqual(wanted);
    expect(await specs.getSpec('other.example')).toBeUndefined();
  });

  it('loadDomain reads the SPEC and STATE items in one consistent Query, never the events', async () => {
    const wanted = spec('example.com');
    await putSpec(client, wanted);
    await putSpec(client, spec('other.example'));
    await store.save(state('example.com', 1), 0, [event('example.com', 1, 'first')]);
    await store.save(state('example.com', 2), 1, [event('example.com', 2, 'second')]);
    const specs = new DynamoDbSpecStore({ tableName: TABLE, client });
    const counts = countCommands(client);

    expect(await specs.loadDomain('example.com')).toEqual({ spec: wanted, state: state('example.com', 2) });
    expect(await specs.loadDomain('other.example')).toEqual({ spec: spec('other.example'), state: undefined });
    expect(await specs.loadDomain('gone.example')).toEqual({ spec: undefined, state: undefined });
    expect([...counts]).toEqual([['QueryCommand', 3]]);
  });

  it('loadDomain: a broken SPEC item is a SpecItemError; a missing table a ServiceError naming Query', async () => {
    await putSpec(client, spec('example.com'), { specFormat: { N: '9' } });
    const specs = new DynamoDbSpecStore({ tableName: TABLE, client });
    await expect(specs.loadDomain('example.com')).rejects.toBeInstanceOf(SpecItemError);
    const missing = new DynamoDbSpecStore({ tableName: 'no-such-table', client });
    await expect(missing.loadDomain('example.com')).rejects.toThrow(/Query on table no-such-table/);
  });

  it('a preloaded state answers the first load only; a save still compares and swaps with the store', async () => {
    await store.save(state('example.com', 1), 0);
    const { state: preloaded } = await new DynamoDbSpecStore({ tableName: TABLE, client }).loadDomain('example.com');
    const counts = countCommands(client);
    const wrapped = preloadedStateStore(store, 'example.com', preloaded);

    expect(await wrapped.load('example.com')).toEqual(state('example.com', 1));
    expect(counts.size).toBe(0);
    // Another writer moves between the read and the save: the preloaded version loses.
    await store.save(state('example.com', 2), 1);
    await expect(wrapped.save(state('example.com', 2, { notified: {} }), 1)).rejects.toBeInstanceOf(ConflictError);
    // Later loads read the table.
    expect(await wrapped.load('example.com')).toEqual(state('example.com', 2));
    expect(counts.get('GetItemCommand')).toBe(1);
  });

  it('a broken SPEC item is a SpecItemError naming the domain and the field', async () => {
    const specs = new DynamoDbSpecStore({ tableName: TABLE, client });
    const put = async (item: Record<string, unknown>) =>
      client.send(new PutItemCommand({ TableName: TABLE, Item: item as Record<string, AttributeValue> }));

    const tooLong = specItem(spec('example.com')) as Record<string, { M?: Record<string, unknown> }>;
    const rotation = tooLong.spec!.M!.rotation as { M: Record<string, unknown> };
    rotation.M.intervalDays = { N: '9999' };
    await put(tooLong);
    const broken = specs.getSpec('example.com');
    await expect(broken).rejects.toThrow(SpecItemError);
    await expect(broken).rejects.toBeInstanceOf(ValidationError);
    await expect(broken).rejects.toMatchObject({
      domain: 'example.com',
      field: 'rotation.intervalDays',
      message: expect.stringMatching(
        /^the spec of example\.com in the state table is broken: rotation\.intervalDays .*given 9999$/,
      ),
    });

    const noDns = specItem(spec('b.example')) as Record<string, { M?: Record<string, unknown> }>;
    noDns.spec!.M!.dns = { S: 'route53' };
    await put(noDns);
    await expect(specs.getSpec('b.example')).rejects.toMatchObject({ domain: 'b.example', field: 'dns' });

    await put({ ...specItem(spec('c.example')), specFormat: { N: '2' } });
    await expect(specs.getSpec('c.example')).rejects.toMatchObject({ domain: 'c.example', field: 'specFormat' });

    const elsewhere = { ...specItem(spec('d.example')), pk: { S: domainPartitionKey('e.example') } };
    await put(elsewhere);
    await expect(specs.getSpec('e.example')).rejects.toMatchObject({ domain: 'e.example', field: 'domain' });
  });

  it('lists every configured domain over several pages, and the recorded ones apart (orphans)', async () => {
    const domains = Array.from({ length: 25 }, (_, i) => `d${String(i).padStart(2, '0')}.example`);
    for (const domain of domains) {
      await client.send(
        new PutItemCommand({ TableName: TABLE, Item: specItem(spec(domain)) as Record<string, AttributeValue> }),
      );
    }
    // Recorded state and events are not specs; one recorded domain is no longer configured.
    await store.save(state('d00.example', 1), 0, [event('d00.example', 1, 'adopted')]);
    await store.save(state('removed.example', 1), 0, [event('removed.example', 1, 'adopted')]);

    const counts = countCommands(client);
    const specs = new DynamoDbSpecStore({ tableName: TABLE, client, pageSize: 10 });
    expect(await specs.listDomains()).toEqual(domains);
    expect(counts.get('QueryCommand')).toBeGreaterThanOrEqual(3);
    expect(await store.listDomains(1)).toEqual(['d00.example', 'removed.example']);

    const configured = new Set(await specs.listDomains());
    expect((await store.listDomains()).filter((d) => !configured.has(d))).toEqual(['removed.example']);
  });

  it('deleting the table under a running store surfaces as a ServiceError, not a crash', async () => {
    await client.send(new DeleteTableCommand({ TableName: TABLE }));
    await expect(store.save(state('example.com', 1), 0, [event('example.com', 1, 'x')])).rejects.toThrow(ServiceError);
    const get = await client
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }))
      .catch((e: Error) => e.name);
    expect(get).toBe('ResourceNotFoundException');
  });
});
