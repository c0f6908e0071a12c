/**
 * `byodkim`: the operator's command line. Each sub-command lives in `commands/`; this file only
 * dispatches, prints help, and turns errors into exit codes (never a stack trace for a user mistake).
 */
import { ExitCode, INVOCATION, type Command, type CommandIo } from './command';
import { commands as allCommands } from './commands';
import { ByodkimError } from '../core/errors';

function helpText(commands: readonly Command[]): string {
  const width = Math.max(4, ...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `usage: ${INVOCATION} <command> [options]`,
    '',
    'commands:',
    ...lines,
    '',
    `${INVOCATION} <command> --help shows a command's options.`,
    '',
  ].join('\n');
}

export async function run(
  argv: readonly string[],
  io: CommandIo,
  commands: readonly Command[] = allCommands,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(helpText(commands));
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`byodkim: unknown command ${JSON.stringify(name)}\n\n${helpText(commands)}`);
    return ExitCode.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return ExitCode.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof ByodkimError) {
      io.stderr(`byodkim ${name}: ${error.message}\n`);
      return ExitCode.USAGE;
    }
    // node:util parseArgs errors carry a code; check it rather than `instanceof TypeError`, which fails
    // across realms (e.g. under jest's module sandbox).
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      io.stderr(`byodkim ${name}: ${(error as Error).message}\n\n${command.usage}\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}

if (require.main === module) {
  run(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`byodkim: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = ExitCode.USAGE;
    },
  );
}
