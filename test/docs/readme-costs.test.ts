/**
 * The README's "Costs per month" quotes docs/costs.md, which `npm run costs` writes (and
 * test/scripts/costs.test.ts keeps equal to what the script computes): the totals, the per-domain cost and
 * the two items that dominate at 10,000 domains must be the figures docs/costs.md has now, so a new price
 * sheet or usage model cannot leave the README quoting old ones.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');

/** The cells of the first table row whose first cell (bold removed) is `label`. */
function row(markdown: string, label: string): string[] | undefined {
  for (const line of markdown.split('\n')) {
    if (!line.trim().startsWith('|')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.replace(/\*\*/g, '').trim());
    if (cells[0] === label) return cells.slice(1);
  }
  return undefined;
}

/** The README's section from its heading to the next `## `. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** What the README's costs section quotes that docs/costs.md does not say (empty when they agree). */
function costMismatches(readme: string, costs: string): string[] {
  const quoted = section(readme, 'Costs per month');
  const problems: string[] = [];
  for (const [label, source] of [
    ['Total per month', 'Total per month'],
    ['Per domain', 'Per domain'],
  ] as const) {
    const expected = row(costs, source);
    const given = row(quoted, label);
    if (expected === undefined) problems.push(`docs/costs.md has no "${source}" row`);
    else if (given === undefined) problems.push(`README.md, Costs per month: no "${label}" row`);
    else if (given.join(' | ') !== expected.join(' | '))
      problems.push(
        `README.md, Costs per month: "${label}" is ${given.join(' | ')}, docs/costs.md has ${expected.join(' | ')}`,
      );
  }
  for (const item of ['Secrets Manager secrets', 'CloudWatch custom metrics']) {
    const atTenThousand = row(costs, item)?.[2];
    if (atTenThousand === undefined) problems.push(`docs/costs.md has no "${item}" row`);
    else if (!quoted.includes(atTenThousand))
      problems.push(`README.md, Costs per month: does not quote ${item} at 10,000 domains (${atTenThousand})`);
  }
  return problems;
}

describe('README, Costs per month', () => {
  it('quotes the totals, the cost per domain and the two largest items of docs/costs.md', () => {
    expect(costMismatches(read('README.md'), read('docs/costs.md'))).toEqual([]);
  });

  it('reports a total the generated page no longer has', () => {
    const costs = read('docs/costs.md');
    const stale = read('README.md').replace(/\*\*\$8864\*\*/, '**$7000**');
    expect(costMismatches(stale, costs)).toEqual([
      'README.md, Costs per month: "Total per month" is $14.30 | $122 | $7000, docs/costs.md has $14.30 | $122 | $8864',
    ]);
  });

  it('reports a largest item the README no longer quotes', () => {
    const costs = read('docs/costs.md').replace('|          $4822 |', '|          $5100 |');
    expect(costMismatches(read('README.md'), costs)).toEqual([
      'README.md, Costs per month: does not quote Secrets Manager secrets at 10,000 domains ($5100)',
    ]);
  });
});
