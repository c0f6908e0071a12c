// Synth: the three environments as `npm run synth` runs them (`node dist/main.js`, without the cdktf
// CLI's own start-up), and one stack with 1, 10 and 100 domains. Each run writes to a fresh temporary
// directory (CDKTF_OUTDIR), so the repository's cdktf.out is left alone. The targets apply to the app;
// the last row adds the TypeScript build and the cdktf CLI's start-up, which the app does not control.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatRow, measureCommand } from './harness.mjs';

export const name = 'synth (node dist/main.js; targets for this 2-core machine)';

export async function run({ root, log }) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'byodkim-bench-synth-'));
  try {
    const envs = measureCommand('node', ['dist/main.js'], { cwd: root, env: { CDKTF_OUTDIR: outdir }, runs: 5 });
    log(formatRow('three environments (dev, stg, prod)', envs, '< 5 s, < 400 MB'));
    for (const domains of [1, 10, 100]) {
      const result = measureCommand(
        'node',
        [path.join(root, 'scripts', 'bench', 'synth-domains.cjs'), String(domains), outdir],
        { cwd: root, runs: 5 },
      );
      log(formatRow(`one stack, ${domains} domain${domains === 1 ? '' : 's'}`, result, domains === 100 ? '< 3 s' : ''));
    }
    // For reference: the full command a user runs (tsc build + cdktf CLI start-up + the app above).
    const cli = measureCommand('npx', ['cdktf', 'synth', '--output', outdir], {
      cwd: root,
      env: { CHECKPOINT_DISABLE: '1' },
      runs: 2,
    });
    log(formatRow('npm run synth equivalent (tsc + cdktf CLI)', cli));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
