import { parseArgs } from 'node:util';
import { run } from '../../../functions/cli/main';
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
