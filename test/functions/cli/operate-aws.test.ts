/**
 * The operator commands against a deployed environment, with the worker Lambda and CloudWatch mocked
 * (aws-sdk-client-mock): the exact Invoke each command sends (function name from envs/prod.ts by the
 * constructs' naming rule, RequestResponse, the payload), the table and JSON printed from the worker's
 * answer, the alarms firing, the confirmation prompt's pre-flight, and every failure's exit code — a
 * typed error from the worker, a Lambda FunctionError, access denied, no credentials, a function not
 * found, an answer that is not one.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, type InvokeCommandInput, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fs from 'node:fs';
import type { DomainView } from '../../../functions/lifecycle/domain-view';
import type { DomainResponse } from '../../../functions/lifecycle/operator-answer';
import { readWorkerAnswer } from '../../../functions/cli/operate/backend';
import { cli, localDir } from './support-operate';

const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
const dynamodb = mockClient(DynamoDBClient);
const dir = localDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const WORKER = 'byodkim-prod-dkim-worker';
const PROD_DOMAINS = ['example.com', 'example.net', 'example.org'];

function view(domain: string, patch: Partial<DomainView> = {}): DomainView {
  return {
    format: 1,
    domain,
    observedAt: '2026-12-01T00:00:00.000Z',
    dnsMode: 'route53',
    activation: 'auto',
    intervalDays: 180,
    activeSelector: 'byodkim-prod-20260901-1',
    keyActivatedAt: '2026-09-01T03:00:00.000Z',
    keyAgeDays: 90,
    nextRotationAt: '2027-01-28T03:00:00.000Z',
    ses: {
      present: true,
      origin: 'EXTERNAL',
      signingEnabled: true,
      status: 'SUCCESS',
      tokens: ['byodkim-prod-20260901-1'],
      healthy: true,
    },
    dns: { verdict: 'ok', selector: 'byodkim-prod-20260901-1', code: 'match', message: { en: 'matches', ja: '一致' } },
    requests: [],
    rotations: 3,
    ...patch,
  };
}

const PUBLISH_REQUEST: DomainView['requests'][number] = {
  id: 'byodkim-prod-20261125-1',
  kind: 'publish',
  selector: 'byodkim-prod-20261125-1',
  sentAt: '2026-11-25T00:00:00.000Z',
  deadline: '2026-12-09T00:00:00.000Z',
  overdue: false,
  delivered: true,
  reminders: 1,
  escalations: 0,
  message: {
    to: ['dns-team@example.com'],
    locale: 'ja',
    subject: {
      en: 'DKIM TXT record request byodkim-prod-20261125-1 for example.com',
      ja: 'DKIM TXT レコード設定依頼 byodkim-prod-20261125-1（example.com）',
    },
    body: {
      en: 'Dear DNS team,\n- Name: byodkim-prod-20261125-1._domainkey.example.com.\n',
      ja: 'DNS 管理チーム ご担当者様\n■ レコード名: byodkim-prod-20261125-1._domainkey.example.com.\n',
    },
  },
};

/** What Lambda returns as Payload (the SDK's blob type wraps bytes). */
function bytes(value: unknown): InvokeCommandOutput['Payload'] {
  return new TextEncoder().encode(
    typeof value === 'string' ? value : JSON.stringify(value),
  ) as InvokeCommandOutput['Payload'];
}

function answer(...domains: DomainResponse[]) {
  return { status: 'ok', domains };
}

function payloadOf(input: InvokeCommandInput): unknown {
  return JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array));
}

function invokes(): { FunctionName?: string; InvocationType?: string; payload: Record<string, unknown> }[] {
  return lambda.commandCalls(InvokeCommand).map((c) => ({
    FunctionName: c.args[0].input.FunctionName,
    InvocationType: c.args[0].input.InvocationType,
    payload: payloadOf(c.args[0].input) as Record<string, unknown>,
  }));
}

/** The worker answers `status` from per-domain views, anything else with `other`. */
function worker(views: Record<string, DomainView>, other?: (payload: Record<string, unknown>) => DomainResponse) {
  lambda.on(InvokeCommand).callsFake((input: InvokeCommandInput) => {
    const p = payloadOf(input) as Record<string, unknown> & { domain: string; action: string };
    const response: DomainResponse =
      p.action === 'status' || p.action === 'verify-dns'
        ? {
            action: p.action as 'status',
            domain: p.domain,
            outcome: 'done',
            message: { en: 'status', ja: '状態' },
            conditions: [],
            view: views[p.domain]!,
          }
        : other!(p);
    return { StatusCode: 200, Payload: bytes(answer(response)) };
  });
}

const healthy = Object.fromEntries(PROD_DOMAINS.map((d) => [d, view(d)]));

beforeEach(() => {
  lambda.reset();
  cloudwatch.reset();
  dynamodb.reset();
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});

describe('byodkim status against AWS (mocked)', () => {
  it('invokes the worker named by the constructs’ rule, once per domain of envs/prod.ts, RequestResponse, with the exact payload', async () => {
    worker(healthy);
    const r = await cli(['status', '--env', 'prod', '--actor', 'alice', '--lang', 'en'], dir);
    expect(invokes()).toEqual(
      PROD_DOMAINS.map((domain) => ({
        FunctionName: WORKER,
        InvocationType: 'RequestResponse',
        payload: { kind: 'operator', action: 'status', domain, actor: 'alice' },
      })),
    );
    const alarms = cloudwatch.commandCalls(DescribeAlarmsCommand);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.args[0].input).toMatchObject({ AlarmNamePrefix: 'byodkim-prod-', StateValue: 'ALARM' });
    expect(r.out).toContain(`environment prod (${WORKER})`);
    expect(r.out).toMatch(
      /example\.com\s+route53\s+byodkim-prod-20260901-1\s+90 d\s+2027-01-28\s+EXTERNAL on SUCCESS\s+ok\s+-/,
    );
    expect(r.out).toContain('alarms: none firing');
    expect(r.out).toContain('result: all healthy');
    expect(r.code).toBe(0);
  });

  it('the region defaults to envs/prod.ts; --region and --profile override it', async () => {
    worker(healthy);
    await cli(['status', '--env', 'prod', '--domain', 'example.com'], dir);
    const client = lambda.commandCalls(InvokeCommand)[0]!.thisValue as LambdaClient;
    expect(await client.config.region()).toBe('ap-northeast-1');
    lambda.resetHistory();
    await cli(
      ['status', '--env', 'prod', '--domain', 'example.com', '--region', 'us-west-2', '--profile', 'mail-ops'],
      dir,
    );
    const other = lambda.commandCalls(InvokeCommand)[0]!.thisValue as LambdaClient;
    expect(await other.config.region()).toBe('us-west-2');
    expect((other.config as { profile?: string }).profile).toBe('mail-ops');
  });

  it('Japanese table (the environment’s locale), open DNS requests with deadlines, alarms firing: exit 1', async () => {
    worker({
      ...healthy,
      'example.com': view('example.com', {
        dnsMode: 'external',
        activation: 'manual',
        nextRotationAt: undefined,
        rotation: {
          selector: 'byodkim-prod-20261125-1',
          keyId: 'byodkim-prod-20261125-1',
          state: 'dns-requested',
          reason: 'scheduled',
          awaitingApproval: false,
        },
        requests: [PUBLISH_REQUEST],
      }),
    });
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'byodkim-prod-dkim-unhealthy',
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed: 1 datapoint [1.0] was greater than the threshold (0.0)',
          StateUpdatedTimestamp: new Date('2026-11-30T23:00:00Z'),
        },
      ],
    });
    const r = await cli(['status', '--env', 'prod'], dir);
    expect(r.out).toContain('ドメイン');
    expect(r.out).toMatch(/example\.com\s+外部DNS\s+byodkim-prod-20260901-1\s+90 日\s+進行中（dns-requested）/);
    expect(r.out).toContain('1 件（期限 2026-12-09）');
    expect(r.out).toContain(
      'example.com: DNS 登録依頼 byodkim-prod-20261125-1: 送信 2026-11-25 09:00、期限 2026-12-09 09:00',
    );
    expect(r.out).toContain('アラーム: 1 件が発報中');
    expect(r.out).toContain('byodkim-prod-dkim-unhealthy (発報 2026-12-01 08:00): Threshold Crossed');
    expect(r.code).toBe(1);
  });

  it('--json: stable fields, the alarms, healthy false for an unhealthy domain', async () => {
    worker({
      ...healthy,
      'example.net': view('example.net', {
        ses: { ...view('x').ses, signingEnabled: false, healthy: false },
        signingDisabledAt: '2026-11-30T00:00:00.000Z',
      }),
    });
    const r = await cli(['status', '--env', 'prod', '--json'], dir);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      environment: 'prod',
      backend: { kind: 'aws', target: WORKER },
      healthy: false,
      alarms: [],
    });
    expect(json.domains.map((d: { domain: string; healthy: boolean }) => [d.domain, d.healthy])).toEqual([
      ['example.com', true],
      ['example.net', false],
      ['example.org', true],
    ]);
    expect(r.code).toBe(1);
  });

  it('an answer without a view (an older worker) still prints the conditions', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: bytes(
        answer({
          action: 'status',
          domain: 'example.com',
          outcome: 'done',
          message: { en: 'status', ja: '状態' },
          conditions: [{ type: 'Ready', status: true, reason: 'SesHealthy', message: 'SES signs with s1' }],
        }),
      ),
    });
    const r = await cli(['status', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir);
    expect(r.out).toContain('example.com: Ready=true SesHealthy: SES signs with s1');
    expect(r.code).toBe(1);
  });
});

describe('a fleet’s status', () => {
  it('asks the worker for several domains at once, and prints them in the file’s order', async () => {
    let inFlight = 0;
    let most = 0;
    lambda.on(InvokeCommand).callsFake(async (input: InvokeCommandInput) => {
      const p = payloadOf(input) as { domain: string };
      inFlight += 1;
      most = Math.max(most, inFlight);
      // The first domain answers last.
      await new Promise((resolve) => setTimeout(resolve, p.domain === 'example.com' ? 60 : 5));
      inFlight -= 1;
      const response: DomainResponse = {
        action: 'status',
        domain: p.domain,
        outcome: 'done',
        message: { en: 'status', ja: '状態' },
        view: healthy[p.domain]!,
      };
      return { StatusCode: 200, Payload: bytes(answer(response)) };
    });
    const r = await cli(['status', '--env', 'prod', '--json', '--lang', 'en'], dir, { stderrIsTTY: true });
    expect(most).toBe(3);
    expect(JSON.parse(r.out).domains.map((d: { domain: string }) => d.domain)).toEqual(PROD_DOMAINS);
    expect(r.err).toContain(`waiting for ${WORKER} (status: 0/3)`);
  });
});

describe('byodkim actions against AWS (mocked)', () => {
  it('rotate --yes sends exactly one rotate request per domain and prints the worker’s answer', async () => {
    worker(healthy, (p) => ({
      action: 'rotate',
      domain: String(p.domain),
      outcome: 'done',
      message: { en: 'rotation requested: a new key is generated now', ja: 'ローテーションを要求しました' },
    }));
    const r = await cli(['rotate', '--env', 'prod', '--domain', 'example.net', '--yes', '--actor', 'alice'], dir);
    expect(invokes()).toEqual([
      {
        FunctionName: WORKER,
        InvocationType: 'RequestResponse',
        payload: { kind: 'operator', action: 'rotate', domain: 'example.net', actor: 'alice' },
      },
    ]);
    expect(r.out).toBe('example.net rotate: 完了: ローテーションを要求しました\n');
    expect(r.code).toBe(0);
  });

  it('revoke sends the selector; an IDN domain is sent as its A-label', async () => {
    worker(healthy, (p) => ({
      action: 'revoke',
      domain: String(p.domain),
      outcome: 'done',
      message: { en: 'revoking', ja: '失効' },
    }));
    await cli(
      ['revoke', '--env', 'prod', '--domain', 'EXAMPLE.org', '--selector', 'byodkim-prod1', '--yes', '--actor', 'bob'],
      dir,
    );
    expect(invokes()[0]!.payload).toEqual({
      kind: 'operator',
      action: 'revoke',
      domain: 'example.org',
      selector: 'byodkim-prod1',
      actor: 'bob',
    });
  });

  it('the prompt is preceded by a status read (what will happen); answered no, nothing else is sent', async () => {
    worker({
      ...healthy,
      'example.com': view('example.com', {
        activation: 'manual',
        rotation: {
          selector: 'byodkim-prod-20261125-1',
          keyId: 'byodkim-prod-20261125-1',
          state: 'dns-verified',
          reason: 'scheduled',
          awaitingApproval: true,
        },
      }),
    });
    const r = await cli(['approve', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir, {
      answers: ['no'],
    });
    expect(r.err).toContain('example.com: SES switches byodkim-prod-20260901-1 → byodkim-prod-20261125-1 now');
    expect(invokes().map((c) => c.payload.action)).toEqual(['status']);
    expect(r.code).toBe(5);
  });

  it('answered yes: status, then approve', async () => {
    worker(healthy, (p) => ({
      action: 'approve',
      domain: String(p.domain),
      outcome: 'done',
      message: { en: 'approved: SES switches to s2', ja: '承認しました' },
    }));
    const r = await cli(['approve', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir, {
      answers: ['y'],
    });
    expect(invokes().map((c) => c.payload.action)).toEqual(['status', 'approve']);
    expect(r.out).toContain('example.com approve: done: approved: SES switches to s2');
    expect(r.code).toBe(0);
  });

  it('refused → exit 1 with the code; busy → exit 4', async () => {
    worker(healthy, (p) => ({
      action: 'rollback',
      domain: String(p.domain),
      outcome: 'refused',
      code: 'NO_PREVIOUS_KEY',
      message: { en: 'no previous key is still in its grace period', ja: '猶予期間内の旧鍵がありません' },
    }));
    const refused = await cli(['rollback', '--env', 'prod', '--domain', 'example.net', '--yes'], dir);
    expect(refused.out).toBe('example.net rollback: 拒否 [NO_PREVIOUS_KEY]: 猶予期間内の旧鍵がありません\n');
    expect(refused.code).toBe(1);
    lambda.reset();
    worker(healthy, (p) => ({
      action: 'disable',
      domain: String(p.domain),
      outcome: 'busy',
      code: 'BUSY_TRY_AGAIN',
      message: { en: 'busy, try again', ja: '混み合っています' },
    }));
    const busy = await cli(
      ['disable', '--env', 'prod', '--domain', 'example.net', '--yes', '--lang', 'en', '--json'],
      dir,
    );
    expect(JSON.parse(busy.out).answers[0]).toMatchObject({ outcome: 'busy', code: 'BUSY_TRY_AGAIN' });
    expect(busy.code).toBe(4);
  });

  it('dns-request prints the open request as sent; --resend sends dns-request', async () => {
    worker(
      { ...healthy, 'example.com': view('example.com', { dnsMode: 'external', requests: [PUBLISH_REQUEST] }) },
      (p) => ({
        action: 'dns-request',
        domain: String(p.domain),
        outcome: 'done',
        message: { en: 'the change request byodkim-prod-20261125-1 is sent again', ja: '変更依頼を再送します' },
      }),
    );
    const text = await cli(['dns-request', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir);
    expect(text.out).toContain(
      'Subject: DKIM TXT レコード設定依頼 byodkim-prod-20261125-1（example.com） / DKIM TXT record request',
    );
    expect(text.out).toContain('To: dns-team@example.com');
    expect(text.out.indexOf('DNS 管理チーム')).toBeLessThan(text.out.indexOf('Dear DNS team'));
    const en = await cli(['dns-request', '--env', 'prod', '--domain', 'example.com', '--locale', 'en'], dir);
    expect(en.out).not.toContain('DNS 管理チーム');
    lambda.resetHistory();
    const resent = await cli(
      ['dns-request', '--env', 'prod', '--domain', 'example.com', '--resend', '--actor', 'carol', '--lang', 'en'],
      dir,
    );
    expect(invokes()).toEqual([
      {
        FunctionName: WORKER,
        InvocationType: 'RequestResponse',
        payload: { kind: 'operator', action: 'dns-request', domain: 'example.com', actor: 'carol' },
      },
    ]);
    expect(resent.out).toContain(
      'example.com dns-request: done: the change request byodkim-prod-20261125-1 is sent again',
    );
  });

  it('verify-dns --env sends verify-dns and exits 1 on a wrong record', async () => {
    worker({
      ...healthy,
      'example.net': view('example.net', {
        dns: {
          verdict: 'problem',
          selector: 'byodkim-prod-20260901-1',
          code: 'key-cut-at-255',
          message: { en: 'the key is cut at 255 characters', ja: '255 文字で切れています' },
        },
      }),
    });
    const r = await cli(['verify-dns', '--env', 'prod', '--lang', 'en'], dir);
    expect(invokes().map((c) => c.payload.action)).toEqual(['verify-dns', 'verify-dns', 'verify-dns']);
    expect(r.out).toContain('example.net: byodkim-prod-20260901-1: PROBLEM — the key is cut at 255 characters');
    expect(r.code).toBe(1);
  });

  it('report asks the report function for the month (not published), reads its REPORT item and prints it', async () => {
    const report = {
      format: 1,
      environment: 'prod',
      month: '2026-11',
      timeZone: 'Asia/Tokyo',
      generatedAt: '2026-12-01T00:00:00.000Z',
      totals: {
        domains: 1,
        signing: 1,
        rotations: 1,
        incidents: 0,
        openDnsRequests: 0,
        overdueDnsRequests: 0,
        keysOverInterval: 1,
      },
      domains: [
        {
          domain: 'example.net',
          dnsMode: 'route53',
          status: 'signing',
          selector: 'byodkim-prod-20260501-1',
          keyBits: 2048,
          activeSince: '2026-05-01',
          keyAgeDays: 200,
          intervalDays: 180,
          rotationsThisMonth: 1,
          openDnsRequests: [],
          incidents: [],
        },
      ],
    };
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: bytes({
        status: 'ok',
        month: '2026-11',
        domains: 1,
        item: { pk: 'REPORT', sk: '2026-11' },
        published: false,
      }),
    });
    dynamodb
      .on(GetItemCommand)
      .resolves({ Item: { pk: { S: 'REPORT' }, sk: { S: '2026-11' }, report: { S: JSON.stringify(report) } } });
    const r = await cli(['report', '--env', 'prod', '--month', '2026-11', '--lang', 'en'], dir);
    expect(invokes()).toEqual([
      {
        FunctionName: 'byodkim-prod-dkim-report',
        InvocationType: 'RequestResponse',
        payload: { month: '2026-11', publish: false },
      },
    ]);
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'byodkim-prod-dkim-state',
      Key: { pk: { S: 'REPORT' }, sk: { S: '2026-11' } },
      ConsistentRead: true,
    });
    expect(r.out).toMatch(/^byodkim monthly DKIM report: environment prod, 2026-11 \(Asia\/Tokyo\)/);
    expect(r.out).toContain('selector byodkim-prod-20260501-1 (RSA 2048), active since 2026-05-01, 200 days old');
    expect(r.out).toContain('byodkim DKIM 月次レポート');
    // A key over its interval needs attention.
    expect(r.code).toBe(1);
    dynamodb.on(GetItemCommand).resolves({ Item: { report: { S: JSON.stringify({ ...report, format: 99 }) } } });
    const old = await cli(['report', '--env', 'prod', '--month', '2026-11', '--lang', 'en'], dir);
    expect(old.code).toBe(3);
    expect(old.err).toContain('is not a report of format 1 for 2026-11');
  });
});

describe('failures and their exit codes (3: AWS)', () => {
  it('a typed error from the worker: exit 3 naming the code and the field', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: bytes({
        status: 'error',
        error: {
          code: 'INVALID_PAYLOAD',
          message: 'invalid payload: selector must be an SES selector',
          field: 'selector',
        },
      }),
    });
    const r = await cli(['status', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain(
      `INVALID_PAYLOAD: ${WORKER} refused the request: INVALID_PAYLOAD: invalid payload: selector must be an SES selector (field selector)`,
    );
  });

  it('a FunctionError (the Lambda crashed or timed out): exit 3, in Japanese too', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: bytes({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 60.00 seconds' }),
    });
    const r = await cli(['status', '--env', 'prod', '--domain', 'example.com'], dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`${WORKER} の実行が失敗しました。CloudWatch Logs を確認してください。`);
    expect(r.err).toContain('Unhandled, Sandbox.Timedout: Task timed out after 60.00 seconds');
  });

  it.each([
    [
      'AccessDeniedException',
      'access denied: Lambda refused Invoke on function byodkim-prod-dkim-worker',
      'アクセスが拒否されました',
    ],
    ['ResourceNotFoundException', 'function byodkim-prod-dkim-worker was not found', 'が見つかりません'],
    ['CredentialsProviderError', 'no usable AWS credentials', '使用できる AWS 認証情報がありません'],
  ])('%s: exit 3 with what to do', async (name, en, ja) => {
    const error = Object.assign(new Error(`${name} happened`), {
      name,
      $metadata: { httpStatusCode: name === 'ResourceNotFoundException' ? 404 : 403 },
    });
    lambda.on(InvokeCommand).rejects(error);
    const r = await cli(['status', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain(en);
    const j = await cli(['status', '--env', 'prod', '--domain', 'example.com'], dir);
    expect(j.err).toContain(ja);
    expect(j.err).not.toContain('    at ');
  });

  it('DescribeAlarms denied: exit 3 too (status cannot say the alarms are quiet)', async () => {
    worker(healthy);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const r = await cli(['status', '--env', 'prod', '--lang', 'en'], dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain('CloudWatch refused DescribeAlarms on alarms byodkim-prod-*');
  });

  it('answers that are not the worker’s are refused, never printed as if they were', () => {
    const request = { kind: 'operator', action: 'status', domain: 'example.com' } as const;
    const bad: [unknown, string][] = [
      [null, 'not a JSON object'],
      [{ status: 'maybe' }, 'status "maybe"'],
      [{ status: 'ok', domains: [] }, 'not exactly one domain'],
      [
        {
          status: 'ok',
          domains: [{ action: 'status', domain: 'other.example', outcome: 'done', message: { en: '', ja: '' } }],
        },
        'not example.com',
      ],
      [
        {
          status: 'ok',
          domains: [{ action: 'status', domain: 'example.com', outcome: 'perhaps', message: { en: '', ja: '' } }],
        },
        'lacks action, outcome',
      ],
      [
        {
          status: 'ok',
          domains: [
            {
              action: 'status',
              domain: 'example.com',
              outcome: 'done',
              message: { en: '', ja: '' },
              view: { domain: 'x' },
            },
          ],
        },
        'not one of this domain',
      ],
    ];
    for (const [payload, message] of bad) {
      expect(() => readWorkerAnswer(payload, request, WORKER)).toThrow(message);
    }
  });

  it('a payload that is not JSON: exit 3', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: bytes('<html>') });
    const r = await cli(['status', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir);
    expect(r.code).toBe(3);
    expect(r.err).toContain('answered with something that is not JSON');
  });
});

describe('progress on a terminal', () => {
  it('draws a spinner on stderr while waiting (a TTY only) and erases it; stdout stays clean', async () => {
    worker(healthy);
    const tty = await cli(['status', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir, {
      stderrIsTTY: true,
    });
    expect(tty.err).toContain(`waiting for ${WORKER} (example.com status)`);
    expect(tty.err).toContain('\r\x1b[2K');
    expect(tty.out).not.toContain('waiting');
    const pipe = await cli(['status', '--env', 'prod', '--domain', 'example.com', '--lang', 'en'], dir);
    expect(pipe.err).toBe('');
  });
});
