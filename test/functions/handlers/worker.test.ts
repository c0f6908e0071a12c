import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LAMBDA_ENV } from '../../../functions/core/contract';
import { createWorkerRuntime, type WorkerRuntime } from '../../../functions/handlers/runtime';
import { work } from '../../../functions/handlers/worker';

const dynamodb = mockClient(DynamoDBClient);

const ENV = {
  AWS_REGION: 'ap-northeast-1',
  [LAMBDA_ENV.environment]: 'dev',
  [LAMBDA_ENV.stateTable]: 'byodkim-dev-dkim-state',
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
  dynamodb.reset();
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
    dynamodb.on(GetItemCommand, { Key: { pk: { S: 'DOMAIN#gone.example.com' } } }).resolves({});
    dynamodb
      .on(GetItemCommand, { Key: { pk: { S: 'DOMAIN#broken.example.com' } } })
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
