// Lints many probe sources in ONE process (ESLint's config is an ES module, which jest cannot load
// in-process). Reads `[{ filePath, code }]` as JSON on stdin; prints the import-rule messages of each
// probe and the boundary table of eslint.config.mjs as JSON.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const IMPORT_RULES = new Set(['no-restricted-imports', '@typescript-eslint/no-restricted-imports']);

let input = '';
for await (const chunk of process.stdin) input += chunk;
const probes = JSON.parse(input);

const eslint = new ESLint({ cwd: root });
const results = [];
for (const { filePath, code } of probes) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  results.push(result.messages.filter((m) => IMPORT_RULES.has(m.ruleId)).map((m) => m.message));
}
const { FUNCTION_FOLDERS } = await import(pathToFileURL(path.join(root, 'eslint.config.mjs')).href);
process.stdout.write(JSON.stringify({ results, functionFolders: FUNCTION_FOLDERS }));
