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
    expect(c.out()).toContain(`[OK]   resolver ${server.address}: match`);
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

  it('exits 1 and names the mistake for a truncated record', async () => {
    records[NAME] = { TXT: [[strings[0]!]] };
    const c = capture();
    expect(await run([...viaServer(), '--lang', 'ja'], c.io)).toBe(1);
    expect(c.out()).toContain(`[FAIL] resolver ${server.address}: key-truncated`);
    expect(c.out()).toContain('鍵が途中で切れています');
    expect(c.out()).toContain('NOT verified: 1 of 1 server');
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

  it('exits 2 when no name server can be discovered', async () => {
    const c = capture();
    const args = [...base(), '--resolver', '127.0.0.1:1', '--timeout', '300', '--retries', '0'];
    expect(await run(args, c.io)).toBe(2);
    expect(c.err()).toContain('no resolver answered');
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
