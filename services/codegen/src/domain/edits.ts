/**
 * Parses a model's answer into edits. Accepts the variations models produce: blocks in
 * or out of code fences, the path on its own line or in the fence's info string, CRLF
 * line ends, trailing whitespace on marker lines.
 */

export type Edit =
  | { kind: 'replace'; path: string; search: string; replace: string }
  /** An empty SEARCH: a new file. On an existing file only when whole-file rewrites were asked for. */
  | { kind: 'create'; path: string; content: string }
  /** A whole file given as such ("FILE: path" and a fenced block): creates or rewrites it. */
  | { kind: 'write'; path: string; content: string };

export interface ParsedAnswer {
  edits: Edit[];
  errors: string[];
}

const SEARCH = /^\s*<{5,9}\s*SEARCH\b.*$/;
const DIVIDER = /^\s*={5,9}\s*$/;
const REPLACE = /^\s*>{5,9}\s*REPLACE\b.*$/;
const FENCE = /^\s*(`{3,}|~{3,})(.*)$/;
const FILE_MARKER = /^\s*(?:#+\s*)?(?:file|path)\s*:\s*`?([^\s`]+)`?\s*$/i;

/** A line that is nothing but a plausible relative file path. */
function asPath(line: string): string | undefined {
  const t = line.trim().replace(/^[*_`#\s]+|[*_`:\s]+$/g, '');
  if (!t || t.length > 300 || /\s/.test(t)) return undefined;
  if (!/[./]/.test(t) || /^[<>=]+/.test(t) || /^\W+$/.test(t)) return undefined;
  return t;
}

/**
 * The path in a fence's info string: ```js src/a.js, ```js:src/a.js (language, colon, path),
 * ```python title="a.py" or file=/path= forms.
 */
function pathFromFenceInfo(info: string): string | undefined {
  const parts = info
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((part) => part.replace(/^(?:title|file|filename|path)=["']?(.*?)["']?$/i, '$1').replace(/^[A-Za-z0-9_+#-]+:(?!\/\/)(?=.)/, ''));
  return parts.map(asPath).find((p) => p !== undefined && /[./]/.test(p) && !/^\.?[a-z]+$/.test(p));
}

export function parseEdits(answer: string): ParsedAnswer {
  const lines = answer.replace(/\r\n?/g, '\n').split('\n');
  const edits: Edit[] = [];
  const errors: string[] = [];
  let candidate: string | undefined;
  let block = 0;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const marker = FILE_MARKER.exec(line);
    if (marker) {
      candidate = marker[1];
      // "FILE: path" followed by a fenced block is a whole-file write.
      const next = lines[i + 1] ?? '';
      const fence = FENCE.exec(next);
      if (fence && !lines.slice(i + 2).some((l, k) => SEARCH.test(l) && !lines.slice(i + 2, i + 2 + k).some((x) => FENCE.test(x)))) {
        const close = lines.findIndex((l, k) => k > i + 1 && l.trim().startsWith(fence[1] ?? '```'));
        if (close > 0) {
          edits.push({ kind: 'write', path: candidate ?? '', content: `${lines.slice(i + 2, close).join('\n')}\n` });
          i = close;
          candidate = undefined;
        }
      }
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const fromInfo = pathFromFenceInfo(fence[2] ?? '');
      if (fromInfo) candidate = fromInfo;
      continue;
    }
    if (SEARCH.test(line)) {
      block += 1;
      const search: string[] = [];
      const replace: string[] = [];
      let j = i + 1;
      const marker = (l: string) => DIVIDER.test(l) || SEARCH.test(l) || REPLACE.test(l);
      while (j < lines.length && !marker(lines[j] ?? '')) search.push(lines[j++] ?? '');
      if (j >= lines.length || !DIVIDER.test(lines[j] ?? '')) {
        // Rescan after the broken block's SEARCH line, so a following block keeps its own path.
        errors.push(`block ${block}: SEARCH has no "=======" divider`);
        continue;
      }
      j += 1;
      while (j < lines.length && !REPLACE.test(lines[j] ?? '')) {
        if (SEARCH.test(lines[j] ?? '')) break;
        replace.push(lines[j++] ?? '');
      }
      if (j >= lines.length || !REPLACE.test(lines[j] ?? '')) {
        errors.push(`block ${block}: missing ">>>>>>> REPLACE" after the divider`);
        continue;
      }
      if (candidate === undefined) {
        errors.push(`block ${block}: no file path before "<<<<<<< SEARCH"; put the path on the line above it`);
      } else if (search.every((l) => l.trim() === '')) {
        edits.push({ kind: 'create', path: candidate, content: `${replace.join('\n')}\n` });
      } else {
        edits.push({ kind: 'replace', path: candidate, search: search.join('\n'), replace: replace.join('\n') });
      }
      i = j;
      continue;
    }
    const path = asPath(line);
    if (path !== undefined) candidate = path;
  }
  if (edits.length === 0 && errors.length === 0) {
    errors.push('the answer has no SEARCH/REPLACE blocks; reply only with blocks in the required format');
  }
  return { edits, errors };
}
