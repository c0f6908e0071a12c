/**
 * The composition root of the Lambdas: reads the environment the construct sets (LAMBDA_ENV, with
 * readLambdaEnvironment: a missing variable is one error naming every one that is missing) and builds the
 * adapters once per container, so warm invocations reuse clients, connections and cached name servers.
 *
 * Environment variables (set by DkimRotationSchedule; none ever holds key material):
 *
 * | Variable | Planner | Worker | What |
 * | --- | --- | --- | --- |
 * | `BYODKIM_ENVIRONMENT` | yes | yes | the `Environment` metric dimension |
 * | `BYODKIM_STATE_TABLE` | yes | yes | the state table (SPEC, STATE and EVENT items) |
 * | `BYODKIM_WORK_QUEUE_URL` | yes | yes | the work queue: the planner fills it; the worker sends a domain back to it, delayed, when the engine asks to run again within 15 min |
 * | `BYODKIM_OPERATOR_TOPIC_ARN` | yes | yes | operator notices (SNS); the planner's orphaned-domain report |
 * | `BYODKIM_PLAN_RATE` | optional | | domains released per second (default 8; planner.ts) |
 * | `BYODKIM_PLAN_WINDOW_SECONDS` | optional | | the longest message delay, 0–900 s (default 900) |
 * | `BYODKIM_SECRET_PREFIX` | | yes | secrets are `<prefix>/<domain>/<keyId>` |
 * | `BYODKIM_KEY_STORE_KEY_ARN` | | yes | the KMS key new secrets are encrypted with |
 * | `BYODKIM_DNS_TEAM_SENDER` | | yes | the SES sender of DNS-team change requests |
 * | `BYODKIM_OPERATOR_REPLY_TO` | | optional | the operators' addresses, comma-separated: `Reply-To` of DNS-team mail |
 * | `BYODKIM_RESOLVERS` | | optional | recursive resolvers, comma-separated `host[:port]` (default: 8.8.8.8, 1.1.1.1, 9.9.9.9) |
 * | `BYODKIM_AUTHORITATIVE_SERVERS` | | optional | authoritative servers asked instead of NS discovery, comma-separated `host[:port]` (split horizon, tests) |
 * | `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE` | yes | yes | Powertools' own |
 * | `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>` | yes | yes | the SDK's own: any AWS-compatible endpoint |
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LAMBDA_ENV, readLambdaEnvironment } from '../core/contract';
import type { LifecyclePorts, Logger, Metrics } from '../lifecycle/ports';
import { awsClientConfig } from '../adapters/aws-errors';
import { NetworkDnsObserver } from '../adapters/dns-observer';
import { DynamoDbSpecStore, DynamoDbStateStore, writeHeartbeats, type HeartbeatEntry } from '../adapters/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DkimKeyGenerator } from '../adapters/key-generator';
import { AwsNotifier } from '../adapters/notifier';
import { PowertoolsLogger, PowertoolsMetrics } from '../adapters/powertools';
import { Route53ZoneWriter } from '../adapters/route53';
import { SecretsManagerKeyStore } from '../adapters/secrets-manager';
import { SesV2IdentityDkim } from '../adapters/ses';

type Env = Readonly<Record<string, string | undefined>>;

/** What the planner needs. */
export interface PlannerRuntime {
  readonly environment: string;
  readonly specs: Pick<DynamoDbSpecStore, 'listDomains'>;
  readonly states: Pick<DynamoDbStateStore, 'listDomains'>;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Operator notices: the orphaned-domain report. */
  readonly sns: SNSClient;
  readonly operatorTopicArn: string;
  readonly logger: Logger;
  readonly metrics: Metrics & { flush(): void };
  readonly now: () => number;
}

/** What the worker needs: the lifecycle's ports, the domains' specs and the work queue (delayed requeues). */
export interface WorkerRuntime {
  readonly environment: string;
  readonly ports: LifecyclePorts;
  readonly specs: Pick<DynamoDbSpecStore, 'getSpec' | 'loadDomain'>;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly logger: Logger;
  readonly metrics: Metrics & { flush(): void };
  /** The key manager's heartbeat: one BatchWriteItem per SQS batch (absent: none written). */
  readonly heartbeats?: { write(entries: readonly HeartbeatEntry[]): ReturnType<typeof writeHeartbeats> };
}

/** Comma-separated list, empty entries dropped; undefined when the variable is unset or empty. */
export function listVariable(value: string | undefined): string[] | undefined {
  const items = (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  return items.length > 0 ? items : undefined;
}

export function createPlannerRuntime(env: Env = process.env): PlannerRuntime {
  const vars = readLambdaEnvironment(env, ['environment', 'stateTable', 'workQueueUrl', 'operatorTopicArn']);
  const logger = new PowertoolsLogger({ environment: vars.environment });
  const metrics = new PowertoolsMetrics({ environment: vars.environment, logger });
  return {
    environment: vars.environment,
    specs: new DynamoDbSpecStore({ tableName: vars.stateTable }),
    states: new DynamoDbStateStore({ tableName: vars.stateTable }),
    sqs: new SQSClient(awsClientConfig(env)),
    queueUrl: vars.workQueueUrl,
    sns: new SNSClient(awsClientConfig(env)),
    operatorTopicArn: vars.operatorTopicArn,
    logger,
    metrics,
    now: () => Date.now(),
  };
}

/**
 * The worker's runtime. `overrides` replaces ports, for tests only (an injected clock, a DNS observer
 * pointed at loopback servers): the Lambda entry point never passes it.
 */
export function createWorkerRuntime(env: Env = process.env, overrides: Partial<LifecyclePorts> = {}): WorkerRuntime {
  const vars = readLambdaEnvironment(env, [
    'environment',
    'stateTable',
    'workQueueUrl',
    'secretPrefix',
    'keyStoreKeyArn',
    'operatorTopicArn',
    'dnsTeamSender',
  ]);
  const logger = new PowertoolsLogger({ environment: vars.environment });
  const metrics = new PowertoolsMetrics({ environment: vars.environment, logger });
  const resolvers = listVariable(env[LAMBDA_ENV.resolvers]);
  const authoritative = listVariable(env[LAMBDA_ENV.authoritativeServers]);
  const replyTo = listVariable(env[LAMBDA_ENV.operatorReplyTo]);
  const heartbeatClient = new DynamoDBClient(awsClientConfig(env));
  const ports: LifecyclePorts = {
    clock: { now: () => Date.now() },
    ses: new SesV2IdentityDkim(),
    dnsWriter: new Route53ZoneWriter(),
    dnsObserver: new NetworkDnsObserver({
      ...(resolvers ? { resolvers } : {}),
      ...(authoritative ? { authoritative } : {}),
    }),
    keyStore: new SecretsManagerKeyStore({ prefix: vars.secretPrefix, kmsKeyId: vars.keyStoreKeyArn }),
    keyGenerator: new DkimKeyGenerator(),
    stateStore: new DynamoDbStateStore({ tableName: vars.stateTable }),
    notifier: new AwsNotifier({
      sender: vars.dnsTeamSender,
      ...(replyTo ? { replyTo } : {}),
      operatorTopicArn: vars.operatorTopicArn,
      logger,
    }),
    metrics,
    logger,
    ...overrides,
  };
  return {
    environment: vars.environment,
    ports,
    specs: new DynamoDbSpecStore({ tableName: vars.stateTable }),
    sqs: new SQSClient(awsClientConfig(env)),
    queueUrl: vars.workQueueUrl,
    logger,
    metrics,
    heartbeats: { write: (entries) => writeHeartbeats(heartbeatClient, vars.stateTable, entries) },
  };
}

/** One value per container, built on first use (a failed build is not kept: the next invocation tries again). */
export function perContainer<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
