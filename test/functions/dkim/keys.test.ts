import type * as NodeCrypto from 'node:crypto';
import { inspect } from 'node:util';
import forge from 'node-forge';
import {
  assertSesPrivateKey,
  generateKeyPair,
  importPrivateKey,
  nativeKeyGenerationProblem,
  publicKeyFromSesKey,
  SES_PRIVATE_KEY_MAX_LENGTH,
  type DkimKeyPair,
} from '../../../functions/dkim/keys';
import { KeyError, KeyGenerationError } from '../../../functions/dkim/errors';
import { ByodkimError } from '../../../functions/core/errors';
import { expectNoKeyMaterial, testKey } from './fixtures';

/**
 * The very module object node-forge's `require('crypto')` returns (an `import * as` binding would be a copy,
 * and spying on a copy proves nothing).
 */
const crypto = jest.requireActual<typeof NodeCrypto>('node:crypto');
/** forge's pure-JavaScript generator entry point (not in @types/node-forge). */
const forgeRsa = forge.pki.rsa as unknown as { createKeyPairGenerationState: (...args: unknown[]) => unknown };
const forgeOptions = (forge as unknown as { options: { usePureJavaScript: boolean } }).options;

function spkiOf(key: NodeCrypto.KeyObject): string {
  return (crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
}

describe('generating a key pair with node-forge', () => {
  let pair: DkimKeyPair;
  let nativeCalls: unknown[][];

  beforeAll(() => {
    const native = jest.spyOn(crypto, 'generateKeyPairSync');
    const pureJs = jest.spyOn(forgeRsa, 'createKeyPairGenerationState');
    pair = generateKeyPair();
    nativeCalls = native.mock.calls as unknown[][];
    expect(pureJs).not.toHaveBeenCalled();
    native.mockRestore();
    pureJs.mockRestore();
  });

  it("takes forge's native path: Node's crypto.generateKeyPairSync, RSA 2048, e = 65537", () => {
    expect(nativeCalls).toHaveLength(1);
    expect(nativeCalls[0]![0]).toBe('rsa');
    expect(nativeCalls[0]![1]).toMatchObject({ modulusLength: 2048, publicExponent: 65537 });
    expect(nativeKeyGenerationProblem()).toBeUndefined();
  });

  it('gives SES a one-line base64 PKCS#1 DER whose public half is the p= key', () => {
    expect(pair.sesPrivateKey).toMatch(/^[a-zA-Z0-9+/]+={0,2}$/);
    expect(pair.sesPrivateKey.length).toBeLessThanOrEqual(SES_PRIVATE_KEY_MAX_LENGTH);
    const der = Buffer.from(pair.sesPrivateKey, 'base64');
    expect(der.toString('base64')).toBe(pair.sesPrivateKey);
    const decoded = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
    expect(decoded.asymmetricKeyType).toBe('rsa');
    expect(decoded.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(spkiOf(decoded)).toBe(pair.publicKey);
    // PKCS#1, not PKCS#8: the PKCS#8 parser refuses it.
    expect(() => crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).toThrow();
  });

  it('publishes the public key as base64 DER SubjectPublicKeyInfo', () => {
    const key = crypto.createPublicKey({ key: Buffer.from(pair.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(pair.publicKey).toMatch(/^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA/);
  });

  it('keeps the private key as PKCS#1 PEM for files, the same key as the SES form', () => {
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+\n-----END RSA PRIVATE KEY-----\n?$/);
    expect(pair.privateKeyPem).not.toContain('\r');
    expect(spkiOf(crypto.createPrivateKey(pair.privateKeyPem))).toBe(pair.publicKey);
    expect(pair.bits).toBe(2048);
    expect(pair.warnings).toEqual([]);
  });

  it('hides the private forms from JSON.stringify and util.inspect', () => {
    for (const shown of [JSON.stringify(pair), inspect(pair, { depth: 5 })]) {
      expect(shown).toContain(pair.publicKey);
      expect(shown).toContain('[redacted]');
      expectNoKeyMaterial(shown, pair.privateKeyPem, pair.sesPrivateKey);
    }
    // The fields themselves stay readable for the key store.
    expect(pair.sesPrivateKey.length).toBeGreaterThan(1000);
  });

  it('allows 1024 bits with a short-key warning in both languages', () => {
    const short = generateKeyPair({ bits: 1024 });
    expect(short.bits).toBe(1024);
    expect(crypto.createPublicKey(short.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(short.warnings).toHaveLength(1);
    expect(short.warnings[0]!.code).toBe('short-key');
    expect(short.warnings[0]!.message.en).toContain('1024-bit key is weak');
    expect(short.warnings[0]!.message.ja).toContain('1024 ビット鍵');
  });

  it.each([512, 1536, 3072, 4096, 2047, Number.NaN])('refuses %p bits without generating anything', (bits) => {
    const native = jest.spyOn(crypto, 'generateKeyPairSync');
    try {
      expect(() => generateKeyPair({ bits })).toThrow(KeyError);
      expect(() => generateKeyPair({ bits })).toThrow(/must be 2048 or 1024 bits/);
      expect(native).not.toHaveBeenCalled();
    } finally {
      native.mockRestore();
    }
  });

  it("refuses to run forge's pure-JavaScript prime search when usePureJavaScript is on", () => {
    const pureJs = jest.spyOn(forgeRsa, 'createKeyPairGenerationState');
    forgeOptions.usePureJavaScript = true;
    try {
      expect(nativeKeyGenerationProblem()).toMatch(/usePureJavaScript/);
      expect(() => generateKeyPair()).toThrow(KeyGenerationError);
      expect(pureJs).not.toHaveBeenCalled();
    } finally {
      forgeOptions.usePureJavaScript = false;
      pureJs.mockRestore();
    }
  });
});

describe('the SES private key form', () => {
  const key = testKey(2048);
  const pkcs1 = (key.privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64');

  it('accepts base64 PKCS#1 DER and derives its p= key', () => {
    expect(assertSesPrivateKey(pkcs1)).toBe(pkcs1);
    expect(publicKeyFromSesKey(pkcs1)).toBe(key.publicKey);
  });

  it.each([
    ['PKCS#8 DER', (key.privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('base64')],
    ['base64 of the PEM file', Buffer.from(key.privateKeyPem).toString('base64')],
    ['the PEM text itself', key.privateKeyPem],
    ['base64 with line breaks', pkcs1.replace(/.{64}/g, '$&\n')],
    ['an empty string', ''],
    ['more than 20480 characters', 'A'.repeat(SES_PRIVATE_KEY_MAX_LENGTH + 4)],
  ])('refuses %s without quoting it', (_label, value) => {
    let caught: unknown;
    try {
      assertSesPrivateKey(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeyError);
    expect((caught as KeyError).code).toBe('INVALID_SES_PRIVATE_KEY');
    expectNoKeyMaterial((caught as Error).message, key.privateKeyPem);
  });
});

describe('importing an existing key for adoption', () => {
  const key = testKey(2048);
  const pkcs1Der = key.privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer;
  const pkcs8Der = key.privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer;

  it.each([
    ['pkcs1-pem', key.privateKeyPem],
    ['pkcs8-pem', key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string],
    ['pkcs1-der', pkcs1Der.toString('base64')],
    ['pkcs8-der', pkcs8Der.toString('base64').replace(/.{64}/g, '$&\n')],
    ['base64-pem', Buffer.from(key.privateKeyPem).toString('base64')],
  ] as const)('reads %s and normalises it to the SES form', (format, input) => {
    const imported = importPrivateKey(input);
    expect(imported.sourceFormat).toBe(format);
    expect(imported.sesPrivateKey).toBe(pkcs1Der.toString('base64'));
    expect(imported.publicKey).toBe(key.publicKey);
    expect(imported.bits).toBe(2048);
    expect(imported.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });

  it('reads a Buffer holding a PEM file', () => {
    expect(importPrivateKey(Buffer.from(key.privateKeyPem)).publicKey).toBe(key.publicKey);
  });

  it('warns about a 1024-bit key', () => {
    expect(importPrivateKey(testKey(1024).privateKeyPem).warnings.map((w) => w.code)).toEqual(['short-key']);
  });

  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = crypto.generateKeyPairSync('ed25519');
  const encrypted = key.privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'secret',
  }) as string;
  const truncatedPem = key.privateKeyPem.slice(0, 900) + '\n-----END RSA PRIVATE KEY-----\n';
  const editedDer = Buffer.from(pkcs1Der);
  editedDer[40] = editedDer[40]! ^ 0xff;
  it.each([
    ['an encrypted PKCS#8 key', encrypted, 'ENCRYPTED_PRIVATE_KEY'],
    ['an EC key (SEC1 PEM)', ec.privateKey.export({ type: 'sec1', format: 'pem' }), 'NOT_RSA_KEY'],
    ['an EC key (PKCS#8)', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }), 'NOT_RSA_KEY'],
    ['an Ed25519 key', ed.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'), 'NOT_RSA_KEY'],
    ['a 1536-bit RSA key', testKey(1536).privateKeyPem, 'UNSUPPORTED_KEY_SIZE'],
    [
      'a public key',
      crypto.createPublicKey(key.privateKey).export({ type: 'spki', format: 'pem' }),
      'INVALID_PRIVATE_KEY',
    ],
    ['a truncated PEM', truncatedPem, 'INVALID_PRIVATE_KEY'],
    ['a PEM without its END line', key.privateKeyPem.split('-----END')[0], 'INVALID_PRIVATE_KEY'],
    ['base64 DER with an edited modulus byte', editedDer.toString('base64'), 'INCONSISTENT_PRIVATE_KEY'],
    ['base64 DER cut short', pkcs1Der.subarray(0, 700).toString('base64'), 'INVALID_PRIVATE_KEY'],
    ['text that is not a key', 'not a key at all!', 'INVALID_PRIVATE_KEY'],
    ['an empty string', '  ', 'INVALID_PRIVATE_KEY'],
  ])('refuses %s with a typed error that holds no key material', (_label, input, code) => {
    let caught: unknown;
    try {
      importPrivateKey(input as string);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KeyError);
    expect(caught).toBeInstanceOf(ByodkimError);
    const error = caught as KeyError;
    expect(error.code).toBe(code);
    expect(error.cause).toBeUndefined();
    const everything = [error.message, error.stack ?? '', JSON.stringify(error), inspect(error)].join('\n');
    expectNoKeyMaterial(everything, key.privateKeyPem, pkcs1Der.toString('base64'), pkcs8Der.toString('base64'));
  });

  it('refuses a key whose numbers were edited so that it cannot sign', () => {
    const jwk = key.privateKey.export({ format: 'jwk' });
    const other = testKey(2048, 'other').privateKey.export({ format: 'jwk' });
    const broken = crypto.createPrivateKey({
      key: { ...jwk, d: other.d, dp: other.dp, dq: other.dq, qi: other.qi },
      format: 'jwk',
    });
    const pem = broken.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect(() => importPrivateKey(pem)).toThrow(expect.objectContaining({ code: 'INCONSISTENT_PRIVATE_KEY' }));
  });

  it('the no-key-material check itself catches a leak', () => {
    const leaky = `could not read ${pkcs1Der.toString('base64').slice(600, 640)}`;
    expect(() => expectNoKeyMaterial(leaky, key.privateKeyPem)).toThrow(/private key material/);
  });
});
