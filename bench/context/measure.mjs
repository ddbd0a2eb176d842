#!/usr/bin/env node
/**
 * One measurement in a fresh process, as a new context-engine worker would start:
 * `node measure.mjs <nats-url> <repo-dir> <task> <map-budget> [file-to-change]`. Prints one
 * JSON line. With a file to change, it then changes and commits it and analyses again in the
 * same process: one file changed, on the worker that analysed the state before.
 */
import { appendFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { connectBus } from '../../packages/bus/dist/index.js';
import { analyzeRepository, contextForTask, loadSymbolParser, openContextCache, workingTreeSource } from '../../services/context-engine/dist/index.js';

const [url, dir, task, budget, change] = process.argv.slice(2);
const bus = await connectBus({ url, name: 'bench-context' });
const cache = await openContextCache(bus);
const source = () =>
  workingTreeSource(dir, {
    maxFileBytes: 1_000_000,
    ttlMs: 60_000,
    loadIndex: () => cache.getPointer(`dirty:${dir}`),
    saveIndex: (index) => cache.putPointer(`dirty:${dir}`, index),
  });
const options = { cache, parser: loadSymbolParser, maxFileBytes: 1_000_000 };

let t = performance.now();
const first = await analyzeRepository(source(), options);
const analysisMs = performance.now() - t;
// The same worker asked again: its process memory answers.
t = performance.now();
const again = await analyzeRepository(source(), options);
const memoMs = performance.now() - t;
// A whole request: analysis (memo), ranking, repo map, relevant files.
t = performance.now();
const { context } = await contextForTask(source(), { title: task, mapBudget: Number(budget), fileBudgetChars: 24_000, knownSecrets: [] }, options);
const requestMs = performance.now() - t;
let sameWorker;
if (change) {
  appendFileSync(`${dir}/${change}`, '\nexport function benchSameWorker(value: number): number {\n  return value + 1;\n}\n');
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-qam', 'same worker change'], { cwd: dir });
  t = performance.now();
  const next = await analyzeRepository(source(), options);
  sameWorker = { analysis: next.stats.analysis, filesParsed: next.stats.filesParsed, ms: Math.round((performance.now() - t) * 10) / 10 };
}
await bus.drain();
process.stdout.write(
  `${JSON.stringify({
    analysis: first.stats.analysis,
    filesParsed: first.stats.filesParsed,
    filesReused: first.stats.filesReused,
    files: first.analysis.files.length,
    analysisMs: Math.round(analysisMs * 10) / 10,
    memoMs: Math.round(memoMs * 10) / 10,
    memoHit: again.stats.analysis,
    requestMs: Math.round(requestMs * 10) / 10,
    mapTokens: context.repoMap.tokens,
    mapFiles: context.repoMap.files,
    mapSymbols: context.repoMap.symbols,
    symbols: first.analysis.files.reduce((n, f) => n + (f.symbols ?? 0), 0),
    unanalysed: first.analysis.unanalysed.length,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(sameWorker ? { sameWorker } : {}),
  })}\n`,
);
