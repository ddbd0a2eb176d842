import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyValueCache, memoryCache } from '@patchbay/bus';
import { type QualityConfig, loadQualityConfig } from '@patchbay/config';
import type { Finding } from '@patchbay/contracts';
import { type AnalysisReport, type SandboxSettings, analyzeTree, touchedLines } from '@patchbay/quality-assessor';
import { createGitFixture, type GitFixture } from '@patchbay/testkit';

/*
 * Every analyser on a real repository: a base commit, then a candidate change staged on
 * top of it as the assessor applies diffs. Findings on lines the change touched are
 * charged; the rest are the repository's own.
 */

const PATH = process.env['PATH'] ?? '/usr/bin:/bin';
const sandbox: SandboxSettings = { env: { PATH }, isolation: 'auto', hide: [], maxOutputBytes: 1_000_000 };
let config: QualityConfig;
let scratchRoot: string;

beforeAll(async () => {
  config = loadQualityConfig();
  scratchRoot = await mkdtemp(join(tmpdir(), 'patchbay-analysers-'));
});
afterAll(() => rm(scratchRoot, { recursive: true, force: true }));

interface Change {
  repo: GitFixture;
  patch: string;
  analyze(options?: { cache?: KeyValueCache; testCommand?: string; sandbox?: SandboxSettings; config?: QualityConfig }): Promise<AnalysisReport>;
}

/** A repository at `base`, with `after` written and staged on top (what applyPatch leaves). */
async function change(base: Record<string, string>, after: Record<string, string>): Promise<Change> {
  const repo = await createGitFixture(base);
  for (const [path, content] of Object.entries(after)) {
    await mkdir(dirname(join(repo.dir, path)), { recursive: true });
    await writeFile(join(repo.dir, path), content);
  }
  await repo.git('add', '-A');
  const patch = `${await repo.git('diff', '--cached', '--no-renames', 'HEAD')}\n`;
  let n = 0;
  return {
    repo,
    patch,
    analyze: (o = {}) =>
      analyzeTree({
        dir: repo.dir,
        config: o.config ?? config,
        cache: o.cache ?? memoryCache(),
        sandbox: o.sandbox ?? sandbox,
        scratch: join(scratchRoot, `${Date.now()}-${n++}`),
        touched: touchedLines(patch),
        testCommand: o.testCommand,
        testTimeoutMs: 60_000,
      }),
  };
}

const find = (r: AnalysisReport, tool: string, rule: string | RegExp) =>
  r.findings.filter((f) => f.tool === tool && (typeof rule === 'string' ? f.rule === rule : rule.test(f.rule)));
const one = (r: AnalysisReport, tool: string, rule: string | RegExp): Finding => {
  const found = find(r, tool, rule);
  expect(found, `${tool}/${String(rule)} in ${JSON.stringify(r.findings.map((f) => `${f.tool}/${f.rule}@${f.file}:${f.line}`))}`).not.toHaveLength(0);
  return found[0] as Finding;
};

const repos: GitFixture[] = [];
afterAll(() => Promise.all(repos.map((r) => r.remove())));
async function fixture(base: Record<string, string>, after: Record<string, string>): Promise<Change> {
  const c = await change(base, after);
  repos.push(c.repo);
  return c;
}

describe('TypeScript and JavaScript', () => {
  let ts: Change;
  let report: AnalysisReport;
  beforeAll(async () => {
    ts = await fixture(
      {
        'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext' } }),
        'src/old.ts': "export const broken: number = 'old debt';\n",
        'src/calc.ts': '/** Adds. */\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n',
      },
      {
        'src/calc.ts': [
          '/** Adds. */',
          'export function add(a: number, b: number): number {',
          '  return a + b;',
          '}',
          '',
          'export function parse(input: any): number {',
          "  const n: number = 'seven';",
          '  return eval(input.expr) + n;',
          '}',
          '',
          '/** Branches a lot. */',
          'export function branchy(x: number): number {',
          ...Array.from({ length: 12 }, (_, i) => `  if (x === ${i}) return ${i};`),
          '  return -1;',
          '}',
          '',
        ].join('\n'),
      },
    );
    report = await ts.analyze();
  });

  it('reports compiler diagnostics through the TypeScript API, charging only touched lines', () => {
    const typeError = one(report, 'tsc', 'TS2322');
    expect(typeError).toMatchObject({ file: 'src/calc.ts', line: 7, dimension: 'correctness', severity: 'error', touched: true });
    // The same mistake in a file the change did not touch is not looked at at all.
    expect(report.findings.some((f) => f.file === 'src/old.ts')).toBe(false);
  });

  it('runs ESLint with typescript-eslint and eslint-plugin-security: eval is a security finding', () => {
    const evalFinding = one(report, 'eslint', 'security/detect-eval-with-expression');
    expect(evalFinding).toMatchObject({ line: 8, dimension: 'security', category: 'code-injection', severity: 'error', touched: true });
    expect(one(report, 'eslint', 'no-eval').line).toBe(8);
  });

  it('measures cyclomatic complexity per function', () => {
    expect(one(report, 'eslint', 'complexity')).toMatchObject({ line: 12, dimension: 'maintainability', touched: true });
  });

  it('checks the coder standards on the syntax tree: explicit any, undocumented exports', () => {
    expect(one(report, 'checklist', 'no-explicit-any')).toMatchObject({ line: 6, dimension: 'maintainability' });
    const undocumented = find(report, 'checklist', 'undocumented-export');
    expect(undocumented.map((f) => f.line)).toEqual([6]);
  });

  it('reports each analyser with its version', () => {
    const byName = Object.fromEntries(report.analysers.map((a) => [a.name, a]));
    expect(byName['tsc']).toMatchObject({ status: 'ok', files: 1 });
    expect(byName['tsc']?.version).toMatch(/^typescript 6\./);
    expect(byName['eslint']?.version).toMatch(/eslint 9\.\d+\.\d+, typescript-eslint 8/);
    expect(byName['tree-sitter']?.status).toBe('ok');
    expect(byName['bandit']?.status).toBe('skipped');
  });

  it('layers the repository\'s own eslint.config.js with ours, in the sandbox', async () => {
    const own = await fixture(
      { 'eslint.config.js': "export default [{ rules: { 'no-debugger': 'error' } }];\n", 'package.json': '{"type":"module"}\n', 'lib/a.js': 'export const a = 1;\n' },
      { 'lib/a.js': 'export const a = 1;\nexport function b() {\n  debugger;\n  return eval(String(a));\n}\n' },
    );
    const r = await own.analyze();
    expect(one(r, 'eslint', 'no-debugger').line).toBe(3);
    expect(one(r, 'eslint', 'no-eval').line).toBe(4);
    expect(r.analysers.find((a) => a.name === 'eslint')?.note).toContain("the repository's eslint.config.js layered with ours");
  });

  it('falls back to our rules when the repository config cannot load, and says so', async () => {
    const own = await fixture(
      { 'eslint.config.mjs': "import plugin from 'eslint-plugin-not-installed';\nexport default [plugin.configs.recommended];\n", 'lib/a.js': 'export const a = 1;\n' },
      { 'lib/a.js': 'export const a = eval("1");\n' },
    );
    const r = await own.analyze();
    expect(one(r, 'eslint', 'no-eval').line).toBe(1);
    expect(r.analysers.find((a) => a.name === 'eslint')?.note).toMatch(/eslint\.config\.mjs could not be loaded .*our rules only/);
  });

  it('leaves the plain JavaScript of the demo repository without findings for a correct fix', async () => {
    const demo = await fixture(
      {
        'package.json': '{"type":"module","scripts":{"test":"node --test"}}\n',
        'src/stats.js': '/** Middle value. */\nexport function median(values) {\n  const middle = Math.floor(values.length / 2);\n  return values[middle];\n}\n',
        'test/stats.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { median } from '../src/stats.js';\ntest('median of two', () => assert.equal(median([1, 2]), 1.5));\n",
      },
      {
        'src/stats.js':
          '/** Middle value. */\nexport function median(values) {\n  const sorted = [...values].sort((a, b) => a - b);\n  const middle = Math.floor(sorted.length / 2);\n  return sorted.length % 2 === 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle];\n}\n',
      },
    );
    const r = await demo.analyze({ testCommand: 'npm test' });
    expect(r.findings.filter((f) => f.touched)).toEqual([]);
    expect(r.tests).toMatchObject({ exitCode: 0, passed: 1, failed: 0, source: 'junit' });
  });
});

describe('Python', () => {
  let report: AnalysisReport;
  beforeAll(async () => {
    const py = await fixture(
      { 'app/legacy.py': 'import os\n\n\ndef old(x):\n    print(x)\n', 'app/__init__.py': '' },
      {
        'app/legacy.py': 'import os\n\n\ndef old(x):\n    print(x)\n\n\ndef run(cmd):\n    import subprocess\n    subprocess.call("ls " + cmd, shell=True)\n    try:\n        pass\n    except:\n        pass\n',
        'app/broken.py': 'def f(:\n    return 1\n',
        'app/branchy.py': `"""Branches."""\n\n\ndef pick(x: int) -> int:\n    """Picks."""\n${Array.from({ length: 11 }, (_, i) => `    if x == ${i}:\n        return ${i}\n`).join('')}    return -1\n`,
      },
    );
    report = await py.analyze();
  });

  it('compiles every changed file with py_compile', () => {
    expect(one(report, 'py_compile', 'syntax-error')).toMatchObject({ file: 'app/broken.py', line: 1, dimension: 'correctness', touched: true });
  });

  it('runs pyflakes and charges only what the change added', () => {
    const unused = find(report, 'pyflakes', 'unused-import');
    expect(unused.map((f) => [f.line, f.touched])).toEqual([[1, false]]);
  });

  it('runs bandit: a shell command built from a variable is a security finding', () => {
    expect(one(report, 'bandit', 'B602')).toMatchObject({ line: 10, dimension: 'security', category: 'command-injection', touched: true });
    expect(one(report, 'checklist', 'security/shell-command-from-input')).toMatchObject({ line: 10, touched: true });
  });

  it('checks the checklist: imports at top, bare except, type hints, print in library code', () => {
    expect(one(report, 'checklist', 'import-not-at-top')).toMatchObject({ line: 9, touched: true });
    expect(one(report, 'checklist', 'bare-except')).toMatchObject({ line: 13, dimension: 'correctness', touched: true });
    expect(find(report, 'checklist', 'type-hints').filter((f) => f.file === 'app/legacy.py').map((f) => [f.line, f.touched])).toEqual([
      [4, false],
      [8, true],
    ]);
    expect(find(report, 'checklist', 'no-print').map((f) => [f.line, f.touched])).toEqual([[5, false]]);
  });

  it('measures complexity per function on the syntax tree', () => {
    expect(one(report, 'complexity', 'complexity:function')).toMatchObject({ file: 'app/branchy.py', line: 4, dimension: 'maintainability' });
    expect(one(report, 'complexity', 'complexity:function').message).toMatch(/complexity of 12 \(at most 10\)/);
  });
});

describe('shell and other languages', () => {
  let report: AnalysisReport;
  beforeAll(async () => {
    const other = await fixture(
      { 'deploy.sh': '#!/bin/sh\necho start\n', 'main.go': 'package main\n\nfunc main() {}\n' },
      { 'deploy.sh': '#!/bin/sh\necho start\nrm -rf $TARGET/cache\nAPI_TOKEN="s3cr3t-t0ken-value"\n', 'main.go': 'package main\n\nfunc main() {\n\tif x := 1; x > 0 {\n}\n' },
    );
    report = await other.analyze();
  });

  it('runs shellcheck', () => {
    expect(one(report, 'shellcheck', 'SC2086')).toMatchObject({ file: 'deploy.sh', line: 3, touched: true });
  });

  it('finds hard-coded secrets in any language', () => {
    expect(one(report, 'checklist', 'security/hardcoded-secret')).toMatchObject({ file: 'deploy.sh', line: 4, category: 'hardcoded-secret' });
  });

  it('checks the syntax of languages without a compiler check through tree-sitter', () => {
    expect(one(report, 'tree-sitter', 'syntax-error')).toMatchObject({ file: 'main.go', dimension: 'correctness', touched: true });
  });
});

describe('tests and coverage of the change', () => {
  it('asks node --test for JUnit XML and reads the results from it', async () => {
    const repo = await fixture(
      { 'package.json': '{"type":"module","scripts":{"test":"node --test"}}\n', 'src/m.js': '/** One. */\nexport const one = () => 1;\n', 'test/m.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { one } from '../src/m.js';\ntest('one is one', () => assert.equal(one(), 1));\n" },
      { 'src/m.js': '/** One. */\nexport const one = () => 2;\n' },
    );
    const r = await repo.analyze({ testCommand: 'npm test' });
    expect(r.tests).toMatchObject({ source: 'junit', passed: 0, failed: 1, failingTests: ['one is one'], exitCode: 1 });
    expect(r.tests?.ran).toContain('--test-reporter=junit');
    expect(r.tests?.failures[0]?.location).toEqual({ file: 'test/m.test.js', line: 4 });
    // test/m.test.js imports src/m.js: the change is covered.
    expect(find(r, 'tests', 'untested-change')).toEqual([]);
  });

  it('flags a changed source file that no test exercises, and a repository without tests', async () => {
    const repo = await fixture(
      { 'package.json': '{"scripts":{"test":"node --test"}}\n', 'src/a.js': 'module.exports = 1;\n', 'src/b.js': 'module.exports = 2;\n', 'test/a.test.js': "require('../src/a');\n" },
      { 'src/b.js': 'module.exports = 3;\n' },
    );
    const r = await repo.analyze({ testCommand: 'npm test' });
    expect(one(r, 'tests', 'untested-change')).toMatchObject({ file: 'src/b.js', dimension: 'testing', touched: true });
    const none = await repo.analyze();
    expect(one(none, 'tests', 'no-test-command')).toMatchObject({ dimension: 'testing', touched: true });
  });

  const pytest = spawnSync('python3', ['-m', 'pytest', '--version'], { encoding: 'utf8' }).status === 0;
  it.runIf(pytest)('asks pytest for JUnit XML', async () => {
    const repo = await fixture(
      { 'calc.py': '"""Calc."""\n\n\ndef double(x: int) -> int:\n    """Doubles."""\n    return x * 2\n', 'test_calc.py': 'from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n\n\ndef test_three():\n    assert double(3) == 6\n' },
      { 'calc.py': '"""Calc."""\n\n\ndef double(x: int) -> int:\n    """Doubles."""\n    return x * 2 if x != 3 else 0\n' },
    );
    const r = await repo.analyze({ testCommand: 'python3 -m pytest -q -p no:cacheprovider' });
    expect(r.tests).toMatchObject({ source: 'junit', passed: 1, failed: 1, failingTests: ['test_calc › test_three'] });
  });
});

describe('caching and missing analysers', () => {
  it('serves a re-assessment of the same files from the cache, with the same findings', async () => {
    const c = await fixture({ 'a.py': 'x = 1\n' }, { 'a.py': 'import os\nimport hashlib\nh = hashlib.md5(b"x")\n', 'b.ts': 'export const y: number = "no";\n' });
    const cache = memoryCache();
    const cold = await c.analyze({ cache });
    const warm = await c.analyze({ cache });
    expect(warm.findings).toEqual(cold.findings);
    for (const a of warm.analysers.filter((x) => x.status === 'ok')) expect(a.cached, a.name).toBe(a.files);
    expect(cold.analysers.filter((x) => x.status === 'ok').every((a) => a.cached === 0)).toBe(true);
    // A changed file is analysed again; the others still come from the cache.
    await writeFile(join(c.repo.dir, 'b.ts'), 'export const y: number = 1;\n');
    await c.repo.git('add', '-A');
    const again = await c.analyze({ cache });
    expect(again.analysers.find((a) => a.name === 'bandit')?.cached).toBe(1);
    expect(again.analysers.find((a) => a.name === 'eslint')?.cached).toBe(0);
    expect(find(again, 'tsc', 'TS2322')).toEqual([]);
  });

  it('degrades with a clear notice when an analyser is not installed', async () => {
    const bin = await mkdtemp(join(scratchRoot, 'bin-'));
    for (const tool of ['sh', 'env', 'cat', 'node']) {
      const target = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (target) await symlink(target, join(bin, tool));
    }
    // The interpreter itself, not a version manager's shim that needs more on PATH.
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
    await symlink(python, join(bin, 'python3'));
    const c = await fixture({ 'a.py': 'x = 1\n', 's.sh': 'echo\n' }, { 'a.py': 'import os\n', 's.sh': 'echo $X\n' });
    const r = await c.analyze({ sandbox: { ...sandbox, env: { PATH: bin } } });
    const status = Object.fromEntries(r.analysers.map((a) => [a.name, a.status]));
    expect(status).toMatchObject({ bandit: 'missing', shellcheck: 'missing', py_compile: 'ok' });
    expect(r.notices).toContain('bandit did not run: bandit is not installed (Debian: apt-get install python3-pyflakes bandit)');
    expect(r.notices.some((n) => n.startsWith('shellcheck did not run: shellcheck is not installed'))).toBe(true);
    // Without bwrap on that PATH the runs are not isolated, and the report says why.
    expect(r.isolated).toBe(false);
    expect(r.notices.some((n) => n.startsWith('not isolated: bubblewrap (bwrap) is not installed'))).toBe(true);
  });
});
