/**
 * The state table as the monitor and the report see it (functions/core/contract.ts `STATE_TABLE`):
 *
 * - {@link DynamoDbMonitorReader} — read only: the configured domains (the sparse `kind-index`, `kind =
 *   SPEC`, paginated), and per domain ONE Query of its partition for the SPEC, STATE and HEARTBEAT items
 *   (`sk BETWEEN 'HEARTBEAT' AND 'STATE'`: the three sort keys sort together, the `EVENT#…` items before
 *   them), and the audit events of a time range (the report's month).
 * - {@link DynamoDbReportWriter} — the report's one write: the month's REPORT item (pk `REPORT`, the only
 *   key the report role may write, `dynamodb:LeadingKeys`).
 * - {@link SnsTopicPublisher} — one message to the MonitoringSuite's topic (ASCII subject).
 *
 * The key manager's heartbeat writer is `writeHeartbeats` in dynamodb.ts (the worker's side).
 */
import {
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STATE_TABLE, domainPartitionKey, reportItem } from '../core/contract';
import { ServiceError } from '../core/errors';
import type { DomainSpec } from '../core/spec';
import type { DomainState } from '../lifecycle/state';
import { awsClientConfig, callAws } from './aws-errors';
import { listKind, parseSpecItem, parseStateItem } from './dynamodb';

const SERVICE = 'DynamoDB';
const A = STATE_TABLE.attributes;

/** The key manager's last finished run of a domain, as the HEARTBEAT item holds it. */
export interface HeartbeatRecord {
  /** Epoch milliseconds. */
  readonly lastRunAt: number;
  readonly outcome: string;
}

/** One domain's items the monitor reads. */
export interface MonitoredDomain {
  readonly spec: DomainSpec | undefined;
  readonly state: DomainState | undefined;
  readonly heartbeat: HeartbeatRecord | undefined;
}

/** An audit event as the report reads it. */
export interface StoredEvent {
  readonly at: number;
  readonly policy: string;
  readonly message: string;
  readonly actions: readonly string[];
}

export interface DynamoDbMonitorReaderOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
  /** Items per page of the index Query. @default DynamoDB's (1 MB) */
  readonly pageSize?: number;
}

/** A HEARTBEAT item whose time is not an ISO 8601 time is reported, not guessed. */
function parseHeartbeat(domain: string, item: Record<string, AttributeValue>): HeartbeatRecord {
  const at = Date.parse(item[A.lastRunAt]?.S ?? '');
  if (Number.isNaN(at)) {
    throw new ServiceError(
      'HEARTBEAT_ITEM_INVALID',
      `the heartbeat item of ${domain} (${domainPartitionKey(domain)} / ${STATE_TABLE.heartbeatSortKey}) has no ISO 8601 \`${A.lastRunAt}\``,
      SERVICE,
    );
  }
  return { lastRunAt: at, outcome: item[A.outcome]?.S ?? 'unknown' };
}

export class DynamoDbMonitorReader {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly pageSize: number | undefined;

  constructor(options: DynamoDbMonitorReaderOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? new DynamoDBClient(awsClientConfig());
    this.pageSize = options.pageSize;
  }

  /** Every configured domain (SPEC items), from the sparse kind-index, every page read. */
  async listDomains(): Promise<string[]> {
    return listKind(this.client, this.tableName, STATE_TABLE.kinds.spec, this.pageSize);
  }

  /**
   * The domain's SPEC, STATE and HEARTBEAT items in one Query (eventually consistent: the monitor looks
   * hourly, a second's lag does not matter).
   */
  async readDomain(domain: string): Promise<MonitoredDomain> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await callAws(
        {
          service: SERVICE,
          action: 'Query',
          resource: `table ${this.tableName} items ${domainPartitionKey(domain)} SPEC, STATE and HEARTBEAT`,
        },
        () =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
              ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey, '#sk': STATE_TABLE.sortKey },
              ExpressionAttributeValues: {
                ':pk': { S: domainPartitionKey(domain) },
                ':first': { S: STATE_TABLE.heartbeatSortKey },
                ':last': { S: STATE_TABLE.stateSortKey },
              },
              ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
            }),
          ),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    const bySortKey = (sk: string) => items.find((item) => item[STATE_TABLE.sortKey]?.S === sk);
    const spec = bySortKey(STATE_TABLE.specSortKey);
    const state = bySortKey(STATE_TABLE.stateSortKey);
    const heartbeat = bySortKey(STATE_TABLE.heartbeatSortKey);
    return {
      spec: spec === undefined ? undefined : parseSpecItem(domain, spec),
      state: state === undefined ? undefined : parseStateItem(domain, state),
      heartbeat: heartbeat === undefined ? undefined : parseHeartbeat(domain, heartbeat),
    };
  }

  /** The domain's audit events with `from <= at < to` (epoch ms), every page read. */
  async events(domain: string, from: number, to: number): Promise<StoredEvent[]> {
    const events: StoredEvent[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await callAws(
        {
          service: SERVICE,
          action: 'Query',
          resource: `table ${this.tableName} events of ${domainPartitionKey(domain)}`,
        },
        () =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :event)',
              FilterExpression: '#at >= :from AND #at < :to',
              ExpressionAttributeNames: { '#pk': STATE_TABLE.partitionKey, '#sk': STATE_TABLE.sortKey, '#at': 'at' },
              ExpressionAttributeValues: {
                ':pk': { S: domainPartitionKey(domain) },
                ':event': { S: STATE_TABLE.eventSortKeyPrefix },
                ':from': { N: String(from) },
                ':to': { N: String(to) },
              },
              ...(start !== undefined ? { ExclusiveStartKey: start } : {}),
            }),
          ),
      );
      for (const item of page.Items ?? []) {
        const event = unmarshall(item) as Partial<StoredEvent>;
        if (typeof event.at !== 'number') continue;
        events.push({
          at: event.at,
          policy: typeof event.policy === 'string' ? event.policy : '',
          message: typeof event.message === 'string' ? event.message : '',
          actions: Array.isArray(event.actions) ? event.actions.filter((a) => typeof a === 'string') : [],
        });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return events;
  }
}

export interface DynamoDbReportWriterOptions {
  readonly tableName: string;
  readonly client?: DynamoDBClient;
}

/** Writes the month's REPORT item (pk `REPORT`, sk `<YYYY-MM>`); a second run of the month replaces it. */
export class DynamoDbReportWriter {
  readonly tableName: string;
  private readonly client: DynamoDBClient;

  constructor(options: DynamoDbReportWriterOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? new DynamoDBClient(awsClientConfig());
  }

  async put(year: number, month: number, reportJson: string, generatedAt: string): Promise<void> {
    const item = reportItem(year, month, reportJson, generatedAt);
    await callAws(
      {
        service: SERVICE,
        action: 'PutItem',
        resource: `table ${this.tableName} item ${STATE_TABLE.reportPartitionKey} / ${item[STATE_TABLE.sortKey]!.S}`,
      },
      () => this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item })),
    );
  }
}

export interface SnsTopicPublisherOptions {
  readonly topicArn: string;
  readonly client?: SNSClient;
}

/** Publishes to one topic (the MonitoringSuite's). The subject must already be ASCII, ≤ 100 characters. */
export class SnsTopicPublisher {
  readonly topicArn: string;
  private readonly client: SNSClient;

  constructor(options: SnsTopicPublisherOptions) {
    this.topicArn = options.topicArn;
    this.client = options.client ?? new SNSClient(awsClientConfig());
  }

  async publish(subject: string, message: string): Promise<string | undefined> {
    const answer = await callAws({ service: 'SNS', action: 'Publish', resource: `topic ${this.topicArn}` }, () =>
      this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: subject, Message: message })),
    );
    return answer.MessageId;
  }
}
