import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Assessment, DebugEntry } from '@patchbay/contracts';
import { calledNames, changedFilesOf, formHypothesis } from '@patchbay/debugger';
import { extractFailures, summarizeTestOutput } from '@patchbay/test-output';
import { type GitFixture, MEDIAN_TEST, ONE_MIDDLE_MEDIAN, createGitFixture } from '@patchbay/testkit';

const NOW = new Date('2025-04-05T06:07:08.000Z');
const BASE_STATS = 'export function median(xs) {\n  return xs[0];\n}\n';
/** The attempt's change: sorts now, but still takes one middle value for even lengths. */
const ATTEMPT_STATS = ONE_MIDDLE_MEDIAN;
const TEST = MEDIAN_TEST;

let repo: GitFixture;
let root: string;

beforeAll(async () => {
  repo = await createGitFixture({ 'package.json': '{"type":"module"}\n', 'src/stats.js': BASE_STATS, 'test/stats.test.js': TEST });
  root = await mkdtemp(join(tmpdir(), 'patchbay-debug-'));
});
afterAll(async () => {
  await repo.remove();
  await rm(root, { recursive: true, force: true });
});

/** A worktree where patchbay would run the attempt: `<root>/worktrees/<id>/`, detached at the base. */
async function attemptWorktree(id: string, files: Record<string, string>): Promise<{ dir: string; patch: string }> {
  const dir = join(root, 'worktrees', id);
  await repo.git('worktree', 'add', '--detach', '--quiet', dir, repo.head);
  for (const [path, content] of Object.entries(files)) await writeFile(join(dir, path), content);
  await repo.git('-C', dir, 'add', '-A');
  const patch = await repo.git('-C', dir, 'diff', '--cached', '--no-renames', repo.head);
  return { dir, patch };
}

function nodeTest(dir: string): string {
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', TERM: 'dumb' };
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
  return `${result.stdout}${result.stderr}`;
}

function assess(output: string, attempt: number): Assessment {
  const summary = summarizeTestOutput(output);
  return {
    attempt,
    passed: summary.failed === 0,
    score: summary.failed === 0 ? 1 : 0.3,
    threshold: 0.8,
    scores: {},
    tests: { command: 'node --test', exitCode: summary.failed === 0 ? 0 : 1, timedOut: false, durationMs: 90, passed: summary.passed ?? 0, failed: summary.failed ?? 0 },
    failingTests: summary.failingTests,
    outputExcerpt: output.slice(-8_000),
    isolated: false,
  };
}

/** What the debug handler does: the failing line, read from the base commit at the located file. */
async function failingLineOf(assessment: Assessment): Promise<string | undefined> {
  const located = extractFailures(assessment.outputExcerpt).find((f) => f.location)?.location;
  if (!located) return undefined;
  const content = await repo.git('show', `${repo.head}:${located.file}`);
  return content.split('\n')[located.line - 1];
}

describe('formHypothesis from a real failing median test', () => {
  let entry: DebugEntry | null;
  let failingLine: string | undefined;
  let changedFiles: string[];

  beforeAll(async () => {
    const extraTest = `${TEST}test('median of one', () => {\n  assert.equal(median([7]), 7);\n});\n`;
    const { dir, patch } = await attemptWorktree('attempt-2', { 'src/stats.js': ATTEMPT_STATS, 'test/stats.test.js': extraTest });
    changedFiles = changedFilesOf(patch);
    const assessment = assess(nodeTest(dir), 2);
    expect(assessment.failingTests).toEqual(['median of even length']);
    failingLine = await failingLineOf(assessment);
    entry = formHypothesis({ attempt: 2, assessment, changedFiles, failingLine, now: NOW });
  });

  it('reads the changed files and the failing line as the handler would', () => {
    expect(changedFiles).toEqual(['src/stats.js', 'test/stats.test.js']);
    expect(failingLine).toBe('  assert.equal(median([4, 1, 3, 2]), 2.5);');
  });

  it('names the called function, the changed non-test file, actual and expected', () => {
    expect(entry).not.toBeNull();
    expect(entry?.hypothesis).toBe(
      '"median of even length" fails because median() in src/stats.js returns 3 where 2.5 is expected (for `assert.equal(median([4, 1, 3, 2]), 2.5);`)',
    );
    expect(entry?.hypothesis).not.toContain('in test/stats.test.js');
  });

  it('plans an experiment on that function and records what was observed', () => {
    expect(entry?.action).toBe('Experiment: run "median of even length" alone with median() instrumented to log its arguments and result');
    expect(entry?.observation).toContain('3 !== 2.5');
    expect(entry?.observation).toContain('failing at test/stats.test.js:10');
    expect(entry?.observation).toContain('attempt 2 changed src/stats.js');
    expect(entry?.observation).not.toContain(root);
  });

  it('is an inconclusive, well-formed debug log entry', () => {
    expect(entry).toMatchObject({
      timestamp: '2025-04-05T06:07:08.000Z',
      iteration: 2,
      issue_id: 'BUG-002',
      file: 'test/stats.test.js',
      outcome: 'inconclusive',
    });
    expect(DebugEntry.parse(entry)).toEqual(entry);
  });
});

describe('formHypothesis in other cases', () => {
  it('returns null when nothing failed', async () => {
    const { dir } = await attemptWorktree('attempt-pass', {
      'src/stats.js': 'export function median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  const m = Math.floor(s.length / 2);\n  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;\n}\n',
    });
    const assessment = assess(nodeTest(dir), 1);
    expect(assessment.tests?.failed).toBe(0);
    expect(formHypothesis({ attempt: 1, assessment, changedFiles: ['src/stats.js'], now: NOW })).toBeNull();
  });

  it('builds the hypothesis from the error message when there are no values to compare', async () => {
    const broken = 'export function median(xs) {\n  return xs.middle.value;\n}\n';
    const { dir, patch } = await attemptWorktree('attempt-throw', { 'src/stats.js': broken });
    const assessment = assess(nodeTest(dir), 3);
    expect(assessment.failingTests).toEqual(['median of odd length', 'median of even length']);
    // The stack points into the attempt's own src/stats.js; its line 2 is the one that threw.
    const entry = formHypothesis({ attempt: 3, assessment, changedFiles: changedFilesOf(patch), failingLine: broken.split('\n')[1], now: NOW });
    expect(entry?.hypothesis).toBe('"median of odd length" fails with "Cannot read properties of undefined (reading \'value\')" in src/stats.js');
    expect(entry?.file).toBe('src/stats.js');
    expect(entry?.observation).toBe("Cannot read properties of undefined (reading 'value'); failing at src/stats.js:2; attempt 3 changed src/stats.js");
    expect(entry?.action).toBe('Experiment: run "median of odd length" alone and log the values it asserts on');
    expect(entry?.issue_id).toBe('BUG-003');
    expect(DebugEntry.parse(entry)).toEqual(entry);
  });

  it('names the function a thrown error passed through when the failing line calls it', () => {
    const assessment: Assessment = {
      attempt: 1,
      passed: false,
      score: 0,
      threshold: 0.8,
      scores: {},
      tests: { command: 'node --test', exitCode: 1, timedOut: false, durationMs: 10, passed: 0, failed: 1 },
      failingTests: ['parses the config'],
      outputExcerpt: [
        'not ok 1 - parses the config',
        '  ---',
        "  error: 'Unexpected token } in JSON at position 12'",
        "  name: 'SyntaxError'",
        '  stack: |-',
        '    TestContext.<anonymous> (file:///srv/patchbay/worktrees/abc/test/config.test.js:7:18)',
        '  ...',
        '# pass 0',
        '# fail 1',
      ].join('\n'),
      isolated: false,
    };
    const entry = formHypothesis({ attempt: 1, assessment, changedFiles: ['src/config.js'], failingLine: "  assert.deepEqual(loadConfig('{\"a\": 1,}'), { a: 1 });", now: NOW });
    expect(entry?.hypothesis).toBe('"parses the config" fails with "Unexpected token } in JSON at position 12", raised through loadConfig() in src/config.js');
    expect(entry?.file).toBe('test/config.test.js');
    expect(entry?.action).toBe('Experiment: run "parses the config" alone with loadConfig() instrumented to log its arguments and result');
  });

  it('falls back to the failing test names and the latest change when the output says nothing usable', () => {
    const assessment: Assessment = {
      attempt: 1,
      passed: false,
      score: 0,
      threshold: 0.8,
      scores: {},
      tests: { command: 'make test', exitCode: 2, timedOut: false, durationMs: 10 },
      failingTests: ['checks the totals'],
      outputExcerpt: 'make: *** [test] Error 2\n',
      isolated: false,
    };
    const entry = formHypothesis({ attempt: 1, assessment, changedFiles: ['lib/totals.rb'], now: NOW });
    expect(entry?.hypothesis).toBe('"checks the totals" fails; the most recent change to lib/totals.rb is the likeliest cause');
    expect(entry?.action).toBe('Experiment: run "checks the totals" alone and log the values it asserts on');
    expect(DebugEntry.parse(entry)).toEqual(entry);
  });

  it('tells test files from code by path segment, not by substring', () => {
    const assessment: Assessment = {
      attempt: 1,
      passed: false,
      score: 0,
      threshold: 0.8,
      scores: {},
      tests: { command: 'python3 -m pytest -q', exitCode: 1, timedOut: false, durationMs: 10, passed: 0, failed: 1 },
      failingTests: ['tests/test_prices.py::test_total'],
      outputExcerpt: 'FAILED tests/test_prices.py::test_total - assert 3 == 4\n1 failed in 0.02s\n',
      isolated: false,
    };
    const entry = formHypothesis({ attempt: 1, assessment, changedFiles: ['tests/test_prices.py', 'src/latest_prices.py'], now: NOW });
    expect(entry?.hypothesis).toBe('"tests/test_prices.py::test_total" fails with "assert 3 == 4" in src/latest_prices.py');
    expect(entry?.observation).toBe('assert 3 == 4; attempt 1 changed src/latest_prices.py');
  });
});

describe('calledNames', () => {
  it.each([
    ['  assert.equal(median([4, 1, 3, 2]), 2.5);', ['median']],
    ['assert.deepStrictEqual(sortBy(users, byAge), [])', ['sortBy']],
    ['expect(stats.median(xs)).toBe(2)', ['median']],
    ['expect(parse(read("a.json"))).toEqual({})', ['parse', 'read']],
    ['self.assertEqual(median([4, 1, 3, 2]), 2.5)', ['median']],
    ['assert.notEqual(median([1]), 3)', ['median']],
    ['assert.Equal(t, 2.5, Median(xs))', ['Median']],
    ['assertEquals(2.5, Stats.median(xs))', ['median']],
    ['Assert.AreEqual(2.5, Median(xs));', ['Median']],
    ['expect(median([1, 2])).toStrictEqual(1.5)', ['median', 'toStrictEqual']],
    ['assert_eq!(median(&[4.0, 1.0]), 2.5);', ['median']],
    ['if (isValid(x)) return normalize(x);', ['isValid', 'normalize']],
    ['const total = 1 + 2;', []],
  ])('finds the functions called on %j', (line, names) => {
    expect(calledNames(line)).toEqual(names);
  });
});

describe('changedFilesOf', () => {
  it('lists every path a real patch creates, modifies or deletes, once', async () => {
    const { patch } = await attemptWorktree('attempt-files', { 'src/stats.js': ATTEMPT_STATS, 'src/mean.js': 'export const mean = () => 0;\n' });
    await repo.git('-C', join(root, 'worktrees', 'attempt-files'), 'rm', '-q', 'package.json');
    const full = await repo.git('-C', join(root, 'worktrees', 'attempt-files'), 'diff', '--cached', '--no-renames', repo.head);
    expect(changedFilesOf(patch)).toEqual(['src/mean.js', 'src/stats.js']);
    expect(changedFilesOf(full)).toEqual(['package.json', 'src/mean.js', 'src/stats.js']);
    expect(changedFilesOf(`${full}\n${full}`)).toEqual(['package.json', 'src/mean.js', 'src/stats.js']);
  });

  it('gives nothing for an empty patch', () => {
    expect(changedFilesOf('')).toEqual([]);
  });
});
