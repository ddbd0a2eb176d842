import { describe, expect, it } from 'vitest';
import { type Edit, applyEdits, parseEdits, parseStructuredEdits, structuredAnswerSchema } from '@patchbay/codegen';

/** A SEARCH/REPLACE block with configurable marker width and line ending. */
function block(search: string, replace: string, { width = 7, eol = '\n' } = {}): string {
  return [`${'<'.repeat(width)} SEARCH`, search, '='.repeat(width), replace, `${'>'.repeat(width)} REPLACE`].join(eol);
}

describe('parseEdits', () => {
  it('reads a plain block with the path on the line before', () => {
    const answer = `src/stats.js\n${block('  return s[0];', '  return s[mid];')}\n`;
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/stats.js', search: '  return s[0];', replace: '  return s[mid];' }]);
  });

  it('keeps multi-line SEARCH and REPLACE text verbatim, indentation included', () => {
    const search = 'def median(xs):\n    s = sorted(xs)\n    return s[len(s) // 2]';
    const replace = 'def median(xs):\n    s = sorted(xs)\n    n = len(s)\n    return (s[n // 2 - 1] + s[n // 2]) / 2 if n % 2 == 0 else s[n // 2]';
    const { edits, errors } = parseEdits(`stats.py\n${block(search, replace)}\n`);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'stats.py', search, replace }]);
  });

  it('takes the path from the fence info string (```js src/a.js)', () => {
    const answer = ['I will fix it:', '', '```js src/a.js', block('const a = 1;', 'const a = 2;'), '```', ''].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/a.js', search: 'const a = 1;', replace: 'const a = 2;' }]);
  });

  it('takes the path from the line before the fence', () => {
    const answer = ['Here is the change.', '', 'src/a.js', '```javascript', block('const a = 1;', 'const a = 2;'), '```', ''].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/a.js', search: 'const a = 1;', replace: 'const a = 2;' }]);
  });

  it('accepts a markdown-decorated path line (bold, backticks)', () => {
    const bold = parseEdits(`**src/a.js**\n${block('x', 'y')}\n`);
    const ticks = parseEdits(`\`src/b.js\`:\n${block('x', 'y')}\n`);
    expect(bold.edits.map((e) => e.path)).toEqual(['src/a.js']);
    expect(ticks.edits.map((e) => e.path)).toEqual(['src/b.js']);
  });

  it('handles CRLF line endings without leaving \\r in the edit', () => {
    const answer = `src/a.js\r\n${block('line one\r\nline two', 'line 1\r\nline 2', { eol: '\r\n' })}\r\n`;
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/a.js', search: 'line one\nline two', replace: 'line 1\nline 2' }]);
    expect(JSON.stringify(edits)).not.toContain('\\r');
  });

  it('tolerates trailing whitespace on marker lines', () => {
    const answer = ['src/a.js', '<<<<<<< SEARCH   ', 'old', '=======\t ', 'new', '>>>>>>> REPLACE  ', ''].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/a.js', search: 'old', replace: 'new' }]);
  });

  it.each([5, 7, 9])('accepts markers %i characters wide', (width) => {
    const { edits, errors } = parseEdits(`src/a.js\n${block('old', 'new', { width })}\n`);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/a.js', search: 'old', replace: 'new' }]);
  });

  it.each([4, 10])('does not take %i-character markers for a block', (width) => {
    const { edits, errors } = parseEdits(`src/a.js\n${block('old', 'new', { width })}\n`);
    expect(edits).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/no SEARCH\/REPLACE blocks/);
  });

  it('reads several blocks for several files, in order', () => {
    const answer = [
      'First the implementation:',
      'src/stats.js',
      block('export const a = 1;', 'export const a = 2;'),
      '',
      'Then a second change in the same file (the path carries over):',
      block('export const b = 1;', 'export const b = 2;'),
      '',
      'And the test:',
      '```js test/stats.test.js',
      block("test('a', () => {});", "test('a', () => { assert.equal(a, 2); });"),
      '```',
      'lib/util.py',
      block('x = 1', 'x = 2', { width: 5 }),
    ].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits.map((e) => e.path)).toEqual(['src/stats.js', 'src/stats.js', 'test/stats.test.js', 'lib/util.py']);
    expect(edits[1]).toEqual({ kind: 'replace', path: 'src/stats.js', search: 'export const b = 1;', replace: 'export const b = 2;' });
    expect(edits[3]).toEqual({ kind: 'replace', path: 'lib/util.py', search: 'x = 1', replace: 'x = 2' });
  });

  // Changed deliberately: an empty SEARCH is a "create" (a new file), no longer a "write" that
  // silently replaced an existing file whole; applyEdits refuses it on an existing file.
  it('turns an empty SEARCH into a file creation ending in a newline', () => {
    const answer = ['src/median.js', '<<<<<<< SEARCH', '=======', 'export function median(xs) {', '  return xs[0];', '}', '>>>>>>> REPLACE', ''].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'create', path: 'src/median.js', content: 'export function median(xs) {\n  return xs[0];\n}\n' }]);
  });

  it('treats a SEARCH of blank lines only as empty (a creation)', () => {
    const { edits } = parseEdits(['new.txt', '<<<<<<< SEARCH', '   ', '', '=======', 'hello', '>>>>>>> REPLACE'].join('\n'));
    expect(edits).toEqual([{ kind: 'create', path: 'new.txt', content: 'hello\n' }]);
  });

  it('reads "FILE: path" followed by a fenced block as a whole-file write', () => {
    const answer = ['FILE: src/new.js', '```js', 'export const x = 1;', '', 'export const y = 2;', '```', ''].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'write', path: 'src/new.js', content: 'export const x = 1;\n\nexport const y = 2;\n' }]);
  });

  it('accepts a heading-style "### File: `path`" marker too', () => {
    const { edits } = parseEdits(['### File: `pkg/new.py`', '```python', 'print(1)', '```'].join('\n'));
    expect(edits).toEqual([{ kind: 'write', path: 'pkg/new.py', content: 'print(1)\n' }]);
  });

  it('reads "FILE: path" then a fenced SEARCH/REPLACE block as an edit, not a write', () => {
    const answer = ['FILE: src/a.js', '```js', block('old', 'new'), '```'].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual([]);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/a.js', search: 'old', replace: 'new' }]);
  });

  it('reports a block without a path, saying so', () => {
    const { edits, errors } = parseEdits(`Here you go:\n\n${block('old', 'new')}\n`);
    expect(edits).toEqual([]);
    expect(errors).toEqual(['block 1: no file path before "<<<<<<< SEARCH"; put the path on the line above it']);
  });

  it('does not take a bare language name in a fence for a path', () => {
    const { edits, errors } = parseEdits(['```javascript', block('old', 'new'), '```'].join('\n'));
    expect(edits).toEqual([]);
    expect(errors[0]).toMatch(/no file path/);
  });

  it('reports a missing divider', () => {
    const { edits, errors } = parseEdits(['src/a.js', '<<<<<<< SEARCH', 'old', 'new', ''].join('\n'));
    expect(edits).toEqual([]);
    expect(errors).toEqual(['block 1: SEARCH has no "=======" divider']);
  });

  it('reports a missing divider without swallowing the next, well-formed block', () => {
    const answer = ['src/a.js', '<<<<<<< SEARCH', 'old', 'new', '>>>>>>> REPLACE', 'src/b.js', block('x', 'y')].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^block 1: SEARCH has no "=======" divider/);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/b.js', search: 'x', replace: 'y' }]);
  });

  it('reports a missing REPLACE marker', () => {
    const { edits, errors } = parseEdits(['src/a.js', '<<<<<<< SEARCH', 'old', '=======', 'new', ''].join('\n'));
    expect(edits).toEqual([]);
    expect(errors).toEqual(['block 1: missing ">>>>>>> REPLACE" after the divider']);
  });

  it('after a block missing its REPLACE, gives the next block its own path', () => {
    const answer = ['src/a.js', '<<<<<<< SEARCH', 'old', '=======', 'new', '', 'src/b.js', block('x', 'y')].join('\n');
    const { edits, errors } = parseEdits(answer);
    expect(errors).toEqual(['block 1: missing ">>>>>>> REPLACE" after the divider']);
    expect(edits).toEqual([{ kind: 'replace', path: 'src/b.js', search: 'x', replace: 'y' }]);
  });

  it('reports a prose-only answer', () => {
    const { edits, errors } = parseEdits('The median function should average the two middle values when the length is even.');
    expect(edits).toEqual([]);
    expect(errors).toEqual(['the answer has no SEARCH/REPLACE blocks; reply only with blocks in the required format']);
  });

  it('reports an empty answer', () => {
    expect(parseEdits('').errors).toHaveLength(1);
  });
});

describe('applyEdits', () => {
  const files: Record<string, string> = {
    'src/a.js': 'function f() {\n  return 1;\n}\n\nfunction g() {\n  return 1;\n}\n',
    'stats.py': 'def median(xs):\n    s = sorted(xs)\n    return s[len(s) // 2]\n',
  };
  const read = (path: string) => files[path];
  const replace = (path: string, search: string, replacement: string): Edit => ({ kind: 'replace', path, search, replace: replacement });

  it('applies an exact, unique match and leaves the rest of the file alone', () => {
    const result = applyEdits(read, [replace('src/a.js', 'function g() {\n  return 1;', 'function g() {\n  return 2;')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('src/a.js')).toBe('function f() {\n  return 1;\n}\n\nfunction g() {\n  return 2;\n}\n');
    expect([...result.files.keys()]).toEqual(['src/a.js']);
  });

  it('refuses a SEARCH that appears twice and asks for more context', () => {
    const result = applyEdits(read, [replace('src/a.js', '  return 1;', '  return 2;')]);
    expect(result.files.size).toBe(0);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('edit 1 (src/a.js)');
    expect(result.errors[0]).toContain('appears 2 times');
    expect(result.errors[0]).toMatch(/include more surrounding lines/);
  });

  it('falls back to ignoring indentation when the SEARCH is indented differently', () => {
    const search = 'def median(xs):\n  s = sorted(xs)\n  return s[len(s) // 2]';
    const replacement = 'def median(xs):\n    s = sorted(xs)\n    n = len(s)\n    return s[n // 2]';
    const result = applyEdits(read, [replace('stats.py', search, replacement)]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('stats.py')).toBe('def median(xs):\n    s = sorted(xs)\n    n = len(s)\n    return s[n // 2]\n');
  });

  it('ignores trailing whitespace in the whitespace-insensitive fallback', () => {
    const result = applyEdits(read, [replace('stats.py', '    s = sorted(xs)   \n    return s[len(s) // 2]\t', '    return sorted(xs)[len(xs) // 2]')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('stats.py')).toBe('def median(xs):\n    return sorted(xs)[len(xs) // 2]\n');
  });

  it('refuses a whitespace-insensitive match that fits several places', () => {
    // Not an exact substring anywhere (four-space indent), but matches both functions when trimmed.
    const result = applyEdits(read, [replace('src/a.js', '    return 1;\n    }', '    return 3;\n    }')]);
    expect(result.files.size).toBe(0);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('edit 1 (src/a.js)');
    expect(result.errors[0]).toMatch(/match several places; include more surrounding lines/);
  });

  it('reports a SEARCH that is not in the file, quoting its first non-blank line', () => {
    const result = applyEdits(read, [replace('src/a.js', '\n   function h(x, y) {\n  throw new Error(x + y);\n}', 'function h() {}')]);
    expect(result.files.size).toBe(0);
    expect(result.errors).toEqual([
      'edit 1 (src/a.js): the SEARCH text is not in the file (it starts with "function h(x, y) {"); copy the lines exactly as they are now',
    ]);
  });

  it('reports an edit to a file that does not exist, pointing at the empty SEARCH', () => {
    const result = applyEdits(read, [replace('src/missing.js', 'x', 'y')]);
    expect(result.files.size).toBe(0);
    expect(result.errors).toEqual(['edit 1 (src/missing.js): the file does not exist; to create it, use an empty SEARCH']);
  });

  it('applies two sequential edits to the same file, the second seeing the first', () => {
    const result = applyEdits(read, [
      replace('stats.py', '    s = sorted(xs)', '    s = sorted(xs)\n    n = len(s)'),
      // Only matches after the first edit added the line.
      replace('stats.py', '    n = len(s)\n    return s[len(s) // 2]', '    n = len(s)\n    return s[n // 2]'),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('stats.py')).toBe('def median(xs):\n    s = sorted(xs)\n    n = len(s)\n    return s[n // 2]\n');
  });

  it('numbers errors by edit and still applies the edits that fit', () => {
    const result = applyEdits(read, [replace('stats.py', 'nope', 'x'), replace('stats.py', 'def median(xs):', 'def median(values):')]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^edit 1 \(stats\.py\)/);
    expect(result.files.get('stats.py')).toMatch(/^def median\(values\):\n/);
  });

  it('creates a file with a write edit and lets a later edit change it', () => {
    const result = applyEdits(read, [
      { kind: 'write', path: 'src/new.js', content: 'export const a = 1;\nexport const b = 1;\n' },
      replace('src/new.js', 'export const b = 1;', 'export const b = 2;'),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('src/new.js')).toBe('export const a = 1;\nexport const b = 2;\n');
  });

  it('inserts replacement text literally, with no $-pattern substitution', () => {
    const result = applyEdits(read, [replace('stats.py', '    s = sorted(xs)', "    s = '$&$1$$'")]);
    expect(result.files.get('stats.py')).toContain("    s = '$&$1$$'\n");
  });

  it('keeps the CRLF line endings of a CRLF file', () => {
    const crlf = (path: string) => (path === 'win.js' ? 'const a = 1;\r\nconst b = 1;\r\nconst c = 1;\r\n' : undefined);
    const result = applyEdits(crlf, [replace('win.js', 'const b = 1;', 'const b = 2;\nconst bb = 2;')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('win.js')).toBe('const a = 1;\r\nconst b = 2;\r\nconst bb = 2;\r\nconst c = 1;\r\n');
  });

  it('matches a multi-line SEARCH in a CRLF file', () => {
    const crlf = () => 'a\r\nb\r\nc\r\n';
    const result = applyEdits(crlf, [replace('f.txt', 'a\nb', 'A\nB')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('f.txt')).toBe('A\r\nB\r\nc\r\n');
  });
});

describe('parseEdits: paths in fence info strings', () => {
  it.each([
    ['```js:src/a.js', 'src/a.js'],
    ['```typescript:packages/x/index.ts', 'packages/x/index.ts'],
    ['```python title="pkg/mod.py"', 'pkg/mod.py'],
    ["```ts file=src/b.ts", 'src/b.ts'],
    ['```c++:src/main.cpp', 'src/main.cpp'],
  ])('reads %s as %s', (fence, path) => {
    const { edits, errors } = parseEdits([fence, block('old', 'new'), '```'].join('\n'));
    expect(errors).toEqual([]);
    expect(edits.map((e) => e.path)).toEqual([path]);
  });
});

describe('applyEdits: matching whole lines, re-indenting, closest match', () => {
  const read = (files: Record<string, string>) => (path: string) => files[path];
  const replace = (path: string, search: string, replacement: string): Edit => ({ kind: 'replace', path, search, replace: replacement });

  it('anchors an exact match to whole lines: "b = 1" does not match inside "tab = 1"', () => {
    const files = { 'x.py': 'tab = 1\nb = 1\n' };
    const result = applyEdits(read(files), [replace('x.py', 'b = 1', 'b = 2')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('x.py')).toBe('tab = 1\nb = 2\n');
    expect(result.matches).toEqual([{ path: 'x.py', kind: 'exact' }]);
  });

  it('does not take a fragment of a line for a match', () => {
    const files = { 'x.py': 'tab = 1\n' };
    const result = applyEdits(read(files), [replace('x.py', 'b = 1', 'b = 2')]);
    expect(result.files.size).toBe(0);
    expect(result.errors[0]).toMatch(/not in the file/);
  });

  it('re-indents REPLACE to where the file has the lines (Python stays valid)', () => {
    const files = { 'm.py': 'class Stats:\n    def median(self, xs):\n        s = sorted(xs)\n        return s[0]\n' };
    // The model quoted the method at column 0, and its REPLACE keeps its own relative indentation.
    const search = 'def median(self, xs):\n    s = sorted(xs)\n    return s[0]';
    const replacement = 'def median(self, xs):\n    s = sorted(xs)\n    n = len(s)\n    if n % 2:\n        return s[n // 2]\n    return (s[n // 2 - 1] + s[n // 2]) / 2';
    const result = applyEdits(read(files), [replace('m.py', search, replacement)]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('m.py')).toBe(
      'class Stats:\n    def median(self, xs):\n        s = sorted(xs)\n        n = len(s)\n        if n % 2:\n            return s[n // 2]\n        return (s[n // 2 - 1] + s[n // 2]) / 2\n',
    );
    expect(result.matches[0]?.kind).toBe('whitespace');
  });

  it('re-indents towards less indentation too, and with tabs', () => {
    const files = { 'a.go': 'func f() {\n\tx := 1\n\treturn x\n}\n' };
    const result = applyEdits(read(files), [replace('a.go', '        x := 1\n        return x', '        x := 2\n        if x > 1 {\n            x++\n        }\n        return x')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('a.go')).toBe('func f() {\n\tx := 2\n\tif x > 1 {\n\t    x++\n\t}\n\treturn x\n}\n');
  });

  it('takes the closest unique match above the threshold when a line differs a little', () => {
    const files = {
      'src/cart.js': 'export function total(items) {\n  let sum = 0;\n  for (const item of items) sum += item.price;\n  return sum;\n}\n\nexport const VAT = 0.2;\n',
    };
    // The model misremembered one identifier ("it" for "item").
    const search = 'export function total(items) {\n  let sum = 0;\n  for (const item of items) sum += it.price;\n  return sum;';
    const result = applyEdits(read(files), [replace('src/cart.js', search, 'export function total(items) {\n  let sum = 0;\n  for (const item of items) sum += item.price * item.qty;\n  return sum;')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('src/cart.js')).toContain('sum += item.price * item.qty;');
    expect(result.files.get('src/cart.js')).toContain('export const VAT = 0.2;');
    expect(result.matches[0]).toMatchObject({ kind: 'fuzzy' });
    expect(result.matches[0]?.similarity).toBeGreaterThan(0.9);
    // With fuzzy matching off, the same edit is an error the next attempt can act on.
    expect(applyEdits(read(files), [replace('src/cart.js', search, 'x')], { fuzzyThreshold: 1 }).errors[0]).toMatch(/not in the file/);
  });

  it('refuses a closest match that is as close to two places, naming both', () => {
    const files = { 'a.js': 'function area(r) {\n  return Math.PI * r * r;\n}\nfunction areb(r) {\n  return Math.PI * r * r;\n}\n' };
    const result = applyEdits(read(files), [replace('a.js', 'function arec(r) {\n  return Math.PI * r * r;\n}', 'x')]);
    expect(result.files.size).toBe(0);
    expect(result.errors[0]).toMatch(/about as close to lines 1 and 4; copy the lines exactly/);
  });

  it('says how close the nearest lines were when they are not close enough', () => {
    const files = { 'a.js': 'const greeting = "hello world";\nconsole.log(greeting);\n' };
    const result = applyEdits(read(files), [replace('a.js', 'const greeting = "goodbye moon";\nconsole.info(greeting);', 'x')]);
    expect(result.errors[0]).toContain('the closest lines (1-2, starting "const greeting = "hello world";") differ too much (similarity 0.73)');
  });

  it('ignores blank lines the model put around SEARCH', () => {
    const files = { 'a.txt': 'one\ntwo\nthree\n' };
    const result = applyEdits(read(files), [replace('a.txt', '\ntwo\n', '\n2\n')]);
    expect(result.errors).toEqual([]);
    expect(result.files.get('a.txt')).toBe('one\n2\nthree\n');
  });

  it('deletes the lines when REPLACE is empty, and keeps a file without a final newline so', () => {
    const files = { 'a.txt': 'one\ntwo\nthree' };
    const result = applyEdits(read(files), [replace('a.txt', 'two', '')]);
    expect(result.files.get('a.txt')).toBe('one\nthree');
  });

  it('refuses an empty SEARCH on an existing file, saying how to rewrite it whole', () => {
    const files = { 'src/a.js': 'export const a = 1;\n' };
    const create: Edit = { kind: 'create', path: 'src/a.js', content: 'export const a = 2;\n' };
    const result = applyEdits(read(files), [create]);
    expect(result.files.size).toBe(0);
    expect(result.errors).toEqual([
      'edit 1 (src/a.js): the file already exists, and an empty SEARCH only creates new files; quote the lines to change in SEARCH (to rewrite the whole file, give it as "FILE: src/a.js" followed by the complete content in a fenced block)',
    ]);
  });

  it('lets an empty SEARCH rewrite an existing file when whole files were asked for, or when the file is empty', () => {
    const files = { 'src/a.js': 'export const a = 1;\n', 'src/empty.js': '' };
    const rewrite: Edit = { kind: 'create', path: 'src/a.js', content: 'export const a = 2;\n' };
    expect(applyEdits(read(files), [rewrite], { allowRewrite: true }).files.get('src/a.js')).toBe('export const a = 2;\n');
    const fill: Edit = { kind: 'create', path: 'src/empty.js', content: 'x\n' };
    expect(applyEdits(read(files), [fill]).files.get('src/empty.js')).toBe('x\n');
  });

  it('lets the explicit whole-file form ("FILE: path" and a fence) rewrite an existing file', () => {
    const files = { 'src/a.js': 'export const a = 1;\n' };
    const { edits } = parseEdits(['FILE: src/a.js', '```js', 'export const a = 2;', '```'].join('\n'));
    const result = applyEdits(read(files), edits);
    expect(result.errors).toEqual([]);
    expect(result.files.get('src/a.js')).toBe('export const a = 2;\n');
  });
});

describe('structured answers (JSON)', () => {
  it('has a JSON Schema for the model server, from the zod schema', () => {
    const schema = structuredAnswerSchema();
    expect(schema).toMatchObject({ type: 'object', required: ['edits'], properties: { edits: { type: 'array', minItems: 1 } } });
    expect(schema).not.toHaveProperty('$schema');
  });

  it('reads edits and creations into the same Edit type as the text format', () => {
    const answer = JSON.stringify({
      edits: [
        { path: 'src/a.js', search: 'const a = 1;', replace: 'const a = 2;' },
        { path: 'src/new.js', search: '', replace: 'export const n = 1;' },
      ],
    });
    expect(parseStructuredEdits(answer)).toEqual({
      edits: [
        { kind: 'replace', path: 'src/a.js', search: 'const a = 1;', replace: 'const a = 2;' },
        { kind: 'create', path: 'src/new.js', content: 'export const n = 1;\n' },
      ],
      errors: [],
    });
    // A fence around the JSON is tolerated.
    expect(parseStructuredEdits(`\`\`\`json\n${answer}\n\`\`\``).edits).toHaveLength(2);
  });

  it('turns broken JSON and a wrong shape into errors for the next attempt', () => {
    expect(parseStructuredEdits('{"edits": [').errors[0]).toMatch(/^the answer is not valid JSON/);
    expect(parseStructuredEdits('{"edits": [{"path": "a"}]}').errors[0]).toMatch(/^the JSON answer does not follow the schema: edits\.0\.search/);
    expect(parseStructuredEdits('{"edits": []}').errors[0]).toMatch(/edits/);
  });
});
