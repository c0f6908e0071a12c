/**
 * The real KeyGenerator: key pairs in the forms SES and DNS take, checked with Node's crypto directly
 * (independent of the code under test). One 2048-bit and one 1024-bit key: a few hundred milliseconds.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { DkimKeyGenerator } from '../../../functions/adapters/key-generator';
import { SES_PRIVATE_KEY_PATTERN } from '../../../functions/dkim/keys';
import type { KeyGenerator, KeyPair } from '../../../functions/lifecycle/ports';
import { parseRecord, formatRecordValue } from '../../../functions/dkim/record';

function check(pair: KeyPair, bits: number): void {
  // SES form: base64 of the PKCS#1 RSAPrivateKey DER, on one line.
  expect(pair.privateKey).toMatch(SES_PRIVATE_KEY_PATTERN);
  const der = Buffer.from(pair.privateKey, 'base64');
  expect(der.toString('base64')).toBe(pair.privateKey);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  // PKCS#1, not PKCS#8: the DER re-exported as PKCS#1 is byte-identical.
  expect((privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer).equals(der)).toBe(true);
  expect(privateKey.asymmetricKeyType).toBe('rsa');
  expect(privateKey.asymmetricKeyDetails).toMatchObject({ modulusLength: bits, publicExponent: 65537n });

  // DNS form: base64 DER SubjectPublicKeyInfo of the same key, usable as p=.
  const publicKey = createPublicKey({ key: Buffer.from(pair.publicKey, 'base64'), format: 'der', type: 'spki' });
  expect((createPublicKey(privateKey).export({ type: 'spki', format: 'der' }) as Buffer).toString('base64')).toBe(
    pair.publicKey,
  );
  expect(parseRecord(formatRecordValue(pair.publicKey)).publicKey).toBe(pair.publicKey);

  // What DKIM does with them: rsa-sha256 signed with the private key verifies with the published key.
  const data = Buffer.from('DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=...; b=');
  const signature = sign('sha256', data, privateKey);
  expect(verify('sha256', data, publicKey, signature)).toBe(true);
  expect(verify('sha256', Buffer.concat([data, Buffer.from('x')]), publicKey, signature)).toBe(false);
}

describe('DkimKeyGenerator', () => {
  it('makes a 2048-bit pair: the private key as base64 PKCS#1 DER, the public key verifying its signatures', async () => {
    const generator: KeyGenerator = new DkimKeyGenerator();
    check(await generator.generate(2048), 2048);
  });

  it('makes a 1024-bit pair when asked, and counts what it made', async () => {
    const generator = new DkimKeyGenerator();
    check(await generator.generate(1024), 1024);
    expect(generator.generated).toBe(1);
  });

  it('makes a new key every time', async () => {
    const generator = new DkimKeyGenerator();
    const [a, b] = [await generator.generate(1024), await generator.generate(1024)];
    expect(a.publicKey).not.toBe(b.publicKey);
    expect(generator.generated).toBe(2);
  });

  it('prints and logs nothing', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation(() => undefined),
    );
    const write = jest.spyOn(process.stdout, 'write');
    const writeErr = jest.spyOn(process.stderr, 'write');
    try {
      await new DkimKeyGenerator().generate(1024);
      for (const spy of [...spies, write, writeErr]) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of [...spies, write, writeErr]) spy.mockRestore();
    }
  });
});
