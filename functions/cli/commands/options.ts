/**
 * Option parsing shared by the commands: node:util parseArgs, strict, with its errors turned into
 * ValidationErrors (exit 2 with the message) and whole-number options checked.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ValidationError } from '../../core/errors';

type Options = NonNullable<ParseArgsConfig['options']>;
type Strict<T extends Options> = { args: string[]; options: T; strict: true; allowPositionals: false };
/** The option values parseArgs returns for option definitions `T`. */
export type OptionValues<T extends Options> = ReturnType<typeof parseArgs<Strict<T>>>['values'];

/** Parses `args` strictly (no positionals); unknown options and missing values become ValidationErrors. */
export function parseOptions<T extends Options>(args: readonly string[], options: T): OptionValues<T> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new ValidationError('USAGE', (error as Error).message);
    }
    throw error;
  }
}

/** A whole-number option, or `fallback` when absent. */
export function wholeNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    throw new ValidationError('INVALID_OPTION', `--${name} must be a whole number (is ${JSON.stringify(value)})`, name);
  }
  return Number(value);
}
