/** File extension → language, for the languages patchbay analyses and their neighbours. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript',
  js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', pyi: 'Python', go: 'Go', rs: 'Rust', java: 'Java', kt: 'Kotlin', rb: 'Ruby', php: 'PHP',
  cs: 'C#', c: 'C', h: 'C', cc: 'C++', cpp: 'C++', hpp: 'C++', swift: 'Swift', scala: 'Scala',
  sh: 'Shell', bash: 'Shell', sql: 'SQL', vue: 'Vue', svelte: 'Svelte', css: 'CSS', scss: 'CSS',
  html: 'HTML', md: 'Markdown', yaml: 'YAML', yml: 'YAML', json: 'JSON', toml: 'TOML',
};

/** Languages whose files count as code (the rest are data, docs or config). */
const CODE = new Set([
  'TypeScript', 'JavaScript', 'Python', 'Go', 'Rust', 'Java', 'Kotlin', 'Ruby', 'PHP', 'C#', 'C', 'C++',
  'Swift', 'Scala', 'Shell', 'SQL', 'Vue', 'Svelte',
]);

export function languageOf(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base === 'Dockerfile') return 'Dockerfile';
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? undefined : BY_EXTENSION[base.slice(dot + 1).toLowerCase()];
}

export function isCode(language: string | undefined): boolean {
  return language !== undefined && CODE.has(language);
}

const TEST_FILE = /(^|\/)(test|tests|__tests__|spec)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]+\.py$|_test\.(py|go)$/;

export function isTestFile(path: string): boolean {
  return TEST_FILE.test(path);
}

const GENERATED = /(^|\/)(node_modules|dist|build|vendor|\.git|coverage|__pycache__|\.venv|target)\//;
const LOCKFILE = /(^|\/)(package-lock\.json|pnpm-lock\.yaml|yarn\.lock|poetry\.lock|Cargo\.lock|go\.sum|uv\.lock|bun\.lockb)$/;

/** Paths never worth showing a model: dependencies, build output, lockfiles. */
export function isNoise(path: string): boolean {
  return GENERATED.test(path) || LOCKFILE.test(path);
}

/** Grammars the repository map parses with tree-sitter. */
export type Grammar = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go';

const GRAMMARS: Readonly<Record<string, Grammar>> = {
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'tsx',
  js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  py: 'python', pyi: 'python', go: 'go',
};

export function grammarFor(path: string): Grammar | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? undefined : GRAMMARS[base.slice(dot + 1).toLowerCase()];
}
