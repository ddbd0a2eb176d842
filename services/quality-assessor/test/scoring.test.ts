import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadQualityConfig, withRepositoryOverride } from '@patchbay/config';
import type { Finding } from '@patchbay/contracts';
import { isTouched, parseGoTestJson, parseJunit, planJunit, scoreAttempt, touchedLines } from '@patchbay/quality-assessor';

const config = loadQualityConfig();
const finding = (over: Partial<Finding>): Finding => ({
  tool: 'eslint',
  rule: 'no-unused-vars',
  dimension: 'maintainability',
  analysis: 'quality',
  severity: 'warning',
  file: 'src/a.js',
  line: 3,
  message: 'x is unused',
  touched: true,
  ...over,
});
const green = { ran: true, exitCode: 0, timedOut: false, passed: 5, failed: 0 };

describe('touched lines from a unified diff', () => {
  const patch = [
    'diff --git a/src/a.js b/src/a.js',
    'index 1111111..2222222 100644',
    '--- a/src/a.js',
    '+++ b/src/a.js',
    '@@ -1,4 +1,5 @@',
    ' const a = 1;',
    '-const b = 2;',
    '+const b = 3;',
    '+const c = 4;',
    ' const d = 5;',
    ' const e = 6;',
    '@@ -20,2 +21,3 @@ function f() {',
    '   return 1;',
    '+  // added',
    ' }',
    'diff --git a/new.py b/new.py',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/new.py',
    '@@ -0,0 +1,2 @@',
    '+x = 1',
    '+y = 2',
    'diff --git a/gone.sh b/gone.sh',
    'deleted file mode 100644',
    '--- a/gone.sh',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-echo hi',
    'diff --git "a/sp ace.ts" "b/sp ace.ts"',
    '--- "a/sp ace.ts"',
    '+++ "b/sp ace.ts"',
    '@@ -1 +1 @@',
    '-x',
    '+y',
    '',
  ].join('\n');
  const touched = touchedLines(patch);

  it('lists the new-side lines each hunk added or changed', () => {
    expect([...(touched.get('src/a.js')?.lines ?? [])]).toEqual([2, 3, 22]);
    expect(touched.get('src/a.js')?.status).toBe('modified');
    expect(isTouched(touched, 'src/a.js', 1)).toBe(false);
    expect(isTouched(touched, 'src/a.js', 3)).toBe(true);
    expect(isTouched(touched, 'src/a.js', 21)).toBe(false);
  });

  it('treats every line of a new file as touched, nothing of a deleted one, and reads quoted paths', () => {
    expect(isTouched(touched, 'new.py', 40)).toBe(true);
    expect(touched.get('gone.sh')?.status).toBe('deleted');
    expect(isTouched(touched, 'gone.sh', 1)).toBe(false);
    expect(isTouched(touched, 'sp ace.ts', 1)).toBe(true);
    expect(isTouched(touched, 'other.js', 1)).toBe(false);
  });
});

describe('scoring the seven dimensions from config', () => {
  it('scores all seven, 1 for a clean change with passing tests', () => {
    const s = scoreAttempt(green, [], config.quality, 0.8);
    expect(Object.keys(s.scores).sort()).toEqual(['correctness', 'documentation', 'maintainability', 'performance', 'readability', 'security', 'testing']);
    expect(s).toMatchObject({ score: 1, passed: true, reasons: [] });
  });

  it('charges each finding its severity penalty in its dimension', () => {
    const s = scoreAttempt(green, [finding({}), finding({ line: 9, severity: 'error' })], config.quality, 0.8);
    expect(s.scores.maintainability).toBe(0.6); // 1 - 0.1 - 0.3
    expect(s.scores.readability).toBe(1);
    expect(s.score).toBe(0.96); // 1 - 0.4 * 0.10 weight
  });

  it('never passes with failing tests, whatever the score', () => {
    const s = scoreAttempt({ ran: true, exitCode: 1, timedOut: false, passed: 4, failed: 1 }, [], config.quality, 0.8);
    expect(s.scores.correctness).toBe(0.8);
    expect(s.score).toBeGreaterThan(0.8);
    expect(s.passed).toBe(false);
    expect(s.reasons).toEqual(['1 of 5 tests failed']);
  });

  it('fails a dimension under its minimum and a security finding the change adds (security must not drop)', () => {
    const s = scoreAttempt(green, [finding({ dimension: 'security', rule: 'security/detect-eval-with-expression', severity: 'warning' })], config.quality, 0.8);
    expect(s.scores.security).toBe(0.9);
    expect(s.score).toBeGreaterThan(0.8);
    expect(s.passed).toBe(false);
    expect(s.reasons).toEqual(['security must not drop, but the change adds 1 finding (first: security/detect-eval-with-expression at src/a.js:3)']);
    const info = scoreAttempt(green, [finding({ dimension: 'security', severity: 'info' })], config.quality, 0.8);
    expect(info.passed).toBe(true);
    const many = scoreAttempt(green, Array.from({ length: 4 }, (_, i) => finding({ dimension: 'correctness', severity: 'warning', line: i })), config.quality, 0.8);
    expect(many.scores.correctness).toBe(0.6);
    const worse = scoreAttempt(green, Array.from({ length: 5 }, (_, i) => finding({ dimension: 'correctness', severity: 'warning', line: i })), config.quality, 0.8);
    expect(worse.reasons).toContain('correctness 0.50 is below its minimum 0.6');
  });

  it('takes weights, minimums, penalties and the threshold from the configuration, overridable per repository', () => {
    const strict = withRepositoryOverride(
      config,
      'quality:\n  threshold: 0.99\n  weights: { readability: 1, correctness: 0, security: 0, testing: 0, maintainability: 0, performance: 0, documentation: 0 }\n  mustNotDrop: []\n  minimums: {}\n  penalties: { warning: 0.5 }\n',
    );
    expect(strict.threshold).toBe(0.99);
    const readability = [finding({ dimension: 'readability' })];
    const s = scoreAttempt(green, readability, strict.config.quality, strict.threshold ?? 0);
    expect(s.scores.readability).toBe(0.5);
    expect(s.score).toBe(0.5);
    expect(s.passed).toBe(false);
    const lax = withRepositoryOverride(config, 'quality:\n  mustNotDrop: []\n  minimums: {}\n');
    expect(lax.threshold).toBeUndefined();
    expect(scoreAttempt(green, [finding({ dimension: 'security' })], lax.config.quality, 0.8).passed).toBe(true);
    expect(scoreAttempt(green, [finding({ dimension: 'security' })], config.quality, 0.8).passed).toBe(false);
  });

  it('refuses a repository override that is not valid, naming the setting', () => {
    expect(() => withRepositoryOverride(config, 'quality:\n  threshold: 2\n')).toThrow(/quality\.threshold/);
    expect(() => withRepositoryOverride(config, 'quality: [1, 2\n')).toThrow(/not valid YAML/);
  });

  it('reads the shipped config/ directory: seven weights, language configs, per-language rules', async () => {
    expect(Object.keys(config.quality.weights)).toHaveLength(7);
    expect(Object.keys(config.languages).sort()).toEqual(['go', 'java', 'javascript', 'python', 'ruby', 'rust', 'shell', 'typescript']);
    expect(config.languages['python']?.rules['B101']).toBe('info');
    const dir = await mkdtemp(join(tmpdir(), 'patchbay-qc-'));
    try {
      await mkdir(join(dir, 'language_configs'));
      await writeFile(join(dir, 'agent_config.yaml'), 'quality:\n  threshold: 0.5\n');
      await writeFile(join(dir, 'language_configs', 'python.yaml'), 'extensions: [.py]\ncomplexity: 3\n');
      const own = loadQualityConfig(dir);
      expect(own.quality.threshold).toBe(0.5);
      expect(own.quality.weights.correctness).toBe(0.3);
      expect(own.languages['python']?.complexity).toBe(3);
      await writeFile(join(dir, 'language_configs', 'bad.yaml'), 'extensions: []\n');
      expect(() => loadQualityConfig(dir)).toThrow(/languages\.bad\.extensions/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('test results', () => {
  it('adds JUnit flags to the runners that take them, and leaves other commands alone', () => {
    expect(planJunit('npm test', '/t/j.xml', { test: 'node --test' })?.command).toBe("npm test -- --test-reporter=tap --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination='/t/j.xml'");
    expect(planJunit('npm test', '/t/j.xml', { test: 'vitest run' })?.command).toContain('--reporter=junit --outputFile.junit=');
    expect(planJunit('python3 -m pytest -q', '/t/j.xml')?.command).toBe("python3 -m pytest -q --junitxml='/t/j.xml'");
    expect(planJunit('go test ./...', '/t/j.xml')).toMatchObject({ command: 'go test -json ./...', format: 'go-json' });
    expect(planJunit('npm test', '/t/j.xml', { test: 'jest' })).toBeNull();
    expect(planJunit('make test', '/t/j.xml')).toBeNull();
    expect(planJunit('npm test && rm -rf x', '/t/j.xml', { test: 'node --test' })).toBeNull();
  });

  it('reads the JUnit XML node --test writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'patchbay-junit-'));
    try {
      await writeFile(join(dir, 'a.test.mjs'), "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('adds', () => assert.equal(1 + 1, 2));\ntest('fails', () => assert.equal(1, 2));\ntest.skip('skipped', () => {});\n");
      spawnSync(process.execPath, ['--test', '--test-reporter=junit', `--test-reporter-destination=${join(dir, 'j.xml')}`, 'a.test.mjs'], { cwd: dir });
      const xml = spawnSync('cat', [join(dir, 'j.xml')], { encoding: 'utf8' }).stdout;
      const r = parseJunit(xml, [dir]);
      expect(r).toMatchObject({ total: 3, passed: 1, failed: 1, skipped: 1 });
      expect(r?.failures[0]).toMatchObject({ name: 'fails', location: { file: 'a.test.mjs', line: 4 } });
      expect(r?.failures[0]?.message).toMatch(/strictly equal/);
      expect(parseJunit('not xml <')).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('converts go test -json events', () => {
    const events = [
      { Action: 'run', Package: 'ex/m', Test: 'TestAdd' },
      { Action: 'output', Package: 'ex/m', Test: 'TestAdd', Output: '=== RUN   TestAdd\n' },
      { Action: 'pass', Package: 'ex/m', Test: 'TestAdd' },
      { Action: 'run', Package: 'ex/m', Test: 'TestSub' },
      { Action: 'output', Package: 'ex/m', Test: 'TestSub', Output: '    m_test.go:14: got 1, want 2\n' },
      { Action: 'fail', Package: 'ex/m', Test: 'TestSub' },
      { Action: 'fail', Package: 'ex/m' },
    ].map((e) => JSON.stringify(e)).join('\n');
    expect(parseGoTestJson(events)).toEqual({
      total: 2,
      passed: 1,
      failed: 1,
      skipped: 0,
      failures: [{ name: 'TestSub', message: 'got 1, want 2', location: { file: 'm_test.go', line: 14 } }],
    });
    expect(parseGoTestJson('ok  \tex/m\t0.1s')).toBeNull();
  });
});
