// Synth: the app alone (the three environments, and one stack with 1, 10 and 100 domains), then
// `npm run synth` end to end beside the same cdktf CLI running the same app prebuilt. Each run writes to
// a fresh temporary directory (CDKTF_OUTDIR or --output), so the repository's cdktf.out is left alone.
//
// - `node dist/main.js`: the app compiled by `npm run build` (bench.mjs builds first).
// - `node scripts/synth-app.mjs`: the app as cdktf.json runs it, transpile-only from the .ts sources.
// - `npm run synth` end to end: npm, the check of the env files, the cdktf CLI (with its `terraform -v`
//   calls) and the transpile-only app; beside it the same CLI, started directly with the same
//   environment, running the prebuilt `node dist/main.js` (the same three stacks, no build step, no
//   check). Interleaved runs; the ratio of the medians is the cost of what npm run synth adds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cdktfBin, cdktfEnvironment } from '../cdktf-cli.mjs';
import { formatRow, measureCommand, measureInterleaved } from './harness.mjs';

export const name = 'synth (targets for this 2-core machine)';

/** npm run synth end to end / the same CLI with the prebuilt app: at most this. */
const CLI_RATIO_TARGET = 1.3;

export async function run({ root, log }) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'byodkim-bench-synth-'));
  const dir = (name) => path.join(outdir, name);
  try {
    const envs = measureCommand('node', ['dist/main.js'], { cwd: root, env: { CDKTF_OUTDIR: dir('dist') }, runs: 5 });
    log(formatRow('three environments (node dist/main.js)', envs, '< 5 s, < 400 MB'));
    const app = measureCommand('node', ['scripts/synth-app.mjs'], {
      cwd: root,
      env: { CDKTF_OUTDIR: dir('app') },
      runs: 5,
    });
    log(formatRow('the same, transpile-only (synth-app.mjs)', app, '< 5 s, < 400 MB'));
    for (const domains of [1, 10, 100]) {
      const result = measureCommand(
        'node',
        [path.join(root, 'scripts', 'bench', 'synth-domains.cjs'), String(domains), dir('domains')],
        { cwd: root, runs: 5 },
      );
      log(formatRow(`one stack, ${domains} domain${domains === 1 ? '' : 's'}`, result, domains === 100 ? '< 3 s' : ''));
    }

    const [npmSynth, bare] = measureInterleaved(
      [
        { command: 'npm', args: ['run', '--silent', 'synth', '--', '--output', dir('npm')], cwd: root },
        {
          command: 'node',
          args: [cdktfBin, 'synth', '--app', 'node dist/main.js', '--output', dir('bare')],
          cwd: root,
          env: cdktfEnvironment(),
        },
      ],
      { runs: 5 },
    );
    const ratio = npmSynth.wallMs / bare.wallMs;
    log(formatRow('npm run synth, end to end', npmSynth));
    log(formatRow('cdktf synth, prebuilt app (dist/main.js)', bare));
    log(
      `${'ratio npm run synth / prebuilt cdktf synth'.padEnd(44)} ${ratio.toFixed(2)}   (medians of interleaved runs)   ` +
        `target ≤ ${CLI_RATIO_TARGET}${ratio <= CLI_RATIO_TARGET ? '' : '   MISSED'}`,
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
