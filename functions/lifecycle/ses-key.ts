/**
 * SES accepts private keys in encodings it then never verifies — PKCS#8 DER, or the base64 of a PEM file
 * (design §2): the identity stays PENDING until FAILED after 72 hours while mail goes unsigned, silently.
 * byodkim only ever gives SES base64 PKCS#1 DER, so a key that is not — from a faulty generator, or a key
 * store that hands back something else than it was given — or whose public half is not the one published,
 * is refused here: before it is stored, and again before SES is given it. The run records the failure
 * (a ServiceError: backoff, the operators' alarm on ActionFailures) and SES keeps signing as it did.
 *
 * Messages name the problem, never the key (invariant 6).
 */
import { createHash } from 'node:crypto';
import { ServiceError } from '../core/errors';
import { publicKeyFromSesKey } from '../dkim/keys';

export const INVALID_PRIVATE_KEY = 'INVALID_PRIVATE_KEY';

/**
 * Public halves already derived from keys that passed, by the SHA-256 of the private key (never the key
 * itself): reading a 2048-bit key with OpenSSL costs far more than hashing it, and a key is checked again
 * at every retry of its step. Bounded; a key that failed is not remembered (it fails again, the same way).
 */
const derivedPublicKeys = new Map<string, string>();
const DERIVED_KEPT = 256;

function derivePublicKey(privateKey: string): string {
  const digest = createHash('sha256').update(privateKey).digest('base64');
  const hit = derivedPublicKeys.get(digest);
  if (hit !== undefined) return hit;
  const derived = publicKeyFromSesKey(privateKey);
  if (derivedPublicKeys.size >= DERIVED_KEPT) derivedPublicKeys.clear();
  derivedPublicKeys.set(digest, derived);
  return derived;
}

/**
 * Throws a ServiceError (`INVALID_PRIVATE_KEY`, service `source`) unless `privateKey` is base64 PKCS#1 DER
 * whose public key is `publicKey` (when given).
 */
export function assertKeyForSes(privateKey: string, publicKey: string | undefined, source: string): void {
  let derived: string;
  try {
    derived = derivePublicKey(privateKey);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'the private key cannot be read';
    throw new ServiceError(
      INVALID_PRIVATE_KEY,
      `${source} handed a private key SES would accept and never verify: ${reason}. byodkim gives SES base64 PKCS#1 DER only; the key was not used.`,
      source,
    );
  }
  if (publicKey !== undefined && derived !== publicKey) {
    throw new ServiceError(
      INVALID_PRIVATE_KEY,
      `${source} handed a private key whose public half is not the one published for it: SES would never verify it; the key was not used.`,
      source,
    );
  }
}
