import { distance } from 'fastest-levenshtein';
import type { Edit } from './edits.js';

/** How an edit found its place: the ladder from strict to lenient. */
export type MatchKind = 'exact' | 'whitespace' | 'fuzzy' | 'write';

export interface EditResult {
  /** New content of every file the edits touched. */
  files: Map<string, string>;
  errors: string[];
  /** How each applied edit matched, in edit order (for logs and metrics). */
  matches: Array<{ path: string; kind: MatchKind; similarity?: number }>;
}

export interface ApplyOptions {
  /** Lowest similarity (0-1) a closest-match SEARCH may have; 1 turns fuzzy matching off. */
  fuzzyThreshold?: number;
  /** An empty SEARCH may replace an existing file whole (the whole-file strategy asked for it). */
  allowRewrite?: boolean;
}

const DEFAULT_FUZZY = 0.9;
/** A closest match must beat the runner-up by this much to count as unique. */
const FUZZY_MARGIN = 0.05;
/** Below this much text a near match says too little: "b = 1" is close to "b = 2". */
const FUZZY_MIN_CHARS = 20;
/** Bounds the closest-match search on huge files (windows × SEARCH lines). */
const FUZZY_MAX_WORK = 2_000_000;

const indentOf = (line: string) => /^[ \t]*/.exec(line)?.[0] ?? '';
const isBlank = (line: string) => line.trim() === '';

/** Lines of a text; a final newline does not make an extra line. */
function toLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** SEARCH and REPLACE without the blank lines models like to put around them. */
function trimEdges(search: string[], replace: string[]): { search: string[]; replace: string[] } {
  let start = 0;
  let end = search.length;
  while (start < end && isBlank(search[start] ?? '')) start++;
  while (end > start && isBlank(search[end - 1] ?? '')) end--;
  let rStart = 0;
  let rEnd = replace.length;
  for (let i = 0; i < start && rStart < rEnd && isBlank(replace[rStart] ?? ''); i++) rStart++;
  for (let i = end; i < search.length && rEnd > rStart && isBlank(replace[rEnd - 1] ?? ''); i++) rEnd--;
  return { search: search.slice(start, end), replace: replace.slice(rStart, rEnd) };
}

/**
 * Moves REPLACE to the indentation the file has where SEARCH matched: a model that quoted
 * the lines with two spaces less keeps its relative indentation, and Python stays valid.
 */
export function reindent(replace: readonly string[], searchFirst: string, fileFirst: string): string[] {
  const from = indentOf(searchFirst);
  const to = indentOf(fileFirst);
  if (from === to) return [...replace];
  const delta = to.length - from.length;
  return replace.map((line) => {
    if (isBlank(line)) return line;
    if (from !== '' && line.startsWith(from)) return to + line.slice(from.length);
    const own = indentOf(line);
    const body = line.slice(own.length);
    if (delta >= 0) return (to.slice(0, delta) || ' '.repeat(delta)) + own + body;
    return own.slice(Math.min(own.length, -delta)) + body;
  });
}

function startsOf(lines: readonly string[], want: readonly string[], same: (a: string, b: string) => boolean): number[] {
  const found: number[] = [];
  if (want.length === 0) return found;
  for (let i = 0; i + want.length <= lines.length; i++) {
    let ok = true;
    for (let k = 0; k < want.length && ok; k++) ok = same(lines[i + k] ?? '', want[k] ?? '');
    if (ok) found.push(i);
  }
  return found;
}

/** Similarity of two runs of lines, ignoring indentation: 1 - edits / characters. */
function similarity(a: readonly string[], b: readonly string[]): number {
  let edits = 0;
  let size = 0;
  for (let k = 0; k < a.length; k++) {
    const x = (a[k] ?? '').trim();
    const y = (b[k] ?? '').trim();
    edits += distance(x, y);
    size += Math.max(x.length, y.length);
  }
  return size === 0 ? 1 : 1 - edits / size;
}

type Found = { start: number; kind: MatchKind; similarity?: number } | { error: string };

/** Where SEARCH is: exactly (whole lines), then ignoring whitespace, then the closest unique match. */
function locate(lines: readonly string[], search: readonly string[], threshold: number): Found {
  const exact = startsOf(lines, search, (a, b) => a === b);
  if (exact.length === 1) return { start: exact[0] as number, kind: 'exact' };
  if (exact.length > 1) {
    return { error: `the SEARCH text appears ${exact.length} times; include more surrounding lines so it is unique` };
  }
  const loose = startsOf(lines, search, (a, b) => a.trim() === b.trim());
  if (loose.length === 1) return { start: loose[0] as number, kind: 'whitespace' };
  if (loose.length > 1) {
    return { error: `the SEARCH lines match several places; include more surrounding lines so they are unique (${loose.length} matches when whitespace is ignored)` };
  }
  const chars = search.join('').replace(/\s/g, '').length;
  const windows = lines.length - search.length + 1;
  if (threshold < 1 && chars >= FUZZY_MIN_CHARS && windows > 0 && windows * search.length <= FUZZY_MAX_WORK) {
    const scored: Array<{ start: number; score: number }> = [];
    for (let i = 0; i < windows; i++) scored.push({ start: i, score: similarity(lines.slice(i, i + search.length), search) });
    scored.sort((a, b) => b.score - a.score);
    const best = scored[0];
    // The runner-up that does not overlap the best: neighbours of a match score high too.
    const rival = scored.find((s) => best !== undefined && Math.abs(s.start - best.start) >= search.length);
    if (best && best.score >= threshold) {
      if (rival && rival.score >= threshold && best.score - rival.score < FUZZY_MARGIN) {
        return {
          error: `the SEARCH text is not in the file exactly, and it is about as close to lines ${best.start + 1} and ${rival.start + 1}; copy the lines exactly as they are now`,
        };
      }
      return { start: best.start, kind: 'fuzzy', similarity: Math.round(best.score * 1_000) / 1_000 };
    }
    if (best && best.score >= threshold - 0.2) {
      const near = lines[best.start]?.trim() ?? '';
      return {
        error: `the SEARCH text is not in the file; the closest lines (${best.start + 1}-${best.start + search.length}, starting "${near.slice(0, 80)}") differ too much (similarity ${best.score.toFixed(2)}); copy the lines exactly as they are now`,
      };
    }
  }
  const first = search.find((l) => !isBlank(l))?.trim() ?? '';
  return { error: `the SEARCH text is not in the file (it starts with "${first.slice(0, 80)}"); copy the lines exactly as they are now` };
}

/**
 * Applies edits to file contents (undefined: the file does not exist). SEARCH matches whole
 * lines: exactly first, then ignoring whitespace (REPLACE moved to the file's indentation),
 * then the closest unique match above a similarity threshold. An ambiguous or missing
 * SEARCH is an error the next attempt can act on; the edits that fit are still applied.
 */
export function applyEdits(read: (path: string) => string | undefined, edits: readonly Edit[], options: ApplyOptions = {}): EditResult {
  const threshold = options.fuzzyThreshold ?? DEFAULT_FUZZY;
  const files = new Map<string, string>();
  const errors: string[] = [];
  const matches: EditResult['matches'] = [];
  const current = (path: string) => files.get(path) ?? read(path);
  edits.forEach((edit, index) => {
    const where = `edit ${index + 1} (${edit.path})`;
    if (edit.kind === 'write') {
      files.set(edit.path, edit.content);
      matches.push({ path: edit.path, kind: 'write' });
      return;
    }
    const content = current(edit.path);
    if (edit.kind === 'create') {
      if (content !== undefined && content.trim() !== '' && !options.allowRewrite) {
        errors.push(
          `${where}: the file already exists, and an empty SEARCH only creates new files; quote the lines to change in SEARCH (to rewrite the whole file, give it as "FILE: ${edit.path}" followed by the complete content in a fenced block)`,
        );
        return;
      }
      files.set(edit.path, edit.content);
      matches.push({ path: edit.path, kind: 'write' });
      return;
    }
    if (content === undefined) {
      errors.push(`${where}: the file does not exist; to create it, use an empty SEARCH`);
      return;
    }
    // A file whose every line ends in CRLF keeps CRLF, so an edit does not rewrite every line.
    const crlf = content.includes('\r\n') && !/(^|[^\r])\n/.test(content);
    const normalized = content.replace(/\r\n/g, '\n');
    const finalNewline = normalized.endsWith('\n');
    const lines = toLines(normalized);
    const { search, replace } = trimEdges(toLines(edit.search.replace(/\r\n/g, '\n')), edit.replace === '' ? [] : toLines(edit.replace.replace(/\r\n/g, '\n')));
    if (search.length === 0) {
      errors.push(`${where}: the SEARCH part is empty; quote the lines to change`);
      return;
    }
    const found = locate(lines, search, threshold);
    if ('error' in found) {
      errors.push(`${where}: ${found.error}`);
      return;
    }
    const fileFirst = lines.slice(found.start, found.start + search.length).find((l) => !isBlank(l)) ?? '';
    const searchFirst = search.find((l) => !isBlank(l)) ?? '';
    const inserted = found.kind === 'exact' ? replace : reindent(replace, searchFirst, fileFirst);
    const next = [...lines.slice(0, found.start), ...inserted, ...lines.slice(found.start + search.length)];
    const text = next.join('\n') + (finalNewline && next.length > 0 ? '\n' : '');
    files.set(edit.path, crlf ? text.replace(/\n/g, '\r\n') : text);
    matches.push({ path: edit.path, kind: found.kind, ...(found.similarity !== undefined ? { similarity: found.similarity } : {}) });
  });
  return { files, errors, matches };
}
