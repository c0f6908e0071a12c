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

/**
 * Runs `command args` `runs` times and returns { wallMs, peakMb } medians.
 * Throws when the command fails, so a broken benchmark is never reported as fast.
 */
export function measureCommand(command, args, { runs = 5, env = {}, cwd = process.cwd() } = {}) {
  const walls = [];
  const peaks = [];
  const haveTime = existsSync(GNU_TIME);
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    const result = haveTime
      ? spawnSync(GNU_TIME, ['-f', '__PEAK_KB__=%M', command, ...args], {
          cwd,
          env: { ...process.env, ...env },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        })
      : spawnSync(command, args, {
          cwd,
          env: { ...process.env, ...env },
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) {
      throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    }
    walls.push(wallMs);
    const match = /__PEAK_KB__=(\d+)/.exec(result.stderr ?? '');
    if (match) peaks.push(Number(match[1]) / 1024);
  }
  return { wallMs: median(walls), peakMb: peaks.length ? median(peaks) : undefined, runs };
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
