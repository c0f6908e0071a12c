/**
 * In-process runs of the operator commands: `run(argv, io)` with captured output, a temporary directory
 * for `--local` state, and an optional scripted answer to the confirmation prompt.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../functions/cli/main';
import type { CommandIo } from '../../../functions/cli/command';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** The questions the command asked. */
  readonly asked: string[];
}

export interface CliOptions {
  /** Answers to the prompt, in order; absent: stdin is not a terminal (no prompt possible). */
  readonly answers?: (string | undefined)[];
  readonly env?: Record<string, string | undefined>;
  readonly stderrIsTTY?: boolean;
}

/** A fresh directory for one test's local state. */
export function localDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'byodkim-cli-'));
}

export async function cli(argv: readonly string[], dir: string, options: CliOptions = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const answers = options.answers ? [...options.answers] : undefined;
  const io: CommandIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    ...(answers
      ? {
          ask: async (question: string) => {
            asked.push(question);
            return answers.shift();
          },
        }
      : {}),
    stderrIsTTY: options.stderrIsTTY ?? false,
    env: { USER: 'tester', ...options.env, BYODKIM_LOCAL_DIR: dir },
    cwd: dir,
  };
  const code = await run(argv, io);
  return { code, out: out.join(''), err: err.join(''), asked };
}
