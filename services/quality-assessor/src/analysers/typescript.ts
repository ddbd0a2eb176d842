import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type TS from 'typescript';
import { packageVersion } from './package-version.js';
import type { RawFinding } from '../domain/findings.js';
import type { Analyser, AnalyserContext, SourceFile } from './types.js';

/**
 * Diagnostics that only say a dependency is not installed: a fresh worktree has no
 * node_modules, so these would charge an attempt for the machine, not for its code.
 */
const MISSING_DEPENDENCY = new Set([2307, 2580, 2582, 2591, 2592, 2593, 2688, 7016, 2792, 2875, 7026]);

function findTsconfig(dir: string, files: readonly SourceFile[]): string | undefined {
  const first = files.find((f) => f.language === 'typescript');
  if (!first) return undefined;
  for (let d = dirname(first.abs); d.startsWith(dir); d = dirname(d)) {
    const candidate = join(d, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (d === dir) break;
  }
  return undefined;
}

/** The compiler is loaded on first use: most commands of the CLI never need it. */
let compiler: Promise<typeof TS> | undefined;
const load = () => (compiler ??= import('typescript').then((m) => m.default));

function compilerOptions(ts: typeof TS, dir: string, files: readonly SourceFile[]): { options: TS.CompilerOptions; note?: string } {
  const base: TS.CompilerOptions = { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, allowJs: true, jsx: ts.JsxEmit.Preserve };
  const path = findTsconfig(dir, files);
  if (!path) return { options: base };
  const read = ts.readConfigFile(path, (p) => ts.sys.readFile(p));
  if (read.error) return { options: base, note: `${relative(dir, path)} could not be read; default compiler options used` };
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(path), undefined, path);
  // Project references and composite builds are for tsc -b; one program is enough to check files.
  const { composite: _c, incremental: _i, tsBuildInfoFile: _t, declaration: _d, declarationMap: _m, ...rest } = parsed.options;
  return { options: rest };
}



/**
 * The TypeScript compiler's diagnostics through its API: syntax for JavaScript and
 * TypeScript, types for TypeScript, with the repository's tsconfig.json when it has one.
 * Reads files only.
 */
export const typescriptAnalyser: Analyser = {
  name: 'tsc',
  languages: ['typescript', 'javascript'],
  scope: 'tree',
  probe: async () => ({ version: `typescript ${packageVersion('typescript')}` }),
  fingerprint(ctx: AnalyserContext) {
    // Types flow between files: the result depends on every TypeScript file and the tsconfig.
    return [...ctx.blobs].filter(([p]) => /\.(?:[cm]?ts|tsx|json)$/.test(p) && !p.includes('node_modules/')).map(([p, b]) => `${p}:${b}`).sort().join('\n');
  },
  async run(files, ctx) {
    const ts = await load();
    const flat = (message: string | TS.DiagnosticMessageChain) => ts.flattenDiagnosticMessageText(message, ' ').replace(/\s+/g, ' ');
    const { options, note } = compilerOptions(ts, ctx.dir, files);
    const hasDeps = existsSync(join(ctx.dir, 'node_modules'));
    const program = ts.createProgram({
      rootNames: files.map((f) => f.abs),
      options: { ...options, noEmit: true, skipLibCheck: true, ...(hasDeps ? {} : { types: [] }) },
    });
    const findings: RawFinding[] = [];
    let dropped = 0;
    for (const file of files) {
      const sf = program.getSourceFile(file.abs);
      if (!sf) continue;
      const diagnostics = [
        ...program.getSyntacticDiagnostics(sf),
        ...(file.language === 'typescript' ? program.getSemanticDiagnostics(sf) : []),
      ];
      for (const d of diagnostics) {
        if (!hasDeps && MISSING_DEPENDENCY.has(d.code)) {
          dropped += 1;
          continue;
        }
        const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: -1, character: 0 };
        findings.push({
          tool: 'tsc',
          rule: `TS${d.code}`,
          severity: d.category === ts.DiagnosticCategory.Error ? 'error' : d.category === ts.DiagnosticCategory.Warning ? 'warning' : 'info',
          file: file.path,
          line: pos.line + 1,
          column: pos.character + 1,
          message: flat(d.messageText).slice(0, 400),
        });
      }
    }
    const notes = [note, dropped > 0 ? `${dropped} diagnostics about dependencies that are not installed were left out` : undefined].filter(Boolean);
    return { findings, ...(notes.length ? { note: notes.join('; ') } : {}) };
  },
};
