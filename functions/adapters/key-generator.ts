/**
 * The real {@link KeyGenerator}: RSA key pairs from Node's native `crypto.generateKeyPairSync`, in the forms
 * SES and DNS need (functions/dkim/keys.ts): the private key as base64 PKCS#1 DER on one line (what
 * `PutEmailIdentityDkimSigningAttributes` verifies), the public key as base64 DER SubjectPublicKeyInfo (the
 * record's `p=`). The private key goes straight to the key store; nothing here logs or keeps it.
 */
import type { KeyBits } from '../core/spec';
import { generateKeyPair } from '../dkim/keys';
import type { KeyGenerator, KeyPair } from '../lifecycle/ports';

export class DkimKeyGenerator implements KeyGenerator {
  /** How many key pairs this generator made (the simulation and benchmarks count them). */
  generated = 0;

  async generate(bits: KeyBits): Promise<KeyPair> {
    const pair = generateKeyPair({ bits });
    this.generated += 1;
    return { privateKey: pair.sesPrivateKey, publicKey: pair.publicKey };
  }
}
