/** The shape every `byodkim` sub-command has, so the dispatcher and tests treat them alike. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/**
 * How a user runs the command line: the project's bin through npx (`byodkim` itself is not on PATH after
 * `npm ci`). Help texts and printed next steps use it.
 */
export const INVOCATION = 'npx byodkim';

/** Exit codes shared by every command. */
export const ExitCode = {
  OK: 0,
  /** The check ran and found a problem (e.g. the DNS record does not match). */
  FAILED: 1,
  /** Bad usage, bad input, or an environment problem (network, file system). */
  USAGE: 2,
} as const;

export interface Command {
  /** The sub-command word, e.g. `keygen`. */
  readonly name: string;
  /** One line for `byodkim help`. */
  readonly summary: string;
  /** The full usage text, printed by `byodkim <name> --help` and after a usage error. */
  readonly usage: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}
