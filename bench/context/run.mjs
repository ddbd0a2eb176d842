#!/usr/bin/env node
/**
 * Context engine benchmark: cold analysis, warm (nothing changed) and incremental (one file
 * changed) on a large real source tree and on this project, side by side with repomix
 * packing the same tree. Run from the repository root after `npm run build`:
 *
 *   node bench/context/run.mjs            # both trees
 *   node bench/context/run.mjs self       # only this project
 *
 * Each measurement runs in a fresh Node process against a throwaway nats-server (or NATS_URL),
 * so "warm" is what a new worker gets from the shared cache, not from its own memory.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectBus, ensureTopology } from '../../packages/bus/dist/index.js';
import { findNatsServerBinary, startLocalNatsServer } from '../../packages/nats-local/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const only = process.argv[2];
const say = (text) => process.stderr.write(`bench: ${text}\n`);
const SOURCE = /\.(js|mjs|cjs|ts|mts|cts|tsx|jsx|json|md)$/;
const MAX_FILE = 1_000_000;

function git(dir, ...args) {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Every installed package's sources (JS/TS/JSON/Markdown up to 1 MB), one directory per package@version. */
function buildLargeTree(dir) {
  const store = join(root, 'node_modules', '.pnpm');
  const seen = new Set();
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(store).sort()) {
    const modules = join(store, entry, 'node_modules');
    if (!existsSync(modules)) continue;
    for (const scopeOrName of readdirSync(modules)) {
      const names = scopeOrName.startsWith('@') ? readdirSync(join(modules, scopeOrName)).map((n) => `${scopeOrName}/${n}`) : [scopeOrName];
      for (const name of names) {
        const pkgDir = join(modules, name);
        let version;
        try {
          version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
        } catch {
          continue;
        }
        const id = `${name}@${version}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const walk = (from) => {
          for (const item of readdirSync(from, { withFileTypes: true })) {
            const path = join(from, item.name);
            if (item.isDirectory() && item.name !== 'node_modules') walk(path);
            else if (item.isFile() && SOURCE.test(item.name)) {
              const size = statSync(path).size;
              if (size > MAX_FILE) continue;
              const target = join(dir, 'packages', id.replace('/', '__'), relative(pkgDir, path));
              mkdirSync(dirname(target), { recursive: true });
              cpSync(path, target);
              files += 1;
              bytes += size;
            }
          }
        };
        walk(pkgDir);
      }
    }
  }
  return { files, bytes, packages: seen.size };
}

/** This project's tracked files, as committed. */
function buildSelfTree(dir) {
  const list = git(root, 'ls-files', '-z').split('\0').filter(Boolean);
  let bytes = 0;
  for (const path of list) {
    const from = join(root, path);
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(from, join(dir, path));
    bytes += statSync(from).size;
  }
  return { files: list.length, bytes, packages: 1 };
}

function timed(cmd, args, env = {}) {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  const wallMs = performance.now() - started;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  return { wallMs: Math.round(wallMs), maxRssMb: Math.round(rssKb / 1024), stdout: r.stdout };
}

async function clearContextCache(url) {
  const bus = await connectBus({ url, name: 'bench-reset' });
  for await (const name of bus.jsm.streams.names()) if (/^(KV_patchbay-context|OBJ_patchbay-context)/.test(name)) await bus.jsm.streams.delete(name);
  await ensureTopology(bus);
  await bus.drain();
}

const measure = (url, dir, task, budget, change) => {
  const run = timed(process.execPath, [join(root, 'bench/context/measure.mjs'), url, dir, task, String(budget), ...(change ? [change] : [])]);
  return { ...JSON.parse(run.stdout.trim().split('\n').pop()), wallMs: run.wallMs };
};

async function benchTree(name, build, url, task, changeFile) {
  const dir = mkdtempSync(join(tmpdir(), `patchbay-bench-${name}-`));
  try {
    say(`${name}: building the tree in ${dir}`);
    const shape = build(dir);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'bench tree');
    say(`${name}: ${shape.files} files, ${(shape.bytes / 1e6).toFixed(1)} MB`);

    say(`${name}: repomix`);
    const out = join(tmpdir(), `repomix-${name}-${process.pid}.txt`);
    const repomix = timed(process.execPath, [join(root, 'node_modules/repomix/bin/repomix.cjs'), '--style', 'plain', '--quiet', '--output', out, dir]);
    rmSync(out, { force: true });

    await clearContextCache(url);
    say(`${name}: cold`);
    const cold = measure(url, dir, task, 4096);
    say(`${name}: warm`);
    const warm = measure(url, dir, task, 4096);
    const target = changeFile(dir);
    appendFileSync(join(dir, target), '\nexport function benchAddedFunction(value: number): number {\n  return value * 2;\n}\n');
    git(dir, 'commit', '-qam', 'one change');
    say(`${name}: incremental (${target} changed), then another change on the same worker`);
    const incremental = measure(url, dir, task, 4096, target);
    return { name, shape, repomix, cold, warm, incremental, changed: target };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const firstTs = (dir) => {
  const list = git(dir, 'ls-files').split('\n').filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'));
  return list[Math.floor(list.length / 2)] ?? list[0];
};

let server;
let url = process.env.NATS_URL;
if (!url) {
  const binary = findNatsServerBinary(process.env.PATH ?? '');
  if (!binary) throw new Error('no nats-server binary (apt-get install nats-server) and no NATS_URL');
  server = await startLocalNatsServer(binary);
  url = server.url;
}
const results = [];
try {
  if (only !== 'self') results.push(await benchTree('large', buildLargeTree, url, 'Fix the retry backoff in the request handler', firstTs));
  if (only !== 'large') results.push(await benchTree('self', buildSelfTree, url, 'Fix the board write in packages/bus/src/board.ts', () => 'packages/bus/src/board.ts'));
} finally {
  await server?.stop();
}

const row = (r) =>
  `| ${r.name} | ${r.shape.files} files, ${(r.shape.bytes / 1e6).toFixed(1)} MB | ${r.repomix.wallMs} ms (${r.repomix.maxRssMb} MB) | ${r.cold.analysisMs} ms in process, ${r.cold.wallMs} ms wall (${r.cold.maxRssMb} MB) | ${r.warm.analysis}: ${r.warm.analysisMs} ms (same worker again: ${r.warm.memoMs} ms) | new worker: ${r.incremental.analysisMs} ms (${Math.round((r.incremental.analysisMs / r.cold.analysisMs) * 1000) / 10}% of cold, ${r.incremental.filesParsed} parsed); same worker: ${r.incremental.sameWorker?.ms} ms (${Math.round(((r.incremental.sameWorker?.ms ?? 0) / r.cold.analysisMs) * 1000) / 10}%) | ${r.warm.requestMs} ms | ${r.warm.mapTokens} (${r.warm.mapFiles} files, ${r.warm.mapSymbols} of ${r.cold.symbols} symbols) |`;
const report = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  '',
  '| tree | size | repomix pack | cold analysis | warm (unchanged) | one file changed | request on warm (rank + map + files) | map tokens (budget 4096) |',
  '|---|---|---|---|---|---|---|---|',
  ...results.map(row),
  '',
  '```json',
  JSON.stringify(results, null, 1),
  '```',
].join('\n');
process.stdout.write(`${report}\n`);
writeFileSync(join(root, 'bench/context/last-run.md'), `${report}\n`);
