/**
 * The one place that turns an AWS SDK v3 error into byodkim's error hierarchy (functions/core/errors.ts),
 * and the settings every AWS client of the runtime is created with.
 *
 * | What the SDK threw | byodkim error |
 * | --- | --- |
 * | throttling: `ThrottlingException`, `Throttling`, `TooManyRequestsException`, `PriorRequestNotComplete`, `RequestLimitExceeded`, `ProvisionedThroughputExceededException`, … | `TransientError('THROTTLED')` |
 * | a 5xx (`$fault: 'server'`, `InternalFailure`, `ServiceUnavailable`, …), a connection refused or unreachable | `TransientError('SERVICE_UNAVAILABLE')` |
 * | a timeout or a connection cut mid-call (`TimeoutError`, `RequestTimeout`, `ECONNRESET`, `ETIMEDOUT`, `AbortError`, …) | `TransientError('TIMEOUT')` — the call may or may not have taken effect |
 * | `AccessDenied`, `AccessDeniedException`, … | `ServiceError('ACCESS_DENIED')` naming the action (command) and the resource |
 * | `ValidationException`, `InvalidParameterValue`, `InvalidParameterException`, `InvalidInput`, `InvalidChangeBatch`, `BadRequestException`, … | `ServiceError('INVALID_REQUEST')` naming the field (and the value, unless the call carries a secret) |
 * | `NotFoundException`, `ResourceNotFoundException`, `NoSuchHostedZone`, … | `ServiceError('NOT_FOUND')` |
 * | anything else | `ServiceError(<the SDK's error name>)` |
 *
 * Retries: the clients retry throttling, 5xx and timeouts themselves (`retryMode: 'adaptive'`, a few
 * attempts, {@link awsClientConfig}); what still fails is a `TransientError` the engine backs off from. Nothing
 * is retried beyond that here.
 *
 * Invariant 6 (docs/design.md §4): no message built here carries a request input that may hold key material.
 * A call made with a secret (`sensitive`) never repeats the SDK's message (AWS echoes invalid values in it:
 * "Value '…' at 'domainSigningPrivateKey' failed to satisfy constraint"), only the error's name and the
 * field it names; every other message has the secrets it was given, and any long base64 run, replaced by
 * `[redacted]`. The SDK error is never attached as `cause` (its text is not ours to control).
 */
import { ByodkimError, ServiceError, TransientError } from '../core/errors';

/** What an AWS call was: named in every error it produces. */
export interface AwsCall {
  /** The service as operators know it: `SES`, `Route 53`, `Secrets Manager`, … */
  readonly service: string;
  /** The API action, i.e. the command's name without `Command`: `PutEmailIdentityDkimAttributes`. */
  readonly action: string;
  /** The resource acted on, in words or as an id: `identity example.com`, `hosted zone Z123`. Never a secret. */
  readonly resource: string;
  /**
   * The call's input holds key material (or other secrets): the SDK's message is dropped, and these values
   * are redacted from anything else that could be shown.
   */
  readonly sensitive?: readonly string[];
}

/** The SDK's error name (`ThrottlingException`), or the Node.js error code (`ECONNRESET`), or `Error`. */
export function awsErrorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Error';
  const { name, code, Code } = error as { name?: unknown; code?: unknown; Code?: unknown };
  if (typeof name === 'string' && name !== 'Error' && name.length > 0) return name;
  if (typeof code === 'string' && code.length > 0) return code;
  if (typeof Code === 'string' && Code.length > 0) return Code;
  return 'Error';
}

/** Every `awsErrorName` that `isAwsError` matches counts, e.g. a service-specific subclass. */
export function isAwsError(error: unknown, ...names: readonly string[]): boolean {
  return names.includes(awsErrorName(error));
}

/** Error names AWS services use for "slow down" (the SDK's own list, plus Route 53's and Secrets Manager's). */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceeded',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** 5xx by name, for errors that arrive without HTTP metadata. */
const UNAVAILABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceError',
  'InternalServiceErrorException',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'ECONNREFUSED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/** The call may or may not have taken effect. */
const TIMEOUT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const ACCESS_DENIED_ERROR_NAMES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AccessDeniedError',
  'NotAuthorized',
  'NotAuthorizedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  'AuthorizationErrorException',
]);

const VALIDATION_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ValidationException',
  'ValidationError',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterException',
  'InvalidParameterCombination',
  'InvalidParameter',
  'InvalidInput',
  'InvalidArgument',
  'InvalidChangeBatch',
  'InvalidRequestException',
  'BadRequestException',
  'MalformedPolicyDocumentException',
  'InvalidDomainName',
  'InvalidPaginationToken',
  'InvalidNextTokenException',
]);

const NOT_FOUND_ERROR_NAMES: ReadonlySet<string> = new Set([
  'NotFoundException',
  'ResourceNotFoundException',
  'NoSuchHostedZone',
  'NoSuchChange',
  'NoSuchKey',
  'NotFound',
]);

interface SdkErrorShape {
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown; readonly requestId?: unknown };
  readonly $retryable?: { readonly throttling?: unknown };
  readonly $response?: { readonly statusCode?: unknown };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

function httpStatus(error: unknown): number | undefined {
  const { $metadata, $response } = shape(error);
  const status = $metadata?.httpStatusCode ?? $response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

const REDACTED = '[redacted]';
/** A run of base64 this long is key material or a token, never something an operator needs to read. */
const LONG_BASE64 = /[A-Za-z0-9+/]{64,}={0,2}/g;

/** `text` with the given secrets and every long base64 run replaced by `[redacted]`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join(REDACTED);
  }
  return out.replace(LONG_BASE64, REDACTED);
}

/** What the SDK's message says about the request's fields: `at 'changeBatch.changes.1.member.name'`. */
function fieldsNamed(message: string): string[] {
  const fields = [...message.matchAll(/\bat '([^']{1,200})'/g)].map((m) => m[1]!);
  return [...new Set(fields)];
}

/** The SDK's message, safe to show for this call, or undefined when the call carries a secret. */
function safeMessage(error: unknown, call: AwsCall): string | undefined {
  if (call.sensitive !== undefined) return undefined;
  const message = shape(error).message;
  if (typeof message !== 'string' || message.trim().length === 0) return undefined;
  return redact(message.trim().replace(/\s+/g, ' '), call.sensitive).slice(0, 1000);
}

function where(call: AwsCall): string {
  return `${call.service} ${call.action} on ${call.resource}`;
}

function details(error: unknown, call: AwsCall): string {
  const name = awsErrorName(error);
  const status = httpStatus(error);
  const requestId = shape(error).$metadata?.requestId;
  const parts = [name, ...(status !== undefined ? [`HTTP ${status}`] : [])];
  if (typeof requestId === 'string' && requestId.length > 0) parts.push(`request id ${requestId}`);
  const message = safeMessage(error, call);
  return `(${parts.join(', ')})${message ? `: ${message}` : ''}`;
}

/** How an SDK error is classified (before it becomes a byodkim error). */
export type AwsErrorKind =
  | 'throttled'
  | 'unavailable'
  | 'timeout'
  | 'access-denied'
  | 'invalid'
  | 'not-found'
  | 'other';

export function classifyAwsError(error: unknown): AwsErrorKind {
  const name = awsErrorName(error);
  const status = httpStatus(error);
  if (THROTTLING_ERROR_NAMES.has(name) || shape(error).$retryable?.throttling === true || status === 429) {
    return 'throttled';
  }
  if (TIMEOUT_ERROR_NAMES.has(name)) return 'timeout';
  if (UNAVAILABLE_ERROR_NAMES.has(name)) return 'unavailable';
  if (ACCESS_DENIED_ERROR_NAMES.has(name)) return 'access-denied';
  if (NOT_FOUND_ERROR_NAMES.has(name)) return 'not-found';
  if (VALIDATION_ERROR_NAMES.has(name)) return 'invalid';
  if (shape(error).$fault === 'server' || (status !== undefined && status >= 500)) return 'unavailable';
  return 'other';
}

/**
 * The byodkim error for an SDK error thrown by `call`. A byodkim error passes through unchanged (an
 * adapter's own check failed inside the call).
 */
export function mapAwsError(error: unknown, call: AwsCall): ByodkimError {
  if (error instanceof ByodkimError) return error;
  const kind = classifyAwsError(error);
  const service = call.service;
  const about = details(error, call);
  switch (kind) {
    case 'throttled':
      return new TransientError(
        'THROTTLED',
        `${where(call)} was throttled ${about}; the SDK's adaptive retries ran out, back off and try again`,
        service,
      );
    case 'unavailable':
      return new TransientError('SERVICE_UNAVAILABLE', `${where(call)} failed on the service's side ${about}`, service);
    case 'timeout':
      return new TransientError(
        'TIMEOUT',
        `${where(call)} timed out or was cut off ${about}; it may or may not have taken effect, the next run re-reads what is`,
        service,
      );
    case 'access-denied':
      return new ServiceError(
        'ACCESS_DENIED',
        `access denied: ${service} refused ${call.action} on ${call.resource} ${about}; the function's role must allow this action on this resource`,
        service,
      );
    case 'invalid': {
      const message = typeof shape(error).message === 'string' ? (shape(error).message as string) : '';
      const fields = fieldsNamed(message).map((field) => redact(field, call.sensitive));
      const named = fields.length > 0 ? ` (field ${fields.map((f) => `'${f}'`).join(', ')})` : '';
      return new ServiceError('INVALID_REQUEST', `${where(call)} was refused as invalid${named} ${about}`, service);
    }
    case 'not-found':
      return new ServiceError('NOT_FOUND', `${where(call)}: not found ${about}`, service);
    case 'other':
      return new ServiceError(awsErrorName(error), `${where(call)} failed ${about}`, service);
  }
}

/** Runs one AWS call; what it throws comes out mapped by {@link mapAwsError}. */
export async function callAws<T>(call: AwsCall, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw mapAwsError(error, call);
  }
}

/** How many attempts a client makes (the first call included) before the error reaches the engine. */
export const AWS_MAX_ATTEMPTS = 3;
/** Milliseconds to open a connection, and to wait for an answer, before the SDK gives up on an attempt. */
export const AWS_CONNECTION_TIMEOUT_MS = 3_000;
export const AWS_REQUEST_TIMEOUT_MS = 10_000;

/** The settings every AWS client of the runtime is created with. */
export interface AwsClientConfig {
  region?: string;
  retryMode: 'adaptive';
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

/**
 * Client settings: the region from the environment (`AWS_REGION`, which Lambda sets; otherwise the SDK's
 * own chain decides), adaptive retry with {@link AWS_MAX_ATTEMPTS} attempts, connection and request
 * timeouts — and NO endpoint, so the SDK's standard settings (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_<SERVICE>`, e.g. `AWS_ENDPOINT_URL_ROUTE_53`) can point the whole runtime at any
 * AWS-compatible endpoint.
 */
export function awsClientConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: { region?: string; maxAttempts?: number } = {},
): AwsClientConfig {
  const region = overrides.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  return {
    ...(region ? { region } : {}),
    retryMode: 'adaptive',
    maxAttempts: overrides.maxAttempts ?? AWS_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: AWS_CONNECTION_TIMEOUT_MS, requestTimeout: AWS_REQUEST_TIMEOUT_MS },
  };
}
