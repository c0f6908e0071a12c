/**
 * Key generators for the in-memory world (the real one is `functions/adapters/key-generator.ts`).
 * RSA-2048 generation takes ~50–150 ms, and a 3-year, 50-domain simulation needs hundreds of keys, so
 * `KeyPool` generates a few real key pairs once and hands them out per domain in turn: consecutive keys of
 * one domain always differ (a DNS team's "stale old value" is still caught), and a domain only sees a key
 * again after `size` rotations (the simulation uses 10: more than 4 years at the default 150-day cadence).
 */
import { generateKeyPair } from '../dkim/keys';
import type { KeyBits } from '../core/spec';
import type { KeyGenerator, KeyPair } from '../lifecycle/ports';

const pools = new Map<string, KeyPair[]>();

/** `size` real key pairs of `bits`, generated once per process and shared. */
export function realKeyPairs(size: number, bits: KeyBits = 2048): KeyPair[] {
  const id = `${bits}`;
  const pool = pools.get(id) ?? [];
  while (pool.length < size) {
    const pair = generateKeyPair({ bits });
    pool.push({ privateKey: pair.sesPrivateKey, publicKey: pair.publicKey });
  }
  pools.set(id, pool);
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
