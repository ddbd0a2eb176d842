import type { Conventions, QualityMetrics, ToolInfo } from '@patchbay/contracts';
import { type FileRecord, NO_STYLE, type StyleCounts } from './records.js';
import { byText } from './text-order.js';

/** A parsed file as the measurements see it. */
export interface MeasuredFile {
  path: string;
  language?: string | undefined;
  test: boolean;
  record: FileRecord;
}

const share = (n: number, total: number) => (total === 0 ? 0 : Math.round((n / total) * 100) / 100);

function nameStyle(name: string): 'camel' | 'snake' | 'pascal' | 'upper' | undefined {
  const bare = name.replace(/^_+|_+$/g, '');
  if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(bare)) return 'upper';
  if (/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(bare)) return 'snake';
  if (/^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$/.test(bare)) return 'camel';
  if (/^[A-Z][a-z0-9]+([A-Z][a-z0-9]*)*$/.test(bare)) return 'pascal';
  return undefined;
}

function fileStyle(path: string): 'kebab' | 'snake' | 'camel' | 'pascal' | undefined {
  const stem = path.slice(path.lastIndexOf('/') + 1).replace(/\..*$/, '');
  if (/^[a-z0-9]+(-[a-z0-9]+)+$/.test(stem)) return 'kebab';
  if (/^[a-z0-9]+(_[a-z0-9]+)+$/.test(stem)) return 'snake';
  if (/^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$/.test(stem)) return 'camel';
  if (/^[A-Z][a-z0-9]+([A-Z][a-z0-9]*)+$/.test(stem)) return 'pascal';
  return undefined;
}

function majority<K extends string>(counts: Record<K, number>, labels: Record<K, string>): string | undefined {
  const total = Object.values<number>(counts).reduce((a, b) => a + b, 0);
  const best = (Object.entries(counts) as Array<[K, number]>).sort((a, b) => b[1] - a[1])[0];
  if (!best || total === 0) return undefined;
  return best[1] / total >= 0.8 ? labels[best[0]] : `mostly ${labels[best[0]]}`;
}

/** What the conventions are measured from: counts that add up over files, so a changed file's share can be taken out and put back. */
export interface ConventionCounts {
  fn: { camel: number; snake: number };
  types: { pascal: number; other: number };
  fileNames: { kebab: number; snake: number; camel: number; pascal: number };
  imports: { relative: number; alias: number; package: number; withJs: number; withoutExt: number };
  style: StyleCounts;
}

export function emptyConventionCounts(): ConventionCounts {
  return {
    fn: { camel: 0, snake: 0 },
    types: { pascal: 0, other: 0 },
    fileNames: { kebab: 0, snake: 0, camel: 0, pascal: 0 },
    imports: { relative: 0, alias: 0, package: 0, withJs: 0, withoutExt: 0 },
    style: { ...NO_STYLE },
  };
}

/** Top-level directories holding Python code: an import of one of them is the project's own. */
export function pythonPackages(files: ReadonlyArray<{ path: string; language?: string | undefined }>): Set<string> {
  return new Set(files.filter((f) => f.language === 'Python').map((f) => f.path.split('/')[0] ?? ''));
}

/** Adds one file's counts to `into` (sign 1), or takes them out (sign -1). */
export function countConventions(into: ConventionCounts, f: MeasuredFile, aliases: readonly string[], pyPackages: ReadonlySet<string>, sign: 1 | -1 = 1): void {
  const { fn, types, fileNames, imports, style } = into;
  for (const d of f.record.defs) {
    const s = nameStyle(d.name);
    if (d.kind === 'function' || d.kind === 'method') {
      if (s === 'camel') fn.camel += sign;
      else if (s === 'snake') fn.snake += sign;
    } else if (d.kind === 'class' || d.kind === 'interface' || d.kind === 'type' || d.kind === 'enum') {
      if (s === 'pascal') types.pascal += sign;
      else types.other += sign;
    }
  }
  if (!f.test) {
    const s = fileStyle(f.path);
    if (s) fileNames[s] += sign;
  }
  for (const spec of f.record.imports) {
    if (spec.startsWith('.')) {
      imports.relative += sign;
      if (/\.(js|mjs|cjs)$/.test(spec)) imports.withJs += sign;
      else if (!/\.\w+$/.test(spec) && f.language !== 'Python') imports.withoutExt += sign;
    } else if (aliases.some((a) => spec === a || spec.startsWith(a.endsWith('/') ? a : `${a}/`)) || (f.language === 'Python' && pyPackages.has(spec.split('.')[0] ?? ''))) {
      imports.alias += sign;
    } else imports.package += sign;
  }
  for (const k of Object.keys(style) as Array<keyof StyleCounts>) style[k] += sign * f.record.style[k];
}

/**
 * Naming, import and formatting conventions measured on the code, with the formatter's
 * settings when one is configured. Sentences name the majority; `measured` has the shares.
 */
export function measureConventions(files: readonly MeasuredFile[], tooling: readonly ToolInfo[], aliases: readonly string[]): Conventions {
  const counts = emptyConventionCounts();
  const pyPackages = pythonPackages(files);
  for (const f of files) countConventions(counts, f, aliases, pyPackages);
  return describeConventions(counts, tooling, aliases);
}

/** The conventions the counts show. */
export function describeConventions(counts: ConventionCounts, tooling: readonly ToolInfo[], aliases: readonly string[]): Conventions {
  const { fn, types, fileNames, imports, style } = counts;
  const fnTotal = fn.camel + fn.snake;
  const naming = [
    fnTotal ? `functions and methods ${majority({ camel: fn.camel, snake: fn.snake }, { camel: 'camelCase', snake: 'snake_case' })}` : undefined,
    types.pascal + types.other ? `types ${types.pascal / (types.pascal + types.other) >= 0.8 ? 'PascalCase' : 'mixed case'}` : undefined,
  ].filter(Boolean);
  const internal = imports.relative + imports.alias;
  const importParts = [
    internal ? `project imports ${majority({ relative: imports.relative, alias: imports.alias }, { relative: 'relative', alias: 'absolute or aliased' })}` : undefined,
    imports.withJs > imports.withoutExt && imports.withJs > 0 ? 'relative imports end in .js' : undefined,
    aliases.length ? `aliases: ${aliases.slice(0, 3).join(', ')}` : undefined,
  ].filter(Boolean);
  const formatter = tooling.find((t) => t.kind === 'format' && t.tool !== 'EditorConfig');
  const indent = majority({ two: style.indent2, four: style.indent4, tab: style.indentTab }, { two: '2-space indent', four: '4-space indent', tab: 'tab indent' });
  const formatting = [
    formatter ? `${formatter.tool}${formatter.config ? ` (${formatter.config})` : ''}${formatter.notes.length ? `: ${formatter.notes.join(', ')}` : ''}` : undefined,
    indent,
    style.semicolon + style.noSemicolon > 0 ? (style.semicolon >= style.noSemicolon * 4 ? 'semicolons' : style.noSemicolon >= style.semicolon * 4 ? 'no semicolons' : undefined) : undefined,
    style.singleQuote + style.doubleQuote > 0 ? majority({ single: style.singleQuote, double: style.doubleQuote }, { single: 'single quotes', double: 'double quotes' }) : undefined,
  ].filter(Boolean);
  const fileStyleName = majority(fileNames, { kebab: 'kebab-case', snake: 'snake_case', camel: 'camelCase', pascal: 'PascalCase' });
  const importTotal = imports.relative + imports.alias + imports.package;
  return {
    naming: naming.join('; ') || 'not enough code to tell',
    imports: importParts.join('; ') || 'not enough imports to tell',
    formatting: formatting.join('; ') || 'not enough code to tell',
    files: fileStyleName ? `file names ${fileStyleName}` : 'file names single words',
    measured: {
      camelCase: share(fn.camel, fnTotal),
      snake_case: share(fn.snake, fnTotal),
      PascalCase: share(types.pascal, types.pascal + types.other),
      relativeImports: share(imports.relative, importTotal),
      aliasImports: share(imports.alias, importTotal),
      packageImports: share(imports.package, importTotal),
    },
  };
}

/** Test-to-source ratio, largest files and comment density over the code files. */
export function measureQuality(files: ReadonlyArray<{ path: string; test: boolean; lines: number; commentLines: number }>): QualityMetrics {
  const sources = files.filter((f) => !f.test);
  const tests = files.filter((f) => f.test);
  const lines = (xs: typeof files) => xs.reduce((n, f) => n + f.lines, 0);
  const allLines = lines(files);
  return {
    sourceFiles: sources.length,
    testFiles: tests.length,
    sourceLines: lines(sources),
    testLines: lines(tests),
    testToSourceRatio: sources.length ? Math.round((tests.length / sources.length) * 100) / 100 : 0,
    commentDensity: allLines ? Math.round((files.reduce((n, f) => n + f.commentLines, 0) / allLines) * 100) / 100 : 0,
    largestFiles: [...files]
      .sort((a, b) => b.lines - a.lines || byText(a.path, b.path))
      .slice(0, 5)
      .map((f) => ({ path: f.path, lines: f.lines })),
  };
}
