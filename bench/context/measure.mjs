#!/usr/bin/env node
/**
 * One context-engine worker, in a fresh process, running a list of steps and timing each:
 *
 *   node measure.mjs <nats-url> <workdir> '<steps as JSON>'
 *
 * Steps: {op: 'analyze', path: 'service' | 'worktree', repo}: analyzeRepository (the number the
 * targets are about); {op: 'request', path, repo, task}: a whole context request (analysis,
 * ranking, repo map at the default 4096-token budget, relevant files); {op: 'change', repo,
 * file, commit}: append a function to a file, and commit it or leave it uncommitted;
 * {op: 'warmup', repo}: serve requests for another repository first (after an edit there, so
 * that it parses too), making this process a running worker (code compiled, the TypeScript
 * grammar loaded, connections open) that has never seen the measured repository. Prints one JSON line: each step's result and the process's peak RSS.
 *
 * "service" is what the context-engine service does for a task: the commit, read from the
 * worker's mirror of the repository (the ref is resolved, i.e. fetched, before the clock
 * starts, as the handler does before analysing). "worktree" is what `patchbay context` does
 * for a local checkout: the working tree as it is, uncommitted changes included.
 */
import { appendFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connectBus } from '../../packages/bus/dist/index.js';
import { analyzeRepository, commitSource, contextForTask, loadSymbolParser, openContextCache, workingTreeSource } from '../../services/context-engine/dist/index.js';
import { createGitWorkspace } from '../../packages/workspace/dist/index.js';

const [url, workdir, stepsJson] = process.argv.slice(2);
const steps = JSON.parse(stepsJson);
const bus = await connectBus({ url, name: 'bench-context' });
const cache = await openContextCache(bus);
const mirrors = createGitWorkspace(join(workdir, 'service'));
// As the service and the CLI do: the answer does not wait for the store; the next step does.
const options = { cache, parser: loadSymbolParser, maxFileBytes: 1_000_000, storeBehind: true };
const git = (dir, ...args) =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' }).trim();

async function sourceFor(path, repo) {
  if (path === 'service') {
    const commit = await mirrors.resolveCommit(repo, 'HEAD');
    return commitSource(mirrors, repo, commit);
  }
  return workingTreeSource(repo, {
    maxFileBytes: 1_000_000,
    ttlMs: 60_000,
    stateDir: join(workdir, 'index'),
    loadIndex: () => cache.getPointer(`dirty:${repo}`),
    saveIndex: (index) => cache.putPointer(`dirty:${repo}`, index),
  });
}

const ms = (t) => Math.round((performance.now() - t) * 10) / 10;
let changes = 0;
const results = [];
for (const step of steps) {
  if (step.op === 'analyze') {
    const source = await sourceFor(step.path, step.repo);
    const t = performance.now();
    const r = await analyzeRepository(source, options);
    const took = ms(t);
    await r.stored;
    results.push({ ...step, ms: took, via: r.route.via, why: r.route.why, parsed: r.stats.filesParsed, files: r.analysis.files.length, symbols: r.analysis.files.reduce((n, f) => n + (f.symbols ?? 0), 0) });
  } else if (step.op === 'request') {
    const source = await sourceFor(step.path, step.repo);
    const t = performance.now();
    const { context, stored } = await contextForTask(source, { title: step.task, mapBudget: 4096, fileBudgetChars: 24_000, knownSecrets: [] }, options);
    const took = ms(t);
    await stored;
    results.push({ ...step, ms: took, via: context.cache.analysis, mapTokens: context.repoMap.tokens, mapFiles: context.repoMap.files, mapSymbols: context.repoMap.symbols });
  } else if (step.op === 'change') {
    changes += 1;
    const name = `benchChanged${process.pid}x${changes}`;
    appendFileSync(join(step.repo, step.file), `\nexport function ${name}(value: number): number {\n  return value * ${changes + 1};\n}\n`);
    if (step.commit) git(step.repo, 'commit', '-qam', `bench: ${name}`);
    results.push({ ...step });
  } else if (step.op === 'warmup') {
    appendFileSync(join(step.repo, 'src/module0.ts'), `// warm-up ${process.pid}\n`);
    const source = () => workingTreeSource(step.repo, { maxFileBytes: 1_000_000, ttlMs: 60_000, stateDir: join(workdir, 'index'), loadIndex: async () => null, saveIndex: async () => {} });
    for (let i = 0; i < 3; i++) {
      await (await analyzeRepository(source(), options)).stored;
      await (await contextForTask(source(), { title: 'Warm up on another repository', mapBudget: 4096, fileBudgetChars: 24_000, knownSecrets: [] }, options)).stored;
    }
    results.push({ ...step });
  } else throw new Error(`unknown step ${step.op}`);
}
await bus.drain();
process.stdout.write(`${JSON.stringify({ results, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
