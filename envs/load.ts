/**
 * Reads environment files: validates each with the schema and turns every problem into one line that
 * names the file, the field path, the rule and the value — given by the file, or a default when the file
 * leaves the field out (then the line says so and what value would pass) — what `npm run synth` prints
 * instead of a stack trace.
 */
import type { core } from 'zod';
import { ValidationError } from '../functions/core/errors';
import { describeValue, formatPath, type ValueSource } from '../functions/core/domain-rules';
import { environmentSchema, type EnvironmentConfig, type IssueParams } from './schema';

/** An environment file and what it exports. */
export interface EnvironmentSource {
  /** The file, relative to the repository root, e.g. `envs/prod.ts`. */
  readonly file: string;
  /** Its export, not yet validated. */
  readonly input: unknown;
}

/** One broken rule in one environment file. */
export interface ConfigProblem {
  readonly file: string;
  /** e.g. `domains[1].rotation.renewBeforeDays` (empty for the whole file). */
  readonly path: string;
  readonly rule: string;
  readonly value: unknown;
  /** `default` when the file leaves the field out and the value is its default. @default 'given' */
  readonly source?: ValueSource;
  /** The values that would pass, e.g. "a whole number from 1 to 29" (said for a default). */
  readonly passing?: string;
}

export interface LoadedEnvironment {
  readonly file: string;
  readonly config: EnvironmentConfig;
}

export interface LoadResult {
  readonly environments: readonly LoadedEnvironment[];
  /** Things that are allowed but deserve a second look, one line each. */
  readonly warnings: readonly string[];
}

/**
 * `envs/prod.ts: domains[1].rotation.renewBeforeDays: must be …; given 10`, or for a default
 * `…; default 30 applies because the field is not set — set domains[1].rotation.renewBeforeDays to …`.
 */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.path === '' ? problem.file : `${problem.file}: ${problem.path}`;
  return `${where}: ${problem.rule}; ${describeValue(problem, problem.path)}`;
}

/** One or more environment files break the rules. The message lists every problem, one a line. */
export class EnvironmentConfigError extends ValidationError {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    const files = [...new Set(problems.map((p) => p.file))].join(', ');
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      'INVALID_ENVIRONMENT',
      [
        `invalid environment configuration in ${files} (${count}):`,
        ...problems.map((p) => `  ${formatProblem(p)}`),
        'Fix the file(s) above and run the command again.',
      ].join('\n'),
      problems[0]?.path,
    );
  }
}

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object of names to values',
};

/** A discriminated union's "no option has this kind" issue (zod reports it as invalid_union). */
function noMatchingDiscriminator(
  issue: core.$ZodIssueInvalidUnion,
): { discriminator: string; options: readonly unknown[] } | undefined {
  const loose = issue as { note?: string; discriminator?: string; options?: readonly unknown[] };
  if (loose.note !== 'No matching discriminator' || loose.discriminator === undefined) return undefined;
  return { discriminator: loose.discriminator, options: loose.options ?? [] };
}

/** The rule a zod issue stands for, worded like the domain rules. */
function ruleOf(issue: core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `is required (${typeNames[issue.expected] ?? issue.expected})`;
      return `must be ${typeNames[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_union': {
      const options = noMatchingDiscriminator(issue)?.options;
      return options ? `must be ${options.map((v) => JSON.stringify(v)).join(', ')}` : issue.message;
    }
    case 'too_small':
      if (issue.origin === 'array')
        return issue.message.startsWith('Too small') ? `must have at least ${issue.minimum} item(s)` : issue.message;
      return issue.message.startsWith('Too small') ? `must be at least ${issue.minimum}` : issue.message;
    case 'too_big':
      return issue.message.startsWith('Too big') ? `must be at most ${issue.maximum}` : issue.message;
    case 'invalid_key':
      return issue.issues.map((inner) => ruleOf(inner)).join('; ');
    default:
      return issue.message;
  }
}

function problemsOf(file: string, issues: readonly core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const parent = (issue.input ?? {}) as Record<string, unknown>;
      for (const key of issue.keys) {
        problems.push({
          file,
          path: formatPath([...(issue.path as (string | number)[]), key]),
          rule: 'is not a known field (check the spelling; see README.md, "Configuration")',
          value: parent[key],
        });
      }
      continue;
    }
    let value = issue.input;
    const discriminator = issue.code === 'invalid_union' ? noMatchingDiscriminator(issue)?.discriminator : undefined;
    if (discriminator !== undefined) {
      value = (issue.input as Record<string, unknown> | undefined)?.[discriminator];
    }
    const params = issue.code === 'custom' ? (issue.params as IssueParams | undefined) : undefined;
    problems.push({
      file,
      path: formatPath(issue.path as (string | number)[]),
      rule: ruleOf(issue),
      value,
      ...(params?.source === 'default' ? { source: params.source } : {}),
      ...(params?.source === 'default' && params.passing !== undefined ? { passing: params.passing } : {}),
    });
  }
  return problems;
}

function warningsOf(file: string, config: EnvironmentConfig): string[] {
  const warnings: string[] = [];
  config.domains.forEach((domain, index) => {
    if (domain.keyBits === 1024) {
      warnings.push(
        `${file}: domains[${index}].keyBits: 1024-bit keys are weaker than the 2048 bits RFC 8301 recommends; use them only while ${domain.domain}'s DNS host cannot hold a longer record`,
      );
    }
  });
  if (config.environment === 'prod' && !config.settings.deletionProtection) {
    warnings.push(
      `${file}: settings.deletionProtection is false in prod: terraform destroy can delete identities and the key`,
    );
  }
  return warnings;
}

/** Validates one environment file's export; throws {@link EnvironmentConfigError}. */
export function parseEnvironment(source: EnvironmentSource): LoadedEnvironment & { warnings: string[] } {
  const result = environmentSchema.safeParse(source.input, { reportInput: true });
  if (!result.success) throw new EnvironmentConfigError(problemsOf(source.file, result.error.issues));
  return { file: source.file, config: result.data, warnings: warningsOf(source.file, result.data) };
}

/**
 * Validates every environment, then the rules between them (names and state keys are unique); reports
 * the problems of all files at once.
 */
export function loadEnvironments(sources: readonly EnvironmentSource[]): LoadResult {
  const problems: ConfigProblem[] = [];
  const environments: LoadedEnvironment[] = [];
  const warnings: string[] = [];
  const defaultedStateKeys = new Set<string>();
  for (const source of sources) {
    try {
      const loaded = parseEnvironment(source);
      environments.push({ file: loaded.file, config: loaded.config });
      const backend = (source.input as { backend?: { key?: unknown } }).backend;
      if (backend?.key === undefined) defaultedStateKeys.add(source.file);
      warnings.push(...loaded.warnings);
    } catch (error) {
      if (!(error instanceof EnvironmentConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  const names = new Map<string, string>();
  const stateKeys = new Map<string, string>();
  for (const { file, config } of environments) {
    const other = names.get(config.environment);
    if (other !== undefined) {
      problems.push({
        file,
        path: 'environment',
        rule: `is already the environment of ${other}: each stack needs its own name`,
        value: config.environment,
      });
    } else {
      names.set(config.environment, file);
    }
    const state = `s3://${config.backend.bucket}/${config.backend.key}`;
    const owner = stateKeys.get(state);
    if (owner !== undefined) {
      problems.push({
        file,
        path: 'backend.key',
        rule: `is already the state of ${owner} (${state}): environments must not share a state file`,
        value: config.backend.key,
        ...(defaultedStateKeys.has(file)
          ? { source: 'default' as const, passing: 'a key no other environment uses' }
          : {}),
      });
    } else {
      stateKeys.set(state, file);
    }
  }
  if (problems.length > 0) throw new EnvironmentConfigError(problems);
  return { environments, warnings };
}
