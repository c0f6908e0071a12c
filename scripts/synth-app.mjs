#!/usr/bin/env node
// cdktf.json's `app`: compiles, then synthesizes. A wrong type in an environment file fails `tsc`, yet tsc
// still emits the JavaScript (noEmitOnError is off), so dist/main.js runs anyway and its schema names the
// env file, field path, rule and value given; tsc's own errors follow. The exit code is main's when it
// fails, else tsc's: type errors anywhere still fail the synth.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const tsc = spawnSync(process.execPath, [tscBin, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
const main = path.join(root, 'dist', 'main.js');
const synth = existsSync(main)
  ? spawnSync(process.execPath, [main], { cwd: process.cwd(), stdio: 'inherit' })
  : undefined;
if (tsc.status !== 0) {
  process.stderr.write(`TypeScript reports (npm run typecheck):\n${tsc.stdout}${tsc.stderr}`);
}
const synthCode = synth ? (synth.status ?? 1) : 1;
process.exitCode = synthCode !== 0 ? synthCode : (tsc.status ?? 1);
