/**
 * Every command in both runbooks (docs/runbook.md, docs/ja/runbook.md) is exercised.
 *
 * - `npx byodkim …` lines run, in the order written, through the CLI's own `run()` against the simulated
 *   backend (`--local`, the same envs/ files): one fresh local environment per `##` section, so each
 *   section works on its own as an operator would read it. A runbook may move the simulated clock with an
 *   HTML comment only the test reads, `<!-- local: tick --advance 10d -->` (time the real world takes:
 *   the schedule, the DNS team), or run a setup command the same way. Disruptive commands get `--yes`
 *   (the prompt itself is tested through a real terminal in test/functions/cli/prompt-pty.test.ts), and
 *   `SELECTOR` is replaced by the domain's active selector as `status --json` reports it.
 *   An action must be done (exit 0); `status`, `report` and `verify-dns` may report a problem (exit 1)
 *   but never a usage, AWS, busy or confirmation exit.
 * - Other lines (deploying, Terraform, a look at DNS) cannot run here: each must be one the test knows
 *   to be real — an npm script package.json defines, a cdktf or Terraform sub-command, a read-only AWS or
 *   DNS query — and anything else fails the test, so a runbook cannot quietly grow an unchecked command.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../functions/cli/main';

const ROOT = path.resolve(__dirname, '..', '..');
const RUNBOOKS = ['docs/runbook.md', 'docs/ja/runbook.md'];
const scripts = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

const DISRUPTIVE = new Set(['rotate', 'approve', 'disable', 'rollback', 'revoke']);
/** Commands whose exit 1 is a finding (a domain not healthy), not a failure of the command. */
const CHECKS = new Set(['status', 'report', 'verify-dns', 'dns-request']);

type Step = { kind: 'byodkim'; args: string[]; line: string; hidden: boolean } | { kind: 'other'; line: string };

interface Section {
  readonly title: string;
  readonly steps: Step[];
}

/** Splits a shell line into words (double and single quotes; no expansion is ever needed here). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function sections(markdown: string): Section[] {
  const result: Section[] = [];
  let current: Section = { title: '(top)', steps: [] };
  let fence: string | undefined;
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (fence !== undefined) {
      if (line.startsWith('```')) fence = undefined;
      else if (fence === 'sh' && line !== '' && !line.startsWith('#')) {
        const command = line.replace(/\s+#.*$/, '');
        current.steps.push(
          command.startsWith('npx byodkim ')
            ? { kind: 'byodkim', args: words(command).slice(2), line: command, hidden: false }
            : { kind: 'other', line: command },
        );
      }
      continue;
    }
    if (line.startsWith('```')) {
      fence = line.slice(3).trim();
      continue;
    }
    if (raw.startsWith('## ')) {
      result.push(current);
      current = { title: raw.slice(3).trim(), steps: [] };
      continue;
    }
    const hidden = /^<!-- local: (.+) -->$/.exec(line);
    if (hidden) current.steps.push({ kind: 'byodkim', args: words(hidden[1]!), line: hidden[1]!, hidden: true });
  }
  result.push(current);
  return result.filter((s) => s.steps.length > 0);
}

/** Why a line that cannot run here is still a real command; undefined when the test does not know it. */
function knownOther(line: string): string | undefined {
  const w = words(line);
  if (w[0] === 'npm' && w[1] === 'run' && w[2] !== undefined) return scripts[w[2]] ? `npm script ${w[2]}` : undefined;
  if (w[0] === 'npm' && (w[1] === 'ci' || w[1] === 'test')) return 'npm';
  if (w[0] === 'npx' && w[1] === 'cdktf' && ['deploy', 'diff', 'synth'].includes(w[2] ?? ''))
    return /^byodkim-(dev|stg|prod)$/.test(w[3] ?? '') || w[3] === undefined ? 'cdktf' : undefined;
  if (w[0] === 'terraform') {
    const sub = w.find((x, i) => i > 0 && !x.startsWith('-'));
    return sub && ['init', 'plan', 'import', 'state', 'show'].includes(sub) ? `terraform ${sub}` : undefined;
  }
  if (w[0] === 'aws' && w[1] === 'sesv2' && w[2] === 'get-email-identity') return 'read-only SES query';
  if (w[0] === 'aws' && w[1] === 'cloudwatch' && w[2] === 'describe-alarms') return 'read-only alarm query';
  if (w[0] === 'dig' && w.includes('TXT')) return 'read-only DNS query';
  return undefined;
}

async function cli(args: readonly string[], dir: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(args, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: { ...process.env, BYODKIM_LOCAL_DIR: dir },
    cwd: dir,
  });
  return { code, out, err };
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

for (const file of RUNBOOKS) {
  const present = existsSync(path.join(ROOT, file));
  const parsed = present ? sections(readFileSync(path.join(ROOT, file), 'utf8')) : [];

  describe(file, () => {
    it('exists', () => expect(present).toBe(true));

    it('has commands to exercise in every operational section', () => {
      expect(parsed.length).toBeGreaterThanOrEqual(7);
      expect(parsed.flatMap((s) => s.steps).filter((s) => s.kind === 'byodkim' && !s.hidden).length).toBeGreaterThan(
        15,
      );
    });

    it('names only commands the test knows to be real when they cannot run here', () => {
      const unknown = parsed
        .flatMap((s) => s.steps)
        .filter((s): s is Extract<Step, { kind: 'other' }> => s.kind === 'other')
        .filter((s) => knownOther(s.line) === undefined)
        .map((s) => s.line);
      expect(unknown).toEqual([]);
    });

    for (const section of parsed) {
      describe(`section ${section.title}`, () =>
        it('runs every byodkim command against the simulated environment', async () => {
          const dir = mkdtempSync(path.join(os.tmpdir(), 'byodkim-runbook-'));
          try {
            for (const step of section.steps) {
              if (step.kind !== 'byodkim') continue;
              let args = [...step.args];
              const command = args[0]!;
              if (!args.includes('--local')) args.push('--local');
              if (!args.includes('--env')) args.push('--env', 'prod');
              if (DISRUPTIVE.has(command) && !args.includes('--yes')) args.push('--yes');
              if (args.includes('SELECTOR')) {
                const domain = option(args, '--domain')!;
                const status = await cli(
                  ['status', '--local', '--env', option(args, '--env')!, '--domain', domain, '--json'],
                  dir,
                );
                const view = (JSON.parse(status.out) as { domains: { view?: { activeSelector?: string } }[] })
                  .domains[0]?.view;
                expect([step.line, view?.activeSelector]).toEqual([step.line, expect.any(String)]);
                args = args.map((a) => (a === 'SELECTOR' ? view!.activeSelector! : a));
              }
              const result = await cli(args, dir);
              const allowed = CHECKS.has(command) ? [0, 1] : [0];
              if (!allowed.includes(result.code))
                throw new Error(
                  `${file} § ${section.title}: "${step.line}" exited ${result.code}\n${result.err}${result.out}`,
                );
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }, 60_000));
    }
  });
}
