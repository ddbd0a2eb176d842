import type { Architecture, Conventions, QualityMetrics, CompleteRepoContext, TeamContext, ToolInfo } from '@patchbay/contracts';
import { detectArchitecture } from './architecture.js';
import { type ConventionCounts, countConventions, describeConventions, emptyConventionCounts, measureQuality, pythonPackages } from './conventions.js';
import { type ImportContext, importAliases, resolveImport } from './imports.js';
import { isCode, isNoise, isTestFile, languageOf } from './languages.js';
import { type NameTable, buildNameTable, isLinkingName, patchNameTable, postingsOf } from './names.js';
import { type ProjectFacts, projectFacts } from './project-facts.js';
import type { FileRecord, SymbolDef } from './records.js';
import { rankFiles } from './ranking.js';
import { projectRules, teamContext } from './team-context.js';
import { detectTooling } from './tooling.js';

/** Bumped whenever what an analysis holds or how it is computed changes: old cache entries are then ignored. */
export const ANALYSIS_VERSION = 4;

/** What a request needs of a file's record: its symbols and size, not the references the graph was built from. */
export type SlimRecord = Pick<FileRecord, 'lines' | 'commentLines' | 'defs'>;

/** Files with most out-edges kept: the strongest references say where a file belongs; the long tail is noise. */
const MAX_OUT_EDGES = 40;
/** A name defined in more files than this is too common to link anything. */
const MAX_DEFINERS = 20;
/** More changed files than this, or more files to rewire, and rebuilding is as cheap as patching. */
const MAX_PATCHED = 500;
const MAX_REWIRED = 2_000;

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

/** What the fact files (manifests, configs, team documents) and the paths say; unchanged while neither changes. */
export interface Facts {
  facts: ProjectFacts;
  tooling: ToolInfo[];
  architecture: Architecture;
  /** Files the architecture was read from (besides the directory layout). */
  architectureSources: string[];
  team: TeamContext;
  /** Import aliases (tsconfig paths, workspace packages) and Go modules: what imports resolve with. */
  aliases: Array<[string, string]>;
  goModules: Array<{ dir: string; module: string }>;
}

/**
 * Everything about one state of a repository that does not depend on the task: cached by
 * tree hash and shared by all context-engine workers.
 */
export interface Analysis extends Facts {
  version: number;
  key: string;
  repo: string;
  commit: string;
  tree: string;
  files: AnalysedFile[];
  /** Defined name → the files (indices) defining it and how many other files use it; symbols themselves are fetched per file by blob. */
  names: NameTable;
  /** The best-connected code files by plain PageRank (task-independent), best first, with their top-level names. */
  central: Array<{ index: number; defines: string[] }>;
  utilities: Utility[];
  unanalysed: Array<{ path: string; reason: string }>;
  conventions: Conventions;
  quality: QualityMetrics;
  languages: CompleteRepoContext['languages'];
  testDirs: string[];
  /** Reference graph over `files` indices: [from, to, weight] triples grouped by `from` ascending, weight in thousandths. */
  edges: Int32Array;
  /** Direct dependencies: [from, to] pairs grouped by `from` ascending (an import, or a name only `to` defines). */
  links: Int32Array;
}

/** Name → the files mentioning it, for the names that can link files. */
export interface RefIndex {
  names: readonly string[];
  offsets: Int32Array;
  files: Int32Array;
}

/**
 * What an analysis keeps only so that it can be patched after a change, instead of being
 * rebuilt from every file's record. Stored beside the analysis; read only for a change.
 */
export interface PatchState {
  /** Per posting of the name table: where the name is first defined in that file's definitions. */
  positions: Int32Array;
  refs: RefIndex;
  /** Per file: lines and comment lines of parsed code files, -1 for the others. */
  lines: Int32Array;
  commentLines: Int32Array;
  conventions: ConventionCounts;
  /** Exported top-level functions of helper modules: [file, name, signature], by file then definition order. */
  utilities: Array<[number, string, string]>;
  /** Code files without a usable record, and why (binary, minified, unreadable). */
  skipped: Array<[number, string]>;
}

export interface Built {
  analysis: Analysis;
  state: PatchState;
  /** Central files whose top-level names were not at hand: fill them in with `withCentralNames`. */
  missing: number[];
}

interface StateIdentity {
  key: string;
  repo: string;
  commit: string;
  tree: string;
}

export interface AnalysisInput extends StateIdentity {
  files: ReadonlyArray<{ path: string; blob: string; size: number }>;
  /** Usable records of the parsed code files, by blob. */
  records: ReadonlyMap<string, FileRecord>;
  /** Listed entries and files that are not analysed, and why, known before reading them. */
  unanalysed: ReadonlyArray<{ path: string; reason: string }>;
  /** Code files without a usable record, and why. */
  skipped: ReadonlyMap<string, string>;
  /** Text of the small files facts come from (manifests, configs, docs). */
  read(path: string): string | undefined;
}

const UTILITY_DIR = /(^|\/)(utils?|helpers?|lib|common|shared)(\/|$)|(^|\/)(utils?|helpers?)\.[a-z]+$/i;

/** Weight of a reference edge (after aider's repo map): long specific names count, private and ubiquitous ones little. */
function nameWeight(name: string, definers: number): number {
  let w = 1;
  if (name.length >= 8 && (/[a-z][A-Z]/.test(name) || name.includes('_') || name.includes('-'))) w *= 10;
  if (name.startsWith('_')) w *= 0.1;
  if (definers > 5) w *= 0.1;
  return w;
}

const dirOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** Facts, tooling, architecture, team context and import resolution, from the paths and the fact files' texts. */
export function readFacts(paths: readonly string[], read: (path: string) => string | undefined): Facts {
  const facts = projectFacts(paths, read);
  const tooling = detectTooling(paths, read, facts.dependencies);
  const { sources: architectureSources, ...architecture } = detectArchitecture(paths, read);
  const aliases = importAliases(read, paths, architecture.workspaces);
  const goModules = paths
    .filter((p) => /(^|\/)go\.mod$/.test(p))
    .flatMap((p) => {
      const module = /^module\s+(\S+)/m.exec(read(p) ?? '')?.[1];
      return module ? [{ dir: dirOf(p), module }] : [];
    });
  const team = teamContext(paths, read, tooling, projectRules(read, paths));
  return { facts, tooling, architecture, architectureSources, team, aliases, goModules };
}

/** The files as the analysis lists them; `symbolsOf` says how many symbols a parsed code file has (undefined: not parsed). */
function analysedFiles(files: AnalysisInput['files'], symbolsOf: (i: number, blob: string) => number | undefined): AnalysedFile[] {
  return files.map((f, i) => {
    const language = languageOf(f.path);
    const symbols = isCode(language) && !isNoise(f.path) ? symbolsOf(i, f.blob) : undefined;
    return {
      path: f.path,
      blob: f.blob,
      size: f.size,
      ...(language ? { language } : {}),
      test: isTestFile(f.path),
      ...(symbols !== undefined ? { symbols } : {}),
    };
  });
}

/** Just the facts of an analysis (or of freshly read facts). */
const factsOf = (f: Facts): Facts => ({
  facts: f.facts,
  tooling: f.tooling,
  architecture: f.architecture,
  architectureSources: f.architectureSources,
  team: f.team,
  aliases: f.aliases,
  goModules: f.goModules,
});

/** Whether a file was parsed (the code the graph and measurements are over). */
const parsed = (f: AnalysedFile) => f.symbols !== undefined;

/** The graph's view of the repository: paths, definitions and how imports resolve. */
interface Graph {
  files: readonly AnalysedFile[];
  names: NameTable;
  index: Map<string, number>;
  resolve: ImportContext;
}

function graphContext(files: readonly AnalysedFile[], names: NameTable, facts: Facts): Graph {
  const index = new Map(files.map((f, i) => [f.path, i]));
  const goByDir = new Map<string, string[]>();
  for (const f of files) {
    if (f.language !== 'Go' || f.test || !parsed(f)) continue;
    const dir = dirOf(f.path);
    goByDir.set(dir, [...(goByDir.get(dir) ?? []), f.path]);
  }
  return {
    files,
    names,
    index,
    resolve: { has: (p) => index.has(p), goFiles: (d) => goByDir.get(d) ?? [], goModules: facts.goModules, aliases: facts.aliases },
  };
}

/** One file's out-edges (references weighted, imports counted), direct links, and the names it uses from elsewhere. */
function outgoing(g: Graph, from: number, refs: Readonly<Record<string, number>>, imports: readonly string[]) {
  const out = new Map<number, number>();
  const linked = new Set<number>();
  const used: string[] = [];
  for (const [name, count] of Object.entries(refs)) {
    const linking = g.names.linking(name);
    if (!linking) continue;
    const ds = linking.definers;
    if (!ds.includes(from)) used.push(name);
    if (ds.length > MAX_DEFINERS) continue;
    const w = (nameWeight(name, ds.length) * Math.sqrt(count)) / ds.length;
    for (const to of ds) if (to !== from) out.set(to, (out.get(to) ?? 0) + w);
    const unique = linking.topLevel;
    if (unique !== undefined && unique >= 0 && unique !== from && name.length >= 4) linked.add(unique);
  }
  const kept = new Map([...out].sort((a, b) => b[1] - a[1]).slice(0, MAX_OUT_EDGES));
  const f = g.files[from] as AnalysedFile;
  for (const spec of imports) {
    for (const target of resolveImport(f.path, spec, f.language, g.resolve)) {
      const to = g.index.get(target);
      if (to === undefined || to === from) continue;
      kept.set(to, (kept.get(to) ?? 0) + 1);
      linked.add(to);
    }
  }
  return { kept, linked, used };
}

/** Appends one file's edges and links. */
function emitRow(from: number, row: ReturnType<typeof outgoing>, edges: number[], links: number[]): void {
  for (const [to, w] of row.kept) edges.push(from, to, Math.max(1, Math.round(w * 1000)));
  for (const to of row.linked) links.push(from, to);
}

/** Names of one record's refs that the reference index keeps (those that could ever link). */
const indexedRefs = (record: Pick<FileRecord, 'refs'>) => Object.keys(record.refs).filter(isLinkingName);

function buildRefIndex(code: Iterable<{ index: number; record: Pick<FileRecord, 'refs'> }>): RefIndex {
  const lists = new Map<string, number[]>();
  for (const { index, record } of code) {
    for (const name of indexedRefs(record)) {
      const list = lists.get(name);
      if (list) list.push(index);
      else lists.set(name, [index]);
    }
  }
  return refIndexOf([...lists.keys()].sort(), lists);
}

function refIndexOf(names: readonly string[], lists: ReadonlyMap<string, readonly number[]>): RefIndex {
  const offsets = new Int32Array(names.length + 1);
  let total = 0;
  names.forEach((name, i) => {
    total += (lists.get(name) as readonly number[]).length;
    offsets[i + 1] = total;
  });
  const files = new Int32Array(total);
  names.forEach((name, i) => files.set(lists.get(name) as readonly number[], offsets[i] as number));
  return { names, offsets, files };
}

/** The reference index with some files' references replaced (`changed`: file → its new record, if any). */
function patchRefIndex(previous: RefIndex, changed: ReadonlyMap<number, Pick<FileRecord, 'refs'> | undefined>, n: number): RefIndex {
  const mask = new Uint8Array(n);
  for (const file of changed.keys()) mask[file] = 1;
  const add = new Map<string, number[]>();
  let added = 0;
  for (const [file, record] of [...changed].sort((a, b) => a[0] - b[0])) {
    if (!record) continue;
    for (const name of indexedRefs(record)) {
      const list = add.get(name);
      if (list) list.push(file);
      else add.set(name, [file]);
      added += 1;
    }
  }
  const addNames = [...add.keys()].sort();
  const names: string[] = [];
  const offsets: number[] = [0];
  const files = new Int32Array(previous.files.length + added);
  let out = 0;
  // Both name lists are sorted: merge them, and each name's postings with the added files.
  const emit = (name: string, at: number, extra: readonly number[] | undefined) => {
    const start = out;
    let a = 0;
    if (at >= 0) {
      for (let p = previous.offsets[at] as number; p < (previous.offsets[at + 1] as number); p++) {
        const file = previous.files[p] as number;
        if (mask[file]) continue;
        while (extra && a < extra.length && (extra[a] as number) < file) files[out++] = extra[a++] as number;
        files[out++] = file;
      }
    }
    while (extra && a < extra.length) files[out++] = extra[a++] as number;
    if (out > start) {
      names.push(name);
      offsets.push(out);
    }
  };
  let i = 0;
  let j = 0;
  while (i < previous.names.length || j < addNames.length) {
    const before = previous.names[i];
    const now = addNames[j];
    if (now === undefined || (before !== undefined && before < now)) emit(before as string, i++, undefined);
    else if (before === undefined || now < before) emit(now, -1, add.get(addNames[j++] as string));
    else {
      emit(before, i++, add.get(now));
      j++;
    }
  }
  return { names, offsets: Int32Array.from(offsets), files: files.slice(0, out) };
}

/** Files of the reference index that mention a name. */
function referencing(index: RefIndex, lookup: Map<string, number>, name: string): Int32Array | undefined {
  const i = lookup.get(name);
  return i === undefined ? undefined : index.files.subarray(index.offsets[i] as number, index.offsets[i + 1] as number);
}

function utilityCandidates(index: number, f: AnalysedFile, record: Pick<FileRecord, 'defs'>): Array<[number, string, string]> {
  if (f.test || !UTILITY_DIR.test(f.path)) return [];
  return record.defs.filter((d) => d.kind === 'function' && d.container === undefined && d.exported).map((d) => [index, d.name, d.signature]);
}

/** Aggregates recomputed from per-file values in one pass: languages, test directories, quality, helpers in use. */
function aggregates(files: readonly AnalysedFile[], state: PatchState, names: NameTable) {
  const languages = new Map<string, { files: number; lines: number }>();
  const measured: Array<{ path: string; test: boolean; lines: number; commentLines: number }> = [];
  const testDirs = new Set<string>();
  files.forEach((f, i) => {
    if (!parsed(f)) return;
    const lines = state.lines[i] as number;
    const entry = languages.get(f.language as string) ?? { files: 0, lines: 0 };
    entry.files += 1;
    entry.lines += lines;
    languages.set(f.language as string, entry);
    measured.push({ path: f.path, test: f.test, lines, commentLines: state.commentLines[i] as number });
    if (f.test) testDirs.add(f.path.includes('/') ? dirOf(f.path) : '.');
  });
  // Utilities: exported top-level functions in helper modules that other files already use.
  const utilities = state.utilities
    .flatMap(([file, name, usage]) => {
      const usedBy = names.usedBy(name);
      return usedBy >= 2 ? [{ name, file: files[file]?.path ?? '', usage, usedBy }] : [];
    })
    .sort((a, b) => b.usedBy - a.usedBy || a.name.localeCompare(b.name))
    .slice(0, 10);
  return {
    languages: [...languages.entries()].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.lines - a.lines || a.name.localeCompare(b.name)),
    testDirs: [...testDirs].sort(),
    quality: measureQuality(measured),
    utilities,
  };
}

/** Top-level names of a file's record, for `central`. */
const topLevelNames = (defs: readonly SymbolDef[]) => defs.filter((d) => d.container === undefined).slice(0, 4).map((d) => d.name);

/**
 * The best-connected files by plain PageRank, with their top-level names where `defsOf`
 * knows them; `missing` lists the files whose names it did not know.
 */
function centralFiles(analysis: Analysis, namesOf: (index: number) => string[] | undefined): { central: Analysis['central']; missing: number[] } {
  const missing: number[] = [];
  const central = rankFiles(analysis, '')
    .files.filter((f) => !analysis.files[f.index]?.test && (analysis.files[f.index]?.symbols ?? 0) > 0)
    .slice(0, 10)
    .map((f) => {
      const defines = namesOf(f.index);
      if (!defines) missing.push(f.index);
      return { index: f.index, defines: defines ?? [] };
    });
  return { central, missing };
}

/** Fills in the top-level names of central files from their records. */
export function withCentralNames(analysis: Analysis, records: ReadonlyMap<string, Pick<FileRecord, 'defs'>>): void {
  for (const c of analysis.central) {
    const record = records.get(analysis.files[c.index]?.blob ?? '');
    if (record) c.defines = topLevelNames(record.defs);
  }
}

function sortedUnanalysed(entries: Array<{ path: string; reason: string }>): Array<{ path: string; reason: string }> {
  return entries.sort((a, b) => a.path.localeCompare(b.path));
}

/** Builds the analysis of a repository state from every parsed file's record. */
export function buildAnalysis(input: AnalysisInput): Built {
  const paths = input.files.map((f) => f.path);
  const files = analysedFiles(input.files, (_i, blob) => input.records.get(blob)?.defs.length);
  const facts = readFacts(paths, input.read);
  const code = files.flatMap((f, index) => (parsed(f) ? [{ index, file: f, record: input.records.get(f.blob) as FileRecord }] : []));
  const { table: names, positions } = buildNameTable(code.map(({ index, record }) => ({ index, defs: record.defs })));
  const graph = graphContext(files, names, facts);

  const edges: number[] = [];
  const links: number[] = [];
  const usedBy = new Map<string, number>();
  for (const { index, record } of code) {
    const row = outgoing(graph, index, record.refs, record.imports);
    emitRow(index, row, edges, links);
    for (const name of row.used) usedBy.set(name, (usedBy.get(name) ?? 0) + 1);
  }
  const table = names.data;
  for (let i = 0; i < table.names.length; i++) table.usedBy[i] = usedBy.get(table.names[i] as string) ?? 0;

  const aliasPrefixes = facts.aliases.map(([prefix]) => prefix);
  const pyPackages = pythonPackages(code.map((c) => c.file));
  const counts = emptyConventionCounts();
  const lines = new Int32Array(files.length).fill(-1);
  const commentLines = new Int32Array(files.length).fill(-1);
  for (const { index, file, record } of code) {
    countConventions(counts, { ...file, record }, aliasPrefixes, pyPackages);
    lines[index] = record.lines;
    commentLines[index] = record.commentLines;
  }
  const index = new Map(paths.map((p, i) => [p, i]));
  const state: PatchState = {
    positions,
    refs: buildRefIndex(code),
    lines,
    commentLines,
    conventions: counts,
    utilities: code.flatMap(({ index: i, file, record }) => utilityCandidates(i, file, record)),
    skipped: [...input.skipped].flatMap(([path, reason]) => (index.has(path) ? [[index.get(path) as number, reason] as [number, string]] : [])).sort((a, b) => a[0] - b[0]),
  };
  const analysis = assemble(input, files, facts, names, Int32Array.from(edges), Int32Array.from(links), state, [
    ...input.unanalysed,
    ...[...input.skipped].map(([path, reason]) => ({ path, reason })),
  ]);
  const { central, missing } = centralFiles(analysis, (i) => {
    const record = input.records.get(files[i]?.blob ?? '');
    return record && topLevelNames(record.defs);
  });
  analysis.central = central;
  return { analysis, state, missing };
}

function assemble(
  id: StateIdentity,
  files: AnalysedFile[],
  facts: Facts,
  names: NameTable,
  edges: Int32Array,
  links: Int32Array,
  state: PatchState,
  unanalysed: Array<{ path: string; reason: string }>,
): Analysis {
  const { languages, testDirs, quality, utilities } = aggregates(files, state, names);
  return {
    version: ANALYSIS_VERSION,
    key: id.key,
    repo: id.repo,
    commit: id.commit,
    tree: id.tree,
    files,
    names,
    central: [],
    utilities,
    unanalysed: sortedUnanalysed(unanalysed),
    ...factsOf(facts),
    conventions: describeConventions(state.conventions, facts.tooling, facts.aliases.map(([prefix]) => prefix)),
    quality,
    languages,
    testDirs,
    edges,
    links,
  };
}

/** A changed code file: its usable record before and after the change (absent when it had or has none), and why it has none now. */
export interface FileChange {
  before?: FileRecord | undefined;
  after?: FileRecord | undefined;
  skipped?: string | undefined;
}

export interface PatchInput extends StateIdentity {
  files: ReadonlyArray<{ path: string; blob: string; size: number }>;
  previous: { analysis: Analysis; state: PatchState };
  /** Listed entries and files that are not analysed, known before reading them. */
  unanalysed: ReadonlyArray<{ path: string; reason: string }>;
  /** Every file whose content changed (by index), with the records of the code files among them. */
  changes: ReadonlyMap<number, FileChange>;
  /** The fact files' view again when one of them changed; otherwise the previous analysis's holds. */
  facts?: Facts | undefined;
}

/** Which files' content changed since the previous analysis, or undefined when the paths differ (files added, removed or renamed). */
export function changedFiles(previous: Analysis, files: ReadonlyArray<{ path: string; blob: string }>): number[] | undefined {
  if (previous.files.length !== files.length) return undefined;
  const changed: number[] = [];
  for (let i = 0; i < files.length; i++) {
    const before = previous.files[i] as AnalysedFile;
    const now = files[i] as { path: string; blob: string };
    if (before.path !== now.path) return undefined;
    if (before.blob !== now.blob) changed.push(i);
  }
  return changed;
}

/** Symbols of a file after the change: from its new record when it changed, else as before. */
function symbolsAfter(input: Pick<PatchInput, 'changes' | 'previous'>, i: number): number | undefined {
  const change = input.changes.get(i);
  return change ? change.after?.defs.length : input.previous.analysis.files[i]?.symbols;
}

export type PatchPlan = { rows: number[]; reread: number[] } | { reason: string };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Names whose linking flags differ between two versions of a file's definitions. */
function renamedNames(before: readonly SymbolDef[], after: readonly SymbolDef[]): string[] {
  const a = postingsOf(before);
  const b = postingsOf(after);
  const out: string[] = [];
  for (const [name, [flags]] of a) if ((b.get(name)?.[0] ?? 0) !== flags) out.push(name);
  for (const [name, [flags]] of b) if (!a.has(name) && flags !== 0) out.push(name);
  return out;
}

/**
 * Whether the previous analysis can be patched, and how: the rows of the graph to compute
 * again (changed files, and files using a name they started or stopped defining) and the
 * unchanged files among them whose records must be read again.
 */
export function planPatch(input: Omit<PatchInput, 'unanalysed'>): PatchPlan {
  const { analysis: prev, state } = input.previous;
  if (input.changes.size > MAX_PATCHED) return { reason: `${input.changes.size} files changed` };
  if (input.facts && (!sameJson(input.facts.aliases, prev.aliases) || !sameJson(input.facts.goModules, prev.goModules))) return { reason: 'import aliases or Go modules changed' };
  const refLookup = new Map(state.refs.names.map((n, i) => [n, i]));
  const rows = new Set<number>();
  const files = analysedFiles(input.files, (i) => symbolsAfter(input, i));
  for (const [i, change] of input.changes) {
    const before = prev.files[i] as AnalysedFile;
    if (parsed(before) && !change.before) return { reason: `the previous record of ${before.path} is not available` };
    if (parsed(before) !== (change.after !== undefined) && before.language === 'Go') return { reason: `a Go file (${before.path}) gained or lost its record` };
    if (change.before || change.after) rows.add(i);
    for (const name of renamedNames(change.before?.defs ?? [], change.after?.defs ?? [])) {
      for (const f of referencing(state.refs, refLookup, name) ?? []) if (parsed(files[f] as AnalysedFile)) rows.add(f);
      if (rows.size > MAX_REWIRED) return { reason: `more than ${MAX_REWIRED} files to rewire` };
    }
  }
  if (!sameJson([...pythonPackages(prev.files.filter(parsed))].sort(), [...pythonPackages(files.filter(parsed))].sort())) return { reason: 'the Python packages changed' };
  const sorted = [...rows].sort((a, b) => a - b);
  return { rows: sorted, reread: sorted.filter((i) => !input.changes.has(i)) };
}

/**
 * The analysis after some files changed, from the previous analysis and its patch state:
 * only the changed files' records (before and after) and those of the files to rewire are
 * read. Equal to `buildAnalysis` over every file.
 */
export function patchAnalysis(input: PatchInput, plan: Extract<PatchPlan, { rows: number[] }>, recordOf: (blob: string) => FileRecord | undefined): Built {
  const { analysis: prev, state: prevState } = input.previous;
  const facts: Facts = input.facts ?? factsOf(prev);
  const files = analysedFiles(input.files, (i) => symbolsAfter(input, i));
  const codeChanges = [...input.changes].filter(([, c]) => c.before || c.after).sort((a, b) => a[0] - b[0]);
  const { table: names, positions } = patchNameTable(
    prev.names,
    prevState.positions,
    codeChanges.map(([index, c]) => ({ index, before: c.before?.defs ?? [], after: c.after?.defs ?? [] })),
  );
  const graph = graphContext(files, names, facts);
  const renamed = new Set(codeChanges.flatMap(([, c]) => renamedNames(c.before?.defs ?? [], c.after?.defs ?? [])));
  const rows = new Set(plan.rows);
  const rowRecord = (i: number) => {
    const change = input.changes.get(i);
    return change ? change.after : recordOf(files[i]?.blob ?? '');
  };

  // Rows kept from the previous graph, rows computed again, in `from` order.
  const edges: number[] = [];
  const links: number[] = [];
  let e = 0;
  let l = 0;
  const delta = new Map<string, number>();
  const recount = new Map<string, number>();
  for (const [i, c] of codeChanges) {
    // A changed file's previous uses of names nobody renamed no longer count.
    if (!c.before) continue;
    for (const name of outgoing(graph, i, c.before.refs, []).used) if (!renamed.has(name)) delta.set(name, (delta.get(name) ?? 0) - 1);
  }
  for (let from = 0; from < files.length; from++) {
    const inRows = rows.has(from);
    while (e < prev.edges.length && (prev.edges[e] as number) === from) {
      if (!inRows) edges.push(from, prev.edges[e + 1] as number, prev.edges[e + 2] as number);
      e += 3;
    }
    while (l < prev.links.length && (prev.links[l] as number) === from) {
      if (!inRows) links.push(from, prev.links[l + 1] as number);
      l += 2;
    }
    if (!inRows) continue;
    const record = rowRecord(from);
    if (!record) continue;
    const row = outgoing(graph, from, record.refs, record.imports);
    emitRow(from, row, edges, links);
    const changed = input.changes.has(from);
    for (const name of row.used) {
      if (renamed.has(name)) recount.set(name, (recount.get(name) ?? 0) + 1);
      else if (changed) delta.set(name, (delta.get(name) ?? 0) + 1);
    }
  }
  const table = names.data;
  const prevTable = prev.names.data;
  const prevIndex = new Map(prevTable.names.map((name, i) => [name, i]));
  for (let i = 0; i < table.names.length; i++) {
    const name = table.names[i] as string;
    const before = prevIndex.get(name);
    table.usedBy[i] = renamed.has(name) ? (recount.get(name) ?? 0) : (before === undefined ? 0 : (prevTable.usedBy[before] as number)) + (delta.get(name) ?? 0);
  }

  const aliasPrefixes = facts.aliases.map(([prefix]) => prefix);
  const pyPackages = pythonPackages(files.filter(parsed));
  const counts = structuredClone(prevState.conventions);
  const lines = Int32Array.from(prevState.lines);
  const commentLines = Int32Array.from(prevState.commentLines);
  const refChanges = new Map<number, FileRecord | undefined>();
  const changedUtilities = new Set<number>();
  const utilities: Array<[number, string, string]> = [];
  for (const [i, c] of codeChanges) {
    const before = prev.files[i] as AnalysedFile;
    const after = files[i] as AnalysedFile;
    if (c.before) countConventions(counts, { ...before, record: c.before }, aliasPrefixes, pyPackages, -1);
    if (c.after) countConventions(counts, { ...after, record: c.after }, aliasPrefixes, pyPackages);
    lines[i] = c.after?.lines ?? -1;
    commentLines[i] = c.after?.commentLines ?? -1;
    refChanges.set(i, c.after);
    changedUtilities.add(i);
    if (c.after) utilities.push(...utilityCandidates(i, after, c.after));
  }
  const skipped = new Map(prevState.skipped);
  for (const [i, c] of input.changes) {
    if (c.skipped !== undefined) skipped.set(i, c.skipped);
    else skipped.delete(i);
  }
  const state: PatchState = {
    positions,
    refs: patchRefIndex(prevState.refs, refChanges, files.length),
    lines,
    commentLines,
    conventions: counts,
    utilities: [...prevState.utilities.filter(([file]) => !changedUtilities.has(file)), ...utilities].sort((a, b) => a[0] - b[0]),
    skipped: [...skipped].sort((a, b) => a[0] - b[0]),
  };
  const analysis = assemble(input, files, facts, names, Int32Array.from(edges), Int32Array.from(links), state, [
    ...input.unanalysed,
    ...state.skipped.map(([i, reason]) => ({ path: files[i]?.path ?? '', reason })),
  ]);
  const previousCentral = new Map(prev.central.map((c) => [c.index, c.defines]));
  const { central, missing } = centralFiles(analysis, (i) => {
    const change = input.changes.get(i);
    const record = change ? change.after : recordOf(files[i]?.blob ?? '');
    return record ? topLevelNames(record.defs) : previousCentral.get(i);
  });
  analysis.central = central;
  return { analysis, state, missing };
}
