import type { Architecture, Conventions, QualityMetrics, CompleteRepoContext, TeamContext, ToolInfo } from '@patchbay/contracts';
import { detectArchitecture } from './architecture.js';
import { measureConventions, measureQuality } from './conventions.js';
import { importAliases, resolveImport } from './imports.js';
import { isCode, isNoise, isTestFile, languageOf } from './languages.js';
import { type ProjectFacts, projectFacts } from './project-facts.js';
import type { FileRecord } from './records.js';
import { rankFiles } from './ranking.js';
import { projectRules, teamContext } from './team-context.js';
import { detectTooling } from './tooling.js';

/** A record's own entry: analyses are plain JSON, where "constructor" or "valueOf" would find Object's. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Bumped whenever what an analysis holds or how it is computed changes: old cache entries are then ignored. */
export const ANALYSIS_VERSION = 3;

/** What a request needs of a file's record: its symbols and size, not the references the graph was built from. */
export type SlimRecord = Pick<FileRecord, 'lines' | 'commentLines' | 'defs'>;

/** The full records an analysis was built from, by blob: read back only to rebuild it after a change. */
export type GraphInputs = Record<string, FileRecord>;

/** Files with most out-edges kept: the strongest references say where a file belongs; the long tail is noise. */
const MAX_OUT_EDGES = 40;
/** A name defined in more files than this is too common to link anything. */
const MAX_DEFINERS = 20;
/** Kinds whose names link files; members like interface properties are too common to mean a dependency. */
const LINKING = new Set(['function', 'class', 'method', 'interface', 'type', 'enum', 'variable', 'namespace']);

export interface AnalysedFile {
  path: string;
  blob: string;
  size: number;
  language?: string;
  test: boolean;
  /** Symbols found, for parsed code files (absent for files that were not parsed). */
  symbols?: number;
}

/** A helper other files already use, for the board's `utility` entries. */
export interface Utility {
  name: string;
  file: string;
  usage: string;
  usedBy: number;
}

/**
 * Everything about one state of a repository that does not depend on the task: cached by
 * tree hash and shared by all context-engine workers.
 */
export interface Analysis {
  version: number;
  key: string;
  repo: string;
  commit: string;
  tree: string;
  files: AnalysedFile[];
  /** Defined name → the files (indices) defining it; symbols themselves are fetched per file by blob. */
  names: Record<string, number[]>;
  /** The best-connected code files by plain PageRank (task-independent), best first, with their top-level names. */
  central: Array<{ index: number; defines: string[] }>;
  utilities: Utility[];
  unanalysed: Array<{ path: string; reason: string }>;
  facts: ProjectFacts;
  tooling: ToolInfo[];
  architecture: Architecture;
  /** Files the architecture was read from (besides the directory layout). */
  architectureSources: string[];
  conventions: Conventions;
  quality: QualityMetrics;
  team: TeamContext;
  languages: CompleteRepoContext['languages'];
  testDirs: string[];
  /** Reference graph over `files` indices: [from, to, weight] triples, weight in thousandths. */
  edges: number[];
  /** Direct dependencies: [from, to] pairs (an import, or a name only `to` defines). */
  links: number[];
  /** Defined name → how many files other than its definers use it. */
  usedBy: Record<string, number>;
}

export interface AnalysisInput {
  key: string;
  repo: string;
  commit: string;
  tree: string;
  files: ReadonlyArray<{ path: string; blob: string; size: number }>;
  records: ReadonlyMap<string, FileRecord>;
  unanalysed: ReadonlyArray<{ path: string; reason: string }>;
  /** Text of the small files facts come from (manifests, configs, docs). */
  read(path: string): string | undefined;
  /** The analysis of an earlier state of the same repository, to patch rather than rebuild the graph. */
  previous?: { analysis: Analysis; inputs: GraphInputs } | undefined;
}

const UTILITY_DIR = /(^|\/)(utils?|helpers?|lib|common|shared)(\/|$)|(^|\/)(utils?|helpers?)\.[a-z]+$/i;

const GENERIC = new Set(['constructor', '__init__', 'main', 'init', 'toString', 'default', 'index', 'get', 'set', 'run', 'test', 'name', 'id', 'value', 'data', 'type', 'key']);

/** Weight of a reference edge (after aider's repo map): long specific names count, private and ubiquitous ones little. */
function nameWeight(name: string, definers: number): number {
  let w = 1;
  if (name.length >= 8 && (/[a-z][A-Z]/.test(name) || name.includes('_') || name.includes('-'))) w *= 10;
  if (name.startsWith('_')) w *= 0.1;
  if (definers > 5) w *= 0.1;
  return w;
}

/** The names a record defines that link files (what the graph's in-edges depend on). */
function definersOf(record: Pick<FileRecord, 'defs'>): string {
  return [...new Set(record.defs.filter((d) => d.name.length >= 2 && !GENERIC.has(d.name) && LINKING.has(d.kind)).map((d) => d.name))].sort().join('\n');
}

const MAX_PATCHED = 50;
const MAX_REWIRED = 2_000;

interface Patch {
  previous: NonNullable<AnalysisInput['previous']>;
  /** Files whose content changed. */
  changed: Set<number>;
  /** Names some changed file started or stopped defining. */
  renamed: Set<string>;
  /** Files whose out-edges are recomputed: the changed ones and every file using a renamed name. */
  rows: Set<number>;
}

/**
 * Whether the previous analysis's graph can be patched instead of rebuilt: the same paths
 * and few changed files. Only the changed files' edges, and the edges of files using a name
 * they started or stopped defining, are computed again.
 */
function patchable(input: AnalysisInput, files: readonly AnalysedFile[], names: (record: Pick<FileRecord, 'defs'>) => string): Patch | undefined {
  const previous = input.previous;
  if (!previous || previous.analysis.files.length !== files.length) return undefined;
  const changed = new Set<number>();
  const renamed = new Set<string>();
  for (let i = 0; i < files.length; i++) {
    const now = files[i] as AnalysedFile;
    const before = previous.analysis.files[i];
    if (!before || before.path !== now.path) return undefined;
    if (before.blob === now.blob) continue;
    changed.add(i);
    if (changed.size > MAX_PATCHED) return undefined;
    const oldRecord = previous.inputs[before.blob];
    const newRecord = input.records.get(now.blob);
    if ((before.symbols !== undefined) !== (newRecord !== undefined) || (before.symbols !== undefined && !oldRecord)) return undefined;
    const a = new Set(oldRecord ? names(oldRecord).split('\n') : []);
    const b = new Set(newRecord ? names(newRecord).split('\n') : []);
    for (const x of a) if (x && !b.has(x)) renamed.add(x);
    for (const x of b) if (x && !a.has(x)) renamed.add(x);
  }
  const rows = new Set(changed);
  if (renamed.size) {
    files.forEach((f, i) => {
      const refs = changed.has(i) ? input.records.get(f.blob)?.refs : previous.inputs[f.blob]?.refs;
      if (refs && [...renamed].some((name) => refs[name] !== undefined)) rows.add(i);
    });
  }
  return rows.size > MAX_REWIRED ? undefined : { previous, changed, renamed, rows };
}

export function buildAnalysis(input: AnalysisInput): Analysis {
  const paths = input.files.map((f) => f.path);
  const files: AnalysedFile[] = input.files.map((f) => {
    const language = languageOf(f.path);
    const record = isCode(language) && !isNoise(f.path) ? input.records.get(f.blob) : undefined;
    return {
      path: f.path,
      blob: f.blob,
      size: f.size,
      ...(language ? { language } : {}),
      test: isTestFile(f.path),
      ...(record ? { symbols: record.defs.length } : {}),
    };
  });
  const recordOf = (f: AnalysedFile) => input.records.get(f.blob);
  const facts = projectFacts(paths, input.read);
  const tooling = detectTooling(paths, input.read, facts.dependencies);
  const { sources: architectureSources, ...architecture } = detectArchitecture(paths, input.read);
  const aliases = importAliases(input.read, paths, architecture.workspaces);

  const code = files.flatMap((f) => {
    const record = recordOf(f);
    return record && isCode(f.language) && !isNoise(f.path) ? [{ ...f, record }] : [];
  });
  const languages = new Map<string, { files: number; lines: number }>();
  for (const f of code) {
    const entry = languages.get(f.language as string) ?? { files: 0, lines: 0 };
    entry.files += 1;
    entry.lines += f.record.lines;
    languages.set(f.language as string, entry);
  }
  const testDirs = [...new Set(code.filter((f) => f.test).map((f) => (f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '.')))].sort();

  // The reference graph: who uses names defined where, plus resolved imports.
  const index = new Map(files.map((f, i) => [f.path, i]));
  const definers = new Map<string, number[]>();
  const topLevelUnique = new Map<string, number>();
  for (const f of code) {
    const i = index.get(f.path) as number;
    const seen = new Set<string>();
    for (const d of f.record.defs) {
      if (d.name.length < 2 || GENERIC.has(d.name) || seen.has(d.name) || !LINKING.has(d.kind)) continue;
      seen.add(d.name);
      const list = definers.get(d.name) ?? [];
      list.push(i);
      definers.set(d.name, list);
      if (d.container === undefined) topLevelUnique.set(d.name, topLevelUnique.has(d.name) ? -1 : i);
    }
  }
  const n = files.length;
  const goModules = files
    .filter((f) => /(^|\/)go\.mod$/.test(f.path))
    .flatMap((f) => {
      const module = /^module\s+(\S+)/m.exec(input.read(f.path) ?? '')?.[1];
      return module ? [{ dir: f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '', module }] : [];
    });
  const goByDir = new Map<string, string[]>();
  for (const f of code) {
    if (f.language !== 'Go' || f.test) continue;
    const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
    goByDir.set(dir, [...(goByDir.get(dir) ?? []), f.path]);
  }
  const ctx = { has: (p: string) => index.has(p), goFiles: (d: string) => goByDir.get(d) ?? [], goModules, aliases };

  /** One file's out-edges (references weighted, imports counted), direct links, and the names it uses from elsewhere. */
  const outgoing = (f: (typeof code)[number], refs: Record<string, number>) => {
    const from = index.get(f.path) as number;
    const out = new Map<number, number>();
    const linked = new Set<number>();
    const used: string[] = [];
    for (const [name, count] of Object.entries(refs)) {
      const ds = definers.get(name);
      if (!ds) continue;
      if (!ds.includes(from)) used.push(name);
      if (ds.length > MAX_DEFINERS) continue;
      const w = (nameWeight(name, ds.length) * Math.sqrt(count)) / ds.length;
      for (const to of ds) if (to !== from) out.set(to, (out.get(to) ?? 0) + w);
      const unique = topLevelUnique.get(name);
      if (unique !== undefined && unique >= 0 && unique !== from && name.length >= 4) linked.add(unique);
    }
    const kept = new Map([...out].sort((a, b) => b[1] - a[1]).slice(0, MAX_OUT_EDGES));
    for (const spec of f.record.imports) {
      for (const target of resolveImport(f.path, spec, f.language, ctx)) {
        const to = index.get(target);
        if (to === undefined || to === from) continue;
        kept.set(to, (kept.get(to) ?? 0) + 1);
        linked.add(to);
      }
    }
    return { from, kept, linked, used };
  };

  const edges: number[] = [];
  const links: number[] = [];
  let usedBy: Record<string, number> = Object.create(null) as Record<string, number>;
  const patch = patchable(input, files, definersOf);
  const rows = patch ? code.filter((f) => patch.rows.has(index.get(f.path) as number)) : code;
  if (patch) {
    const prev = patch.previous.analysis;
    for (let i = 0; i < prev.edges.length; i += 3) if (!patch.rows.has(prev.edges[i] as number)) edges.push(prev.edges[i] as number, prev.edges[i + 1] as number, prev.edges[i + 2] as number);
    for (let i = 0; i < prev.links.length; i += 2) if (!patch.rows.has(prev.links[i] as number)) links.push(prev.links[i] as number, prev.links[i + 1] as number);
    // Uses of names nobody renamed change only in the changed files; renamed names are counted again below.
    usedBy = Object.assign(Object.create(null) as Record<string, number>, prev.usedBy);
    for (const name of patch.renamed) delete usedBy[name];
    for (const i of patch.changed) {
      const old = prev.files[i];
      const refs = old ? patch.previous.inputs[old.blob]?.refs : undefined;
      const f = code.find((c) => c.path === old?.path);
      if (!refs || !f) continue;
      for (const name of outgoing({ ...f, record: { ...f.record, imports: [] } }, refs).used) if (!patch.renamed.has(name)) usedBy[name] = (usedBy[name] ?? 1) - 1;
    }
  }
  for (const f of rows) {
    const { from, kept, linked, used } = outgoing(f, f.record.refs);
    for (const [to, w] of kept) edges.push(from, to, Math.max(1, Math.round(w * 1000)));
    for (const to of linked) links.push(from, to);
    const counted = patch && !patch.changed.has(from);
    for (const name of used) if (!counted || patch.renamed.has(name)) usedBy[name] = (usedBy[name] ?? 0) + 1;
  }

  const conventions = measureConventions(code, tooling, aliases.map(([prefix]) => prefix));
  const names: Record<string, number[]> = Object.create(null) as Record<string, number[]>;
  for (const f of code) {
    const i = index.get(f.path) as number;
    for (const d of f.record.defs) {
      if (d.name.length < 2) continue;
      const list = (names[d.name] ??= []);
      if (list[list.length - 1] !== i) list.push(i);
    }
  }
  // Utilities: exported top-level functions in helper modules that other files already use.
  const utilities = code
    .flatMap((f) =>
      f.test || !UTILITY_DIR.test(f.path)
        ? []
        : f.record.defs
            .filter((d) => d.kind === 'function' && d.container === undefined && d.exported && (usedBy[d.name] ?? 0) >= 2)
            .map((d) => ({ name: d.name, file: f.path, usage: d.signature, usedBy: usedBy[d.name] ?? 0 })),
    )
    .sort((a, b) => b.usedBy - a.usedBy || a.name.localeCompare(b.name))
    .slice(0, 10);
  const quality = measureQuality(code.map((f) => ({ path: f.path, test: f.test, lines: f.record.lines, commentLines: f.record.commentLines })));
  const team = teamContext(paths, input.read, tooling, projectRules(input.read, paths));
  const analysis: Analysis = {
    version: ANALYSIS_VERSION,
    key: input.key,
    repo: input.repo,
    commit: input.commit,
    tree: input.tree,
    files,
    names,
    central: [],
    utilities,
    unanalysed: [...input.unanalysed],
    facts,
    tooling,
    architecture,
    architectureSources,
    conventions,
    quality,
    team,
    languages: [...languages.entries()].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.lines - a.lines || a.name.localeCompare(b.name)),
    testDirs,
    edges,
    links,
    usedBy,
  };
  const topLevel = (i: number) => (input.records.get(files[i]?.blob ?? '')?.defs ?? []).filter((d) => d.container === undefined).slice(0, 4).map((d) => d.name);
  analysis.central = patch
    ? patch.previous.analysis.central.map((c) => ({ index: c.index, defines: topLevel(c.index) }))
    : rankFiles(analysis, '')
        .files.filter((f) => !files[f.index]?.test && (files[f.index]?.symbols ?? 0) > 0)
        .slice(0, 10)
        .map((f) => ({ index: f.index, defines: topLevel(f.index) }));
  return analysis;
}
