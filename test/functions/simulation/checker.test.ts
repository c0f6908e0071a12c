/**
 * The checker on its own, in hand-made worlds: it shares no code with the engine, decides "the record
 * matches" byte for byte, watches a retired selector for its whole grace period (invariant 8), follows the
 * recorded versions and the acknowledged operator commands (invariant 9), sees an acknowledged disable or
 * revoke carried out in SES's signing history (invariant 10), and reports an invariant that
 * checked nothing although the world gave it something to check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  InvariantChecker,
  SecretScanner,
  answerMatches,
  type CheckerContext,
} from '../../../functions/simulation/invariants';
import { World } from '../../../functions/simulation/world';
import { DAY_MS, DOMAIN, HOUR_MS, START, specFor, testPairs } from '../lifecycle/helpers';

const [k, l, other] = testPairs(3);
const spec = specFor('route53'); // grace 7 days
const nameOf = (selector: string) => `${selector}._domainkey.${DOMAIN}`;
const value = (publicKey: string) => `v=DKIM1; k=rsa; p=${publicKey}`;

describe('the checker shares no code with the engine', () => {
  const source = readFileSync(path.join(__dirname, '../../../functions/simulation/invariants.ts'), 'utf8');
  const imports = [...source.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)';/gms)].map((m) => ({
    typeOnly: m[1] !== undefined,
    from: m[2]!,
  }));

  it('imports nothing at run time: types only', () => {
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !i.typeOnly)).toEqual([]);
  });

  it('takes nothing from the record code and the diagnosis, nor from the engine but its state types', () => {
    expect(imports.map((i) => i.from).filter((f) => f.includes('/dkim/'))).toEqual([]);
    expect(imports.map((i) => i.from).filter((f) => f.includes('/lifecycle/') && f !== '../lifecycle/state')).toEqual(
      [],
    );
  });
});

describe('"the record matches" is the checker\'s own byte comparison', () => {
  const answer = (...records: string[][]) => ({ outcome: 'answer', records });
  const exact = value(k!.publicKey);

  it.each([
    ['the exact value in one string', true, [[exact]]],
    ['the exact value cut into 255-character strings', true, [[exact.slice(0, 255), exact.slice(255)]]],
    ['without the spaces after the semicolons', false, [[exact.replace(/; /g, ';')]]],
    ['without k=rsa', false, [[`v=DKIM1; p=${k!.publicKey}`]]],
    ['with a trailing semicolon', false, [[`${exact};`]]],
    ['with an extra tag', false, [[`${exact}; t=s`]]],
    ['with pasted quotes', false, [[`"${exact}"`]]],
    ['another key', false, [[value(l!.publicKey)]]],
    ['the key cut at 255 characters', false, [[exact.slice(0, 255)]]],
    ['twice (two records)', false, [[exact], [exact]]],
    ['revoked', false, [['v=DKIM1; p=']]],
  ] as const)('%s: matches %s', (_what, matches, records) => {
    expect(answerMatches(answer(...records.map((r) => [...r])), k!.publicKey)).toBe(matches);
  });

  it('and a failed lookup never matches', () => {
    expect(answerMatches({ outcome: 'nxdomain', records: [] }, k!.publicKey)).toBe(false);
    expect(answerMatches({ outcome: 'servfail', records: [[exact]] }, k!.publicKey)).toBe(false);
  });
});

/**
 * A world where SES signs with `k` (selector sel-k, a byodkim key) and is switched at START + 2 h to `l`
 * (sel-l), published at START + 1 h: sel-k's grace period runs from START + 2 h for 7 days.
 */
async function switchedWorld(extra: Partial<CheckerContext> = {}) {
  const world = new World({ start: START, keys: testPairs(2) });
  world.addDomain(spec, { kind: 'byodkim', selector: 'sel-k', pair: k!, ttl: 300 });
  const checker = new InvariantChecker(
    {
      dns: world.dns,
      resolvers: world.resolvers,
      ses: world.ses,
      keyStore: world.keyStore,
      specOf: () => spec,
      teamLate: () => false,
      operatorTouched: () => false,
      sendingFrom: () => START,
      ...extra,
    },
    new SecretScanner(),
  );
  checker.noteKey(DOMAIN, k!.publicKey, 'sel-k');
  checker.noteKey(DOMAIN, l!.publicKey, 'sel-l');
  await world.keyStore.create(DOMAIN, 'sel-k', k!);
  await world.keyStore.create(DOMAIN, 'sel-l', l!);
  const at = (t: number) => {
    world.clock.set(t);
    checker.account(DOMAIN, t);
  };
  at(START);
  at(START + HOUR_MS);
  world.dns.set(nameOf('sel-l'), { txt: [[value(l!.publicKey)]], ttl: 300 }, START + HOUR_MS);
  at(START + 2 * HOUR_MS);
  await world.ses.putExternalSigningKey(DOMAIN, 'sel-l', l!.privateKey);
  checker.checkDomain(DOMAIN, START + 2 * HOUR_MS);
  const check = (t: number) => {
    at(t);
    checker.checkDomain(DOMAIN, t);
  };
  return { world, checker, check, retiredAt: START + 2 * HOUR_MS };
}

describe('invariant 8: a retired selector stays published, unchanged, for its grace period', () => {
  it('holds when the record stays and goes only once the grace period is over', async () => {
    const { world, checker, check, retiredAt } = await switchedWorld();
    expect(world.ses.peek(DOMAIN)).toMatchObject({ status: 'SUCCESS', tokens: ['sel-l'] });
    check(retiredAt + 3 * DAY_MS);
    world.dns.set(nameOf('sel-k'), { txt: [['v=DKIM1; p=']], ttl: 300 }, retiredAt + 7 * DAY_MS);
    check(retiredAt + 8 * DAY_MS);
    expect(checker.violations).toEqual([]);
    expect(checker.checks[8]).toBeGreaterThan(0);
    expect(checker.checks[1]).toBe(1);
  });

  it.each([
    ['revoked', { txt: [['v=DKIM1; p=']], ttl: 300 }],
    ['deleted', undefined],
    ['edited (another key)', { txt: [[value(other!.publicKey)]], ttl: 300 }],
    ['edited (the same key, written differently)', { txt: [[value(k!.publicKey).replace(/; /g, ';')]], ttl: 300 }],
    ['given a second record', { txt: [[value(k!.publicKey)], ['v=spf1 -all']], ttl: 300 }],
  ])('is violated when the record is %s during the grace period', async (_what, rrset) => {
    const { world, checker, check, retiredAt } = await switchedWorld();
    world.dns.set(nameOf('sel-k'), rrset, retiredAt + 2 * DAY_MS);
    check(retiredAt + 3 * DAY_MS);
    expect(checker.violations).toEqual([
      expect.objectContaining({ invariant: 8, at: retiredAt + 2 * DAY_MS, message: expect.stringContaining('sel-k') }),
    ]);
  });

  it('is violated even when the record changes and comes back between two checks', async () => {
    const { world, checker, check, retiredAt } = await switchedWorld();
    world.dns.set(nameOf('sel-k'), undefined, retiredAt + DAY_MS);
    world.dns.set(nameOf('sel-k'), { txt: [[value(k!.publicKey)]], ttl: 300 }, retiredAt + DAY_MS + HOUR_MS);
    check(retiredAt + 3 * DAY_MS);
    expect(checker.counts[8]).toBe(1);
  });

  it('does not apply to a key an operator declared compromised (revoke)', async () => {
    const { world, checker, check, retiredAt } = await switchedWorld();
    checker.declareCompromised(DOMAIN, { selector: 'sel-k' }, retiredAt + DAY_MS);
    world.dns.set(nameOf('sel-k'), { txt: [['v=DKIM1; p=']], ttl: 300 }, retiredAt + DAY_MS);
    check(retiredAt + 3 * DAY_MS);
    expect(checker.violations).toEqual([]);
  });

  it('does not blame the engine for a change a person made behind its back', async () => {
    const byPerson = new Set<string>();
    const { world, checker, check, retiredAt } = await switchedWorld({
      changedByPerson: (name, at) => byPerson.has(`${name} ${at}`),
    });
    world.dns.set(nameOf('sel-k'), undefined, retiredAt + DAY_MS);
    byPerson.add(`${nameOf('sel-k')} ${retiredAt + DAY_MS}`);
    check(retiredAt + 2 * DAY_MS);
    expect(checker.violations).toEqual([]);
    // The engine then writes something else than the record: that is its own doing.
    world.dns.set(nameOf('sel-k'), { txt: [['v=DKIM1; p=']], ttl: 300 }, retiredAt + 3 * DAY_MS);
    check(retiredAt + 4 * DAY_MS);
    expect(checker.counts[8]).toBe(1);
  });

  it('ends when SES is given the key again (a rollback), and starts again when it retires again', async () => {
    const { world, checker, check, retiredAt } = await switchedWorld();
    check(retiredAt + HOUR_MS);
    await world.ses.putExternalSigningKey(DOMAIN, 'sel-k', k!.privateKey);
    check(retiredAt + DAY_MS);
    expect(world.ses.peek(DOMAIN)).toMatchObject({ status: 'SUCCESS', tokens: ['sel-k'] });
    // sel-l retired now: its record must stay; sel-k is active again.
    world.dns.set(nameOf('sel-l'), undefined, retiredAt + 2 * DAY_MS);
    check(retiredAt + 3 * DAY_MS);
    expect(checker.violations).toEqual([
      expect.objectContaining({ invariant: 8, message: expect.stringContaining('sel-l') }),
    ]);
  });
});

describe('invariant 9: versions and acknowledged commands, in a hand-made history', () => {
  const write = (checker: InvariantChecker, version: number, at: number) =>
    checker.stateWritten(DOMAIN, at, JSON.stringify({ domain: DOMAIN, version, keys: [] }));
  const event = (version: number, policy: string, at: number) => ({ domain: DOMAIN, at, version, policy });

  const bare = async () => (await switchedWorld()).checker;

  it('accepts 1, 2, 3… and an acknowledged command recorded at the version it was reported with', async () => {
    const checker = await bare();
    write(checker, 1, START);
    write(checker, 2, START + 1);
    checker.eventsRecorded([event(2, 'command:disable', START + 1)]);
    checker.commandAcknowledged(DOMAIN, { action: 'disable', issuedAt: START, version: 2 });
    write(checker, 3, START + 2);
    checker.finish(START + 3);
    expect(checker.violations.filter((v) => v.invariant === 9)).toEqual([]);
    expect(checker.checks[9]).toBe(3 + 2);
  });

  it('reports a version that is not the previous one plus one', async () => {
    const checker = await bare();
    write(checker, 1, START);
    write(checker, 3, START + 1);
    write(checker, 3, START + 2);
    expect(checker.violations.map((v) => v.message)).toEqual([
      expect.stringContaining('1 version(s) skipped'),
      expect.stringContaining('a lost compare-and-swap'),
    ]);
  });

  it('reports an acknowledged command that was never recorded', async () => {
    const checker = await bare();
    write(checker, 1, START);
    checker.eventsRecorded([event(1, 'reconcile-step', START)]);
    checker.commandAcknowledged(DOMAIN, { action: 'revoke', issuedAt: START });
    expect(checker.violations).toEqual([
      expect.objectContaining({ invariant: 9, message: expect.stringContaining('revoke') }),
    ]);
    expect(checker.violations[0]!.message).toContain('not in the recorded history');
  });

  it('reports an acknowledged command whose recorded version a later write replaced (lost)', async () => {
    const checker = await bare();
    write(checker, 1, START);
    write(checker, 2, START + 1);
    checker.eventsRecorded([event(2, 'command:rollback', START + 1)]);
    checker.commandAcknowledged(DOMAIN, { action: 'rollback', issuedAt: START + 1, version: 2 });
    expect(checker.counts[9]).toBe(0);
    // Another writer, which read version 1, is let through: version 2 again, without the command.
    write(checker, 2, START + 2);
    checker.finish(START + 3);
    expect(checker.violations.filter((v) => v.invariant === 9).map((v) => v.message)).toEqual([
      expect.stringContaining('a lost compare-and-swap'),
      expect.stringContaining('operator command rollback'),
    ]);
    expect(checker.violations[1]!.message).toContain('was lost from the recorded history');
    expect(checker.violations[1]!.message).toContain('(version 2)');
  });

  it('promises nothing for a read-only command', async () => {
    const checker = await bare();
    checker.commandAcknowledged(DOMAIN, { action: 'status', issuedAt: START });
    expect(checker.violations).toEqual([]);
  });
});

describe('invariant 10: an acknowledged disable or revoke is carried out, a run later', () => {
  // SES signs with l (sel-l) from START + 2 h; sel-k retired then. The engine's run: started, completed.
  const T = START + DAY_MS;
  const only10 = (checker: InvariantChecker) => checker.violations.filter((v) => v.invariant === 10);

  it('is violated when SES still signs with a byodkim key after a disable and a completed run', async () => {
    const { checker, check } = await switchedWorld();
    checker.commandAcknowledged(DOMAIN, { action: 'disable', issuedAt: T });
    checker.runCompleted(DOMAIN, checker.runStarted(), T + 1000);
    check(T + HOUR_MS);
    expect(only10(checker)).toEqual([
      expect.objectContaining({
        at: T + 1000,
        message: expect.stringMatching(
          /^SES signs with byodkim selector sel-l after the operator's acknowledged disable/,
        ),
      }),
    ]);
    expect(checker.counts[10]).toBe(1);
    expect(checker.checks[10]).toBeGreaterThan(0);
  });

  it('holds when the run turned signing off, until an acknowledged enable', async () => {
    const { world, checker, check } = await switchedWorld();
    checker.commandAcknowledged(DOMAIN, { action: 'disable', issuedAt: T });
    world.clock.set(T + 1000);
    await world.ses.setSigningEnabled(DOMAIN, false);
    checker.runCompleted(DOMAIN, checker.runStarted(), T + 1000);
    check(T + HOUR_MS);
    checker.commandAcknowledged(DOMAIN, { action: 'enable', issuedAt: T + 2 * HOUR_MS });
    world.clock.set(T + 2 * HOUR_MS);
    await world.ses.setSigningEnabled(DOMAIN, true);
    check(T + 3 * HOUR_MS);
    expect(only10(checker)).toEqual([]);
    expect(checker.checks[10]).toBeGreaterThan(0);
  });

  it('allows the engine the run: a run started before the acknowledgement does not count', async () => {
    const { checker, check } = await switchedWorld();
    const racing = checker.runStarted();
    checker.commandAcknowledged(DOMAIN, { action: 'disable', issuedAt: T });
    checker.runCompleted(DOMAIN, racing, T);
    check(T + HOUR_MS);
    expect(only10(checker)).toEqual([]);
    expect(checker.checks[10]).toBe(0);
    // The next run completes and SES still signs.
    checker.runCompleted(DOMAIN, checker.runStarted(), T + HOUR_MS);
    check(T + 2 * HOUR_MS);
    expect(only10(checker)).toHaveLength(1);
  });

  it('is violated when SES signs with the revoked key after a completed run, not for another key', async () => {
    const { checker, check } = await switchedWorld();
    checker.commandAcknowledged(DOMAIN, { action: 'revoke', issuedAt: T, key: 'sel-k' });
    checker.runCompleted(DOMAIN, checker.runStarted(), T);
    check(T + HOUR_MS);
    expect(only10(checker)).toEqual([]);
    checker.commandAcknowledged(DOMAIN, { action: 'revoke', issuedAt: T + HOUR_MS, key: 'sel-l' });
    checker.runCompleted(DOMAIN, checker.runStarted(), T + HOUR_MS);
    check(T + 2 * HOUR_MS);
    expect(only10(checker)).toEqual([
      expect.objectContaining({
        at: T + HOUR_MS,
        message: expect.stringMatching(
          /^SES signs with the revoked key \(selector sel-l\) after the operator's acknowledged revoke/,
        ),
      }),
    ]);
  });

  it('expects no check before a run completes after the acknowledgement (that run is the engine’s)', async () => {
    const { checker } = await switchedWorld();
    checker.commandAcknowledged(DOMAIN, { action: 'disable', issuedAt: T });
    expect(checker.unexercised().map(([n]) => n)).not.toContain(10);
  });
});

describe('a checker that checked nothing is a failure', () => {
  it('reports invariant 1 when SES was switched but no switch was checked', async () => {
    const { world, checker } = await switchedWorld();
    checker.finish(START + DAY_MS);
    // It checked the switch. (No engine wrote state here: 5, 6, 7 and 9 say they checked nothing.)
    expect(checker.checks[1]).toBe(1);
    expect(checker.counts[1]).toBe(0);
    // Another checker of the same world, never asked to check anything, at the end of the run.
    const fresh = new InvariantChecker(
      {
        dns: world.dns,
        resolvers: world.resolvers,
        ses: world.ses,
        keyStore: world.keyStore,
        specOf: () => spec,
        teamLate: () => false,
        operatorTouched: () => false,
        sendingFrom: () => START,
      },
      new SecretScanner(),
    );
    fresh.finish(START + DAY_MS);
    expect(fresh.violations).toContainEqual(
      expect.objectContaining({
        invariant: 1,
        message: expect.stringMatching(/checked 0 times although SES was switched 1 time/),
      }),
    );
  });
});
