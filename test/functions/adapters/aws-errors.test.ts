/**
 * The one error mapping of the AWS adapters: every kind of SDK error (built as the SDK builds them) becomes
 * the byodkim error the engine expects, names the action and resource, and never repeats a secret.
 */
import { inspect } from 'node:util';
import { Route53ServiceException } from '@aws-sdk/client-route-53';
import { SESv2ServiceException, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { ByodkimError, ServiceError, TransientError, ValidationError } from '../../../functions/core/errors';
import {
  awsClientConfig,
  awsErrorName,
  callAws,
  classifyAwsError,
  mapAwsError,
  redact,
  type AwsCall,
} from '../../../functions/adapters/aws-errors';

const metadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'req-1', attempts: 3, totalRetryDelay: 0 });

function route53Error(
  name: string,
  httpStatusCode: number,
  message = `${name} happened`,
  fault: 'client' | 'server' = 'client',
) {
  return new Route53ServiceException({ name, $fault: fault, $metadata: metadata(httpStatusCode), message });
}

function networkError(code: string, message = 'socket trouble'): Error {
  return Object.assign(new Error(message), { code });
}

const call: AwsCall = { service: 'Route 53', action: 'ChangeResourceRecordSets', resource: 'hosted zone Z123' };

describe('mapAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['Throttling', 400],
    ['TooManyRequestsException', 429],
    ['PriorRequestNotComplete', 400],
    ['RequestLimitExceeded', 503],
    ['ProvisionedThroughputExceededException', 400],
    ['SlowDown', 503],
  ])('%s (HTTP %i) is a TransientError THROTTLED', (name, status) => {
    const error = mapAwsError(route53Error(name, status), call);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'THROTTLED', service: 'Route 53' });
    expect(error.message).toContain('Route 53 ChangeResourceRecordSets on hosted zone Z123 was throttled');
    expect(error.message).toContain(name);
  });

  it('an SES TooManyRequestsException as the SDK builds it is THROTTLED', () => {
    const sdk = new TooManyRequestsException({ $metadata: metadata(429), message: 'Too many requests' });
    expect(mapAwsError(sdk, call)).toMatchObject({ code: 'THROTTLED' });
  });

  it('an unnamed error the SDK marked as throttling, or an HTTP 429, is THROTTLED', () => {
    const marked = Object.assign(route53Error('Weird', 400), { $retryable: { throttling: true } });
    expect(mapAwsError(marked, call)).toMatchObject({ code: 'THROTTLED' });
    expect(mapAwsError(route53Error('Weird', 429), call)).toMatchObject({ code: 'THROTTLED' });
  });

  it.each([
    ['InternalFailure', 500],
    ['ServiceUnavailable', 503],
    ['SomethingNew', 502],
  ])('a 5xx (%s, HTTP %i) is a TransientError SERVICE_UNAVAILABLE', (name, status) => {
    const error = mapAwsError(route53Error(name, status, 'oops', 'server'), call);
    expect(error).toBeInstanceOf(TransientError);
    expect(error.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.message).toContain('request id req-1');
  });

  it.each(['ECONNREFUSED', 'ENETUNREACH', 'EAI_AGAIN'])(
    'a connection never made (%s) is SERVICE_UNAVAILABLE',
    (code) => {
      expect(mapAwsError(networkError(code), call)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    },
  );

  it.each([
    ['TimeoutError', undefined],
    ['RequestTimeout', undefined],
    ['AbortError', undefined],
    [undefined, 'ECONNRESET'],
    [undefined, 'ETIMEDOUT'],
    [undefined, 'EPIPE'],
  ])('a timeout or a cut connection (%s%s) is TIMEOUT: it may or may not have taken effect', (name, code) => {
    const error = name ? Object.assign(new Error('slow'), { name }) : networkError(code!);
    const mapped = mapAwsError(error, call);
    expect(mapped).toBeInstanceOf(TransientError);
    expect(mapped.code).toBe('TIMEOUT');
    expect(mapped.message).toContain('may or may not have taken effect');
  });

  it.each(['AccessDenied', 'AccessDeniedException'])(
    '%s is ACCESS_DENIED naming the action and the resource',
    (name) => {
      const sdk = route53Error(
        name,
        403,
        'User: arn:aws:sts::123456789012:assumed-role/worker/x is not authorized to perform: route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/Z123',
      );
      const error = mapAwsError(sdk, call);
      expect(error).toBeInstanceOf(ServiceError);
      expect(error).not.toBeInstanceOf(TransientError);
      expect(error.code).toBe('ACCESS_DENIED');
      expect(error.message).toMatch(/^access denied: Route 53 refused ChangeResourceRecordSets on hosted zone Z123/);
      expect(error.message).toContain('not authorized to perform: route53:ChangeResourceRecordSets');
    },
  );

  it.each([
    'ValidationException',
    'InvalidParameterValue',
    'InvalidInput',
    'InvalidChangeBatch',
    'BadRequestException',
  ])('%s is INVALID_REQUEST naming the field and the value the SDK names', (name) => {
    const sdk = route53Error(
      name,
      400,
      "1 validation error detected: Value 'not a name' at 'changeBatch.changes.1.member.resourceRecordSet.name' failed to satisfy constraint",
    );
    const error = mapAwsError(sdk, call);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain("field 'changeBatch.changes.1.member.resourceRecordSet.name'");
    expect(error.message).toContain("Value 'not a name'");
  });

  it('NotFound errors are NOT_FOUND', () => {
    const sdk = new ResourceNotFoundException({
      $metadata: metadata(400),
      message: "Secrets Manager can't find the specified secret.",
    });
    const error = mapAwsError(sdk, {
      service: 'Secrets Manager',
      action: 'GetSecretValue',
      resource: 'secret p/a.example/k',
    });
    expect(error).toMatchObject({ code: 'NOT_FOUND', service: 'Secrets Manager' });
    expect(error.message).toContain('Secrets Manager GetSecretValue on secret p/a.example/k: not found');
    expect(mapAwsError(route53Error('NoSuchHostedZone', 404), call).code).toBe('NOT_FOUND');
  });

  it("anything else is a ServiceError with the SDK's name, not retried", () => {
    const error = mapAwsError(route53Error('HostedZoneNotEmpty', 400), call);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(error.code).toBe('HostedZoneNotEmpty');
    expect(mapAwsError(new Error('weird'), call).code).toBe('Error');
    expect(mapAwsError('a string', call).code).toBe('Error');
  });

  it('a byodkim error raised inside the call passes through unchanged', () => {
    const own = new ValidationError('X', 'bad', 'field');
    expect(mapAwsError(own, call)).toBe(own);
  });

  it('never attaches the SDK error as cause', () => {
    expect(mapAwsError(route53Error('Throttling', 400), call).cause).toBeUndefined();
  });
});

describe('no secret in any message', () => {
  const secret = Buffer.alloc(600, 7).toString('base64');
  const sensitive: AwsCall = {
    service: 'SES',
    action: 'PutEmailIdentityDkimSigningAttributes',
    resource: 'identity example.com (selector s1)',
    sensitive: [secret],
  };
  const echo = (name: string, status: number) =>
    new SESv2ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: metadata(status),
      message: `1 validation error detected: Value '${secret}' at 'signingAttributes.domainSigningPrivateKey' failed to satisfy constraint`,
    });

  it.each([
    ['BadRequestException', 400],
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['TooManyRequestsException', 429],
    ['InternalFailure', 500],
    ['Unknown', 400],
  ])('%s echoing the key: the field is named, the key is not', (name, status) => {
    const error = mapAwsError(echo(name, status), sensitive);
    for (const text of [error.message, error.stack ?? '', inspect(error), JSON.stringify(error)]) {
      expect(text.includes(secret)).toBe(false);
      expect(text.includes(secret.slice(0, 40))).toBe(false);
    }
    expect(error.message).toContain('PutEmailIdentityDkimSigningAttributes on identity example.com (selector s1)');
    if (error.code === 'INVALID_REQUEST')
      expect(error.message).toContain("'signingAttributes.domainSigningPrivateKey'");
  });

  it('redact removes the given secrets and any long base64 run, even in a call not marked sensitive', () => {
    expect(redact(`a ${secret} b`)).toBe('a [redacted] b');
    expect(redact('short abc/def+ghi= Z0123 stays', ['nothing'])).toBe('short abc/def+ghi= Z0123 stays');
    expect(redact('key=s3cr3t!', ['s3cr3t'])).toBe('key=[redacted]!');
    const error = mapAwsError(route53Error('InvalidChangeBatch', 400, `bad value ${secret}`), call);
    expect(error.message.includes(secret.slice(0, 64))).toBe(false);
  });
});

describe('helpers', () => {
  it('awsErrorName reads the SDK name, else the Node code', () => {
    expect(awsErrorName(route53Error('Throttling', 400))).toBe('Throttling');
    expect(awsErrorName(networkError('ECONNRESET'))).toBe('ECONNRESET');
    expect(awsErrorName(undefined)).toBe('Error');
    expect(classifyAwsError(networkError('ECONNRESET'))).toBe('timeout');
  });

  it('callAws returns the answer, and throws the mapped error', async () => {
    await expect(callAws(call, async () => 42)).resolves.toBe(42);
    const failure = callAws(call, async () => {
      throw route53Error('PriorRequestNotComplete', 400);
    });
    await expect(failure).rejects.toBeInstanceOf(TransientError);
    await expect(failure).rejects.toBeInstanceOf(ByodkimError);
  });

  it('awsClientConfig: region from the environment, adaptive retry, timeouts, and no endpoint', () => {
    const config = awsClientConfig({ AWS_REGION: 'ap-northeast-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
    expect(config).toEqual({
      region: 'ap-northeast-1',
      retryMode: 'adaptive',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 },
    });
    expect(config).not.toHaveProperty('endpoint');
    expect(awsClientConfig({ AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(awsClientConfig({})).not.toHaveProperty('region');
    expect(awsClientConfig({}, { region: 'us-east-1', maxAttempts: 5 })).toMatchObject({
      region: 'us-east-1',
      maxAttempts: 5,
    });
  });
});
