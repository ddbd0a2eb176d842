import type { Architecture, Conventions, QualityMetrics, CompleteRepoContext, TeamContext, ToolInfo } from '@patchbay/contracts';
import { detectArchitecture } from './architecture.js';
import { type ConventionCounts, countConventions, describeConventions, emptyConventionCounts, measureQuality, pythonPackages } from './conventions.js';
import { type ImportContext, importAliases, importProbe, probesOf, resolveImport } from './imports.js';
import { isCode, isNoise, isTestFile, languageOf } from './languages.js';
import { type NameTable, buildNameTable, isLinkingName, patchNameTable, postingsOf } from './names.js';
import { type ProjectFacts, projectFacts } from './project-facts.js';
import type { FileRecord, SymbolDef } from './records.js';
import { bestConnected } from './ranking.js';
import { projectRules, teamContext } from './team-context.js';
import { detectTooling } from './tooling.js';
import { byText } from './text-order.js';

/** Bumped whenever what an analysis holds or how it is computed changes: old cache entries are then ignored. */
export const ANALYSIS_VERSION = 8;

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

/** Key → files, ascending: names and the files mentioning them, or import probes and the files importing there. */
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
  /** Name → the files whose references mention it (for the names that can link files). */
  refs: RefIndex;
  /** Where imports look (see importProbe) → the files importing there. */
  probes: RefIndex;
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
  const viaMembers = new Map<number, number>();
  const linked = new Set<number>();
  const used: string[] = [];
  for (const [name, count] of Object.entries(refs)) {
    const linking = g.names.linking(name);
    if (!linking) continue;
    const ds = linking.definers;
    if (!ds.includes(from)) used.push(name);
    if (ds.length > MAX_DEFINERS) continue;
    const w = (nameWeight(name, ds.length) * Math.sqrt(count)) / ds.length;
    for (const to of ds) {
      if (to === from) continue;
      const into = linking.members.has(to) ? viaMembers : out;
      into.set(to, (into.get(to) ?? 0) + w);
    }
    const unique = linking.topLevel;
    if (unique !== undefined && unique >= 0 && unique !== from && name.length >= 4) linked.add(unique);
  }
  const f = g.files[from] as AnalysedFile;
  // Target → how many of the file's imports resolve there.
  const imported = new Map<number, number>();
  for (const spec of imports) {
    for (const target of resolveImport(f.path, spec, f.language, g.resolve)) {
      const to = g.index.get(target);
      if (to !== undefined && to !== from) imported.set(to, (imported.get(to) ?? 0) + 1);
    }
  }
  // A method's name alone (`.push()`, `.get()`) does not say whose method is called: it only
  // strengthens a link that something else made (another name, an import).
  for (const [to, w] of viaMembers) if (out.has(to) || imported.has(to)) out.set(to, (out.get(to) ?? 0) + w);
  const kept = new Map([...out].sort((a, b) => b[1] - a[1]).slice(0, MAX_OUT_EDGES));
  for (const [to, times] of imported) {
    kept.set(to, (kept.get(to) ?? 0) + times);
    linked.add(to);
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

/** Where one file's imports look. */
function probesOfFile(file: AnalysedFile, record: Pick<FileRecord, 'imports'>, facts: Pick<Facts, 'aliases' | 'goModules'>): string[] {
  return [...new Set(record.imports.flatMap((spec) => importProbe(file.path, spec, file.language, facts) ?? []))];
}

/** An index of keys → files, from each file's keys (files in ascending order). */
function buildIndex(entries: Iterable<{ index: number; keys: readonly string[] }>): RefIndex {
  const lists = new Map<string, number[]>();
  for (const { index, keys } of entries) {
    for (const key of keys) {
      const list = lists.get(key);
      if (list) list.push(index);
      else lists.set(key, [index]);
    }
  }
  const names = [...lists.keys()].sort();
  const offsets = new Int32Array(names.length + 1);
  let total = 0;
  names.forEach((name, i) => {
    total += (lists.get(name) as number[]).length;
    offsets[i + 1] = total;
  });
  const files = new Int32Array(total);
  names.forEach((name, i) => files.set(lists.get(name) as number[], offsets[i] as number));
  return { names, offsets, files };
}

/**
 * The index with some files' keys replaced (`changed`: file → its keys now; none when it
 * has none) and, when files moved, every file index mapped first (-1: removed).
 */
function patchIndex(previous: RefIndex, changed: ReadonlyMap<number, readonly string[]>, n: number, map?: Int32Array): RefIndex {
  const mask = new Uint8Array(n);
  for (const file of changed.keys()) mask[file] = 1;
  const add = new Map<string, number[]>();
  let added = 0;
  for (const [file, keys] of [...changed].sort((a, b) => a[0] - b[0])) {
    for (const key of keys) {
      const list = add.get(key);
      if (list) list.push(file);
      else add.set(key, [file]);
      added += 1;
    }
  }
  const addNames = [...add.keys()].sort();
  const names: string[] = [];
  const offsets: number[] = [0];
  const files = new Int32Array(previous.files.length + added);
  let out = 0;
  // Both key lists are sorted: merge them, and each key's files with the added ones.
  const emit = (name: string, at: number, extra: readonly number[] | undefined) => {
    const start = out;
    let a = 0;
    if (at >= 0) {
      for (let p = previous.offsets[at] as number; p < (previous.offsets[at + 1] as number); p++) {
        const file = map ? (map[previous.files[p] as number] as number) : (previous.files[p] as number);
        if (file < 0 || mask[file]) continue;
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
    .sort((a, b) => b.usedBy - a.usedBy || byText(a.name, b.name))
    .slice(0, 10);
  return {
    languages: [...languages.entries()].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.lines - a.lines || byText(a.name, b.name)),
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
  const central = bestConnected(analysis, 10, (i) => !analysis.files[i]?.test && (analysis.files[i]?.symbols ?? 0) > 0).map((index) => {
    const defines = namesOf(index);
    if (!defines) missing.push(index);
    return { index, defines: defines ?? [] };
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
  return entries.sort((a, b) => byText(a.path, b.path));
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
    refs: buildIndex(code.map(({ index: i, record }) => ({ index: i, keys: indexedRefs(record) }))),
    probes: buildIndex(code.map(({ index: i, file, record }) => ({ index: i, keys: probesOfFile(file, record, facts) }))),
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

/** A changed or added code file: its usable record before and after (absent when it had or has none), and why it has none now. */
export interface FileChange {
  before?: FileRecord | undefined;
  after?: FileRecord | undefined;
  skipped?: string | undefined;
}

/** How the file list changed since the previous analysis. */
export interface FileDiff {
  /** Each previous file's index now (-1: removed). */
  map: Int32Array;
  /** Each file's previous index (-1: added). */
  back: Int32Array;
  /** Files (indices now) whose content changed, or that were added. */
  changed: number[];
  /** Previous indices of the files removed. */
  removed: number[];
  /** Whether files were added or removed (their indices moved). */
  moved: boolean;
}

export interface PatchInput extends StateIdentity {
  files: ReadonlyArray<{ path: string; blob: string; size: number }>;
  previous: { analysis: Analysis; state: PatchState };
  /** Listed entries and files that are not analysed, known before reading them. */
  unanalysed: ReadonlyArray<{ path: string; reason: string }>;
  diff: FileDiff;
  /** Every changed or added file (by index now), with the records of the code files among them. */
  changes: ReadonlyMap<number, FileChange>;
  /** The records of the removed files that were parsed, by previous index. */
  removed: ReadonlyMap<number, FileRecord>;
  /** The fact files' view again when one of them changed or files were added or removed; otherwise the previous analysis's holds. */
  facts?: Facts | undefined;
}

/**
 * How the files changed since the previous analysis: which were added, removed or have new
 * content. Undefined when the files the two share are not in the same order (listings that
 * sort differently).
 */
export function diffFiles(previous: Analysis, files: ReadonlyArray<{ path: string; blob: string }>): FileDiff | undefined {
  const at = new Map(files.map((f, i) => [f.path, i]));
  const map = new Int32Array(previous.files.length);
  const back = new Int32Array(files.length).fill(-1);
  const removed: number[] = [];
  let last = -1;
  for (let i = 0; i < previous.files.length; i++) {
    const to = at.get((previous.files[i] as AnalysedFile).path);
    if (to === undefined) {
      map[i] = -1;
      removed.push(i);
      continue;
    }
    if (to <= last) return undefined;
    last = to;
    map[i] = to;
    back[to] = i;
  }
  const changed: number[] = [];
  for (let j = 0; j < files.length; j++) {
    const i = back[j] as number;
    if (i < 0 || previous.files[i]?.blob !== files[j]?.blob) changed.push(j);
  }
  return { map, back, changed, removed, moved: removed.length > 0 || files.length !== previous.files.length - removed.length };
}

/** Symbols of a file now: from its new record when it changed or was added, else as before. */
function symbolsAfter(input: Pick<PatchInput, 'changes' | 'previous' | 'diff'>, j: number): number | undefined {
  const change = input.changes.get(j);
  if (change) return change.after?.defs.length;
  const i = input.diff.back[j] as number;
  return i < 0 ? undefined : input.previous.analysis.files[i]?.symbols;
}

export type PatchPlan = { rows: number[]; reread: number[] } | { reason: string };

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function sameInts(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether the central files are the previous ones: their ranking depends only on the graph,
 * on which files are parsed and which define something, and on the paths. An edit that
 * leaves all of these alone (a body rewritten with the names it used, a comment, a new
 * function using nothing new) needs no PageRank.
 */
function sameCentral(input: PatchInput, files: readonly AnalysedFile[], edges: Int32Array): boolean {
  const { analysis: prev } = input.previous;
  if (input.diff.moved || !sameInts(prev.edges, edges)) return false;
  return input.diff.changed.every((j) => {
    const before = prev.files[input.diff.back[j] as number]?.symbols;
    const after = files[j]?.symbols;
    return (before === undefined) === (after === undefined) && (before ?? 0) > 0 === (after ?? 0) > 0;
  });
}

/** Names whose linking flags differ between two versions of a file's definitions. */
function renamedNames(before: readonly SymbolDef[], after: readonly SymbolDef[]): string[] {
  const a = postingsOf(before);
  const b = postingsOf(after);
  const out: string[] = [];
  for (const [name, [flags]] of a) if ((b.get(name)?.[0] ?? 0) !== flags) out.push(name);
  for (const [name, [flags]] of b) if (!a.has(name) && flags !== 0) out.push(name);
  return out;
}

/** Files (indices now) of a previous index's entry for a key. */
function usersOf(index: RefIndex, lookup: Map<string, number>, key: string, map: Int32Array | undefined): number[] {
  const i = lookup.get(key);
  if (i === undefined) return [];
  const out: number[] = [];
  for (let p = index.offsets[i] as number; p < (index.offsets[i + 1] as number); p++) {
    const file = map ? (map[index.files[p] as number] as number) : (index.files[p] as number);
    if (file >= 0) out.push(file);
  }
  return out;
}

/**
 * Whether the previous analysis can be patched, and how: the rows of the graph to compute
 * again (changed and added files, files using a name they or removed files started or
 * stopped defining, and files whose imports may now resolve elsewhere) and the unchanged
 * files among them whose records must be read again.
 */
export function planPatch(input: Omit<PatchInput, 'unanalysed'>): PatchPlan {
  const { analysis: prev, state } = input.previous;
  const { diff } = input;
  if (diff.changed.length + diff.removed.length > MAX_PATCHED) return { reason: `${diff.changed.length + diff.removed.length} files changed` };
  if (input.facts && (!sameJson(input.facts.aliases, prev.aliases) || !sameJson(input.facts.goModules, prev.goModules))) return { reason: 'import aliases or Go modules changed' };
  if (diff.moved && !input.facts) return { reason: 'files were added or removed but the facts were not read again' };
  const files = analysedFiles(input.files, (j) => symbolsAfter(input, j));
  const map = diff.moved ? diff.map : undefined;
  const refLookup = new Map(state.refs.names.map((n, i) => [n, i]));
  const probeLookup = new Map(state.probes.names.map((n, i) => [n, i]));
  const rows = new Set<number>();
  const rewire = (index: RefIndex, lookup: Map<string, number>, key: string) => {
    for (const f of usersOf(index, lookup, key, map)) if (parsed(files[f] as AnalysedFile)) rows.add(f);
  };
  for (const [j, change] of input.changes) {
    const i = diff.back[j] as number;
    const before = i >= 0 ? (prev.files[i] as AnalysedFile) : undefined;
    const now = files[j] as AnalysedFile;
    if (before && parsed(before) && !change.before) return { reason: `the previous record of ${before.path} is not available` };
    if (change.before || change.after) rows.add(j);
    for (const name of renamedNames(change.before?.defs ?? [], change.after?.defs ?? [])) rewire(state.refs, refLookup, name);
    // Go imports mean every parsed file of a package: one in or out changes what they resolve to.
    if (before && now.language === 'Go' && parsed(before) !== parsed(now)) rewire(state.probes, probeLookup, `go:${dirOf(now.path)}`);
    if (!before) for (const key of probesOf(now.path)) rewire(state.probes, probeLookup, key);
    if (rows.size > MAX_REWIRED) return { reason: `more than ${MAX_REWIRED} files to rewire` };
  }
  for (const i of diff.removed) {
    const before = prev.files[i] as AnalysedFile;
    const record = input.removed.get(i);
    if (parsed(before) && !record) return { reason: `the previous record of ${before.path} is not available` };
    for (const name of renamedNames(record?.defs ?? [], [])) rewire(state.refs, refLookup, name);
    for (const key of probesOf(before.path)) rewire(state.probes, probeLookup, key);
    if (rows.size > MAX_REWIRED) return { reason: `more than ${MAX_REWIRED} files to rewire` };
  }
  if (!sameJson([...pythonPackages(prev.files.filter(parsed))].sort(), [...pythonPackages(files.filter(parsed))].sort())) return { reason: 'the Python packages changed' };
  const sorted = [...rows].sort((a, b) => a - b);
  return { rows: sorted, reread: sorted.filter((j) => !input.changes.has(j)) };
}

/** Rows of a grouped-by-source list with file indices mapped; rows touching a removed file dropped. */
function remapRows(rows: Int32Array, width: number, map: Int32Array): Int32Array {
  const out: number[] = [];
  for (let r = 0; r < rows.length; r += width) {
    const from = map[rows[r] as number] as number;
    const to = map[rows[r + 1] as number] as number;
    if (from < 0 || to < 0) continue;
    out.push(from, to);
    for (let c = 2; c < width; c++) out.push(rows[r + c] as number);
  }
  return Int32Array.from(out);
}

/**
 * The analysis after some files changed, were added or removed, from the previous analysis
 * and its patch state: only the records of those files (before and after) and of the files
 * to rewire are read. Equal to `buildAnalysis` over every file.
 */
export function patchAnalysis(input: PatchInput, plan: Extract<PatchPlan, { rows: number[] }>, recordOf: (blob: string) => FileRecord | undefined): Built {
  const { analysis: prev, state: prevState } = input.previous;
  const { diff } = input;
  const map = diff.moved ? diff.map : undefined;
  const at = (i: number) => (map ? (map[i] as number) : i);
  const facts: Facts = input.facts ?? factsOf(prev);
  const n = input.files.length;
  const files = analysedFiles(input.files, (j) => symbolsAfter(input, j));
  const codeChanges = [...input.changes].filter(([, c]) => c.before || c.after).sort((a, b) => a[0] - b[0]);
  const removed = [...input.removed].sort((a, b) => a[0] - b[0]);
  const { table: names, positions } = patchNameTable(
    prev.names,
    prevState.positions,
    codeChanges.map(([index, c]) => ({ index, before: c.before?.defs ?? [], after: c.after?.defs ?? [] })),
    map ? { map, removed: removed.map(([, r]) => r.defs) } : undefined,
  );
  const graph = graphContext(files, names, facts);
  const renamed = new Set([
    ...codeChanges.flatMap(([, c]) => renamedNames(c.before?.defs ?? [], c.after?.defs ?? [])),
    ...removed.flatMap(([, r]) => renamedNames(r.defs, [])),
  ]);
  const rows = new Set(plan.rows);
  const rowRecord = (j: number) => {
    const change = input.changes.get(j);
    return change ? change.after : recordOf(files[j]?.blob ?? '');
  };

  // Rows kept from the previous graph (in today's indices), rows computed again, in `from` order.
  const prevEdges = map ? remapRows(prev.edges, 3, map) : prev.edges;
  const prevLinks = map ? remapRows(prev.links, 2, map) : prev.links;
  const edges: number[] = [];
  const links: number[] = [];
  let e = 0;
  let l = 0;
  const delta = new Map<string, number>();
  const recount = new Map<string, number>();
  // Uses of names nobody renamed change only in the changed, added and removed files: the old ones no longer count.
  const forget = (from: number, refs: Readonly<Record<string, number>>) => {
    for (const name of outgoing(graph, from, refs, []).used) if (!renamed.has(name)) delta.set(name, (delta.get(name) ?? 0) - 1);
  };
  for (const [j, c] of codeChanges) if (c.before) forget(j, c.before.refs);
  for (const [, r] of removed) forget(-1, r.refs);
  for (let from = 0; from < n; from++) {
    const inRows = rows.has(from);
    while (e < prevEdges.length && (prevEdges[e] as number) === from) {
      if (!inRows) edges.push(from, prevEdges[e + 1] as number, prevEdges[e + 2] as number);
      e += 3;
    }
    while (l < prevLinks.length && (prevLinks[l] as number) === from) {
      if (!inRows) links.push(from, prevLinks[l + 1] as number);
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
  const lines = new Int32Array(n).fill(-1);
  const commentLines = new Int32Array(n).fill(-1);
  for (let i = 0; i < prevState.lines.length; i++) {
    const j = at(i);
    if (j < 0) continue;
    lines[j] = prevState.lines[i] as number;
    commentLines[j] = prevState.commentLines[i] as number;
  }
  const refChanges = new Map<number, string[]>();
  const probeChanges = new Map<number, string[]>();
  const utilities: Array<[number, string, string]> = [];
  for (const [j, c] of codeChanges) {
    const i = diff.back[j] as number;
    const now = files[j] as AnalysedFile;
    if (c.before) countConventions(counts, { ...(prev.files[i] as AnalysedFile), record: c.before }, aliasPrefixes, pyPackages, -1);
    if (c.after) countConventions(counts, { ...now, record: c.after }, aliasPrefixes, pyPackages);
    lines[j] = c.after?.lines ?? -1;
    commentLines[j] = c.after?.commentLines ?? -1;
    refChanges.set(j, c.after ? indexedRefs(c.after) : []);
    probeChanges.set(j, c.after ? probesOfFile(now, c.after, facts) : []);
    if (c.after) utilities.push(...utilityCandidates(j, now, c.after));
  }
  for (const [i, r] of removed) countConventions(counts, { ...(prev.files[i] as AnalysedFile), record: r }, aliasPrefixes, pyPackages, -1);
  const skipped = new Map(prevState.skipped.flatMap(([i, reason]): Array<[number, string]> => (at(i) >= 0 ? [[at(i), reason]] : [])));
  for (const [j, c] of input.changes) {
    if (c.skipped !== undefined) skipped.set(j, c.skipped);
    else skipped.delete(j);
  }
  const state: PatchState = {
    positions,
    refs: patchIndex(prevState.refs, refChanges, n, map),
    probes: patchIndex(prevState.probes, probeChanges, n, map),
    lines,
    commentLines,
    conventions: counts,
    utilities: [
      ...prevState.utilities.flatMap(([i, name, usage]): Array<[number, string, string]> => (at(i) >= 0 && !input.changes.has(at(i)) ? [[at(i), name, usage]] : [])),
      ...utilities,
    ].sort((a, b) => a[0] - b[0]),
    skipped: [...skipped].sort((a, b) => a[0] - b[0]),
  };
  const analysis = assemble(input, files, facts, names, Int32Array.from(edges), Int32Array.from(links), state, [
    ...input.unanalysed,
    ...state.skipped.map(([j, reason]) => ({ path: files[j]?.path ?? '', reason })),
  ]);
  const previousCentral = new Map(prev.central.flatMap((c): Array<[number, string[]]> => (at(c.index) >= 0 ? [[at(c.index), c.defines]] : [])));
  const namesOf = (j: number) => {
    const change = input.changes.get(j);
    const record = change ? change.after : recordOf(files[j]?.blob ?? '');
    return record ? topLevelNames(record.defs) : previousCentral.get(j);
  };
  const { central, missing } = sameCentral(input, files, analysis.edges)
    ? { central: prev.central.map((c) => ({ index: c.index, defines: namesOf(c.index) ?? c.defines })), missing: [] }
    : centralFiles(analysis, namesOf);
  analysis.central = central;
  return { analysis, state, missing };
}
