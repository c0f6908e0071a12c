import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LAMBDA_ENV, parseWorkerPayload } from '../../../functions/core/contract';
import { planDomains, SQS_BATCH_SIZE } from '../../../functions/handlers/planner';
import { createPlannerRuntime } from '../../../functions/handlers/runtime';

const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);

const ENV = {
  AWS_REGION: 'ap-northeast-1',
  [LAMBDA_ENV.environment]: 'dev',
  [LAMBDA_ENV.stateTable]: 'byodkim-dev-dkim-state',
  [LAMBDA_ENV.workQueueUrl]: 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/byodkim-dev-dkim-work',
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
    expect(result).toEqual({ domains: 23, enqueued: 23, failed: [], orphaned: [] });
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

  it('refuses to start without its environment, naming every missing variable', () => {
    expect(() => createPlannerRuntime({ AWS_REGION: 'ap-northeast-1' })).toThrow(
      /BYODKIM_ENVIRONMENT, BYODKIM_STATE_TABLE, BYODKIM_WORK_QUEUE_URL/,
    );
  });
});
