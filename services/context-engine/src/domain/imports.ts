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

/** The files an import of `spec` in `from` means (empty when external or unknown). */
export function resolveImport(from: string, spec: string, language: string | undefined, ctx: ImportContext): string[] {
  if (language === 'TypeScript' || language === 'JavaScript') {
    let base: string | undefined;
    if (spec.startsWith('.')) base = normalize(`${dirOf(from)}/${spec}`);
    else {
      const alias = ctx.aliases.find(([prefix]) => spec === prefix.replace(/\/$/, '') || spec.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
      if (alias) base = normalize(`${alias[1]}/${spec.slice(alias[0].length)}`);
    }
    if (base === undefined) return [];
    const hit = jsCandidates(base).find((c) => ctx.has(c));
    return hit ? [hit] : [];
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
    if (module === undefined) return [];
    const hit = [`${module}.py`, `${module}/__init__.py`, `src/${module}.py`, `src/${module}/__init__.py`].find((c) => ctx.has(c));
    return hit ? [hit] : [];
  }
  if (language === 'Go') {
    const mod = ctx.goModules.find((m) => spec === m.module || spec.startsWith(`${m.module}/`));
    if (!mod) return [];
    const dir = normalize(`${mod.dir}/${spec.slice(mod.module.length)}`) ?? '';
    return [...ctx.goFiles(dir)];
  }
  return [];
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
