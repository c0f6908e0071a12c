import { generateKeyPairSync } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { Route53Client } from '@aws-sdk/client-route-53';
import { secretDescription } from '../../../functions/adapters/secrets-manager';
import { LAMBDA_ENV, STATE_TABLE, heartbeatItem, specItem } from '../../../functions/core/contract';
import { resolveDomainSpec } from '../../../functions/core/spec';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import * as reconciler from '../../../functions/lifecycle/reconciler';

// The real engine, observable: a test may answer one run itself (mockResolvedValueOnce).
jest.mock('../../../functions/lifecycle/reconciler', () => {
  const actual = jest.requireActual<typeof import('../../../functions/lifecycle/reconciler')>(
    '../../../functions/lifecycle/reconciler',
  );
  return { ...actual, reconcile: jest.fn(actual.reconcile) };
});
const reconcile = jest.mocked(reconciler.reconcile);
import type { DnsObserver, LifecyclePorts } from '../../../functions/lifecycle/ports';
import type { DomainState } from '../../../functions/lifecycle/state';
import { createWorkerRuntime, type WorkerRuntime } from '../../../functions/handlers/runtime';
import { work } from '../../../functions/handlers/worker';

const dynamodb = mockClient(DynamoDBClient);
const ses = mockClient(SESv2Client);
const secrets = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);
const route53 = mockClient(Route53Client);
const QUEUE_URL = 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/byodkim-dev-dkim-work';

const ENV = {
  AWS_REGION: 'ap-northeast-1',
  [LAMBDA_ENV.environment]: 'dev',
  [LAMBDA_ENV.stateTable]: 'byodkim-dev-dkim-state',
  [LAMBDA_ENV.workQueueUrl]: QUEUE_URL,
  [LAMBDA_ENV.secretPrefix]: 'byodkim-dev',
  [LAMBDA_ENV.keyStoreKeyArn]: 'arn:aws:kms:ap-northeast-1:111111111111:key/1234',
  [LAMBDA_ENV.operatorTopicArn]: 'arn:aws:sns:ap-northeast-1:111111111111:ops',
  [LAMBDA_ENV.dnsTeamSender]: 'byodkim@example.com',
};

let built = 0;
const runtime = (): WorkerRuntime => {
  built += 1;
  return createWorkerRuntime(ENV);
};
const neverBuilt = (): WorkerRuntime => {
  throw new Error('a malformed payload must not build the runtime');
};
const sqsRecord = (messageId: string, body: string) => ({ messageId, body, eventSource: 'aws:sqs' });

beforeEach(() => {
  for (const mock of [dynamodb, ses, secrets, sqs, sns, route53]) mock.reset();
  built = 0;
});

describe('worker: direct invocations', () => {
  it.each<[string, unknown, string, RegExp]>([
    [
      'an unknown action',
      { action: 'explode', domain: 'example.com' },
      'action',
      /action must be one of reconcile, status/,
    ],
    ['a missing domain', { action: 'status' }, 'domain', /domain must be a domain name/],
    ['an unknown field', { action: 'status', domain: 'example.com', force: true }, 'force', /force must be absent/],
    [
      'revoke without a selector',
      { action: 'revoke', domain: 'example.com' },
      'selector',
      /selector must be the selector of the compromised key/,
    ],
    ['not an object', 'status example.com', 'payload', /payload must be a JSON object/],
  ])('answers %s with a typed JSON error naming the field', async (_name, payload, field, message) => {
    const answer = await work(neverBuilt, payload);
    expect(answer).toEqual({
      status: 'error',
      error: { code: 'INVALID_PAYLOAD', field, message: expect.stringMatching(message) },
    });
    expect(JSON.stringify(answer)).not.toMatch(/\n\s+at /);
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('refuses an operator request for a domain that is not configured', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    const answer = await work(runtime, { action: 'status', domain: 'unknown.example.com', actor: 'alice' });
    expect(answer).toEqual({
      status: 'ok',
      domains: [
        expect.objectContaining({
          action: 'status',
          domain: 'unknown.example.com',
          outcome: 'refused',
          code: 'UNKNOWN_DOMAIN',
        }),
      ],
    });
    expect(dynamodb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({
      TableName: 'byodkim-dev-dkim-state',
      Key: { pk: { S: 'DOMAIN#unknown.example.com' }, sk: { S: 'SPEC' } },
    });
  });

  it('answers an AWS failure as a typed JSON error, without a stack trace', async () => {
    dynamodb.on(GetItemCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: dynamodb:GetItem'), {
        name: 'AccessDeniedException',
      }),
    );
    const answer = await work(runtime, { action: 'status', domain: 'example.com' });
    expect(answer).toMatchObject({ status: 'error', error: { code: 'ACCESS_DENIED' } });
    expect(JSON.stringify(answer)).not.toMatch(/\n\s+at /);
  });

  it('answers a worker without its environment with the missing variables', async () => {
    const answer = await work(() => createWorkerRuntime({ AWS_REGION: 'ap-northeast-1' }), {
      action: 'status',
      domain: 'example.com',
    });
    expect(answer).toMatchObject({
      status: 'error',
      error: { code: 'LAMBDA_ENVIRONMENT_INCOMPLETE', message: expect.stringContaining('BYODKIM_STATE_TABLE') },
    });
  });
});

describe('worker: SQS batches', () => {
  it('reports the malformed and failed messages only, and skips a domain that is no longer configured', async () => {
    dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'DOMAIN#gone.example.com' } } }).resolves({});
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'DOMAIN#broken.example.com' } } })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const message = (domain: string) =>
      JSON.stringify({ kind: 'reconcile', domain, enqueuedAt: '2026-12-01T00:00:00.000Z' });
    const answer = await work(runtime, {
      Records: [
        sqsRecord('1', message('gone.example.com')),
        sqsRecord('2', 'not json'),
        sqsRecord('3', JSON.stringify({ kind: 'reconcile', domain: 'example.com' })),
        sqsRecord('4', message('broken.example.com')),
      ],
    });
    expect(answer).toEqual({
      batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }, { itemIdentifier: '4' }],
    });
    expect(built).toBe(1);
  });
});

describe('worker: a domain in the steady state, and requeues', () => {
  const NOW = Date.UTC(2026, 11, 1);
  const DAY = 86_400_000;
  const DOMAIN = 'example.com';
  const KEY_ID = 'byodkim-dev-20261101-1';
  const publicKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'der' })
    .toString('base64');
  const spec = resolveDomainSpec(
    { domain: DOMAIN, dns: { kind: 'route53', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } },
    { selectorPrefix: 'byodkim-dev' },
  );
  /** Signing with a month-old key, everything in place: nothing to do. */
  const steady: DomainState = {
    domain: DOMAIN,
    version: 7,
    createdAt: NOW - 31 * DAY,
    updatedAt: NOW - 29 * DAY,
    adoption: { observedAt: NOW - 31 * DAY, origin: 'AWS_SES', signingEnabled: true, replacedAt: NOW - 29 * DAY },
    keys: [
      {
        keyId: KEY_ID,
        selector: KEY_ID,
        state: 'active',
        reason: 'first-activation',
        publicKey,
        createdAt: NOW - 31 * DAY,
        dnsRequestedAt: NOW - 31 * DAY,
        route53InSyncAt: NOW - 31 * DAY,
        dnsVerifiedAt: NOW - 31 * DAY,
        activatedAt: NOW - 29 * DAY,
      },
    ],
    notified: {},
    rotations: 1,
  };
  const stateItem = (state: DomainState): Record<string, AttributeValue> => ({
    [STATE_TABLE.partitionKey]: { S: `DOMAIN#${DOMAIN}` },
    [STATE_TABLE.sortKey]: { S: STATE_TABLE.stateSortKey },
    [STATE_TABLE.attributes.kind]: { S: STATE_TABLE.kinds.state },
    [STATE_TABLE.attributes.domain]: { S: DOMAIN },
    [STATE_TABLE.attributes.version]: { N: String(state.version) },
    [STATE_TABLE.attributes.updatedAt]: { N: String(state.updatedAt) },
    [STATE_TABLE.attributes.state]: { S: JSON.stringify(state) },
  });
  const published: DnsObserver = {
    lookupTxt: async (name) =>
      ['authoritative:ns-1', 'resolver:8.8.8.8'].map((server) => ({
        name,
        server,
        outcome: 'answer' as const,
        records: [splitIntoStrings(formatRecordValue(publicKey))],
        cnameChain: [],
        ttl: 300,
      })),
  };
  const steadyRuntime = () =>
    createWorkerRuntime(ENV, { clock: { now: () => NOW }, dnsObserver: published, logger: { log() {} } });
  const message = (id: string) =>
    sqsRecord(id, JSON.stringify({ kind: 'reconcile', domain: DOMAIN, enqueuedAt: '2026-12-01T00:00:00.000Z' }));

  beforeEach(() => {
    dynamodb.on(QueryCommand).resolves({
      Items: [JSON.parse(JSON.stringify(specItem(spec))) as Record<string, AttributeValue>, stateItem(steady)],
    });
    ses.on(GetEmailIdentityCommand).resolves({
      DkimAttributes: {
        SigningEnabled: true,
        Status: 'SUCCESS',
        SigningAttributesOrigin: 'EXTERNAL',
        Tokens: [KEY_ID],
      },
    });
    secrets.on(ListSecretsCommand).resolves({
      SecretList: [
        {
          Name: `byodkim-dev/${DOMAIN}/${KEY_ID}`,
          Description: secretDescription(publicKey),
          CreatedDate: new Date(NOW - 31 * DAY),
        },
      ],
    });
  });

  const done = (requeueAfterMs: number | undefined): reconciler.ReconcileResult => ({
    outcome: 'done',
    domain: DOMAIN,
    conflicts: 0,
    state: steady,
    steps: [],
    conditions: [],
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  });

  const awsCalls = () =>
    [dynamodb, ses, secrets, sqs, sns, route53].flatMap((mock) =>
      mock.calls().map((call) => call.args[0].constructor.name),
    );

  it('costs exactly 3 AWS calls: one Query for SPEC and STATE, GetEmailIdentity, ListSecrets (+ the batch’s heartbeat)', async () => {
    const answer = await work(steadyRuntime, { Records: [message('1')] });
    expect(answer).toEqual({ batchItemFailures: [] });
    // By client: DynamoDB (the Query, then the heartbeat's BatchWriteItem), SES, Secrets Manager.
    expect(awsCalls()).toEqual([
      'QueryCommand',
      'BatchWriteItemCommand',
      'GetEmailIdentityCommand',
      'ListSecretsCommand',
    ]);
    expect(dynamodb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      TableName: 'byodkim-dev-dkim-state',
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :s)',
      ExpressionAttributeValues: { ':pk': { S: 'DOMAIN#example.com' }, ':s': { S: 'S' } },
      ConsistentRead: true,
    });
  });

  it('writes the key manager’s heartbeat once per SQS batch: one BatchWriteItem for every domain that finished', async () => {
    const other = 'example.org';
    const records = [
      message('1'),
      message('2'),
      sqsRecord('3', JSON.stringify({ kind: 'reconcile', domain: other, enqueuedAt: '2026-12-01T00:00:00.000Z' })),
      sqsRecord('4', 'not json'),
    ];
    reconcile.mockResolvedValueOnce(done(undefined));
    reconcile.mockResolvedValueOnce({ ...done(undefined), outcome: 'failed' });
    reconcile.mockResolvedValueOnce({ ...done(undefined), domain: other });
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: `DOMAIN#${other}` }, ':s': { S: 'S' } } })
      .resolves({
        Items: [JSON.parse(JSON.stringify(specItem({ ...spec, domain: other }))) as Record<string, AttributeValue>],
      });
    expect(await work(steadyRuntime, { Records: records })).toEqual({ batchItemFailures: [{ itemIdentifier: '4' }] });
    const writes = dynamodb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input);
    expect(writes).toHaveLength(1);
    const items = writes[0]!.RequestItems!['byodkim-dev-dkim-state']!.map((r) => r.PutRequest!.Item);
    // The same domain twice in one batch: its latest run (one request per key, as BatchWriteItem requires).
    expect(items).toEqual([
      heartbeatItem(DOMAIN, new Date(NOW).toISOString(), 'failed'),
      heartbeatItem(other, new Date(NOW).toISOString(), 'done'),
    ]);
  });

  it('a heartbeat that cannot be written is logged, and the batch still succeeds', async () => {
    const lines: string[] = [];
    dynamodb.on(BatchWriteItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const runtime = (): WorkerRuntime => ({
      ...steadyRuntime(),
      logger: { log: (_level, event) => lines.push(event) },
    });
    reconcile.mockResolvedValueOnce(done(undefined));
    expect(await work(runtime, { Records: [message('1')] })).toEqual({ batchItemFailures: [] });
    expect(lines).toContain('worker.heartbeat-failed');
  });

  it.each<[string, number | undefined, number | undefined]>([
    ['waits 60 s: one message, delayed 60 s', 60_000, 60],
    ['waits 1.5 s: delayed 2 s (whole seconds, rounded up)', 1_500, 2],
    ['ran out of steps (0 ms): delayed the minimum, 1 s', 0, 1],
    ['waits 15 min: SQS’s longest delay', 15 * 60_000, 900],
    ['waits 2 h: nothing sent, the schedule comes first', 2 * 3_600_000, undefined],
    ['has nothing to wait for: nothing sent', undefined, undefined],
  ])('a reconcile that %s', async (_name, requeueAfterMs, delaySeconds) => {
    reconcile.mockResolvedValueOnce(done(requeueAfterMs));
    expect(await work(steadyRuntime, { Records: [message('1')] })).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual(
      delaySeconds === undefined
        ? []
        : [
            {
              QueueUrl: QUEUE_URL,
              DelaySeconds: delaySeconds,
              MessageBody: JSON.stringify({
                kind: 'reconcile',
                domain: DOMAIN,
                enqueuedAt: new Date(NOW).toISOString(),
              }),
            },
          ],
    );
  });

  it('hands the preloaded state to the engine: its first load reads nothing, later ones read the table', async () => {
    let ports: LifecyclePorts | undefined;
    reconcile.mockImplementationOnce(async (_spec, given) => {
      ports = given;
      return done(undefined);
    });
    await work(steadyRuntime, { Records: [message('1')] });
    dynamodb.resetHistory();
    expect(await ports!.stateStore.load(DOMAIN)).toEqual(steady);
    expect(dynamodb.calls()).toHaveLength(0);
    dynamodb.on(GetItemCommand).resolves({ Item: stateItem({ ...steady, version: 8 }) });
    expect(await ports!.stateStore.load(DOMAIN)).toEqual({ ...steady, version: 8 });
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input).toMatchObject({ ConsistentRead: true });
  });

  it('a failed requeue is logged, not a failed message (the schedule still comes)', async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    reconcile.mockResolvedValueOnce(done(45_000));
    expect(await work(steadyRuntime, { Records: [message('1')] })).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('a domain with nothing to do, and a failed message, are not requeued', async () => {
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': { S: 'DOMAIN#broken.example.com' } } })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const broken = sqsRecord(
      '2',
      JSON.stringify({ kind: 'reconcile', domain: 'broken.example.com', enqueuedAt: '2026-12-01T00:00:00.000Z' }),
    );
    const answer = await work(steadyRuntime, { Records: [message('1'), broken] });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(sqs.calls()).toHaveLength(0);
  });
});
