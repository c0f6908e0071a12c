/**
 * What the `byodkim` command line asks AWS for when it operates a deployed environment: the worker
 * Lambda's answer to an operator request (`Invoke`, RequestResponse) and the environment's alarms in
 * ALARM (`DescribeAlarms` by name prefix). Credentials come from the SDK's usual chain (environment, SSO,
 * `~/.aws` profiles, instance roles), or from the named profile.
 *
 * Errors are byodkim's (functions/core/errors.ts): {@link OperatorAwsError} says what failed, whether it
 * was access (credentials, permissions) or the service, and never carries a stack trace or the SDK's
 * raw object.
 */
import { CloudWatchClient, paginateDescribeAlarms, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { STATE_TABLE } from '../core/contract';
import { ByodkimError } from '../core/errors';
import { awsClientConfig, awsErrorName, classifyAwsError, mapAwsError } from './aws-errors';

/** Why a call from the command line failed. */
export type OperatorAwsErrorKind =
  /** No credentials, an expired token, an unknown profile. */
  | 'credentials'
  /** The caller may not do this (IAM). */
  | 'access-denied'
  /** The function (or another resource) does not exist: not deployed, another account or region. */
  | 'not-found'
  /** Throttled, 5xx, timeout, network. */
  | 'unavailable'
  /** Anything else the service refused. */
  | 'service';

export class OperatorAwsError extends ByodkimError {
  constructor(
    public readonly kind: OperatorAwsErrorKind,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ProviderError',
  'TokenProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
]);

function operatorError(error: unknown, service: string, action: string, resource: string): OperatorAwsError {
  const name = awsErrorName(error);
  if (CREDENTIAL_ERRORS.has(name) || /credential|profile|token/i.test(name)) {
    const detail = error instanceof Error ? error.message.split('\n')[0] : name;
    return new OperatorAwsError(
      'credentials',
      'NO_CREDENTIALS',
      `no usable AWS credentials for ${service} ${action} (${name}: ${detail}); sign in (e.g. aws sso login) or pass --profile`,
    );
  }
  const kind = classifyAwsError(error);
  if (kind === 'access-denied') {
    return new OperatorAwsError(
      'access-denied',
      'ACCESS_DENIED',
      `access denied: ${service} refused ${action} on ${resource} (${name}); your AWS identity needs permission for it`,
    );
  }
  const mapped = mapAwsError(error, { service, action, resource });
  if (kind === 'not-found')
    return new OperatorAwsError(
      'not-found',
      'NOT_FOUND',
      `${resource} was not found (${name}): is the environment deployed in this account and region?`,
    );
  if (kind === 'throttled' || kind === 'unavailable' || kind === 'timeout') {
    return new OperatorAwsError('unavailable', mapped.code, mapped.message);
  }
  return new OperatorAwsError('service', mapped.code, mapped.message);
}

export interface OperatorAwsOptions {
  readonly region: string;
  /** A named profile of the shared config files; default: the SDK's chain. */
  readonly profile?: string;
}

/** The raw result of invoking a function: its payload (parsed JSON) and the Lambda's own error, if any. */
export interface InvokeResult {
  /** The function's answer, parsed; undefined when it returned nothing. */
  readonly payload: unknown;
  /** Set when the function threw (`Unhandled`) or Lambda failed it: the payload is then Lambda's error object. */
  readonly functionError?: string;
}

/** Invokes a Lambda function synchronously (RequestResponse) with a JSON payload. */
export class LambdaInvoker {
  readonly client: LambdaClient;

  constructor(options: OperatorAwsOptions, client?: LambdaClient) {
    // One attempt: an operator command must not be sent twice by an SDK retry (the worker answers `busy`
    // itself when it loses races; a timeout is reported and the operator decides).
    this.client =
      client ??
      new LambdaClient({
        ...awsClientConfig({}, { region: options.region, maxAttempts: 1 }),
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 900_000 },
        ...(options.profile ? { profile: options.profile } : {}),
      });
  }

  async invoke(functionName: string, payload: unknown): Promise<InvokeResult> {
    let output;
    try {
      output = await this.client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
    } catch (error) {
      throw operatorError(error, 'Lambda', 'Invoke', `function ${functionName}`);
    }
    const text = output.Payload ? new TextDecoder().decode(output.Payload) : '';
    let parsed: unknown;
    if (text.trim() !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new OperatorAwsError(
          'service',
          'INVALID_ANSWER',
          `function ${functionName} answered with something that is not JSON (${text.length} bytes)`,
        );
      }
    }
    return { payload: parsed, ...(output.FunctionError ? { functionError: output.FunctionError } : {}) };
  }
}

/** One CloudWatch alarm in ALARM. */
export interface FiringAlarm {
  readonly name: string;
  readonly reason: string;
  /** When it went into ALARM (ISO 8601). */
  readonly since?: string;
  readonly description?: string;
}

/** Lists the alarms in ALARM whose names start with a prefix (every page). */
export class AlarmReader {
  readonly client: CloudWatchClient;

  constructor(options: OperatorAwsOptions, client?: CloudWatchClient) {
    this.client =
      client ??
      new CloudWatchClient({
        ...awsClientConfig({}, { region: options.region }),
        ...(options.profile ? { profile: options.profile } : {}),
      });
  }

  async firing(prefix: string): Promise<FiringAlarm[]> {
    const alarms: MetricAlarm[] = [];
    try {
      for await (const page of paginateDescribeAlarms(
        { client: this.client },
        { AlarmNamePrefix: prefix, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
      )) {
        alarms.push(...(page.MetricAlarms ?? []), ...((page.CompositeAlarms ?? []) as MetricAlarm[]));
      }
    } catch (error) {
      throw operatorError(error, 'CloudWatch', 'DescribeAlarms', `alarms ${prefix}*`);
    }
    return alarms.map((a) => ({
      name: a.AlarmName ?? '(unnamed)',
      reason: a.StateReason ?? '',
      ...(a.StateUpdatedTimestamp ? { since: a.StateUpdatedTimestamp.toISOString() } : {}),
      ...(a.AlarmDescription ? { description: a.AlarmDescription } : {}),
    }));
  }
}

/** Reads a month's REPORT item (the report Lambda's JSON) from the environment's state table. */
export class ReportReader {
  readonly client: DynamoDBClient;

  constructor(options: OperatorAwsOptions, client?: DynamoDBClient) {
    this.client =
      client ??
      new DynamoDBClient({
        ...awsClientConfig({}, { region: options.region }),
        ...(options.profile ? { profile: options.profile } : {}),
      });
  }

  /** The report's JSON text of `month` (`YYYY-MM`), undefined when there is no item. */
  async read(tableName: string, month: string): Promise<string | undefined> {
    try {
      const output = await this.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: {
            [STATE_TABLE.partitionKey]: { S: STATE_TABLE.reportPartitionKey },
            [STATE_TABLE.sortKey]: { S: month },
          },
          ConsistentRead: true,
        }),
      );
      return output.Item?.[STATE_TABLE.attributes.report]?.S;
    } catch (error) {
      throw operatorError(error, 'DynamoDB', 'GetItem', `the REPORT item ${month} of table ${tableName}`);
    }
  }
}
