/**
 * The CDKTF app: one stack per environment (`byodkim-dev`, `byodkim-stg`, `byodkim-prod`), each built
 * from its validated `envs/<env>.ts`. An invalid environment prints what is wrong — file, field, rule,
 * value — and exits 1, never with a stack trace. The output directory is cdktf.json's `output`
 * (`cdktf.out`), or `CDKTF_OUTDIR` when set.
 */
import { App } from 'cdktf';
import { ByodkimStack } from './constructs/byodkim-stack';
import { environments } from './envs';
import { EnvironmentConfigError, loadEnvironments, type EnvironmentSource } from './envs/load';

export interface SynthOptions {
  /** Where to write `stacks/<name>/cdk.tf.json`. @default CDKTF_OUTDIR or cdktf.out */
  readonly outdir?: string;
  /** Where problems and warnings go. @default process.stderr */
  readonly stderr?: (line: string) => void;
}

/** Validates the environments and synthesizes their stacks; returns the process exit code. */
export function synthesize(sources: readonly EnvironmentSource[], options: SynthOptions = {}): number {
  const stderr = options.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let loaded;
  try {
    loaded = loadEnvironments(sources);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) {
      stderr(error.message);
      return 1;
    }
    throw error;
  }
  for (const warning of loaded.warnings) stderr(`warning: ${warning}`);

  const app = new App(options.outdir !== undefined ? { outdir: options.outdir } : {});
  for (const { config } of loaded.environments) {
    new ByodkimStack(app, ByodkimStack.stackName(config.environment), { config });
  }
  app.synth();
  return 0;
}

if (require.main === module) {
  process.exitCode = synthesize(environments);
}
