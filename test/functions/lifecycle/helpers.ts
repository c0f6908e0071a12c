/**
 * Test fixtures for the lifecycle engine: key pairs made with Node's crypto (independent of the code under
 * test), specs per DNS mode, and a one-domain world driven on a schedule.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { KeyPair } from '../../../functions/lifecycle/ports';
import { observe, reconcile, type ReconcileResult } from '../../../functions/lifecycle/reconciler';
import type { OperatorCommand } from '../../../functions/lifecycle/commands';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../functions/core/time';
import { defaultRenewBeforeDays, type DomainSpec } from '../../../functions/core/spec';
import { World, type IdentitySetup } from '../../../functions/simulation/world';
import { InvariantChecker, SecretScanner } from '../../../functions/simulation/invariants';
import type { DomainState } from '../../../functions/lifecycle/state';
import { SimulatedCrash } from '../../../functions/memory/faults';

/**
 * The run's key pairs, made once by jest's global setup (scripts/jest-global-setup.cjs) and named by
 * BYODKIM_TEST_KEY_FILE; none when a file runs outside that setup.
 */
function runPairs(): KeyPair[] {
  const file = process.env['BYODKIM_TEST_KEY_FILE'];
  if (!file || !existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as KeyPair[]).filter(
    (p) => typeof p.privateKey === 'string' && typeof p.publicKey === 'string',
  );
}

const pairs: KeyPair[] = runPairs();

/**
 * `n` RSA key pairs in SES form (base64 PKCS#1 DER) and record form (base64 SPKI DER): the run's pairs
 * first, then new ones made here when a file needs more (or runs without jest's global setup).
 */
export function testPairs(n: number): KeyPair[] {
  while (pairs.length < n) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    pairs.push({
      privateKey: (pair.privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64'),
      publicKey: (pair.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64'),
    });
  }
  return pairs.slice(0, n);
}

export const START = Date.UTC(2026, 0, 5, 0, 0, 0);
export const DOMAIN = 'example.jp';

export function specFor(
  mode: 'route53' | 'external' | 'delegated',
  rotation: Partial<DomainSpec['rotation']> = {},
): DomainSpec {
  const dns =
    mode === 'route53'
      ? { kind: 'route53' as const, hostedZoneId: 'Z0EXAMPLE' }
      : mode === 'external'
        ? { kind: 'external' as const, contacts: ['dns@example.jp'], locale: 'ja' as const, leadTimeDays: 14 }
        : {
            kind: 'delegated' as const,
            zoneName: 'dkim.example.net',
            contacts: ['dns@example.jp'],
            locale: 'ja' as const,
            leadTimeDays: 14,
          };
  return {
    domain: DOMAIN,
    selectorPrefix: 'mail',
    keyBits: 2048,
    dns,
    rotation: {
      intervalDays: 180,
      renewBeforeDays: defaultRenewBeforeDays(dns),
      graceDays: 7,
      activation: 'auto',
      ...rotation,
    },
  };
}

/** Key pairs the engine's key pool hands out; `testPairs(POOL + 1)[POOL]` is a pre-existing (legacy) key. */
export const POOL = 5;

export interface Harness {
  readonly world: World;
  readonly spec: DomainSpec;
  readonly checker: InvariantChecker;
  /** Runs the reconciler once (optionally with a command); crashes propagate. */
  run(command?: OperatorCommand): Promise<ReconcileResult>;
  /** Runs every `every` of simulated time for `duration`, plus requeues, like the schedule. */
  advance(duration: number, every?: number): Promise<void>;
  state(): Promise<DomainState>;
  /** Invariants 1–3 for the domain at the current time. */
  check(): void;
  /** The DNS team's job in external mode: publish a TXT record exactly. */
  publish(name: string, strings: readonly string[], ttl?: number): void;
}

export function harness(
  spec: DomainSpec,
  identity: IdentitySetup | 'easy-dkim' | 'none' = 'easy-dkim',
  options: { start?: number; gate?: () => Promise<void> } = {},
): Harness {
  const all = testPairs(POOL + 1);
  const world = new World({
    start: options.start ?? START,
    keys: all.slice(0, POOL),
    ...(options.gate ? { gate: options.gate } : {}),
  });
  world.addDomain(
    spec,
    identity === 'easy-dkim' ? { kind: 'easy-dkim' } : identity === 'none' ? { kind: 'none' } : identity,
  );
  const scanner = new SecretScanner();
  for (const pair of all) scanner.addPrivateKey(pair.privateKey, pair.publicKey);
  const checker = new InvariantChecker(
    {
      dns: world.dns,
      resolvers: world.resolvers,
      ses: world.ses,
      keyStore: world.keyStore,
      specOf: () => spec,
      stateOf: () => {
        const raw = world.stateStore.raw(spec.domain);
        return raw ? JSON.parse(raw) : undefined;
      },
      teamLate: () => false,
      operatorTouched: () => true,
      sendingFrom: () => options.start ?? START,
    },
    scanner,
  );
  const create = world.keyStore.create.bind(world.keyStore);
  world.keyStore.create = async (domain, keyId, pair) => {
    checker.noteKey(domain, pair.publicKey);
    return create(domain, keyId, pair);
  };
  world.stateStore.onWrite = (domain, json) => checker.stateWritten(domain, world.clock.now(), json);
  checker.account(spec.domain, world.clock.now());
  const h: Harness = {
    world,
    spec,
    checker,
    run: (command) => reconcile(spec, world.ports, command ? { command } : {}),
    async advance(duration, every = 6 * HOUR_MS) {
      const end = world.clock.now() + duration;
      let next = world.clock.now();
      while (next <= end) {
        world.clock.set(next);
        checker.account(spec.domain, next);
        let result: ReconcileResult;
        try {
          result = await h.run();
        } catch (error) {
          if (!(error instanceof SimulatedCrash)) throw error;
          checker.checkDomain(spec.domain, next);
          next += MINUTE_MS; // the Lambda's asynchronous retry
          continue;
        }
        checker.checkDomain(spec.domain, next);
        const requeue = result.requeueAfterMs;
        const periodic = next + every;
        next = requeue !== undefined ? Math.min(periodic, next + Math.max(requeue, MINUTE_MS)) : periodic;
      }
      world.clock.set(end);
    },
    async state() {
      return (await world.stateStore.load(spec.domain))!;
    },
    check() {
      checker.account(spec.domain, world.clock.now());
      checker.checkDomain(spec.domain, world.clock.now());
    },
    publish(name, strings, ttl = 3600) {
      world.dns.set(name, { txt: [strings], ttl }, world.clock.now());
    },
  };
  return h;
}

/** Observations as the reconciler would make them now (no faults). */
export async function observeNow(h: Harness) {
  const state = (await h.world.stateStore.load(h.spec.domain))!;
  return { state, obs: await observe(h.spec, state, h.world.cleanPorts) };
}

export { DAY_MS, HOUR_MS, MINUTE_MS };
