// Lambda bundles: each bundles/<name>/index.js (built by `npm run bundle`, rebuilt here only when an input
// changed) — its size raw and gzipped, the size of its zip, and the time `require()` of it takes in a fresh
// `node` process (the cold start's module load: median of RUNS processes, each timing only the require).
import { readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { median } from './harness.mjs';

export const name = 'bundles: size (raw, gzip, zip) and require() time in a fresh node process';

const RUNS = 11;
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

export async function run({ root, log }) {
  const built = spawnSync('node', ['scripts/bundle.mjs'], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run bundle failed:\n${built.stdout}\n${built.stderr}`);
  const { handlerNames, BUNDLE_DIRECTORY } = await import(path.join(root, 'scripts', 'bundle.mjs'));
  for (const handler of handlerNames()) {
    const file = path.join(BUNDLE_DIRECTORY, handler, 'index.js');
    const raw = readFileSync(file);
    const zip = statSync(path.join(BUNDLE_DIRECTORY, `${handler}.zip`)).size;
    const times = [];
    for (let i = 0; i < RUNS; i += 1) {
      const child = spawnSync(
        'node',
        [
          '-e',
          'const t = process.hrtime.bigint(); require(process.argv[1]); ' +
            'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));',
          file,
        ],
        // No AWS settings are needed to load a bundle: clients are created on the first invocation.
        { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-1' } },
      );
      if (child.status !== 0) throw new Error(`require(${file}) failed:\n${child.stderr}`);
      times.push(Number(child.stdout));
    }
    log(
      `${handler.padEnd(10)} ${kb(raw.length).padStart(9)} raw  ${kb(gzipSync(raw, { level: 9 }).length).padStart(8)} gzip  ` +
        `${kb(zip).padStart(8)} zip   require() median ${median(times).toFixed(1)} ms (${RUNS} fresh processes, ` +
        `min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`,
    );
  }
}
