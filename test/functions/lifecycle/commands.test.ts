/**
 * Every operator action in every situation a domain can be in: done, or refused with a reason that says
 * what to do instead (in English and Japanese). Situations are reached by running the real reconciler.
 */
import { applyCommand, OPERATOR_ACTIONS, type OperatorAction } from '../../../functions/lifecycle/commands';
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import type { Observations } from '../../../functions/lifecycle/observations';
import { observe, reconcile } from '../../../functions/lifecycle/reconciler';
import type { DomainSpec } from '../../../functions/core/spec';
import {
  activeKey,
  inFlightKey,
  initialState,
  rollbackCandidate,
  type DomainState,
} from '../../../functions/lifecycle/state';
import { DAY_MS, DOMAIN, HOUR_MS, MINUTE_MS, harness, specFor, type Harness } from './helpers';

jest.setTimeout(60_000);

interface Situation {
  readonly spec: DomainSpec;
  readonly state: DomainState;
  readonly obs: Observations;
  readonly now: number;
}

async function snapshot(h: Harness): Promise<Situation> {
  const state = (await h.world.stateStore.load(DOMAIN)) ?? initialState(DOMAIN, h.world.clock.now());
  return { spec: h.spec, state, obs: await observe(h.spec, state, h.world.cleanPorts), now: h.world.clock.now() };
}

async function steps(h: Harness, n: number): Promise<void> {
  await reconcile(h.spec, h.world.ports, { maxSteps: n });
}

type Expect = 'done' | string;
type Row = Partial<Record<OperatorAction, Expect>>;

/** What each situation expects; reconcile, status and verify-dns are always done. */
const situations: readonly (readonly [string, () => Promise<Situation>, Row])[] = [
  [
    'a route53 domain before its first run',
    async () => snapshot(harness(specFor('route53'))),
    {
      rotate: 'done',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'UNKNOWN_SELECTOR',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a route53 domain whose first key is being generated',
    async () => {
      const h = harness(specFor('route53'));
      await steps(h, 2);
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a route53 domain waiting for its record to be INSYNC',
    async () => {
      const h = harness(specFor('route53'));
      await h.run();
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a manual domain whose new record is still being verified',
    async () => {
      const h = harness(specFor('route53', { activation: 'manual' }));
      await h.run();
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'NOT_VERIFIED_YET',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a manual domain whose verified key waits for approve',
    async () => {
      const h = harness(specFor('route53', { activation: 'manual' }));
      await h.advance(HOUR_MS, 10 * MINUTE_MS);
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'done',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a route53 domain signing with its first key',
    async () => {
      const h = harness(specFor('route53'));
      await h.advance(HOUR_MS, 10 * MINUTE_MS);
      return snapshot(h);
    },
    {
      rotate: 'done',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_PREVIOUS_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a route53 domain whose previous key is in its grace period',
    async () => {
      const h = harness(specFor('route53'));
      await h.advance(HOUR_MS, 10 * MINUTE_MS);
      await h.advance(151 * DAY_MS, DAY_MS);
      return snapshot(h);
    },
    {
      rotate: 'done',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'done',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a route53 domain whose previous key is already revoked',
    async () => {
      const h = harness(specFor('route53'));
      await h.advance(HOUR_MS, 10 * MINUTE_MS);
      await h.advance(160 * DAY_MS, DAY_MS);
      return snapshot(h);
    },
    {
      rotate: 'done',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_PREVIOUS_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'a domain whose signing an operator disabled',
    async () => {
      const h = harness(specFor('route53'));
      await h.advance(HOUR_MS, 10 * MINUTE_MS);
      await h.run({ action: 'disable' });
      return snapshot(h);
    },
    {
      rotate: 'done',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'ALREADY_DISABLED',
      enable: 'done',
      rollback: 'NO_PREVIOUS_KEY',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
  [
    'an external domain whose only key was revoked as compromised',
    async () => {
      const h = harness(specFor('external'));
      await h.advance(HOUR_MS);
      const key = inFlightKey(await h.state())!;
      h.publish(`${key.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(key.publicKey!)));
      await h.advance(DAY_MS, HOUR_MS);
      await h.run({ action: 'revoke', selector: key.selector });
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'COMPROMISE_HOLD',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'done',
    },
  ],
  [
    'an external domain waiting for the DNS team',
    async () => {
      const h = harness(specFor('external'));
      await h.advance(HOUR_MS);
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'done',
    },
  ],
  [
    'an external domain with nothing open',
    async () => {
      const h = harness(specFor('external'));
      await h.advance(HOUR_MS);
      const key = inFlightKey(await h.state())!;
      h.publish(`${key.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(key.publicKey!)));
      await h.advance(DAY_MS, HOUR_MS);
      return snapshot(h);
    },
    {
      rotate: 'done',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_PREVIOUS_KEY',
      revoke: 'done',
      'dns-request': 'NO_OPEN_REQUEST',
    },
  ],
  [
    'a delegated domain waiting for its CNAMEs',
    async () => {
      const h = harness(specFor('delegated'));
      await h.advance(HOUR_MS);
      return snapshot(h);
    },
    {
      rotate: 'ROTATION_IN_FLIGHT',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'NO_ACTIVE_KEY',
      revoke: 'done',
      'dns-request': 'done',
    },
  ],
  [
    'a delegated domain whose other slot still holds the key in its grace period',
    async () => {
      const h = harness(specFor('delegated'));
      h.world.route53.setCname(`mail1._domainkey.${DOMAIN}`, 'mail1.dkim.example.net', 3600);
      h.world.route53.setCname(`mail2._domainkey.${DOMAIN}`, 'mail2.dkim.example.net', 3600);
      await h.advance(DAY_MS, HOUR_MS);
      await h.advance(151 * DAY_MS, DAY_MS);
      return snapshot(h);
    },
    {
      rotate: 'SLOT_BUSY',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'done',
      revoke: 'done',
      'dns-request': 'NO_OPEN_REQUEST',
    },
  ],
  [
    'a domain in the middle of a rollback',
    async () => {
      const h = harness(specFor('route53'));
      await h.advance(HOUR_MS, 10 * MINUTE_MS);
      await h.advance(151 * DAY_MS, DAY_MS);
      const s = await snapshot(h);
      const previous = rollbackCandidate(s.state)!;
      return {
        ...s,
        state: { ...s.state, switching: { keyId: previous.keyId, startedAt: s.now, reason: 'rollback' as const } },
      };
    },
    {
      rotate: 'SWITCH_IN_PROGRESS',
      approve: 'NOTHING_TO_APPROVE',
      disable: 'done',
      enable: 'NOT_DISABLED',
      rollback: 'SWITCH_IN_PROGRESS',
      revoke: 'done',
      'dns-request': 'NOT_A_DNS_TEAM_DOMAIN',
    },
  ],
];

const rows = situations.flatMap(([name, build, expected]) =>
  OPERATOR_ACTIONS.map((action) => [name, action, expected[action] ?? 'done', build] as const),
);

describe('operator actions in every situation', () => {
  const cache = new Map<string, Promise<Situation>>();
  const situation = (name: string, build: () => Promise<Situation>) => {
    if (!cache.has(name)) cache.set(name, build());
    return cache.get(name)!;
  };

  it.each(rows)('in "%s", %s is %s', async (name, action, expected, build) => {
    const s = await situation(name, build);
    const selector = activeKey(s.state)?.selector ?? inFlightKey(s.state)?.selector ?? 'mail-20990101-1';
    const result = applyCommand(s.spec, s.state, s.obs, s.now, { action, selector });
    if (expected === 'done') {
      expect(result).toMatchObject({ done: true });
      if (!result.done) return;
      expect(result.message.en.length).toBeGreaterThan(0);
      expect(result.message.ja.length).toBeGreaterThan(0);
      const changes = ['rotate', 'approve', 'disable', 'enable', 'rollback', 'revoke', 'dns-request'].includes(action);
      if (changes) expect(result.state).not.toEqual(s.state);
      else expect(result.state).toBe(s.state);
    } else {
      expect(result).toMatchObject({ done: false, refusal: { code: expected } });
      if (result.done) return;
      expect(result.refusal.en).toMatch(/\w+/);
      expect(result.refusal.ja).toMatch(/[\u3040-\u30ff\u4e00-\u9faf]/);
    }
  });
});

describe('what a done action leads to', () => {
  it('rollback switches SES back to the previous key, which keeps its first activation date', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS, 10 * MINUTE_MS);
    const first = activeKey(await h.state())!;
    await h.advance(151 * DAY_MS, DAY_MS);
    const second = activeKey(await h.state())!;
    const result = await h.run({ action: 'rollback' });
    expect(result.outcome).toBe('done');
    const state = result.state;
    expect(activeKey(state)).toMatchObject({ keyId: first.keyId, activatedAt: first.activatedAt });
    expect(state.keys.find((k) => k.keyId === second.keyId)!.state).toBe('retiring');
    expect((await h.world.ses.getDkim(DOMAIN))!.tokens).toEqual([first.selector]);
    h.check();
    expect(h.checker.violations).toEqual([]);
  });

  it('revoke with a previous key in grace switches to it at once and revokes the compromised key without grace', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS, 10 * MINUTE_MS);
    const first = activeKey(await h.state())!;
    await h.advance(151 * DAY_MS, DAY_MS);
    const compromised = activeKey(await h.state())!;
    await h.run({ action: 'revoke', selector: compromised.selector });
    expect((await h.world.ses.getDkim(DOMAIN))!.tokens).toEqual([first.selector]);
    await h.advance(HOUR_MS, 5 * MINUTE_MS);
    const state = await h.state();
    expect(state.keys.find((k) => k.keyId === compromised.keyId)!.state).toBe('destroyed');
    expect(
      h.world.dns.resolve(`${compromised.selector}._domainkey.${DOMAIN}`, h.world.clock.now()).answer.records,
    ).toEqual([['v=DKIM1; p=']]);
    // And a fresh key replaces the old one it fell back to.
    expect(activeKey(state)!.keyId).not.toBe(first.keyId);
    h.check();
    expect(h.checker.counts[2] + h.checker.counts[1]).toBe(0);
  });

  it('revoke with nothing verified to switch to turns signing off first, then revokes, then signs with a new key', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS, 10 * MINUTE_MS);
    const compromised = activeKey(await h.state())!;
    const result = await h.run({ action: 'revoke', selector: compromised.selector });
    expect(result.steps.map((s) => s.actions.join(','))).toEqual(
      expect.arrayContaining([
        'ses-set-signing-enabled false',
        `write-txt revoke ${compromised.selector}._domainkey.${DOMAIN}`,
      ]),
    );
    const order = result.steps.flatMap((s) => s.actions);
    expect(order.indexOf('ses-set-signing-enabled false')).toBeLessThan(
      order.indexOf(`write-txt revoke ${compromised.selector}._domainkey.${DOMAIN}`),
    );
    await h.advance(HOUR_MS, 5 * MINUTE_MS);
    const ses = (await h.world.ses.getDkim(DOMAIN))!;
    const state = await h.state();
    expect(ses).toMatchObject({ signingEnabled: true, status: 'SUCCESS', tokens: [activeKey(state)!.selector] });
    expect(state.compromiseHoldAt).toBeUndefined();
    h.check();
    expect(h.checker.counts[1] + h.checker.counts[2] + h.checker.counts[3]).toBe(0);
  });

  it('disable turns signing off and keeps it off across runs until enable', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS, 10 * MINUTE_MS);
    await h.run({ action: 'disable' });
    await h.advance(DAY_MS, HOUR_MS);
    expect((await h.world.ses.getDkim(DOMAIN))!.signingEnabled).toBe(false);
    await h.run({ action: 'enable' });
    expect((await h.world.ses.getDkim(DOMAIN))!.signingEnabled).toBe(true);
  });

  it('status changes nothing and reports named conditions', async () => {
    const h = harness(specFor('external'));
    await h.advance(HOUR_MS);
    const before = await h.state();
    const result = await h.run({ action: 'status' });
    expect(result.state).toBe(before);
    expect(result.steps).toEqual([]);
    expect(result.conditions.map((c) => c.type)).toEqual(
      expect.arrayContaining(['Ready', 'RotationInProgress', 'AwaitingDnsTeam']),
    );
    expect(result.conditions.find((c) => c.type === 'AwaitingDnsTeam')!.reason).toBe('no-record');
  });
});
