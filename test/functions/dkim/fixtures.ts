/**
 * Test fixtures: RSA keys made with Node's crypto directly (independent of the code under test), and
 * TxtAnswer builders.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { TxtAnswer } from '../../../functions/dkim/dns-answer';

export interface TestKey {
  readonly privateKey: KeyObject;
  /** PKCS#1 PEM. */
  readonly privateKeyPem: string;
  /** Base64 DER SubjectPublicKeyInfo. */
  readonly publicKey: string;
}

const cache = new Map<string, TestKey>();

/** A key of `bits` bits; the same `label` gives the same key within one test file. */
export function testKey(bits: number, label = 'a'): TestKey {
  const id = `${bits}:${label}`;
  let key = cache.get(id);
  if (!key) {
    const pair = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
    key = {
      privateKey: pair.privateKey,
      privateKeyPem: pair.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      publicKey: (pair.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64'),
    };
    cache.set(id, key);
  }
  return key;
}

/** The same public key as a bare PKCS#1 RSAPublicKey (the wrong encoding for `p=`), base64 DER. */
export function toPkcs1PublicKey(spki: string): string {
  const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' });
  return (key.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64');
}

export const DOMAIN = 'example.com';
export const SELECTOR = 'mail-prod-20250907-1';
export const NAME = `${SELECTOR}._domainkey.${DOMAIN}`;
export const DOUBLED_NAME = `${NAME}.${DOMAIN}`;

/** A TXT answer holding the given records, each a list of character-strings. */
export function answerWith(records: readonly (readonly string[])[], extra: Partial<TxtAnswer> = {}): TxtAnswer {
  return { name: NAME, outcome: 'answer', records, cnameChain: [], ...extra };
}

/** An answer without records: `nxdomain`, `nodata`, or a failure outcome. */
export function answerOutcome(outcome: TxtAnswer['outcome'], extra: Partial<TxtAnswer> = {}): TxtAnswer {
  return { name: NAME, outcome, records: [], cnameChain: [], ...extra };
}

/** The public encodings of a private key given as PEM or base64 DER (their runs are not secret). */
function publicForms(form: string): string[] {
  const attempts = /-----BEGIN/.test(form)
    ? [() => createPrivateKey({ key: form, format: 'pem' })]
    : (['pkcs1', 'pkcs8'] as const).map(
        (type) => () => createPrivateKey({ key: Buffer.from(form.replace(/\s+/g, ''), 'base64'), format: 'der', type }),
      );
  for (const attempt of attempts) {
    try {
      const pub = createPublicKey(attempt());
      return [
        (pub.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64'),
        (pub.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64'),
      ];
    } catch {
      // try the next encoding
    }
  }
  return [];
}

/**
 * Throws when any 16-character run of a private key's base64 (each form given: PEM bodies or one-line
 * base64) appears in `text`. Runs that the public key shares (the modulus, at the same base64 alignment)
 * are public and skipped.
 */
export function expectNoKeyMaterial(text: string, ...forms: readonly string[]): void {
  for (const form of forms) {
    const body = form.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const publicRuns = publicForms(form);
    for (let i = 0; i + 16 <= body.length; i += 1) {
      const run = body.slice(i, i + 16);
      if (text.includes(run) && !publicRuns.some((p) => p.includes(run))) {
        throw new Error(`private key material found in the text (key offset ${i})`);
      }
    }
  }
}
