/**
 * Every operator command against the simulated backend (`--local`): the environment of envs/dev.ts in the
 * simulated world, its history kept in a local file and replayed by the next command — so a disruptive
 * action's effect shows in `status` — in Japanese and English, as tables and JSON, with the exit codes
 * scripts rely on and the confirmation prompt answered and refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cli, localDir } from './support-operate';

const R53 = 'dev.example.com';
const DELEGATED = 'dev.example.org';

/** One local environment shared by the tests that follow its story (each step replays the previous ones). */
const dir = localDir();
const local = (...args: string[]) => ['--local', '--env', 'dev', ...args];

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('byodkim --local: a story in one simulated environment', () => {
  it('status creates the local environment (deployed now, Easy DKIM everywhere) and shows the first activation', async () => {
    const r = await cli(['status', ...local()], dir);
    expect(r.err).toContain('ローカル環境 dev を作成しました');
    // envs/dev.ts's locale is ja: the default language.
    expect(r.out).toContain('ドメイン');
    expect(r.out).toMatch(
      new RegExp(`${R53}\\s+route53\\s+-\\s+-\\s+進行中（dns-requested）\\s+Easy DKIM 署名有効 SUCCESS`),
    );
    expect(r.out).toContain(`${DELEGATED}: DNS CNAME 設定依頼 byodkim-dev-cname-`);
    expect(r.out).toContain('結果: 対応が必要なドメインまたはアラームがあります');
    expect(r.code).toBe(1);
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'dev.json'), 'utf8'));
    expect(file.environment).toBe('dev');
    expect(file.history).toHaveLength(2);
    expect(fs.statSync(path.join(dir, 'dev.json')).mode & 0o777).toBe(0o600);
  });

  it('tick advances simulated time: the route53 domain is adopted and rotated, the operators are told', async () => {
    const r = await cli(['tick', ...local('--advance', '2d', '--lang', 'en')], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/simulated time (\S+ \S+) → (\S+ \S+) \(Asia\/Tokyo\)/);
    expect(r.out).toContain(`operators: DKIM key rotated: ${R53}`);
  });

  it('status --json: the route53 domain signs with its byodkim key; stable fields for scripts', async () => {
    const r = await cli(['status', ...local('--domain', R53, '--json')], dir);
    const json = JSON.parse(r.out);
    expect(json.environment).toBe('dev');
    expect(json.backend.kind).toBe('local');
    expect(json.alarms).toBeNull();
    expect(json.domains).toHaveLength(1);
    const view = json.domains[0].view;
    expect(view).toMatchObject({
      domain: R53,
      dnsMode: 'route53',
      ses: { origin: 'EXTERNAL', signingEnabled: true, status: 'SUCCESS', healthy: true },
      dns: { verdict: 'ok', code: 'match' },
      rotations: 1,
    });
    expect(view.activeSelector).toMatch(/^byodkim-dev-\d{8}-1$/);
    expect(json.domains[0].healthy).toBe(true);
    expect(r.code).toBe(0);
  });

  it('disable without a terminal and without --yes refuses (exit 5) and changes nothing', async () => {
    const r = await cli(['disable', ...local('--domain', R53, '--lang', 'en')], dir);
    expect(r.code).toBe(5);
    expect(r.err).toContain('not confirmed: stdin is not a terminal');
    expect(r.out).toBe('');
    const s = await cli(['status', ...local('--domain', R53, '--json')], dir);
    expect(JSON.parse(s.out).domains[0].view.signingDisabledAt).toBeUndefined();
  });

  it('disable asks, naming the domain, the current key and that mail goes out unsigned; "n" cancels (exit 5)', async () => {
    const r = await cli(['disable', ...local('--domain', R53, '--lang', 'en')], dir, { answers: ['n'] });
    expect(r.asked).toEqual(['Proceed? [y/N] ']);
    expect(r.err).toMatch(
      new RegExp(`${R53}: SES stops signing NOW \\(SigningEnabled=false, current key byodkim-dev-\\d{8}-1\\)`),
    );
    expect(r.err).toContain('goes out UNSIGNED');
    expect(r.err).toContain('cancelled; nothing was changed');
    expect(r.code).toBe(5);
  });

  it('disable answered "y" (Japanese prompt) turns signing off, and status shows it', async () => {
    const r = await cli(['disable', ...local('--domain', R53)], dir, { answers: ['y'] });
    expect(r.asked).toEqual(['実行しますか？ [y/N] ']);
    expect(r.err).toContain('SES の署名を今すぐ停止します');
    expect(r.out).toContain(`${R53} disable: 完了: 署名を無効化しました`);
    expect(r.code).toBe(0);
    const s = await cli(['status', ...local('--domain', R53, '--lang', 'en', '--advance', '1h')], dir);
    expect(s.out).toMatch(
      new RegExp(`${R53}\\s+route53\\s+byodkim-dev-\\d{8}-1\\s+\\d+ d\\s+\\S+\\s+EXTERNAL OFF SUCCESS`),
    );
    expect(s.out).toContain(`${R53}: signing is DISABLED since`);
    expect(s.code).toBe(1);
  });

  it('disable again is refused by the worker (exit 1) with its reason', async () => {
    const r = await cli(['disable', ...local('--domain', R53, '--yes', '--lang', 'en')], dir);
    expect(r.out).toContain(`${R53} disable: REFUSED [ALREADY_DISABLED]: signing was already disabled`);
    expect(r.code).toBe(1);
  });

  it('enable needs no confirmation and signs again', async () => {
    const r = await cli(['enable', ...local('--domain', R53, '--lang', 'en')], dir);
    expect(r.asked).toEqual([]);
    expect(r.out).toContain(`${R53} enable: done: signing enabled again`);
    expect(r.code).toBe(0);
    const s = await cli(['status', ...local('--domain', R53, '--json')], dir);
    const view = JSON.parse(s.out).domains[0].view;
    expect(view.signingDisabledAt).toBeUndefined();
    expect(view.ses.signingEnabled).toBe(true);
  });

  it('approve on an auto-activation domain is refused (exit 1), in Japanese', async () => {
    const r = await cli(['approve', ...local('--domain', R53, '--yes')], dir);
    expect(r.out).toContain('拒否 [NOTHING_TO_APPROVE]: このドメインの有効化は自動（auto）です');
    expect(r.code).toBe(1);
  });

  it('rotate --yes starts a rotation; status shows it in progress; a second rotate is refused', async () => {
    const r = await cli(['rotate', ...local('--domain', R53, '--yes', '--lang', 'en')], dir);
    expect(r.out).toMatch(new RegExp(`${R53} rotate: done`));
    expect(r.code).toBe(0);
    const again = await cli(['rotate', ...local('--domain', R53, '--yes', '--lang', 'en')], dir);
    expect(again.code).toBe(1);
    expect(again.out).toContain('[ROTATION_IN_FLIGHT]');
  });

  it('rollback after the rotation completed switches back; the prompt names current → previous selector', async () => {
    await cli(['tick', ...local('--advance', '1d')], dir);
    const before = JSON.parse((await cli(['status', ...local('--domain', R53, '--json')], dir)).out).domains[0].view;
    expect(before.rotations).toBe(2);
    expect(before.rollbackTo).toBeDefined();
    const r = await cli(['rollback', ...local('--domain', R53, '--lang', 'en')], dir, { answers: ['yes'] });
    expect(r.err).toContain(`SES switches back ${before.activeSelector} → ${before.rollbackTo}`);
    expect(r.out).toContain(`${R53} rollback: done: rolling back: SES switches back to ${before.rollbackTo}`);
    expect(r.code).toBe(0);
  });

  it('revoke needs --selector; with one it treats the key as compromised', async () => {
    const missing = await cli(['revoke', ...local('--domain', R53, '--yes')], dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--selector is required');
    const view = JSON.parse((await cli(['status', ...local('--domain', R53, '--json')], dir)).out).domains[0].view;
    const r = await cli(['revoke', ...local('--domain', R53, '--selector', view.activeSelector, '--lang', 'en')], dir, {
      answers: ['y'],
    });
    expect(r.err).toContain(`the key ${view.activeSelector} is treated as COMPROMISED`);
    expect(r.out).toContain(`${R53} revoke: done`);
    expect(r.code).toBe(0);
  });

  it('dns-request prints the CNAME request the DNS team got: text (both languages), markdown (ja), json', async () => {
    const text = await cli(['dns-request', ...local('--lang', 'en')], dir);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Subject: DKIM セレクター CNAME 設定依頼');
    expect(text.out).toContain('To: dns-team@example.net');
    expect(text.out).toContain('CNAME byodkim-dev1.dkim-dev.example.net.');
    expect(text.out).toContain('Dear DNS team');
    // Only delegated and external domains without --domain.
    expect(text.out).not.toContain(R53);
    const md = await cli(
      ['dns-request', ...local('--domain', DELEGATED, '--format', 'markdown', '--locale', 'ja')],
      dir,
    );
    expect(md.out).toMatch(/^## DKIM セレクター CNAME 設定依頼 byodkim-dev-cname-/);
    expect(md.out).toContain('- 宛先: dns-team@example.net');
    expect(md.out).toContain('```text\nDNS 管理チーム ご担当者様');
    expect(md.out).not.toContain('Dear DNS team');
    const json = JSON.parse((await cli(['dns-request', ...local('--format', 'json')], dir)).out);
    expect(json.requests).toHaveLength(1);
    expect(json.requests[0]).toMatchObject({ domain: DELEGATED, kind: 'delegation', delivered: true });
    const r53 = await cli(['dns-request', ...local('--domain', R53, '--lang', 'en')], dir);
    expect(r53.out).toContain('route53 mode: byodkim writes its records in Route 53 itself');
  });

  it('dns-request --resend asks the worker to send the open request again', async () => {
    const r = await cli(['dns-request', ...local('--domain', DELEGATED, '--resend', '--lang', 'en')], dir);
    expect(r.out).toMatch(/dev\.example\.org dns-request: done: the CNAME request byodkim-dev-cname-\S+ is sent again/);
    expect(r.code).toBe(0);
    // Carried out in the same invocation, like the worker does: the sandbox shows what was sent.
    expect(r.err).toContain('(local) sent to DNS team: [Resent] DKIM selector CNAME request');
  });

  it('verify-dns --env --local asks the key manager to check DNS now', async () => {
    const r = await cli(['verify-dns', ...local('--lang', 'en')], dir);
    expect(r.out).toMatch(new RegExp(`${R53}: byodkim-dev-\\d{8}-\\d: (OK|PROBLEM|not looked up)`));
    expect(r.out).toContain(`${DELEGATED}: -: no active key`);
    expect([0, 1]).toContain(r.code);
    const mixed = await cli(['verify-dns', '--env', 'dev', '--selector', 's1'], dir);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('use one or the other');
  });

  it('report: the monthly report (the report Lambda’s own build and rendering) of the simulated month so far', async () => {
    const ja = await cli(['report', ...local()], dir);
    expect(ja.code).toBe(0);
    // The environment's locale first, then English, as mailed.
    expect(ja.out).toMatch(/^byodkim DKIM 月次レポート（dev 環境、\d{4}-\d{2}、Asia\/Tokyo）/);
    expect(ja.out).toContain('byodkim monthly DKIM report: environment dev');
    expect(ja.out).toMatch(/dev\.example\.com［route53］: 署名中/);
    const json = JSON.parse((await cli(['report', ...local('--format', 'json')], dir)).out);
    expect(json.format).toBe(1);
    expect(json.domains.map((d: { domain: string }) => d.domain)).toEqual([R53, DELEGATED]);
    // Rotations, the disable/enable/rollback/revoke of this story are in the month's audit trail.
    expect(json.totals.rotations).toBeGreaterThanOrEqual(2);
    expect(json.domains[0].incidents.map((i: { kind: string }) => i.kind)).toContain('operator');
    const bad = await cli(['report', ...local('--month', '2026-13')], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--month must be YYYY-MM');
  });
});

describe('byodkim --local: usage errors (exit 2)', () => {
  const d = localDir();
  afterAll(() => fs.rmSync(d, { recursive: true, force: true }));

  it.each([
    [['status', '--local'], '--env is required'],
    [['status', '--local', '--env', 'qa'], '--env "qa" is not an environment of envs/ (known: dev, stg, prod)'],
    [['status', '--local', '--env', 'dev', '--domain', 'other.example'], 'is not a domain of envs/dev.ts'],
    [['status', '--local', '--env', 'dev', '--lang', 'fr'], '--lang must be ja or en'],
    [['status', '--local', '--env', 'dev', '--region', 'us-east-1'], '--local uses no AWS'],
    [['status', '--env', 'dev', '--advance', '1d'], '--advance moves simulated time: it needs --local'],
    [['status', '--local', '--env', 'dev', '--advance', '7 days'], '--advance must be a duration such as'],
    [['rotate', '--local', '--env', 'dev'], '--domain is required'],
    [['tick', '--env', 'dev'], 'it needs --local'],
    [['dns-request', '--local', '--env', 'dev', '--format', 'pdf'], '--format must be text, markdown or json'],
  ])('%j', async (argv, message) => {
    const r = await cli(argv, d);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).not.toContain('    at ');
  });

  it('every command has --help with examples and the exit codes', async () => {
    for (const name of [
      'status',
      'rotate',
      'approve',
      'disable',
      'enable',
      'rollback',
      'revoke',
      'dns-request',
      'verify-dns',
      'report',
      'tick',
    ]) {
      const r = await cli([name, '--help'], d);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: npx byodkim ${name} `));
      expect(r.out).toContain('examples:');
      expect(r.out).toMatch(/exit status/);
    }
    const help = await cli(['help'], d);
    expect(help.out).toContain('5 not confirmed');
  });

  it('a broken local state file is a clear error, and tick --reset starts again', async () => {
    fs.writeFileSync(path.join(d, 'dev.json'), '{ not json');
    const r = await cli(['status', '--local', '--env', 'dev'], d);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is not JSON: delete it (or run tick --local --reset)');
    const reset = await cli(['tick', '--local', '--env', 'dev', '--reset', '--lang', 'en'], d);
    expect(reset.code).toBe(0);
    expect(reset.err).toContain('deleted');
    expect(JSON.parse(fs.readFileSync(path.join(d, 'dev.json'), 'utf8')).history).toEqual([]);
  });
});

describe('byodkim --local: an external-mode domain (envs/stg.ts)', () => {
  const d = localDir();
  afterAll(() => fs.rmSync(d, { recursive: true, force: true }));
  const stg = (...args: string[]) => ['--local', '--env', 'stg', ...args];

  it('dns-request prints the TXT change request the DNS team got: record name, strings ≤255, zone-file line, deadline', async () => {
    const r = await cli(['dns-request', ...stg('--domain', 'stg.example.com', '--locale', 'en', '--lang', 'en')], d);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Subject: DKIM TXT record request byodkim-stg-\d{8}-1 for stg\.example\.com \(due /);
    expect(r.out).toContain('To: dns-team@example.com');
    expect(r.out).toMatch(/- Name: [a-z0-9-]+\._domainkey\.stg\.example\.com\./);
    expect(r.out).toMatch(/\[1\/2\] \(\d+\) "v=DKIM1; k=rsa; p=/);
    expect(r.out).toMatch(/\._domainkey\.stg\.example\.com\. 3600 IN TXT "v=DKIM1; k=rsa; p=/);
    const status = JSON.parse((await cli(['status', ...stg('--domain', 'stg.example.com', '--json')], d)).out);
    const request = status.domains[0].view.requests[0];
    expect(request).toMatchObject({ kind: 'publish', overdue: false, delivered: true, reminders: 0 });
    expect(Date.parse(request.deadline) - Date.parse(request.sentAt)).toBe(14 * 86_400_000);
  });

  it('once the DNS team published and SES verified it, no request is open and the next one is announced', async () => {
    await cli(['tick', ...stg('--advance', '15d')], d);
    const r = await cli(['dns-request', ...stg('--domain', 'stg.example.com', '--lang', 'en')], d);
    expect(r.out).toMatch(
      /stg\.example\.com: no DNS-team request is open\. The next one goes to the DNS team when the next rotation starts \(around \d{4}-\d{2}-\d{2} \d{2}:\d{2}\)\./,
    );
    const view = JSON.parse((await cli(['status', ...stg('--domain', 'stg.example.com', '--json')], d)).out).domains[0]
      .view;
    expect(view).toMatchObject({ dnsMode: 'external', ses: { healthy: true }, dns: { verdict: 'ok' }, rotations: 1 });
  });
});
