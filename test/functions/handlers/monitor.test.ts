/**
 * The monitor Lambda over a real world: the state table in moto (SPEC, STATE and HEARTBEAT items written
 * by the real adapters), SES from moto where it models the condition (an identity back on Easy DKIM) and
 * from aws-sdk-client-mock where it cannot (EXTERNAL, SUCCESS or FAILED with Tokens), and the records on
 * loopback DNS servers (an authoritative one and a resolver). One domain per unhealthy condition; each
 * test checks the EMF metric the monitor wrote, the finding, and the alert it published.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateEmailIdentityCommand,
  GetEmailIdentityCommand,
  SESv2Client,
  type GetEmailIdentityCommandOutput,
} from '@aws-sdk/client-sesv2';
import { DynamoDbStateStore, writeHeartbeats } from '../../../functions/adapters/dynamodb';
import { NetworkDnsObserver } from '../../../functions/adapters/dns-observer';
import { DynamoDbMonitorReader } from '../../../functions/adapters/monitoring-store';
import { PowertoolsMetrics } from '../../../functions/adapters/powertools';
import { SesV2IdentityDkim } from '../../../functions/adapters/ses';
import { LAMBDA_ENV, specItem } from '../../../functions/core/contract';
import type { DomainSpec } from '../../../functions/core/spec';
import { DAY_MS, HOUR_MS } from '../../../functions/core/time';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import type { DomainState, KeyRecord } from '../../../functions/lifecycle/state';
import { monitor, parseMonitorEvent, runMonitor, type MonitorAnswer } from '../../../functions/handlers/monitor';
import { createMonitorRuntime, type MonitorRuntime } from '../../../functions/handlers/monitoring-runtime';
import { MemoryLogger } from '../../../functions/memory/services';
import { startMoto, type Moto } from '../../support/moto';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../../support/dns-test-server';
import { createStateTable } from '../../support/state-table';
import { testPairs } from '../lifecycle/helpers';

/** 2026-12-02 09:30 in Tokyo: the hour at which WARNING-only runs alert too. */
const NOW = Date.UTC(2026, 11, 2, 0, 30);
const TABLE = 'byodkim-dev-dkim-state';
const SELECTOR = 'mail-dev-20261122-1';
const OLD_SELECTOR = 'mail-dev-20260525-1';
const [current, previous] = testPairs(2).map((pair) => pair.publicKey) as [string, string];
const VALUE = formatRecordValue(current);

const D = {
  healthy: 'healthy.example',
  sesFailed: 'ses-failed.example',
  easyDkim: 'easy-dkim.example',
  missing: 'missing.example',
  truncated: 'truncated.example',
  oldKey: 'old-key.example',
  overdue: 'key-overdue.example',
  request: 'request-overdue.example',
  silent: 'silent.example',
} as const;

function spec(domain: string, external = false): DomainSpec {
  return {
    domain,
    selectorPrefix: 'mail-dev',
    keyBits: 2048,
    dns: external
      ? { kind: 'external', contacts: ['dns@example.jp'], locale: 'ja', leadTimeDays: 14 }
      : { kind: 'route53', hostedZoneId: 'Z0EXAMPLE' },
    rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
  };
}

function activeKey(activatedDaysAgo: number): KeyRecord {
  const activatedAt = NOW - activatedDaysAgo * DAY_MS;
  return {
    keyId: SELECTOR,
    selector: SELECTOR,
    state: 'active',
    reason: 'scheduled',
    publicKey: current,
    createdAt: activatedAt - 2 * DAY_MS,
    dnsRequestedAt: activatedAt - 2 * DAY_MS,
    dnsVerifiedAt: activatedAt - DAY_MS,
    activatedAt,
  };
}

function state(domain: string, keys: readonly KeyRecord[]): DomainState {
  return {
    domain,
    version: 1,
    createdAt: NOW - 400 * DAY_MS,
    updatedAt: NOW - 3 * DAY_MS,
    keys,
    notified: {},
    rotations: 2,
  };
}

const oldKey: KeyRecord = {
  keyId: OLD_SELECTOR,
  selector: OLD_SELECTOR,
  state: 'retiring',
  reason: 'scheduled',
  publicKey: previous,
  createdAt: NOW - 200 * DAY_MS,
  activatedAt: NOW - 190 * DAY_MS,
  retiredAt: NOW - 10 * DAY_MS,
};

const requested: KeyRecord = {
  keyId: 'mail-dev-20261112-1',
  selector: 'mail-dev-20261112-1',
  state: 'dns-requested',
  reason: 'scheduled',
  publicKey: previous,
  createdAt: NOW - 20 * DAY_MS,
  dnsRequestedAt: NOW - 20 * DAY_MS,
  dnsRequest: {
    id: 'REQ-20261112-A1',
    sentAt: NOW - 20 * DAY_MS,
    deliveredAt: NOW - 20 * DAY_MS,
    deadline: NOW - 6 * DAY_MS,
    reminders: 2,
    escalations: 1,
  },
};

/** What each domain's world holds: spec, state, heartbeat age, SES answer, the published record. */
const WORLD: Record<
  string,
  {
    spec: DomainSpec;
    state: DomainState;
    heartbeatAgoMs: number;
    ses: 'moto' | GetEmailIdentityCommandOutput['DkimAttributes'];
    txt?: string[][];
  }
> = {};

const external = (status: 'SUCCESS' | 'FAILED' = 'SUCCESS') => ({
  SigningAttributesOrigin: 'EXTERNAL' as const,
  SigningEnabled: true,
  Status: status,
  Tokens: [SELECTOR],
});
const exact = [splitIntoStrings(VALUE)];

WORLD[D.healthy] = {
  spec: spec(D.healthy),
  state: state(D.healthy, [oldKey, activeKey(10)]),
  heartbeatAgoMs: HOUR_MS,
  ses: external(),
  txt: exact,
};
WORLD[D.sesFailed] = {
  spec: spec(D.sesFailed),
  state: state(D.sesFailed, [activeKey(10)]),
  heartbeatAgoMs: HOUR_MS,
  ses: external('FAILED'),
  txt: exact,
};
WORLD[D.easyDkim] = {
  spec: spec(D.easyDkim),
  state: state(D.easyDkim, [activeKey(10)]),
  heartbeatAgoMs: HOUR_MS,
  ses: 'moto',
  txt: exact,
};
WORLD[D.missing] = {
  spec: spec(D.missing),
  state: state(D.missing, [activeKey(10)]),
  heartbeatAgoMs: HOUR_MS,
  ses: external(),
};
WORLD[D.truncated] = {
  spec: spec(D.truncated),
  state: state(D.truncated, [activeKey(10)]),
  heartbeatAgoMs: HOUR_MS,
  ses: external(),
  txt: [[VALUE.slice(0, 255)]],
};
WORLD[D.oldKey] = {
  spec: spec(D.oldKey),
  state: state(D.oldKey, [oldKey, activeKey(10)]),
  heartbeatAgoMs: HOUR_MS,
  ses: external(),
  txt: [splitIntoStrings(formatRecordValue(previous))],
};
WORLD[D.overdue] = {
  spec: spec(D.overdue),
  state: state(D.overdue, [activeKey(200)]),
  heartbeatAgoMs: HOUR_MS,
  ses: external(),
  txt: exact,
};
WORLD[D.request] = {
  spec: spec(D.request, true),
  state: state(D.request, [activeKey(160), requested]),
  heartbeatAgoMs: HOUR_MS,
  ses: external(),
  txt: exact,
};
WORLD[D.silent] = {
  spec: spec(D.silent),
  state: state(D.silent, [activeKey(10)]),
  heartbeatAgoMs: 20 * HOUR_MS,
  ses: external(),
  txt: exact,
};

let moto: Moto;
let dynamodb: DynamoDBClient;
let motoSes: SesV2IdentityDkim;
let mockedSes: SesV2IdentityDkim;
let authoritative: TestDnsServer;
let resolver: TestDnsServer;
let observer: NetworkDnsObserver;
const sesClient = new SESv2Client({
  region: 'ap-northeast-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const sesMock = mockClient(sesClient);

beforeAll(async () => {
  const records: Record<string, ZoneNode> = {};
  for (const [domain, world] of Object.entries(WORLD)) {
    if (world.txt) records[`${SELECTOR}._domainkey.${domain}`] = { TXT: world.txt };
  }
  [moto, authoritative, resolver] = await Promise.all([
    startMoto(),
    startTestDnsServer({ role: 'authoritative', zones: Object.keys(WORLD), records }),
    startTestDnsServer({ role: 'recursive', records }),
  ]);
  observer = new NetworkDnsObserver({
    authoritative: [authoritative.address],
    resolvers: [resolver.address],
    timeoutMs: 500,
    retries: 0,
  });
  dynamodb = new DynamoDBClient(moto.clientConfig);
  const sesOnMoto = new SESv2Client(moto.clientConfig);
  motoSes = new SesV2IdentityDkim({ client: sesOnMoto });
  mockedSes = new SesV2IdentityDkim({ client: sesClient });
  await createStateTable(dynamodb, TABLE);
  const store = new DynamoDbStateStore({ tableName: TABLE, client: dynamodb });
  // Each domain's items and identity: the domains at the same time (moto answers in threads), one after the
  // other for one domain.
  await Promise.all(
    Object.entries(WORLD).map(async ([domain, world]) => {
      await dynamodb.send(
        new PutItemCommand({ TableName: TABLE, Item: JSON.parse(JSON.stringify(specItem(world.spec))) }),
      );
      await store.save(world.state, 0);
      if (world.ses === 'moto') await sesOnMoto.send(new CreateEmailIdentityCommand({ EmailIdentity: domain }));
    }),
  );
  await writeHeartbeats(
    dynamodb,
    TABLE,
    Object.entries(WORLD).map(([domain, world]) => ({
      domain,
      at: NOW - world.heartbeatAgoMs,
      outcome: 'done' as const,
    })),
  );
  sesMock.on(GetEmailIdentityCommand).callsFake((input: { EmailIdentity: string }) => {
    const ses = WORLD[input.EmailIdentity]?.ses;
    if (ses === undefined || ses === 'moto') throw Object.assign(new Error('not found'), { name: 'NotFoundException' });
    return { DkimAttributes: ses };
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([moto?.stop(), authoritative?.close(), resolver?.close()]);
  dynamodb?.destroy();
});

interface Emf {
  readonly _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  readonly [key: string]: unknown;
}

/** Everything written to stdout while `run` runs, as JSON lines. */
function captureStdout(run: () => void): Emf[] {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Emf);
}

interface Run {
  readonly answer: MonitorAnswer;
  /** Per-domain metrics, by domain then name. */
  readonly domain: Record<string, Record<string, number>>;
  /** Environment metrics, by name. */
  readonly environment: Record<string, number>;
  readonly published: { subject: string; message: string }[];
  readonly logger: MemoryLogger;
}

function runtimeFor(
  now: number,
  published: { subject: string; message: string }[],
  logger: MemoryLogger,
  metrics: PowertoolsMetrics,
): MonitorRuntime {
  return {
    environment: 'dev',
    locale: 'ja',
    timeZone: 'Asia/Tokyo',
    keyManagerSilentMs: 13 * HOUR_MS,
    reader: new DynamoDbMonitorReader({ tableName: TABLE, client: dynamodb }),
    ses: { getDkim: (domain) => (WORLD[domain]?.ses === 'moto' ? motoSes : mockedSes).getDkim(domain) },
    dns: observer,
    topic: {
      publish: async (subject, message) => {
        published.push({ subject, message });
        return 'message-id';
      },
    },
    logger,
    metrics,
    now: () => now,
    concurrency: 4,
  };
}

async function check(domains: readonly string[], now = NOW): Promise<Run> {
  const published: { subject: string; message: string }[] = [];
  const logger = new MemoryLogger();
  const metrics = new PowertoolsMetrics({ environment: 'dev', env: {} });
  const answer = await runMonitor(runtimeFor(now, published, logger, metrics), { domains });
  const lines = captureStdout(() => metrics.flush());
  const domain: Record<string, Record<string, number>> = {};
  const environment: Record<string, number> = {};
  for (const line of lines) {
    const definition = line._aws.CloudWatchMetrics[0]!;
    const target = typeof line.Domain === 'string' ? (domain[line.Domain] ??= {}) : environment;
    if (typeof line.Domain === 'string')
      expect(definition.Dimensions).toEqual([['Environment', 'Domain'], ['Environment']]);
    else expect(definition.Dimensions).toEqual([['Environment']]);
    for (const { Name } of definition.Metrics) target[Name] = line[Name] as number;
  }
  return { answer, domain, environment, published, logger };
}

const ZERO = {
  DomainsChecked: 1,
  DomainsUnhealthy: 0,
  RecordProblems: 0,
  SigningDrift: 0,
  KeysOverInterval: 0,
  KeysExpiringNoRotation: 0,
  DnsRequestsOverdue: 0,
  KeyManagerSilent: 0,
  MonitorRuns: 1,
};

describe('monitor: one run per condition, checked in the metrics, the finding and the alert', () => {
  it('a healthy domain: DkimHealthy 1, its key age, every count 0, no alert', async () => {
    const run = await check([D.healthy]);
    expect(run.domain[D.healthy]).toEqual({ DkimHealthy: 1, KeyAgeDays: 10 });
    expect(run.environment).toEqual(ZERO);
    expect(run.answer).toMatchObject({ status: 'ok', alert: 'none', problems: [] });
    expect(run.published).toEqual([]);
    const line = run.logger.lines.find((l) => l.event === 'monitor.domain')!;
    expect(line.fields).toMatchObject({
      domain: D.healthy,
      selector: SELECTOR,
      dkimHealthy: 1,
      record: 'ok',
      servers: [`authoritative:${authoritative.address}=match`, `resolver:${resolver.address}=match`],
      problems: 0,
    });
  });

  it('SES not SUCCESS (FAILED): DkimHealthy 0, DomainsUnhealthy 1, a CRITICAL alert', async () => {
    const run = await check([D.sesFailed]);
    expect(run.domain[D.sesFailed]).toMatchObject({ DkimHealthy: 0 });
    expect(run.environment).toEqual({ ...ZERO, DomainsUnhealthy: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.sesFailed, findings: ['CRITICAL SES_NOT_SUCCESS'] }]);
    expect(run.published).toHaveLength(1);
    expect(run.published[0]!.subject).toBe('[byodkim] CRITICAL dev: 1 domain unhealthy');
    expect(run.published[0]!.message).toContain(`【重大】${D.sesFailed}（セレクター ${SELECTOR}）`);
    expect(run.published[0]!.message).toContain('DKIM Status が FAILED です');
    expect(run.published[0]!.message).toContain('reports DKIM status FAILED');
  });

  it('drift to Easy DKIM (moto: the identity back on AWS_SES): SigningDrift 1, DomainsUnhealthy 1, CRITICAL', async () => {
    const run = await check([D.easyDkim]);
    expect(run.domain[D.easyDkim]).toMatchObject({ DkimHealthy: 0 });
    expect(run.environment).toEqual({ ...ZERO, DomainsUnhealthy: 1, SigningDrift: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.easyDkim, findings: ['CRITICAL SIGNING_DRIFT'] }]);
    expect(run.published[0]!.subject).toBe('[byodkim] CRITICAL dev: 1 domain unhealthy');
    expect(run.published[0]!.message).toContain('Easy DKIM（origin AWS_SES）で署名');
  });

  it('record missing (NXDOMAIN on the authoritative server and the resolver): RecordProblems 1, DkimHealthy 0', async () => {
    const run = await check([D.missing]);
    expect(run.domain[D.missing]).toMatchObject({ DkimHealthy: 0 });
    expect(run.environment).toEqual({ ...ZERO, RecordProblems: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.missing, findings: ['CRITICAL RECORD_MISSING'] }]);
    expect(run.published[0]!.message).toContain(`有効なレコード ${SELECTOR}._domainkey.${D.missing} がありません`);
  });

  it('record truncated (only the first 255-octet string published): RecordProblems 1, the lengths named', async () => {
    const run = await check([D.truncated]);
    expect(run.domain[D.truncated]).toMatchObject({ DkimHealthy: 0 });
    expect(run.environment).toEqual({ ...ZERO, RecordProblems: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.truncated, findings: ['CRITICAL RECORD_TRUNCATED'] }]);
    expect(run.published[0]!.message).toContain(`key-truncated, 255/${VALUE.length} octets`);
  });

  it('record with an old key (the retiring key’s record at the active selector): RecordProblems 1, the old selector named', async () => {
    const run = await check([D.oldKey]);
    expect(run.domain[D.oldKey]).toMatchObject({ DkimHealthy: 0 });
    expect(run.environment).toEqual({ ...ZERO, RecordProblems: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.oldKey, findings: ['CRITICAL RECORD_OLD_KEY'] }]);
    expect(run.published[0]!.message).toContain(`${OLD_SELECTOR} の鍵`);
    expect(run.published[0]!.message).toContain(`key of ${OLD_SELECTOR}`);
  });

  it('key overdue (200 days, interval 180): KeysOverInterval and KeysExpiringNoRotation 1, a WARNING alert at 09:xx JST', async () => {
    const run = await check([D.overdue]);
    expect(run.domain[D.overdue]).toEqual({ DkimHealthy: 1, KeyAgeDays: 200 });
    expect(run.environment).toEqual({ ...ZERO, KeysOverInterval: 1, KeysExpiringNoRotation: 1 });
    expect(run.answer.problems).toEqual([
      { domain: D.overdue, findings: ['WARNING KEY_OVER_INTERVAL', 'WARNING KEY_EXPIRING_NO_ROTATION'] },
    ]);
    expect(run.published[0]!.subject).toBe('[byodkim] WARNING dev: 1 domain need attention');
    expect(run.published[0]!.message).toContain(
      '使用開始から 200 日が経過し、ローテーション間隔（180 日）を超えています',
    );
  });

  it('a WARNING-only run outside the 09:00 hour is held (the alarms page; the digest comes at 09:00)', async () => {
    const run = await check([D.overdue], NOW + 2 * HOUR_MS);
    expect(run.answer.alert).toBe('held');
    expect(run.published).toEqual([]);
    expect(run.environment).toMatchObject({ KeysOverInterval: 1, MonitorRuns: 1 });
  });

  it('DNS request overdue (sent 20 days ago, deadline 6 days ago): DnsRequestsOverdue 1, the request id named', async () => {
    const run = await check([D.request]);
    expect(run.domain[D.request]).toEqual({ DkimHealthy: 1, KeyAgeDays: 160 });
    expect(run.environment).toEqual({ ...ZERO, DnsRequestsOverdue: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.request, findings: ['WARNING DNS_REQUEST_OVERDUE'] }]);
    expect(run.published[0]!.message).toContain(
      '依頼 REQ-20261112-A1（publish mail-dev-20261112-1）は 20 日前に送信され',
    );
  });

  it('key manager silent (heartbeat 20 h old, threshold 13 h): KeyManagerSilent 1', async () => {
    const run = await check([D.silent]);
    expect(run.domain[D.silent]).toEqual({ DkimHealthy: 1, KeyAgeDays: 10 });
    expect(run.environment).toEqual({ ...ZERO, KeyManagerSilent: 1 });
    expect(run.answer.problems).toEqual([{ domain: D.silent, findings: ['WARNING KEY_MANAGER_SILENT'] }]);
    expect(run.published[0]!.message).toContain(`鍵管理が ${D.silent} の実行を 20 時間完了していません`);
  });

  it('the whole fleet: one alert for every troubled domain, critical first; no key material anywhere', async () => {
    const run = await check(Object.keys(WORLD));
    expect(run.environment).toEqual({
      DomainsChecked: 9,
      DomainsUnhealthy: 2,
      RecordProblems: 3,
      SigningDrift: 1,
      KeysOverInterval: 1,
      KeysExpiringNoRotation: 1,
      DnsRequestsOverdue: 1,
      KeyManagerSilent: 1,
      MonitorRuns: 1,
    });
    expect(run.published).toHaveLength(1);
    const { subject, message } = run.published[0]!;
    expect(subject).toBe('[byodkim] CRITICAL dev: 5 domains unhealthy, 3 with warnings');
    expect(subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    expect(message.indexOf('【重大】')).toBeLessThan(message.indexOf('【警告】'));
    expect(message.indexOf('byodkim 監視（dev 環境）')).toBeLessThan(
      message.indexOf('byodkim monitor, environment dev'),
    );
    const everything = JSON.stringify(run);
    for (const key of [current, previous]) expect(everything).not.toContain(key.slice(40, 100));
  });
});

describe('monitor: the event and the environment', () => {
  const neverBuilt = (): MonitorRuntime => {
    throw new Error('a bad event must not build the runtime');
  };

  it.each<[string, unknown, string]>([
    ['domains that is not a list', { domains: 'healthy.example' }, 'domains'],
    ['a domain that is not one', { domains: ['not a domain'] }, 'domains'],
    ['publish that is not a boolean', { publish: 'no' }, 'publish'],
    ['an unknown field', { everything: true }, 'everything'],
    ['a source that is not a string', { source: 42 }, 'source'],
    ['an event that is not an object', 'run', 'event'],
  ])('answers %s with a typed JSON error naming the field', async (_name, event, field) => {
    const answer = await monitor(neverBuilt, event);
    expect(answer).toEqual({
      status: 'error',
      error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining(`${field} must be`), field },
    });
  });

  it('the schedule’s input ({"source": "byodkim.monitor"}) and an EventBridge event are full runs', async () => {
    for (const event of [
      { source: 'byodkim.monitor' },
      { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      {},
      undefined,
    ]) {
      expect(parseMonitorEvent(event)).toEqual({});
    }
  });

  it('a domain that is not configured is refused by name', async () => {
    const published: { subject: string; message: string }[] = [];
    const metrics = new PowertoolsMetrics({ environment: 'dev', env: {} });
    const answer = await monitor(() => runtimeFor(NOW, published, new MemoryLogger(), metrics), {
      domains: ['unknown.example'],
    });
    captureStdout(() => metrics.flush());
    expect(answer).toMatchObject({ status: 'error', error: { code: 'INVALID_PAYLOAD', field: 'domains' } });
    expect((answer as { error: { message: string } }).error.message).toContain('unknown.example');
  });

  it.each<[string, Record<string, string>, string]>([
    ['a missing alarm topic', {}, 'BYODKIM_ALARM_TOPIC_ARN'],
    ['a locale other than ja or en', { [LAMBDA_ENV.locale]: 'fr' }, 'BYODKIM_LOCALE must be one of ja, en; given "fr"'],
    ['an unknown time zone', { [LAMBDA_ENV.reportTimeZone]: 'Mars/Olympus' }, 'must be an IANA time zone'],
    [
      'a silence threshold that is not minutes',
      { [LAMBDA_ENV.keyManagerSilentMinutes]: '6h' },
      'whole number of minutes',
    ],
  ])('%s is a typed error naming the variable', async (_name, extra, text) => {
    const env = {
      [LAMBDA_ENV.environment]: 'dev',
      [LAMBDA_ENV.stateTable]: TABLE,
      [LAMBDA_ENV.alarmTopicArn]: 'arn:aws:sns:ap-northeast-1:123456789012:alarms',
      ...extra,
    };
    if (text === 'BYODKIM_ALARM_TOPIC_ARN') delete (env as Record<string, string>)[LAMBDA_ENV.alarmTopicArn];
    const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const answer = await monitor(() => createMonitorRuntime(env), {});
      expect(answer).toMatchObject({ status: 'error', error: { message: expect.stringContaining(text) } });
    } finally {
      errors.mockRestore();
    }
  });
});
