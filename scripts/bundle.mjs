#!/usr/bin/env node
// `npm run bundle [-- --force] [-- --outdir <dir>]`: one Lambda bundle per handler — every functions/handlers/<name>.ts that exports
// `handler` — written to bundles/<name>/index.js and bundles/<name>.zip (one entry, index.js), which the
// DkimRotationSchedule construct deploys (constructs/private/lambda-bundle.ts).
//
// esbuild, platform node, target node22, CommonJS, the AWS SDK and Powertools bundled (a pinned SDK, not
// whatever the runtime ships). Whitespace and syntax are minified, identifiers and names kept (stack
// traces and error names stay readable without a source map; no source map is written).
//
// Deterministic: the same sources give the same bytes. esbuild's output depends only on the inputs (paths
// in its comments are relative to the repository root); the zip is written here with a fixed time stamp
// (1980-01-01 00:00), fixed permissions and no extra fields, so its SHA-256 — Terraform's
// source_code_hash — changes only when the code does, and an unchanged build gives an empty plan. A file
// whose bytes did not change is not rewritten, and a handler none of whose inputs changed (esbuild's version,
// the options, every input file's SHA-256, bundles/<name>.inputs.json) is not built again; `--force` builds
// everything.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buffer } from 'node:buffer';
import zlib, { deflateRawSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HANDLERS = path.join(ROOT, 'functions', 'handlers');
export const BUNDLE_DIRECTORY = path.join(ROOT, 'bundles');

/** The handlers: functions/handlers/<name>.ts files that export `handler` (runtime.ts and helpers do not). */
export function handlerNames() {
  if (!existsSync(HANDLERS)) return [];
  return readdirSync(HANDLERS)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .filter((file) =>
      /export\s+(?:async\s+)?(?:function|const|let)\s+handler\b/.test(readFileSync(path.join(HANDLERS, file), 'utf8')),
    )
    .map((file) => file.slice(0, -3))
    .sort();
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  // Node's own (zlib.crc32, node >= 20.15): the same CRC-32, without a JavaScript loop over megabytes.
  if (typeof zlib.crc32 === 'function') return zlib.crc32(bytes) >>> 0;
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// 1980-01-01 00:00:00 in MS-DOS time, the earliest a zip can say: no build time in the archive.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip of `files` ({ name, bytes }, in the order given), with nothing in it but names and contents. */
export function deterministicZip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, bytes } of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const data = deflateRawSync(bytes, { level: 9 });
    const crc = crc32(bytes);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // flags: names are UTF-8
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(bytes.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the permissions below apply)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(bytes.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((0o100644 << 16) >>> 0) >>> 0, 38); // a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Writes `bytes` to `file` unless it already holds them (atomic: a temporary file, then a rename). */
function writeIfChanged(file, bytes) {
  if (existsSync(file) && readFileSync(file).equals(bytes)) return false;
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, file);
  return true;
}

/** The esbuild options of one handler (exported for the determinism test). */
export function buildOptions(name) {
  return {
    absWorkingDir: ROOT,
    entryPoints: [path.join('functions', 'handlers', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    metafile: true,
    logLevel: 'warning',
  };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * What a bundle was built from: esbuild's version, the options, and every input file's SHA-256 (esbuild's
 * metafile). When none of it changed, the bundle is not built again (a second `npm run synth` is fast).
 */
function stampOf(version, name, inputs, hashes = new Map()) {
  const files = {};
  for (const input of [...inputs].sort()) {
    // The handlers share most inputs (the SDK, Powertools, functions/core): each file is read once per run.
    if (!hashes.has(input)) {
      const file = path.join(ROOT, input);
      hashes.set(input, existsSync(file) ? sha256(readFileSync(file)) : 'missing');
    }
    files[input] = hashes.get(input);
  }
  return { esbuild: version, options: sha256(JSON.stringify(buildOptions(name))), files };
}

function upToDate(version, name, outdir, hashes) {
  const stampFile = path.join(outdir, `${name}.inputs.json`);
  if (!existsSync(stampFile) || !existsSync(path.join(outdir, `${name}.zip`))) return undefined;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    const now = stampOf(version, name, Object.keys(stamp.files ?? {}), hashes);
    return JSON.stringify(now) === JSON.stringify(stamp)
      ? readFileSync(path.join(outdir, name, 'index.js'))
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Bundles every handler into `outdir`; returns, per handler, the files, sizes and the zip's SHA-256
 * (base64, as Lambda's CodeSha256).
 */
export async function bundleHandlers({ outdir = BUNDLE_DIRECTORY, names = handlerNames(), force = false } = {}) {
  const esbuild = await import('esbuild');
  // Handlers whose inputs changed are built again, all at once (esbuild runs them in parallel).
  const hashes = new Map();
  const cached = names.map((name) => (force ? undefined : upToDate(esbuild.version, name, outdir, hashes)));
  const builds = await Promise.all(names.map((name, i) => (cached[i] ? undefined : esbuild.build(buildOptions(name)))));
  const results = [];
  names.forEach((name, i) => {
    const code = cached[i] ?? Buffer.from(builds[i].outputFiles[0].contents);
    const zip = deterministicZip([{ name: 'index.js', bytes: code }]);
    const js = path.join(outdir, name, 'index.js');
    const archive = path.join(outdir, `${name}.zip`);
    writeIfChanged(js, code);
    writeIfChanged(archive, zip);
    if (builds[i]) {
      const stamp = stampOf(esbuild.version, name, Object.keys(builds[i].metafile.inputs));
      writeIfChanged(path.join(outdir, `${name}.inputs.json`), Buffer.from(`${JSON.stringify(stamp, null, 1)}\n`));
    }
    results.push({
      built: builds[i] !== undefined,
      name,
      js,
      zip: archive,
      bytes: code.length,
      zipBytes: zip.length,
      sha256: createHash('sha256').update(zip).digest('base64'),
    });
  });
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quiet = process.argv.includes('--quiet');
  const started = Date.now();
  const at = process.argv.indexOf('--outdir');
  const outdir = at > 0 ? path.resolve(process.argv[at + 1]) : BUNDLE_DIRECTORY;
  const results = await bundleHandlers({ outdir, force: process.argv.includes('--force') });
  if (!quiet) {
    for (const r of results) {
      process.stdout.write(
        `${path.relative(ROOT, r.zip)}  ${(r.bytes / 1024).toFixed(0)} KiB js, ${(r.zipBytes / 1024).toFixed(0)} KiB zip, sha256 ${r.sha256}\n`,
      );
    }
    const built = results.filter((r) => r.built).length;
    process.stdout.write(
      `bundled ${results.length} handler(s) (${built} built, ${results.length - built} unchanged) in ${Date.now() - started} ms\n`,
    );
  }
}
