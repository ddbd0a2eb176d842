import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { Architecture } from '@patchbay/contracts';
import { isCode, isNoise, isTestFile, languageOf } from './languages.js';
import { byText } from './text-order.js';

type Read = (path: string) => string | undefined;

/** The layered layout (seed 002): each layer and the directory names that mean it. */
export const LAYERS: ReadonlyArray<[string, readonly string[]]> = [
  ['routes', ['routes', 'routers', 'router', 'controllers', 'endpoints', 'api', 'handlers']],
  ['services', ['services', 'service', 'usecases', 'use_cases']],
  ['repositories', ['repositories', 'repository', 'repos', 'dao', 'data_access']],
  ['transformers', ['transformers', 'transformer', 'mappers', 'serializers', 'converters']],
  ['domain_models', ['domain_models', 'models', 'domain', 'entities', 'schemas']],
];

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const stemOf = (p: string) => (p.split('/').pop() ?? p).replace(/\.(test|spec)(?=\.)/, '').replace(/\.[^.]+$/, '').replace(/^test_|_test$/, '');

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/\/+$/, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]+').replace(/\u0000/g, '.+');
  return new RegExp(`^${body}$`);
}

/** Workspace package directories a monorepo declares, and by what. */
export function workspaces(paths: readonly string[], read: Read): { tool?: string; dirs: string[]; sources: string[] } {
  const globs: string[] = [];
  const sources: string[] = [];
  let tool: string | undefined;
  const json = (p: string) => {
    try {
      return JSON.parse(read(p) ?? 'null') as Record<string, unknown> | null;
    } catch {
      return null;
    }
  };
  const set = new Set(paths);
  if (set.has('pnpm-workspace.yaml')) {
    try {
      const y = parseYaml(read('pnpm-workspace.yaml') ?? '') as { packages?: string[] } | null;
      globs.push(...(y?.packages ?? []));
      tool = 'pnpm workspaces';
      sources.push('pnpm-workspace.yaml');
    } catch {
      // Unreadable workspace file: no workspaces from it.
    }
  }
  const pkg = set.has('package.json') ? json('package.json') : null;
  const ws = pkg?.['workspaces'];
  const list = Array.isArray(ws) ? ws : ws && typeof ws === 'object' ? (ws as { packages?: unknown }).packages : undefined;
  if (Array.isArray(list) && list.length) {
    globs.push(...list.filter((g): g is string => typeof g === 'string'));
    tool ??= set.has('yarn.lock') ? 'yarn workspaces' : 'npm workspaces';
    sources.push('package.json');
  }
  if (set.has('lerna.json')) {
    const lerna = json('lerna.json') as { packages?: string[] } | null;
    globs.push(...(lerna?.packages ?? ['packages/*']));
    tool ??= 'lerna';
    sources.push('lerna.json');
  }
  if (set.has('go.work')) {
    for (const m of (read('go.work') ?? '').matchAll(/^\s*(?:use\s+)?\.\/([^\s)]+)/gm)) if (m[1]) globs.push(m[1]);
    tool ??= 'go workspaces';
    sources.push('go.work');
  }
  if (set.has('Cargo.toml')) {
    try {
      const cargo = parseToml(read('Cargo.toml') ?? '') as { workspace?: { members?: string[] } };
      if (cargo.workspace?.members?.length) {
        globs.push(...cargo.workspace.members);
        tool ??= 'cargo workspaces';
        sources.push('Cargo.toml');
      }
    } catch {
      // Not TOML: no workspace.
    }
  }
  const manifestDirs = new Set(
    paths.filter((p) => /(^|\/)(package\.json|go\.mod|Cargo\.toml|pyproject\.toml)$/.test(p) && !isNoise(p)).map(dirOf).filter(Boolean),
  );
  const included = globs.filter((g) => !g.startsWith('!')).map(globToRegExp);
  const excluded = globs.filter((g) => g.startsWith('!')).map((g) => globToRegExp(g.slice(1)));
  const dirs = [...manifestDirs].filter((d) => included.some((re) => re.test(d)) && !excluded.some((re) => re.test(d))).sort();
  return { ...(tool !== undefined ? { tool } : {}), dirs, sources };
}

const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs']);
const SOURCE_ROOTS = new Set(['src', 'lib', 'app', 'pkg', 'internal']);

/** How tests sit relative to the code: in a tree mirroring the source tree, beside it, or apart. */
export function testLayout(paths: readonly string[]): Architecture['testLayout'] {
  const code = paths.filter((p) => isCode(languageOf(p)) && !isNoise(p));
  const tests = code.filter(isTestFile);
  if (tests.length === 0) return 'none';
  const sources = code.filter((p) => !isTestFile(p));
  // A source file is known by its path below the source root, without extension.
  const keyOf = (p: string) => {
    const parts = dirOf(p).split('/').filter((s) => s && !SOURCE_ROOTS.has(s) && !TEST_DIRS.has(s));
    return [...parts, stemOf(p)].join('/');
  };
  const sourceKeys = new Set(sources.map(keyOf));
  const sourceByDirStem = new Set(sources.map((p) => `${dirOf(p)}/${stemOf(p)}`));
  let mirrored = 0;
  let colocated = 0;
  let apart = 0;
  for (const t of tests) {
    const inTestDir = t.split('/').some((s) => TEST_DIRS.has(s));
    if (!inTestDir && sourceByDirStem.has(`${dirOf(t)}/${stemOf(t)}`)) colocated += 1;
    else if (inTestDir && sourceKeys.has(keyOf(t))) mirrored += 1;
    else if (inTestDir) apart += 1;
    else colocated += 1;
  }
  const total = tests.length;
  if (mirrored / total >= 0.5) return 'mirrored';
  if (colocated / total >= 0.5) return 'colocated';
  if ((apart + mirrored) / total >= 0.5) return 'separate';
  return 'mixed';
}

const ENTRY = /(^|\/)(main\.(ts|js|mjs|py|go)|index\.(ts|js|mjs)|app\.(ts|js|py)|server\.(ts|js)|manage\.py|wsgi\.py|asgi\.py|__main__\.py)$/;

/** Layers, workspaces, test layout and entry points, read from the paths and workspace manifests. */
export function detectArchitecture(paths: readonly string[], read: Read): Architecture & { sources: string[] } {
  const dirs = new Set<string>();
  for (const p of paths) {
    if (isNoise(p) || !isCode(languageOf(p))) continue;
    let d = dirOf(p);
    while (d) {
      dirs.add(d);
      d = dirOf(d);
    }
  }
  // Layers count when at least three sit side by side under one parent.
  const byParent = new Map<string, Map<string, string[]>>();
  for (const d of dirs) {
    const name = d.split('/').pop() ?? d;
    const layer = LAYERS.find(([, names]) => names.includes(name.toLowerCase()))?.[0];
    if (!layer || d.split('/').some((s) => TEST_DIRS.has(s))) continue;
    const parent = dirOf(d);
    const layers = byParent.get(parent) ?? new Map<string, string[]>();
    layers.set(layer, [...(layers.get(layer) ?? []), d]);
    byParent.set(parent, layers);
  }
  const found = new Map<string, string[]>();
  for (const layers of byParent.values()) {
    if (layers.size < 3) continue;
    for (const [layer, ds] of layers) found.set(layer, [...(found.get(layer) ?? []), ...ds]);
  }
  const layers = LAYERS.flatMap(([layer]) => (found.has(layer) ? [{ layer, dirs: (found.get(layer) ?? []).sort() }] : []));

  const ws = workspaces(paths, read);
  const layout = testLayout(paths);
  const patterns: string[] = [];
  if (layers.length >= 3) patterns.push(`layered (${layers.map((l) => l.layer).join(' → ')})`);
  if (ws.dirs.length > 0) patterns.push(`monorepo (${ws.tool ?? 'workspaces'}: ${ws.dirs.length} packages)`);
  if (layout === 'mirrored') patterns.push('src/test mirroring');
  if (layout === 'colocated') patterns.push('tests beside the code');
  const entryPoints = paths
    .filter((p) => ENTRY.test(p) && !isNoise(p) && !isTestFile(p) && p.split('/').length <= 4)
    .sort((a, b) => a.split('/').length - b.split('/').length || byText(a, b))
    .slice(0, 10);
  return { patterns, layers, workspaces: ws.dirs, testLayout: layout, entryPoints, sources: ws.sources };
}
