import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFailures, summarizeTestOutput } from '@patchbay/test-output';
import { MEDIAN_TEST, ONE_MIDDLE_MEDIAN } from '@patchbay/testkit';

/**
 * Real runner output where the runner is on this machine (node, python3; pytest, cargo
 * and vitest when present), recorded samples in each tool's exact format otherwise.
 */

const MEDIAN_JS = ONE_MIDDLE_MEDIAN;
const MEDIAN_PY = 'def median(xs):\n    s = sorted(xs)\n    return s[len(s) // 2]\n';
const ANSI = /\x1b\[[0-9;]*m/;

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function project(files: Record<string, string>, under = ''): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'patchbay-output-'));
  dirs.push(base);
  const dir = under ? join(base, under) : base;
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** The environment the sandbox gives tests: no colour, no inherited test-runner state. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1', TERM: 'dumb', PYTHONDONTWRITEBYTECODE: '1', ...extra };
  for (const name of Object.keys(env)) if (/^VITEST|^NODE_OPTIONS$|^RUST_BACKTRACE$/.test(name)) delete env[name];
  if ('FORCE_COLOR' in extra) delete env['NO_COLOR'];
  else delete env['FORCE_COLOR'];
  return env;
}

/** Runs a command and returns stdout and stderr together, as the sandbox captures them. */
function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): string {
  const result = spawnSync(command, args, { cwd, env: childEnv(extra), encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return `${result.stdout}${result.stderr}`;
}

const has = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore', env: childEnv() }).status === 0;
const lineOf = (source: string, needle: string) => source.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('node:test', () => {
  const TEST = MEDIAN_TEST;
  const failingLine = lineOf(TEST, 'median([4, 1, 3, 2])');
  let dir: string;
  beforeAll(async () => {
    dir = await project({ 'package.json': '{"type":"module"}\n', 'src/stats.js': MEDIAN_JS, 'test/stats.test.js': TEST });
  });

  it('summarises the TAP reporter: counts and the failing test', () => {
    const output = run(process.execPath, ['--test', '--test-reporter=tap'], dir);
    expect(output).toContain('not ok 2 - median of even length');
    expect(summarizeTestOutput(output)).toEqual({ passed: 1, failed: 1, failingTests: ['median of even length'], runner: 'node:test' });
  });

  it('extracts the failure from TAP: name, expected, actual and a repository-relative location', () => {
    const output = run(process.execPath, ['--test', '--test-reporter=tap'], dir);
    const failures = extractFailures(output, [dir]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      test: 'median of even length',
      expected: '2.5',
      actual: '3',
      location: { file: 'test/stats.test.js', line: failingLine },
    });
    expect(failures[0]?.message).toContain('3 !== 2.5');
  });

  it('summarises and extracts from the spec reporter, even in colour', () => {
    const output = run(process.execPath, ['--test', '--test-reporter=spec'], dir, { FORCE_COLOR: '1' });
    expect(output).toMatch(ANSI);
    expect(summarizeTestOutput(output)).toEqual({ passed: 1, failed: 1, failingTests: ['median of even length'], runner: 'node:test' });
    const failures = extractFailures(output, [dir]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      test: 'median of even length',
      expected: '2.5',
      actual: '3',
      location: { file: 'test/stats.test.js', line: failingLine },
    });
    expect(failures[0]?.message).toMatch(/^AssertionError \[ERR_ASSERTION\]: Expected values to be strictly equal: 3 !== 2\.5$/);
    expect(JSON.stringify(failures)).not.toMatch(ANSI);
  });

  it('keeps locations absolute without a root, unless they sit in a patchbay worktree', async () => {
    const output = run(process.execPath, ['--test', '--test-reporter=tap'], dir);
    expect(extractFailures(output)[0]?.location?.file).toBe(join(dir, 'test/stats.test.js'));

    const inWorktree = await project(
      { 'package.json': '{"type":"module"}\n', 'src/stats.js': MEDIAN_JS, 'test/stats.test.js': TEST },
      'worktrees/m1abc-0f0f0f0f',
    );
    const worktreeOutput = run(process.execPath, ['--test', '--test-reporter=tap'], inWorktree);
    expect(extractFailures(worktreeOutput)[0]?.location).toMatchObject({ file: 'test/stats.test.js', line: failingLine });
  });

  describe('with failing tests inside a suite', () => {
    const SUITE = [
      "import { describe, it } from 'node:test';",
      "import assert from 'node:assert/strict';",
      "import { median } from '../src/stats.js';",
      '',
      "describe('median', () => {",
      "  it('of odd length', () => assert.equal(median([3, 1, 2]), 2));",
      "  it('of even length', () => assert.equal(median([4, 1, 3, 2]), 2.5));",
      "  it('of two', () => assert.equal(median([1, 2]), 1.5));",
      '});',
      '',
    ].join('\n');
    let suiteDir: string;
    beforeAll(async () => {
      suiteDir = await project({ 'package.json': '{"type":"module"}\n', 'src/stats.js': MEDIAN_JS, 'test/stats.test.js': SUITE });
    });

    it.each(['tap', 'spec'])('names the failing tests, not the suite that wraps them (%s)', (reporter) => {
      const output = run(process.execPath, ['--test', `--test-reporter=${reporter}`], suiteDir);
      const summary = summarizeTestOutput(output);
      expect(summary).toMatchObject({ passed: 1, failed: 2, runner: 'node:test' });
      expect(summary.failingTests).toEqual(['of even length', 'of two']);
      const failures = extractFailures(output, [suiteDir]);
      expect(failures.map((f) => f.test)).toEqual(['of even length', 'of two']);
      expect(failures.map((f) => [f.expected, f.actual])).toEqual([
        ['2.5', '3'],
        ['1.5', '2'],
      ]);
      expect(failures.map((f) => f.location?.line)).toEqual([lineOf(SUITE, 'of even length'), lineOf(SUITE, 'of two')]);
    });
  });

  it('caps the failures it extracts at 50, but counts and names them all', async () => {
    const many = [
      "import { test } from 'node:test';",
      "import assert from 'node:assert/strict';",
      ...Array.from({ length: 60 }, (_, i) => `test('case ${i}', () => assert.equal(${i}, ${i + 1}));`),
      '',
    ].join('\n');
    const manyDir = await project({ 'package.json': '{"type":"module"}\n', 'test/many.test.js': many });
    const output = run(process.execPath, ['--test', '--test-reporter=tap'], manyDir);
    const summary = summarizeTestOutput(output);
    expect(summary.failed).toBe(60);
    expect(summary.passed).toBe(0);
    expect(summary.failingTests).toHaveLength(60);
    const failures = extractFailures(output, [manyDir]);
    expect(failures).toHaveLength(50);
    expect(failures[49]).toMatchObject({ test: 'case 49', expected: '50', actual: '49' });
  });

  it('finds no failures in a passing run', async () => {
    const passing = await project({
      'package.json': '{"type":"module"}\n',
      'test/ok.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('ok', () => assert.equal(1, 1));\n",
    });
    const output = run(process.execPath, ['--test', '--test-reporter=tap'], passing);
    expect(summarizeTestOutput(output)).toEqual({ passed: 1, failed: 0, failingTests: [], runner: 'node:test' });
    expect(extractFailures(output, [passing])).toEqual([]);
  });
});

describe('python unittest', () => {
  const TEST = [
    'import unittest',
    '',
    'from stats import median',
    '',
    '',
    'class MedianTest(unittest.TestCase):',
    '    def test_odd(self):',
    '        self.assertEqual(median([3, 1, 2]), 2)',
    '',
    '    def test_even(self):',
    '        self.assertEqual(median([4, 1, 3, 2]), 2.5)',
    '',
    '    def test_empty(self):',
    '        self.assertIsNone(median([]))',
    '',
  ].join('\n');
  let dir: string;
  let output: string;
  beforeAll(async () => {
    dir = await project({ 'stats.py': MEDIAN_PY, 'test_stats.py': TEST });
    output = run('python3', ['-m', 'unittest'], dir);
  });

  it('summarises failures and errors, with the failing tests named', () => {
    expect(output).toMatch(/^Ran 3 tests in/m);
    const summary = summarizeTestOutput(output);
    expect(summary).toMatchObject({ passed: 1, failed: 2, runner: 'unittest' });
    expect(summary.failingTests).toHaveLength(2);
    expect(summary.failingTests.find((t) => t.startsWith('test_even'))).toMatch(/^test_even \(test_stats\.MedianTest/);
    expect(summary.failingTests.find((t) => t.startsWith('test_empty'))).toMatch(/^test_empty \(test_stats\.MedianTest/);
  });

  it('extracts the assertion, the exception and their repository-relative lines', () => {
    const failures = extractFailures(output, [dir]);
    const even = failures.find((f) => f.test?.startsWith('test_even'));
    const empty = failures.find((f) => f.test?.startsWith('test_empty'));
    expect(even).toMatchObject({ message: 'AssertionError: 3 != 2.5', location: { file: 'test_stats.py', line: lineOf(TEST, 'median([4, 1, 3, 2])'), function: 'test_even' } });
    // The error happens inside stats.py; the first frame is the test's own line.
    expect(empty?.message).toBe('IndexError: list index out of range');
    expect(empty?.location).toMatchObject({ file: 'test_stats.py', line: lineOf(TEST, 'median([])'), function: 'test_empty' });
  });
});

describe('pytest', () => {
  const TEST = ['from stats import median', '', '', 'def test_odd():', '    assert median([3, 1, 2]) == 2', '', '', 'def test_even():', '    assert median([4, 1, 3, 2]) == 2.5', ''].join('\n');
  const pytest = has('python3', ['-c', 'import pytest']);

  it.skipIf(!pytest)('summarises a real `python3 -m pytest -q` run (the command patchbay picks for pytest projects)', async () => {
    const dir = await project({ 'stats.py': MEDIAN_PY, 'test_stats.py': TEST });
    const output = run('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'], dir);
    expect(output).toMatch(/^1 failed, 1 passed in [\d.]+s/m);
    expect(summarizeTestOutput(output)).toEqual({ passed: 1, failed: 1, failingTests: ['test_stats.py::test_even'], runner: 'pytest' });
    expect(extractFailures(output, [dir])).toEqual([expect.objectContaining({ test: 'test_stats.py::test_even', message: 'assert 3 == 2.5' })]);
  });

  // Recorded from pytest 9.0 with -q, as above.
  const QUIET = `F.                                                                       [100%]
=================================== FAILURES ===================================
__________________________________ test_even ___________________________________

    def test_even():
>       assert median([4, 1, 3, 2]) == 2.5
E       assert 3 == 2.5
E        +  where 3 = median([4, 1, 3, 2])

test_stats.py:9: AssertionError
=========================== short test summary info ============================
FAILED test_stats.py::test_even - assert 3 == 2.5
1 failed, 1 passed in 0.03s
`;
  // The default (not -q) layout, with an error in collection of another module too.
  const FULL = `============================= test session starts ==============================
platform linux -- Python 3.11.7, pytest-9.0.3, pluggy-1.6.0
rootdir: /tmp/proj
collected 3 items

tests/test_stats.py .F.                                                  [100%]

=================================== FAILURES ===================================
___________________________ TestMedian.test_even ______________________________

self = <tests.test_stats.TestMedian object at 0x7f3a2b1c4d90>

    def test_even(self):
>       assert median([4, 1, 3, 2]) == 2.5
E       assert 3 == 2.5
E        +  where 3 = median([4, 1, 3, 2])

tests/test_stats.py:12: AssertionError
=========================== short test summary info ============================
FAILED tests/test_stats.py::TestMedian::test_even - assert 3 == 2.5
ERROR tests/test_io.py - ModuleNotFoundError: No module named 'numpy'
==================== 1 failed, 2 passed, 1 error in 0.12s =====================
`;

  it('summarises recorded -q output', () => {
    expect(summarizeTestOutput(QUIET)).toEqual({ passed: 1, failed: 1, failingTests: ['test_stats.py::test_even'], runner: 'pytest' });
  });

  it('summarises recorded full output, counting errors as failures', () => {
    expect(summarizeTestOutput(FULL)).toEqual({
      passed: 2,
      failed: 2,
      failingTests: ['tests/test_stats.py::TestMedian::test_even', 'tests/test_io.py'],
      runner: 'pytest',
    });
    const failures = extractFailures(FULL);
    expect(failures).toEqual([
      expect.objectContaining({ test: 'tests/test_stats.py::TestMedian::test_even', message: 'assert 3 == 2.5' }),
      expect.objectContaining({ test: 'tests/test_io.py', message: "ModuleNotFoundError: No module named 'numpy'" }),
    ]);
  });
});

describe('vitest', () => {
  const TEST = [
    "import { describe, expect, test } from 'vitest';",
    "import { median } from '../src/stats.js';",
    '',
    "test('median of odd length', () => {",
    '  expect(median([3, 1, 2])).toBe(2);',
    '});',
    '',
    "describe('median', () => {",
    "  test('of even length', () => {",
    '    expect(median([4, 1, 3, 2])).toBe(2.5);',
    '  });',
    "  test('of two', () => {",
    '    expect(median([1, 2])).toEqual(1.5);',
    '  });',
    '});',
    '',
  ].join('\n');
  const cli = (() => {
    try {
      return join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    } catch {
      return undefined;
    }
  })();

  /** Checks what both the real run and the recorded sample must give. */
  function check(output: string, root: string) {
    const summary = summarizeTestOutput(output);
    expect(summary).toEqual({
      passed: 1,
      failed: 2,
      failingTests: ['test/stats.test.js > median > of even length', 'test/stats.test.js > median > of two'],
      runner: 'vitest',
    });
    const failures = extractFailures(output, [root]);
    expect(failures.map((f) => f.test)).toEqual(summary.failingTests);
    expect(failures[0]?.message).toBe('AssertionError: expected 3 to be 2.5 // Object.is equality');
    expect(failures[1]?.message).toBe('AssertionError: expected 2 to deeply equal 1.5');
    expect(failures[0]?.location).toEqual({ file: 'test/stats.test.js', line: lineOf(TEST, 'median([4, 1, 3, 2])') });
    expect(failures[1]?.location).toEqual({ file: 'test/stats.test.js', line: lineOf(TEST, 'median([1, 2])') });
  }

  it.skipIf(cli === undefined)('summarises and extracts a real vitest run', async () => {
    const dir = await project({ 'package.json': '{"type":"module"}\n', 'src/stats.js': MEDIAN_JS, 'test/stats.test.js': TEST });
    const output = run(process.execPath, [cli as string, 'run', '--root', dir], dir);
    expect(output).toMatch(/Tests\s+2 failed \| 1 passed \(3\)/);
    check(output, dir);
  });

  // Recorded from vitest 4.1 with NO_COLOR=1, as above.
  const RECORDED = `
 RUN  v4.1.12 /tmp/proj

 ❯ test/stats.test.js (3 tests | 2 failed) 9ms
   ✓ median of odd length 1ms
     × of even length 5ms
     × of two 1ms

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 2 ⎯⎯⎯⎯⎯⎯⎯

 FAIL  test/stats.test.js > median > of even length
AssertionError: expected 3 to be 2.5 // Object.is equality

- Expected
+ Received

- 2.5
+ 3

 ❯ test/stats.test.js:10:34
      8| describe('median', () => {
      9|   test('of even length', () => {
     10|     expect(median([4, 1, 3, 2])).toBe(2.5);
       |                                  ^
     11|   });
     12|   test('of two', () => {

⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[1/2]⎯

 FAIL  test/stats.test.js > median > of two
AssertionError: expected 2 to deeply equal 1.5

- Expected
+ Received

- 1.5
+ 2

 ❯ test/stats.test.js:13:28
     11|   });
     12|   test('of two', () => {
     13|     expect(median([1, 2])).toEqual(1.5);
       |                            ^
     14|   });
     15| });

⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯⎯[2/2]⎯


 Test Files  1 failed (1)
      Tests  2 failed | 1 passed (3)
   Start at  10:41:07
   Duration  301ms (transform 31ms, setup 0ms, import 52ms, tests 9ms, environment 0ms)
`;

  it('summarises and extracts recorded vitest output', () => {
    check(RECORDED, '/tmp/proj');
  });
});

describe('jest (recorded)', () => {
  const JEST = `FAIL test/stats.test.js
  median
    ✓ of odd length (2 ms)
    ✕ of even length (3 ms)

  ● median › of even length

    expect(received).toBe(expected) // Object.is equality

    Expected: 2.5
    Received: 3

       7 |
       8 |   test('of even length', () => {
    >  9 |     expect(median([4, 1, 3, 2])).toBe(2.5);
         |                                  ^
      10 |   });
      11 | });
      12 |

      at Object.toBe (test/stats.test.js:9:34)

Test Suites: 1 failed, 1 total
Tests:       1 failed, 1 passed, 2 total
Snapshots:   0 total
Time:        0.412 s, estimated 1 s
Ran all test suites.
`;

  it('summarises counts and the failing test', () => {
    expect(summarizeTestOutput(JEST)).toEqual({ passed: 1, failed: 1, failingTests: ['median › of even length'], runner: 'jest' });
  });

  it('extracts expected, received and the location', () => {
    expect(extractFailures(JEST)).toEqual([
      {
        test: 'median › of even length',
        message: '',
        expected: '2.5',
        actual: '3',
        location: { file: 'test/stats.test.js', line: 9, function: 'Object.toBe' },
      },
    ]);
  });

  it('does not count "Test suite failed to run" as a test', () => {
    const broken = `FAIL test/broken.test.js
  ● Test suite failed to run

    Cannot find module '../src/missing' from 'test/broken.test.js'

Test Suites: 1 failed, 1 total
Tests:       0 total
Snapshots:   0 total
Time:        0.3 s
Ran all test suites.
`;
    expect(summarizeTestOutput(broken)).toEqual({ passed: 0, failed: 0, failingTests: [], runner: 'jest' });
  });
});

describe('go test (recorded)', () => {
  const VERBOSE = `=== RUN   TestMedianOdd
--- PASS: TestMedianOdd (0.00s)
=== RUN   TestMedianEven
    stats_test.go:12: median([4 1 3 2]) = 3; want 2.5
--- FAIL: TestMedianEven (0.00s)
=== RUN   TestMedianEmpty
--- PASS: TestMedianEmpty (0.00s)
FAIL
FAIL\texample.com/stats\t0.002s
FAIL
`;
  const QUIET = `--- FAIL: TestMedianEven (0.00s)
    stats_test.go:12: median([4 1 3 2]) = 3; want 2.5
FAIL
FAIL\texample.com/stats\t0.003s
FAIL
`;

  it('counts passes and failures in verbose output', () => {
    expect(summarizeTestOutput(VERBOSE)).toEqual({ passed: 2, failed: 1, failingTests: ['TestMedianEven'], runner: 'go test' });
  });

  it('names the failing test in default output', () => {
    expect(summarizeTestOutput(QUIET)).toMatchObject({ failed: 1, failingTests: ['TestMedianEven'], runner: 'go test' });
  });

  it('recognises a passing package', () => {
    expect(summarizeTestOutput('ok  \texample.com/stats\t0.002s\n')).toEqual({ passed: 0, failed: 0, failingTests: [], runner: 'go test' });
  });
});

describe('cargo test', () => {
  const LIB = `pub fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).unwrap());
    s[s.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_length() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn median_of_even_length() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
`;
  const cargo = has('cargo', ['--version']);

  it.skipIf(!cargo)('summarises a real cargo test run', async () => {
    const dir = await project({ 'Cargo.toml': '[package]\nname = "stats"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n', 'src/lib.rs': LIB });
    const output = run('cargo', ['test', '--offline', '--quiet'], dir, { CARGO_TARGET_DIR: join(dir, 'target') });
    expect(output).toContain('test result: FAILED');
    expect(summarizeTestOutput(output)).toEqual({ passed: 1, failed: 1, failingTests: ['tests::median_of_even_length'], runner: 'cargo' });
  }, 60_000);

  // Recorded from cargo 1.95 with --no-fail-fast: unit tests, an integration test, doc tests.
  const RECORDED = `   Compiling stats v0.1.0 (/tmp/proj)
    Finished \`test\` profile [unoptimized + debuginfo] target(s) in 0.19s
     Running unittests src/lib.rs (target/debug/deps/stats-5d0e5f02f0c6e9e1)

running 2 tests
test tests::median_of_even_length ... FAILED
test tests::median_of_odd_length ... ok

failures:

---- tests::median_of_even_length stdout ----

thread 'tests::median_of_even_length' (300) panicked at src/lib.rs:18:9:
assertion \`left == right\` failed
  left: 3.0
 right: 2.5
note: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace


failures:
    tests::median_of_even_length

test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass \`--lib\`
     Running tests/it.rs (target/debug/deps/it-3e99d7730dba9817)

running 1 test
test median_of_one ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests stats

running 0 tests

test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: 1 target failed:
    \`--lib\`
`;

  it('adds up recorded results over test binaries', () => {
    expect(summarizeTestOutput(RECORDED)).toEqual({ passed: 2, failed: 1, failingTests: ['tests::median_of_even_length'], runner: 'cargo' });
  });
});

describe('unrecognised output', () => {
  it('gives no counts and no failing tests', () => {
    expect(summarizeTestOutput('make: *** [Makefile:3: test] Segmentation fault (core dumped)\n')).toEqual({ failingTests: [] });
    expect(extractFailures('all good\n')).toEqual([]);
  });
});
