/**
 * The confirmation prompt through a real pseudo-terminal: `script -qec` runs `byodkim disable --local` on
 * a pty (stdin a terminal, so byodkim asks; stderr a terminal, so it draws progress), and the answer is
 * typed into it. Without a terminal the process io offers no way to ask, and the command refuses (exit 5). The process's
 * own input and output (processIo in functions/cli/main.ts) are what is under test here; the commands'
 * logic is tested in-process (operate-local, operate-aws).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processIo } from '../../../functions/cli/main';
import { cli, localDir } from './support-operate';

const root = path.resolve(__dirname, '..', '..', '..');
const SCRIPT = '/usr/bin/script';
const NODE_ARGS = ['-r', path.join(root, 'scripts', 'ts-require.cjs'), path.join(root, 'functions', 'cli', 'main.ts')];
const dir = localDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DISABLE = ['disable', '--local', '--env', 'dev', '--domain', 'dev.example.com', '--lang', 'en'];

function onPty(args: readonly string[], typed: string) {
  const command = [process.execPath, ...NODE_ARGS, ...args].join(' ');
  const result = spawnSync(SCRIPT, ['-qec', command, '/dev/null'], {
    input: typed,
    encoding: 'utf8',
    env: { ...process.env, BYODKIM_LOCAL_DIR: dir, USER: 'pty-tester' },
    timeout: 60_000,
  });
  // The pty turns \n into \r\n.
  return { code: result.status, text: result.stdout.replace(/\r/g, '') };
}

async function signingDisabledAt(): Promise<string | undefined> {
  const r = await cli(['status', '--local', '--env', 'dev', '--domain', 'dev.example.com', '--json'], dir);
  return JSON.parse(r.out).domains[0].view.signingDisabledAt;
}

describe('the confirmation prompt on a real terminal', () => {
  beforeAll(async () => {
    if (!fs.existsSync(SCRIPT))
      throw new Error(`${SCRIPT} (util-linux) is needed to run a command on a pseudo-terminal`);
    // The local environment (and its simulated keys) is created in-process, once.
    expect(await signingDisabledAt()).toBeUndefined();
  });

  it('asks, naming what will happen; "n" cancels with exit 5 and nothing changes', async () => {
    const r = onPty(DISABLE, 'n\n');
    expect(r.text).toContain('disable in environment dev (local) will do this:');
    expect(r.text).toContain('dev.example.com: SES stops signing NOW (SigningEnabled=false');
    expect(r.text).toContain('Proceed? [y/N]');
    // Progress was drawn on the terminal while the local backend worked, then erased.
    expect(r.text).toContain('waiting for the local backend (dev.example.com status)');
    expect(r.text).toContain('\x1b[2K');
    expect(r.text).toContain('cancelled; nothing was changed');
    expect(r.code).toBe(5);
    expect(await signingDisabledAt()).toBeUndefined();
  });

  it('"y" carries it out: exit 0, and status shows signing disabled', async () => {
    const r = onPty(DISABLE, 'y\n');
    expect(r.text).toContain('Proceed? [y/N]');
    expect(r.text).toContain('dev.example.com disable: done: signing disabled (SigningEnabled=false)');
    expect(r.code).toBe(0);
    expect(await signingDisabledAt()).toEqual(expect.any(String));
  });

  it('stdin not a terminal (here: jest’s): the process io has no way to ask, so disable refuses (exit 5)', async () => {
    const io = processIo();
    expect(process.stdin.isTTY).not.toBe(true);
    expect(io.ask).toBeUndefined();
    const r = await cli(DISABLE, dir);
    expect(r.code).toBe(5);
    expect(r.err).toContain('not confirmed: stdin is not a terminal');
    io.close();
  });
});
