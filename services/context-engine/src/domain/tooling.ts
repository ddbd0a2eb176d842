import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import type { ToolInfo } from '@patchbay/contracts';
import { isNoise } from './languages.js';
import { byText } from './text-order.js';

type Read = (path: string) => string | undefined;

interface Detector {
  tool: string;
  kind: ToolInfo['kind'];
  files: RegExp;
  notes?: (text: string, path: string) => string[];
  /** A section of pyproject.toml / setup.cfg that configures the tool. */
  pyproject?: string;
  dependency?: string;
}

const PRETTIER_KEYS = ['semi', 'singleQuote', 'tabWidth', 'useTabs', 'printWidth', 'trailingComma', 'bracketSpacing', 'arrowParens'];

function parseLoose(text: string, path: string): Record<string, unknown> | undefined {
  try {
    if (/\.toml$/.test(path)) return parseToml(text) as Record<string, unknown>;
    if (/\.(ya?ml)$/.test(path) || !/\.(c|m)?js$/.test(path)) return parseYaml(text) as Record<string, unknown>;
  } catch {
    // Unparseable configs still show the tool is used.
  }
  return undefined;
}

const pick = (settings: Record<string, unknown> | undefined, keys: readonly string[]) =>
  keys.flatMap((k) => (settings && settings[k] !== undefined && typeof settings[k] !== 'object' ? [`${k}: ${String(settings[k])}`] : []));

const DETECTORS: readonly Detector[] = [
  { tool: 'ESLint', kind: 'lint', files: /(^|\/)(eslint\.config\.(js|mjs|cjs|ts|mts)|\.eslintrc(\.(js|cjs|json|ya?ml))?)$/, dependency: 'eslint' },
  {
    tool: 'Prettier',
    kind: 'format',
    files: /(^|\/)(\.prettierrc(\.(json|ya?ml|js|cjs|mjs|toml))?|prettier\.config\.(js|cjs|mjs|ts))$/,
    notes: (text, path) => pick(parseLoose(text, path), PRETTIER_KEYS),
    dependency: 'prettier',
  },
  { tool: 'Biome', kind: 'lint', files: /(^|\/)biome\.jsonc?$/, dependency: '@biomejs/biome' },
  {
    tool: 'TypeScript',
    kind: 'types',
    files: /(^|\/)tsconfig(\.base)?\.json$/,
    notes: (text) => {
      const options = ['strict', 'noUncheckedIndexedAccess', 'exactOptionalPropertyTypes', 'verbatimModuleSyntax', 'noImplicitAny'];
      return options.filter((o) => new RegExp(`"${o}"\\s*:\\s*true`).test(text)).concat(/"module"\s*:\s*"(NodeNext|Node16)"/i.test(text) ? ['module: NodeNext (relative imports need .js)'] : []);
    },
  },
  {
    tool: 'Ruff',
    kind: 'lint',
    files: /(^|\/)\.?ruff\.toml$/,
    pyproject: 'ruff',
    notes: (text, path) => {
      const toml = parseLoose(text, path.endsWith('.toml') ? path : 'x.toml') as { tool?: { ruff?: Record<string, unknown> } } & Record<string, unknown>;
      const ruff = (path.endsWith('pyproject.toml') ? toml?.tool?.ruff : toml) as Record<string, unknown> | undefined;
      return pick(ruff, ['line-length', 'target-version']);
    },
    dependency: 'ruff',
  },
  {
    tool: 'Black',
    kind: 'format',
    files: /^$/,
    pyproject: 'black',
    notes: (text) => {
      const toml = parseLoose(text, 'x.toml') as { tool?: { black?: Record<string, unknown> } } | undefined;
      return pick(toml?.tool?.black, ['line-length', 'skip-string-normalization']);
    },
    dependency: 'black',
  },
  { tool: 'Flake8', kind: 'lint', files: /(^|\/)\.flake8$/, dependency: 'flake8' },
  { tool: 'isort', kind: 'format', files: /(^|\/)\.isort\.cfg$/, pyproject: 'isort', dependency: 'isort' },
  { tool: 'mypy', kind: 'types', files: /(^|\/)mypy\.ini$/, pyproject: 'mypy', dependency: 'mypy' },
  { tool: 'Pylint', kind: 'lint', files: /(^|\/)\.pylintrc$/, pyproject: 'pylint', dependency: 'pylint' },
  { tool: 'golangci-lint', kind: 'lint', files: /(^|\/)\.golangci\.(ya?ml|toml|json)$/ },
  { tool: 'rustfmt', kind: 'format', files: /(^|\/)\.?rustfmt\.toml$/ },
  { tool: 'Clippy', kind: 'lint', files: /(^|\/)\.?clippy\.toml$/ },
  { tool: 'Stylelint', kind: 'lint', files: /(^|\/)\.stylelintrc(\.(json|ya?ml|js|cjs))?$|stylelint\.config\.(js|cjs|mjs)$/, dependency: 'stylelint' },
  {
    tool: 'EditorConfig',
    kind: 'format',
    files: /^\.editorconfig$/,
    notes: (text) => {
      const star = /\[\*\]([^[]*)/.exec(text)?.[1] ?? text;
      return ['indent_style', 'indent_size', 'end_of_line', 'max_line_length'].flatMap((k) => {
        const m = new RegExp(`^\\s*${k}\\s*=\\s*(\\S+)`, 'm').exec(star);
        return m ? [`${k}: ${m[1]}`] : [];
      });
    },
  },
];

/** Config files the tooling detection reads (besides manifests). */
export function isToolConfig(path: string): boolean {
  return !isNoise(path) && path.split('/').length <= 3 && DETECTORS.some((d) => d.files.test(path));
}

/**
 * Lint, format and type-check tools: a config file (shallowest first), a pyproject.toml
 * section, or a dependency. Go gets gofmt, which every Go project uses.
 */
export function detectTooling(paths: readonly string[], read: Read, dependencies: ReadonlyArray<{ name: string }>): ToolInfo[] {
  const depth = (p: string) => p.split('/').length;
  const candidates = paths.filter((p) => !isNoise(p) && depth(p) <= 3).sort((a, b) => depth(a) - depth(b) || byText(a, b));
  const pyprojects = candidates.filter((p) => /(^|\/)(pyproject\.toml|setup\.cfg|tox\.ini)$/.test(p));
  const names = new Set(dependencies.map((d) => d.name));
  const tools: ToolInfo[] = [];
  for (const d of DETECTORS) {
    const config = candidates.find((p) => d.files.test(p));
    if (config !== undefined) {
      const text = read(config) ?? '';
      tools.push({ tool: d.tool, kind: d.kind, config, notes: d.notes?.(text, config) ?? [] });
      continue;
    }
    const section = d.pyproject;
    const inPy = section === undefined ? undefined : pyprojects.find((p) => new RegExp(`^\\[(tool\\.)?${section}(\\]|\\.)`, 'm').test(read(p) ?? ''));
    if (inPy !== undefined) {
      tools.push({ tool: d.tool, kind: d.kind, config: inPy, notes: d.notes?.(read(inPy) ?? '', inPy) ?? [] });
      continue;
    }
    if (d.tool === 'ESLint' || d.tool === 'Prettier') {
      const pkg = candidates.find((p) => p === 'package.json');
      const json = pkg ? safeJson(read(pkg)) : undefined;
      const key = d.tool === 'ESLint' ? 'eslintConfig' : 'prettier';
      if (json && json[key] !== undefined) {
        const settings = typeof json[key] === 'object' ? (json[key] as Record<string, unknown>) : undefined;
        tools.push({ tool: d.tool, kind: d.kind, config: 'package.json', notes: d.tool === 'Prettier' ? pick(settings, PRETTIER_KEYS) : [] });
        continue;
      }
    }
    if (d.dependency !== undefined && names.has(d.dependency)) tools.push({ tool: d.tool, kind: d.kind, notes: [] });
  }
  if (paths.some((p) => /(^|\/)go\.mod$/.test(p))) tools.push({ tool: 'gofmt', kind: 'format', notes: ['the Go standard format'] });
  return tools;
}

function safeJson(text: string | undefined): Record<string, unknown> | undefined {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return undefined;
  }
}
