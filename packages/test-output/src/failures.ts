/** One failure as the test output describes it, reduced to what a person (or a model) acts on. */
export interface FailureDetail {
  test?: string;
  message: string;
  expected?: string;
  actual?: string;
  /** The first stack frame in the repository's own code. */
  location?: { file: string; line: number; function?: string };
}

const FRAME = /^\s*(?:at |❯ )?(?:async )?(?:(?<fn>[^\s(]+) )?\(?(?:file:\/\/)?(?<file>[^\s():]+\.[A-Za-z]+):(?<line>\d+):\d+\)?(?:\s*\{)?\s*$/;
const PY_FRAME = /^\s*File "(?<file>[^"]+)", line (?<line>\d+), in (?<fn>\S+)/;
const IGNORED_FRAME = /node_modules|node:internal|^node:|\/usr\/lib\/|site-packages|<anonymous>|\/pytest\/|\/unittest\//;

/** Strips a worktree's absolute prefix so locations read as repository paths. */
function relativize(file: string, roots: readonly string[]): string {
  for (const root of roots) if (root && file.startsWith(root)) return file.slice(root.length).replace(/^\/+/, '');
  const marker = file.search(/\/worktrees\/[^/]+\//);
  if (marker >= 0) return file.slice(marker).replace(/^\/worktrees\/[^/]+\//, '');
  return file;
}

/**
 * Pulls failures out of test output: the failing test's name, the assertion message,
 * expected and actual values, and where in the repository's code it broke. Works on
 * node:test (TAP and spec), Jest/Vitest, pytest and unittest output.
 */
export function extractFailures(output: string, roots: readonly string[] = []): FailureDetail[] {
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const failures: FailureDetail[] = [];
  let current: FailureDetail | undefined;
  const start = (test: string | undefined, message = '') => {
    current = { ...(test ? { test: test.trim() } : {}), message };
    failures.push(current);
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    let m: RegExpExecArray | null;
    if ((m = /^\s*not ok \d+ - (.+?)\s*(?:#.*)?$/.exec(line))) {
      start(m[1]);
      continue;
    }
    // Vitest's details: "FAIL  test/a.test.ts > suite > name".
    if ((m = /^\s*FAIL +(\S+ > .+?)\s*$/.exec(line))) {
      start(m[1]);
      continue;
    }
    if ((m = /^\s*(?:✖|×|●|FAIL:|ERROR:) (.+?)(?: \([\d.]+m?s\))?\s*$/.exec(line))) {
      if (!/^(failing tests|test suite failed)/i.test(m[1] ?? '')) start(m[1]);
      continue;
    }
    if ((m = /^(?:FAILED|ERROR) (\S+)(?: - (.*))?$/.exec(line))) {
      start(m[1], m[2] ?? '');
      continue;
    }
    if (current === undefined) {
      if (/^\s*(AssertionError|Error|TypeError|ReferenceError)\b/.test(line)) start(undefined);
      else continue;
    }
    const c = current as FailureDetail;
    if (!c.message) {
      if ((m = /^(\s*)error: *(\|-?|>-?)?\s*['"]?(.*?)['"]?\s*$/.exec(line))) {
        // TAP/YAML: the message may be a block scalar on the following, deeper-indented lines.
        const indent = (m[1] ?? '').length;
        const block: string[] = m[3] ? [m[3]] : [];
        while (i + 1 < lines.length && /^\s*$|^\s+/.test(lines[i + 1] ?? '') && ((lines[i + 1] ?? '').search(/\S/) > indent || (lines[i + 1] ?? '').trim() === '')) {
          block.push((lines[++i] ?? '').trim());
        }
        c.message = oneLine(block);
        continue;
      }
      if ((m = /^\s*((?:[A-Za-z]*Error)(?: \[[A-Z_]+\])?: .*)$/.exec(line))) {
        // Spec/Jest style: the message continues until the stack or the details object.
        const block = [m[1] ?? ''];
        while (i + 1 < lines.length && !FRAME.test(lines[i + 1] ?? '') && !/^\s*[{}]|^\s*\w+: /.test(lines[i + 1] ?? '') && !/^\S/.test(lines[i + 1] ?? '')) {
          block.push((lines[++i] ?? '').trim());
          if (block.length > 12) break;
        }
        c.message = oneLine(block);
        continue;
      }
      if ((m = /^\s*E\s+(.+)$/.exec(line))) {
        c.message = (m[1] ?? '').trim();
        continue;
      }
    }
    if ((m = /^\s*expected:?\s+(.+)$/i.exec(line)) && c.expected === undefined) c.expected = value(m[1]);
    if ((m = /^\s*(?:actual|received):?\s+(.+)$/i.exec(line)) && c.actual === undefined) c.actual = value(m[1]);
    if (!c.location) {
      const frame = FRAME.exec(line) ?? PY_FRAME.exec(line);
      const file = frame?.groups?.['file'];
      if (frame && file && !IGNORED_FRAME.test(file)) {
        c.location = {
          file: relativize(file, roots),
          line: Number.parseInt(frame.groups?.['line'] ?? '0', 10),
          ...(frame.groups?.['fn'] ? { function: frame.groups['fn'] } : {}),
        };
      }
    }
  }
  // Reporters repeat failures in a summary; a suite that only wraps failing children says nothing.
  const merged = new Map<string, FailureDetail>();
  for (const f of failures) {
    if (!f.message && f.expected === undefined && !f.location) continue;
    if (/^\d+ subtests? failed$/.test(f.message) && f.expected === undefined && !f.location) continue;
    const key = f.test ?? `#${merged.size}`;
    merged.set(key, { ...f, ...merged.get(key) });
  }
  return [...merged.values()].slice(0, 50);
}

function oneLine(parts: readonly string[]): string {
  return parts.filter(Boolean).join(' ').replace(/\s+/g, ' ').trim().slice(0, 400);
}

function value(raw: string | undefined): string {
  return (raw ?? '').trim().replace(/,$/, '').replace(/^'(.*)'$/, '$1');
}
