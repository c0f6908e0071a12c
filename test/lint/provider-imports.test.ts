/**
 * The lint rule that keeps synth fast: @cdktf/provider-aws's package root and its `lib` index load all
 * 2,212 resource modules (docs/design.md §2), so only a resource's own path may be imported.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The messages eslint reports for `source`, linted as if it were a file in constructs/. */
function lint(source: string): string[] {
  const eslint = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
  let out: string;
  try {
    out = execFileSync(
      process.execPath,
      [eslint, '--format', 'json', '--stdin', '--stdin-filename', 'constructs/lint-probe.ts'],
      { cwd: root, input: source, encoding: 'utf8' },
    );
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  const [result] = JSON.parse(out) as { messages: { ruleId: string | null; message: string }[] }[];
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('lint: @cdktf/provider-aws imports', () => {
  it.each(['@cdktf/provider-aws', '@cdktf/provider-aws/lib', '@cdktf/provider-aws/lib/index'])(
    'refuses %s, which loads every resource module',
    (specifier) => {
      expect(lint(`import { kmsKey } from '${specifier}';\nexport const k = kmsKey;\n`)).toEqual([
        expect.stringContaining(
          "import the resource by its own path, e.g. '@cdktf/provider-aws/lib/sesv2-email-identity'",
        ),
      ]);
    },
  );

  it("accepts a resource's own path", () => {
    expect(lint(`import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';\nexport const k = KmsKey;\n`)).toEqual([]);
  });
});
