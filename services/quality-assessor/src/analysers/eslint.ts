import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ESLint as ESLintClass, Linter } from 'eslint';
import type { RawFinding } from '../domain/findings.js';
import type { EslintSettings } from './eslint-config.js';
import { packageVersion } from './package-version.js';
import { type Analyser, type AnalyserContext, type SourceFile, shellQuote } from './types.js';

const VERSIONS = ['eslint', 'typescript-eslint', 'eslint-plugin-security', 'eslint-plugin-n'].map((p) => `${p} ${packageVersion(p)}`).join(', ');
const CHILD = fileURLToPath(new URL('./eslint-child.js', import.meta.url));
/**
 * What the child needs to read wherever patchbay and Node are installed (even under /tmp,
 * which the sandbox replaces): the Node running it, this package, and the outermost
 * node_modules its dependencies really live in (pnpm links them from a virtual store there).
 */
const CHILD_NEEDS = [
  process.execPath,
  realpathSync(fileURLToPath(new URL('../../', import.meta.url))),
  outermostNodeModules(realpathSync(fileURLToPath(import.meta.resolve('eslint')))),
];

function outermostNodeModules(path: string): string {
  const at = path.split(sep).indexOf('node_modules');
  return at < 0 ? dirname(path) : path.split(sep).slice(0, at + 1).join(sep);
}
const REPO_CONFIGS = ['eslint.config.js', 'eslint.config.mjs', 'eslint.config.cjs', 'eslint.config.ts', 'eslint.config.mts', 'eslint.config.cts'];

function repoConfig(dir: string): string | undefined {
  return REPO_CONFIGS.find((name) => existsSync(join(dir, name)));
}

function settingsFor(ctx: AnalyserContext): EslintSettings {
  let hasEngines = false;
  try {
    const pkg = JSON.parse(readFileSync(join(ctx.dir, 'package.json'), 'utf8')) as { engines?: { node?: string } };
    hasEngines = typeof pkg.engines?.node === 'string';
  } catch {
    // no package.json
  }
  return { javascript: ctx.settings('javascript'), typescript: ctx.settings('typescript'), hasEngines };
}

function toFindings(results: ReadonlyArray<{ filePath: string; messages: Linter.LintMessage[] }>, dir: string): RawFinding[] {
  return results.flatMap((r) =>
    r.messages.map((m) => ({
      tool: m.ruleId ? 'eslint' : 'eslint',
      rule: m.ruleId ?? (m.fatal ? 'parse-error' : 'eslint'),
      severity: m.fatal || m.severity === 2 ? ('error' as const) : ('warning' as const),
      file: relative(dir, r.filePath).split('\\').join('/'),
      line: m.line ?? 0,
      ...(m.column ? { column: m.column } : {}),
      message: m.message.slice(0, 400),
      ...(m.fatal ? { dimension: 'correctness' as const } : {}),
    })),
  );
}

/** ESLint and its plugins are loaded on first use: most commands of the CLI never need them. */
let modules: Promise<{ ESLint: typeof ESLintClass; ourEslintConfig: typeof import('./eslint-config.js').ourEslintConfig }> | undefined;
const load = () =>
  (modules ??= Promise.all([import('eslint'), import('./eslint-config.js')]).then(([eslint, config]) => ({ ESLint: eslint.ESLint, ourEslintConfig: config.ourEslintConfig })));

/** Ours alone, in process: the config is our code, and linting only reads the files. */
async function lintInProcess(files: readonly SourceFile[], ctx: AnalyserContext): Promise<RawFinding[]> {
  const { ESLint, ourEslintConfig } = await load();
  const eslint = new ESLint({ cwd: ctx.dir, overrideConfigFile: true, overrideConfig: ourEslintConfig(settingsFor(ctx)), errorOnUnmatchedPattern: false });
  return toFindings(await eslint.lintFiles(files.map((f) => f.abs)), ctx.dir);
}

/**
 * ESLint 9 with typescript-eslint, eslint-plugin-security, eslint-plugin-n and the
 * complexity rule. A repository's own eslint.config.* is layered under ours in a sandboxed
 * child process (loading it runs the repository's code); if it cannot load (its plugins
 * are not installed in a fresh worktree) ours runs alone and the report says so.
 */
export const eslintAnalyser: Analyser = {
  name: 'eslint',
  languages: ['javascript', 'typescript'],
  scope: 'file',
  probe: async () => ({ version: VERSIONS }),
  fingerprint(ctx) {
    const own = repoConfig(ctx.dir);
    return `${own ? `${own}:${ctx.blobs.get(own) ?? ''}` : 'ours'}|${JSON.stringify(settingsFor(ctx))}`;
  },
  async run(files, ctx) {
    const own = repoConfig(ctx.dir);
    if (!own) return { findings: await lintInProcess(files, ctx) };
    const requestFile = join(ctx.scratch, 'eslint-request.json');
    const out = join(ctx.scratch, 'eslint-result.json');
    await writeFile(requestFile, JSON.stringify({ cwd: ctx.dir, configFile: join(ctx.dir, own), files: files.map((f) => f.abs), settings: settingsFor(ctx), out }));
    try {
      const run = await ctx.sandbox(`${shellQuote(process.execPath)} ${shellQuote(CHILD)} ${shellQuote(requestFile)}`, { readOnly: CHILD_NEEDS });
      const answer = JSON.parse(await readFile(out, 'utf8').catch(() => '{"ok":false,"error":"no result"}')) as
        | { ok: true; results: Array<{ filePath: string; messages: Linter.LintMessage[] }> }
        | { ok: false; error: string };
      if (answer.ok) return { findings: toFindings(answer.results, ctx.dir), note: `the repository's ${own} layered with ours` };
      const why = answer.error === 'no result' ? `exit ${String(run.exitCode)}${run.timedOut ? ', timed out' : ''}` : answer.error;
      return { findings: await lintInProcess(files, ctx), note: `the repository's ${own} could not be loaded (${why}); our rules only` };
    } finally {
      await rm(requestFile, { force: true });
      await rm(out, { force: true });
    }
  },
};
