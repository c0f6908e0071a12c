#!/usr/bin/env node
// `npm run synth [-- <cdktf synth options>]`: checks the environment files, then runs `cdktf synth`,
// which runs cdktf.json's app (scripts/synth-app.mjs).
//
// The check comes first because the CLI shows whatever the app writes to stderr twice: live, as red
// `[ERROR] default - …` log lines, then again indented under "cdktf encountered an error while
// synthesizing". A problem in an env file is printed here once, as it is, and the CLI is not started;
// warnings are printed here too, and the app leaves them out (BYODKIM_ENVIRONMENTS_CHECKED). The check
// loads only envs/ (transpile-only, scripts/ts-require.cjs), not the constructs or cdktf.
// Then the Lambda bundles are brought up to date (scripts/bundle.mjs), since the stacks deploy them.
// The CLI runs with telemetry off and without terraform's noise (scripts/cdktf-cli.mjs).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cdktfBin, cdktfEnvironment } from './cdktf-cli.mjs';

const require = createRequire(import.meta.url);
require('./ts-require.cjs');

// The same report as main.ts's synthesize(): the problems of every file, or the warnings; or a file that
// cannot be compiled (scripts/ts-require.cjs).
let load;
try {
  load = require('../envs/load.ts');
  const { environments } = require('../envs/index.ts');
  for (const warning of load.loadEnvironments(environments).warnings) process.stderr.write(`warning: ${warning}\n`);
} catch (error) {
  const reported = error?.name === 'TypeScriptSyntaxError' || (load && error instanceof load.EnvironmentConfigError);
  if (!reported) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

// The Lambda bundles the stacks deploy (scripts/bundle.mjs): built when their inputs changed, else reused.
const { bundleHandlers } = await import('./bundle.mjs');
try {
  await bundleHandlers();
} catch (error) {
  process.stderr.write(`npm run bundle failed, so the stacks cannot be synthesized:\n${error.message}\n`);
  process.exit(1);
}

const cli = spawnSync(process.execPath, [cdktfBin, 'synth', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...cdktfEnvironment(), BYODKIM_ENVIRONMENTS_CHECKED: '1' },
});
if (cli.error) throw cli.error;
process.exitCode = cli.status ?? 1;
