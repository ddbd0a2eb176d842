import { parse as parseToml } from 'smol-toml';
import type { CompleteRepoContext } from '@patchbay/contracts';
import { byText } from './text-order.js';

/** What manifests say about the project: dependencies, frameworks, and how to run its tests. */
export interface ProjectFacts {
  manifests: CompleteRepoContext['manifests'];
  dependencies: CompleteRepoContext['dependencies'];
  frameworks: string[];
  testCommand?: string;
  testFramework?: string;
  /** Manifest files the facts came from. */
  sources: string[];
}

const MANIFEST_KINDS: Readonly<Record<string, string>> = {
  'package.json': 'npm',
  'pnpm-lock.yaml': 'pnpm-lock',
  'yarn.lock': 'yarn-lock',
  'package-lock.json': 'npm-lock',
  'pyproject.toml': 'pyproject',
  'requirements.txt': 'pip',
  'setup.py': 'setuptools',
  'go.mod': 'go',
  'Cargo.toml': 'cargo',
  Makefile: 'make',
  'pytest.ini': 'pytest',
  'conftest.py': 'pytest',
};

export function manifestKind(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (/^requirements[\w.-]*\.txt$/.test(base)) return 'pip';
  return MANIFEST_KINDS[base];
}

/** Dependency names that reveal a framework. */
const FRAMEWORKS: ReadonlyArray<[RegExp, string]> = [
  [/^fastapi$/, 'FastAPI'], [/^django$/i, 'Django'], [/^flask$/i, 'Flask'], [/^express$/, 'Express'],
  [/^fastify$/, 'Fastify'], [/^@nestjs\/core$/, 'NestJS'], [/^next$/, 'Next.js'], [/^react$/, 'React'],
  [/^vue$/, 'Vue'], [/^@supabase\/supabase-js$|^supabase$/, 'Supabase'], [/^pg$|^postgres$|^psycopg2?(-binary)?$|^asyncpg$/, 'PostgreSQL'],
  [/^github\.com\/gin-gonic\/gin$/, 'Gin'], [/^actix-web$/, 'Actix'], [/^axum$/, 'Axum'],
];

/** Files whose presence reveals a framework even before its dependency is read. */
const FRAMEWORK_FILES: ReadonlyArray<[RegExp, string]> = [
  [/(^|\/)next\.config\.(js|mjs|cjs|ts)$/, 'Next.js'],
  [/(^|\/)nest-cli\.json$/, 'NestJS'],
  [/(^|\/)manage\.py$/, 'Django'],
  [/(^|\/)supabase\/config\.toml$/, 'Supabase'],
  [/(^|\/)nuxt\.config\.(js|ts|mjs)$/, 'Vue'],
  [/(^|\/)vue\.config\.(js|ts)$/, 'Vue'],
];

const PLACEHOLDER_TEST = /no test specified/;

/** Versions lockfiles pin, by package name (direct dependencies are looked up in it). */
export function lockedVersions(kind: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  try {
    if (kind === 'npm-lock') {
      const lock = JSON.parse(text) as { packages?: Record<string, { version?: string }>; dependencies?: Record<string, { version?: string }> };
      for (const [key, value] of Object.entries(lock.packages ?? {})) {
        const name = key.startsWith('node_modules/') ? key.slice('node_modules/'.length) : undefined;
        if (name && !name.includes('/node_modules/') && value.version) out.set(name, value.version);
      }
      for (const [name, value] of Object.entries(lock.dependencies ?? {})) if (value.version && !out.has(name)) out.set(name, value.version);
    } else if (kind === 'pnpm-lock') {
      // Only the importers section matters, and lockfiles are large: scan lines instead of parsing YAML.
      let inImporters = false;
      let name: string | undefined;
      for (const line of text.split('\n')) {
        if (/^\S/.test(line)) {
          if (inImporters) break;
          inImporters = line.startsWith('importers:');
          continue;
        }
        if (!inImporters) continue;
        const pkg = /^ {6}['"]?([^'":\s][^'":]*?)['"]?:\s*(\S*)\s*$/.exec(line);
        if (pkg) {
          name = pkg[1];
          if (pkg[2] && name && !out.has(name)) out.set(name, pkg[2].replace(/\(.*$/, ''));
          continue;
        }
        const version = /^ {8}version:\s*['"]?([^'"\s]+)/.exec(line);
        if (version?.[1] && name && !out.has(name) && !version[1].startsWith('link:')) out.set(name, version[1].replace(/\(.*$/, ''));
      }
    } else if (kind === 'yarn-lock') {
      for (const m of text.matchAll(/^"?((?:@[^@/\s"]+\/)?[^@\s",]+)@[^\n]*:\n\s+version:? "?([^"\n]+)"?/gm)) {
        if (m[1] && m[2] && !out.has(m[1])) out.set(m[1], m[2]);
      }
    }
  } catch {
    // A lockfile that does not parse pins nothing.
  }
  return out;
}

function packageManager(paths: ReadonlySet<string>, dir: string): string {
  const at = (f: string) => paths.has(dir ? `${dir}/${f}` : f) || paths.has(f);
  if (at('pnpm-lock.yaml')) return 'pnpm';
  if (at('yarn.lock')) return 'yarn';
  if (at('bun.lockb')) return 'bun';
  return 'npm';
}

function jsTestFramework(script: string, deps: ReadonlySet<string>): string | undefined {
  for (const fw of ['vitest', 'jest', 'mocha', 'ava', 'tap']) if (script.includes(fw) || deps.has(fw)) return fw;
  if (/node\s+(--[\w-]+\s+)*--test/.test(script)) return 'node:test';
  return undefined;
}

function pythonDeps(text: string, manifest: string): CompleteRepoContext['dependencies'] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l && !l.startsWith('-'))
    .map((l) => {
      const m = /^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)$/.exec(l);
      return { name: (m?.[1] ?? l).toLowerCase(), ...(m?.[2] ? { version: m[2] } : {}), manifest, dev: /dev|test/.test(manifest) };
    });
}

/** Reads the manifests present (root first) into facts. `read` returns a file's text. */
export function projectFacts(paths: readonly string[], read: (path: string) => string | undefined): ProjectFacts {
  const all = new Set(paths);
  const manifests = paths
    .filter((p) => !p.includes('node_modules/'))
    .flatMap((p) => {
      const kind = manifestKind(p);
      return kind ? [{ path: p, kind }] : [];
    })
    .sort((a, b) => a.path.split('/').length - b.path.split('/').length || byText(a.path, b.path));
  const dependencies: CompleteRepoContext['dependencies'] = [];
  const sources: string[] = [];
  let testCommand: string | undefined;
  let testFramework: string | undefined;

  for (const { path, kind } of manifests) {
    const text = read(path);
    if (text === undefined) continue;
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    try {
      if (kind === 'npm') {
        const pkg = JSON.parse(text) as {
          scripts?: Record<string, string>;
          dependencies?: Record<string, string>;
          devDependencies?: Record<string, string>;
        };
        for (const [name, version] of Object.entries(pkg.dependencies ?? {})) dependencies.push({ name, version, manifest: path, dev: false });
        for (const [name, version] of Object.entries(pkg.devDependencies ?? {})) dependencies.push({ name, version, manifest: path, dev: true });
        const script = pkg.scripts?.['test'];
        if (testCommand === undefined && script && !PLACEHOLDER_TEST.test(script)) {
          const pm = packageManager(all, dir);
          testCommand = `${dir ? `cd ${dir} && ` : ''}${pm === 'npm' ? 'npm test' : `${pm} test`}`;
          testFramework = jsTestFramework(script, new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })));
          sources.push(path);
        }
      } else if (kind === 'pip') {
        dependencies.push(...pythonDeps(text, path));
      } else if (kind === 'pyproject') {
        const toml = parseToml(text) as {
          project?: { dependencies?: string[]; 'optional-dependencies'?: Record<string, string[]> };
          tool?: { pytest?: unknown; poetry?: { dependencies?: Record<string, unknown>; 'dev-dependencies'?: Record<string, unknown> } };
        };
        dependencies.push(...pythonDeps((toml.project?.dependencies ?? []).join('\n'), path));
        for (const list of Object.values(toml.project?.['optional-dependencies'] ?? {})) {
          dependencies.push(...pythonDeps(list.join('\n'), `${path} (optional)`).map((d) => ({ ...d, dev: true })));
        }
        for (const name of Object.keys(toml.tool?.poetry?.dependencies ?? {})) {
          if (name !== 'python') dependencies.push({ name: name.toLowerCase(), manifest: path, dev: false });
        }
        if (toml.tool?.pytest !== undefined) testFramework ??= 'pytest';
      } else if (kind === 'go') {
        for (const m of text.matchAll(/^\s*(?:require\s+)?([\w.-]+\.[\w./-]+)\s+(v[\w.+-]+)/gm)) {
          dependencies.push({ name: m[1] ?? '', version: m[2] ?? '', manifest: path, dev: false });
        }
        if (testCommand === undefined) {
          testCommand = `${dir ? `cd ${dir} && ` : ''}go test ./...`;
          testFramework = 'go test';
          sources.push(path);
        }
      } else if (kind === 'cargo') {
        const toml = parseToml(text) as { dependencies?: Record<string, unknown>; 'dev-dependencies'?: Record<string, unknown> };
        for (const name of Object.keys(toml.dependencies ?? {})) dependencies.push({ name, manifest: path, dev: false });
        for (const name of Object.keys(toml['dev-dependencies'] ?? {})) dependencies.push({ name, manifest: path, dev: true });
        if (testCommand === undefined) {
          testCommand = `${dir ? `cd ${dir} && ` : ''}cargo test`;
          testFramework = 'cargo test';
          sources.push(path);
        }
      } else if (kind === 'pytest') {
        testFramework ??= 'pytest';
      }
    } catch {
      // A manifest that does not parse tells us nothing; the rest still count.
    }
  }

  const hasPythonTests = paths.some((p) => /(^|\/)test_[^/]+\.py$|_test\.py$/.test(p));
  if (testCommand === undefined && (testFramework === 'pytest' || dependencies.some((d) => d.name === 'pytest'))) {
    testCommand = 'python3 -m pytest -q';
    testFramework = 'pytest';
    sources.push(...manifests.filter((m) => ['pyproject', 'pip', 'pytest'].includes(m.kind)).map((m) => m.path));
  } else if (testCommand === undefined && hasPythonTests) {
    testCommand = 'python3 -m unittest discover -v';
    testFramework = 'unittest';
  }
  if (testCommand === undefined && all.has('Makefile') && /^test:/m.test(read('Makefile') ?? '')) {
    testCommand = 'make test';
    sources.push('Makefile');
  }

  // Lockfiles pin what the manifests ask for: the root's first, then each package's own.
  for (const { path, kind } of manifests) {
    if (!['npm-lock', 'pnpm-lock', 'yarn-lock'].includes(kind)) continue;
    const text = read(path);
    if (text === undefined) continue;
    const locked = lockedVersions(kind, text);
    for (const dep of dependencies) {
      const version = locked.get(dep.name);
      if (version !== undefined && dep.resolved === undefined && !dep.manifest.includes('(optional)')) dep.resolved = version;
    }
  }

  const names = new Set(dependencies.map((d) => d.name));
  const frameworks = FRAMEWORKS.flatMap(([re, name]) => ([...names].some((n) => re.test(n)) ? [name] : []));
  for (const [re, name] of FRAMEWORK_FILES) {
    if (!frameworks.includes(name) && paths.some((p) => re.test(p) && !p.includes('node_modules/'))) frameworks.push(name);
  }
  return {
    manifests,
    dependencies,
    frameworks: [...new Set(frameworks)],
    ...(testCommand !== undefined ? { testCommand } : {}),
    ...(testFramework !== undefined ? { testFramework } : {}),
    sources: [...new Set(sources)],
  };
}
