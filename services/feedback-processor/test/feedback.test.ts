import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Assessment, FeedbackCompleted, type Finding } from '@patchbay/contracts';
import { buildFeedback, failureSignature, keysOfSignature, observationsOf } from '@patchbay/feedback-processor';
import { summarizeTestOutput } from '@patchbay/test-output';
import { MEDIAN_TEST, ONE_MIDDLE_MEDIAN } from '@patchbay/testkit';

const ANSI = /\x1b\[/;
const MEDIAN_JS = ONE_MIDDLE_MEDIAN;
const TEST = `${MEDIAN_TEST}\ntest('median of two', () => {\n  assert.equal(median([1, 2]), 1.5);\n});\n`;
const lineOf = (needle: string) => TEST.split('\n').findIndex((l) => l.includes(needle)) + 1;

let base: string;
/** Writes a project where patchbay runs tests: a worktree under `<root>/worktrees/<id>/`. */
async function worktree(files: Record<string, string>): Promise<string> {
  const dir = join(base, 'worktrees', `w${Math.random().toString(36).slice(2, 10)}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

function nodeTest(dir: string, reporter: 'tap' | 'spec', color = false): string {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TERM: 'dumb', ...(color ? { FORCE_COLOR: '1' } : { NO_COLOR: '1' }) };
  const result = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
  return `${result.stdout}${result.stderr}`;
}

/** An assessment as the quality assessor builds it from a test run's output. */
function assess(output: string, exitCode: number | null = 1, extra: Partial<Assessment> = {}): Assessment {
  const summary = summarizeTestOutput(output);
  return {
    attempt: 1,
    passed: false,
    score: 0.35,
    threshold: 0.8,
    scores: { correctness: 0.33 },
    tests: {
      command: 'node --test',
      exitCode,
      timedOut: false,
      durationMs: 120,
      ...(summary.passed !== undefined ? { passed: summary.passed } : {}),
      ...(summary.failed !== undefined ? { failed: summary.failed } : {}),
    },
    failingTests: summary.failingTests,
    outputExcerpt: output.slice(-8_000),
    isolated: false,
    ...extra,
  };
}

/** The feedback must fit the message that carries it. */
function carry(feedback: ReturnType<typeof buildFeedback>) {
  return FeedbackCompleted.parse({ taskId: 't1', attempt: 1, feedback: feedback.text, items: feedback.items, repeated: feedback.repeated, signature: feedback.signature });
}

let tap: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'patchbay-feedback-'));
  const dir = await worktree({ 'package.json': '{"type":"module"}\n', 'src/stats.js': MEDIAN_JS, 'test/stats.test.js': TEST });
  tap = nodeTest(dir, 'tap');
});
afterAll(() => rm(base, { recursive: true, force: true }));

describe('buildFeedback for failing tests', () => {
  it('names each failing test with expected, actual and its repository location', () => {
    const feedback = buildFeedback({ attempt: 1, assessment: assess(tap), previous: [] });
    expect(feedback.text).toContain('Attempt 1 did not pass: 1 tests passed, 2 failed; score 0.35 (needs 0.8).');
    expect(feedback.text).toContain(`- "median of even length": expected 2.5 but got 3 (at test/stats.test.js:${lineOf('median([4, 1, 3, 2])')})`);
    expect(feedback.text).toContain(`- "median of two": expected 1.5 but got 2 (at test/stats.test.js:${lineOf('median([1, 2])')})`);
    expect(feedback.text).not.toContain('median of odd length');
    expect(feedback.text).toContain('Do not change, skip or delete the tests.');
    expect(feedback.text).not.toContain(base);
    expect(feedback.items).toEqual([
      { kind: 'ERROR', message: expect.stringContaining('"median of even length"'), location: `test/stats.test.js:${lineOf('median([4, 1, 3, 2])')}` },
      { kind: 'ERROR', message: expect.stringContaining('"median of two"'), location: `test/stats.test.js:${lineOf('median([1, 2])')}` },
    ]);
    expect(feedback.repeated).toBe(false);
    expect(feedback.signature).toBe('tests:median of even length|median of two');
    carry(feedback);
  });

  it('reads the spec reporter, in colour, to the same effect and without escape codes', async () => {
    const dir = await worktree({ 'package.json': '{"type":"module"}\n', 'src/stats.js': MEDIAN_JS, 'test/stats.test.js': TEST });
    const colored = nodeTest(dir, 'spec', true);
    expect(colored).toMatch(ANSI);
    const feedback = buildFeedback({ attempt: 2, assessment: assess(colored), previous: [] });
    expect(feedback.text).toContain('"median of even length": expected 2.5 but got 3 (at test/stats.test.js:');
    expect(feedback.text).toContain('"median of two": expected 1.5 but got 2');
    expect(feedback.text).not.toMatch(ANSI);
    expect(JSON.stringify(feedback.items)).not.toContain('\\u001b');
    expect(feedback.signature).toBe('tests:median of even length|median of two');
  });

  it('names failing tests the output lists without details', () => {
    const assessment = assess(tap, 1, { failingTests: ['median of even length', 'median of two', 'stats › handles NaN'] });
    const feedback = buildFeedback({ attempt: 1, assessment, previous: [] });
    expect(feedback.text).toContain('- "stats › handles NaN"');
    expect(feedback.items).toHaveLength(3);
  });

  it('shows the end of the output, without escape codes, when no failure can be read from it', () => {
    const output = [
      'Running 12 checks',
      '\x1b[32m✓\x1b[39m parser',
      '\x1b[1m\x1b[31mmake: *** [Makefile:7: test] Segmentation fault (core dumped)\x1b[39m\x1b[22m',
      '',
    ].join('\n');
    const feedback = buildFeedback({ attempt: 1, assessment: assess(output, 2), previous: [] });
    expect(feedback.text).toContain('the tests exited with code 2');
    expect(feedback.text).toContain('The end of the test output:');
    expect(feedback.text).toContain('make: *** [Makefile:7: test] Segmentation fault (core dumped)');
    expect(feedback.text).not.toMatch(ANSI);
    expect(feedback.items).toHaveLength(1);
    expect(feedback.items[0]?.kind).toBe('ERROR');
    expect(feedback.items[0]?.message).not.toMatch(ANSI);
    expect(feedback.signature).toBe('exit:2');
  });
});

describe('buildFeedback for a repeated failure', () => {
  it('says the failure repeats and names the earlier attempt', () => {
    const first = buildFeedback({ attempt: 1, assessment: assess(tap), previous: [] });
    const again = buildFeedback({ attempt: 2, assessment: assess(tap), previous: [{ attempt: 1, signature: first.signature }] });
    expect(again.repeated).toBe(true);
    expect(again.signature).toBe(first.signature);
    expect(again.text.startsWith('This is the same failure as attempt 1: that approach did not work.')).toBe(true);
    expect(again.text).toMatch(/change strategy/);
    // The concrete failures are still there.
    expect(again.text).toContain('"median of even length": expected 2.5 but got 3');
  });

  it('names every earlier attempt with the same failure, and only those', () => {
    const signature = failureSignature(assess(tap), undefined);
    const feedback = buildFeedback({
      attempt: 4,
      assessment: assess(tap),
      previous: [
        { attempt: 1, signature },
        { attempt: 2, signature: 'error:EDIT_INVALID' },
        { attempt: 3, signature },
      ],
    });
    expect(feedback.repeated).toBe(true);
    expect(feedback.text).toContain('same failure as attempt 1 and 3:');
  });

  it('does not call a different failure a repeat', () => {
    const feedback = buildFeedback({ attempt: 2, assessment: assess(tap), previous: [{ attempt: 1, signature: 'tests:median of odd length' }] });
    expect(feedback.repeated).toBe(false);
    expect(feedback.text).not.toContain('same failure');
  });
});

describe('buildFeedback for an unusable answer', () => {
  it('turns an EDIT_INVALID error into VALIDATION feedback quoting the error', () => {
    const message = 'the answer could not be applied:\n- edit 1 (src/stats.js): the SEARCH text is not in the file (it starts with "return s[0];"); copy the lines exactly as they are now';
    const feedback = buildFeedback({ attempt: 2, error: { code: 'EDIT_INVALID', message, retryable: true }, previous: [] });
    expect(feedback.items).toEqual([{ kind: 'VALIDATION', message }]);
    expect(feedback.text).toContain("Attempt 2's answer could not be used (EDIT_INVALID).");
    expect(feedback.text).toContain(message);
    expect(feedback.text).toContain('SEARCH/REPLACE blocks');
    expect(feedback.signature).toBe('error:EDIT_INVALID');
    expect(feedback.repeated).toBe(false);
    carry(feedback);
  });

  it('prefers the error to an assessment when both are given', () => {
    const feedback = buildFeedback({ attempt: 1, assessment: assess(tap), error: { code: 'EDIT_INVALID', message: 'no blocks', retryable: true }, previous: [] });
    expect(feedback.items.map((i) => i.kind)).toEqual(['VALIDATION']);
    expect(feedback.text).not.toContain('Failing:');
  });
});

describe('buildFeedback for a timed-out run', () => {
  it('gives PERFORMANCE feedback', () => {
    const assessment = assess('▶ stats\n  ✔ median of odd length (0.6ms)\n', null, {
      tests: { command: 'npm test', exitCode: null, timedOut: true, durationMs: 60_000 },
      failingTests: [],
    });
    const feedback = buildFeedback({ attempt: 3, assessment, previous: [] });
    expect(feedback.items).toEqual([{ kind: 'PERFORMANCE', message: 'test run timed out' }]);
    expect(feedback.text).toContain('Attempt 3 did not pass: the tests timed out');
    expect(feedback.text).toMatch(/time limit: look for an infinite loop/);
    expect(feedback.signature).toBe('exit:null');
  });
});

describe('buildFeedback size', () => {
  it('stays under 3000 characters for a run with 200 long-named failures', async () => {
    const long = 'x'.repeat(120);
    const many = [
      "import { test } from 'node:test';",
      "import assert from 'node:assert/strict';",
      ...Array.from({ length: 200 }, (_, i) => `test('case ${i} ${long}', () => assert.deepEqual({ value: ${i}, items: [${i}, ${i}] }, { value: ${i + 1}, items: [${i}] }));`),
      '',
    ].join('\n');
    const dir = await worktree({ 'package.json': '{"type":"module"}\n', 'test/many.test.js': many });
    const output = nodeTest(dir, 'tap');
    expect(output.length).toBeGreaterThan(100_000);
    const assessment = assess(output);
    expect(assessment.failingTests).toHaveLength(200);

    const feedback = buildFeedback({ attempt: 2, assessment, previous: [{ attempt: 1, signature: failureSignature(assessment, undefined) }] });
    expect(feedback.text.length).toBeLessThanOrEqual(3_000);
    expect(feedback.text.startsWith('This is the same failure as attempt 1')).toBe(true);
    expect(feedback.items.length).toBeLessThanOrEqual(8);
    carry(feedback);

    // Even fed the whole output rather than the excerpt the assessor keeps.
    const whole = buildFeedback({ attempt: 2, assessment: { ...assessment, outputExcerpt: output }, previous: [] });
    expect(whole.text.length).toBeLessThanOrEqual(3_000);
  });

  it('marks a shortened text', () => {
    const names = Array.from({ length: 8 }, (_, i) => `test ${i} ${'y'.repeat(500)}`);
    const feedback = buildFeedback({ attempt: 1, assessment: assess('', 1, { failingTests: names }), previous: [] });
    expect(feedback.text.length).toBeLessThanOrEqual(3_000);
    expect(feedback.text.endsWith('[feedback shortened]')).toBe(true);
  });
});

describe('failureSignature', () => {
  it('is the error code for an error', () => {
    expect(failureSignature(assess(tap), { code: 'TIMEOUT', message: 'x', retryable: true })).toBe('error:TIMEOUT');
  });

  it('does not depend on the order of the failing tests', () => {
    const a = assess('', 1, { failingTests: ['b', 'a', 'c'] });
    const b = assess('', 1, { failingTests: ['c', 'b', 'a'] });
    expect(failureSignature(a, undefined)).toBe('tests:a|b|c');
    expect(failureSignature(b, undefined)).toBe(failureSignature(a, undefined));
  });

  it('fits the 2000 characters messages allow for many failing tests, yet tells sets apart', () => {
    const names = Array.from({ length: 150 }, (_, i) => `stats › median › handles case number ${String(i).padStart(3, '0')}`);
    const all = failureSignature(assess('', 1, { failingTests: names }), undefined);
    const reordered = failureSignature(assess('', 1, { failingTests: [...names].reverse() }), undefined);
    const oneFixed = failureSignature(assess('', 1, { failingTests: names.slice(0, -1) }), undefined);
    expect(all.length).toBeLessThanOrEqual(2_000);
    expect(all.startsWith('tests:stats › median › handles case number 000|')).toBe(true);
    expect(reordered).toBe(all);
    expect(oneFixed).not.toBe(all);
    expect(oneFixed.length).toBeLessThanOrEqual(2_000);
  });

  it('falls back to the exit code, then to unknown', () => {
    expect(failureSignature(assess('', 137, { failingTests: [] }), undefined)).toBe('exit:137');
    expect(failureSignature(undefined, undefined)).toBe('unknown');
  });
});

describe('buildFeedback for findings', () => {
  const f = (over: Partial<Finding>): Finding => ({
    tool: 'eslint',
    rule: 'no-unused-vars',
    dimension: 'maintainability',
    analysis: 'quality',
    severity: 'warning',
    file: 'src/a.js',
    line: 3,
    message: "'x' is assigned a value but never used.",
    touched: true,
    ...over,
  });
  const passingTests = (findings: Finding[], extra: Partial<Assessment> = {}) =>
    assess('# pass 5\n# fail 0\n', 0, {
      tests: { command: 'npm test', exitCode: 0, timedOut: false, durationMs: 10, passed: 5, failed: 0 },
      failingTests: [],
      findings,
      reasons: ['security must not drop, but the change adds 1 finding (first: checklist/security/sql-built-from-strings at src/db.js:12)'],
      ...extra,
    });
  const sqlFinding = f({ tool: 'checklist', rule: 'security/sql-built-from-strings', dimension: 'security', analysis: 'security', severity: 'error', file: 'src/db.js', line: 12, message: 'db.query() gets SQL put together from strings: use placeholders and pass the values separately', category: 'sql-injection' });

  it('groups findings by rule and file, ranks security first, and locates each', () => {
    const feedback = buildFeedback({
      attempt: 1,
      assessment: passingTests([f({ line: 3 }), f({ line: 7 }), f({ line: 9, severity: 'info', rule: 'prefer-const', message: 'use const' }), sqlFinding, f({ touched: false, line: 40, rule: 'no-var', message: 'old debt' })]),
      previous: [],
    });
    expect(feedback.text).toContain('It also failed: security must not drop');
    const lines = feedback.text.split('\n');
    const start = lines.indexOf('On the lines you changed, most important first:');
    expect(lines.slice(start + 1, start + 3)).toEqual([
      '- src/db.js:12: db.query() gets SQL put together from strings: use placeholders and pass the values separately [checklist/security/sql-built-from-strings]',
      "- src/a.js:3, 7: 'x' is assigned a value but never used. [eslint/no-unused-vars] (2×)",
    ]);
    // Info-level findings and pre-existing debt are not worth the next prompt's space.
    expect(feedback.text).not.toContain('prefer-const');
    expect(feedback.text).not.toContain('old debt');
    expect(feedback.items.map((i) => [i.kind, i.location])).toEqual([
      ['SECURITY', 'src/db.js:12'],
      ['QUALITY', 'src/a.js:3'],
    ]);
    expect(feedback.signature).toBe('rules:checklist/security/sql-built-from-strings@src/db.js|eslint/no-unused-vars@src/a.js');
    expect(feedback.keys).toEqual(['rule:eslint/no-unused-vars@src/a.js', 'rule:checklist/security/sql-built-from-strings@src/db.js']);
    expect(feedback.text).not.toContain('Do not change, skip or delete the tests');
    carry(feedback);
  });

  it('says which findings repeat an earlier attempt, and ranks them first', () => {
    const first = buildFeedback({ attempt: 1, assessment: passingTests([f({}), sqlFinding]), previous: [] });
    const second = buildFeedback({ attempt: 2, assessment: passingTests([f({}), sqlFinding]), previous: [{ attempt: 1, signature: first.signature }] });
    expect(second.repeated).toBe(true);
    expect(second.text.startsWith('This is the same failure as attempt 1')).toBe(true);
    expect(second.text).toContain('[checklist/security/sql-built-from-strings] — again, as after attempt 1');
    // Only the unused variable remains from attempt 1 in a third attempt: it says so, and it is not a whole repeat.
    const third = buildFeedback({ attempt: 3, assessment: passingTests([f({}), f({ rule: 'eqeqeq', file: 'src/b.js', message: 'Expected ===' })]), previous: [{ attempt: 1, signature: first.signature }, { attempt: 2, signature: second.signature }] });
    expect(third.repeated).toBe(false);
    expect(third.text).toContain('[eslint/no-unused-vars] — again, as after attempt 1 and 2');
    expect(third.text).not.toMatch(/eqeqeq\] — again/);
  });

  it('keeps a failing test repeated by name across attempts even when the findings change', () => {
    const first = buildFeedback({ attempt: 1, assessment: assess(tap), previous: [] });
    const second = buildFeedback({ attempt: 2, assessment: assess(tap, 1, { findings: [f({})] }), previous: [{ attempt: 1, signature: first.signature }] });
    expect(second.repeated).toBe(false);
    expect(second.text).toContain('"median of two": expected 1.5 but got 2');
    expect(second.text).toMatch(/"median of two": expected 1\.5 but got 2 \(at test\/stats\.test\.js:\d+\) — again, as after attempt 1/);
  });

  it('fits its token budget and never dumps raw tool output', () => {
    const many = Array.from({ length: 80 }, (_, i) => f({ rule: `rule-${i}`, line: i + 1, message: `${'long message '.repeat(20)}${i}` }));
    const feedback = buildFeedback({ attempt: 1, assessment: passingTests(many), previous: [], tokenBudget: 200, maxItems: 8 });
    expect(feedback.text.length).toBeLessThanOrEqual(800);
    expect(feedback.items.length).toBeLessThanOrEqual(8);
    expect(feedback.text).toMatch(/\[feedback shortened\]$|more findings of the same kinds/);
    carry(feedback);
  });
});

describe('buildFeedback for a review (USER feedback)', () => {
  it('passes the reviewer on, located on the delivered change, as USER feedback', () => {
    const feedback = buildFeedback({ attempt: 2, previous: [], review: { text: 'Use the logger instead of console.log\nand add a test for empty input', author: 'ana' } });
    expect(feedback.items).toEqual([{ kind: 'USER', message: 'Use the logger instead of console.log\nand add a test for empty input' }]);
    expect(feedback.text).toContain('A reviewer (ana) looked at the delivered change and asks for more:');
    expect(feedback.text).toContain('> Use the logger instead of console.log\n> and add a test for empty input');
    expect(feedback.signature).toMatch(/^review:[0-9a-f]{16}$/);
    carry(feedback);
  });
});

describe('what a failed attempt teaches the lessons', () => {
  it('observes failing tests with what they expected, broken rules per rule, refused answers', () => {
    const fromTests = observationsOf(assess(tap), undefined);
    expect(fromTests.map((o) => o.key)).toEqual(['test:median of even length', 'test:median of two']);
    expect(fromTests[0]?.text).toBe('Test "median of even length" failed here before (expected 2.5 but got 3): make sure the change handles that case');
    expect(fromTests[0]?.where).toMatch(/^test\/stats\.test\.js:\d+$/);
    const finding: Finding = { tool: 'bandit', rule: 'B602', dimension: 'security', analysis: 'security', severity: 'error', file: 'app/run.py', line: 4, message: 'subprocess call with shell=True', touched: true };
    const fromRules = observationsOf(assess('', 0, { failingTests: [], findings: [finding, { ...finding, file: 'app/other.py' }] }), undefined);
    expect(fromRules.map((o) => [o.key, o.where])).toEqual([['rule:bandit/B602', 'app/run.py:4']]);
    expect(observationsOf(undefined, { code: 'EDIT_INVALID', message: 'no blocks', retryable: true })[0]?.text).toMatch(/copy SEARCH lines exactly/);
  });

  it('reads the keys of an earlier attempt from its signature, per rule', () => {
    expect(keysOfSignature('tests:a|b;rules:eslint/no-eval@src/x.js|bandit/B602@y.py')).toEqual(['test:a', 'test:b', 'rule:eslint/no-eval', 'rule:bandit/B602']);
    expect(keysOfSignature('error:EDIT_INVALID')).toEqual(['error:EDIT_INVALID']);
    expect(keysOfSignature(undefined)).toEqual([]);
  });
});
