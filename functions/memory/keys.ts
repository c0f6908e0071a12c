/**
 * Key generators for the in-memory world (the real one is `functions/adapters/key-generator.ts`).
 * RSA-2048 generation takes ~50–150 ms, and a 3-year, 50-domain simulation needs hundreds of keys, so
 * `KeyPool` generates a few real key pairs once and hands them out per domain in turn: consecutive keys of
 * one domain always differ (a DNS team's "stale old value" is still caught), and a domain only sees a key
 * again after `size` rotations (the simulation uses 10: more than 4 years at the default 150-day cadence).
 */
import { generateKeyPair as generateRsa } from 'node:crypto';
import { generateKeyPair, publicKeyFromSesKey } from '../dkim/keys';
import type { KeyBits } from '../core/spec';
import type { KeyGenerator, KeyPair } from '../lifecycle/ports';

const pools = new Map<string, KeyPair[]>();

function poolOf(bits: KeyBits): KeyPair[] {
  let pool = pools.get(`${bits}`);
  if (!pool) {
    pool = [];
    pools.set(`${bits}`, pool);
  }
  return pool;
}

/** `size` real key pairs of `bits`, generated once per process and shared. */
export function realKeyPairs(size: number, bits: KeyBits = 2048): KeyPair[] {
  const pool = poolOf(bits);
  while (pool.length < size) {
    const pair = generateKeyPair({ bits });
    pool.push({ privateKey: pair.sesPrivateKey, publicKey: pair.publicKey });
  }
  return pool.slice(0, size);
}

/** One RSA pair from OpenSSL off the main thread (libuv's pool), in byodkim's encodings, checked like `generateKeyPair`'s. */
function generateOffThread(bits: KeyBits): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    generateRsa('rsa', { modulusLength: bits, publicExponent: 65537 }, (error, publicKey, privateKey) => {
      if (error) {
        reject(error);
        return;
      }
      try {
        const pair = {
          privateKey: privateKey.export({ type: 'pkcs1', format: 'der' }).toString('base64'),
          publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        };
        // The SES form must decode back as PKCS#1 to this public key (what the engine checks before SES).
        if (publicKeyFromSesKey(pair.privateKey) !== pair.publicKey)
          throw new Error('a generated key pair does not decode back to its own public key');
        resolve(pair);
      } catch (problem) {
        reject(problem instanceof Error ? problem : new Error(String(problem)));
      }
    });
  });
}

/**
 * `realKeyPairs`, generated concurrently on libuv's thread pool (RSA-2048 prime search is most of a
 * simulation's fixed cost: on a 2-core machine this halves its wall time). Same pool, same pairs.
 */
export async function realKeyPairsAsync(size: number, bits: KeyBits = 2048): Promise<KeyPair[]> {
  const pool = poolOf(bits);
  const missing = Math.max(0, size - pool.length);
  const fresh = await Promise.all(Array.from({ length: missing }, () => generateOffThread(bits)));
  // Another caller may have filled the pool meanwhile: keep what is there, add only what is still missing.
  for (const pair of fresh) if (pool.length < size) pool.push(pair);
  return pool.slice(0, size);
}

/** Hands out pooled pairs: each domain walks the pool from its own offset, one step per key. */
export class KeyPool implements KeyGenerator {
  private readonly next = new Map<string, number>();
  generated = 0;
  /** Which domain the next `generate` is for (the simulation sets it before each run). */
  domain = '';

  constructor(private readonly pairs: readonly KeyPair[]) {
    if (pairs.length < 2) throw new Error('KeyPool needs at least two key pairs');
  }

  async generate(): Promise<KeyPair> {
    const domain = this.domain;
    let index = this.next.get(domain);
    if (index === undefined) {
      let h = 0;
      for (let i = 0; i < domain.length; i += 1) h = (h * 31 + domain.charCodeAt(i)) >>> 0;
      index = h % this.pairs.length;
    }
    this.next.set(domain, (index + 1) % this.pairs.length);
    this.generated += 1;
    return this.pairs[index]!;
  }

  /** Every private key the pool can hand out (for the key-material scanner, invariant 6). */
  privateKeys(): string[] {
    return this.pairs.map((p) => p.privateKey);
  }
}
