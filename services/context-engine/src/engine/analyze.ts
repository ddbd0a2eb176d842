import type { CompleteRepoContext } from '@patchbay/contracts';
import type { Logger } from '@patchbay/telemetry';
import { ANALYSIS_VERSION, type Analysis, type GraphInputs, type SlimRecord, buildAnalysis } from '../domain/analysis.js';
import { isFactFile, skipReason } from '../domain/file-kinds.js';
import { grammarFor, isCode, languageOf } from '../domain/languages.js';
import type { FileRecord } from '../domain/records.js';
import { NO_STYLE } from '../domain/records.js';
import type { SymbolParser } from '../parsing/tree-sitter.js';
import type { ContextCache } from './cache.js';
import type { Identity, ListedFile, RepoSource } from './source.js';

export interface AnalyzeOptions {
  cache: ContextCache;
  parser: () => Promise<SymbolParser>;
  maxFileBytes: number;
  log?: Logger;
  /** Keep recent analyses in this process too (default true); the shared cache is always used. */
  memo?: boolean;
}

export interface AnalyzeResult {
  analysis: Analysis;
  identity: Identity;
  stats: CompleteRepoContext['cache'];
}

const MEMO_SIZE = 4;
const memo = new Map<string, Analysis>();
const remember = (a: Analysis) => {
  memo.delete(a.key);
  memo.set(a.key, a);
  while (memo.size > MEMO_SIZE) memo.delete(memo.keys().next().value as string);
};

/** The records the last analysis was built from: the same worker's next change needs no fetch. */
let lastInputs: { key: string; inputs: GraphInputs } | undefined;

const latestPointer = (repo: string) => `latest:${repo}`;

/** Symbols of recently used files, by blob: a repeated request renders its map without the network. */
const RECORDS_REMEMBERED = 20_000;
const recordMemo = new Map<string, SlimRecord>();
function rememberRecord(blob: string, record: SlimRecord): void {
  if (recordMemo.has(blob)) return;
  recordMemo.set(blob, { lines: record.lines, commentLines: record.commentLines, defs: record.defs });
  while (recordMemo.size > RECORDS_REMEMBERED) recordMemo.delete(recordMemo.keys().next().value as string);
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
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text of a file, or why it is not text. */
export function decodeText(content: Buffer): { text: string } | { reason: string } {
  if (content.subarray(0, 8_000).includes(0)) return { reason: 'binary' };
  try {
    return { text: utf8.decode(content) };
  } catch {
    return { reason: 'binary (not UTF-8 text)' };
  }
}

/** A record for a code file: symbols from tree-sitter when there is a grammar, otherwise lines only. */
function recordFor(path: string, content: Buffer, parser: SymbolParser | undefined): FileRecord {
  const decoded = decodeText(content);
  const empty = { lines: 0, commentLines: 0, defs: [], refs: {}, imports: [], style: NO_STYLE, parseErrors: false };
  if ('reason' in decoded) return { ...empty, skipped: decoded.reason };
  const text = decoded.text;
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > 0 && text.length / lines > 500) return { ...empty, lines, skipped: 'minified or generated (lines average over 500 characters)' };
  const grammar = grammarFor(path);
  if (!grammar || !parser) return { ...empty, lines };
  try {
    return parser.parse(grammar, text);
  } catch (err) {
    return { ...empty, lines, skipped: `could not be parsed (${(err as Error).message})` };
  }
}

/**
 * The analysis of a repository state, as cheaply as the caches allow: this process's
 * memory, then the shared cache by tree hash, then (on a miss) the previous analysis of the
 * same repository and the per-file records by blob hash, parsing only what is new.
 */
export async function analyzeRepository(source: RepoSource, options: AnalyzeOptions): Promise<AnalyzeResult> {
  const started = performance.now();
  const identity = await source.identify();
  const done = (analysis: Analysis, mode: CompleteRepoContext['cache']['analysis'], parsed: number, reused: number): AnalyzeResult => ({
    analysis,
    identity,
    stats: { analysis: mode, filesParsed: parsed, filesReused: reused, ms: Math.round((performance.now() - started) * 10) / 10 },
  });
  const local = options.memo === false ? undefined : memo.get(identity.key);
  if (local && local.repo === identity.repo) return done(local, 'hit', 0, 0);
  const cached = await options.cache.getAnalysis(identity.key);
  if (cached && cached.repo === identity.repo) {
    if (options.memo !== false) remember(cached);
    return done(cached, 'hit', 0, 0);
  }

  // Which files need a record (code), which only their text (facts), which neither.
  const listing = await source.list();
  const unanalysed = [...listing.unanalysed];
  const code: ListedFile[] = [];
  const factFiles: ListedFile[] = [];
  for (const f of listing.files) {
    const reason = skipReason(f.path, f.size, options.maxFileBytes);
    if (reason !== undefined) {
      if (reason !== 'dependency or build output') unanalysed.push({ path: f.path, reason });
      continue;
    }
    if (isCode(languageOf(f.path))) code.push(f);
    if (isFactFile(f.path)) factFiles.push(f);
  }
  const records = new Map<string, FileRecord>();
  const previousKey = await options.cache.getPointer<{ key: string }>(latestPointer(listing.repo));
  const memoOn = options.memo !== false;
  const [previous, previousInputs] =
    previousKey && previousKey.key !== listing.key
      ? await Promise.all([
          (memoOn ? memo.get(previousKey.key) : undefined) ?? options.cache.getAnalysis(previousKey.key),
          memoOn && lastInputs?.key === previousKey.key ? lastInputs.inputs : options.cache.getInputs(previousKey.key),
        ])
      : [null, null];
  if (previous && previousInputs) {
    for (const f of code) {
      const record = previousInputs[f.blob];
      if (record) records.set(f.blob, record);
    }
  }
  const missing = [...new Set(code.filter((f) => !records.has(f.blob)).map((f) => f.blob))];
  const fromKv = await options.cache.getRecords(missing);
  for (const [blob, record] of fromKv) records.set(blob, record);
  const reused = code.filter((f) => records.has(f.blob)).length;

  const toParse = code.filter((f) => !records.has(f.blob));
  const contents = await source.read([...toParse, ...factFiles]);
  const grammars = toParse.flatMap((f) => grammarFor(f.path) ?? []);
  const parser = grammars.length ? await options.parser() : undefined;
  await parser?.load(grammars);
  const fresh = new Map<string, FileRecord>();
  for (const f of toParse) {
    const content = contents.get(f.blob);
    if (content === undefined) {
      unanalysed.push({ path: f.path, reason: 'unreadable (content not available)' });
      continue;
    }
    const record = fresh.get(f.blob) ?? recordFor(f.path, content, parser);
    fresh.set(f.blob, record);
    records.set(f.blob, record);
  }
  const saving = options.cache.putRecords(fresh);
  for (const f of code) {
    const reason = records.get(f.blob)?.skipped;
    if (reason !== undefined) unanalysed.push({ path: f.path, reason });
  }
  const texts = new Map<string, string>();
  for (const f of factFiles) {
    const content = contents.get(f.blob);
    const decoded = content ? decodeText(content) : undefined;
    if (decoded && 'text' in decoded) texts.set(f.path, decoded.text);
  }
  const usable = new Map([...records].filter(([, r]) => r.skipped === undefined));
  const analysis = buildAnalysis({
    key: listing.key,
    repo: listing.repo,
    commit: listing.commit,
    tree: listing.tree,
    files: listing.files,
    records: usable,
    unanalysed: unanalysed.sort((a, b) => a.path.localeCompare(b.path)),
    read: (path) => texts.get(path),
    previous: previous && previousInputs ? { analysis: previous, inputs: previousInputs } : undefined,
  });
  const inputs: GraphInputs = Object.fromEntries(usable);
  await Promise.all([saving, options.cache.putAnalysis(analysis), options.cache.putInputs(analysis.key, inputs)]);
  if (memoOn) lastInputs = { key: analysis.key, inputs };
  for (const [blob, record] of usable) rememberRecord(blob, record);
  await options.cache.putPointer(latestPointer(listing.repo), { key: listing.key, at: Date.now(), version: ANALYSIS_VERSION });
  if (options.memo !== false) remember(analysis);
  options.log?.debug({ key: listing.key, parsed: fresh.size, reused, files: listing.files.length }, 'repository analysed');
  return done(analysis, reused > 0 ? 'incremental' : 'cold', fresh.size, reused);
}

/** Texts of some files of an analysed repository (binary and unreadable ones are absent). */
export async function readTexts(source: RepoSource, analysis: Analysis, paths: readonly string[]): Promise<Map<string, string>> {
  const byPath = new Map(analysis.files.map((f) => [f.path, f]));
  const wanted: ListedFile[] = paths.flatMap((p) => {
    const f = byPath.get(p);
    return f ? [{ path: f.path, size: f.size, blob: f.blob }] : [];
  });
  const contents = await source.read(wanted);
  const out = new Map<string, string>();
  for (const f of wanted) {
    const content = contents.get(f.blob);
    const decoded = content ? decodeText(content) : undefined;
    if (decoded && 'text' in decoded) out.set(f.path, decoded.text);
  }
  return out;
}
