/**
 * The SES v2 adapter. `getDkim` against moto_server (identities created with CreateEmailIdentity; moto
 * answers a BYODKIM identity with `LastKeyGenerationTimestamp` as an ISO string the SDK cannot decode, so
 * the BYODKIM and deterministic Easy DKIM answers are mocked below); the two
 * DKIM Put calls, which moto does not implement, with aws-sdk-client-mock: the exact commands and inputs,
 * the key refused before any call when it is not base64 PKCS#1 DER, and every error mapped without the key.
 */
import { createPrivateKey } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CreateEmailIdentityCommand,
  GetEmailIdentityCommand,
  PutEmailIdentityDkimAttributesCommand,
  PutEmailIdentityDkimSigningAttributesCommand,
  SESv2Client,
  SESv2ServiceException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceError, TransientError, ValidationError } from '../../../functions/core/errors';
import { SesV2IdentityDkim } from '../../../functions/adapters/ses';
import { KeyError } from '../../../functions/dkim/errors';
import { generateKeyPair } from '../../../functions/dkim/keys';
import { startMoto, type Moto } from '../../support/moto';

const pair = generateKeyPair({ bits: 1024 });
const key = pair.sesPrivateKey;

/** True when `text` holds the key or any 24-character piece of it. */
function leaks(text: string, secret: string = key): boolean {
  for (let i = 0; i + 24 <= secret.length; i += 12) if (text.includes(secret.slice(i, i + 24))) return true;
  return false;
}

function everyText(error: unknown): string[] {
  const e = error as Error;
  return [e.message, e.stack ?? '', inspect(error), JSON.stringify(error), String(error)];
}

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('SesV2IdentityDkim.getDkim against moto', () => {
  let moto: Moto;
  let client: SESv2Client;
  let ses: SesV2IdentityDkim;

  beforeAll(async () => {
    moto = await startMoto();
    client = new SESv2Client(moto.clientConfig);
    ses = new SesV2IdentityDkim({ client });
  });
  afterEach(async () => moto.reset());
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('reads an Easy DKIM identity', async () => {
    await client.send(new CreateEmailIdentityCommand({ EmailIdentity: 'example.com' }));
    expect(await ses.getDkim('example.com')).toEqual({
      origin: 'AWS_SES',
      signingEnabled: false,
      status: 'NOT_STARTED',
      tokens: [],
    });
  });

  it('answers undefined for an identity that does not exist', async () => {
    expect(await ses.getDkim('missing.example.com')).toBeUndefined();
  });
});

describe('SesV2IdentityDkim with a mocked client', () => {
  const client = new SESv2Client({ region: 'ap-northeast-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(client);
  const ses = new SesV2IdentityDkim({ client });

  beforeEach(() => mock.reset());
  afterAll(() => {
    mock.restore();
    client.destroy();
  });

  it('putExternalSigningKey sends exactly one PutEmailIdentityDkimSigningAttributes(EXTERNAL, selector, key)', async () => {
    mock.on(PutEmailIdentityDkimSigningAttributesCommand).resolves({ DkimStatus: 'PENDING', DkimTokens: ['sel-1'] });
    await ses.putExternalSigningKey('example.com', 'mail-prod-20250907-1', key);
    expect(mock.calls()).toHaveLength(1);
    const input = mock.commandCalls(PutEmailIdentityDkimSigningAttributesCommand)[0]!.args[0].input;
    expect(Object.keys(input).sort()).toEqual(['EmailIdentity', 'SigningAttributes', 'SigningAttributesOrigin']);
    expect(input.EmailIdentity).toBe('example.com');
    expect(input.SigningAttributesOrigin).toBe('EXTERNAL');
    expect(Object.keys(input.SigningAttributes!).sort()).toEqual(['DomainSigningPrivateKey', 'DomainSigningSelector']);
    expect(input.SigningAttributes!.DomainSigningSelector).toBe('mail-prod-20250907-1');
    // Compared without printing it on failure.
    expect(input.SigningAttributes!.DomainSigningPrivateKey === key).toBe(true);
  });

  it('setSigningEnabled sends PutEmailIdentityDkimAttributes(SigningEnabled)', async () => {
    mock.on(PutEmailIdentityDkimAttributesCommand).resolves({});
    await ses.setSigningEnabled('example.com', true);
    await ses.setSigningEnabled('example.com', false);
    expect(mock.commandCalls(PutEmailIdentityDkimAttributesCommand).map((c) => c.args[0].input)).toEqual([
      { EmailIdentity: 'example.com', SigningEnabled: true },
      { EmailIdentity: 'example.com', SigningEnabled: false },
    ]);
    expect(mock.calls()).toHaveLength(2);
  });

  const der = Buffer.from(key, 'base64');
  const keyObject = createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  const pkcs8 = (keyObject.export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('base64');
  const base64Pem = Buffer.from(pair.privateKeyPem).toString('base64');
  const wrapped = key.replace(/(.{64})/g, '$1\n');
  const refused: [string, string][] = [
    ['PKCS#8 DER', pkcs8],
    ['base64 of the PEM file', base64Pem],
    ['the PEM text', pair.privateKeyPem],
    ['base64 cut into lines', wrapped],
    ['truncated', key.slice(0, 200)],
    ['empty', ''],
  ];
  it.each(refused)('refuses a key that is %s before any call, with a KeyError that never quotes it', async (_, bad) => {
    const error = await caught(ses.putExternalSigningKey('example.com', 'sel-1', bad));
    expect(error).toBeInstanceOf(KeyError);
    expect(error).toMatchObject({ code: 'INVALID_SES_PRIVATE_KEY', field: 'privateKey' });
    for (const text of everyText(error)) {
      expect(leaks(text, bad)).toBe(false);
      expect(leaks(text)).toBe(false);
    }
    expect(mock.calls()).toHaveLength(0);
  });

  it.each(['sel.1', 'sel_1', '-sel', ''])('refuses the selector %j before any call', async (selector) => {
    const error = await caught(ses.putExternalSigningKey('example.com', selector, key));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'INVALID_SELECTOR' });
    expect(mock.calls()).toHaveLength(0);
  });

  const sdkError = (name: string, status: number, message: string) =>
    new SESv2ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status, requestId: 'r-1' },
      message,
    });
  const echo = `1 validation error detected: Value '${key}' at 'signingAttributes.domainSigningPrivateKey' failed to satisfy constraint`;
  it.each([
    ['TooManyRequestsException', 429, 'Too many requests', TransientError, 'THROTTLED'],
    ['InternalFailure', 500, echo, TransientError, 'SERVICE_UNAVAILABLE'],
    ['BadRequestException', 400, echo, ServiceError, 'INVALID_REQUEST'],
    ['AccessDeniedException', 403, `not authorized for ${key}`, ServiceError, 'ACCESS_DENIED'],
    ['NotFoundException', 404, 'Identity example.com does not exist', ServiceError, 'NOT_FOUND'],
    ['LimitExceededException', 400, echo, ServiceError, 'LimitExceededException'],
  ])(
    'putExternalSigningKey: %s is mapped, and no error text holds the key',
    async (name, status, message, type, code) => {
      mock.on(PutEmailIdentityDkimSigningAttributesCommand).rejects(sdkError(name, status, message));
      const error = await caught(ses.putExternalSigningKey('example.com', 'sel-1', key));
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({ code, service: 'SES' });
      expect(error.message).toContain('PutEmailIdentityDkimSigningAttributes on identity example.com (selector sel-1)');
      for (const text of everyText(error)) expect(leaks(text)).toBe(false);
      expect((error as { cause?: unknown }).cause).toBeUndefined();
    },
  );

  it('setSigningEnabled: AccessDenied names the action and the identity; throttling is transient', async () => {
    mock
      .on(PutEmailIdentityDkimAttributesCommand)
      .rejectsOnce(
        sdkError(
          'AccessDeniedException',
          403,
          'User x is not authorized to perform ses:PutEmailIdentityDkimAttributes',
        ),
      )
      .rejectsOnce(sdkError('TooManyRequestsException', 429, 'slow down'));
    const denied = await caught(ses.setSigningEnabled('example.com', false));
    expect(denied).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(denied.message).toContain('SES refused PutEmailIdentityDkimAttributes on identity example.com');
    expect(await caught(ses.setSigningEnabled('example.com', false))).toBeInstanceOf(TransientError);
  });

  it('getDkim: deterministic Easy DKIM is Easy DKIM, BYODKIM tokens are kept, an unknown status is refused', async () => {
    mock
      .on(GetEmailIdentityCommand)
      .resolvesOnce({
        DkimAttributes: {
          SigningAttributesOrigin: 'AWS_SES_AP_NORTHEAST_1',
          SigningEnabled: true,
          Status: 'SUCCESS',
          Tokens: ['a', 'b', 'c'],
        },
      })
      .resolvesOnce({
        DkimAttributes: {
          SigningAttributesOrigin: 'EXTERNAL',
          SigningEnabled: true,
          Status: 'PENDING',
          Tokens: ['sel-1'],
        },
      })
      .resolvesOnce({})
      .resolvesOnce({ DkimAttributes: { Status: 'SOMETHING_NEW' as 'SUCCESS', SigningEnabled: true } })
      .rejectsOnce(sdkError('TooManyRequestsException', 429, 'slow down'));
    expect(await ses.getDkim('example.com')).toEqual({
      origin: 'AWS_SES',
      signingEnabled: true,
      status: 'SUCCESS',
      tokens: ['a', 'b', 'c'],
    });
    expect(await ses.getDkim('example.com')).toEqual({
      origin: 'EXTERNAL',
      signingEnabled: true,
      status: 'PENDING',
      tokens: ['sel-1'],
    });
    expect(await ses.getDkim('example.com')).toEqual({ signingEnabled: false, status: 'NOT_STARTED', tokens: [] });
    expect(await caught(ses.getDkim('example.com'))).toMatchObject({ code: 'UNEXPECTED_RESPONSE' });
    expect(await caught(ses.getDkim('example.com'))).toMatchObject({ code: 'THROTTLED' });
    expect(mock.commandCalls(GetEmailIdentityCommand)[0]!.args[0].input).toEqual({ EmailIdentity: 'example.com' });
  });
});
