/**
 * docs/costs.md is what scripts/costs.mjs computes from the synthesized prod stack and its price sheet: the
 * script's --check fails when the committed doc differs (a changed stack, metric or price must update it).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'costs.mjs');
const committed = readFileSync(path.join(root, 'docs', 'costs.md'), 'utf8');
const scratch = mkdtempSync(path.join(tmpdir(), 'byodkim-costs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function costs(...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8' });
}

describe('docs/costs.md', () => {
  // One run of the script checks the committed doc and a stale copy of it (synthesizing once).
  it('is what scripts/costs.mjs computes now, and a stale copy is refused with what to run', () => {
    const stale = path.join(scratch, 'costs.md');
    writeFileSync(
      stale,
      committed.replace(/\| \*\*Total per month\*\*[^\n]*/, '| **Total per month** | $0 | $0 | $0 |'),
    );
    const run = costs('--check', '--doc', 'docs/costs.md', '--doc', stale);
    expect(run.status).toBe(1);
    const complaints = run.stderr.trim().split('\n');
    // Only the stale copy differs: the committed doc is what the script computes.
    expect(complaints).toHaveLength(1);
    expect(complaints[0]).toContain(`${path.relative(root, stale)} differs from what scripts/costs.mjs computes`);
    expect(complaints[0]).toContain('npm run costs');
  });

  it('gives the cost at 1, 100 and 10,000 domains, growing with the domains', () => {
    const totals =
      /\| \*\*Total per month\*\* +\| +\*\*\$([\d.]+)\*\* +\| +\*\*\$([\d.]+)\*\* +\| +\*\*\$([\d.]+)\*\* +\|/.exec(
        committed,
      );
    expect(totals).not.toBeNull();
    const [one, hundred, tenThousand] = totals!.slice(1).map(Number);
    expect(one).toBeLessThan(hundred);
    expect(hundred).toBeLessThan(tenThousand);
    expect(committed).toMatch(/\| +1 domain \| 100 domains \| 10,000 domains \|/);
    expect(committed).toMatch(/## Price sheet/);
    expect(committed).toMatch(/## Assumptions/);
  });
});
