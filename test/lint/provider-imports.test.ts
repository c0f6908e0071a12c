/**
 * The lint rule that keeps synth fast: @cdktf/provider-aws's package root and its `lib` index load all
 * 2,212 resource modules (docs/design.md §2), so only a resource's own path may be imported.
 *
 * Every probe is linted by one eslint process (its API, `lintText`), each as if it were a file in
 * constructs/: the project's config is loaded once, not once per probe.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

const REFUSED = ['@cdktf/provider-aws', '@cdktf/provider-aws/lib', '@cdktf/provider-aws/lib/index'];
const probes: Record<string, string> = {
  ...Object.fromEntries(
    REFUSED.map((specifier) => [specifier, `import { kmsKey } from '${specifier}';\nexport const k = kmsKey;\n`]),
  ),
  own: `import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';\nexport const k = KmsKey;\n`,
};

/** The no-restricted-imports messages eslint reports for each probe, by probe name. */
function lintAll(sources: Record<string, string>): Record<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    const sources = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = {};
      for (const [name, source] of Object.entries(sources)) {
        const [result] = await eslint.lintText(source, { filePath: 'constructs/lint-probe.ts' });
        out[name] = result.messages
          .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
          .map((m) => m.message);
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(2); });`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: root,
    input: JSON.stringify(sources),
    encoding: 'utf8',
  });
  return JSON.parse(out) as Record<string, string[]>;
}

describe('lint: @cdktf/provider-aws imports', () => {
  let messages: Record<string, string[]>;
  beforeAll(() => {
    messages = lintAll(probes);
  }, 60_000);

  it.each(REFUSED)('refuses %s, which loads every resource module', (specifier) => {
    expect(messages[specifier]).toEqual([
      expect.stringContaining(
        "import the resource by its own path, e.g. '@cdktf/provider-aws/lib/sesv2-email-identity'",
      ),
    ]);
  });

  it("accepts a resource's own path", () => {
    expect(messages.own).toEqual([]);
  });
});
