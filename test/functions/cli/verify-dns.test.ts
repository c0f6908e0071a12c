/** `byodkim verify-dns` in-process against a real DNS server on 127.0.0.1, with files written by keygen. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../../../functions/cli/main';
import { capture } from '../../support/cli';
import { parseZoneFileRecord } from '../../../functions/dkim/record';
import { startTestDnsServer, type TestDnsServer, type ZoneNode } from '../../support/dns-test-server';
import { expectNoKeyMaterial } from '../dkim/fixtures';

const DOMAIN = 'example.test';
const SELECTOR = 'mail-prod-20250907-1';
const NAME = `${SELECTOR}._domainkey.${DOMAIN}`;
let dir: string;
let expectFile: string;
let strings: string[];
let server: TestDnsServer;
const records: Record<string, ZoneNode> = {
  'example.test': { NS: ['ns1.example.test'] },
  'ns1.example.test': { A: ['127.0.0.1'] },
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'byodkim-verify-'));
  expect(await run(['keygen', '--domain', DOMAIN, '--selector', SELECTOR, '--out', dir], capture().io)).toBe(0);
  expectFile = path.join(dir, `${SELECTOR}.txt`);
  strings = [...parseZoneFileRecord(readFileSync(expectFile, 'utf8')).strings];
  server = await startTestDnsServer({ role: 'authoritative', zones: [DOMAIN], records });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = () => ['verify-dns', '--domain', DOMAIN, '--selector', SELECTOR, '--expect', expectFile];
const viaServer = () => [...base(), '--server', server.address, '--timeout', '500', '--retries', '0'];

describe('byodkim verify-dns', () => {
  it('exits 0 and says verified when the record matches', async () => {
    records[NAME] = { TXT: [strings] };
    const c = capture();
    expect(await run(viaServer(), c.io)).toBe(0);
    // --server names the zone's authoritative servers: asked without recursion, and labelled as such.
    expect(c.out()).toContain(`[OK]   authoritative ${server.address}: match`);
    expect(c.out()).toContain('verified: every server returns the expected record');
    expect(c.out()).toContain('期待される鍵と一致しています');
    expectNoKeyMaterial(c.out(), readFileSync(path.join(dir, `${SELECTOR}.private.pem`), 'utf8'));
  });

  it('discovers the authoritative server by NS lookup through --resolver', async () => {
    records[NAME] = { TXT: [strings] };
    const c = capture();
    const args = [...base(), '--resolver', server.address, '--name-server-port', String(server.port)];
    expect(await run([...args, '--timeout', '500', '--lang', 'en'], c.io)).toBe(0);
    expect(c.out()).toContain('(zone example.test)');
    expect(c.out()).toContain(`[OK]   authoritative ns1.example.test (${server.address}): match`);
    expect(c.out()).not.toContain('一致');
  });

  it('exits 1 and names the mistake for a truncated record, all in Japanese with --lang ja', async () => {
    records[NAME] = { TXT: [[strings[0]!]] };
    const c = capture();
    expect(await run([...viaServer(), '--lang', 'ja'], c.io)).toBe(1);
    expect(c.out()).toContain(`[FAIL] 権威サーバー ${server.address}: key-truncated`);
    expect(c.out()).toContain('鍵が途中で切れています');
    // The header and the summary too: no English sentence anywhere in the output.
    expect(c.out()).toContain(`${NAME} の TXT レコード: サーバー 1 台に問い合わせ`);
    expect(c.out()).toContain('検証できませんでした: 1 台中 1 台が期待どおりのレコードを返しませんでした');
    expect(c.out()).not.toMatch(/NOT verified|server|resolver|authoritative|zone/);
  });

  it('--lang en prints no Japanese at all', async () => {
    records[NAME] = { TXT: [[strings[0]!]] };
    const c = capture();
    expect(await run([...viaServer(), '--lang', 'en'], c.io)).toBe(1);
    expect(c.out()).toContain('NOT verified: 1 of 1 server did not return the expected record');
    expect(c.out()).not.toMatch(/[ぁ-んァ-ヶ一-龠]/);
  });

  it('exits 1 for a missing record', async () => {
    delete records[NAME];
    const c = capture();
    expect(await run(viaServer(), c.io)).toBe(1);
    expect(c.out()).toContain('no-record');
  });

  it('prints the whole report as JSON with --json', async () => {
    records[NAME] = { TXT: [strings] };
    const c = capture();
    expect(await run([...viaServer(), '--json'], c.io)).toBe(0);
    const report = JSON.parse(c.out());
    expect(report).toMatchObject({ name: NAME, verified: true });
    expect(report.servers[0].answer.records).toEqual([strings]);
  });

  it('exits 2 when the server cannot be reached (the check is inconclusive)', async () => {
    const c = capture();
    const args = [...base(), '--server', '127.0.0.1:1', '--timeout', '300', '--retries', '0'];
    expect(await run(args, c.io)).toBe(2);
    expect(c.out()).toContain('lookup-failed');
    expect(c.out()).toContain('ECONNREFUSED');
  });

  it('exits 2 with a clear message, and no stack trace, when the --server name does not resolve', async () => {
    const c = capture();
    const args = [...base(), '--server', 'ns.invalid', '--timeout', '300', '--retries', '0', '--lang', 'en'];
    expect(await run(args, c.io)).toBe(2);
    const text = c.out() + c.err();
    expect(c.out()).toContain('[FAIL] authoritative ns.invalid:53: lookup-failed');
    expect(c.out()).toMatch(
      /ns\.invalid:53 could not be reached: its name does not resolve to an address \((ENOTFOUND|EAI_AGAIN)\)/,
    );
    expect(c.out()).toContain('NOT verified: 1 of 1 server could not be asked; nothing is known about the record');
    expect(text).not.toMatch(/ERR_SOCKET_BAD_PORT|RangeError|\n\s+at /);
  });

  it('words a refused connection as unreachable, never like a DNS REFUSED answer', async () => {
    const c = capture();
    const args = [...base(), '--server', '127.0.0.1:1', '--timeout', '300', '--retries', '0'];
    expect(await run(args, c.io)).toBe(2);
    expect(c.out()).toContain('127.0.0.1:1 could not be reached: the connection was refused (ECONNREFUSED)');
    expect(c.out()).toContain('接続が拒否されました（ECONNREFUSED）');
    expect(c.out()).not.toContain('refused the query');
    expect(c.out()).not.toContain('問い合わせを拒否しました');
  });

  it('words a DNS REFUSED answer (rcode 5) as the server declining the question', async () => {
    const stranger = await startTestDnsServer({ role: 'authoritative', zones: ['elsewhere.test'], records });
    try {
      const c = capture();
      const args = [...base(), '--server', stranger.address, '--timeout', '300', '--retries', '0'];
      expect(await run(args, c.io)).toBe(2);
      expect(c.out()).toContain(`${stranger.address} refused the query (a DNS REFUSED answer, rcode 5`);
      expect(c.out()).not.toContain('could not be reached');
    } finally {
      await stranger.close();
    }
  });

  it('asks --server as authoritative and --resolver as resolvers together, without discovery', async () => {
    records[NAME] = { TXT: [strings] };
    const resolver = await startTestDnsServer({ role: 'recursive', records });
    try {
      const c = capture();
      const args = [...viaServer(), '--resolver', resolver.address, '--lang', 'en'];
      expect(await run(args, c.io)).toBe(0);
      expect(c.out()).toContain(`${NAME} TXT: 2 servers asked`);
      expect(c.out()).toContain(`[OK]   authoritative ${server.address}: match`);
      expect(c.out()).toContain(`[OK]   resolver ${resolver.address}: match`);
      expect(c.out()).not.toContain('zone example.test');
    } finally {
      await resolver.close();
    }
  });

  it('notes when a --server answers without the AA flag (a resolver given as --server)', async () => {
    records[NAME] = { TXT: [strings] };
    const resolver = await startTestDnsServer({ role: 'recursive', records });
    try {
      const c = capture();
      const args = [...base(), '--server', resolver.address, '--timeout', '500', '--retries', '0'];
      expect(await run(args, c.io)).toBe(0);
      expect(c.out()).toContain('the answer is not authoritative (no AA flag)');
      expect(c.out()).toContain('--resolver');
    } finally {
      await resolver.close();
    }
  });

  it('asks only the resolvers with --resolvers-only (no name server discovery)', async () => {
    records[NAME] = { TXT: [strings] };
    const resolver = await startTestDnsServer({ role: 'recursive', records });
    try {
      const c = capture();
      const args = [...base(), '--resolver', resolver.address, '--resolvers-only', '--timeout', '500'];
      expect(await run([...args, '--lang', 'en'], c.io)).toBe(0);
      expect(c.out()).toContain(`${NAME} TXT: 1 server asked`);
      expect(c.out()).toContain(`[OK]   resolver ${resolver.address}: match`);
      expect(resolver.queries.log.some((l) => / 2$/.test(l))).toBe(false); // no NS query
    } finally {
      await resolver.close();
    }
  });

  it('documents the exit statuses and what --server and --resolver mean in --help', async () => {
    const c = capture();
    expect(await run(['verify-dns', '--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^usage: npx byodkim verify-dns /);
    expect(c.out()).toContain('0 every server returns the expected record');
    expect(c.out()).toContain('1 some server returns a wrong or no record');
    expect(c.out()).toContain('2 usage error, or DNS could not be asked');
    expect(c.out()).toMatch(/--server HOST\[:PORT\]\s+an authoritative name server of the zone/);
    expect(c.out()).toMatch(/--resolver HOST\[:PORT\]\s+a recursive resolver/);
  });

  it('exits 2 when no name server can be discovered', async () => {
    const c = capture();
    const args = [...base(), '--resolver', '127.0.0.1:1', '--timeout', '300', '--retries', '0'];
    expect(await run(args, c.io)).toBe(2);
    expect(c.err()).toContain('no resolver answered');
  });

  it('says why DNS could not be asked in Japanese with --lang ja', async () => {
    const c = capture();
    const args = [...base(), '--resolver', '127.0.0.1:1', '--timeout', '300', '--retries', '0', '--lang', 'ja'];
    expect(await run(args, c.io)).toBe(2);
    expect(c.err()).toContain(
      `_domainkey.${DOMAIN} のゾーンを特定できませんでした: どのリゾルバーも応答しませんでした`,
    );
    expect(c.err()).not.toContain('no resolver answered');
  });

  it('exits 2 when --expect is for another record name', async () => {
    const other = path.join(dir, 'other.txt');
    writeFileSync(other, readFileSync(expectFile, 'utf8').replace(SELECTOR, 'another-selector'));
    const c = capture();
    expect(await run(['verify-dns', '--domain', DOMAIN, '--selector', SELECTOR, '--expect', other], c.io)).toBe(2);
    expect(c.err()).toContain(`is the record for another-selector._domainkey.${DOMAIN}, not ${NAME}`);
  });

  it('refuses a private key given as --expect without printing it', async () => {
    const keyFile = path.join(dir, `${SELECTOR}.private.pem`);
    const c = capture();
    expect(await run(['verify-dns', '--domain', DOMAIN, '--selector', SELECTOR, '--expect', keyFile], c.io)).toBe(2);
    expect(c.err()).toContain('holds a private key');
    expectNoKeyMaterial(c.out() + c.err(), readFileSync(keyFile, 'utf8'));
  });

  it('accepts a bare record value as --expect', async () => {
    records[NAME] = { TXT: [strings] };
    const bare = path.join(dir, 'bare.txt');
    writeFileSync(bare, `${strings.join('')}\n`);
    const args = ['verify-dns', '--domain', DOMAIN, '--selector', SELECTOR, '--expect', bare];
    expect(await run([...args, '--server', server.address], capture().io)).toBe(0);
  });

  it.each([
    [['--domain', DOMAIN, '--selector', SELECTOR], '--expect is required'],
    [['--domain', DOMAIN, '--selector', SELECTOR, '--expect', '/nonexistent/x.txt'], 'cannot read --expect'],
    [['--domain', DOMAIN, '--selector', 'a.b', '--expect', 'x'], 'must not contain dots'],
    [
      ['--domain', DOMAIN, '--selector', SELECTOR, '--expect', 'x', '--server', 'host:99999'],
      'must be HOST or HOST:PORT',
    ],
    [['--domain', DOMAIN, '--selector', SELECTOR, '--expect', 'x', '--lang', 'fr'], '--lang must be en, ja or both'],
    [
      ['--domain', DOMAIN, '--selector', SELECTOR, '--expect', 'x', '--timeout', 'soon'],
      '--timeout must be a whole number',
    ],
  ])('refuses %j with exit 2', async (args, message) => {
    const c = capture();
    expect(await run(['verify-dns', ...args.map((a) => (a === 'x' ? expectFile : a))], c.io)).toBe(2);
    expect(c.err()).toContain(message);
  });
});
