/**
 * A real AWS API emulator on loopback for the adapters' tests: `moto_server` (moto 5.2, Python), which
 * this kind of machine has and `.ci/run` checks for. Each test file starts its own server on a free port
 * (about a second) and stops it afterwards; `reset()` empties every service between tests.
 *
 * No test skips when moto is missing: `startMoto` fails with what to install instead, so a machine without
 * it shows a red suite, not a silently smaller one.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Moto {
  /** `http://127.0.0.1:<port>`: give it to a client as `endpoint`, or to the runtime as AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  /** The settings every SDK client in a test takes: the endpoint, a region and dummy credentials. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Empties every emulated service (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export const MOTO_REGION = 'ap-northeast-1';
/** moto's default account id. */
export const MOTO_ACCOUNT_ID = '123456789012';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function ready(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode} before it answered:\n${output()}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * The program to start: `moto_server` as found on PATH, or — when that is a pyenv shim (a bash script that
 * runs `pyenv exec`, which costs about a second of start-up under load, in every test file) — the script it
 * leads to, asked of `pyenv which` once and remembered in the temporary directory for the next test files
 * (keyed by the shim and PYENV_VERSION; a remembered path that no longer exists is asked again). Anything
 * unexpected falls back to `moto_server` itself.
 */
function motoServerProgram(): string {
  const shim = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, 'moto_server'))
    .find((file) => existsSync(file));
  if (!shim) return 'moto_server'; // spawn then fails with ENOENT: the error says what to install
  let head: string;
  try {
    head = readFileSync(shim, 'utf8').slice(0, 4000);
  } catch {
    return shim;
  }
  if (!/pyenv"? exec/.test(head)) return shim;
  const key = createHash('sha256')
    .update(`${shim}\n${process.env.PYENV_VERSION ?? ''}\n${head}`)
    .digest('hex')
    .slice(0, 16);
  const remembered = path.join(tmpdir(), `byodkim-moto-server-${key}`);
  try {
    const program = readFileSync(remembered, 'utf8').trim();
    if (program !== '' && existsSync(program)) return program;
  } catch {
    // not remembered yet
  }
  try {
    const program = execFileSync('pyenv', ['which', 'moto_server'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (program === '' || !existsSync(program)) return shim;
    writeFileSync(remembered, `${program}\n`);
    return program;
  } catch {
    return shim;
  }
}

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  return (await launchMoto(timeoutMs)).ready;
}

/**
 * Starts moto_server on a free loopback port and resolves as soon as its process is spawned; `ready` resolves
 * once it answers (or rejects, as startMoto does). A file can do synchronous work while Python boots (a
 * second or more): `const launched = await launchMoto(); try { synth() } finally { moto = await launched.ready }`.
 */
export async function launchMoto(timeoutMs = 30_000): Promise<{ readonly ready: Promise<Moto> }> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(motoServerProgram(), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    // Its own process group: moto_server may be a shim that starts Python as a child, and stop() must end both.
    detached: true,
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'ENOENT'
            ? 'moto_server is not on PATH: the adapter tests need moto 5.2 with its server (pip install "moto[server]==5.2.*"); .ci/run checks for it'
            : `moto_server could not be started: ${error.message}`,
        ),
      ),
    ),
  );
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const answering = Promise.race([ready(endpoint, child, () => log, timeoutMs), spawnError]).then((): Moto => moto);
  // Awaited by the caller once its own work is done; a failure meanwhile is not an unhandled rejection.
  answering.catch(() => undefined);
  const moto: Moto = {
    endpoint,
    clientConfig: {
      endpoint,
      region: MOTO_REGION,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const signal = (name: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, name);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 3000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) signal('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
  return { ready: answering };
}
