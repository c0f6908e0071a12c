import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { run, SIMULATE_SEMI_SPACE_MB, simulateChildArgs } from '../../../functions/cli/main';
import { capture } from '../../support/cli';
import type { Command } from '../../../functions/cli/command';
import { ValidationError } from '../../../functions/core/errors';

const echo: Command = {
  name: 'echo',
  summary: 'prints its arguments',
  usage: 'usage: byodkim echo [words...]',
  run: async (args, io) => {
    io.stdout(args.join(' '));
    return 0;
  },
};
const failing: Command = {
  name: 'fail',
  summary: 'throws a validation error',
  usage: 'usage: byodkim fail',
  run: async () => {
    throw new ValidationError('BAD', 'selector "a.b" must not contain dots');
  },
};

const strict: Command = {
  name: 'strict',
  summary: 'parses its options strictly',
  usage: 'usage: byodkim strict [--known]',
  run: async (args) => {
    parseArgs({ args: [...args], options: { known: { type: 'boolean' } }, strict: true });
    return 0;
  },
};

describe('the byodkim dispatcher', () => {
  it('turns an unknown option into a usage error with exit 2, without a stack trace', async () => {
    const c = capture();
    expect(await run(['strict', '--nope'], c.io, [strict])).toBe(2);
    expect(c.err()).toMatch(/^byodkim strict: Unknown option '--nope'/);
    expect(c.err()).toContain('usage: byodkim strict [--known]');
    expect(c.err()).not.toContain('    at ');
  });

  it('lists the commands and exits 2 when no command is given', async () => {
    const c = capture();
    expect(await run([], c.io, [echo, failing])).toBe(2);
    expect(c.out()).toContain('echo  prints its arguments');
  });

  it('tells the user to run commands through npx (byodkim is not on PATH after npm ci)', async () => {
    const c = capture();
    expect(await run(['help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^usage: npx byodkim <command> \[options\]/);
    expect(c.out()).toContain("npx byodkim <command> --help shows a command's options and examples.");
    for (const name of ['keygen', 'verify-dns', 'simulate']) {
      const h = capture();
      expect(await run([name, '--help'], h.io)).toBe(0);
      expect(h.out()).toMatch(new RegExp(`^usage: npx byodkim ${name} `));
    }
  });

  it('runs the named command with the remaining arguments', async () => {
    const c = capture();
    expect(await run(['echo', 'a', 'b'], c.io, [echo])).toBe(0);
    expect(c.out()).toBe('a b');
  });

  it('prints a command usage for --help', async () => {
    const c = capture();
    expect(await run(['echo', '--help'], c.io, [echo])).toBe(0);
    expect(c.out()).toContain('usage: byodkim echo');
  });

  it('refuses an unknown command with exit 2', async () => {
    const c = capture();
    expect(await run(['nope'], c.io, [echo])).toBe(2);
    expect(c.err()).toContain('unknown command "nope"');
  });

  it('turns a ByodkimError into one line and exit 2, without a stack trace', async () => {
    const c = capture();
    expect(await run(['fail'], c.io, [failing])).toBe(2);
    expect(c.err()).toBe('byodkim fail: selector "a.b" must not contain dots\n');
  });
});

describe('simulate runs in a child with a larger young generation', () => {
  it('re-runs simulate once with --max-semi-space-size, keeping the other node options', () => {
    expect(simulateChildArgs(['simulate', '--domains', '5'], ['-r', './scripts/ts-require.cjs'], {})).toEqual([
      '-r',
      './scripts/ts-require.cjs',
      `--max-semi-space-size=${SIMULATE_SEMI_SPACE_MB}`,
    ]);
  });

  it('does not re-run other commands, the child itself, or a process already given the flag', () => {
    expect(simulateChildArgs(['status', '--env', 'dev'], [], {})).toBeUndefined();
    expect(simulateChildArgs(['simulate'], [], { BYODKIM_SIMULATE_CHILD: '1' })).toBeUndefined();
    expect(simulateChildArgs(['simulate'], ['--max-semi-space-size=32'], {})).toBeUndefined();
  });

  it('answers through the child: the report on stdout and the exit status (2 on bad usage)', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['-r', './scripts/ts-require.cjs', 'functions/cli/main.ts', ...args], {
        encoding: 'utf8',
      });
    const ok = cli('simulate', '--domains', '1', '--days', '2', '--json');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ domains: 1, days: 2, violations: { total: 0 } });
    const bad = cli('simulate', '--bogus');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--bogus'");
  });
});
