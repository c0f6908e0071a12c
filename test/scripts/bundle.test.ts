import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { Testing } from 'cdktf';
import { ByodkimStack } from '../../main';
import { environments } from '../../envs';
import { loadEnvironments } from '../../envs/load';

const ROOT = path.resolve(__dirname, '..', '..');
const HANDLERS = ['planner', 'worker'];

/** The smallest bundle: the one built a second time, in a process of its own, for the determinism check. */
const SMALLEST = 'report';

/** `npm run bundle -- --force --outdir <dir>`: every handler, through the command line. */
function bundleAllInto(outdir: string): Promise<unknown> {
  return promisify(execFile)(process.execPath, ['scripts/bundle.mjs', '--force', '--quiet', '--outdir', outdir], {
    cwd: ROOT,
  });
}

/** bundleHandlers({ names, force }) in a fresh node process: the named handlers only. */
function bundleOneInto(outdir: string, name: string): Promise<unknown> {
  const script = `const { bundleHandlers } = await import('./scripts/bundle.mjs'); await bundleHandlers(${JSON.stringify({ outdir, names: [name], force: true })});`;
  return promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
}

/** The one entry of a zip written by scripts/bundle.mjs: name, time stamp and content. */
function readZipEntry(zip: Buffer): { name: string; dosTime: number; dosDate: number; content: Buffer } {
  expect(zip.readUInt32LE(0)).toBe(0x04034b50);
  const compressed = zip.readUInt32LE(18);
  const nameLength = zip.readUInt16LE(26);
  const start = 30 + nameLength + zip.readUInt16LE(28);
  return {
    name: zip.subarray(30, 30 + nameLength).toString('utf8'),
    dosTime: zip.readUInt16LE(10),
    dosDate: zip.readUInt16LE(12),
    content: inflateRawSync(zip.subarray(start, start + compressed)),
  };
}

describe('scripts/bundle.mjs', () => {
  const dirs = [
    mkdtempSync(path.join(tmpdir(), 'byodkim-bundle-a-')),
    mkdtempSync(path.join(tmpdir(), 'byodkim-bundle-b-')),
  ];
  // Every handler built once here (forced, through the CLI) and compared with the build jest's globalSetup
  // made of the same sources (bundles/, scripts/jest-global-setup.cjs): two builds of every handler, in two
  // processes. The smallest handler is also built here a second time, forced, in a process of its own, at
  // the same time (two fresh builds of the same handler, neither from the up-to-date check's cache).
  // Building every handler twice here took twice the esbuild, deflate and CRC work for the same proof.
  beforeAll(() => Promise.all([bundleAllInto(dirs[0]), bundleOneInto(dirs[1], SMALLEST)]), 120_000);
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it(`bundles ${SMALLEST} twice, in two processes, to the same bytes`, () => {
    const [a, b] = dirs.map((dir) => readFileSync(path.join(dir, `${SMALLEST}.zip`)));
    expect(a.equals(b)).toBe(true);
    expect(
      readFileSync(path.join(dirs[0], SMALLEST, 'index.js')).equals(
        readFileSync(path.join(dirs[1], SMALLEST, 'index.js')),
      ),
    ).toBe(true);
  });

  it('bundles every handler to the bytes of the globalSetup build of the same sources', () => {
    const built = readdirSync(dirs[0]).filter((f) => f.endsWith('.zip'));
    expect(built).toEqual(expect.arrayContaining([...HANDLERS, SMALLEST].map((name) => `${name}.zip`)));
    const differing = built.filter(
      (zip) =>
        !readFileSync(path.join(dirs[0], zip)).equals(readFileSync(path.join(ROOT, 'bundles', zip))) ||
        !readFileSync(path.join(dirs[0], zip.slice(0, -4), 'index.js')).equals(
          readFileSync(path.join(ROOT, 'bundles', zip.slice(0, -4), 'index.js')),
        ),
    );
    expect(differing).toEqual([]);
  });

  it.each(HANDLERS)('zips %s as one index.js with a fixed time stamp', (name) => {
    const entry = readZipEntry(readFileSync(path.join(dirs[0], `${name}.zip`)));
    expect(entry).toMatchObject({ name: 'index.js', dosTime: 0, dosDate: (1 << 5) | 1 });
    expect(entry.content.equals(readFileSync(path.join(dirs[0], name, 'index.js')))).toBe(true);
  });

  it.each(HANDLERS)('leaves no absolute path of this machine in %s', (name) => {
    expect(readFileSync(path.join(dirs[0], name, 'index.js'), 'utf8')).not.toContain(ROOT);
  });

  it('bundles the AWS SDK (nothing is left to the runtime but node: modules)', () => {
    const code = readFileSync(path.join(dirs[0], 'worker', 'index.js'), 'utf8');
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    // The SDK's optional SigV4a signer is required inside a try (esbuild leaves such requires alone); byodkim
    // calls no multi-region endpoint that needs it.
    const optional = new Set(['@aws-sdk/signature-v4-crt']);
    expect(required.filter((m) => !m.startsWith('node:') && !/^[a-z_]+$/.test(m) && !optional.has(m))).toEqual([]);
    expect(required).not.toContain('@aws-sdk/client-sesv2');
  });

  it('answers a malformed payload with a typed error when the bundle runs under plain node', () => {
    const script = `require(${JSON.stringify(path.join(dirs[0], 'worker', 'index.js'))}).handler({ action: 'explode', domain: 'example.com' }).then((r) => process.stdout.write(JSON.stringify(r)))`;
    const output = execFileSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '' } }).toString();
    expect(JSON.parse(output)).toEqual({
      status: 'error',
      error: { code: 'INVALID_PAYLOAD', field: 'action', message: expect.stringContaining('action must be one of') },
    });
  });
});

describe('source_code_hash', () => {
  const config = loadEnvironments(environments).environments.find((e) => e.config.environment === 'dev')!.config;
  const synthesizedFunctions = () =>
    Object.values(
      JSON.parse(Testing.synth(new ByodkimStack(Testing.app(), 'byodkim-dev', { config }))).resource
        .aws_lambda_function,
    ) as { function_name: string; source_code_hash: string }[];

  it('is the base64 SHA-256 of each bundle, the same on every synth', () => {
    const first = synthesizedFunctions();
    const second = synthesizedFunctions();
    expect(second).toEqual(first);
    for (const name of HANDLERS) {
      const zip = readFileSync(path.join(ROOT, 'bundles', `${name}.zip`));
      const fn = first.find((f) => f.function_name === `byodkim-dev-dkim-${name}`)!;
      expect(fn.source_code_hash).toBe(createHash('sha256').update(zip).digest('base64'));
    }
  });
});
