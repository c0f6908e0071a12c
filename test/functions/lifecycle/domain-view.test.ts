/**
 * The operator's view of a domain (functions/lifecycle/domain-view.ts) and the answer the worker and
 * `byodkim --local` build around it (operator-answer.ts): from a real engine run in the simulated world —
 * a publication request the DNS team got, the active key after the team published it, a compromised key's
 * revocation request, signing disabled — and the answers that carry a view and those that do not.
 */
import { describeDomain } from '../../../functions/lifecycle/domain-view';
import { answerOperatorRequest } from '../../../functions/lifecycle/operator-answer';
import { splitIntoStrings, formatRecordValue } from '../../../functions/dkim/record';
import { DAY_MS, HOUR_MS, DOMAIN, POOL, harness, observeNow, specFor, testPairs } from './helpers';

const iso = (t: number) => new Date(t).toISOString();

describe('describeDomain', () => {
  it('follows an external domain: publication request → active key → a compromised key’s urgent revocation request', async () => {
    const h = harness(specFor('external'));
    await h.advance(HOUR_MS);
    let { state, obs } = await observeNow(h);
    let view = describeDomain(h.spec, state, obs, h.world.clock.now());
    expect(view).toMatchObject({
      format: 1,
      domain: DOMAIN,
      dnsMode: 'external',
      ses: { present: true, origin: 'AWS_SES', signingEnabled: true, healthy: false },
      dns: { verdict: 'none' },
      rotation: { state: 'dns-requested', reason: 'first-activation', awaitingApproval: false },
    });
    expect(view.activeSelector).toBeUndefined();
    expect(view.requests).toHaveLength(1);
    const request = view.requests[0]!;
    expect(request).toMatchObject({
      kind: 'publish',
      selector: view.rotation!.selector,
      overdue: false,
      delivered: true,
    });
    expect(request.deadline).toBe(iso(Date.parse(request.sentAt) + 14 * DAY_MS));
    // The message as the team got it: both languages, the record's zone-file line, never a private key.
    expect(request.message.to).toEqual(['dns@example.jp']);
    expect(request.message.body.ja).toContain(`■ 依頼番号: ${request.id}`);
    expect(request.message.body.en).toMatch(/IN TXT "v=DKIM1; k=rsa; p=/);
    const text = JSON.stringify(view);
    for (const pair of testPairs(POOL + 1)) expect(text).not.toContain(pair.privateKey);

    // The team publishes; SES verifies; the key becomes active.
    const key = state.keys.find((k) => k.selector === request.selector)!;
    h.publish(`${key.selector}._domainkey.${DOMAIN}`, splitIntoStrings(formatRecordValue(key.publicKey!)));
    await h.advance(2 * DAY_MS);
    ({ state, obs } = await observeNow(h));
    view = describeDomain(h.spec, state, obs, h.world.clock.now());
    expect(view).toMatchObject({
      activeSelector: key.selector,
      ses: { origin: 'EXTERNAL', signingEnabled: true, status: 'SUCCESS', healthy: true, tokens: [key.selector] },
      dns: { verdict: 'ok', code: 'match', selector: key.selector },
      requests: [],
      rotations: 1,
    });
    expect(view.keyAgeDays).toBe(Math.floor((h.world.clock.now() - Date.parse(view.keyActivatedAt!)) / DAY_MS));
    expect(Date.parse(view.nextRotationAt!)).toBe(Date.parse(view.keyActivatedAt!) + (180 - 30) * DAY_MS);

    // Compromised with no verified alternative: signing held off, the record revoked by the DNS team.
    await h.run({ action: 'revoke', selector: key.selector });
    await h.advance(HOUR_MS);
    ({ state, obs } = await observeNow(h));
    view = describeDomain(h.spec, state, obs, h.world.clock.now());
    expect(view.compromiseHoldAt).toBeDefined();
    const revoke = view.requests.find((r) => r.kind === 'revoke');
    expect(revoke).toMatchObject({ selector: key.selector });
    expect(revoke!.message.subject.en).toContain('URGENT');
    expect(Date.parse(revoke!.deadline) - Date.parse(revoke!.sentAt)).toBe(DAY_MS);
    expect(view.requests.some((r) => r.kind === 'publish')).toBe(true);
  });
});

describe('answerOperatorRequest', () => {
  it('status and verify-dns carry conditions and the view; an action does not; an unknown domain is refused', async () => {
    const h = harness(specFor('route53'));
    await h.advance(DAY_MS);
    const ports = h.world.ports;
    const status = await answerOperatorRequest(ports, h.spec, { kind: 'operator', action: 'status', domain: DOMAIN });
    expect(status.response).toMatchObject({ action: 'status', domain: DOMAIN, outcome: 'done' });
    expect(status.response.view).toMatchObject({ domain: DOMAIN, ses: { healthy: true }, dns: { verdict: 'ok' } });
    expect(status.response.conditions?.find((c) => c.type === 'Ready')?.status).toBe(true);
    const verify = await answerOperatorRequest(ports, h.spec, {
      kind: 'operator',
      action: 'verify-dns',
      domain: DOMAIN,
    });
    expect(verify.response.view?.observedAt).toBe(iso(h.world.clock.now()));
    const disable = await answerOperatorRequest(ports, h.spec, {
      kind: 'operator',
      action: 'disable',
      domain: DOMAIN,
      actor: 'alice',
    });
    expect(disable.response.outcome).toBe('done');
    expect(disable.response.view).toBeUndefined();
    expect(disable.response.conditions).toBeUndefined();
    const after = await answerOperatorRequest(ports, h.spec, { kind: 'operator', action: 'status', domain: DOMAIN });
    expect(after.response.view?.signingDisabledAt).toBe(iso(h.world.clock.now()));
    const unknown = await answerOperatorRequest(ports, undefined, {
      kind: 'operator',
      action: 'status',
      domain: 'other.example',
    });
    expect(unknown.response).toMatchObject({ outcome: 'refused', code: 'UNKNOWN_DOMAIN' });
    expect(unknown.result).toBeUndefined();
  });
});
