#!/usr/bin/env node
/**
 * Context engine benchmark: cold analysis, warm (nothing changed) and incremental (one file
 * changed) on a large real source tree and on this project, side by side with repomix packing
 * the same tree. Run from the repository root after `npm run build`:
 *
 *   node bench/context/run.mjs                 # both trees, 3 runs of everything
 *   node bench/context/run.mjs self --runs 5   # only this project
 *
 * Every number says which path it is ("service": a commit read from the worker's mirror, what
 * tasks use; "worktree": a checkout as it is on disk, what `patchbay context` uses) and which
 * worker: a new process (Node just started: nothing compiled, no grammar loaded), a warm worker
 * (a running process that served another repository, never this one: everything it knows about
 * this one comes from the shared cache), or the same worker that analysed the state before.
 * Medians with min–max over the runs; the raw samples go to bench/context/last-run.md.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { findNatsServerBinary, startLocalNatsServer } from '../../packages/nats-local/dist/index.js';
import { root } from '../options.mjs';
import { fmt, median, pct, timed } from '../samples.mjs';
import { buildLargeTree, buildOtherRepo, buildSelfTree, clearContextCache, commitTree, git } from './trees.mjs';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const only = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--runs');
const say = (text) => process.stderr.write(`bench: ${text}\n`);

let workdir;
let url;
const measure = (steps) => {
  const run = timed(process.execPath, [join(root, 'bench/context/measure.mjs'), url, workdir, JSON.stringify(steps)]);
  const out = JSON.parse(run.stdout.trim().split('\n').pop());
  return { ...out, wallMs: run.wallMs };
};
const analyzed = (out) => out.results.filter((r) => r.op === 'analyze');

async function benchTree(name, build, task, changeFile, other) {
  const dir = mkdtempSync(join(tmpdir(), `patchbay-bench-${name}-`));
  const samples = {};
  const add = (key, value) => (samples[key] ??= []).push(value);
  const expectVia = (r, via, what) => {
    if (r.via !== via) throw new Error(`${name}: ${what} went via ${r.via}${r.why ? ` (${r.why})` : ''}, not ${via}`);
    return r;
  };
  try {
    say(`${name}: building the tree in ${dir}`);
    const shape = commitTree(dir, build);
    say(`${name}: ${shape.files} files, ${(shape.bytes / 1e6).toFixed(1)} MB`);
    const target = changeFile(dir);
    const an = (path) => ({ op: 'analyze', path, repo: dir });
    const rq = (path) => ({ op: 'request', path, repo: dir, task });
    const change = (commit) => ({ op: 'change', repo: dir, file: target, commit });
    let edits = 0;
    const changeNow = (commit) => {
      edits += 1;
      appendFileSync(join(dir, target), `\nexport function benchEdit${edits}(value: number): number {\n  return value + ${edits};\n}\n`);
      if (commit) git(dir, 'commit', '-qam', `bench edit ${edits}`);
    };
    const warmup = { op: 'warmup', repo: other };
    // Another file starts using what the changed file defines: a change that rewires the reference graph.
    const user = neighbourTs(dir, target);
    let uses = 0;
    const useNow = () => {
      uses += 1;
      appendFileSync(join(dir, user), `\nexport const benchUses${uses} = benchEdit1;\n`);
      git(dir, 'commit', '-qam', `bench use ${uses}`);
    };

    for (let run = 1; run <= RUNS; run++) {
      say(`${name}: cold and repomix, run ${run} of ${RUNS}`);
      const out = join(tmpdir(), `repomix-${name}-${process.pid}.txt`);
      const repomix = timed(process.execPath, [join(root, 'node_modules/repomix/bin/repomix.cjs'), '--style', 'plain', '--quiet', '--output', out, dir]);
      rmSync(out, { force: true });
      add('repomix.wall', repomix.wallMs);
      add('repomix.rss', repomix.maxRssMb);
      for (const path of ['worktree', 'service']) {
        await clearContextCache(url);
        const cold = measure([an(path)]);
        const [r] = analyzed(cold);
        expectVia(r, 'built', `cold ${path}`);
        add(`${path}.cold`, r.ms);
        add(`${path}.cold.wall`, cold.wallMs);
        add(`${path}.cold.rss`, cold.maxRssMb);
        add('files', r.files);
        add('symbols', r.symbols);
        // A running worker's first analysis of this tree: it has just built another repository's (cache emptied first), so its parsing thread is up and warm.
        await clearContextCache(url);
        const [inWorker] = analyzed(measure([warmup, an(path)]));
        add(`${path}.cold.worker`, expectVia(inWorker, 'built', `cold ${path} in a warm worker`).ms);
      }
    }

    for (let run = 1; run <= RUNS; run++) {
      say(`${name}: warm, run ${run} of ${RUNS}`);
      for (const path of ['worktree', 'service']) {
        const fresh = measure([an(path), ...Array(5).fill(an(path)), rq(path), rq(path)]);
        const [first, ...again] = analyzed(fresh);
        add(`${path}.warm.new`, expectVia(first, 'shared cache', `warm ${path}`).ms);
        for (const r of again) add(`${path}.warm.same`, expectVia(r, 'memory', `warm ${path} again`).ms);
        const [request, requestAgain] = fresh.results.filter((r) => r.op === 'request');
        add(`${path}.request.first`, request.ms);
        add(`${path}.request.again`, requestAgain.ms);
        add('map', `${request.mapTokens} tokens, ${request.mapFiles} files, ${request.mapSymbols} symbols`);
        const worker = measure([warmup, an(path), rq(path)]);
        add(`${path}.warm.worker`, expectVia(analyzed(worker)[0], 'shared cache', `warm ${path} on a warm worker`).ms);
        add(`${path}.request.worker`, worker.results.find((r) => r.op === 'request').ms);
        add(`${path}.warm.rss`, fresh.maxRssMb);
      }
    }

    say(`${name}: one file changed (${target}), service path: a new commit`);
    for (let run = 1; run <= RUNS; run++) {
      changeNow(true);
      add('service.change.new', expectVia(analyzed(measure([an('service')]))[0], 'patched', 'service change, new process').ms);
      changeNow(true);
      add('service.change.worker', expectVia(analyzed(measure([warmup, an('service')]))[0], 'patched', 'service change, warm worker').ms);
    }
    say(`${name}: one file changed to use a name ${target} defines (${user}): the reference graph changes`);
    for (let run = 1; run <= RUNS; run++) {
      useNow();
      add('service.rewire.new', expectVia(analyzed(measure([an('service')]))[0], 'patched', 'service rewiring change, new process').ms);
      useNow();
      add('service.rewire.worker', expectVia(analyzed(measure([warmup, an('service')]))[0], 'patched', 'service rewiring change, warm worker').ms);
    }
    // The same worker: it analysed the state before (its first change here loaded the parser, as in a new process; not counted).
    const sameService = measure(Array.from({ length: RUNS + 1 }, () => [change(true), an('service')]).flat());
    for (const r of analyzed(sameService).slice(1)) add('service.change.same', expectVia(r, 'patched', 'service change, same worker').ms);

    say(`${name}: one file changed, working tree: an edit not committed`);
    for (let run = 1; run <= RUNS; run++) {
      changeNow(false);
      add('worktree.change.new', expectVia(analyzed(measure([an('worktree')]))[0], 'patched', 'worktree edit, new process').ms);
      changeNow(false);
      add('worktree.change.worker', expectVia(analyzed(measure([warmup, an('worktree')]))[0], 'patched', 'worktree edit, warm worker').ms);
    }
    const sameTree = measure(Array.from({ length: RUNS + 1 }, () => [change(false), an('worktree')]).flat());
    for (const r of analyzed(sameTree).slice(1)) add('worktree.change.same', expectVia(r, 'patched', 'worktree edit, same worker').ms);
    say(`${name}: one file changed, working tree: the edit committed (the repository's index changes too)`);
    for (let run = 1; run <= RUNS; run++) {
      changeNow(true);
      add('worktree.commit.new', expectVia(analyzed(measure([an('worktree')]))[0], 'patched', 'worktree commit, new process').ms);
    }
    say(`${name}: a file added`);
    for (let run = 1; run <= RUNS; run++) {
      const added = join(dirname(target), `bench-added-${run}.ts`);
      writeFileSync(join(dir, added), `import { benchEdit1 } from './${target.split('/').pop()?.replace(/\.ts$/, '.js')}';\n\nexport const benchAdded${run} = benchEdit1(${run});\n`);
      add('worktree.add.new', expectVia(analyzed(measure([an('worktree')]))[0], 'patched', 'worktree file added, new process').ms);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', `bench: ${added}`);
      add('service.add.new', expectVia(analyzed(measure([an('service')]))[0], 'patched', 'service file added, new process').ms);
    }
    return { name, shape, changed: target, samples };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tsFiles = (dir) => git(dir, 'ls-files').split('\n').filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'));
const middleTs = (dir) => {
  const list = tsFiles(dir);
  return list[Math.floor(list.length / 2)] ?? list[0];
};
/** The TypeScript file listed after `target` (before it, when it is the last). */
const neighbourTs = (dir, target) => {
  const list = tsFiles(dir);
  const at = list.indexOf(target);
  return list[at + 1] ?? list[at - 1];
};

let server;
url = process.env.NATS_URL;
if (!url) {
  const binary = findNatsServerBinary(process.env.PATH ?? '');
  if (!binary) throw new Error('no nats-server binary (apt-get install nats-server) and no NATS_URL');
  server = await startLocalNatsServer(binary);
  url = server.url;
}
workdir = mkdtempSync(join(tmpdir(), 'patchbay-bench-work-'));
const other = join(workdir, 'other');
buildOtherRepo(other);
const load = [loadavg()[0]];
const results = [];
try {
  if (only !== 'self') results.push(await benchTree('large', buildLargeTree, 'Fix the retry backoff in the request handler', middleTs, other));
  load.push(loadavg()[0]);
  if (only !== 'large') results.push(await benchTree('self', buildSelfTree, 'Fix the board write in packages/bus/src/board.ts', () => 'packages/bus/src/board.ts', other));
  load.push(loadavg()[0]);
} finally {
  await server?.stop();
  rmSync(workdir, { recursive: true, force: true });
}

const lines = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${load.map((l) => l.toFixed(1)).join(' → ')}; ${RUNS} runs, median (min–max)`,
  '',
];
for (const r of results) {
  const s = r.samples;
  lines.push(
    `### ${r.name}: ${r.shape.files} files, ${(r.shape.bytes / 1e6).toFixed(1)} MB (${median(s.files)} listed, ${median(s.symbols)} symbols); the change: a function appended to ${r.changed}`,
    '',
    '| | service: a commit in the worker\'s mirror | working tree: `patchbay context` |',
    '|---|---|---|',
    `| repomix pack (whole process) | ${fmt(s['repomix.wall'])}, ${fmt(s['repomix.rss'], 'MB')} | (same) |`,
    `| cold: whole process (Node start, imports, analysis, storing) | ${fmt(s['service.cold.wall'])}, ${fmt(s['service.cold.rss'], 'MB')} | ${fmt(s['worktree.cold.wall'])}, ${fmt(s['worktree.cold.rss'], 'MB')} |`,
    `| cold: analysis in the process | ${fmt(s['service.cold'])} | ${fmt(s['worktree.cold'])} |`,
    `| cold: analysis in a warm worker (it built another repository's analysis just before) | ${fmt(s['service.cold.worker'])} | ${fmt(s['worktree.cold.worker'])} |`,
    `| warm, new process | ${fmt(s['service.warm.new'])} | ${fmt(s['worktree.warm.new'])} |`,
    `| warm, warm worker (served another repository before, never this one) | ${fmt(s['service.warm.worker'])} | ${fmt(s['worktree.warm.worker'])} |`,
    `| warm, same worker | ${fmt(s['service.warm.same'])} | ${fmt(s['worktree.warm.same'])} |`,
    `| one file changed, new process | ${fmt(s['service.change.new'])} = ${pct(s['service.change.new'], s['service.cold'])} of cold | ${fmt(s['worktree.change.new'])} = ${pct(s['worktree.change.new'], s['worktree.cold'])} of cold (edit not committed) |`,
    `| one file changed, warm worker | ${fmt(s['service.change.worker'])} = ${pct(s['service.change.worker'], s['service.cold'])} | ${fmt(s['worktree.change.worker'])} = ${pct(s['worktree.change.worker'], s['worktree.cold'])} |`,
    `| one file changed, same worker (it analysed the state before) | ${fmt(s['service.change.same'])} = ${pct(s['service.change.same'], s['service.cold'])} | ${fmt(s['worktree.change.same'])} = ${pct(s['worktree.change.same'], s['worktree.cold'])} |`,
    `| one file changed to use a name the first defines (the reference graph changes, so PageRank runs): new process / warm worker | ${fmt(s['service.rewire.new'])} = ${pct(s['service.rewire.new'], s['service.cold'])} / ${fmt(s['service.rewire.worker'])} = ${pct(s['service.rewire.worker'], s['service.cold'])} | (not measured) |`,
    `| one file changed and committed, new process | (above) | ${fmt(s['worktree.commit.new'])} = ${pct(s['worktree.commit.new'], s['worktree.cold'])} |`,
    `| a file added, new process | ${fmt(s['service.add.new'])} = ${pct(s['service.add.new'], s['service.cold'])} (committed) | ${fmt(s['worktree.add.new'])} = ${pct(s['worktree.add.new'], s['worktree.cold'])} (not yet committed) |`,
    `| whole request on warm (analysis, rank, map, files): first in a new process / again / warm worker | ${fmt(s['service.request.first'])} / ${fmt(s['service.request.again'])} / ${fmt(s['service.request.worker'])} | ${fmt(s['worktree.request.first'])} / ${fmt(s['worktree.request.again'])} / ${fmt(s['worktree.request.worker'])} |`,
    `| peak memory, warm process | ${fmt(s['service.warm.rss'], 'MB')} | ${fmt(s['worktree.warm.rss'], 'MB')} |`,
    `| map (budget 4096 tokens) | ${[...new Set(s.map)].join('; ')} | |`,
    '',
  );
}
const report = [...lines, '```json', JSON.stringify(results), '```'].join('\n');
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(join(root, 'bench/context/last-run.md'), `${report}\n`);
