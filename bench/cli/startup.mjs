#!/usr/bin/env node
/**
 * How long a `patchbay` command takes as a whole process (Node start, module loading, the
 * work, exit), wall clock, median of N runs. Run from the repository root after
 * `npm run build`:
 *
 *   node bench/cli/startup.mjs [--runs 10] [--cli <path to another build's bin.js>]
 *
 * Commands: `--version` (nothing but start and exit), `route` (pure: no bus, no git),
 * `context --json` on a copy of the example repository with a warm shared cache (NATS, git
 * status, one object fetch, ranking, rendering). The NATS server is a throwaway local
 * nats-server; `--cli` measures another build (e.g. a worktree of an older commit) the same way.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectBus, ensureTopology } from '../../packages/bus/dist/index.js';
import { findNatsServerBinary, startLocalNatsServer } from '../../packages/nats-local/dist/index.js';
import { benchOptions, root } from '../options.mjs';

const { text, count } = benchOptions();
const RUNS = count('--runs', 10);
const cli = resolve(text('--cli', join(root, 'packages/cli/dist/bin.js')));

const work = mkdtempSync(join(tmpdir(), 'patchbay-bench-cli-'));
const repo = join(work, 'repo');
cpSync(join(root, 'examples/demo-repo'), repo, { recursive: true });
const git = (...a) => spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...a], { cwd: repo });
git('init', '-q');
git('add', '-A');
git('commit', '-qm', 'bench');

const binary = findNatsServerBinary(process.env.PATH ?? '');
if (!binary) {
  process.stderr.write('no nats-server binary: apt-get install nats-server\n');
  process.exit(1);
}
const server = await startLocalNatsServer(binary);
try {
  const bus = await connectBus({ url: server.url, name: 'bench-cli' });
  await ensureTopology(bus);
  await bus.drain();
  // START_ENGINE off: every run is the CLI's own analysis, not a background engine's answer.
  const env = { ...process.env, NATS_URL: server.url, PATCHBAY_WORKDIR: join(work, 'workdir'), PATCHBAY_CONTEXT_START_ENGINE: 'false' };

  const commands = [
    ['--version', ['--version']],
    ['route "<request>"', ['route', 'Fix the failing test in median()']],
    ['context --repo <demo> --json (warm cache)', ['context', '--repo', repo, '--json']],
  ];
  const rows = [];
  for (const [label, argv] of commands) {
    // One unmeasured run: the context cache is filled, the OS file cache warmed.
    spawnSync(process.execPath, [cli, ...argv], { env, stdio: 'ignore' });
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [cli, ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      samples.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`patchbay ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)];
    rows.push(`| \`patchbay ${label}\` | ${Math.round(median)} ms (${Math.round(samples[0])}–${Math.round(samples.at(-1))}) |`);
  }
  const cpu = cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'unknown CPU';
  process.stdout.write(
    [
      `CLI: ${cli}`,
      `Machine: ${cpus().length} × ${cpu}, Node ${process.version}, load average ${loadavg()[0].toFixed(1)}; ${RUNS} runs, median (min–max), whole process, wall clock`,
      '',
      '| command | time |',
      '|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}
