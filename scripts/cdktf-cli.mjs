// How the project's scripts run the cdktf CLI (`npm run synth`, scripts/synth.mjs; `npm run bench`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const cliPackage = require.resolve('cdktf-cli/package.json');

/** The CLI's entry point, run with `node` (the `cdktf` command of node_modules/.bin). */
export const cdktfBin = path.join(path.dirname(cliPackage), require(cliPackage).bin.cdktf);

/**
 * The environment the CLI runs in, from `env`:
 * - CHECKPOINT_DISABLE=1: no telemetry. cdktf-cli (@cdktf/commons, environment.ts) and the `terraform -v`
 *   it runs both read it; without network, the CLI's failed lookup of checkpoint-api.hashicorp.com is a
 *   red `[ERROR] default - getaddrinfo ENOTFOUND …` line.
 * - TF_CLI_CONFIG_FILE is dropped when it names a file that does not exist: synth runs `terraform -v` several
 *   times, only for its version, and terraform's warning about the missing file would be printed each
 *   time, twice (once as a red `[ERROR]` line). Synth reads no Terraform CLI configuration.
 */
export function cdktfEnvironment(env = process.env) {
  const result = { ...env, CHECKPOINT_DISABLE: '1' };
  if (result.TF_CLI_CONFIG_FILE !== undefined && !existsSync(result.TF_CLI_CONFIG_FILE)) {
    result.TF_CLI_CONFIG_FILE = undefined; // unset: spawn leaves out undefined values, and so does a merge
  }
  return result;
}
