#!/usr/bin/env node
// cdktf.json's `app`: runs main.ts transpile-only (scripts/ts-require.cjs), with no build step and no
// build directory, so a stale dist/ can never be run. Types are checked by `npm test` (tsc --noEmit), not
// here; a wrong type in an env file is still refused by the schema (envs/schema.ts), which names the file,
// field path, rule and value given.
//
// Under `npm run synth` (scripts/synth.mjs) the environments were checked, and their warnings printed,
// before the cdktf CLI started (BYODKIM_ENVIRONMENTS_CHECKED=1): the CLI would show them again as red
// `[ERROR] default - warning: …` lines, so they are left out here. Problems are always printed.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('./ts-require.cjs');

const checked = process.env.BYODKIM_ENVIRONMENTS_CHECKED === '1';
try {
  const { synthesize } = require('../main.ts');
  const { environments } = require('../envs/index.ts');
  process.exitCode = synthesize(environments, {
    stderr: (line) => {
      if (!(checked && line.startsWith('warning: '))) process.stderr.write(`${line}\n`);
    },
  });
} catch (error) {
  if (error?.name !== 'TypeScriptSyntaxError') throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
