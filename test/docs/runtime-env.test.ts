/**
 * The README's "Runtime" section documents every environment variable the handlers read: each name of
 * LAMBDA_ENV and POWERTOOLS_ENV has a row in its table, and the table names nothing else of byodkim's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LAMBDA_ENV, POWERTOOLS_ENV } from '../../functions/core/contract';

const root = path.resolve(__dirname, '..', '..');

function runtimeSection(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Runtime\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('README, Runtime', () => {
  const section = runtimeSection();
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  const documented = rows.flatMap((row) => [...row.split('|')[1].matchAll(/`([A-Z0-9_<>]+)`/g)].map((m) => m[1]));

  it.each([...Object.values(LAMBDA_ENV), ...Object.values(POWERTOOLS_ENV)])('has a row for %s', (name) => {
    expect(documented).toContain(name);
  });

  it('documents no byodkim variable the contract does not have', () => {
    const known = new Set<string>(Object.values(LAMBDA_ENV));
    expect(documented.filter((name) => name.startsWith('BYODKIM_') && !known.has(name))).toEqual([]);
  });

  it('says how to point the runtime at another endpoint and how to override DNS', () => {
    expect(section).toContain('AWS_ENDPOINT_URL');
    expect(section).toContain('**DNS override.**');
    expect(section).toContain('**Schedule settings**');
  });
});
