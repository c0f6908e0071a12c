/**
 * The lifecycle end to end against the in-memory world, one domain at a time: first activation with no
 * unsigned window, scheduled rotation, grace, revocation, destruction, in each DNS mode.
 */
import { formatRecordValue, splitIntoStrings } from '../../../functions/dkim/record';
import { renderText } from '../../../functions/lifecycle/notifications';
import { backoffDelayMs, followUpDue, reminderTimes } from '../../../functions/lifecycle/protocol';
import { activeKey, inFlightKey } from '../../../functions/lifecycle/state';
import { DAY_MS, DOMAIN, HOUR_MS, MINUTE_MS, POOL, harness, specFor, testPairs } from './helpers';

jest.setTimeout(60_000);

describe('route53 mode', () => {
  it('replaces Easy DKIM with a verified byodkim key within the hour, never leaving mail unsigned', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS, 6 * HOUR_MS);
    const state = await h.state();
    const active = activeKey(state)!;
    expect(active.selector).toMatch(/^mail-20260105-1$/);
    const ses = await h.world.ses.getDkim(DOMAIN);
    expect(ses).toEqual({ origin: 'EXTERNAL', signingEnabled: true, status: 'SUCCESS', tokens: [active.selector] });
    // One UPSERT of ONE record made of ≤255-character strings.
    const answer = h.world.dns.resolve(`${active.selector}._domainkey.${DOMAIN}`, h.world.clock.now()).answer;
    expect(answer.records).toEqual([splitIntoStrings(formatRecordValue(active.publicKey!))]);
    expect(answer.records[0]!.every((s) => s.length <= 255)).toBe(true);
    h.check();
    expect(h.checker.violations).toEqual([]);
    expect(h.checker.totalUnsignedMinutes()).toBe(0);
  });

  it('switches SES only after the record has been verified everywhere for the cache TTL (15 minutes)', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS);
    const [sw] = h.world.ses.switches;
    const events = h.world.stateStore.events;
    const verifiedAt = events.find((e) => e.message.includes('correct on every server'))!.at;
    expect(sw!.at - verifiedAt).toBeGreaterThanOrEqual(15 * MINUTE_MS);
  });

  it('rotates at interval − renewBefore, keeps the old selector for the grace period, then revokes and destroys it', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS);
    const first = activeKey(await h.state())!;
    await h.advance(149 * DAY_MS, DAY_MS);
    expect(activeKey(await h.state())!.keyId).toBe(first.keyId);
    await h.advance(2 * DAY_MS, HOUR_MS);
    const state = await h.state();
    const second = activeKey(state)!;
    expect(second.keyId).not.toBe(first.keyId);
    expect(second.activatedAt! - first.activatedAt!).toBeLessThanOrEqual(151 * DAY_MS);
    const retiring = state.keys.find((k) => k.keyId === first.keyId)!;
    expect(retiring.state).toBe('retiring');
    await h.advance(6 * DAY_MS, DAY_MS);
    expect((await h.state()).keys.find((k) => k.keyId === first.keyId)!.state).toBe('retiring');
    await h.advance(2 * DAY_MS, HOUR_MS);
    const later = (await h.state()).keys.find((k) => k.keyId === first.keyId)!;
    expect(later.state).toBe('destroyed');
    expect(later.destroyedAt! - later.retiredAt!).toBeGreaterThanOrEqual(7 * DAY_MS);
    const revoked = h.world.dns.resolve(`${first.selector}._domainkey.${DOMAIN}`, h.world.clock.now()).answer;
    expect(revoked.records).toEqual([['v=DKIM1; p=']]);
    expect(h.world.keyStore.deletions.map((d) => d.keyId)).toEqual([first.keyId]);
    h.check();
    expect(h.checker.violations).toEqual([]);
    expect(h.checker.totalUnsignedMinutes()).toBe(0);
  });

  it('adopts an identity signing with an existing BYODKIM key and leaves that record alone', async () => {
    const legacy = testPairs(POOL + 1)[POOL]!;
    const h = harness(specFor('route53'), { kind: 'byodkim', selector: 'legacy-2024', pair: legacy, ttl: 3600 });
    await h.advance(2 * HOUR_MS);
    const state = await h.state();
    expect(state.adoption).toMatchObject({ origin: 'EXTERNAL', selector: 'legacy-2024' });
    expect(activeKey(state)).toBeDefined();
    const legacyRecord = h.world.dns.resolve(`legacy-2024._domainkey.${DOMAIN}`, h.world.clock.now()).answer;
    expect(legacyRecord.records[0]!.join('')).toContain(legacy.publicKey);
    h.check();
    expect(h.checker.violations).toEqual([]);
    expect(h.checker.totalUnsignedMinutes()).toBe(0);
  });

  it('waits for approve when activation is manual, reminding the operators daily', async () => {
    const h = harness(specFor('route53', { activation: 'manual' }));
    await h.advance(2 * DAY_MS + HOUR_MS, HOUR_MS);
    const state = await h.state();
    expect(inFlightKey(state)!.state).toBe('dns-verified');
    expect((await h.world.ses.getDkim(DOMAIN))!.origin).toBe('AWS_SES');
    const asks = h.world.notifier.sent.filter((n) => n.kind === 'approval-needed');
    expect(asks.length).toBe(3);
    const result = await h.run({ action: 'approve' });
    expect(result.outcome).toBe('done');
    expect(activeKey(result.state)?.keyId).toBe(inFlightKey(state)!.keyId);
  });
});

describe('external mode', () => {
  it('sends a complete change request in Japanese and English and switches only after the team publishes it', async () => {
    const h = harness(specFor('external'));
    await h.advance(HOUR_MS);
    const [request] = h.world.notifier.sent.filter((n) => n.kind === 'dns-change-request');
    const key = inFlightKey(await h.state())!;
    const name = `${key.selector}._domainkey.${DOMAIN}`;
    const strings = splitIntoStrings(formatRecordValue(key.publicKey!));
    expect(request).toMatchObject({ audience: 'dns-team', to: ['dns@example.jp'], locale: 'ja', requestId: key.keyId });
    const text = renderText(request!);
    expect(text.indexOf('DNS 管理チーム')).toBeLessThan(text.indexOf('Dear DNS team'));
    for (const body of [request!.body.ja, request!.body.en]) {
      expect(body).toContain(`${name}.`);
      expect(body).toContain('TXT');
      expect(body).toContain(`${name}. 3600 IN TXT "${strings[0]}" "${strings[1]}"`);
      expect(body).toContain(`"${strings[0]}"`);
      expect(body).toContain('2026-01-19');
      expect(body).toContain(`${key.keyId}`);
    }
    expect(request!.body.ja).toContain(`「${key.keyId} 設定完了」`);
    expect(request!.body.en).toContain(`"${key.keyId} done"`);
    expect((await h.world.ses.getDkim(DOMAIN))!.origin).toBe('AWS_SES');

    await h.advance(3 * DAY_MS, DAY_MS);
    h.publish(name, strings);
    await h.advance(DAY_MS, HOUR_MS);
    expect(activeKey(await h.state())!.keyId).toBe(key.keyId);
    h.check();
    expect(h.checker.violations).toEqual([]);
    expect(h.checker.totalUnsignedMinutes()).toBe(0);
  });

  it('tells the DNS team exactly what is wrong when the key was cut at 255 characters, and accepts the fix', async () => {
    const h = harness(specFor('external'));
    await h.advance(HOUR_MS);
    const key = inFlightKey(await h.state())!;
    const name = `${key.selector}._domainkey.${DOMAIN}`;
    const strings = splitIntoStrings(formatRecordValue(key.publicKey!));
    h.publish(name, [strings[0]!]);
    await h.advance(DAY_MS, 6 * HOUR_MS);
    const corrections = h.world.notifier.sent.filter((n) => n.kind === 'dns-correction');
    expect(corrections).toHaveLength(1);
    expect(corrections[0]!.subject.en).toContain('key-truncated');
    expect(corrections[0]!.body.en).toContain('cut short');
    expect(corrections[0]!.body.ja).toContain('途中で切れています');
    expect((await h.world.ses.getDkim(DOMAIN))!.origin).toBe('AWS_SES');
    h.publish(name, strings);
    await h.advance(DAY_MS, HOUR_MS);
    expect(activeKey(await h.state())!.keyId).toBe(key.keyId);
  });

  it('names the domain appended twice', async () => {
    const h = harness(specFor('external'));
    await h.advance(HOUR_MS);
    const key = inFlightKey(await h.state())!;
    h.publish(`${key.selector}._domainkey.${DOMAIN}.${DOMAIN}`, splitIntoStrings(formatRecordValue(key.publicKey!)));
    await h.advance(DAY_MS, 6 * HOUR_MS);
    const [correction] = h.world.notifier.sent.filter((n) => n.kind === 'dns-correction');
    expect(correction!.subject.en).toContain('domain-appended-twice');
  });

  it('reminds halfway and two days before the deadline, then escalates every week', async () => {
    const h = harness(specFor('external'));
    await h.advance(30 * DAY_MS, 6 * HOUR_MS);
    const kinds = h.world.notifier.sent.filter((n) => n.audience === 'dns-team').map((n) => n.kind);
    expect(kinds).toEqual([
      'dns-change-request',
      'dns-change-reminder',
      'dns-change-reminder',
      'dns-change-escalation',
      'dns-change-escalation',
      'dns-change-escalation',
    ]);
    const escalation = h.world.notifier.sent.find((n) => n.kind === 'dns-change-escalation')!;
    expect(escalation.body.ja).toContain('期限');
    expect(escalation.body.en).toContain('past its deadline');
    // Meanwhile the old signing keeps going.
    expect((await h.world.ses.getDkim(DOMAIN))!.origin).toBe('AWS_SES');
  });

  it('asks the DNS team to revoke a retired selector and destroys the key only once DNS shows it revoked', async () => {
    const h = harness(specFor('external'));
    await h.advance(HOUR_MS);
    const first = inFlightKey(await h.state())!;
    h.publish(`${first.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(first.publicKey!)));
    await h.advance(DAY_MS, HOUR_MS);
    await h.advance(150 * DAY_MS, DAY_MS);
    const second = inFlightKey(await h.state())!;
    h.publish(`${second.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(second.publicKey!)));
    await h.advance(10 * DAY_MS, 6 * HOUR_MS);
    const revocation = h.world.notifier.sent.find((n) => n.kind === 'dns-revocation-request')!;
    expect(revocation.body.en).toContain(`${first.selector}._domainkey.${DOMAIN}. 3600 IN TXT "v=DKIM1; p="`);
    expect((await h.state()).keys.find((k) => k.keyId === first.keyId)!.state).toBe('revoked');
    expect(h.world.keyStore.deletions).toEqual([]);
    h.publish(`${first.selector}._domainkey.${DOMAIN}`, ['v=DKIM1; p=']);
    await h.advance(DAY_MS, 6 * HOUR_MS);
    expect((await h.state()).keys.find((k) => k.keyId === first.keyId)!.state).toBe('destroyed');
    h.check();
    expect(h.checker.violations).toEqual([]);
  });
});

describe('delegated mode', () => {
  it('asks once for two selector CNAMEs, then rotations alternate slots without the DNS team', async () => {
    const h = harness(specFor('delegated'));
    await h.advance(HOUR_MS);
    const [request] = h.world.notifier.sent.filter((n) => n.kind === 'delegation-request');
    expect(request!.body.en).toContain(`mail1._domainkey.${DOMAIN}. 3600 IN CNAME mail1.dkim.example.net.`);
    expect(request!.body.en).toContain(`mail2._domainkey.${DOMAIN}. 3600 IN CNAME mail2.dkim.example.net.`);
    h.world.route53.setCname(`mail1._domainkey.${DOMAIN}`, 'mail1.dkim.example.net', 3600);
    h.world.route53.setCname(`mail2._domainkey.${DOMAIN}`, 'mail2.dkim.example.net', 3600);
    await h.advance(DAY_MS, HOUR_MS);
    const first = activeKey(await h.state())!;
    expect(first).toMatchObject({ selector: 'mail1', slot: 1 });
    await h.advance(152 * DAY_MS, DAY_MS);
    const second = activeKey(await h.state())!;
    expect(second).toMatchObject({ selector: 'mail2', slot: 2 });
    await h.advance(152 * DAY_MS, DAY_MS);
    const third = activeKey(await h.state())!;
    expect(third).toMatchObject({ selector: 'mail1', slot: 1 });
    expect(third.keyId).not.toBe(first.keyId);
    expect(h.world.notifier.sent.filter((n) => n.audience === 'dns-team')).toHaveLength(1);
    h.check();
    expect(h.checker.violations).toEqual([]);
    expect(h.checker.totalUnsignedMinutes()).toBe(0);
  });
});

describe('failures and backoff', () => {
  it.each([
    ['the first transient failure', { count: 1, transient: true }, 5 * MINUTE_MS],
    ['the third transient failure', { count: 3, transient: true }, 20 * MINUTE_MS],
    ['many transient failures, capped', { count: 30, transient: true }, 6 * HOUR_MS],
    ['the first other failure (1 h × 2^0)', { count: 1, transient: false }, HOUR_MS],
    ['the fourth other failure (1 h × 2^3)', { count: 4, transient: false }, 8 * HOUR_MS],
    ['many other failures, capped at 32 h', { count: 12, transient: false }, 32 * HOUR_MS],
  ])('waits after %s', (_name, failure, expected) => {
    expect(backoffDelayMs(failure)).toBe(expected);
  });

  it('records a throttled call as a transient failure and backs off before acting again', async () => {
    const h = harness(specFor('route53'));
    let throttle = true;
    h.world.faults = {
      fault: (service, method) =>
        throttle && service === 'route53' && method === 'upsertTxt' ? 'throttle' : undefined,
      tookEffect: () => true,
    };
    const result = await h.run();
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({ code: 'THROTTLED', transient: true });
    expect(result.requeueAfterMs).toBe(5 * MINUTE_MS);
    const again = await h.run();
    expect(again.steps).toEqual([]);
    throttle = false;
    h.world.clock.advance(5 * MINUTE_MS);
    await h.advance(HOUR_MS, 10 * MINUTE_MS);
    expect(activeKey(await h.state())).toBeDefined();
    expect((await h.state()).failure).toBeUndefined();
  });

  it('computes reminder times from the lead time', () => {
    const request = { id: 'r', sentAt: 0, deadline: 14 * DAY_MS, reminders: 0, escalations: 0 };
    expect(reminderTimes(request)).toEqual([7 * DAY_MS, 12 * DAY_MS]);
    expect(followUpDue(request, 7 * DAY_MS)).toEqual({ stage: 'reminder', nextAt: 7 * DAY_MS });
    expect(followUpDue({ ...request, reminders: 2 }, 14 * DAY_MS).stage).toBe('escalation');
    expect(followUpDue({ ...request, reminders: 2, escalations: 1 }, 15 * DAY_MS)).toEqual({ nextAt: 21 * DAY_MS });
  });
});

describe('SES reports a failure', () => {
  it('investigates the record, writes it again and gives SES the key again when the record vanished', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS);
    const key = activeKey(await h.state())!;
    const name = `${key.selector}._domainkey.${DOMAIN}`;
    h.world.dns.set(name, undefined, h.world.clock.now());
    // SES noticed first (byodkim repairs the record on its next run, see review.test.ts, so SES reports a
    // failure only when it looked in between).
    h.world.ses.tamper(DOMAIN, { status: 'FAILED' });
    await h.advance(5 * DAY_MS, DAY_MS);
    const notices = h.world.notifier.sent.filter((n) => n.kind === 'ses-failed');
    expect(notices.length).toBeGreaterThanOrEqual(1);
    expect(notices[0]!.body.en).toContain('no DKIM record');
    await h.advance(2 * DAY_MS, HOUR_MS);
    expect(h.world.dns.resolve(name, h.world.clock.now()).answer.outcome).toBe('answer');
    expect((await h.world.ses.getDkim(DOMAIN))!.status).toBe('SUCCESS');
  });

  it('regenerates when the key itself was lost from the key store', async () => {
    const h = harness(specFor('route53'));
    await h.advance(HOUR_MS);
    const key = activeKey(await h.state())!;
    h.world.keyStore.lose(DOMAIN, key.keyId);
    h.world.ses.tamper(DOMAIN, { status: 'FAILED' });
    await h.advance(2 * HOUR_MS, 10 * MINUTE_MS);
    const state = await h.state();
    expect(activeKey(state)!.keyId).not.toBe(key.keyId);
    expect(activeKey(state)!.reason).toBe('regenerate');
  });
});
