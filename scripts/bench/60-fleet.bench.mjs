// The fleet: the real planner and worker handlers (from dist/, built by bench.mjs) over 1,000 and 10,000
// route53-mode domains, with the AWS SDK's `send` replaced by in-process fakes (fleet-world.mjs) that answer
// after 50 ms, Route 53 at 10 requests/second burst 50 for the account, SES throttled beyond
// BENCH_SES_RPS (default 10 requests/second, burst BENCH_SES_BURST = 20; SES publishes no management-API
// rate; at the 1 request/second the project's simulator assumes, 9 of 100 domains were still throttled out of
// their first activation after 24 ticks), and BENCH_WORKERS concurrent workers (default 10: the event source
// mapping's default maximum concurrency), 5 messages per invocation, a failed message visible again after
// the queue's visibility timeout (30 min). Time is VIRTUAL: every 50 ms wait, backoff and key generation
// (the measured median of one RSA-2048 key, charged per key; keys come from a pool of 4 real pairs) advances
// a simulated clock, so 10,000 domains take seconds, not hours. DNS lookups go to a simulated DNS (not AWS
// calls). SQS polling by the event source mapping is not counted (it is not the worker's). A worker's
// requeue (SendMessage with DelaySeconds, when the engine asks to run again within 15 min) is counted, and
// the message becomes visible after its delay within the same tick: a tick lasts until the queue, delayed
// messages included, is empty (what would be visible only after the 6 h period is left to the next tick).
//
// Per fleet size:
// 1. adoption wave: every identity starts on Easy DKIM with no state: every domain's first BYODKIM key at
//    once. A schedule tick (planner + workers until the queue is drained) every 6 h, until every domain
//    signs with an active BYODKIM key.
// 2. steady state: one more tick with nothing to do: AWS calls per domain (target ≤ 3), by action.
// 3. rotation wave: the clock jumps to the day every key is due (interval − renewBefore), so every domain
//    rotates at once; ticks until every domain signs with its new key: the fleet's convergence time.
// Reported: per tick the virtual time until the queue drained (target: within the 6 h period), calls per
// domain, throttled attempts, and the real time the run took. Timings are printed, never asserted.
import { createRequire } from 'node:module';
import path from 'node:path';
import { createWorld, MessageHeap } from './fleet-world.mjs';
import { median } from './harness.mjs';

export const name = 'fleet: planner + workers, 1,000 and 10,000 domains (fake AWS at 50 ms/call, virtual clock)';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PERIOD_MS = 6 * HOUR;
const TARGET_CALLS = 3;
const VISIBILITY_MS = 6 * 300 * 1000;
const MAX_RECEIVES = 5;
const BATCH = 5;
const MAX_TICKS = 12;

const SIZES = (process.env.BENCH_FLEET_SIZES ?? '1000,10000').split(',').map(Number);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 10);
const SES_RPS = Number(process.env.BENCH_SES_RPS ?? 10);
const SES_BURST = Number(process.env.BENCH_SES_BURST ?? 20);
/** The planner's release rate and window (BYODKIM_PLAN_RATE, BYODKIM_PLAN_WINDOW_SECONDS; default: theirs). */
const PLAN_RATE_ENV = process.env.BENCH_PLAN_RATE;
const PLAN_WINDOW_ENV = process.env.BENCH_PLAN_WINDOW;
/** The planner Lambda's timeout (constructs/dkim-rotation-schedule.ts PLANNER_TIMEOUT_SECONDS). */
const PLANNER_TIMEOUT_MS = 300_000;

const hours = (ms) => `${(ms / HOUR).toFixed(2)} h`;

export async function run({ root, log }) {
  const require = createRequire(import.meta.url);
  const dist = (p) => require(path.join(root, 'dist', 'functions', p));
  const { realKeyPairs, KeyPool } = dist('memory/keys.js');
  const pairs = realKeyPairs(4);
  const { generateKeyPair } = dist('dkim/keys.js');
  const keygenMs = median(
    Array.from({ length: 5 }, () => {
      const started = process.hrtime.bigint();
      generateKeyPair({ bits: 2048 });
      return Number(process.hrtime.bigint() - started) / 1e6;
    }),
  );
  log(
    `workers ${WORKERS}, batch ${BATCH}, Route 53 10 req/s burst 50, SES ${SES_RPS} req/s burst ${SES_BURST}, ` +
      `50 ms per call, key generation ${keygenMs.toFixed(0)} ms per key (virtual)`,
  );
  for (const n of SIZES) await fleet({ root, dist, n, pairs, KeyPool, keygenMs, log });
}

async function fleet({ root, dist, n, pairs, KeyPool, keygenMs, log }) {
  const realStart = process.hrtime.bigint();
  const { LAMBDA_ENV, specItem } = dist('core/contract.js');
  const { resolveDomainSpec } = dist('core/spec.js');
  const { createPlannerRuntime, createWorkerRuntime } = dist('handlers/runtime.js');
  const { planDomains, readSpreadSettings, PLANNER_TIME_MARGIN_MS } = dist('handlers/planner.js');
  const { ratePerSecond: PLAN_RATE, windowSeconds: PLAN_WINDOW_S } = readSpreadSettings({
    BYODKIM_PLAN_RATE: PLAN_RATE_ENV,
    BYODKIM_PLAN_WINDOW_SECONDS: PLAN_WINDOW_ENV,
  });
  log(
    `  planner: ${PLAN_RATE} domains/s, window ${PLAN_WINDOW_S} s, waits up to ${(PLANNER_TIMEOUT_MS - PLANNER_TIME_MARGIN_MS) / 1000} s`,
  );
  const { handleBatch } = dist('handlers/worker.js');

  process.env.AWS_REGION ??= 'ap-northeast-1';
  const world = createWorld({ root, start: Date.UTC(2027, 0, 4), sesRatePerSecond: SES_RPS, sesBurst: SES_BURST });
  world.install();
  const { time, context } = world;

  const domains = [];
  for (let i = 0; i < n; i += 1) {
    const domain = `d${String(i).padStart(5, '0')}.example.test`;
    const zone = `Z${String(i).padStart(20, '0')}`;
    domains.push(domain);
    world.route53.addZone({ ref: zone, apex: domain });
    world.dns.addZone({ apex: domain });
    world.ses.createIdentity(domain, { kind: 'easy-dkim' });
    const spec = resolveDomainSpec(
      { domain, dns: { kind: 'route53', hostedZoneId: zone } },
      { selectorPrefix: 'bench' },
    );
    const item = specItem(spec);
    world.table.set(`${item.pk.S}|${item.sk.S}`, item);
  }

  const env = {
    AWS_REGION: 'ap-northeast-1',
    [LAMBDA_ENV.environment]: 'bench',
    [LAMBDA_ENV.stateTable]: 'byodkim-bench-dkim-state',
    [LAMBDA_ENV.workQueueUrl]: 'https://sqs.ap-northeast-1.amazonaws.com/111111111111/byodkim-bench-dkim-work',
    [LAMBDA_ENV.operatorTopicArn]: 'arn:aws:sns:ap-northeast-1:111111111111:byodkim-bench-dkim-operators',
    [LAMBDA_ENV.secretPrefix]: 'byodkim-bench',
    [LAMBDA_ENV.keyStoreKeyArn]: 'arn:aws:kms:ap-northeast-1:111111111111:key/bench',
    [LAMBDA_ENV.dnsTeamSender]: 'byodkim@example.test',
  };
  const silent = { log() {} };
  const metrics = { emit() {}, flush() {} };
  const pool = new KeyPool(pairs);
  const keyGenerator = {
    async generate(bits) {
      const domain = context.getStore()?.domain ?? '';
      await time.sleep(keygenMs);
      pool.domain = domain;
      return pool.generate(bits);
    },
  };
  const overrides = { clock: world.clock, dnsObserver: world.observer, keyGenerator, logger: silent, metrics };
  // One runtime per worker container, kept warm across ticks.
  const workers = Array.from({ length: WORKERS }, () => ({
    ...createWorkerRuntime(env, overrides),
    logger: silent,
    metrics,
  }));
  const planner = { ...createPlannerRuntime(env), logger: silent, metrics, now: world.clock.now };

  /** One schedule tick: the planner enqueues, the workers drain the queue. Returns the virtual drain time. */
  async function tick() {
    world.resetCalls();
    world.queue.length = 0;
    const t0 = time.now();
    let plannerDone = false;
    let head = 0;
    const pending = new MessageHeap(); // sent and not yet received: the planner's delayed messages, requeues, retries
    let lastDone = t0;
    let dead = 0;
    let carried = 0;
    const take = () => {
      const now = time.now();
      while (head < world.queue.length) pending.add(world.queue[head++]);
      const batch = [];
      for (let message; batch.length < BATCH && (message = pending.take(now)); ) batch.push(message);
      return batch;
    };
    const worker = async (runtime) => {
      for (;;) {
        const batch = take();
        if (batch.length === 0) {
          if (plannerDone && head >= world.queue.length) {
            // What is visible only after this period is left to the next tick (its planner enqueues every domain).
            carried += pending.dropAfter(t0 + PERIOD_MS);
            if (pending.size === 0) return;
          }
          // At most 1 s while the planner sends, 5 s after: a message sent meanwhile may be visible sooner.
          const cap = plannerDone ? 5000 : 1000;
          await time.sleep(Math.min(cap, Math.max(1, pending.nextVisibleAt() - time.now())));
          continue;
        }
        for (const message of batch) {
          message.receives += 1;
          const domain = JSON.parse(message.body).domain;
          const record = { messageId: message.id, body: message.body, eventSource: 'aws:sqs' };
          const answer = await context.run({ domain }, () => handleBatch(runtime, [record]));
          if (answer.batchItemFailures.length > 0) {
            if (message.receives >= MAX_RECEIVES) dead += 1;
            else pending.add({ ...message, visibleAt: time.now() + VISIBILITY_MS });
          }
        }
        lastDone = time.now();
      }
    };
    // The planner's own time: its Lambda timeout less the margin it keeps (it waits to send what is due
    // beyond SQS's 900 s delay while this allows).
    const plan = planDomains(planner, {
      spread: { ratePerSecond: PLAN_RATE, windowSeconds: PLAN_WINDOW_S },
      sleep: (ms) => time.sleep(ms),
      waitUntil: t0 + PLANNER_TIMEOUT_MS - PLANNER_TIME_MARGIN_MS,
    }).then((result) => {
      plannerDone = true;
      return result;
    });
    const [result] = await time.run(Promise.all([plan, ...workers.map(worker)]));
    if (result.enqueued !== n) throw new Error(`planner enqueued ${result.enqueued} of ${n}`);
    return { t0, drainMs: lastDone - t0, dead, carried };
  }

  const stateOf = (domain) => {
    const item = world.table.get(`DOMAIN#${domain}|STATE`);
    return item ? JSON.parse(item.state.S) : undefined;
  };
  /** Signing with an active BYODKIM key (and not `exceptKeyId`, the key before the wave). */
  const signsWith = (domain, exceptKeyId) => {
    const state = stateOf(domain);
    const active = state?.keys.find((k) => k.state === 'active');
    const identity = world.ses.peek(domain);
    return (
      active !== undefined &&
      active.keyId !== exceptKeyId?.get(domain) &&
      identity?.origin === 'EXTERNAL' &&
      identity.enabled &&
      identity.status === 'SUCCESS' &&
      identity.tokens[0] === active.selector
    );
  };

  /** Ticks every 6 h until every domain satisfies `done`; returns the figures of the wave. */
  async function wave(label, done) {
    const waveStart = time.now();
    const drains = [];
    let throttled = 0;
    let failedCalls = 0;
    let calls = 0;
    let maxDrain = 0;
    const byAction = new Map();
    for (let i = 0; i < MAX_TICKS; i += 1) {
      const { t0, drainMs, dead } = await tick();
      drains.push(drainMs);
      maxDrain = Math.max(maxDrain, drainMs);
      throttled += world.calls.throttled;
      failedCalls += world.calls.failedAfterRetries;
      calls += world.calls.total;
      for (const [action, c] of world.calls.byAction) byAction.set(action, (byAction.get(action) ?? 0) + c);
      const converged = domains.filter(done).length;
      if (dead > 0) log(`  ${label}: tick ${i + 1}: ${dead} messages to the dead-letter queue`);
      if (converged === n) {
        return {
          ticks: i + 1,
          convergeMs: t0 + drainMs - waveStart,
          drains,
          maxDrain,
          throttled,
          failedCalls,
          calls,
          byAction,
        };
      }
      time.t = Math.max(t0 + PERIOD_MS, time.now());
    }
    const converged = domains.filter(done).length;
    const stuck = domains.find((d) => !done(d));
    const reason = stateOf(stuck)?.failure?.message ?? 'no failure recorded';
    log(`  ${label}: ${converged} of ${n} domains converged after ${MAX_TICKS} ticks; e.g. ${stuck}: ${reason}`);
    return {
      ticks: MAX_TICKS,
      convergeMs: Infinity,
      drains,
      maxDrain,
      throttled,
      failedCalls,
      calls,
      byAction,
      incomplete: true,
    };
  }

  const actions = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([action, count]) => `${action} ${(count / n).toFixed(2)}`)
      .join(', ');
  const report = (label, w) => {
    log(
      `${`${n} domains, ${label}`.padEnd(44)} ${w.incomplete ? 'NOT converged after' : 'converged in'} ${w.ticks} ticks, ${hours(w.convergeMs)} ` +
        `(last domain done ${hours(w.convergeMs)} after the first tick); queue drained per tick in ` +
        `median ${hours(median(w.drains))}, max ${hours(w.maxDrain)} (target ≤ 6 h${w.maxDrain <= PERIOD_MS ? '' : ': MISSED'}); ` +
        `${(w.calls / n).toFixed(1)} calls/domain, ${w.throttled} throttled attempts, ${w.failedCalls} calls failed after the SDK's retries`,
    );
    log(`${''.padEnd(44)} per domain by action over the wave: ${actions(w.byAction)}`);
  };

  const adoption = await wave('adoption wave', (d) => signsWith(d));
  report('adoption wave', adoption);
  if (adoption.incomplete) return;

  // Steady state: the next tick, nothing to do.
  time.t = Math.max(time.now(), time.t + PERIOD_MS);
  const steady = await tick();
  const perDomain = [...world.calls.byWho.entries()].filter(([who]) => who !== 'planner').map(([, c]) => c.total);
  const writes = [...world.calls.byWho.entries()]
    .filter(([who]) => who !== 'planner')
    .reduce((s, [, c]) => s + c.writes, 0);
  const plannerCalls = world.calls.byWho.get('planner')?.total ?? 0;
  const workerCalls = perDomain.reduce((a, b) => a + b, 0);
  const byAction = actions(world.calls.byAction);
  const steadyPerDomain = workerCalls / n;
  log(
    `${`${n} domains, steady state`.padEnd(44)} worker ${steadyPerDomain.toFixed(2)} calls/domain (max ${Math.max(...perDomain)}), ` +
      `planner ${(plannerCalls / n).toFixed(2)}; target ≤ ${TARGET_CALLS} ${steadyPerDomain <= TARGET_CALLS ? '(met)' : '(NOT met)'}; ` +
      `${writes} writes; queue drained in ${hours(steady.drainMs)}; ${world.calls.throttled} throttled attempts`,
  );
  log(`${''.padEnd(44)} per domain by action: ${byAction}`);

  // Rotation wave: every key due at once.
  const before = new Map(domains.map((d) => [d, stateOf(d).keys.find((k) => k.state === 'active').keyId]));
  const spec = resolveDomainSpec(
    { domain: domains[0], dns: { kind: 'route53', hostedZoneId: 'Z1' } },
    { selectorPrefix: 'bench' },
  );
  const activatedAt = Math.max(
    ...domains.map((d) => stateOf(d).keys.find((k) => k.state === 'active').activatedAt ?? 0),
  );
  time.t = Math.max(time.now(), activatedAt + (spec.rotation.intervalDays - spec.rotation.renewBeforeDays) * DAY);
  const rotation = await wave('rotation wave', (d) => signsWith(d, before));
  report('rotation wave', rotation);
  const converged = rotation.convergeMs <= PERIOD_MS;
  log(
    `${`${n} domains, rotation wave convergence`.padEnd(44)} ${hours(rotation.convergeMs)}; target within one schedule period (6 h) ` +
      `${converged ? '(met)' : '(NOT met)'}; real time of this fleet's run ${(Number(process.hrtime.bigint() - realStart) / 1e9).toFixed(1)} s`,
  );
}
