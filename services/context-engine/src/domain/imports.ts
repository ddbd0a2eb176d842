/** Resolves module specifiers to repository files, per language, without touching the disk. */

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

function normalize(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

const JS_EXTENSIONS = ['.ts', '.tsx', '.d.ts', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts'];

export interface ImportContext {
  has(path: string): boolean;
  /** Directory → non-test Go files in it. */
  goFiles(dir: string): readonly string[];
  goModules: ReadonlyArray<{ dir: string; module: string }>;
  /** Alias prefix (e.g. "@/", "@patchbay/bus") → repository directory or file it stands for. */
  aliases: ReadonlyArray<[string, string]>;
}

function jsCandidates(base: string): string[] {
  const stripped = base.replace(/\.(js|jsx|mjs|cjs)$/, '');
  const out = [base];
  for (const ext of JS_EXTENSIONS) out.push(`${stripped}${ext}`);
  for (const ext of JS_EXTENSIONS) out.push(`${base}/index${ext}`);
  out.push(`${base}/src/index.ts`, `${base}/src/index.js`);
  return out;
}

const pyCandidates = (module: string) => [`${module}.py`, `${module}/__init__.py`, `src/${module}.py`, `src/${module}/__init__.py`];

/**
 * Where an import of `spec` in `from` looks, before any file is checked: a JS/TS base path
 * (tried with extensions and index files), a Python module path, or a Go package directory.
 * Undefined when it looks nowhere in the repository (a package, a stdlib module).
 */
export function importProbe(from: string, spec: string, language: string | undefined, ctx: Pick<ImportContext, 'aliases' | 'goModules'>): string | undefined {
  if (language === 'TypeScript' || language === 'JavaScript') {
    let base: string | undefined;
    if (spec.startsWith('.')) base = normalize(`${dirOf(from)}/${spec}`);
    else {
      const alias = ctx.aliases.find(([prefix]) => spec === prefix.replace(/\/$/, '') || spec.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
      if (alias) base = normalize(`${alias[1]}/${spec.slice(alias[0].length)}`);
    }
    return base === undefined ? undefined : `js:${base}`;
  }
  if (language === 'Python') {
    let module: string | undefined;
    if (spec.startsWith('.')) {
      const dots = /^\.+/.exec(spec)?.[0].length ?? 1;
      let dir = dirOf(from);
      for (let i = 1; i < dots; i++) dir = dirOf(dir);
      const rest = spec.slice(dots).replace(/\./g, '/');
      module = normalize(rest ? `${dir}/${rest}` : dir);
    } else module = spec.replace(/\./g, '/');
    return module === undefined ? undefined : `py:${module}`;
  }
  if (language === 'Go') {
    const mod = ctx.goModules.find((m) => spec === m.module || spec.startsWith(`${m.module}/`));
    return mod ? `go:${normalize(`${mod.dir}/${spec.slice(mod.module.length)}`) ?? ''}` : undefined;
  }
  return undefined;
}

/** The files an import of `spec` in `from` means (empty when external or unknown). */
export function resolveImport(from: string, spec: string, language: string | undefined, ctx: ImportContext): string[] {
  const probe = importProbe(from, spec, language, ctx);
  if (probe === undefined) return [];
  const where = probe.slice(3);
  if (probe.startsWith('go:')) return [...ctx.goFiles(where)];
  const hit = (probe.startsWith('js:') ? jsCandidates(where) : pyCandidates(where)).find((c) => ctx.has(c));
  return hit ? [hit] : [];
}

/**
 * The probes a file at `path` answers (the inverse of the candidates above): when it is added
 * or removed, the imports looking there may resolve differently.
 */
export function probesOf(path: string): string[] {
  const out = new Set<string>([`js:${path}`]);
  for (const ext of JS_EXTENSIONS) {
    if (!path.endsWith(ext)) continue;
    const stripped = path.slice(0, -ext.length);
    for (const base of [stripped, `${stripped}.js`, `${stripped}.jsx`, `${stripped}.mjs`, `${stripped}.cjs`]) out.add(`js:${base}`);
    if (stripped.endsWith('/index')) out.add(`js:${stripped.slice(0, -'/index'.length)}`);
  }
  for (const tail of ['/src/index.ts', '/src/index.js']) if (path.endsWith(tail)) out.add(`js:${path.slice(0, -tail.length)}`);
  if (path.endsWith('.py')) {
    const module = path.slice(0, -'.py'.length);
    const modules = module.endsWith('/__init__') ? [module, module.slice(0, -'/__init__'.length)] : [module];
    for (const m of modules) {
      out.add(`py:${m}`);
      if (m.startsWith('src/')) out.add(`py:${m.slice('src/'.length)}`);
    }
  }
  if (path.endsWith('.go')) out.add(`go:${dirOf(path)}`);
  return [...out];
}

/** Import aliases: tsconfig `paths` and workspace packages by name. */
export function importAliases(read: (path: string) => string | undefined, paths: readonly string[], workspaceDirs: readonly string[]): Array<[string, string]> {
  const aliases: Array<[string, string]> = [];
  for (const tsconfig of paths.filter((p) => /(^|\/)tsconfig(\.base)?\.json$/.test(p) && p.split('/').length <= 3)) {
    const text = read(tsconfig) ?? '';
    const block = /"paths"\s*:\s*\{([^}]*)\}/.exec(text)?.[1];
    const baseUrl = /"baseUrl"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? '.';
    if (!block) continue;
    for (const m of block.matchAll(/"([^"]+)"\s*:\s*\[\s*"([^"]+)"/g)) {
      const key = (m[1] ?? '').replace(/\*$/, '');
      const target = normalize(`${dirOf(tsconfig)}/${baseUrl}/${(m[2] ?? '').replace(/\*$/, '')}`) ?? '';
      if (key) aliases.push([key, target]);
    }
  }
  for (const dir of workspaceDirs) {
    try {
      const name = (JSON.parse(read(`${dir}/package.json`) ?? '{}') as { name?: string }).name;
      if (name) aliases.push([name, dir]);
    } catch {
      // Not JSON: not an alias.
    }
  }
  return aliases;
}
