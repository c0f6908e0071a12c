import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LAMBDA_ENV, parseWorkerPayload } from '../../../functions/core/contract';
import {
  ORPHAN_NOTICE_MAX_LISTED,
  orphanNotice,
  planDomains,
  SQS_BATCH_SIZE,
} from '../../../functions/handlers/planner';
import { createPlannerRuntime } from '../../../functions/handlers/runtime';

const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const sns = mockClient(SNSClient);

const ENV = {
  AWS_REGION: 'ap-northeast-1',
  [LAMBDA_ENV.environment]: 'dev',
  [LAMBDA_ENV.stateTable]: 'byodkim-dev-dkim-state',
  [LAMBDA_ENV.workQueueUrl]: 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/byodkim-dev-dkim-work',
  [LAMBDA_ENV.operatorTopicArn]: 'arn:aws:sns:ap-northeast-1:111111111111:byodkim-dev-dkim-operators',
};
const NOW = Date.parse('2026-12-01T00:00:00.000Z');
const domains = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(2, '0')}.example.com`);
const items = (names: string[]) => names.map((domain) => ({ kind: { S: 'SPEC' }, domain: { S: domain } }));

function runtime() {
  return { ...createPlannerRuntime(ENV), now: () => NOW };
}

beforeEach(() => {
  dynamodb.reset();
  sqs.reset();
  sns.reset();
  sqs
    .on(SendMessageBatchCommand)
    .callsFake((input) => ({ Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] }));
});

describe('planner', () => {
  it('enqueues one ReconcileMessage per configured domain, ten per SendMessageBatch', async () => {
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'SPEC' } } })
      .resolves({ Items: items(domains(23)) });
    dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'STATE' } } }).resolves({ Items: [] });
    const result = await planDomains(runtime());
    expect(result).toEqual({ domains: 23, enqueued: 23, failed: [], orphaned: [], orphanReport: 'none' });
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([SQS_BATCH_SIZE, SQS_BATCH_SIZE, 3]);
    expect(calls[0].args[0].input.QueueUrl).toBe(ENV[LAMBDA_ENV.workQueueUrl]);
    const bodies = calls.flatMap((c) => c.args[0].input.Entries!.map((e) => JSON.parse(e.MessageBody!)));
    expect(bodies.map((b) => b.domain)).toEqual(domains(23));
    expect(bodies[0]).toEqual({ kind: 'reconcile', domain: 'd00.example.com', enqueuedAt: '2026-12-01T00:00:00.000Z' });
    for (const body of bodies) expect(parseWorkerPayload(body)).toEqual(body);
  });

  it('lists the configured domains through the kind index', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: [] });
    await planDomains(runtime());
    expect(dynamodb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      TableName: 'byodkim-dev-dkim-state',
      IndexName: 'kind-index',
      ExpressionAttributeValues: { ':kind': { S: 'SPEC' } },
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('sends an entry SQS refused once more, and reports one refused twice', async () => {
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'SPEC' } } })
      .resolves({ Items: items(domains(3)) });
    dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'STATE' } } }).resolves({ Items: [] });
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm', MD5OfMessageBody: 'x' }],
        Failed: [
          { Id: '1', Code: 'InternalError', SenderFault: false },
          { Id: '2', Code: 'InternalError', SenderFault: false },
        ],
      })
      .resolvesOnce({
        Successful: [{ Id: '1', MessageId: 'm', MD5OfMessageBody: 'x' }],
        Failed: [{ Id: '2', Code: 'InternalError', SenderFault: false }],
      });
    const result = await planDomains(runtime());
    expect(result).toMatchObject({ enqueued: 2, failed: ['d02.example.com'] });
    expect(sqs.commandCalls(SendMessageBatchCommand)[1].args[0].input.Entries!.map((e) => e.Id)).toEqual(['1', '2']);
  });

  it('names domains with state but no spec as orphaned, and does not enqueue them', async () => {
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'SPEC' } } })
      .resolves({ Items: items(['a.example.com']) });
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'STATE' } } })
      .resolves({ Items: items(['a.example.com', 'gone.example.com']) });
    const result = await planDomains(runtime());
    expect(result.orphaned).toEqual(['gone.example.com']);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries).toHaveLength(1);
  });

  it('reports orphaned domains to operators on the SNS topic: one notice per run listing them all', async () => {
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'SPEC' } } })
      .resolves({ Items: items(['a.example.com']) });
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'STATE' } } })
      .resolves({ Items: items(['a.example.com', 'gone.example.com', 'old.example.net']) });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const result = await planDomains(runtime());
    expect(result).toMatchObject({ orphaned: ['gone.example.com', 'old.example.net'], orphanReport: 'sent' });
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.TopicArn).toBe(ENV[LAMBDA_ENV.operatorTopicArn]);
    expect(input.Subject).toBe('[byodkim] WARNING dev: 2 orphaned domains (not configured, kept)');
    expect(input.Subject).toMatch(/^[\x20-\x7e]{1,100}$/);
    expect(input.Message).toContain('- gone.example.com\n- old.example.net');
    expect(input.Message).toContain('Nothing was torn down');
    expect(input.Message).toContain('何も削除していません');
  });

  it('sends no notice when nothing is orphaned', async () => {
    dynamodb.on(QueryCommand).resolves({ Items: items(['a.example.com']) });
    const result = await planDomains(runtime());
    expect(result).toMatchObject({ orphaned: [], orphanReport: 'none' });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('still enqueues the configured domains when the orphan notice cannot be published', async () => {
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'SPEC' } } })
      .resolves({ Items: items(['a.example.com']) });
    dynamodb
      .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'STATE' } } })
      .resolves({ Items: items(['gone.example.com']) });
    sns.on(PublishCommand).rejects(Object.assign(new Error('denied'), { name: 'AuthorizationErrorException' }));
    const result = await planDomains(runtime());
    expect(result).toMatchObject({ enqueued: 1, orphaned: ['gone.example.com'], orphanReport: 'failed' });
  });

  it('lists at most ORPHAN_NOTICE_MAX_LISTED domains in one notice and counts the rest', () => {
    const many = domains(ORPHAN_NOTICE_MAX_LISTED + 5);
    const notice = orphanNotice('prod', many);
    expect(notice.subject).toBe(`[byodkim] WARNING prod: ${many.length} orphaned domains (not configured, kept)`);
    expect(notice.message.split('\n').filter((line) => line.startsWith('- d'))).toHaveLength(ORPHAN_NOTICE_MAX_LISTED);
    expect(notice.message).toContain('- ... and 5 more');
    expect(orphanNotice('dev', ['x.example.com']).subject).toBe(
      '[byodkim] WARNING dev: 1 orphaned domain (not configured, kept)',
    );
  });

  it('refuses to start without its environment, naming every missing variable', () => {
    expect(() => createPlannerRuntime({ AWS_REGION: 'ap-northeast-1' })).toThrow(
      /BYODKIM_ENVIRONMENT, BYODKIM_STATE_TABLE, BYODKIM_WORK_QUEUE_URL, BYODKIM_OPERATOR_TOPIC_ARN/,
    );
  });
});
