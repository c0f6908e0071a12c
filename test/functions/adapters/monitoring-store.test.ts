/**
 * The monitor's read-only table adapter and the key manager's heartbeat writer, against moto (the real
 * DynamoDB API: BatchWriteItem, the BETWEEN key condition, pagination), and with aws-sdk-client-mock for
 * what moto never does (items left unprocessed by a throttled BatchWriteItem).
 */
import { mockClient } from 'aws-sdk-client-mock';
import { BatchWriteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDbStateStore,
  MAX_BATCH_WRITE_ITEMS,
  writeHeartbeats,
  type HeartbeatEntry,
} from '../../../functions/adapters/dynamodb';
import { DynamoDbMonitorReader } from '../../../functions/adapters/monitoring-store';
import { STATE_TABLE, heartbeatItem, specItem } from '../../../functions/core/contract';
import type { DomainSpec } from '../../../functions/core/spec';
import type { DomainState } from '../../../functions/lifecycle/state';
import { startMoto, type Moto } from '../../support/moto';
import { createStateTable } from '../../support/state-table';

const TABLE = 'byodkim-dev-dkim-state';
const T0 = Date.UTC(2026, 10, 1);

const spec = (domain: string): DomainSpec => ({
  domain,
  selectorPrefix: 'mail',
  keyBits: 2048,
  dns: { kind: 'route53', hostedZoneId: 'Z0EXAMPLE' },
  rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
});
const state = (domain: string): DomainState => ({
  domain,
  version: 1,
  createdAt: T0,
  updatedAt: T0,
  keys: [],
  notified: {},
  rotations: 0,
});

describe('the monitor’s table reads and the heartbeat writes, on moto', () => {
  let moto: Moto;
  let client: DynamoDBClient;

  beforeAll(async () => {
    moto = await startMoto();
    client = new DynamoDBClient(moto.clientConfig);
    await createStateTable(client, TABLE);
    const store = new DynamoDbStateStore({ tableName: TABLE, client });
    for (const domain of ['a.example', 'b.example', 'c.example']) {
      await client.send(
        new PutItemCommand({ TableName: TABLE, Item: JSON.parse(JSON.stringify(specItem(spec(domain)))) }),
      );
    }
    await store.save(state('a.example'), 0, [
      { at: T0 - 1, domain: 'a.example', version: 1, policy: 'before', message: 'October', actions: [] },
      { at: T0 + 5, domain: 'a.example', version: 1, policy: 'repairDrift', message: 'November', actions: ['x'] },
    ]);
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('writes 30 heartbeats in 2 BatchWriteItem calls, the latest run of a domain named twice', async () => {
    const entries: HeartbeatEntry[] = Array.from({ length: 30 }, (_, i) => ({
      domain: `h${i}.example`,
      at: T0 + i,
      outcome: 'done' as const,
    }));
    entries.push(
      { domain: 'a.example', at: T0 + 100, outcome: 'failed' },
      { domain: 'a.example', at: T0 + 50, outcome: 'done' },
    );
    const result = await writeHeartbeats(client, TABLE, entries);
    expect(result).toEqual({ written: 31, calls: 2, unprocessed: [] });
    expect(MAX_BATCH_WRITE_ITEMS).toBe(25);
    const reader = new DynamoDbMonitorReader({ tableName: TABLE, client });
    expect((await reader.readDomain('a.example')).heartbeat).toEqual({ lastRunAt: T0 + 100, outcome: 'failed' });
  });

  it('reads SPEC, STATE and HEARTBEAT in one Query (not the events), and the events of a time range', async () => {
    const reader = new DynamoDbMonitorReader({ tableName: TABLE, client });
    const a = await reader.readDomain('a.example');
    expect(a.spec).toEqual(spec('a.example'));
    expect(a.state).toEqual(state('a.example'));
    expect(await reader.readDomain('b.example')).toEqual({
      spec: spec('b.example'),
      state: undefined,
      heartbeat: undefined,
    });
    expect(await reader.events('a.example', T0, T0 + 1000)).toEqual([
      { at: T0 + 5, policy: 'repairDrift', message: 'November', actions: ['x'] },
    ]);
  });

  it('lists the configured domains through every page of the index', async () => {
    const reader = new DynamoDbMonitorReader({ tableName: TABLE, client, pageSize: 2 });
    expect((await reader.listDomains()).sort()).toEqual(['a.example', 'b.example', 'c.example']);
  });

  it('refuses a heartbeat item whose time is not a time, naming the item', async () => {
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...heartbeatItem('c.example', 'yesterday', 'done') } }),
    );
    const reader = new DynamoDbMonitorReader({ tableName: TABLE, client });
    await expect(reader.readDomain('c.example')).rejects.toMatchObject({
      code: 'HEARTBEAT_ITEM_INVALID',
      message: expect.stringContaining(`DOMAIN#c.example / ${STATE_TABLE.heartbeatSortKey}`),
    });
  });
});

describe('writeHeartbeats when DynamoDB leaves items unprocessed', () => {
  it('sends them again twice, then returns the domains still left', async () => {
    const client = new DynamoDBClient({
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const mock = mockClient(client);
    const left = { PutRequest: { Item: heartbeatItem('b.example', new Date(T0).toISOString(), 'done') } };
    mock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: { [TABLE]: [left] } });
    const result = await writeHeartbeats(client, TABLE, [
      { domain: 'a.example', at: T0, outcome: 'done' },
      { domain: 'b.example', at: T0, outcome: 'done' },
    ]);
    expect(result).toEqual({ written: 1, calls: 3, unprocessed: ['b.example'] });
    expect(mock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems![TABLE]!.length)).toEqual([
      2, 1, 1,
    ]);
  });
});
