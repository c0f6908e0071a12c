/**
 * The operator-request path (`handleOperatorRequest`): a command applied under the same compare-and-swap
 * as every run, retried when it loses the race to a run of the same domain, answered `busy` when it loses
 * every time (nothing changed), and — for the emergency `revoke` — applied against a storm of runs.
 */
import { ConflictError } from '../../../functions/core/errors';
import type { OperatorRequest } from '../../../functions/core/contract';
import {
  EMERGENCY_RETRY,
  RETRY,
  backoffMs,
  handleOperatorRequest,
  retryPolicyFor,
  toResponse,
} from '../../../functions/lifecycle/operator-request';
import { reconcile } from '../../../functions/lifecycle/reconciler';
import { activeKey, inFlightKey } from '../../../functions/lifecycle/state';
import type { LifecyclePorts } from '../../../functions/lifecycle/ports';
import { DAY_MS, DOMAIN, HOUR_MS, MINUTE_MS, harness, specFor, type Harness } from './helpers';

jest.setTimeout(60_000);

const request = (action: OperatorRequest['action'], selector?: string): OperatorRequest => ({
  kind: 'operator',
  action,
  domain: DOMAIN,
  actor: 'alice',
  ...(selector !== undefined ? { selector } : {}),
});

/** No real waiting in tests: a backoff yields a few turns to whatever else is running. */
const sleep = async (ms: number) => {
  for (let i = Math.ceil(ms / 10); i > 0; i -= 1) await Promise.resolve();
};

/** Yields a few turns before every AWS call, so that concurrent invocations interleave. */
function interleaving(): { gate: () => Promise<void> } {
  let n = 0;
  return {
    gate: async () => {
      n += 1;
      for (let i = n % 3; i > 0; i -= 1) await Promise.resolve();
    },
  };
}

async function running(h: Harness): Promise<void> {
  await h.advance(2 * HOUR_MS, HOUR_MS);
  expect(activeKey(await h.state())).toBeDefined();
}

/** Ports whose state store loses every compare-and-swap to "another run" that records first. */
function alwaysLosing(ports: LifecyclePorts, h: Harness): LifecyclePorts & { lost: number } {
  const wrapped = {
    ...ports,
    lost: 0,
    stateStore: {
      load: (domain: string) => ports.stateStore.load(domain),
      save: async () => {
        wrapped.lost += 1;
        throw new ConflictError(`state of ${DOMAIN} moved on`, (await h.state()).version);
      },
    },
  };
  return wrapped;
}

describe('handleOperatorRequest', () => {
  it('answers done with the version at which the command was recorded', async () => {
    const h = harness(specFor('route53'));
    await running(h);
    const before = (await h.state()).version;
    const answer = await handleOperatorRequest(h.world.ports, h.spec, request('rotate'), { sleep });
    expect(answer).toMatchObject({ action: 'rotate', domain: DOMAIN, outcome: 'done', attempts: 1, conflicts: 0 });
    expect(answer.version).toBe(before + 1);
    const event = h.world.stateStore.events.find((e) => e.version === answer.version)!;
    expect(event.policy).toBe('command:rotate');
    expect(toResponse(answer)).toEqual({
      action: 'rotate',
      domain: DOMAIN,
      outcome: 'done',
      message: answer.message,
    });
  });

  it('answers refused with the code and the bilingual reason, without retrying', async () => {
    const h = harness(specFor('route53'));
    await running(h);
    const answer = await handleOperatorRequest(h.world.ports, h.spec, request('enable'), { sleep });
    expect(answer).toMatchObject({ outcome: 'refused', code: 'NOT_DISABLED', attempts: 1 });
    expect(answer.message.ja).toContain('無効化されていません');
  });

  it('retries a command that loses the race to a run of the same domain, and applies it', async () => {
    const h = harness(specFor('route53'), 'easy-dkim', { gate: interleaving().gate });
    await running(h);
    // A rotation is due: the run records steps while the operator's disable is being applied.
    h.world.clock.advance(151 * DAY_MS);
    const [run, answer] = await Promise.all([
      reconcile(h.spec, h.world.ports),
      handleOperatorRequest(h.world.ports, h.spec, request('disable'), { sleep }),
    ]);
    expect(run.steps.length).toBeGreaterThan(0);
    expect(answer.outcome).toBe('done');
    expect(answer.conflicts).toBeGreaterThan(0);
    expect(answer.attempts + answer.conflicts).toBeGreaterThan(1);
    const state = await h.state();
    expect(state.signingDisabledAt).toBeDefined();
    expect(h.world.stateStore.events.filter((e) => e.policy === 'command:disable')).toHaveLength(1);
    // Versions stay consecutive: nothing was overwritten.
    const versions = h.world.stateStore.events.map((e) => e.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    h.check();
    expect(h.checker.violations).toEqual([]);
  });

  it('answers busy (BUSY_TRY_AGAIN) after 5 lost races, and nothing changes', async () => {
    const h = harness(specFor('route53'));
    await running(h);
    const before = h.world.stateStore.raw(DOMAIN);
    const ses = await h.world.ses.getDkim(DOMAIN);
    const ports = alwaysLosing(h.world.ports, h);
    const waits: number[] = [];
    const answer = await handleOperatorRequest(ports, h.spec, request('rotate'), {
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
    });
    expect(toResponse(answer)).toEqual({
      action: 'rotate',
      domain: DOMAIN,
      outcome: 'busy',
      code: 'BUSY_TRY_AGAIN',
      message: {
        en: expect.stringMatching(
          /^busy, try again: rotate for example\.jp lost the race .* 5 time\(s\).*nothing was changed$/,
        ),
        ja: expect.stringContaining('混み合っています。再度お試しください'),
      },
    });
    expect(answer.attempts).toBe(RETRY.attempts);
    expect(ports.lost).toBe(RETRY.attempts);
    // Jittered exponential backoff between the tries: 4 waits, growing.
    expect(waits).toEqual([1, 2, 3, 4].map((n) => backoffMs(RETRY, n, 0.5)));
    expect(waits[3]).toBeGreaterThan(waits[0]!);
    expect(h.world.stateStore.raw(DOMAIN)).toBe(before);
    expect(await h.world.ses.getDkim(DOMAIN)).toEqual(ses);
    expect(h.world.metrics.data.filter((d) => d.name === 'CommandsBusy')).toHaveLength(1);
  });

  it('gives the emergency commands more tries, each re-reading at once before backing off', () => {
    expect(retryPolicyFor('revoke')).toBe(EMERGENCY_RETRY);
    expect(retryPolicyFor('disable')).toBe(EMERGENCY_RETRY);
    expect(retryPolicyFor('rotate')).toBe(RETRY);
    expect(EMERGENCY_RETRY.attempts * EMERGENCY_RETRY.rereads).toBeGreaterThan(RETRY.attempts * RETRY.rereads * 5);
    for (let n = 1; n < 12; n += 1) {
      expect(backoffMs(EMERGENCY_RETRY, n, 0.999)).toBeLessThanOrEqual(EMERGENCY_RETRY.capMs);
      expect(backoffMs(RETRY, n, 0)).toBe(0);
    }
  });

  it('applies an emergency revoke against a storm of concurrent runs', async () => {
    const h = harness(specFor('route53'), 'easy-dkim', { gate: interleaving().gate });
    await running(h);
    // The scheduled rotation is due: every run has steps to record.
    h.world.clock.advance(151 * DAY_MS);
    const compromised = activeKey(await h.state())!;
    const storm = Array.from({ length: 8 }, () => reconcile(h.spec, h.world.ports));
    const [answer, ...runs] = await Promise.all([
      handleOperatorRequest(h.world.ports, h.spec, request('revoke', compromised.selector), { sleep }),
      ...storm,
    ]);
    expect(runs.some((r) => r.steps.length > 0)).toBe(true);
    expect(answer.outcome).toBe('done');
    expect(answer.conflicts).toBeGreaterThan(0);
    const key = (await h.state()).keys.find((k) => k.keyId === compromised.keyId)!;
    expect(key.compromisedAt).toBeDefined();
    // Carried out: SES no longer signs with the compromised key.
    await h.advance(2 * HOUR_MS, 10 * MINUTE_MS);
    const ses = await h.world.ses.getDkim(DOMAIN);
    expect(ses?.tokens).not.toContain(compromised.selector);
    h.check();
    expect(h.checker.violations).toEqual([]);
  });

  it('a command whose write took effect but timed out is answered done, not refused when tried again', async () => {
    const h = harness(specFor('route53'));
    await running(h);
    const { TransientError } = await import('../../../functions/core/errors');
    let timeouts = 0;
    const ports: LifecyclePorts = {
      ...h.world.ports,
      stateStore: {
        load: (domain) => h.world.ports.stateStore.load(domain),
        save: async (state, expected, events) => {
          await h.world.ports.stateStore.save(state, expected, events);
          if (timeouts === 0 && events?.some((e) => e.policy === 'command:disable')) {
            timeouts += 1;
            throw new TransientError('TIMEOUT', 'stateStore save: timed out', 'dynamodb');
          }
        },
      },
    };
    const answer = await handleOperatorRequest(ports, h.spec, request('disable'), { sleep });
    expect(timeouts).toBe(1);
    expect(answer).toMatchObject({ outcome: 'done', attempts: 1 });
    expect(answer.version).toBe(h.world.stateStore.events.find((e) => e.policy === 'command:disable')!.version);
    // Carried out in the same invocation: SES signing is off.
    expect((await h.world.ses.getDkim(DOMAIN))?.signingEnabled).toBe(false);
  });

  it('a non-transient failure before the command is recorded is refused at once (SERVICE_ERROR)', async () => {
    const h = harness(specFor('route53'));
    await running(h);
    const { ServiceError } = await import('../../../functions/core/errors');
    const ports: LifecyclePorts = {
      ...h.world.ports,
      ses: {
        ...h.world.ports.ses,
        getDkim: async () => {
          throw new ServiceError('AccessDeniedException', 'not authorized to perform ses:GetEmailIdentity', 'ses');
        },
      },
    };
    const answer = await handleOperatorRequest(ports, h.spec, request('rotate'), { sleep });
    expect(answer).toMatchObject({ outcome: 'refused', code: 'SERVICE_ERROR', attempts: 1 });
    expect(answer.message.en).toContain('AccessDeniedException');
    expect(h.world.stateStore.events.some((e) => e.policy === 'command:rotate')).toBe(false);
  });
});

describe('a disable during a compromise hold', () => {
  it('does not keep signing off for ever: enable is accepted, and signing resumes with the replacement', async () => {
    const h = harness(specFor('external'));
    await h.advance(20 * DAY_MS, 6 * HOUR_MS);
    // Publish what the DNS team is asked for (the harness has no DNS team).
    const publishRequested = async () => {
      const key = inFlightKey(await h.state());
      if (key?.publicKey) {
        const { formatRecordValue, splitIntoStrings } = await import('../../../functions/dkim/record');
        h.publish(`${key.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(key.publicKey)));
      }
    };
    await publishRequested();
    await h.advance(2 * DAY_MS, 6 * HOUR_MS);
    const compromised = activeKey(await h.state())!;
    expect(compromised).toBeDefined();
    expect(
      (await handleOperatorRequest(h.world.ports, h.spec, request('revoke', compromised.selector), { sleep })).outcome,
    ).toBe('done');
    expect((await h.state()).compromiseHoldAt).toBeDefined();
    expect((await handleOperatorRequest(h.world.ports, h.spec, request('disable'), { sleep })).outcome).toBe('done');
    // The replacement is published and verified while signing is disabled.
    await h.advance(HOUR_MS, 30 * MINUTE_MS);
    await publishRequested();
    await h.advance(DAY_MS, HOUR_MS);
    const enabled = await handleOperatorRequest(h.world.ports, h.spec, request('enable'), { sleep });
    expect(enabled.outcome).toBe('done');
    await h.advance(DAY_MS, HOUR_MS);
    const state = await h.state();
    expect(state.compromiseHoldAt).toBeUndefined();
    expect(state.signingDisabledAt).toBeUndefined();
    const active = activeKey(state)!;
    expect(active.keyId).not.toBe(compromised.keyId);
    expect(await h.world.ses.getDkim(DOMAIN)).toMatchObject({
      signingEnabled: true,
      status: 'SUCCESS',
      tokens: [active.selector],
    });
  });

  it('enable without a disable is still refused while the hold lasts (COMPROMISE_HOLD)', async () => {
    const h = harness(specFor('external'));
    await h.advance(20 * DAY_MS, 6 * HOUR_MS);
    const key = inFlightKey(await h.state())!;
    const { formatRecordValue, splitIntoStrings } = await import('../../../functions/dkim/record');
    h.publish(`${key.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(key.publicKey!)));
    await h.advance(2 * DAY_MS, 6 * HOUR_MS);
    const compromised = activeKey(await h.state())!;
    await handleOperatorRequest(h.world.ports, h.spec, request('revoke', compromised.selector), { sleep });
    const answer = await handleOperatorRequest(h.world.ports, h.spec, request('enable'), { sleep });
    expect(answer).toMatchObject({ outcome: 'refused', code: 'COMPROMISE_HOLD' });
  });
});

describe('a run whose recorded intent was superseded while it waited', () => {
  it('does not give SES a key an operator revoked in the meantime', async () => {
    const h = harness(specFor('route53'));
    await running(h);
    const compromised = activeKey(await h.state())!;
    // A colleague switches the identity to Easy DKIM: the next run records "switch back" and is paused
    // right after that write, before it gives SES the key.
    h.world.ses.tamper(DOMAIN, { origin: 'AWS_SES', tokens: ['easy1', 'easy2', 'easy3'], status: 'SUCCESS' });
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const atPut = new Promise<void>((resolve) => (reached = resolve));
    const ports: LifecyclePorts = {
      ...h.world.ports,
      stateStore: {
        load: (domain) => h.world.ports.stateStore.load(domain),
        save: async (state, expected, events) => {
          await h.world.ports.stateStore.save(state, expected, events);
          if (events?.some((e) => e.policy === 'repairDrift')) {
            reached();
            await paused;
          }
        },
      },
    };
    const run = reconcile(h.spec, ports, { maxSteps: 1 });
    await atPut;
    const answer = await handleOperatorRequest(h.world.ports, h.spec, request('revoke', compromised.selector), {
      sleep,
    });
    expect(answer.outcome).toBe('done');
    const revokedAt = h.world.clock.now();
    release();
    const result = await run;
    // Its intent was superseded (the revoke recorded after it): it stops instead of acting on it.
    expect(h.world.ses.switches.filter((s) => s.at >= revokedAt && s.publicKey === compromised.publicKey)).toEqual([]);
    expect(result.conflicts).toBeGreaterThan(0);
  });
});
