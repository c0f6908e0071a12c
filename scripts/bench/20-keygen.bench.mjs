// Key generation: byodkim's generateKeyPair (node-forge on its native path, plus the PKCS#1/SPKI encodings
// and the self-check) against Node's crypto.generateKeyPairSync alone: 20 RSA-2048 keys each, in the same
// run, interleaved so that machine noise hits both alike. Target: ratio of the medians ≤ 1.2.
//
// RSA key generation time is a random prime search: single keys vary several-fold, so the ratio of two
// medians of 20 moves by ±25 % between runs on its own. The bench therefore also times, for every one of
// our keys, the native call inside it (node-forge calls crypto.generateKeyPairSync on the shared module
// object, which the bench wraps) and reports the median per-key ratio total/native: the cost of our own
// work, free of the prime-search noise. A ratio far above 1.2 on both would mean forge fell back to its
// pure-JavaScript prime search (tens of seconds per key).
//
// To tame that noise the comparison is repeated in ROUNDS rounds of 20 keys each way; every round gives a
// ratio of medians, and the figure compared with the target is the median of those round ratios.
import { createRequire } from 'node:module';
import path from 'node:path';
import { median } from './harness.mjs';

export const name = 'keygen: RSA-2048, byodkim (node-forge native) vs crypto.generateKeyPairSync';

const RUNS = 20;
const ROUNDS = 5;
const TARGET = 1.2;
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run({ root, log }) {
  const require = createRequire(import.meta.url);
  const crypto = require('node:crypto');
  const { generateKeyPair } = require(path.join(root, 'dist', 'functions', 'dkim', 'keys.js'));
  const native = crypto.generateKeyPairSync;
  const options = { modulusLength: 2048, publicExponent: 0x10001 };

  let insideMs = 0;
  let insideCalls = 0;
  crypto.generateKeyPairSync = function timed(...args) {
    const started = process.hrtime.bigint();
    try {
      return native.apply(this, args);
    } finally {
      insideMs += ms(started);
      insideCalls += 1;
    }
  };
  const ours = [];
  const bare = [];
  const perKeyRatios = [];
  const roundRatios = [];
  try {
    generateKeyPair({ bits: 2048 }); // warm-up
    native('rsa', options);
    for (let round = 0; round < ROUNDS; round += 1) {
      const roundOurs = [];
      const roundBare = [];
      for (let i = 0; i < RUNS; i += 1) {
        insideMs = 0;
        insideCalls = 0;
        let started = process.hrtime.bigint();
        const pair = generateKeyPair({ bits: 2048 });
        const total = ms(started);
        if (pair.bits !== 2048 || !pair.sesPrivateKey) throw new Error('generateKeyPair returned no key');
        if (insideCalls !== 1) throw new Error(`node-forge did not take its native path (${insideCalls} native calls)`);
        roundOurs.push(total);
        perKeyRatios.push(total / insideMs);

        started = process.hrtime.bigint();
        native('rsa', options);
        roundBare.push(ms(started));
      }
      roundRatios.push(median(roundOurs) / median(roundBare));
      ours.push(...roundOurs);
      bare.push(...roundBare);
    }
  } finally {
    crypto.generateKeyPairSync = native;
  }
  const oursMedian = median(ours);
  const bareMedian = median(bare);
  const ratio = median(roundRatios);
  const paired = median(perKeyRatios);
  const verdict = (r) => `target ≤ ${TARGET} ${r <= TARGET ? '(met)' : '(NOT met)'}`;
  const keys = `${RUNS * ROUNDS} keys`;
  log(`${'byodkim generateKeyPair (2048)'.padEnd(46)} median ${oursMedian.toFixed(1).padStart(7)} ms   (${keys})`);
  log(`${'crypto.generateKeyPairSync (2048)'.padEnd(46)} median ${bareMedian.toFixed(1).padStart(7)} ms   (${keys})`);
  log(
    `${'ratio of the medians of 20, median of rounds'.padEnd(46)} ${ratio.toFixed(2).padStart(14)}      ${verdict(ratio)} (rounds: ${roundRatios.map((r) => r.toFixed(2)).join(' ')})`,
  );
  log(
    `${'per-key ratio, total / native call inside'.padEnd(46)} ${paired.toFixed(3).padStart(14)}      ${verdict(paired)} (median of ${RUNS * ROUNDS})`,
  );
}
