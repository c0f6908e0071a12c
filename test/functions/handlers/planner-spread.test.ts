/**
 * The planner spreads a run over time: domain i is released floor(i / rate) seconds after the run started,
 * through each message's DelaySeconds (at most the window, 900 s in SQS); a batch due beyond the window
 * waits until it is within it while the planner has time, and the rest is spread over the window when it
 * has none. Exact SendMessageBatch inputs, with a clock the planner's waits advance.
 */
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { LAMBDA_ENV } from '../../../functions/core/contract';
import { ValidationError } from '../../../functions/core/errors';
import {
  DEFAULT_PLAN_RATE,
  planDomains,
  readSpreadSettings,
  SQS_MAX_DELAY_SECONDS,
} from '../../../functions/handlers/planner';
import { createPlannerRuntime } from '../../../functions/handlers/runtime';

const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);

const QUEUE_URL = 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/byodkim-dev-dkim-work';
const ENV = {
  AWS_REGION: 'ap-northeast-1',
  [LAMBDA_ENV.environment]: 'dev',
  [LAMBDA_ENV.stateTable]: 'byodkim-dev-dkim-state',
  [LAMBDA_ENV.workQueueUrl]: QUEUE_URL,
  [LAMBDA_ENV.operatorTopicArn]: 'arn:aws:sns:ap-northeast-1:111111111111:byodkim-dev-dkim-operators',
};
const START = Date.parse('2026-12-01T00:00:00.000Z');
const ENQUEUED_AT = '2026-12-01T00:00:00.000Z';
const domains = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(2, '0')}.example.com`);

/** A planner whose clock only the planner's own waits move; what it sent, and when. */
function setup(n: number) {
  dynamodb
    .on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'SPEC' } } })
    .resolves({ Items: domains(n).map((domain) => ({ kind: { S: 'SPEC' }, domain: { S: domain } })) });
  dynamodb.on(QueryCommand, { ExpressionAttributeValues: { ':kind': { S: 'STATE' } } }).resolves({ Items: [] });
  let now = START;
  const sent: { at: number; entries: SendMessageBatchRequestEntry[] }[] = [];
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
    sent.push({ at: now, entries: input.Entries });
    return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
  });
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  };
  const logs: { level: string; event: string }[] = [];
  const runtime = {
    ...createPlannerRuntime(ENV),
    now: () => now,
    logger: { log: (level: string, event: string) => void logs.push({ level, event }) },
  };
  /** When each domain becomes visible on the queue (ms after the start). */
  const visible = () =>
    new Map(
      sent.flatMap(({ at, entries }) =>
        entries.map((e) => [JSON.parse(e.MessageBody!).domain as string, at + (e.DelaySeconds ?? 0) * 1000 - START]),
      ),
    );
  return { runtime, sleep, sleeps, sent, logs, visible };
}

const entry = (domain: string, id: number, delay: number): SendMessageBatchRequestEntry => ({
  Id: String(id),
  MessageBody: JSON.stringify({ kind: 'reconcile', domain, enqueuedAt: ENQUEUED_AT }),
  ...(delay > 0 ? { DelaySeconds: delay } : {}),
});

beforeEach(() => {
  dynamodb.reset();
  sqs.reset();
});

describe('planner: spreading a run over time', () => {
  it('gives domain i DelaySeconds floor(i / rate) when the whole run fits in the window', async () => {
    const { runtime, sleep, sleeps } = setup(13);
    await planDomains(runtime, { spread: { ratePerSecond: 2, windowSeconds: 900 }, sleep });
    const names = domains(13);
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, Entries: names.slice(0, 10).map((d, i) => entry(d, i, Math.floor(i / 2))) },
      { QueueUrl: QUEUE_URL, Entries: names.slice(10).map((d, i) => entry(d, i, Math.floor((10 + i) / 2))) },
    ]);
    expect(sleeps).toEqual([]);
  });

  it('sends no DelaySeconds at all for a fleet the rate releases at once', async () => {
    const { runtime, sleep } = setup(3);
    await planDomains(runtime, { spread: { ratePerSecond: DEFAULT_PLAN_RATE, windowSeconds: 900 }, sleep });
    expect(sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries).toEqual(
      domains(3).map((d, i) => entry(d, i, 0)),
    );
  });

  it('waits to send a batch due beyond the window until it is within it, while it has time', async () => {
    const { runtime, sleep, sleeps, sent, visible, logs } = setup(23);
    await planDomains(runtime, { spread: { ratePerSecond: 1, windowSeconds: 5 }, sleep, waitUntil: START + 60_000 });
    // Batch 1 (due 0–9 s) waits until its last is 5 s away (4 s), batch 2 (due 10–19 s) until 14 s, batch 3
    // (due 20–22 s) until 17 s.
    expect(sleeps).toEqual([4000, 10_000, 3000]);
    expect(sent.map((s) => s.at - START)).toEqual([4000, 14_000, 17_000]);
    expect(sent.map((s) => s.entries.map((e) => e.DelaySeconds ?? 0))).toEqual([
      [0, 0, 0, 0, 0, 1, 2, 3, 4, 5],
      [0, 0, 0, 0, 0, 1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    // Each domain visible at its due time, or when its batch could be sent: never earlier, never all at once.
    const at = visible();
    domains(23).forEach((d, i) => expect(at.get(d)).toBe(Math.max(i * 1000, sent[Math.floor(i / 10)].at - START)));
    expect(logs.filter((l) => l.event === 'planner.spread-compressed')).toEqual([]);
  });

  it('spreads the rest evenly over the window when it has no time to wait, and says so', async () => {
    const { runtime, sleep, sleeps, sent, visible, logs } = setup(23);
    const result = await planDomains(runtime, { spread: { ratePerSecond: 1, windowSeconds: 5 }, sleep });
    expect(result.enqueued).toBe(23);
    expect(sleeps).toEqual([]);
    // 23 domains over 5 s: 4.6 per second, domain i at floor(i / 4.6) s.
    expect(sent.map((s) => s.entries.map((e) => e.DelaySeconds ?? 0))).toEqual([
      [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
      [2, 2, 2, 2, 3, 3, 3, 3, 3, 4],
      [4, 4, 4],
    ]);
    const perSecond = new Map<number, number>();
    for (const ms of visible().values()) perSecond.set(ms, (perSecond.get(ms) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBe(5);
    expect(logs).toContainEqual({ level: 'warn', event: 'planner.spread-compressed' });
  });

  it('spreads the rest over the window beside what is already due in it, slower than the rate when few are left', async () => {
    const { runtime, sleep, sleeps, sent } = setup(30);
    await planDomains(runtime, { spread: { ratePerSecond: 4, windowSeconds: 5 }, sleep });
    expect(sleeps).toEqual([]);
    // Domains 0–19 are due within the window at 4 per second (0–4 s); 20–29 would be due at 5–7 s: the 10
    // left go over the whole window at 2 per second (4 + 2 at most in any second, never 8).
    expect(sent.map((s) => s.entries.map((e) => e.DelaySeconds ?? 0))).toEqual([
      [0, 0, 0, 0, 1, 1, 1, 1, 2, 2],
      [2, 2, 3, 3, 3, 3, 4, 4, 4, 4],
      [0, 0, 1, 1, 2, 2, 3, 3, 4, 4],
    ]);
  });

  it('waits part of the run, then spreads the rest over the window when its time runs out', async () => {
    const { runtime, sleep, sleeps, sent } = setup(23);
    await planDomains(runtime, { spread: { ratePerSecond: 1, windowSeconds: 5 }, sleep, waitUntil: START + 4000 });
    expect(sleeps).toEqual([4000]);
    // From 4 s on, the 13 left over the 5 s window: 2.6 per second.
    expect(sent.map((s) => s.entries.map((e) => e.DelaySeconds ?? 0))).toEqual([
      [0, 0, 0, 0, 0, 1, 2, 3, 4, 5],
      [0, 0, 0, 1, 1, 1, 2, 2, 3, 3],
      [3, 4, 4],
    ]);
  });
});

describe('planner: BYODKIM_PLAN_RATE and BYODKIM_PLAN_WINDOW_SECONDS', () => {
  it('defaults to the default rate and SQS’s longest delay', () => {
    expect(readSpreadSettings({})).toEqual({ ratePerSecond: DEFAULT_PLAN_RATE, windowSeconds: SQS_MAX_DELAY_SECONDS });
    expect(readSpreadSettings({ BYODKIM_PLAN_RATE: '2.5', BYODKIM_PLAN_WINDOW_SECONDS: '0' })).toEqual({
      ratePerSecond: 2.5,
      windowSeconds: 0,
    });
  });

  it.each([
    ['BYODKIM_PLAN_RATE', '0', 'greater than 0'],
    ['BYODKIM_PLAN_RATE', 'fast', 'greater than 0'],
    ['BYODKIM_PLAN_WINDOW_SECONDS', '901', "0 to 900 (SQS's longest message delay)"],
    ['BYODKIM_PLAN_WINDOW_SECONDS', '1.5', 'a whole number of seconds'],
    ['BYODKIM_PLAN_WINDOW_SECONDS', '-1', 'a whole number of seconds'],
  ])('refuses %s=%s, naming the variable, what it expects and the value given', (name, value, expected) => {
    let error: unknown;
    try {
      readSpreadSettings({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(name);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).toContain(expected);
    expect((error as Error).message).toContain(`given "${value}"`);
  });
});
