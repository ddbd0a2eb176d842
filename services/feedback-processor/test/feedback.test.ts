import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Assessment, FeedbackCompleted } from '@patchbay/contracts';
import { buildFeedback, failureSignature } from '@patchbay/feedback-processor';
import { summarizeTestOutput } from '@patchbay/test-output';

const ANSI = /\x1b\[/;
const MEDIAN_JS = 'export function median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  return s[Math.floor(s.length / 2)];\n}\n';
const TEST = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { median } from '../src/stats.js';",
  '',
  "test('median of odd length', () => {",
  '  assert.equal(median([3, 1, 2]), 2);',
  '});',
  '',
  "test('median of even length', () => {",
  '  assert.equal(median([4, 1, 3, 2]), 2.5);',
  '});',
  '',
  "test('median of two', () => {",
  '  assert.equal(median([1, 2]), 1.5);',
  '});',
  '',
].join('\n');
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
  const result = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, 'test/'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
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
