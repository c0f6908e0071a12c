/**
 * The canary Lambda's run against a real S3 and DynamoDB (moto on loopback), SES SendEmail mocked
 * (aws-sdk-client-mock: moto neither signs nor delivers), and a real DNS server on loopback for the key
 * records. The SES mock plays SES and the receipt rule: it builds the message from the SendEmail input,
 * signs it as the scenario says (the domain's active key, an old one, none) and stores the received copy
 * under the bucket's prefix, as the receipt rule's S3 action does.
 */
import { randomUUID } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { dkimSign } from 'mailauth/lib/dkim/sign';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { LAMBDA_ENV, METRICS, type LambdaEnvName } from '../../../functions/core/contract';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import type { DomainState } from '../../../functions/lifecycle/state';
import type { MetricDatum } from '../../../functions/lifecycle/ports';
import { DynamoDbStateStore } from '../../../functions/adapters/dynamodb';
import { PowertoolsMetrics } from '../../../functions/adapters/powertools';
import {
  handler,
  readCanarySettings,
  resolverLookup,
  runCanary,
  type CanaryRuntime,
  type CanarySettings,
} from '../../../functions/handlers/canary';
import { CANARY_TOKEN_HEADER } from '../../../functions/monitoring/canary';
import { startMoto, type Moto } from '../../support/moto';
import { createStateTable } from '../../support/state-table';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../../support/dns-test-server';
import { testKey } from '../dkim/fixtures';

const ses = mockClient(SESv2Client);
const TABLE = 'byodkim-prod-dkim-state';
const BUCKET = 'byodkim-prod-dkim-canary';
const BUCKET_REGION = 'us-east-1';
const PREFIX = 'incoming/';
const RECIPIENT = 'canary@receive.example.net';
const ONE = 'one.example.test';
const TWO = 'two.example.test';
const ACTIVE = 'byodkim-prod-20261201-1';
const OLD = 'byodkim-prod-20260601-1';

const activeKey = testKey(1024, 'handler-active');
const oldKey = testKey(1024, 'handler-old');

let moto: Moto;
let dns: TestDnsServer;
let s3: S3Client;
let dynamodb: DynamoDBClient;
const records: Record<string, ZoneNode> = {};

/** How the fake SES signs and delivers the next messages, by sending domain. */
type Delivery = 'active' | 'old-selector' | 'unsigned' | 'lost';
let delivery: Record<string, Delivery>;

function mime(input: SendEmailCommandInput): string {
  const simple = input.Content!.Simple!;
  return [
    `From: ${input.FromEmailAddress}`,
    `To: ${input.Destination!.ToAddresses!.join(', ')}`,
    `Subject: ${simple.Subject!.Data}`,
    'Date: Wed, 02 Dec 2026 00:15:00 +0000',
    `Message-ID: <${randomUUID()}@email.amazonses.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    ...(simple.Headers ?? []).map((h) => `${h.Name}: ${h.Value}`),
    '',
    simple.Body!.Text!.Data!,
  ].join('\r\n');
}

/** SES's side: sign as the scenario says, and the receipt rule's: store the copy under the prefix. */
async function sesAndReceiptRule(input: SendEmailCommandInput): Promise<{ MessageId: string }> {
  const domain = input.FromEmailAddress!.split('@')[1]!;
  const how = delivery[domain] ?? 'active';
  const messageId = `0100019a-${randomUUID()}`;
  if (how === 'lost') return { MessageId: messageId };
  let message = mime(input);
  if (how !== 'unsigned') {
    const [selector, key] = how === 'active' ? [ACTIVE, activeKey] : [OLD, oldKey];
    const signed = await dkimSign(message, {
      canonicalization: 'relaxed/relaxed',
      signatureData: [{ signingDomain: domain, selector, privateKey: key.privateKeyPem }],
    } as never);
    message = signed.signatures + message;
  }
  const received = `Received: from a8-31.smtp-out.amazonses.com by inbound-smtp.us-east-1.amazonaws.com\r\n${message}`;
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${randomUUID()}`, Body: received }));
  return { MessageId: messageId };
}

function activeState(domain: string, selector: string): DomainState {
  const at = Date.UTC(2026, 11, 1);
  return {
    domain,
    version: 1,
    createdAt: at,
    updatedAt: at,
    keys: [
      {
        keyId: selector,
        selector,
        state: 'active',
        reason: 'first-activation',
        publicKey: activeKey.publicKey,
        createdAt: at,
        activatedAt: at,
      },
    ],
    notified: {},
    rotations: 1,
  };
}

interface Recorded {
  readonly runtime: CanaryRuntime;
  readonly metrics: MetricDatum[];
  readonly logs: { level: string; event: string; fields: Readonly<Record<string, unknown>> }[];
}

function runtimeFor(settings: Partial<CanarySettings> = {}): Recorded {
  const metrics: MetricDatum[] = [];
  const logs: Recorded['logs'] = [];
  const full: CanarySettings = {
    environment: 'prod',
    stateTable: TABLE,
    targets: [{ domain: ONE, configurationSet: 'byodkim-prod-one-example-test' }],
    recipient: RECIPIENT,
    localPart: 'canary',
    bucket: BUCKET,
    bucketRegion: BUCKET_REGION,
    prefix: PREFIX,
    waitSeconds: 5,
    pollSeconds: 0.05,
    resolvers: [dns.address],
    ...settings,
  };
  return {
    metrics,
    logs,
    runtime: {
      settings: full,
      ses: new SESv2Client({ region: 'ap-northeast-1' }),
      s3,
      states: new DynamoDbStateStore({ tableName: TABLE, client: dynamodb }),
      lookup: resolverLookup(full.resolvers, { timeoutMs: 2000, retries: 1 }),
      logger: { log: (level, event, fields) => logs.push({ level, event, fields }) },
      metrics: { emit: (datum) => metrics.push(datum), flush: () => undefined },
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    },
  };
}

const datum = (metrics: MetricDatum[], name: string) => metrics.filter((m) => m.name === name).map((m) => m.value);

async function keysInBucket(): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
  return (listed.Contents ?? []).map((o) => o.Key!);
}

beforeAll(async () => {
  [moto, dns] = await Promise.all([startMoto(), startTestDnsServer({ role: 'recursive', records })]);
  for (const domain of [ONE, TWO]) {
    records[`${ACTIVE}._domainkey.${domain}`] = { TXT: [splitIntoStrings(formatRecordValue(activeKey.publicKey))] };
    records[`${OLD}._domainkey.${domain}`] = { TXT: [splitIntoStrings(formatRecordValue(oldKey.publicKey))] };
  }
  s3 = new S3Client({ ...moto.clientConfig, region: BUCKET_REGION, forcePathStyle: true });
  dynamodb = new DynamoDBClient(moto.clientConfig);
});

afterAll(async () => {
  await Promise.all([moto?.stop(), dns?.close()]);
});

describe('runCanary', () => {
  // Only runCanary talks to moto: readCanarySettings' tests need no table, bucket or reset.
  beforeEach(async () => {
    await moto.reset();
    await Promise.all([createStateTable(dynamodb, TABLE), s3.send(new CreateBucketCommand({ Bucket: BUCKET }))]);
    const states = new DynamoDbStateStore({ tableName: TABLE, client: dynamodb });
    await Promise.all([states.save(activeState(ONE, ACTIVE), 0), states.save(activeState(TWO, ACTIVE), 0)]);
    ses.reset();
    ses.on(SendEmailCommand).callsFake(sesAndReceiptRule);
    delivery = {};
  });

  it('sends the canary message through the domain configuration set, finds its copy by token and passes it', async () => {
    // Copies of other runs and a stray message are in the bucket already: neither is taken for this run's.
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}stray`, Body: 'Subject: hello\r\n\r\nspam\r\n' }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${PREFIX}earlier-run`,
        Body: `${CANARY_TOKEN_HEADER}: 20261201T231500Z-${'0'.repeat(32)}\r\n\r\nold\r\n`,
      }),
    );
    const { runtime, metrics, logs } = runtimeFor();
    const result = await runCanary(runtime);

    const sent = ses.commandCalls(SendEmailCommand);
    expect(sent).toHaveLength(1);
    const token = result.domains[0]!.token!;
    expect(token).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{32}$/);
    expect(sent[0]!.args[0].input).toEqual({
      FromEmailAddress: `canary@${ONE}`,
      Destination: { ToAddresses: [RECIPIENT] },
      Content: {
        Simple: {
          Subject: { Data: `byodkim DKIM canary ${ONE} ${token}`, Charset: 'UTF-8' },
          Body: { Text: { Data: expect.stringContaining(`token: ${token}`), Charset: 'UTF-8' } },
          Headers: [{ Name: CANARY_TOKEN_HEADER, Value: token }],
        },
      },
      ConfigurationSetName: 'byodkim-prod-one-example-test',
    });
    expect(result).toMatchObject({ status: 'ok', environment: 'prod', checked: 1, failures: 0 });
    expect(result.domains[0]).toMatchObject({ domain: ONE, outcome: 'pass', expectedSelector: ACTIVE });
    expect(datum(metrics, METRICS.canaryRuns.name)).toEqual([1]);
    expect(datum(metrics, METRICS.canaryFailures.name)).toEqual([0]);
    expect(metrics.every((m) => JSON.stringify(m.dimensions) === '{"Environment":"prod"}')).toBe(true);
    // The passed copy is deleted; the other objects are left alone.
    expect((await keysInBucket()).sort()).toEqual([`${PREFIX}earlier-run`, `${PREFIX}stray`]);
    expect(logs.find((l) => l.event === 'canary.result')).toMatchObject({
      level: 'info',
      fields: { domain: ONE, outcome: 'pass', token, objectKey: expect.stringMatching(/^incoming\//) },
    });
  });

  it('fails a domain SES signs with the old selector and keeps its copy, while another domain passes', async () => {
    delivery = { [TWO]: 'old-selector' };
    const { runtime, metrics, logs } = runtimeFor({ targets: [{ domain: ONE }, { domain: TWO }] });
    const result = await runCanary(runtime);
    expect(result.domains.map((d) => [d.domain, d.outcome])).toEqual([
      [ONE, 'pass'],
      [TWO, 'wrong-selector'],
    ]);
    expect(ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input.ConfigurationSetName)).toEqual([
      undefined,
      undefined,
    ]);
    expect(datum(metrics, METRICS.canaryRuns.name)).toEqual([2]);
    expect(datum(metrics, METRICS.canaryFailures.name)).toEqual([1]);
    const failed = logs.find((l) => l.event === 'canary.result' && l.fields.domain === TWO)!;
    expect(failed.level).toBe('error');
    expect(failed.fields).toMatchObject({ outcome: 'wrong-selector', expectedSelector: ACTIVE });
    expect(String(failed.fields.reason)).toContain(`selector ${OLD}, not the recorded active selector ${ACTIVE}`);
    expect(await keysInBucket()).toEqual([result.domains[1]!.objectKey]);
    const kept = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.domains[1]!.objectKey! }));
    expect(await kept.Body!.transformToString()).toContain(`s=${OLD}`);
  });

  it('fails a message SES sent without the domain signature', async () => {
    delivery = { [ONE]: 'unsigned' };
    const { runtime, metrics } = runtimeFor();
    const result = await runCanary(runtime);
    expect(result.domains[0]).toMatchObject({ outcome: 'no-signature' });
    expect(datum(metrics, METRICS.canaryFailures.name)).toEqual([1]);
  });

  it('fails a message that never arrives, after the wait', async () => {
    delivery = { [ONE]: 'lost' };
    const { runtime, metrics, logs } = runtimeFor({ waitSeconds: 1 });
    const started = Date.now();
    const result = await runCanary(runtime);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(result.domains[0]).toMatchObject({ outcome: 'not-arrived', messageId: expect.stringMatching(/^0100019a-/) });
    expect(datum(metrics, METRICS.canaryRuns.name)).toEqual([1]);
    expect(datum(metrics, METRICS.canaryFailures.name)).toEqual([1]);
    expect(logs.find((l) => l.event === 'canary.result')!.fields.reason).toMatch(
      /did not arrive in the bucket within [0-9]+ s/,
    );
  });

  it("ends the wait early when the Lambda's time runs short, and still reports", async () => {
    delivery = { [ONE]: 'lost' };
    const { runtime, metrics } = runtimeFor({ waitSeconds: 600 });
    const started = Date.now();
    const result = await runCanary(runtime, { finishBy: started + 500 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.domains[0]).toMatchObject({ outcome: 'not-arrived' });
    expect(result.domains[0]!.message.en).toMatch(/within [0-9] s/);
    expect(datum(metrics, METRICS.canaryFailures.name)).toEqual([1]);
  });

  it('logs an object it cannot read and goes on with the others', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}unreadable`, Body: 'x' }));
    const { runtime, logs } = runtimeFor();
    const denying = {
      send: (command: unknown) =>
        command instanceof GetObjectCommand && command.input.Key === `${PREFIX}unreadable`
          ? Promise.reject(
              Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
            )
          : s3.send(command as never),
    } as unknown as S3Client;
    const result = await runCanary({ ...runtime, s3: denying });
    expect(result.domains[0]).toMatchObject({ outcome: 'pass' });
    expect(logs.find((l) => l.event === 'canary.object-unreadable')).toMatchObject({
      level: 'warn',
      fields: { objectKey: `${PREFIX}unreadable`, detail: expect.stringContaining('Access Denied') },
    });
  });

  it('fails a domain SES refuses to send for, naming the error', async () => {
    ses.on(SendEmailCommand).rejects(
      Object.assign(new Error('Email address is not verified.'), {
        name: 'MessageRejected',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { runtime, metrics } = runtimeFor();
    const result = await runCanary(runtime);
    expect(result.domains[0]).toMatchObject({ outcome: 'send-failed' });
    expect(result.domains[0]!.message.en).toContain('Email address is not verified.');
    expect(datum(metrics, METRICS.canaryFailures.name)).toEqual([1]);
  });

  it('skips a domain with no active byodkim key: nothing sent, not counted as checked', async () => {
    const { runtime, metrics, logs } = runtimeFor({ targets: [{ domain: 'fresh.example.test' }, { domain: ONE }] });
    const result = await runCanary(runtime);
    expect(ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input.FromEmailAddress)).toEqual([`canary@${ONE}`]);
    expect(result.domains[0]).toMatchObject({ domain: 'fresh.example.test', outcome: 'skipped' });
    expect(result.domains[0]!.message.en).toContain('no recorded state yet');
    expect(datum(metrics, METRICS.canaryRuns.name)).toEqual([1]);
    expect(logs.find((l) => l.fields.domain === 'fresh.example.test')!.level).toBe('warn');
  });

  it('fails the run when the state table cannot be read: no metric, so the silence alarm reports it', async () => {
    const { runtime, metrics } = runtimeFor();
    const broken: CanaryRuntime = {
      ...runtime,
      states: new DynamoDbStateStore({ tableName: 'no-such-table', client: dynamodb }),
    };
    await expect(runCanary(broken)).rejects.toThrow(/no-such-table/);
    expect(metrics).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('runs as the Lambda: the handler builds its clients from the environment the construct sets', async () => {
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'ap-northeast-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      [LAMBDA_ENV.environment]: 'prod',
      [LAMBDA_ENV.stateTable]: TABLE,
      [LAMBDA_ENV.canaryTargets]: JSON.stringify([{ domain: ONE, configurationSet: 'cs-one' }]),
      [LAMBDA_ENV.canaryRecipient]: RECIPIENT,
      [LAMBDA_ENV.canaryBucket]: BUCKET,
      [LAMBDA_ENV.canaryBucketRegion]: BUCKET_REGION,
      [LAMBDA_ENV.canaryPrefix]: PREFIX,
      [LAMBDA_ENV.canaryWaitSeconds]: '5',
      [LAMBDA_ENV.resolvers]: dns.address,
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const answer = await handler({ source: 'byodkim.canary' });
      expect(answer).toMatchObject({
        status: 'ok',
        checked: 1,
        failures: 0,
        domains: [{ domain: ONE, outcome: 'pass' }],
      });
      // The EMF lines Powertools wrote: CanaryRuns 1 and CanaryFailures 0 for the environment.
      const emf = stdout.mock.calls
        .map(([chunk]) => String(chunk))
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line));
      expect(emf.some((m) => m.CanaryRuns === 1 && m.CanaryFailures === 0 && m.Environment === 'prod')).toBe(true);
    } finally {
      stdout.mockRestore();
      process.env = saved;
    }
  });

  it('emits only metrics the contract defines, with the contract units (Powertools refuses others)', async () => {
    const { runtime, metrics } = runtimeFor();
    await runCanary(runtime);
    const checked = new PowertoolsMetrics({ environment: 'prod', onInvalid: 'throw' });
    for (const m of metrics) expect(() => checked.emit(m)).not.toThrow();
    expect(metrics.map((m) => m.name)).toEqual([METRICS.canaryRuns.name, METRICS.canaryFailures.name]);
  });
});

describe('readCanarySettings', () => {
  const base: Partial<Record<LambdaEnvName, string>> = {
    environment: 'prod',
    stateTable: TABLE,
    canaryTargets: JSON.stringify([{ domain: ONE, configurationSet: 'cs' }]),
    canaryRecipient: RECIPIENT,
    canaryBucket: BUCKET,
    canaryBucketRegion: BUCKET_REGION,
    canaryPrefix: PREFIX,
  };
  const env = (overrides: Partial<Record<LambdaEnvName, string>> = {}) =>
    Object.fromEntries(Object.entries({ ...base, ...overrides }).map(([k, v]) => [LAMBDA_ENV[k as LambdaEnvName], v]));

  it('reads the construct environment, with the defaults', () => {
    expect(readCanarySettings(env({ resolvers: '127.0.0.1:5353' }))).toEqual({
      environment: 'prod',
      stateTable: TABLE,
      targets: [{ domain: ONE, configurationSet: 'cs' }],
      recipient: RECIPIENT,
      localPart: 'canary',
      bucket: BUCKET,
      bucketRegion: BUCKET_REGION,
      prefix: PREFIX,
      waitSeconds: 300,
      pollSeconds: 5,
      resolvers: ['127.0.0.1:5353'],
    });
  });

  it.each([
    [{ canaryTargets: 'example.com' }, 'BYODKIM_CANARY_TARGETS must be a JSON list'],
    [{ canaryTargets: '[]' }, 'BYODKIM_CANARY_TARGETS must be a JSON list'],
    [{ canaryTargets: '[{"domain": "Not A Domain"}]' }, 'BYODKIM_CANARY_TARGETS[0].domain must be a domain name'],
    [
      { canaryTargets: `[{"domain": "${ONE}"}, {"domain": "${ONE}"}]` },
      'BYODKIM_CANARY_TARGETS[1].domain must be listed once',
    ],
    [{ canaryRecipient: 'not-an-address' }, 'BYODKIM_CANARY_RECIPIENT must be an e-mail address'],
    [
      { canaryWaitSeconds: '900' },
      'BYODKIM_CANARY_WAIT_SECONDS must be a whole number of seconds from 1 to 780; given "900"',
    ],
    [{ canaryLocalPart: 'a b' }, 'BYODKIM_CANARY_LOCAL_PART must be an e-mail local part'],
    [{ canaryBucket: '' }, 'lacks BYODKIM_CANARY_BUCKET'],
  ])('refuses %j, naming the variable', (overrides, message) => {
    expect(() => readCanarySettings(env(overrides))).toThrow(message);
  });
});
