/**
 * DKIM signing keys: generation with node-forge on its native path, and the encodings SES and DNS need.
 *
 * - SES `DomainSigningPrivateKey`: base64 of the PKCS#1 `RSAPrivateKey` DER on one line. PKCS#8 and
 *   base64-of-PEM are reported to be accepted by the API and then never verify, silently.
 * - The public key for `p=`: base64 of the DER SubjectPublicKeyInfo.
 *
 * node-forge generates RSA keys through Node's `crypto.generateKeyPairSync` only when it is called
 * synchronously, without `prng` or `workers`, with e = 65537 (or 3) and 256–16384 bits, and when
 * `forge.options.usePureJavaScript` is off; otherwise it searches primes in JavaScript (tens of seconds for
 * 2048 bits). `generateKeyPair` checks every one of those conditions before calling forge and refuses
 * instead of falling back.
 *
 * Private key material never appears in an error message or in `JSON.stringify`/`console.log` of a key
 * pair (docs/design.md §4, invariant 6).
 */
import * as crypto from 'node:crypto';
import { inspect } from 'node:util';
import forge from 'node-forge';
import type { BilingualText } from '../core/errors';
import { KeyError, KeyGenerationError } from './errors';

/** SES BYODKIM accepts RSA keys of these sizes. */
export type KeyBits = 1024 | 2048;
export const DEFAULT_KEY_BITS: KeyBits = 2048;
export const SUPPORTED_KEY_BITS: readonly KeyBits[] = [2048, 1024];
/** The public exponent node-forge needs for its native path (and the only one anyone should use). */
export const RSA_PUBLIC_EXPONENT = 0x10001;
/** SES `DomainSigningPrivateKey`: pattern and maximum length. */
export const SES_PRIVATE_KEY_PATTERN = /^[a-zA-Z0-9+/]+={0,2}$/;
export const SES_PRIVATE_KEY_MAX_LENGTH = 20480;

/** Something the caller should tell the operator, though the key is usable. */
export interface KeyWarning {
  readonly code: 'short-key';
  readonly message: BilingualText;
}

/** An RSA key pair in the forms byodkim stores, gives SES and publishes. */
export interface DkimKeyPair {
  readonly bits: KeyBits;
  /** The private key as PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`), for files and `openssl`. */
  readonly privateKeyPem: string;
  /** SES `DomainSigningPrivateKey`: base64 PKCS#1 DER, one line. */
  readonly sesPrivateKey: string;
  /** Base64 DER SubjectPublicKeyInfo: the record's `p=`. */
  readonly publicKey: string;
  readonly warnings: readonly KeyWarning[];
}

/** A key imported for adoption, with the format it came in. */
export interface ImportedKeyPair extends DkimKeyPair {
  readonly sourceFormat: 'pkcs1-pem' | 'pkcs8-pem' | 'pkcs1-der' | 'pkcs8-der' | 'base64-pem';
}

const SHORT_KEY_WARNING: KeyWarning = {
  code: 'short-key',
  message: {
    en: 'a 1024-bit key is weak (RFC 8301 recommends 2048 bits); use it only when the DNS host cannot hold a record longer than 255 characters',
    ja: '1024 ビット鍵は強度が不十分です（RFC 8301 は 2048 ビットを推奨）。DNS が 255 文字を超えるレコードを扱えない場合にのみ使用してください',
  },
};

const REDACTED = '[redacted]';

/** Makes the private fields invisible to `JSON.stringify`, `console.log` and `util.inspect`. */
function withRedaction<T extends DkimKeyPair>(pair: T): T {
  const visible = () => ({ ...pair, privateKeyPem: REDACTED, sesPrivateKey: REDACTED });
  Object.defineProperty(pair, 'toJSON', { value: visible, enumerable: false });
  Object.defineProperty(pair, inspect.custom, { value: () => visible(), enumerable: false });
  return Object.freeze(pair);
}

function assertBits(bits: number, what: string): KeyBits {
  if (bits === 2048 || bits === 1024) return bits;
  throw new KeyError(
    'UNSUPPORTED_KEY_SIZE',
    `${what} must be 2048 or 1024 bits (is ${bits}): SES BYODKIM accepts RSA keys of those sizes only`,
    'bits',
  );
}

type ForgeRuntime = { options: { usePureJavaScript: boolean }; util: { isNodejs: boolean } };

/** Why node-forge would not take its native path, or undefined when it will. */
export function nativeKeyGenerationProblem(): string | undefined {
  const runtime = forge as unknown as ForgeRuntime;
  if (runtime.options.usePureJavaScript) return 'forge.options.usePureJavaScript is switched on';
  if (!runtime.util.isNodejs) return 'node-forge does not detect Node.js';
  if (typeof crypto.generateKeyPairSync !== 'function') return "Node's crypto.generateKeyPairSync is unavailable";
  return undefined;
}

/** Builds the SES, PEM and DNS forms from a Node key object (already known to be RSA of a supported size). */
function encode(privateKey: crypto.KeyObject, bits: KeyBits): DkimKeyPair {
  const der = privateKey.export({ type: 'pkcs1', format: 'der' });
  const sesPrivateKey = der.toString('base64');
  const publicKey = (crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' }) as Buffer).toString(
    'base64',
  );
  return {
    bits,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    sesPrivateKey: assertSesPrivateKey(sesPrivateKey),
    publicKey,
    warnings: bits === 1024 ? [SHORT_KEY_WARNING] : [],
  };
}

/**
 * Generates an RSA key pair with node-forge through Node's native `crypto.generateKeyPairSync`.
 * 2048 bits by default; 1024 is allowed and comes with a `short-key` warning; anything else is refused.
 * The SES form is checked by decoding it back as PKCS#1: its public half must equal the `p=` key.
 */
export function generateKeyPair(options: { bits?: number } = {}): DkimKeyPair {
  const bits = assertBits(options.bits ?? DEFAULT_KEY_BITS, 'key size');
  const problem = nativeKeyGenerationProblem();
  if (problem) {
    throw new KeyGenerationError(
      'NATIVE_KEYGEN_UNAVAILABLE',
      `refusing to generate a key with node-forge's pure-JavaScript prime search: ${problem}`,
    );
  }
  // Synchronous, no prng, no workers, e = 65537: the conditions of forge's native branch (lib/rsa.js).
  const pair = forge.pki.rsa.generateKeyPair({ bits, e: RSA_PUBLIC_EXPONENT });
  const pkcs1 = forge.asn1.toDer(forge.pki.privateKeyToAsn1(pair.privateKey)).getBytes();
  const spki = forge.asn1.toDer(forge.pki.publicKeyToAsn1(pair.publicKey)).getBytes();
  const sesPrivateKey = assertSesPrivateKey(forge.util.encode64(pkcs1));
  const publicKey = forge.util.encode64(spki);
  if (publicKeyFromSesKey(sesPrivateKey) !== publicKey) {
    throw new KeyGenerationError('KEY_ENCODING_MISMATCH', 'the generated key pair does not encode consistently');
  }
  return withRedaction({
    bits,
    privateKeyPem: forge.pki.privateKeyToPem(pair.privateKey).replace(/\r\n/g, '\n'),
    sesPrivateKey,
    publicKey,
    warnings: bits === 1024 ? [SHORT_KEY_WARNING] : [],
  });
}

/**
 * Checks a value against SES's `DomainSigningPrivateKey` rules and that it is PKCS#1 DER (not PKCS#8, not
 * base64 of PEM). Returns it unchanged; the error never quotes it.
 */
export function assertSesPrivateKey(value: string): string {
  if (value.length === 0 || value.length > SES_PRIVATE_KEY_MAX_LENGTH || !SES_PRIVATE_KEY_PATTERN.test(value)) {
    throw new KeyError(
      'INVALID_SES_PRIVATE_KEY',
      `SES DomainSigningPrivateKey must be base64 on one line, 1–${SES_PRIVATE_KEY_MAX_LENGTH} characters (got ${value.length} characters that are not)`,
      'privateKey',
    );
  }
  const der = Buffer.from(value, 'base64');
  const readable = (() => {
    try {
      crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!readable || derPrivateKeyLayout(der) !== 'pkcs1') {
    throw new KeyError(
      'INVALID_SES_PRIVATE_KEY',
      'SES DomainSigningPrivateKey must be a PKCS#1 RSAPrivateKey in DER (PKCS#8 or base64 of a PEM file is accepted by SES but never verifies)',
      'privateKey',
    );
  }
  return value;
}

/** The base64 DER SubjectPublicKeyInfo (`p=`) of an SES `DomainSigningPrivateKey`. */
export function publicKeyFromSesKey(sesPrivateKey: string): string {
  assertSesPrivateKey(sesPrivateKey);
  const key = crypto.createPrivateKey({ key: Buffer.from(sesPrivateKey, 'base64'), format: 'der', type: 'pkcs1' });
  return (crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/;

function unreadable(detail: string): KeyError {
  return new KeyError('INVALID_PRIVATE_KEY', `could not read the private key: ${detail}`, 'privateKey');
}

function readPem(text: string): { key: crypto.KeyObject; format: 'pkcs1-pem' | 'pkcs8-pem' } {
  const block = PEM_BLOCK.exec(text);
  if (!block) throw unreadable('the PEM block has no matching END line');
  const label = block[1]!;
  if (label === 'ENCRYPTED PRIVATE KEY' || (label === 'RSA PRIVATE KEY' && /Proc-Type:\s*4,ENCRYPTED/.test(block[0]))) {
    throw new KeyError(
      'ENCRYPTED_PRIVATE_KEY',
      'the private key is encrypted; decrypt it first (e.g. `openssl pkey -in key.pem -out plain.pem`) and keep the result private',
      'privateKey',
    );
  }
  if (label === 'PUBLIC KEY' || label === 'RSA PUBLIC KEY' || label === 'CERTIFICATE') {
    throw unreadable(`this is a ${label.toLowerCase()}, not a private key`);
  }
  if (label === 'EC PRIVATE KEY' || label === 'OPENSSH PRIVATE KEY' || label === 'DSA PRIVATE KEY') {
    throw new KeyError(
      'NOT_RSA_KEY',
      `the key is an ${label.replace(' PRIVATE KEY', '')} private key; SES BYODKIM accepts RSA keys only`,
      'privateKey',
    );
  }
  if (label !== 'RSA PRIVATE KEY' && label !== 'PRIVATE KEY') {
    throw unreadable(`a PEM block labelled "${label}" is not a private key`);
  }
  try {
    return {
      key: crypto.createPrivateKey({ key: block[0], format: 'pem' }),
      format: label === 'RSA PRIVATE KEY' ? 'pkcs1-pem' : 'pkcs8-pem',
    };
  } catch {
    throw unreadable(`the ${label} PEM block is damaged (truncated or edited?)`);
  }
}

/**
 * Tells a PKCS#1 RSAPrivateKey from a PKCS#8 PrivateKeyInfo by structure (OpenSSL reads either whatever
 * type it is told): both are a SEQUENCE starting with a version INTEGER, then PKCS#1 has the modulus
 * (INTEGER) and PKCS#8 an AlgorithmIdentifier (SEQUENCE).
 */
export function derPrivateKeyLayout(der: Uint8Array): 'pkcs1' | 'pkcs8' | undefined {
  let at = 0;
  const header = (): { tag: number; length: number } | undefined => {
    if (at + 2 > der.length) return undefined;
    const tag = der[at++]!;
    let length = der[at++]!;
    if (length & 0x80) {
      const octets = length & 0x7f;
      if (octets === 0 || octets > 4 || at + octets > der.length) return undefined;
      length = 0;
      for (let k = 0; k < octets; k += 1) length = length * 256 + der[at++]!;
    }
    return { tag, length };
  };
  const outer = header();
  if (!outer || outer.tag !== 0x30 || at + outer.length !== der.length) return undefined;
  const version = header();
  if (!version || version.tag !== 0x02) return undefined;
  at += version.length;
  if (at >= der.length) return undefined;
  if (der[at] === 0x02) return 'pkcs1';
  if (der[at] === 0x30) return 'pkcs8';
  return undefined;
}

function readDer(der: Buffer): { key: crypto.KeyObject; format: 'pkcs1-der' | 'pkcs8-der' } {
  const layout = derPrivateKeyLayout(der);
  if (layout) {
    try {
      return { key: crypto.createPrivateKey({ key: der, format: 'der', type: layout }), format: `${layout}-der` };
    } catch {
      // reported below
    }
  }
  throw unreadable('the base64 text is not a DER private key (PKCS#1 or PKCS#8), or it is damaged');
}

/**
 * Imports an existing private key for adoption: PEM PKCS#1 (`BEGIN RSA PRIVATE KEY`), PEM PKCS#8
 * (`BEGIN PRIVATE KEY`), base64 DER of either (line breaks allowed), or base64 of a whole PEM file (a known
 * mistake, repaired here). Returns it normalised to the SES form; refuses encrypted, non-RSA and unsupported
 * sizes with a KeyError that never quotes the input.
 */
export function importPrivateKey(input: string | Buffer): ImportedKeyPair {
  const text = (Buffer.isBuffer(input) ? input.toString('latin1') : input).trim();
  let read: { key: crypto.KeyObject; format: ImportedKeyPair['sourceFormat'] };
  if (text.includes('-----BEGIN')) {
    read = readPem(text);
  } else {
    const compact = text.replace(/\s+/g, '');
    if (compact.length === 0) throw unreadable('it is empty');
    if (!SES_PRIVATE_KEY_PATTERN.test(compact)) {
      throw unreadable('it is neither a PEM block nor base64 (base64 uses A-Z a-z 0-9 + / and "=" at the end)');
    }
    const decoded = Buffer.from(compact, 'base64');
    const asText = decoded.toString('latin1');
    read = asText.includes('-----BEGIN') ? { key: readPem(asText).key, format: 'base64-pem' } : readDer(decoded);
  }
  const { key, format } = read;
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyError(
      'NOT_RSA_KEY',
      `the key is a ${key.asymmetricKeyType} key; SES BYODKIM accepts RSA keys (rsaEncryption) only`,
      'privateKey',
    );
  }
  const bits = assertBits(key.asymmetricKeyDetails?.modulusLength ?? 0, 'the imported key');
  const pair = encode(key, bits);
  assertKeyWorks(key, pair.publicKey);
  return withRedaction({ ...pair, sourceFormat: format });
}

/** Signs and verifies one message: a key whose numbers were edited parses fine and still cannot sign. */
function assertKeyWorks(key: crypto.KeyObject, publicKey: string): void {
  const probe = Buffer.from('byodkim key check');
  const ok = (() => {
    try {
      const signature = crypto.sign('sha256', probe, key);
      const pub = crypto.createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
      return crypto.verify('sha256', probe, pub, signature);
    } catch {
      return false;
    }
  })();
  if (!ok) {
    throw new KeyError(
      'INCONSISTENT_PRIVATE_KEY',
      'the private key is inconsistent: a signature made with it does not verify with its own public key',
      'privateKey',
    );
  }
}
