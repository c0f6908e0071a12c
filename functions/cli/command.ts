/** The shape every `byodkim` sub-command has, so the dispatcher and tests treat them alike. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /**
   * Asks the person at the terminal one question and resolves with the line they typed (undefined at end
   * of input). Absent when stdin is not a terminal: a command that needs a confirmation then refuses
   * (exit {@link ExitCode.NOT_CONFIRMED}) unless given `--yes`.
   */
  readonly ask?: (question: string) => Promise<string | undefined>;
  /** stderr is a terminal: progress may be drawn there (never on stdout, which scripts read). */
  readonly stderrIsTTY?: boolean;
  /** The process environment (AWS_PROFILE, BYODKIM_LOCAL_DIR…); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The working directory `--local` state is kept under; default `process.cwd()`. */
  readonly cwd?: string;
}

/**
 * How a user runs the command line: the project's bin through npx (`byodkim` itself is not on PATH after
 * `npm ci`). Help texts and printed next steps use it.
 */
export const INVOCATION = 'npx byodkim';

/**
 * Exit codes shared by every command: scripts may rely on them (docs/cli.md lists them, `--help` too).
 * A new code is added at the end, never renumbered.
 */
export const ExitCode = {
  OK: 0,
  /**
   * The check ran and found a problem (the DNS record does not match, a domain is unhealthy, an alarm
   * fires), or the worker refused the action in the domain's state (the message says why).
   */
  FAILED: 1,
  /** Bad usage, bad input, or an environment problem (network, file system). */
  USAGE: 2,
  /**
   * AWS could not be asked: no credentials, access denied, the function not found (not deployed in this
   * account or region), a network failure or timeout, the Lambda itself failed, or its answer was not one.
   */
  AWS: 3,
  /** The worker answered `busy`: the action lost every race to concurrent runs, nothing changed; try again. */
  BUSY: 4,
  /** A disruptive action was not confirmed: the person answered no, or stdin is not a terminal and --yes was not given. */
  NOT_CONFIRMED: 5,
} as const;

/** The exit codes as `--help` prints them. */
export const EXIT_CODES_HELP = `exit status:
  0 done (status: every domain healthy and no alarm firing)
  1 refused by the worker in the domain's state, or a problem found (status: a domain unhealthy or an alarm firing)
  2 usage error (unknown option, unknown environment or domain, bad value)
  3 AWS error: no credentials, access denied, function not found, network, the Lambda failed or answered nonsense
  4 busy: the action lost every race to concurrent runs and was not applied; nothing changed, try again
  5 not confirmed: the prompt was answered no, or stdin is not a terminal and --yes was not given`;

export interface Command {
  /** The sub-command word, e.g. `keygen`. */
  readonly name: string;
  /** One line for `byodkim help`. */
  readonly summary: string;
  /** The full usage text, printed by `byodkim <name> --help` and after a usage error. */
  readonly usage: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}
