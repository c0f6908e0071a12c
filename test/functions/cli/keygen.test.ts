import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as NodeCrypto from 'node:crypto';
import type * as NodeFs from 'node:fs';
import { run } from '../../../functions/cli/main';
import { capture } from '../../support/cli';
import { parseRecord, parseZoneFileRecord } from '../../../functions/dkim/record';
import { expectNoKeyMaterial } from '../dkim/fixtures';

const crypto = jest.requireActual<typeof NodeCrypto>('node:crypto');
/** The real fs module object (the one `import fs from 'node:fs'` in the command calls through). */
const realFs = jest.requireActual<typeof NodeFs>('node:fs');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'byodkim-keygen-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const SELECTOR = 'mail-prod-20250907-1';

describe('byodkim keygen', () => {
  it('writes the private key (0600, even with umask 000) and the zone-file line, and prints the record', async () => {
    const c = capture();
    const open = jest.spyOn(realFs, 'openSync');
    const previous = process.umask(0);
    let code: number;
    try {
      code = await run(['keygen', '--domain', 'Example.COM', '--selector', SELECTOR, '--out', dir], c.io);
    } finally {
      process.umask(previous);
    }
    const keyFile = path.join(dir, `${SELECTOR}.private.pem`);
    const recordFile = path.join(dir, `${SELECTOR}.txt`);
    expect(code).toBe(0);
    // Created exclusively with mode 0600 from the first moment: no chmod window.
    expect(open.mock.calls).toContainEqual([keyFile, 'wx', 0o600]);
    open.mockRestore();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const pem = readFileSync(keyFile, 'utf8');
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const publicKey = (
      crypto.createPublicKey(crypto.createPrivateKey(pem)).export({ type: 'spki', format: 'der' }) as Buffer
    ).toString('base64');

    const line = readFileSync(recordFile, 'utf8').trim();
    const record = parseZoneFileRecord(line);
    expect(record.name).toBe(`${SELECTOR}._domainkey.example.com`);
    expect(record.strings.map((s) => s.length)).toEqual([255, 155]);
    expect(parseRecord(record.value).publicKey).toBe(publicKey);

    const out = c.out();
    expect(out).toContain(`name:  ${SELECTOR}._domainkey.example.com`);
    expect(out).toContain('type:  TXT');
    expect(out).toContain('410 characters, as 2 character-strings of at most 255 in that one record');
    expect(out).toContain(`"${record.strings[0]}"`);
    expect(out).toContain(line);
    expect(out).toContain(`byodkim verify-dns --domain example.com --selector ${SELECTOR} --expect ${recordFile}`);
    expectNoKeyMaterial(out + c.err(), pem);
  });

  it('writes the SES form of the key to a 0600 file, never to stdout, and prints the AWS CLI commands that read it', async () => {
    const c = capture();
    const open = jest.spyOn(realFs, 'openSync');
    expect(await run(['keygen', '--domain', 'example.com', '--selector', SELECTOR, '--out', dir], c.io)).toBe(0);
    const sesFile = path.join(dir, `${SELECTOR}.private.b64`);
    expect(open.mock.calls).toContainEqual([sesFile, 'wx', 0o600]);
    open.mockRestore();
    expect(statSync(sesFile).mode & 0o777).toBe(0o600);

    // What SES takes as DomainSigningPrivateKey: base64 PKCS#1 DER on one line, no newline (the AWS CLI
    // reads a file:// value byte for byte, and SES's pattern has no room for one).
    const ses = readFileSync(sesFile, 'utf8');
    expect(ses).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const pem = readFileSync(path.join(dir, `${SELECTOR}.private.pem`), 'utf8');
    const fromSes = crypto.createPrivateKey({ key: Buffer.from(ses, 'base64'), format: 'der', type: 'pkcs1' });
    expect(fromSes.export({ type: 'pkcs1', format: 'pem' })).toBe(pem);

    const out = c.out();
    const commands = out.replace(/ \\\n\s+/g, ' ');
    expect(commands).toContain(
      `aws sesv2 put-email-identity-dkim-signing-attributes --email-identity example.com --signing-attributes-origin EXTERNAL --signing-attributes 'DomainSigningSelector=${SELECTOR},DomainSigningPrivateKey@=file://${sesFile}'`,
    );
    expect(commands).toContain(
      'aws sesv2 put-email-identity-dkim-attributes --email-identity example.com --signing-enabled',
    );
    // The order that never leaves mail unsigned: verify DNS first, switch SES second.
    expect(out.indexOf('npx byodkim verify-dns')).toBeLessThan(out.indexOf('aws sesv2 put-email-identity'));
    expect(out).toContain(`${sesFile} (base64 PKCS#1 DER on one line, mode 0600`);
    expectNoKeyMaterial(out + c.err(), pem, ses);
  });

  it('suggests npx byodkim, not a byodkim that is not on PATH', async () => {
    const c = capture();
    expect(
      await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', dir, '--bits', '1024'], c.io),
    ).toBe(0);
    expect(c.out()).toContain('  npx byodkim verify-dns --domain example.com --selector s1 --expect ');
    expect(c.out()).not.toMatch(/^\s*byodkim /m);
  });

  it('converts an IDN domain to its A-label', async () => {
    const c = capture();
    expect(await run(['keygen', '--domain', '例え.jp', '--selector', 's1', '--out', dir, '--bits', '1024'], c.io)).toBe(
      0,
    );
    expect(c.out()).toContain('name:  s1._domainkey.xn--r8jz45g.jp');
  });

  it('warns in both languages for 1024 bits, and the record fits one string', async () => {
    const c = capture();
    expect(
      await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', dir, '--bits', '1024'], c.io),
    ).toBe(0);
    expect(c.err()).toContain('warning: a 1024-bit key is weak');
    expect(c.err()).toContain('警告: 1024 ビット鍵');
    expect(c.out()).toContain('234 characters, as 1 character-string');
  });

  it('never overwrites an existing key, and leaves it untouched', async () => {
    const keyFile = path.join(dir, 's1.private.pem');
    writeFileSync(keyFile, 'OLD KEY');
    const c = capture();
    expect(await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', dir], c.io)).toBe(2);
    expect(c.err()).toContain('never overwrites a key');
    expect(readFileSync(keyFile, 'utf8')).toBe('OLD KEY');
    expect(existsSync(path.join(dir, 's1.txt'))).toBe(false);
  });

  it('never overwrites an existing SES-form key either', async () => {
    writeFileSync(path.join(dir, 's1.private.b64'), 'OLD');
    const c = capture();
    expect(await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', dir], c.io)).toBe(2);
    expect(c.err()).toContain('never overwrites a key');
    expect(existsSync(path.join(dir, 's1.private.pem'))).toBe(false);
  });

  it('creates a missing output directory with mode 0700', async () => {
    const out = path.join(dir, 'keys', 'prod');
    expect(await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', out], capture().io)).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o700);
  });

  it.each([
    [['--selector', 's1', '--out', 'x'], '--domain is required'],
    [['--domain', 'example.com', '--out', 'x'], '--selector is required'],
    [['--domain', 'example.com', '--selector', 's1'], '--out is required'],
    [['--domain', 'example.com', '--selector', 'mail.prod', '--out', 'x'], 'must not contain dots'],
    [['--domain', 'example.com', '--selector', 'mail_prod', '--out', 'x'], 'must not contain underscores'],
    [['--domain', 'localhost', '--selector', 's1', '--out', 'x'], 'at least two labels'],
    [['--domain', 'example.com', '--selector', 's1', '--out', 'x', '--bits', '4096'], 'must be 2048 or 1024 bits'],
    [['--domain', 'example.com', '--selector', 's1', '--out', 'x', '--bits', 'lots'], '--bits must be a whole number'],
    [['--domain', 'example.com', '--selector', 's1', '--out', 'x', '--force'], "Unknown option '--force'"],
  ])('refuses %j with exit 2', async (args, message) => {
    const c = capture();
    expect(await run(['keygen', ...args.map((a) => (a === 'x' ? dir : a))], c.io)).toBe(2);
    expect(c.err()).toContain(message);
    expect(existsSync(path.join(dir, 's1.private.pem'))).toBe(false);
  });

  it('refuses an unsupported key size before creating the output directory', async () => {
    const out = path.join(dir, 'not-yet');
    const c = capture();
    expect(
      await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', out, '--bits', '4096'], c.io),
    ).toBe(2);
    expect(c.err()).toContain('must be 2048 or 1024 bits');
    expect(existsSync(out)).toBe(false);
  });
});

describe('byodkim keygen inside a git work tree', () => {
  // git is part of this project's toolchain (CI clones with it): fail clearly rather than skip without it.
  beforeAll(() => {
    if (spawnSync('git', ['--version']).status !== 0) {
      throw new Error('git is not on PATH: keygen refuses keys git would track, and these tests need git to show it');
    }
  });
  /** git in a scratch repository, whatever GIT_DIR a caller (e.g. a git hook) may have set. */
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-C', cwd, ...args], { stdio: 'pipe', env });

  it('refuses to write a private key git would track, and writes nothing', async () => {
    git(dir, 'init', '-q');
    const out = path.join(dir, 'keys');
    const c = capture();
    expect(await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', out], c.io)).toBe(2);
    expect(c.err()).toContain(`inside the git work tree ${realFs.realpathSync(dir)}`);
    expect(c.err()).toContain('keys/s1.private.pem');
    expect(c.err()).toContain('.gitignore');
    expect(c.err()).toContain('.gitignore に');
    expect(existsSync(out)).toBe(false);
  });

  it('writes the key where .gitignore excludes it', async () => {
    git(dir, 'init', '-q');
    writeFileSync(path.join(dir, '.gitignore'), 'keys/\n');
    const out = path.join(dir, 'keys', 'prod');
    const c = capture();
    expect(await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', out], c.io)).toBe(0);
    expect(existsSync(path.join(out, 's1.private.pem'))).toBe(true);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all').toString()).toBe('?? .gitignore\n');
  });

  it('refuses when only the record would be ignored but the keys would not', async () => {
    git(dir, 'init', '-q');
    mkdirSync(path.join(dir, 'out'));
    writeFileSync(path.join(dir, '.gitignore'), '*.pem\n');
    const c = capture();
    expect(
      await run(['keygen', '--domain', 'example.com', '--selector', 's1', '--out', path.join(dir, 'out')], c.io),
    ).toBe(2);
    expect(c.err()).toContain('out/s1.private.b64');
    expect(existsSync(path.join(dir, 'out', 's1.private.pem'))).toBe(false);
  });

  it("this repository's .gitignore excludes keygen's files", () => {
    const root = path.resolve(__dirname, '../../..');
    for (const file of [
      'keys/s1.private.pem',
      'keys/prod/s1.txt',
      'elsewhere/s1.private.pem',
      'elsewhere/s1.private.b64',
    ]) {
      expect([file, spawnSync('git', ['-C', root, 'check-ignore', '-q', file]).status]).toEqual([file, 0]);
    }
  });
});
