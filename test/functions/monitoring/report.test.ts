/**
 * The monthly report: built and rendered in both languages from a recorded fleet (pure), its month cut
 * in the report time zone, its text bounded for SNS; then the report Lambda over moto — the state table's
 * items and audit events in, the REPORT item written and the message published to a real (emulated) topic.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbStateStore, writeHeartbeats } from '../../../functions/adapters/dynamodb';
import {
  DynamoDbMonitorReader,
  DynamoDbReportWriter,
  SnsTopicPublisher,
} from '../../../functions/adapters/monitoring-store';
import { STATE_TABLE, specItem } from '../../../functions/core/contract';
import type { DomainSpec } from '../../../functions/core/spec';
import { DAY_MS, HOUR_MS } from '../../../functions/core/time';
import type { DomainState, KeyRecord } from '../../../functions/lifecycle/state';
import { parseReportEvent, report, runReport } from '../../../functions/handlers/report';
import type { ReportRuntime } from '../../../functions/handlers/monitoring-runtime';
import { MemoryLogger } from '../../../functions/memory/services';
import {
  buildMonthlyReport,
  renderMonthlyReport,
  type ReportDomainInput,
  type ReportEvent,
} from '../../../functions/monitoring/report';
import { startMoto, type Moto } from '../../support/moto';
import { createStateTable } from '../../support/state-table';
import { testPairs } from '../lifecycle/helpers';

/** 2026-12-01 09:00 in Tokyo: the report's schedule. */
const NOW = Date.UTC(2026, 11, 1, 0, 0);
/** 2026-11-01 00:00 in Tokyo. */
const NOVEMBER = Date.UTC(2026, 9, 31, 15, 0);
// One real key pair is enough: the report names selectors and dates, never keys (each key checked absent below).
const [pub1] = testPairs(1).map((p) => p.publicKey) as [string];
const [pub2, pub3] = [pub1, pub1];

function spec(domain: string, kind: 'route53' | 'external'): DomainSpec {
  return {
    domain,
    selectorPrefix: 'mail-prod',
    keyBits: 2048,
    dns:
      kind === 'route53'
        ? { kind: 'route53', hostedZoneId: 'Z0EXAMPLE' }
        : { kind: 'external', contacts: ['dns@example.jp'], locale: 'ja', leadTimeDays: 14 },
    rotation: { intervalDays: 180, renewBeforeDays: 30, graceDays: 7, activation: 'auto' },
  };
}

function key(selector: string, state: KeyRecord['state'], publicKey: string, activatedAt?: number): KeyRecord {
  return {
    keyId: selector,
    selector,
    state,
    reason: 'scheduled',
    publicKey,
    createdAt: (activatedAt ?? NOW) - 3 * DAY_MS,
    ...(activatedAt !== undefined ? { activatedAt } : {}),
  };
}

function stateOf(domain: string, keys: KeyRecord[]): DomainState {
  return {
    domain,
    version: 1,
    createdAt: NOW - 400 * DAY_MS,
    updatedAt: NOW - DAY_MS,
    keys,
    notified: {},
    rotations: 2,
  };
}

const event = (at: number, policy: string, message: string, actions: string[] = []): ReportEvent => ({
  at,
  policy,
  message,
  actions,
});

/** The recorded fleet: a rotated domain with an incident, an external one waiting on its DNS team, a new one. */
const FLEET: ReportDomainInput[] = [
  {
    spec: spec('b.example', 'external'),
    state: stateOf('b.example', [
      key('mail-prod-20260605-1', 'active', pub1, NOW - 170 * DAY_MS),
      {
        ...key('mail-prod-20261110-1', 'dns-requested', pub2),
        dnsRequest: {
          id: 'REQ-1110',
          sentAt: Date.UTC(2026, 10, 10, 1),
          deadline: Date.UTC(2026, 10, 24, 1),
          reminders: 1,
          escalations: 1,
        },
      },
    ]),
    heartbeat: { lastRunAt: NOW - 2 * HOUR_MS, outcome: 'done' },
    events: [event(Date.UTC(2026, 10, 20, 3), 'investigateSesFailure', 'SES reported FAILED for mail-prod-20260605-1')],
  },
  {
    spec: spec('a.example', 'route53'),
    state: stateOf('a.example', [
      key('mail-prod-20260510-1', 'retiring', pub3, NOW - 200 * DAY_MS),
      key('mail-prod-20261109-1', 'active', pub1, Date.UTC(2026, 10, 10, 3)),
    ]),
    heartbeat: { lastRunAt: NOW - HOUR_MS, outcome: 'done' },
    events: [
      // 2026-11-01 00:00 JST: the first instant of November in Tokyo (still October in UTC).
      event(NOVEMBER, 'command:rotate', 'operator alice asked for a rotation'),
      event(NOVEMBER - 60_000, 'repairDrift', 'October in Tokyo: not in the report'),
      event(Date.UTC(2026, 10, 10, 3), 'completeSwitch', 'SES signs with mail-prod-20261109-1', [
        'ses-put-signing-key mail-prod-20261109-1',
      ]),
      event(Date.UTC(2026, 10, 15, 5), 'repairDrift', 'SES was back on Easy DKIM; the recorded key was put back'),
      event(NOW, 'repairDrift', 'December in Tokyo: not in the report'),
    ],
  },
  { spec: spec('c.example', 'route53'), events: [] },
];

const OPTIONS = { environment: 'prod', year: 2026, month: 11, timeZone: 'Asia/Tokyo', locale: 'ja' as const, now: NOW };

describe('the monthly report from a recorded fleet', () => {
  const built = buildMonthlyReport(FLEET, OPTIONS);

  it('gives every domain its selector, key age, next rotation, open requests and the month’s incidents', () => {
    expect(built).toMatchObject({
      format: 1,
      environment: 'prod',
      month: '2026-11',
      timeZone: 'Asia/Tokyo',
      generatedAt: '2026-12-01T00:00:00.000Z',
      totals: {
        domains: 3,
        signing: 2,
        rotations: 1,
        incidents: 3,
        openDnsRequests: 1,
        overdueDnsRequests: 1,
        keysOverInterval: 0,
      },
    });
    expect(built.domains.map((d) => d.domain)).toEqual(['a.example', 'b.example', 'c.example']);
    const [a, b, c] = built.domains;
    expect(a).toEqual({
      domain: 'a.example',
      dnsMode: 'route53',
      status: 'signing',
      selector: 'mail-prod-20261109-1',
      keyBits: 2048,
      activeSince: '2026-11-10',
      keyAgeDays: 20,
      intervalDays: 180,
      nextRotation: '2027-04-09',
      rotationsThisMonth: 1,
      openDnsRequests: [],
      incidents: [
        { at: '2026-11-01', kind: 'operator', policy: 'command:rotate', detail: 'operator alice asked for a rotation' },
        {
          at: '2026-11-15',
          kind: 'signing-drift',
          policy: 'repairDrift',
          detail: 'SES was back on Easy DKIM; the recorded key was put back',
        },
      ],
      keyManagerLastRun: '2026-12-01',
    });
    expect(b).toMatchObject({
      status: 'signing',
      keyAgeDays: 170,
      rotationInProgress: { selector: 'mail-prod-20261110-1', state: 'dns-requested' },
      rotationsThisMonth: 0,
      openDnsRequests: [
        {
          id: 'REQ-1110',
          what: 'publish mail-prod-20261110-1',
          sentAt: '2026-11-10',
          deadline: '2026-11-24',
          overdue: true,
        },
      ],
      incidents: [{ kind: 'ses-failure', policy: 'investigateSesFailure' }],
    });
    expect(b).not.toHaveProperty('nextRotation');
    expect(c).toMatchObject({ domain: 'c.example', status: 'onboarding', rotationsThisMonth: 0, incidents: [] });
    expect(c).not.toHaveProperty('selector');
  });

  it('renders it in Japanese first (locale ja) and in English, with an ASCII subject and no key material', () => {
    const { subject, message } = renderMonthlyReport(built, 'ja');
    expect(subject).toBe(
      '[byodkim] INFO prod: monthly report 2026-11: 3 domains, 1 rotations, 3 incidents, 1 need attention',
    );
    expect(subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    const [ja, en] = message.split(`\n${'-'.repeat(72)}\n`);
    expect(ja).toContain('byodkim DKIM 月次レポート（prod 環境、2026-11、Asia/Tokyo）');
    expect(ja).toContain(
      'ドメイン 3 件（署名中 2 件）、ローテーション 1 回、インシデント 3 件、DNS 管理チームへの未完了の依頼 1 件（期限超過 1 件）',
    );
    expect(ja).toContain('a.example［route53］: 署名中');
    expect(ja).toContain(
      '  セレクター mail-prod-20261109-1（RSA 2048 ビット）、2026-11-10 から使用、使用日数 20 日（間隔 180 日）',
    );
    expect(ja).toContain('  次回ローテーション開始予定: 2027-04-09');
    expect(ja).toContain('  インシデント 2026-11-15: SES の署名設定が外部から変更され、元に戻しました（repairDrift）');
    expect(ja).toContain(
      '  DNS 管理チームへの依頼 REQ-1110（publish mail-prod-20261110-1）: 2026-11-10 送信、期限 2026-11-24、期限超過',
    );
    expect(ja).toContain('c.example［route53］: 鍵の準備中（未有効）');
    expect(en).toContain('byodkim monthly DKIM report: environment prod, 2026-11 (Asia/Tokyo)');
    expect(en).toContain(
      '  selector mail-prod-20261109-1 (RSA 2048), active since 2026-11-10, 20 days old (interval 180 days)',
    );
    expect(en).toContain(
      '  DNS-team request REQ-1110 (publish mail-prod-20261110-1), sent 2026-11-10, deadline 2026-11-24 - OVERDUE',
    );
    expect(message).not.toContain('not in the report');
    for (const k of [pub1, pub2, pub3]) expect(message + JSON.stringify(built)).not.toContain(k.slice(40, 100));

    const english = renderMonthlyReport(built, 'en').message;
    expect(english.indexOf('byodkim monthly DKIM report')).toBeLessThan(english.indexOf('byodkim DKIM 月次レポート'));
  });

  it('lists the domains that fit in an SNS message and counts the rest (the REPORT item has them all)', () => {
    const { message } = renderMonthlyReport(built, 'ja', 1200);
    expect(message).toContain(
      'ほか 2 件のドメインは省略しました。全ドメインの内容は状態テーブルの REPORT 項目（pk REPORT、sk 2026-11）にあります。',
    );
    expect(message).toContain('... and 1 more domain: the whole report is the REPORT item 2026-11');
    expect(message).toContain('a.example［route53］');
    expect(message).not.toContain('b.example［external］');
  });
});

describe('the report Lambda over moto', () => {
  const TABLE = 'byodkim-prod-dkim-state';
  let moto: Moto;
  let dynamodb: DynamoDBClient;
  let sns: SNSClient;
  let topicArn: string;

  beforeAll(async () => {
    moto = await startMoto();
    dynamodb = new DynamoDBClient(moto.clientConfig);
    sns = new SNSClient(moto.clientConfig);
    await createStateTable(dynamodb, TABLE);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'byodkim-prod-alarms' }))).TopicArn!;
    const store = new DynamoDbStateStore({ tableName: TABLE, client: dynamodb });
    for (const domain of FLEET) {
      await dynamodb.send(
        new PutItemCommand({ TableName: TABLE, Item: JSON.parse(JSON.stringify(specItem(domain.spec))) }),
      );
      if (domain.state) {
        const events = domain.events.map((e) => ({ ...e, domain: domain.spec.domain, version: 1 }));
        await store.save(domain.state, 0, events);
      }
    }
    await writeHeartbeats(
      dynamodb,
      TABLE,
      FLEET.flatMap((d) =>
        d.heartbeat ? [{ domain: d.spec.domain, at: d.heartbeat.lastRunAt, outcome: 'done' as const }] : [],
      ),
    );
  }, 60_000);

  afterAll(async () => {
    dynamodb?.destroy();
    sns?.destroy();
    await moto?.stop();
  });

  const runtime = (published: string[]): ReportRuntime => {
    const topic = new SnsTopicPublisher({ topicArn, client: sns });
    return {
      environment: 'prod',
      locale: 'ja',
      timeZone: 'Asia/Tokyo',
      reader: new DynamoDbMonitorReader({ tableName: TABLE, client: dynamodb }),
      writer: new DynamoDbReportWriter({ tableName: TABLE, client: dynamodb }),
      topic: {
        publish: async (subject, message) => {
          published.push(subject);
          return topic.publish(subject, message);
        },
      },
      logger: new MemoryLogger(),
      now: () => NOW,
      concurrency: 2,
    };
  };

  it('on the 1st, reports on the month that ended: the REPORT item is the report, and it is published', async () => {
    const published: string[] = [];
    const answer = await runReport(runtime(published));
    expect(answer).toEqual({
      status: 'ok',
      month: '2026-11',
      domains: 3,
      item: { pk: 'REPORT', sk: '2026-11' },
      published: true,
    });
    const item = await dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { [STATE_TABLE.partitionKey]: { S: 'REPORT' }, [STATE_TABLE.sortKey]: { S: '2026-11' } },
      }),
    );
    const stored = JSON.parse(item.Item![STATE_TABLE.attributes.report]!.S!);
    // The same report as the pure build from the recorded fleet: the table's items and events round-trip.
    expect(stored).toEqual(buildMonthlyReport(FLEET, OPTIONS));
    expect(item.Item![STATE_TABLE.attributes.generatedAt]).toEqual({ S: '2026-12-01T00:00:00.000Z' });
    expect(published).toEqual([expect.stringContaining('[byodkim] INFO prod: monthly report 2026-11: 3 domains')]);
  });

  it('takes the schedule’s input ({"source": "byodkim.report"}) and an EventBridge event as the previous month', () => {
    expect(parseReportEvent({ source: 'byodkim.report' })).toEqual({});
    expect(parseReportEvent({ source: 'aws.scheduler', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({});
    expect(parseReportEvent({ month: '2026-10', source: 'byodkim.cli' })).toEqual({ month: { year: 2026, month: 10 } });
  });

  it('rebuilds a given month without publishing when asked', async () => {
    const published: string[] = [];
    const answer = await report(() => runtime(published), { month: '2026-10', publish: false });
    expect(answer).toMatchObject({ status: 'ok', month: '2026-10', published: false });
    expect(published).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['a month that is not YYYY-MM', { month: '2026-13' }, 'month'],
    ['publish that is not a boolean', { publish: 1 }, 'publish'],
    ['an unknown field', { domains: [] }, 'domains'],
    ['a source that is not a string', { source: ['byodkim.report'] }, 'source'],
  ])('answers %s with a typed JSON error naming the field', async (_name, event, field) => {
    const answer = await report(() => {
      throw new Error('a bad event must not build the runtime');
    }, event);
    expect(answer).toEqual({
      status: 'error',
      error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining(`${field} must be`), field },
    });
  });

  it('a topic that does not exist is a typed error naming the topic', async () => {
    const missing = new SnsTopicPublisher({ topicArn: `${topicArn}-missing`, client: sns });
    await expect(missing.publish('s', 'm')).rejects.toMatchObject({ message: expect.stringContaining('-missing') });
  });
});
