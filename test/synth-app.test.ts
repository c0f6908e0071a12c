/**
 * `npm run synth` (cdktf.json's app) on a copy of the project whose env file has a
 * wrong type: tsc refuses it, and the user still learns the file, field path, rule and value given.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

describe('npm run synth: the cdktf app', () => {
  let copy: string;
  beforeAll(() => {
    copy = mkdtempSync(path.join(tmpdir(), 'byodkim-app-'));
    for (const entry of [
      'main.ts',
      'constructs',
      'functions',
      'envs',
      'scripts',
      'tsconfig.json',
      'tsconfig.build.json',
      'package.json',
      'cdktf.json',
    ]) {
      cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
    }
    symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('names the field, rule and value of a wrong type in an env file, then the TypeScript error, and fails', () => {
    const dev = path.join(copy, 'envs', 'dev.ts');
    const text = readFileSync(dev, 'utf8');
    expect(text).toContain("domain: 'dev.example.org',");
    writeFileSync(dev, text.replace("domain: 'dev.example.org',", "domain: 'dev.example.org', keyBits: '2048',"));

    const app = (JSON.parse(readFileSync(path.join(copy, 'cdktf.json'), 'utf8')) as { app: string }).app;
    const run = spawnSync('sh', ['-c', app], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, CDKTF_OUTDIR: path.join(copy, 'cdktf.out') },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('envs/dev.ts: domains[1].keyBits: must be a number; given "2048"');
    expect(run.stderr).toMatch(/envs\/dev\.ts\(\d+,\d+\): error TS2322/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
