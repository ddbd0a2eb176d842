#!/usr/bin/env node
/**
 * Assessment time, cold and cached: every analyser on a typical diff of a mid-sized
 * repository, with the analysis cache in a real JetStream KV bucket.
 *
 *   npm run build && node bench/quality/assess-time.mjs [--runs 3] [--commit <sha>] [--json]
 *
 * Scenarios:
 *   typescript  patchbay itself (about 200 files, TypeScript) at <commit>^, with <commit>'s diff
 *   polyglot    the same checkout plus a diff that adds the detection snippets (TypeScript,
 *               JavaScript, Python) and a shell script: every analyser runs
 * The repository's own test command is not run: it measures analysers, not a test suite.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBus, ensureTopology, openAnalysisCache } from '../../packages/bus/dist/index.js';
import { loadConfig, loadQualityConfig } from '../../packages/config/dist/index.js';
import { findNatsServerBinary, startLocalNatsServer } from '../../packages/nats-local/dist/index.js';
import { analyzeTree, touchedLines } from '../../services/quality-assessor/dist/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const runs = Number(arg('--runs', '3'));
const commit = arg('--commit', 'a305747');
const git = (cwd, ...args) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

const binary = findNatsServerBinary(process.env.PATH ?? '');
if (!binary) { console.error('needs nats-server (apt-get install nats-server)'); process.exit(1); }
const nats = await startLocalNatsServer(binary);
const bus = await connectBus({ url: nats.url, name: 'bench-assess-time' });
await ensureTopology(bus);
const kv = await openAnalysisCache(bus);
const settings = loadConfig({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '' } });
const quality = loadQualityConfig();
const work = mkdtempSync(join(tmpdir(), 'patchbay-bench-assess-'));

/** A checkout of `base` with `patch` applied and staged, as the assessor prepares it. */
function prepare(name, base, patch, extra = () => {}) {
  const dir = join(work, name);
  git(work, 'clone', '--quiet', '--no-checkout', root, dir);
  git(dir, 'checkout', '--quiet', '--detach', base);
  if (patch) execFileSync('git', ['apply', '--index', '-'], { cwd: dir, input: patch });
  extra(dir);
  git(dir, 'add', '-A');
  const diff = `${git(dir, 'diff', '--cached', '--no-renames', base)}\n`;
  return { dir, diff, files: execFileSync('git', ['ls-files'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').length };
}

const base = git(root, 'rev-parse', `${commit}^`).trim();
const patch = git(root, 'diff', '--no-renames', `${commit}^`, commit);
const scenarios = [
  { name: 'typescript', ...prepare('typescript', base, patch) },
  {
    name: 'polyglot',
    ...prepare('polyglot', base, patch, (dir) => {
      cpSync(join(root, 'bench/quality/snippets'), join(dir, 'snippets'), { recursive: true });
      cpSync(join(root, '.ci/run'), join(dir, 'snippets/run.sh'));
    }),
  },
];

let namespace = 0;
/** The KV cache under a fresh prefix: a cold run reads and writes the real bucket but finds nothing. */
const freshCache = () => { const p = `b${Date.now().toString(36)}${namespace++}`; return { get: (k) => kv.get(`${p}.${k}`), set: (k, v) => kv.set(`${p}.${k}`, v) }; };

async function once(s, cache) {
  const started = performance.now();
  const report = await analyzeTree({
    dir: s.dir,
    config: quality,
    cache,
    sandbox: { env: settings.sandboxEnv, isolation: settings.sandbox.isolation, hide: settings.sandboxHide, maxOutputBytes: 1_000_000 },
    scratch: join(work, `scratch-${namespace}-${Math.random().toString(36).slice(2)}`),
    touched: touchedLines(s.diff),
  });
  return { ms: performance.now() - started, report };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
let firstMs = 0;
try {
  // Warm up the process (module loading, tree-sitter wasm, first bwrap probe) so "cold" means a cold cache.
  firstMs = Math.round((await once(scenarios[0], freshCache())).ms);
  for (const s of scenarios) {
    const cold = [];
    const cached = [];
    let last;
    for (let i = 0; i < runs; i++) {
      const cache = freshCache();
      const c = await once(s, cache);
      cold.push(c.ms);
      const w = await once(s, cache);
      cached.push(w.ms);
      last = { c, w };
    }
    const changed = [...touchedLines(s.diff).values()].filter((f) => f.status !== 'deleted').length;
    results.push({
      scenario: s.name,
      repoFiles: s.files,
      changedFiles: changed,
      analysed: last.c.report.files,
      coldMs: Math.round(median(cold)),
      cachedMs: Math.round(median(cached)),
      ratio: median(cached) / median(cold),
      findings: last.c.report.findings.length,
      charged: last.c.report.findings.filter((f) => f.touched).length,
      isolated: last.c.report.isolated,
      analysers: last.c.report.analysers.filter((a) => a.status !== 'skipped').map((a) => `${a.name} ${a.durationMs} ms${a.status === 'ok' ? '' : ` (${a.status})`}`),
      cachedAll: last.w.report.analysers.filter((a) => a.status === 'ok').every((a) => a.cached === a.files),
    });
  }
} finally {
  await bus.drain();
  await nats.stop();
  rmSync(work, { recursive: true, force: true });
}

if (process.argv.includes('--json')) console.log(JSON.stringify({ commit, runs, firstMs, results }, null, 2));
else {
  console.log(`assessment time (median of ${runs}), diff of ${commit} on patchbay at ${commit}^, cache in JetStream KV`);
  console.log('');
  console.log('| scenario | files in repo | files changed / analysed | cold | cached | cached / cold | findings (charged) | isolated |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) console.log(`| ${r.scenario} | ${r.repoFiles} | ${r.changedFiles} / ${r.analysed} | ${r.coldMs} ms | ${r.cachedMs} ms | ${(r.ratio * 100).toFixed(1)}% | ${r.findings} (${r.charged}) | ${r.isolated ? 'yes' : 'no'} |`);
  console.log('');
  for (const r of results) console.log(`${r.scenario} cold, per analyser (they run in parallel): ${r.analysers.join(', ')}${r.cachedAll ? '' : ' — NOT all served from the cache'}`);
  const worst = Math.max(...results.map((r) => r.ratio));
  console.log(`the very first assessment in a new process (loading TypeScript, ESLint and the grammars, probing bwrap): ${firstMs} ms for the typescript scenario`);
  console.log('');
  console.log(`target: cached re-assessment under 10% of cold: ${worst < 0.1 ? 'met' : 'NOT met'} (worst ${(worst * 100).toFixed(1)}%)`);
}
