import type { Edit } from './edits.js';

export interface EditResult {
  /** New content of every file the edits touched. */
  files: Map<string, string>;
  errors: string[];
}

function occurrences(haystack: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

/** Finds the SEARCH lines ignoring indentation and trailing whitespace; unique match only. */
function whitespaceInsensitive(content: string, search: string, replace: string): string | 'ambiguous' | undefined {
  const lines = content.split('\n');
  const want = search.split('\n').map((l) => l.trim());
  while (want.length && want[want.length - 1] === '') want.pop();
  if (want.length === 0) return undefined;
  const starts: number[] = [];
  for (let i = 0; i + want.length <= lines.length; i++) {
    if (want.every((w, k) => (lines[i + k] ?? '').trim() === w)) starts.push(i);
  }
  if (starts.length > 1) return 'ambiguous';
  const start = starts[0];
  if (start === undefined) return undefined;
  return [...lines.slice(0, start), ...replace.split('\n'), ...lines.slice(start + want.length)].join('\n');
}

/**
 * Applies edits to file contents (undefined: the file does not exist). Exact matches
 * first, then ignoring whitespace; an ambiguous or missing SEARCH is an error the next
 * attempt can act on.
 */
export function applyEdits(read: (path: string) => string | undefined, edits: readonly Edit[]): EditResult {
  const files = new Map<string, string>();
  const errors: string[] = [];
  const current = (path: string) => files.get(path) ?? read(path);
  edits.forEach((edit, index) => {
    const where = `edit ${index + 1} (${edit.path})`;
    if (edit.kind === 'write') {
      files.set(edit.path, edit.content);
      return;
    }
    const content = current(edit.path);
    if (content === undefined) {
      errors.push(`${where}: the file does not exist; to create it, use an empty SEARCH`);
      return;
    }
    const normalized = content.replace(/\r\n/g, '\n');
    // A file whose every line ends in CRLF keeps CRLF, so an edit does not rewrite every line.
    const crlf = content.includes('\r\n') && !/(^|[^\r])\n/.test(content);
    const store = (text: string) => files.set(edit.path, crlf ? text.replace(/\r?\n/g, '\r\n') : text);
    const exact = occurrences(normalized, edit.search);
    if (exact.length === 1) {
      const at = exact[0] as number;
      store(normalized.slice(0, at) + edit.replace + normalized.slice(at + edit.search.length));
      return;
    }
    if (exact.length > 1) {
      errors.push(`${where}: the SEARCH text appears ${exact.length} times; include more surrounding lines so it is unique`);
      return;
    }
    const loose = whitespaceInsensitive(normalized, edit.search, edit.replace);
    if (loose === 'ambiguous') {
      errors.push(`${where}: the SEARCH lines match several places; include more surrounding lines so they are unique`);
    } else if (loose === undefined) {
      const first = edit.search.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
      errors.push(`${where}: the SEARCH text is not in the file (it starts with "${first.slice(0, 80)}"); copy the lines exactly as they are now`);
    } else {
      store(loose);
    }
  });
  return { files, errors };
}
