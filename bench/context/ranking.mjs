#!/usr/bin/env node
/**
 * How well the ranking finds the files a change touched, replaying a repository's history:
 * for each commit, its subject is the task and the parent commit is the repository; the
 * files the commit modified (code files that existed at the parent) are what a good ranking
 * puts first. Run from the repository root after `npm run build`:
 *
 *   node bench/context/ranking.mjs [--repo .] [--at HEAD] [--commits 100] [--build <another checkout, built>]
 *
 * Prints, over the commits that modified code: recall at 5, 10 and 20 (the share of modified
 * files among the first k ranked, averaged per commit), how often at least one is in the first
 * 10, and the mean reciprocal rank of the first one found in the listed ranking (30 files).
 * `--at` fixes the last commit replayed (the results stay reproducible as history grows);
 * `--build` ranks with another build of patchbay (e.g. a worktree of an older commit) the same
 * way. The shared cache is in memory: no NATS needed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchOptions, root } from '../options.mjs';

const { text, count } = benchOptions();
const repo = resolve(text('--repo', root));
const build = resolve(text('--build', root));
const at = text('--at', 'HEAD');
const COMMITS = count('--commits', 100);

const engine = await import(pathToFileURL(join(build, 'services/context-engine/dist/index.js')).href);
const { createGitWorkspace } = await import(pathToFileURL(join(build, 'packages/workspace/dist/index.js')).href);
const git = (...a) => execFileSync('git', a, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();

const CODE = /\.(ts|tsx|js|jsx|mjs|cjs|py|go)$/;
const commits = git('log', '--no-merges', '--format=%H%x00%P%x00%s', '-n', String(COMMITS), at)
  .split('\n')
  .map((line) => line.split('\0'))
  .filter(([, parents]) => parents && !parents.includes(' '))
  .reverse();

const work = mkdtempSync(join(tmpdir(), 'patchbay-bench-ranking-'));
const mirrors = createGitWorkspace(work);
const cache = engine.memoryContextCache();
const options = { cache, parser: engine.loadSymbolParser, maxFileBytes: 1_000_000 };
const rows = [];
try {
  for (const [commit, parent, subject] of commits) {
    const modified = git('diff', '--name-status', '--no-renames', parent, commit)
      .split('\n')
      .flatMap((line) => {
        const [status, path] = line.split('\t');
        return status === 'M' && path && CODE.test(path) && !/(^|\/)(dist|node_modules)\//.test(path) ? [path] : [];
      });
    if (modified.length === 0) continue;
    const source = engine.commitSource(mirrors, repo, await mirrors.resolveCommit(repo, parent));
    const { context } = await engine.contextForTask(source, { title: subject, mapBudget: 4096, fileBudgetChars: 24_000, knownSecrets: [] }, options);
    const order = context.repoMap.ranked.map((r) => r.path);
    const within = (k) => modified.filter((p) => order.slice(0, k).includes(p)).length / modified.length;
    const first = order.findIndex((p) => modified.includes(p));
    rows.push({ commit: commit.slice(0, 7), files: modified.length, r5: within(5), r10: within(10), r20: within(20), hit10: within(10) > 0, rr: first < 0 ? 0 : 1 / (first + 1) });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const mean = (f) => rows.reduce((n, r) => n + f(r), 0) / rows.length;
const pct = (x) => `${(x * 100).toFixed(1)}%`;
process.stdout.write(
  [
    `repository ${repo}, the history up to ${git('rev-parse', '--short', at)}; ranked by the build in ${build} (${git('-C', build, 'rev-parse', '--short', 'HEAD')})`,
    `${rows.length} commits that modified code (of the last ${COMMITS}), ${rows.reduce((n, r) => n + r.files, 0)} modified code files`,
    '',
    '| recall@5 | recall@10 | recall@20 | a modified file in the first 10 | mean reciprocal rank |',
    '|---|---|---|---|---|',
    `| ${pct(mean((r) => r.r5))} | ${pct(mean((r) => r.r10))} | ${pct(mean((r) => r.r20))} | ${pct(mean((r) => (r.hit10 ? 1 : 0)))} | ${mean((r) => r.rr).toFixed(3)} |`,
    '',
  ].join('\n'),
);
