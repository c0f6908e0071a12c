/**
 * The Secrets Manager key store against moto_server: one secret per key under `<prefix>/<domain>/<keyId>`,
 * encrypted with the environment's KMS key (created in moto), tagged, the public key readable from
 * `ListSecrets` alone; create never overwrites; a secret scheduled for deletion is still listed; pages of
 * `ListSecrets` are followed. No test prints a private key: they are compared as booleans.
 */
import { inspect } from 'node:util';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretCommand,
  CreateSecretCommand as Create,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceError, TransientError, ValidationError } from '../../../functions/core/errors';
import {
  SECRET_FORMAT,
  SecretsManagerKeyStore,
  publicKeyFromDescription,
  secretDescription,
} from '../../../functions/adapters/secrets-manager';
import { generateKeyPair } from '../../../functions/dkim/keys';
import type { KeyPair } from '../../../functions/lifecycle/ports';
import { MOTO_REGION, startMoto, type Moto } from '../../support/moto';

function keyPair(bits: 1024 | 2048 = 1024): KeyPair {
  const pair = generateKeyPair({ bits });
  return { privateKey: pair.sesPrivateKey, publicKey: pair.publicKey };
}
const first = keyPair(2048);
const second = keyPair();

const PREFIX = 'byodkim/dev';
const DOMAIN = 'example.com';

/**
 * True when `text` holds a 24-character piece of the private key that is not also in its public key (the
 * PKCS#1 key carries the modulus, which the SPKI of the record repeats).
 */
function leaks(text: string, secret: string, publicKey = ''): boolean {
  for (let i = 0; i + 24 <= secret.length; i += 12) {
    const piece = secret.slice(i, i + 24);
    if (text.includes(piece) && !publicKey.includes(piece)) return true;
  }
  return false;
}

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** KMS CreateKey on moto (the project has no KMS client): an unsigned JSON call naming the service. */
async function createKmsKey(moto: Moto): Promise<{ keyId: string; arn: string }> {
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'TrentService.CreateKey',
      Authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${MOTO_REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: 'byodkim dev key store' }),
  });
  if (!response.ok) throw new Error(`KMS CreateKey on moto: HTTP ${response.status} ${await response.text()}`);
  const { KeyMetadata } = (await response.json()) as { KeyMetadata: { KeyId: string; Arn: string } };
  return { keyId: KeyMetadata.KeyId, arn: KeyMetadata.Arn };
}

describe('SecretsManagerKeyStore against moto', () => {
  let moto: Moto;
  let client: SecretsManagerClient;
  let kms: { keyId: string; arn: string };
  let store: SecretsManagerKeyStore;

  beforeAll(async () => {
    moto = await startMoto();
    client = new SecretsManagerClient(moto.clientConfig);
  });
  beforeEach(async () => {
    kms = await createKmsKey(moto);
    store = new SecretsManagerKeyStore({ prefix: PREFIX, kmsKeyId: kms.arn, client });
  });
  afterEach(async () => moto.reset());
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  it('create → list → readPrivateKey: one secret named <prefix>/<domain>/<keyId>', async () => {
    const before = Date.now() - 5_000;
    expect(await store.create(DOMAIN, 'byodkim-dev-20250907-1', first)).toBe('created');
    const keys = await store.list(DOMAIN);
    expect(keys).toEqual([
      { keyId: 'byodkim-dev-20250907-1', publicKey: first.publicKey, createdAt: expect.any(Number) },
    ]);
    expect(keys[0]!.createdAt).toBeGreaterThan(before);
    expect((await store.readPrivateKey(DOMAIN, 'byodkim-dev-20250907-1')) === first.privateKey).toBe(true);
    const names = (await client.send(new ListSecretsCommand({}))).SecretList?.map((s) => s.Name);
    expect(names).toEqual(['byodkim/dev/example.com/byodkim-dev-20250907-1']);
  });

  it('the secret: the KMS key, the tags, the public key in the description, the value as JSON', async () => {
    await store.create(DOMAIN, 'sel-1', first);
    const described = await client.send(new DescribeSecretCommand({ SecretId: 'byodkim/dev/example.com/sel-1' }));
    expect(described.KmsKeyId).toBe(kms.arn);
    expect(described.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'Domain', Value: DOMAIN },
        { Key: 'Selector', Value: 'sel-1' },
        { Key: 'ManagedBy', Value: 'byodkim' },
      ]),
    );
    expect(described.Tags).toHaveLength(3);
    expect(described.Description).toBe(secretDescription(first.publicKey));
    expect(described.Description!.length).toBeLessThanOrEqual(2048);
    expect(leaks(described.Description!, first.privateKey, first.publicKey)).toBe(false);
    const raw = await client.send(new GetSecretValueCommand({ SecretId: 'byodkim/dev/example.com/sel-1' }));
    const value = JSON.parse(raw.SecretString!) as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(['format', 'privateKey', 'publicKey']);
    expect(value.format).toBe(SECRET_FORMAT);
    expect(value.publicKey).toBe(first.publicKey);
    expect(value.privateKey === first.privateKey).toBe(true);
  });

  it('list reads the public keys from ListSecrets alone, never a secret value', async () => {
    await store.create(DOMAIN, 'sel-1', first);
    await store.create(DOMAIN, 'sel-2', second);
    const send = jest.spyOn(client, 'send');
    try {
      const keys = await store.list(DOMAIN);
      expect(keys.map((k) => [k.keyId, k.publicKey])).toEqual([
        ['sel-1', first.publicKey],
        ['sel-2', second.publicKey],
      ]);
      const commands = send.mock.calls.map((c) => c[0].constructor.name);
      expect(commands).toEqual(['ListSecretsCommand']);
      expect(send.mock.calls[0]![0].input).toMatchObject({
        Filters: [{ Key: 'name', Values: ['byodkim/dev/example.com/'] }],
        IncludePlannedDeletion: true,
      });
    } finally {
      send.mockRestore();
    }
  });

  it('a second create of the same key answers exists and keeps the stored key', async () => {
    expect(await store.create(DOMAIN, 'sel-1', first)).toBe('created');
    expect(await store.create(DOMAIN, 'sel-1', second)).toBe('exists');
    expect((await store.readPrivateKey(DOMAIN, 'sel-1')) === first.privateKey).toBe(true);
    expect((await store.list(DOMAIN)).map((k) => k.publicKey)).toEqual([first.publicKey]);
  });

  it('a key scheduled for deletion is still listed, again is fine, create says exists, and it cannot be read', async () => {
    await store.create(DOMAIN, 'sel-1', first);
    await store.create(DOMAIN, 'sel-2', second);
    await store.scheduleDeletion(DOMAIN, 'sel-1', 7);
    const keys = await store.list(DOMAIN);
    expect(keys.map((k) => k.keyId)).toEqual(['sel-1', 'sel-2']);
    expect(keys[0]!.deletionScheduledAt).toEqual(expect.any(Number));
    expect(keys[0]!.publicKey).toBe(first.publicKey);
    expect(keys[1]!.deletionScheduledAt).toBeUndefined();
    await expect(store.scheduleDeletion(DOMAIN, 'sel-1', 30)).resolves.toBeUndefined();
    expect(await store.create(DOMAIN, 'sel-1', second)).toBe('exists');
    const error = await caught(store.readPrivateKey(DOMAIN, 'sel-1'));
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.message).toContain('GetSecretValue on secret byodkim/dev/example.com/sel-1');
    expect(leaks(error.message, first.privateKey)).toBe(false);
  });

  it('scheduling the deletion of a key that is not there is fine; a window outside 7–30 days is refused before any call', async () => {
    await expect(store.scheduleDeletion(DOMAIN, 'never-made', 7)).resolves.toBeUndefined();
    const send = jest.spyOn(client, 'send');
    try {
      for (const days of [0, 6, 31, 7.5]) {
        const error = await caught(store.scheduleDeletion(DOMAIN, 'sel-1', days));
        expect(error).toBeInstanceOf(ValidationError);
        expect(error).toMatchObject({ code: 'INVALID_RECOVERY_WINDOW', field: 'recoveryWindowDays' });
      }
      expect(send).not.toHaveBeenCalled();
    } finally {
      send.mockRestore();
    }
  });

  it('follows ListSecrets pages, and lists only this domain under this prefix', async () => {
    const paged = new SecretsManagerKeyStore({ prefix: PREFIX, kmsKeyId: kms.keyId, client, pageSize: 2 });
    for (let n = 1; n <= 5; n += 1) await paged.create(DOMAIN, `sel-${n}`, second);
    await paged.create('example.com.au', 'sel-9', second);
    await paged.create('other.example', 'sel-9', second);
    await new SecretsManagerKeyStore({ prefix: 'byodkim/prod', kmsKeyId: kms.keyId, client }).create(
      DOMAIN,
      'sel-8',
      second,
    );
    const send = jest.spyOn(client, 'send');
    try {
      expect((await paged.list(DOMAIN)).map((k) => k.keyId).sort()).toEqual([
        'sel-1',
        'sel-2',
        'sel-3',
        'sel-4',
        'sel-5',
      ]);
      expect(send.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(send.mock.calls.every((c) => c[0] instanceof ListSecretsCommand)).toBe(true);
    } finally {
      send.mockRestore();
    }
  });

  it('a secret whose description was edited: the public key is read from its value', async () => {
    await store.create(DOMAIN, 'sel-1', first);
    await client.send(
      new UpdateSecretCommand({ SecretId: 'byodkim/dev/example.com/sel-1', Description: 'edited by hand' }),
    );
    expect((await store.list(DOMAIN)).map((k) => k.publicKey)).toEqual([first.publicKey]);
  });

  it('a secret not in the key store format is refused without quoting it', async () => {
    const content = 'not-json-' + 'A'.repeat(80);
    await client.send(new Create({ Name: 'byodkim/dev/example.com/odd', SecretString: content }));
    const error = await caught(store.readPrivateKey(DOMAIN, 'odd'));
    expect(error).toMatchObject({ code: 'CORRUPT_SECRET' });
    expect(error.message).toContain('byodkim/dev/example.com/odd');
    expect(error.message.includes(content.slice(0, 20))).toBe(false);
  });

  it('refuses names that cannot be part of a secret name', () => {
    expect(() => store.secretName('exa mple.com', 'sel-1')).toThrow(ValidationError);
    expect(() => store.secretName(DOMAIN, 'a/b')).toThrow(ValidationError);
    expect(() => new SecretsManagerKeyStore({ prefix: '', kmsKeyId: 'k', client })).toThrow(ValidationError);
    expect(() => new SecretsManagerKeyStore({ prefix: 'ok', kmsKeyId: '', client })).toThrow(ValidationError);
    expect(new SecretsManagerKeyStore({ prefix: 'p/q/', kmsKeyId: 'k', client }).secretName('a.example', 'k1')).toBe(
      'p/q/a.example/k1',
    );
  });
});

describe('SecretsManagerKeyStore with a mocked client', () => {
  const client = new SecretsManagerClient({
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(client);
  const store = new SecretsManagerKeyStore({ prefix: PREFIX, kmsKeyId: 'alias/byodkim-dev', client });
  const sdkError = (name: string, status: number, message: string) =>
    new SecretsManagerServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
      message,
    });

  beforeEach(() => mock.reset());
  afterAll(() => {
    mock.restore();
    client.destroy();
  });

  it('create: a validation error echoing the value never shows the key', async () => {
    mock
      .on(CreateSecretCommand)
      .rejects(sdkError('ValidationException', 400, `Value '${first.privateKey}' at 'secretString' failed`));
    const error = await caught(store.create(DOMAIN, 'sel-1', first));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    for (const text of [error.message, error.stack ?? '', inspect(error), JSON.stringify(error)]) {
      expect(leaks(text, first.privateKey)).toBe(false);
    }
    expect(error.message).toContain("'secretString'");
  });

  it('create sends the name, the KMS key, the JSON value, the description and the tags', async () => {
    mock.on(CreateSecretCommand).resolves({});
    await store.create(DOMAIN, 'sel-1', first);
    const input = mock.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    expect(Object.keys(input).sort()).toEqual(['Description', 'KmsKeyId', 'Name', 'SecretString', 'Tags']);
    expect(input).toMatchObject({
      Name: 'byodkim/dev/example.com/sel-1',
      KmsKeyId: 'alias/byodkim-dev',
      Description: secretDescription(first.publicKey),
    });
    expect(publicKeyFromDescription(input.Description)).toBe(first.publicKey);
  });

  it('readPrivateKey: AccessDenied (the KMS key refused) names the action and the secret; throttling is transient', async () => {
    mock
      .on(GetSecretValueCommand)
      .rejectsOnce(sdkError('AccessDeniedException', 400, 'Access to KMS is not allowed'))
      .rejectsOnce(sdkError('ThrottlingException', 400, 'Rate exceeded'))
      .rejectsOnce(sdkError('InternalServiceError', 500, 'oops'));
    const denied = await caught(store.readPrivateKey(DOMAIN, 'sel-1'));
    expect(denied).toMatchObject({ code: 'ACCESS_DENIED', service: 'Secrets Manager' });
    expect(denied.message).toContain('Secrets Manager refused GetSecretValue on secret byodkim/dev/example.com/sel-1');
    expect(await caught(store.readPrivateKey(DOMAIN, 'sel-1'))).toBeInstanceOf(TransientError);
    expect(await caught(store.readPrivateKey(DOMAIN, 'sel-1'))).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('scheduleDeletion sends DeleteSecret with the recovery window; another InvalidRequest is not swallowed', async () => {
    const { DeleteSecretCommand } = await import('@aws-sdk/client-secrets-manager');
    mock
      .on(DeleteSecretCommand)
      .resolvesOnce({})
      .rejectsOnce(sdkError('InvalidRequestException', 400, 'You tried to delete a secret that has replicas'));
    mock.on(DescribeSecretCommand).resolves({ Name: 'byodkim/dev/example.com/sel-1' });
    await store.scheduleDeletion(DOMAIN, 'sel-1', 14);
    expect(mock.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({
      SecretId: 'byodkim/dev/example.com/sel-1',
      RecoveryWindowInDays: 14,
    });
    expect(await caught(store.scheduleDeletion(DOMAIN, 'sel-1', 14))).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('list stops on a repeated page token', async () => {
    mock.on(ListSecretsCommand).resolves({
      SecretList: [
        { Name: 'byodkim/dev/example.com/sel-1', Description: secretDescription('QUJD'), CreatedDate: new Date(1) },
      ],
      NextToken: 'same',
    });
    expect(await store.list(DOMAIN)).toEqual([{ keyId: 'sel-1', publicKey: 'QUJD', createdAt: 1 }]);
    expect(mock.commandCalls(ListSecretsCommand)).toHaveLength(2);
  });
});
