/**
 * A one-domain world as harsh as the real one (DNS as it is, SES as strict, faults by kind), driven by
 * hand: the reconciler on a schedule plus requeues, the independent invariant checker after every run.
 */
import { createPrivateKey } from 'node:crypto';
import type { DomainSpec } from '../../../functions/core/spec';
import { HOUR_MS, MINUTE_MS } from '../../../functions/core/time';
import { reconcile, type ReconcileResult } from '../../../functions/lifecycle/reconciler';
import type { OperatorCommand } from '../../../functions/lifecycle/commands';
import { SimulatedCrash } from '../../../functions/memory/faults';
import { InvariantChecker, SecretScanner } from '../../../functions/simulation/invariants';
import { World, type IdentitySetup, type WorldOptions } from '../../../functions/simulation/world';

/** Key pairs, the start time, the domain and its spec per DNS mode: the lifecycle tests' own fixtures. */
import { DOMAIN, START, testPairs as pairs, specFor as spec } from '../lifecycle/helpers';

export { DOMAIN, START, pairs, spec };

export interface RealWorld {
  readonly world: World;
  readonly spec: DomainSpec;
  readonly checker: InvariantChecker;
  /** One run now (crashes are swallowed: the Lambda's retry is the next run), then the checker. */
  run(command?: OperatorCommand): Promise<ReconcileResult | 'crashed'>;
  /** Runs on the schedule (`every`) and at every requeue until `until`. */
  until(until: number, every?: number): Promise<void>;
}

export function realWorld(
  mode: 'route53' | 'external' | 'delegated',
  options: Partial<WorldOptions> & { identity?: IdentitySetup } = {},
): RealWorld {
  const all = pairs(4);
  const s = spec(mode);
  const world = new World({ start: START, keys: all.slice(0, 3), ...options });
  world.addDomain(s, options.identity ?? { kind: 'easy-dkim' });
  const scanner = new SecretScanner();
  for (const pair of all) scanner.addPrivateKey(pair.privateKey, pair.publicKey);
  const checker = new InvariantChecker(
    {
      dns: world.dns,
      resolvers: world.resolvers,
      ses: world.ses,
      keyStore: world.keyStore,
      specOf: () => s,
      teamLate: () => false,
      operatorTouched: () => false,
      sendingFrom: () => START,
    },
    scanner,
  );
  const create = world.keyStore.create.bind(world.keyStore);
  world.keyStore.create = async (domain, keyId, pair) => {
    checker.noteKey(domain, pair.publicKey, keyId);
    return create(domain, keyId, pair);
  };
  world.stateStore.onWrite = (domain, json) => checker.stateWritten(domain, world.clock.now(), json);
  checker.account(DOMAIN, START);
  let next = START;
  const h: RealWorld = {
    world,
    spec: s,
    checker,
    async run(command) {
      const now = world.clock.now();
      checker.account(DOMAIN, now);
      let result: ReconcileResult | 'crashed';
      try {
        result = await reconcile(s, world.ports, command ? { command } : {});
      } catch (error) {
        if (!(error instanceof SimulatedCrash)) throw error;
        result = 'crashed';
      }
      checker.checkDomain(DOMAIN, now);
      return result;
    },
    async until(until, every = 6 * HOUR_MS) {
      next = Math.max(next, world.clock.now());
      while (next <= until) {
        world.clock.set(next);
        const result = await h.run();
        const requeue =
          result === 'crashed' ? MINUTE_MS : result.requeueAfterMs !== undefined ? result.requeueAfterMs : Infinity;
        next = Math.min(next + every, next + Math.max(requeue, MINUTE_MS));
      }
      world.clock.set(until);
      checker.account(DOMAIN, until);
      checker.checkDomain(DOMAIN, until);
    },
  };
  return h;
}

function keyObject(pkcs1: string) {
  return createPrivateKey({ key: Buffer.from(pkcs1, 'base64'), format: 'der', type: 'pkcs1' });
}

/** The same private key as PKCS#8 DER, base64: accepted by SES, never verifies. */
export function pkcs8Of(pkcs1: string): string {
  return (keyObject(pkcs1).export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('base64');
}

/** The same private key as the base64 of a PEM file: accepted by SES, never verifies. */
export function pemBase64Of(pkcs1: string): string {
  return Buffer.from(keyObject(pkcs1).export({ type: 'pkcs1', format: 'pem' }) as string).toString('base64');
}
