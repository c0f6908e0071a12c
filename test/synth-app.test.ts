/**
 * `npm run synth` on a copy of the project: cdktf.json's app (scripts/synth-app.mjs) and package.json's
 * `synth` script (scripts/synth.mjs, which runs the cdktf CLI). The app runs main.ts transpile-only (no
 * tsc, no build directory); a problem in an env file is printed once, as README.md shows it; the CLI's
 * telemetry is off and its red `[ERROR]` log lines never appear.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const STACKS = ['byodkim-dev', 'byodkim-stg', 'byodkim-prod'];

/** A copy of what `npm run synth` reads, with node_modules linked (no dist/: synth must not need one). */
function copyProject(): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'byodkim-app-'));
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
    // The Lambda bundles the stacks deploy: `npm run synth` builds them before the app runs (jest's
    // globalSetup did, for this run).
    'bundles',
  ]) {
    cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/** Replaces `from` (which must occur) by `to` in one file of the copy. */
function edit(copy: string, file: string, from: string, to: string): void {
  const full = path.join(copy, file);
  const text = readFileSync(full, 'utf8');
  expect(text).toContain(from);
  writeFileSync(full, text.replace(from, to));
}

/**
 * The environment of a user who set nothing: telemetry not disabled, not detected as CI (cdktf then
 * records a user id in $CDKTF_HOME/config.json before it sends anything), and a TF_CLI_CONFIG_FILE that
 * names a missing file (terraform warns about it on every `terraform -v` the CLI runs).
 */
function userEnv(copy: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CHECKPOINT_DISABLE;
  delete env.CDKTF_OUTDIR;
  delete env.CDKTF_LOG_LEVEL;
  delete env.CDKTF_LOG_FILE_DIRECTORY;
  return {
    ...env,
    CI: 'false',
    CDKTF_HOME: path.join(copy, '.cdktf-home'),
    TF_CLI_CONFIG_FILE: path.join(copy, 'no-such.terraformrc'),
  };
}

/** Runs a command line as npm does (`sh -c`), in the copy. */
function run(copy: string, command: string, env: NodeJS.ProcessEnv) {
  return spawnSync('sh', ['-c', command], { cwd: copy, encoding: 'utf8', env, timeout: 120_000 });
}

const appCommand = (copy: string): string =>
  (JSON.parse(readFileSync(path.join(copy, 'cdktf.json'), 'utf8')) as { app: string }).app;
const synthScript = (copy: string): string =>
  (JSON.parse(readFileSync(path.join(copy, 'package.json'), 'utf8')) as { scripts: { synth: string } }).scripts.synth;

/** README.md, "What an invalid file looks like": the command and what it prints. */
function readmeInvalidExample(): { command: string; output: string } {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = /### What an invalid file looks like\s+```text\n\$ (.+)\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md: no "What an invalid file looks like" example');
  return { command: match[1], output: match[2] };
}

describe('npm run synth: the cdktf app (cdktf.json app)', () => {
  let copy: string;
  beforeEach(() => {
    copy = copyProject();
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('names the field, rule and value of a wrong type in an env file, and fails', () => {
    edit(copy, 'envs/dev.ts', "domain: 'dev.example.org',", "domain: 'dev.example.org', keyBits: '2048',");
    const result = run(copy, appCommand(copy), { ...process.env, CDKTF_OUTDIR: path.join(copy, 'cdktf.out') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('envs/dev.ts: domains[1].keyBits: must be a number; given "2048"');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    // The schema reports the wrong type; TypeScript is `npm test`'s business (tsc --noEmit), not synth's.
    expect(result.stderr).not.toMatch(/error TS\d+|TypeScript/);
    expect(existsSync(path.join(copy, 'cdktf.out', 'stacks'))).toBe(false);
  }, 60_000);
});

describe('npm run synth: the package.json script (the cdktf CLI)', () => {
  let copy: string;
  beforeEach(() => {
    copy = copyProject();
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  it('prints a problem in an env file once, exactly as README.md shows it, and fails', () => {
    const example = readmeInvalidExample();
    expect(example.command).toBe('npm run synth');
    edit(copy, 'envs/prod.ts', 'renewBeforeDays: 30,', 'renewBeforeDays: 10,');

    const result = run(copy, synthScript(copy), userEnv(copy));
    expect(result.stderr).toBe(example.output);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  }, 120_000);

  it('reports an env file that cannot be compiled with its file and line, without a stack trace, and fails', () => {
    edit(copy, 'envs/dev.ts', "domain: 'dev.example.org',", "domain: 'dev.example.org' keyBits: 2048,");
    const result = run(copy, synthScript(copy), userEnv(copy));
    expect(result.stderr).toMatch(/^envs\/dev\.ts: cannot be compiled:\n.*Expected ','/);
    expect(result.stderr).toMatch(/envs\/dev\.ts:\d+:\d+\]/);
    expect(result.stderr).not.toMatch(/^\s+at |Stack backtrace/m);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  }, 60_000);

  // One CLI run serves two proofs: what the CLI prints, and that the app it runs (cdktf.json's) runs main.ts
  // transpile-only: it writes no build output, and a stale dist/ cannot change the result.
  it('synthesizes through the cdktf CLI with telemetry off, no [ERROR] lines, each warning once; main.ts transpile-only, a stale dist/ unused', () => {
    edit(copy, 'envs/dev.ts', "domain: 'dev.example.org',", "domain: 'dev.example.org', keyBits: 1024,");
    const env = userEnv(copy);
    // What an old `npm run build` may leave behind: a module deleted from the sources, and a main.js that
    // would fail if it were run.
    mkdirSync(path.join(copy, 'dist', 'constructs'), { recursive: true });
    writeFileSync(path.join(copy, 'dist', 'main.js'), "throw new Error('stale dist/main.js was run');\n");
    writeFileSync(path.join(copy, 'dist', 'constructs', 'byodkim-stack.js'), "throw new Error('stale');\n");
    const before = readdirSync(path.join(copy, 'dist'), { recursive: true }).sort();
    const entriesBefore = readdirSync(copy).sort();

    const result = run(copy, synthScript(copy), env);
    const output = `${result.stdout}\n${result.stderr}`;
    expect(output).not.toContain('[ERROR]');
    expect(output).not.toMatch(/checkpoint|telemetry/i);
    expect(output).not.toContain('CLI configuration');
    expect(result.stdout).toContain(`Generated Terraform code for the stacks: ${[...STACKS].sort().join(', ')}`);
    expect(output.match(/warning: envs\/dev\.ts: domains\[1\]\.keyBits: 1024-bit/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/^warning: envs\/dev\.ts: domains\[1\]\.keyBits: 1024-bit/);
    expect(result.status).toBe(0);
    for (const stack of STACKS) {
      expect(existsSync(path.join(copy, 'cdktf.out', 'stacks', stack, 'cdk.tf.json'))).toBe(true);
    }
    // With telemetry on, the CLI records a user id here before sending anything.
    expect(existsSync(path.join(env.CDKTF_HOME as string, 'config.json'))).toBe(false);
    // Transpile-only: dist/ as it was, and nothing new beside the sources but the output (and the CLI's home).
    expect(readdirSync(path.join(copy, 'dist'), { recursive: true }).sort()).toEqual(before);
    expect(readFileSync(path.join(copy, 'dist', 'main.js'), 'utf8')).toContain('stale dist/main.js was run');
    expect(
      readdirSync(copy)
        .filter((entry) => !['cdktf.out', '.cdktf-home'].includes(entry))
        .sort(),
    ).toEqual(entriesBefore);
    // The warning is all there is on stderr: the app itself prints nothing on a run that succeeds.
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^warning: envs\/dev\.ts: domains\[1\]\.keyBits: 1024-bit/),
    ]);
  }, 180_000);
});
