import type { CompleteRepoContext } from '@patchbay/contracts';
import type { Logger } from '@patchbay/telemetry';
import {
  ANALYSIS_VERSION,
  type Analysis,
  type Built,
  type FileChange,
  type FileDiff,
  type PatchState,
  type SlimRecord,
  buildAnalysis,
  diffFiles,
  patchAnalysis,
  planPatch,
  readFacts,
  withCentralNames,
} from '../domain/analysis.js';
import { isFactFile, skipReason } from '../domain/file-kinds.js';
import { grammarFor, isCode, languageOf } from '../domain/languages.js';
import type { FileRecord } from '../domain/records.js';
import { type ParsingThreads, parseInParallel, startParsingThreads, threadsFor } from '../parsing/parallel.js';
import { decodeText } from '../parsing/record-for.js';
import { type SymbolParser, loadSymbolParser } from '../parsing/tree-sitter.js';
import type { ContextCache } from './cache.js';
import { keepRecent } from './recent.js';
import type { Identity, ListedFile, Listing, RepoSource } from './source.js';

export interface AnalyzeOptions {
  cache: ContextCache;
  parser: () => Promise<SymbolParser>;
  maxFileBytes: number;
  log?: Logger;
  /** Keep recent analyses in this process too (default true); the shared cache is always used. */
  memo?: boolean;
  /** Parsing threads besides this one for large parses (default: one per further core, at most 3; 0: none). */
  threads?: number | undefined;
  /**
   * Return the analysis before it is in the shared cache (default false): an answer need
   * not wait for the store, but whoever passes this must await `stored` before exiting.
   */
  storeBehind?: boolean;
  /**
   * A worker that expects the next request to follow an edit (a checkout's own engine): an
   * analysis taken from the shared cache is kept with its patch state, so that the first
   * change patches without fetching it.
   */
  keepPatchState?: boolean;
}

export interface AnalyzeResult {
  analysis: Analysis;
  identity: Identity;
  stats: CompleteRepoContext['cache'];
  /**
   * How it was obtained: from this process's memory, from the shared cache, by patching the
   * previous analysis of the repository, or built from every file's record (`why` says why
   * the previous analysis could not be patched, when there was one).
   */
  route: {
    via: 'memory' | 'shared cache' | 'patched' | 'built';
    why?: string;
    /** Parsing threads that parsed files besides this one (large parses only). */
    threads?: number;
  };
  /** Settles when what was built is in the shared cache (at once for a cache hit); never rejects. */
  stored: Promise<void>;
}

const MEMO_SIZE = 4;
/** Recent analyses of this process, with their patch state when it is at hand (the same worker's next change needs no fetch). */
const memo = new Map<string, { analysis: Analysis; state?: PatchState | undefined }>();
const remember = (analysis: Analysis, state?: PatchState) => {
  const known = memo.get(analysis.key);
  keepRecent(memo, analysis.key, { analysis, state: state ?? (known?.analysis === analysis ? known.state : undefined) }, MEMO_SIZE);
};

const latestPointer = (repo: string) => `latest:${repo}`;

/** Symbols of recently used files, by blob: a repeated request renders its map without the network. */
const RECORDS_REMEMBERED = 20_000;
const recordMemo = new Map<string, SlimRecord>();
function rememberRecord(blob: string, record: SlimRecord): void {
  if (!recordMemo.has(blob)) keepRecent(recordMemo, blob, { lines: record.lines, commentLines: record.commentLines, defs: record.defs }, RECORDS_REMEMBERED);
}

/** The symbols of some files: from this process's memory, else the shared cache (per-file records by blob). */
export async function recordsFor(cache: ContextCache, blobs: readonly string[]): Promise<Map<string, SlimRecord>> {
  const out = new Map<string, SlimRecord>();
  const missing: string[] = [];
  for (const blob of new Set(blobs)) {
    const known = recordMemo.get(blob);
    if (known) out.set(blob, known);
    else missing.push(blob);
  }
  for (const [blob, record] of await cache.getRecords(missing)) {
    rememberRecord(blob, record);
    out.set(blob, record);
  }
  return out;
}
/** Files of a listing sorted into what the analysis does with them. */
interface Sorted {
  /** Listed entries and files that are not analysed, known before reading anything. */
  unanalysed: Array<{ path: string; reason: string }>;
  /** Code files to parse (by listing index). */
  code: ListedFile[];
  codeAt: Set<number>;
  /** Small files facts are read from. */
  factFiles: ListedFile[];
  factAt: Set<number>;
}

function sortFiles(listing: Listing, maxFileBytes: number): Sorted {
  const out: Sorted = { unanalysed: [...listing.unanalysed], code: [], codeAt: new Set(), factFiles: [], factAt: new Set() };
  listing.files.forEach((f, i) => {
    const reason = skipReason(f.path, f.size, maxFileBytes);
    if (reason !== undefined) {
      if (reason !== 'dependency or build output') out.unanalysed.push({ path: f.path, reason });
      return;
    }
    if (isCode(languageOf(f.path))) {
      out.code.push(f);
      out.codeAt.add(i);
    }
    if (isFactFile(f.path)) {
      out.factFiles.push(f);
      out.factAt.add(i);
    }
  });
  return out;
}

/** The files' texts by path, from their contents by blob (binary and unreadable ones are absent). */
function textsOf(files: readonly ListedFile[], contents: ReadonlyMap<string, Buffer>): Map<string, string> {
  const texts = new Map<string, string>();
  for (const f of files) {
    const content = contents.get(f.blob);
    const decoded = content ? decodeText(content) : undefined;
    if (decoded && 'text' in decoded) texts.set(f.path, decoded.text);
  }
  return texts;
}

/**
 * Parses files with the grammars they need (on parsing threads too when there is much to
 * parse and the parser is tree-sitter's); what cannot be read gets no record.
 */
async function parseFiles(
  files: readonly ListedFile[],
  contents: ReadonlyMap<string, Buffer>,
  parser: Promise<SymbolParser> | undefined,
  options: AnalyzeOptions,
  onRecords?: (records: ReadonlyMap<string, FileRecord>) => void,
  started?: ParsingThreads,
): Promise<{ records: Map<string, FileRecord>; threads: number }> {
  const ready = parser
    ? await parser.catch(async (err: unknown) => {
        // Threads started ahead keep the process alive: stop them when there is no parser.
        await Promise.all((started ?? []).map((t) => t.stop()));
        throw err;
      })
    : undefined;
  const toParse = files.flatMap((f) => {
    const content = contents.get(f.blob);
    return content === undefined ? [] : [{ path: f.path, blob: f.blob, content }];
  });
  return parseInParallel(toParse, ready, { threads: options.parser === loadSymbolParser ? options.threads : 0, started, ...(onRecords ? { onRecords } : {}) });
}

/** Starts loading the parser and the grammars some files need, so that it overlaps with fetching. */
function parserFor(files: readonly ListedFile[], options: AnalyzeOptions): Promise<SymbolParser> | undefined {
  const grammars = [...new Set(files.flatMap((f) => grammarFor(f.path) ?? []))];
  if (grammars.length === 0) return undefined;
  return options.parser().then(async (parser) => {
    await parser.load(grammars);
    return parser;
  });
}

const UNREADABLE = 'unreadable (content not available)';
/** How many records to look up first, to tell a new tree from a known one. */
const PROBE = 64;

/**
 * The analysis of a repository state, as cheaply as the caches allow: this process's
 * memory, then the shared cache by tree hash; on a miss, the previous analysis of the same
 * repository patched with the changed files only (their records before and after), else a
 * build from every file's record (by blob from the shared cache, parsing only what is new).
 */
export async function analyzeRepository(source: RepoSource, options: AnalyzeOptions): Promise<AnalyzeResult> {
  const started = performance.now();
  const memoOn = options.memo !== false;
  const lookup = (key: string): Promise<Analysis | null> => options.cache.getAnalysis(key);
  // The likely state (a clean working tree) is looked up while the source checks for changes.
  const likely = source.likelyKey?.().then(
    async (key) => (key === undefined ? undefined : { key, analysis: (memoOn ? memo.get(key)?.analysis : undefined) ?? (await lookup(key)) }),
    () => undefined,
  );
  const identity = await source.identify();
  const done = (analysis: Analysis, mode: CompleteRepoContext['cache']['analysis'], parsed: number, reused: number, route: AnalyzeResult['route'], stored = Promise.resolve()): AnalyzeResult => ({
    analysis,
    identity,
    stats: { analysis: mode, filesParsed: parsed, filesReused: reused, ms: Math.round((performance.now() - started) * 10) / 10 },
    route,
    stored,
  });
  const remembered = memoOn ? memo.get(identity.key)?.analysis : undefined;
  if (remembered && remembered.repo === identity.repo) return done(remembered, 'hit', 0, 0, { via: 'memory' });
  const guessed = await likely?.catch(() => undefined);
  const cached = guessed?.key === identity.key ? guessed.analysis : await lookup(identity.key);
  if (cached && cached.repo === identity.repo) {
    if (memoOn) remember(cached, (options.keepPatchState && (await options.cache.getPatchState(cached.key))) || undefined);
    return done(cached, 'hit', 0, 0, { via: 'shared cache' });
  }

  // The listing, and meanwhile the previous analysis of the repository (often the clean state just looked up, when an edit made the checkout dirty).
  const [listing, previous] = await Promise.all([
    source.list(),
    options.cache
      .getPointer<{ key: string }>(latestPointer(identity.repo))
      .then((pointer) =>
        pointer && pointer.key !== identity.key ? previousOf(pointer.key, identity.repo, options, guessed?.key === pointer.key ? guessed.analysis : undefined) : undefined,
      ),
  ]);
  const sorted = sortFiles(listing, options.maxFileBytes);
  const diff = previous ? diffFiles(previous.analysis, listing.files) : undefined;
  const attempt = previous && diff ? await patchPrevious(source, listing, sorted, previous, diff, options) : undefined;
  const patched = attempt && 'built' in attempt ? attempt : undefined;
  const result = patched ?? (await buildFromRecords(source, listing, sorted, options));
  const { built, parsed, reused, saving, threads } = result;
  const why = attempt && 'why' in attempt ? attempt.why : previous && !diff ? 'the files are listed in another order' : undefined;

  if (memoOn) remember(built.analysis, built.state);
  // The pointer last: whoever follows it finds the analysis stored. A failed store costs
  // another worker a rebuild, never this answer.
  const stored = (async () => {
    await Promise.all([saving, options.cache.putAnalysis(built.analysis, built.state)]);
    await options.cache.putPointer(latestPointer(listing.repo), { key: listing.key, at: Date.now(), version: ANALYSIS_VERSION });
  })().catch((err: unknown) => options.log?.warn({ err, key: listing.key }, 'could not store the analysis in the shared cache'));
  if (!options.storeBehind) await stored;
  options.log?.debug({ key: listing.key, parsed, reused, files: listing.files.length, patched: patched !== undefined, why }, 'repository analysed');
  return done(built.analysis, reused > 0 ? 'incremental' : 'cold', parsed, reused, patched ? { via: 'patched' } : { via: 'built', ...(why ? { why } : {}), ...(threads ? { threads } : {}) }, stored);
}

/** The previous analysis of a repository with its patch state, from this process, what was fetched already, or the shared cache. */
async function previousOf(key: string, repo: string, options: AnalyzeOptions, fetched?: Analysis | null): Promise<{ analysis: Analysis; state: PatchState } | undefined> {
  const known = options.memo === false ? undefined : memo.get(key);
  const [analysis, state] = await Promise.all([known?.analysis ?? fetched ?? options.cache.getAnalysis(key), known?.state ?? options.cache.getPatchState(key)]);
  return analysis && state && analysis.repo === repo ? { analysis, state } : undefined;
}

interface Outcome {
  built: Built;
  parsed: number;
  reused: number;
  /** Storing the new records. */
  saving: Promise<void>;
  threads?: number;
}

/**
 * Patches the previous analysis: reads the records of the changed, added and removed files
 * (before and after; parsing what is new) and those of the files to rewire, nothing else.
 * Says why not when the change is not one a patch can express.
 */
async function patchPrevious(
  source: RepoSource,
  listing: Listing,
  sorted: Sorted,
  previous: { analysis: Analysis; state: PatchState },
  diff: FileDiff,
  options: AnalyzeOptions,
): Promise<Outcome | { why: string }> {
  const prevFiles = previous.analysis.files;
  const changedCode = diff.changed.filter((j) => sorted.codeAt.has(j)).map((j) => listing.files[j] as ListedFile);
  const parser = parserFor(changedCode, options);
  // Loading grammars may fail like parsing does; the failure then surfaces where the parser is used.
  parser?.catch(() => {});
  const parsedBefore = (i: number) => (i >= 0 && prevFiles[i]?.symbols !== undefined ? [prevFiles[i]?.blob as string] : []);
  const before = [...diff.changed.flatMap((j) => parsedBefore(diff.back[j] as number)), ...diff.removed.flatMap(parsedBefore)];
  // Facts depend on the paths and the fact files: read again when either changed.
  const readFactsAgain = diff.moved || diff.changed.some((j) => sorted.factAt.has(j));
  // The changed files are read while their records are looked up: a new blob seldom has one.
  const [known, contents] = await Promise.all([
    options.cache.getRecords([...changedCode.map((f) => f.blob), ...before]),
    source.read([...changedCode, ...(readFactsAgain ? sorted.factFiles : [])]),
  ]);
  const toParse = changedCode.filter((f) => !known.has(f.blob));
  const { records: fresh } = await parseFiles(toParse, contents, toParse.length ? parser : undefined, options);
  const saving = options.cache.putRecords(fresh);
  saving.catch(() => {});
  const changes = new Map<number, FileChange>();
  for (const j of diff.changed) {
    const f = listing.files[j] as ListedFile;
    const record = sorted.codeAt.has(j) ? (known.get(f.blob) ?? fresh.get(f.blob)) : undefined;
    const oldBlob = parsedBefore(diff.back[j] as number)[0];
    changes.set(j, {
      before: oldBlob === undefined ? undefined : known.get(oldBlob),
      after: record && record.skipped === undefined ? record : undefined,
      skipped: !sorted.codeAt.has(j) ? undefined : record ? record.skipped : UNREADABLE,
    });
  }
  const removed = new Map<number, FileRecord>();
  for (const i of diff.removed) {
    const record = known.get(parsedBefore(i)[0] ?? '');
    if (record) removed.set(i, record);
  }
  let facts;
  if (readFactsAgain) {
    const texts = textsOf(sorted.factFiles, contents);
    facts = readFacts(listing.files.map((f) => f.path), (path) => texts.get(path));
  }
  const input = {
    key: listing.key,
    repo: listing.repo,
    commit: listing.commit,
    tree: listing.tree,
    files: listing.files,
    previous,
    unanalysed: sorted.unanalysed,
    diff,
    changes,
    removed,
    facts,
  };
  const plan = planPatch(input);
  if ('reason' in plan) {
    await saving;
    return { why: plan.reason };
  }
  const rows = await options.cache.getRecords(plan.reread.map((j) => listing.files[j]?.blob as string));
  if (rows.size < new Set(plan.reread.map((j) => listing.files[j]?.blob)).size) {
    await saving;
    return { why: 'the records of files to rewire are not in the shared cache' };
  }
  const built = patchAnalysis(input, plan, (blob) => rows.get(blob));
  if (built.missing.length) withCentralNames(built.analysis, await options.cache.getRecords(built.missing.map((j) => listing.files[j]?.blob as string)));
  for (const [blob, record] of fresh) if (record.skipped === undefined) rememberRecord(blob, record);
  return { built, parsed: fresh.size, reused: sorted.code.length - toParse.length, saving };
}

/** Builds the analysis from every code file's record: by blob from the shared cache, parsing the rest. */
async function buildFromRecords(source: RepoSource, listing: Listing, sorted: Sorted, options: AnalyzeOptions): Promise<Outcome> {
  const blobs = [...new Set(sorted.code.map((f) => f.blob))];
  // A sample first: when the shared cache knows (almost) none of these files, looking each up
  // costs more than parsing the few it might know, so everything is read and parsed.
  const sampled = new Set(blobs.filter((_, i) => i % Math.ceil(blobs.length / PROBE) === 0));
  const probed = await options.cache.getRecords([...sampled]);
  const isNew = blobs.length > PROBE && probed.size * 16 < sampled.size;
  const early = isNew ? parserFor(sorted.code, options) : undefined;
  early?.catch(() => {});
  // Everything is to be parsed: parsing threads start now and load their grammars while the files are read.
  const grammars = [...new Set(sorted.code.flatMap((f) => grammarFor(f.path) ?? []))];
  const threads =
    isNew && options.parser === loadSymbolParser && grammars.length
      ? startParsingThreads(threadsFor(sorted.code.reduce((n, f) => n + f.size, 0), options.threads), grammars)
      : undefined;
  const [rest, readEarly] = await Promise.all([
    isNew ? new Map<string, FileRecord>() : options.cache.getRecords(blobs.filter((b) => !sampled.has(b))),
    isNew ? source.read([...sorted.code, ...sorted.factFiles]) : undefined,
  ]).catch(async (err: unknown) => {
    // Threads keep a process alive: stop them when the files cannot be had.
    await Promise.all((threads ?? []).map((t) => t.stop()));
    throw err;
  });
  const known = new Map([...probed, ...rest]);
  const toParse = sorted.code.filter((f) => !known.has(f.blob));
  const parser = early ?? parserFor(toParse, options);
  parser?.catch(() => {});
  const contents = readEarly ?? (await source.read([...toParse, ...sorted.factFiles]));
  // Records are stored batch by batch while parsing goes on.
  const stored: Array<Promise<void>> = [];
  const { records: fresh, threads: used } = await parseFiles(
    toParse,
    contents,
    parser,
    options,
    (records) => {
      const put = options.cache.putRecords(records);
      put.catch(() => {});
      stored.push(put);
    },
    threads,
  );
  const saving = Promise.all(stored).then(() => {});
  saving.catch(() => {});
  const records = new Map<string, FileRecord>();
  const skipped = new Map<string, string>();
  for (const f of sorted.code) {
    const record = known.get(f.blob) ?? fresh.get(f.blob);
    if (!record) skipped.set(f.path, UNREADABLE);
    else if (record.skipped !== undefined) skipped.set(f.path, record.skipped);
    else records.set(f.blob, record);
  }
  const texts = textsOf(sorted.factFiles, contents);
  const built = buildAnalysis({
    key: listing.key,
    repo: listing.repo,
    commit: listing.commit,
    tree: listing.tree,
    files: listing.files,
    records,
    unanalysed: sorted.unanalysed,
    skipped,
    read: (path) => texts.get(path),
  });
  for (const [blob, record] of records) rememberRecord(blob, record);
  return { built, parsed: fresh.size, reused: sorted.code.filter((f) => known.has(f.blob)).length, saving, threads: used };
}

/** Texts of some files of an analysed repository (binary and unreadable ones are absent). */
export async function readTexts(source: RepoSource, analysis: Analysis, paths: readonly string[]): Promise<Map<string, string>> {
  const byPath = new Map(analysis.files.map((f) => [f.path, f]));
  const wanted: ListedFile[] = paths.flatMap((p) => {
    const f = byPath.get(p);
    return f ? [{ path: f.path, size: f.size, blob: f.blob }] : [];
  });
  return textsOf(wanted, await source.read(wanted));
}
