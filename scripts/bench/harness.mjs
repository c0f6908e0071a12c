// Shared helpers for `npm run bench`: run a command several times, report median wall time and
// median peak resident memory (GNU time's %M: the largest max-RSS of any waited-for process).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const GNU_TIME = '/usr/bin/time';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `command args` once; returns { wallMs, peakMb }. Throws when the command fails. */
function runOnce(command, args, { env = {}, cwd = process.cwd() } = {}) {
  const options = { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 };
  const started = process.hrtime.bigint();
  const result = existsSync(GNU_TIME)
    ? spawnSync(GNU_TIME, ['-f', '__PEAK_KB__=%M', command, ...args], options)
    : spawnSync(command, args, options);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  const match = /__PEAK_KB__=(\d+)/.exec(result.stderr ?? '');
  return { wallMs, peakMb: match ? Number(match[1]) / 1024 : undefined };
}

function summarize(samples, runs) {
  const peaks = samples.map((s) => s.peakMb).filter((p) => p !== undefined);
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    peakMb: peaks.length ? median(peaks) : undefined,
    runs,
    walls: samples.map((s) => s.wallMs),
  };
}

/**
 * Runs `command args` `runs` times and returns { wallMs, peakMb } medians.
 * Throws when the command fails, so a broken benchmark is never reported as fast.
 */
export function measureCommand(command, args, { runs = 5, env = {}, cwd = process.cwd() } = {}) {
  const samples = [];
  for (let i = 0; i < runs; i += 1) samples.push(runOnce(command, args, { env, cwd }));
  return summarize(samples, runs);
}

/**
 * Runs several commands in turn, `runs` rounds (A B A B …), so that a change of load on the machine hits
 * them alike; returns their { wallMs, peakMb } medians, in the order given. Each entry of `commands`
 * is { command, args, env, cwd }.
 */
export function measureInterleaved(commands, { runs = 5 } = {}) {
  const samples = commands.map(() => []);
  for (let i = 0; i < runs; i += 1) {
    commands.forEach(({ command, args, ...options }, k) => samples[k].push(runOnce(command, args, options)));
  }
  return samples.map((s) => summarize(s, runs));
}

/** Times an in-process function `runs` times; returns the median in milliseconds. */
export async function measureFunction(fn, { runs = 20 } = {}) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

export function formatRow(label, { wallMs, peakMb, runs }, target = '') {
  const mem = peakMb === undefined ? 'n/a' : `${peakMb.toFixed(0)} MB`;
  return `${label.padEnd(44)} median ${(wallMs / 1000).toFixed(2).padStart(6)} s   peak ${mem.padStart(7)}   (${runs} runs)${target ? `   target ${target}` : ''}`;
}
