/**
 * The trees the context benchmarks analyse, and the cache they empty between cold runs: a
 * large real source tree (every installed package's sources), this project's tracked files,
 * and a small repository a warm worker serves first.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { connectBus, ensureTopology } from '../../packages/bus/dist/index.js';
import { root } from '../options.mjs';

const SOURCE = /\.(js|mjs|cjs|ts|mts|cts|tsx|jsx|json|md)$/;
const MAX_FILE = 1_000_000;

export function git(dir, ...gitArgs) {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...gitArgs], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`git ${gitArgs.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Every installed package's sources (JS/TS/JSON/Markdown up to 1 MB), one directory per package@version. */
export function buildLargeTree(dir) {
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
export function buildSelfTree(dir) {
  const list = git(root, 'ls-files', '-z').split('\0').filter(Boolean);
  let bytes = 0;
  let files = 0;
  for (const path of list) {
    const from = join(root, path);
    if (!existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    cpSync(from, join(dir, path));
    bytes += statSync(from).size;
    files += 1;
  }
  return { files, bytes, packages: 1 };
}

/**
 * The repository a warm worker served before (never the measured one): 40 modules, about
 * 600 KB, enough that building its analysis uses a parsing thread.
 */
export function buildOtherRepo(dir) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'other', type: 'module', scripts: { test: 'node --test' } }));
  for (let i = 0; i < 40; i++) {
    const next = (i + 1) % 40;
    const steps = Array.from({ length: 180 }, (_, k) => `export function step${i}x${k}(value: number): number {\n  return helper${next}(value + ${k});\n}\n`);
    writeFileSync(join(dir, 'src', `module${i}.ts`), `import { helper${next} } from './module${next}.js';\n\nexport function helper${i}(value: number): number {\n  return value > 100 ? value : helper${next}(value + ${i});\n}\n\n${steps.join('\n')}`);
  }
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'other');
}

export async function clearContextCache(url) {
  const bus = await connectBus({ url, name: 'bench-reset' });
  for await (const name of bus.jsm.streams.names()) if (/^(KV_patchbay-context|OBJ_patchbay-context)/.test(name)) await bus.jsm.streams.delete(name);
  await ensureTopology(bus);
  await bus.drain();
}

/** A git repository of `build`'s files, committed. */
export function commitTree(dir, build) {
  const shape = build(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'bench tree');
  return shape;
}
