// `npm run bench`: builds once, then runs every benchmark module in scripts/bench/*.bench.mjs in name
// order. Each module exports `name` and `async run({ log })`, and prints medians (machines are noisy:
// compare ratios measured in the same run, never absolute numbers across machines).
// `npm run bench -- synth keygen` runs only the modules whose file name contains one of the words.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = path.join(root, 'scripts', 'bench');
const filters = process.argv.slice(2);

const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();
let failed = false;
for (const file of files) {
  const mod = await import(pathToFileURL(path.join(dir, file)).href);
  console.log(`\n== ${mod.name ?? file}`);
  try {
    await mod.run({ root, log: (line) => console.log(line) });
  } catch (error) {
    failed = true;
    console.error(`benchmark ${file} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
process.exitCode = failed ? 1 : 0;
