#!/usr/bin/env node
/**
 * `patchbay context` on a local checkout, as a user runs it: the whole CLI process, answered
 * by a running context engine (a separate process, as `patchbay service context-engine`
 * starts it) or, with --local, analysed in the CLI's own process. Side by side with repomix
 * packing the same tree. Run from the repository root after `npm run build`:
 *
 *   node bench/context/engine.mjs                 # both trees, 3 runs
 *   node bench/context/engine.mjs self --runs 5   # only this project
 *   node bench/context/engine.mjs self --pause 1500 [--no-warm-up]   # the first request 1.5 s after the engine's start (without its parser warm-up)
 *
 * Last, with no engine running, as a user first meets it: the CLI analyses cold in its own
 * process and starts the checkout's own engine, which answers the calls after it.
 *
 * Each row gives the engine's analysis time (what the answer's `cache.ms` says: from the
 * request reaching analyzeRepository to the analysis in hand) and the CLI process's wall
 * clock (Node start, imports, NATS, the request, fetching and printing the context).
 * repomix is timed both ways too: its whole process, and its pack inside the process.
 * Raw samples go to bench/context/engine-last-run.md.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { findNatsServerBinary, startLocalNatsServer } from '../../packages/nats-local/dist/index.js';
import { benchOptions, root } from '../options.mjs';
import { fmt, pct, timed } from '../samples.mjs';
import { buildLargeTree, buildOtherRepo, buildSelfTree, clearContextCache, commitTree } from './trees.mjs';

const options = benchOptions();
const RUNS = options.count('--runs', 3);
/** Milliseconds between an engine's start and its first request (0: at once). */
const PAUSE = Number(options.text('--pause', '0'));
const WARM_UP = !process.argv.includes('--no-warm-up');
if (!Number.isInteger(PAUSE) || PAUSE < 0) {
  process.stderr.write('--pause takes a whole number of milliseconds\n');
  process.exit(2);
}
const only = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !['--runs', '--pause'].includes(all[i - 1] ?? ''));
if (only !== undefined && !['self', 'large'].includes(only)) {
  process.stderr.write(`unknown tree ${only}: self or large\n`);
  process.exit(2);
}
const say = (text) => process.stderr.write(`bench: ${text}\n`);
const CLI = join(root, 'packages/cli/dist/bin.js');

let url = process.env.NATS_URL;
let server;
if (!url) {
  const binary = findNatsServerBinary(process.env.PATH ?? '');
  if (!binary) throw new Error('no nats-server binary (apt-get install nats-server) and no NATS_URL');
  server = await startLocalNatsServer(binary);
  url = server.url;
}
const base = mkdtempSync(join(tmpdir(), 'patchbay-bench-engine-'));
const engineWork = join(base, 'engine-work');
const cliWork = join(base, 'cli-work');
// What the CLI processes read (they are started by timed() with this environment).
process.env.NATS_URL = url;
process.env.PATCHBAY_WORKDIR = cliWork;
// Only the "no engine running" rows let the CLI start a checkout's own engine.
process.env.PATCHBAY_CONTEXT_START_ENGINE = 'false';

/** Starts a context engine process that may read checkouts under `base`; resolves once it serves. */
async function startEngine() {
  const child = spawn(process.execPath, [join(root, 'services/context-engine/dist/main.js')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NATS_URL: url, PATCHBAY_WORKDIR: engineWork, PATCHBAY_CONTEXT_LOCAL_ROOTS: base, PATCHBAY_METRICS_PORT: '0', LOG_LEVEL: 'info', PATCHBAY_CONTEXT_WARM_UP: String(WARM_UP) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('"service started"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the context engine exited (${code}) before serving`)));
  });
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * One `patchbay context --json` process: its wall clock and peak memory, and what the context
 * says of the analysis. `by`: who must answer (`engine`, `own` for the checkout's own engine, `here`).
 */
function ask(dir, task, by, ...flags) {
  const run = timed(process.execPath, [CLI, 'context', '--repo', dir, '--task', task, '--json', ...flags]);
  const context = JSON.parse(run.stdout);
  const answered = run.stderr.includes('context from the context-engine') ? 'engine' : run.stderr.includes('context from the context engine of this checkout') ? 'own' : 'here';
  if (answered !== by) throw new Error(`expected an answer by ${by}, not ${answered}: ${run.stderr}`);
  return { wallMs: run.wallMs, rssMb: run.maxRssMb, analysis: context.cache.analysis, ms: context.cache.ms, mapTokens: context.repoMap.tokens, stderr: run.stderr };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until the engine `patchbay context` started (named in its stderr) serves; returns its pid and log. */
async function ownEngineUp(stderr) {
  const started = /started a context engine for this checkout in the background \(pid (\d+), log ([^)]+)\)/.exec(stderr);
  if (!started) throw new Error(`the CLI started no engine: ${stderr}`);
  const deadline = Date.now() + 60_000;
  while (!readFileSync(started[2], 'utf8').includes('"service started"')) {
    if (Date.now() > deadline) throw new Error('the checkout engine did not start within a minute');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { pid: Number(started[1]), log: started[2] };
}

/** Stops it, and removes its log, which the next run's engine of the same checkout would append to. */
async function stopOwnEngine({ pid, log }) {
  process.kill(pid, 'SIGTERM');
  while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 50));
  rmSync(log, { force: true });
}

async function benchTree(name, build, task, target) {
  const dir = join(base, name);
  const other = join(base, `other-${name}`);
  const samples = {};
  const add = (key, value) => (samples[key] ??= []).push(value);
  const expect = (r, analysis, what) => {
    if (r.analysis !== analysis) throw new Error(`${name}: ${what} was ${r.analysis}, not ${analysis}`);
    return r;
  };
  const record = (key, r) => {
    add(`${key}.ms`, r.ms);
    add(`${key}.wall`, r.wallMs);
    add(`${key}.rss`, r.rssMb);
  };
  let edits = 0;
  const edit = (repo, file) => {
    edits += 1;
    appendFileSync(join(repo, file), `\nexport function benchEdit${edits}(value: number): number {\n  return value + ${edits};\n}\n`);
  };
  say(`${name}: building the tree in ${dir}`);
  mkdirSync(dir);
  const shape = commitTree(dir, build);
  buildOtherRepo(other);
  say(`${name}: ${shape.files} files, ${(shape.bytes / 1e6).toFixed(1)} MB`);
  for (let run = 1; run <= RUNS; run++) {
    say(`${name}: run ${run} of ${RUNS}`);
    const out = join(base, 'repomix.txt');
    const repomix = timed(process.execPath, [join(root, 'node_modules/repomix/bin/repomix.cjs'), '--style', 'plain', '--quiet', '--output', out, dir]);
    rmSync(out, { force: true });
    add('repomix.wall', repomix.wallMs);
    add('repomix.rss', repomix.maxRssMb);
    // The same pack timed inside its process, beside the analysis times.
    const inProcess = JSON.parse(timed(process.execPath, [join(root, 'bench/context/repomix-pack.mjs'), dir, out]).stdout);
    rmSync(out, { force: true });
    add('repomix.ms', inProcess.packMs);

    // An engine just started: its first request is this tree, on an empty cache.
    await clearContextCache(url);
    let engine = await startEngine();
    await new Promise((resolve) => setTimeout(resolve, PAUSE));
    record('cold.started', expect(ask(dir, task, 'engine'), 'cold', 'the first request to a new engine'));
    await engine.stop();

    await clearContextCache(url);
    engine = await startEngine();
    // A running engine that has served another repository, before and after an edit there (so its code for both is compiled and its grammars loaded), never this one.
    ask(other, 'Warm up on another repository', 'engine');
    edit(other, 'src/module0.ts');
    ask(other, 'Warm up on another repository', 'engine');
    const cold = expect(ask(dir, task, 'engine'), 'cold', 'the first request for this tree to a warm engine');
    record('cold.warm', cold);
    add('map', `${cold.mapTokens} tokens`);
    for (let i = 0; i < 3; i++) record('warm.same', expect(ask(dir, task, 'engine'), 'hit', 'the same request again'));
    for (let i = 0; i < 3; i++) {
      edit(dir, target);
      record('change.same', expect(ask(dir, task, 'engine'), 'incremental', 'a request after an edit'));
    }
    record('warm.after', expect(ask(dir, task, 'engine'), 'hit', 'the same request after the edits'));
    await engine.stop();

    // The same states without the engine: a new CLI process each, sharing the cache.
    record('local.warm', expect(ask(dir, task, 'here', '--local'), 'hit', 'the CLI on its own, nothing changed'));
    edit(dir, target);
    record('local.change', expect(ask(dir, task, 'here', '--local'), 'incremental', 'the CLI on its own after an edit'));

    // No engine running, as a user first meets it: the CLI analyses cold, then starts the checkout's own engine, which answers the next calls.
    await clearContextCache(url);
    process.env.PATCHBAY_CONTEXT_START_ENGINE = 'true';
    try {
      const first = expect(ask(dir, task, 'here'), 'cold', 'the first call with no engine running');
      record('own.cold', first);
      const own = await ownEngineUp(first.stderr);
      for (let i = 0; i < 3; i++) record('own.warm', expect(ask(dir, task, 'own'), 'hit', "the checkout's own engine, nothing changed"));
      for (let i = 0; i < 3; i++) {
        edit(dir, target);
        record('own.change', expect(ask(dir, task, 'own'), 'incremental', "the checkout's own engine after an edit"));
      }
      await stopOwnEngine(own);
    } finally {
      process.env.PATCHBAY_CONTEXT_START_ENGINE = 'false';
    }
  }
  return { name, shape, target, samples };
}

const load = [loadavg()[0]];
const results = [];
try {
  if (only !== 'self') results.push(await benchTree('large', buildLargeTree, 'Fix the retry backoff in the request handler', 'packages/openai@6.49.0/src/internal/decoders/line.ts'));
  load.push(loadavg()[0]);
  if (only !== 'large') results.push(await benchTree('self', buildSelfTree, 'Fix the board write in packages/bus/src/board.ts', 'packages/bus/src/board.ts'));
  load.push(loadavg()[0]);
} finally {
  await server?.stop();
  rmSync(base, { recursive: true, force: true });
}

const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}; ${RUNS} runs, median (min–max); first request ${PAUSE} ms after the engine's start, parser warm-up ${WARM_UP ? 'on' : 'off'}`,
  '',
];
for (const r of results) {
  const s = r.samples;
  const row = (label, key, cold) =>
    `| ${label} | ${fmt(s[`${key}.ms`])}${cold ? ` = ${pct(s[`${key}.ms`], s[`${cold}.ms`])} of cold` : ''} | ${fmt(s[`${key}.wall`])}, ${fmt(s[`${key}.rss`], 'MB')} |`;
  lines.push(
    `### ${r.name}: ${r.shape.files} files, ${(r.shape.bytes / 1e6).toFixed(1)} MB; the change: a function appended to ${r.target}, not committed`,
    '',
    "| `patchbay context --json` on the working tree | analysis (the answer's `cache.ms`) | whole CLI process, peak memory |",
    '|---|---|---|',
    `| repomix pack of the same tree | ${fmt(s['repomix.ms'])} (the pack in its process, after its imports) | ${fmt(s['repomix.wall'])}, ${fmt(s['repomix.rss'], 'MB')} |`,
    row('cold: an engine just started (its first request)', 'cold.started'),
    row('cold: a running engine that served another repository before', 'cold.warm'),
    row('warm (nothing changed): the same engine again', 'warm.same'),
    row('one file changed (three edits in a row, each then asked): the same engine', 'change.same', 'cold.warm'),
    row('warm after the change: the same engine', 'warm.after'),
    row('`--local` (no engine), warm: a new process, the shared cache', 'local.warm'),
    row('`--local` (no engine), one file changed: a new process', 'local.change', 'cold.warm'),
    row('no engine running, cold: analysed in the CLI, which then starts the checkout\'s own engine', 'own.cold'),
    row("no engine running, warm (nothing changed): the checkout's own engine, started by the call before", 'own.warm'),
    row("no engine running, one file changed (three edits, each then asked): the checkout's own engine", 'own.change', 'own.cold'),
    `| map | ${[...new Set(s.map)].join('; ')} | |`,
    '',
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(join(root, 'bench/context/engine-last-run.md'), `${[...lines, '```json', JSON.stringify(results), '```'].join('\n')}\n`);
