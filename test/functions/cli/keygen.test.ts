import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
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
