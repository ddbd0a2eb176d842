/**
 * Which lines of which files a unified diff added or changed, on the new side. Findings
 * there are charged to the attempt; findings anywhere else are the repository's own.
 */
export interface ChangedFile {
  path: string;
  status: 'created' | 'modified' | 'deleted';
  /** New-side line numbers the diff added or changed. */
  lines: Set<number>;
}

export type TouchedLines = Map<string, ChangedFile>;

const unquote = (raw: string): string => {
  const path = raw.trim();
  if (!path.startsWith('"')) return path;
  // git quotes paths with unusual characters, C-style.
  return JSON.parse(path.replace(/\\([0-7]{3})/g, (_m, oct: string) => `\\u${Number.parseInt(oct, 8).toString(16).padStart(4, '0')}`)) as string;
};

const stripPrefix = (path: string) => path.replace(/^[ab]\//, '');

export function touchedLines(patch: string): TouchedLines {
  const files: TouchedLines = new Map();
  let current: ChangedFile | undefined;
  let newLine = 0;
  let oldPath: string | undefined;
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = undefined;
      oldPath = undefined;
      continue;
    }
    if (line.startsWith('--- ')) {
      oldPath = line.slice(4) === '/dev/null' ? '/dev/null' : stripPrefix(unquote(line.slice(4)));
      continue;
    }
    if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      if (target === '/dev/null') {
        const path = oldPath ?? '';
        files.set(path, { path, status: 'deleted', lines: new Set() });
        current = undefined;
      } else {
        const path = stripPrefix(unquote(target));
        current = { path, status: oldPath === '/dev/null' ? 'created' : 'modified', lines: new Set() };
        files.set(path, current);
      }
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      newLine = Number.parseInt(hunk[1] ?? '0', 10);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('+')) {
      current.lines.add(newLine);
      newLine += 1;
    } else if (line.startsWith(' ')) {
      newLine += 1;
    }
    // '-' lines and '\ No newline' markers do not move the new side.
  }
  return files;
}

/** Whether a finding at file:line is on a line the diff touched. Line 0 means the whole file. */
export function isTouched(touched: TouchedLines, file: string, line: number): boolean {
  const changed = touched.get(file);
  if (!changed || changed.status === 'deleted') return false;
  if (changed.status === 'created' || line === 0) return true;
  return changed.lines.has(line);
}
