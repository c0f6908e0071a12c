/**
 * The package as a library: `npm pack` the project, install the tarball into a fresh directory the way
 * npm lays it out (`node_modules/byodkim`, its peers beside it), and synthesize `examples/basic` there
 * with nothing but the package's public exports.
 *
 * The tarball is packed from `dist/` and `bundles/` as they are (`--ignore-scripts`): `npm ci` builds
 * `dist/` (the `prepare` script) and jest's global setup builds the bundles. A `dist/` older than its
 * sources is rebuilt first, so the test never passes on a stale build. The peers (cdktf, constructs,
 * @cdktf/provider-aws) and the runtime dependencies are links to this project's installed copies: the
 * registry is not needed, and what is tested is exactly what the tarball holds.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from '@swc/core';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  exports: Record<string, unknown>;
};

/** Newest modification time of the TypeScript sources `npm run build` compiles (tests excluded). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts'))
      newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

function ensureFreshBuild(): void {
  const built = path.join(ROOT, 'dist', 'constructs', 'index.js');
  const sources = Math.max(...['constructs', 'functions', 'envs'].map((d) => newestSource(path.join(ROOT, d))));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) {
    // index.js alone may be fresh while another file is not: compare every compiled file's source.
    const stale = ['constructs', 'functions', 'envs'].some((d) => staleUnder(path.join(ROOT, d)));
    if (!stale) return;
  }
  const buildInfo = path.join(ROOT, 'node_modules', '.cache', 'byodkim-build.tsbuildinfo');
  const build = () =>
    execFileSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        'tsconfig.build.json',
        '--incremental',
        '--tsBuildInfoFile',
        buildInfo,
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
  build();
  // An incremental build does not write again what its build info says it wrote: when dist/ lost files
  // since (`npm run build` empties it first), build from scratch.
  if (['constructs', 'functions', 'envs'].some((d) => staleUnder(path.join(ROOT, d)))) {
    rmSync(buildInfo, { force: true });
    build();
  }
}

function staleUnder(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (staleUnder(file)) return true;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) {
      const out = path.join(ROOT, 'dist', path.relative(ROOT, file)).replace(/\.ts$/, '.js');
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs) return true;
    }
  }
  return false;
}

let work: string;
let app: string;
let files: string[];

beforeAll(() => {
  ensureFreshBuild();
  work = mkdtempSync(path.join(os.tmpdir(), 'byodkim-pack-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path);

  // A fresh app directory, laid out as `npm install <tarball>` would.
  app = path.join(work, 'app');
  const modules = path.join(app, 'node_modules');
  mkdirSync(path.join(modules, '@cdktf'), { recursive: true });
  execFileSync('tar', ['-xzf', path.join(work, packed[0]!.filename), '-C', work]);
  renameSync(path.join(work, 'package'), path.join(modules, pkg.name));
  for (const dep of [...Object.keys(pkg.peerDependencies), ...Object.keys(pkg.dependencies)]) {
    const target = path.join(modules, dep);
    mkdirSync(path.dirname(target), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules', dep), target, 'dir');
  }
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'mail-platform', private: true }));
  const source = readFileSync(path.join(ROOT, 'examples', 'basic', 'main.ts'), 'utf8');
  writeFileSync(path.join(app, 'main.ts'), source);
  const { code } = transformSync(source, {
    filename: 'main.ts',
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  writeFileSync(path.join(app, 'main.js'), code);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function node(script: string): string {
  return execFileSync(process.execPath, ['-e', script], {
    cwd: app,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('the packed tarball', () => {
  it('holds the compiled constructs and engine with their types, the Lambda bundles and the command', () => {
    for (const file of [
      'dist/constructs/index.js',
      'dist/constructs/index.d.ts',
      'dist/functions/lifecycle/index.js',
      'dist/functions/lifecycle/index.d.ts',
      'bin/byodkim.js',
      'bundles/planner.zip',
      'bundles/worker.zip',
      'README.md',
    ])
      expect(files).toContain(file);
  });

  it('holds no tests, no TypeScript sources, no keys and no build state', () => {
    const unwanted = files.filter(
      (f) =>
        f.startsWith('test/') ||
        f.startsWith('dist/test/') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        /\.(pem|b64|tsbuildinfo)$/.test(f) ||
        f.startsWith('keys/') ||
        f.startsWith('cdktf.out/') ||
        f.startsWith('node_modules/'),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('installed into a fresh directory', () => {
  it('synthesizes the example stack from the public exports alone', () => {
    execFileSync(process.execPath, ['main.js'], { cwd: app, stdio: 'pipe' });
    const stack = JSON.parse(
      readFileSync(path.join(app, 'cdktf.out', 'stacks', 'mail-platform-prod', 'cdk.tf.json'), 'utf8'),
    ) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const identities = Object.values(stack.resource['aws_sesv2_email_identity'] ?? {}).map((r) => r['email_identity']);
    expect(identities.sort()).toEqual(['corp.example.co.jp', 'shop.example.co.jp']);
    const functions = Object.values(stack.resource['aws_lambda_function'] ?? {});
    expect(functions.map((f) => f['function_name']).sort()).toEqual(
      expect.arrayContaining(['mailplat-prod-dkim-planner', 'mailplat-prod-dkim-worker']),
    );
    // The bundles come from the installed package, copied into the app's own output as assets.
    for (const f of functions) {
      expect(String(f['filename'])).toMatch(/assets\//);
      expect(String(f['source_code_hash'])).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    }
    const assets = path.join(app, 'cdktf.out', 'stacks', 'mail-platform-prod', 'assets');
    expect(readdirSync(assets).length).toBeGreaterThanOrEqual(2);
  });

  it('type-checks the example against the installed declarations', () => {
    // @types/node is the one thing an app brings itself: link this project's copy.
    mkdirSync(path.join(app, 'node_modules', '@types'), { recursive: true });
    symlinkSync(
      path.join(ROOT, 'node_modules', '@types', 'node'),
      path.join(app, 'node_modules', '@types', 'node'),
      'dir',
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          skipLibCheck: true,
          noEmit: true,
          types: ['node'],
        },
        files: ['main.ts'],
      }),
    );
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(() =>
      execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, encoding: 'utf8', stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('offers the engine at byodkim/engine and refuses paths inside the package', () => {
    // One node process for the three (each would load cdktf again): what each require gave, or its error code.
    const probe = `
      const outcome = (load) => { try { return load(); } catch (e) { return 'refused: ' + e.code; } };
      process.stdout.write(JSON.stringify({
        engine: outcome(() => { const e = require('byodkim/engine'); return [typeof e.decide, typeof e.reconcile]; }),
        constructs: outcome(() => {
          const c = require('byodkim');
          return [typeof c.ByodkimDomain, typeof c.DkimRotationSchedule];
        }),
        deep: outcome(() => { require('byodkim/dist/constructs/index.js'); return 'loaded'; }),
      }));`;
    expect(JSON.parse(node(probe))).toEqual({
      engine: ['function', 'function'],
      constructs: ['function', 'function'],
      deep: 'refused: ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });
});
