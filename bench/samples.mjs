/** Taking and summarising the benchmarks' samples: a timed process, medians with min–max, ratios. */
import { spawnSync } from 'node:child_process';

/** Runs a process to its end under /usr/bin/time: wall clock, peak memory and what it printed (stderr without time's own line). */
export function timed(cmd, cmdArgs) {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...cmdArgs], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const printed = r.stderr.trim().split('\n');
  const rssKb = Number(printed.pop());
  return { wallMs: Math.round(wallMs), maxRssMb: Math.round(rssKb / 1024), stdout: r.stdout, stderr: printed.join('\n') };
}

export const sorted = (xs) => [...xs].sort((a, b) => a - b);
export const median = (xs) => {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const round = (x) => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10);
export const stat = (xs) => (xs?.length ? { median: round(median(xs)), min: round(sorted(xs)[0]), max: round(sorted(xs).at(-1)), n: xs.length } : undefined);
export const fmt = (xs, unit = 'ms') => {
  const s = stat(xs);
  if (!s) return '–';
  return s.n === 1 || s.min === s.max ? `${s.median} ${unit}` : `${s.median} ${unit} (${s.min}–${s.max})`;
};
export const pct = (xs, cold) => `${Math.round((median(xs) / median(cold)) * 1000) / 10}%`;

