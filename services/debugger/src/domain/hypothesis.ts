import type { Assessment, DebugEntry } from '@patchbay/contracts';
import { type FailureDetail, extractFailures } from '@patchbay/test-output';

export interface HypothesisInput {
  attempt: number;
  assessment: Assessment;
  /** Files the attempt changed: the seed's second source of hypotheses. */
  changedFiles: readonly string[];
  /** The source line the failure points at, when it could be read. */
  failingLine?: string | undefined;
  now: Date;
}

/** Names called on the failing line, e.g. `median` in `assert.equal(median([4, 1]), 2.5)`. */
export function calledNames(line: string): string[] {
  const ignore = new Set(['assert', 'equal', 'strictEqual', 'deepEqual', 'deepStrictEqual', 'expect', 'toBe', 'toEqual', 'throws', 'ok', 'if', 'return']);
  return [...line.matchAll(/([A-Za-z_$][\w$]*)\s*\(/g)]
    // Assertions wrap the call under test: self.assertEqual(...), assert.notEqual(...), Assert.AreEqual(...).
    .filter((m) => !/\b(?:assert|require)\s*\.\s*$/i.test(line.slice(0, m.index)))
    .map((m) => m[1] ?? '')
    .filter((n) => n && !ignore.has(n) && !/^assert/i.test(n) && !ignore.has(n.split('.').pop() ?? ''));
}

function firstFailure(assessment: Assessment): FailureDetail | undefined {
  const failures = extractFailures(assessment.outputExcerpt);
  return failures.find((f) => f.location) ?? failures[0] ?? (assessment.failingTests[0] ? { test: assessment.failingTests[0], message: '' } : undefined);
}

/**
 * The first step of the hypothesis-driven debug workflow: isolate the failure, then
 * form a testable hypothesis from (in the seed's priority order) the error message and
 * stack trace, then the recent changes, and plan the experiment that would test it.
 */
export function formHypothesis(input: HypothesisInput): DebugEntry | null {
  const failure = firstFailure(input.assessment);
  if (!failure) return null;
  const test = failure.test ? `"${failure.test}"` : 'the failing test';
  const suspects = input.failingLine ? calledNames(input.failingLine) : [];
  const target = suspects[0];
  const changed = input.changedFiles.filter((f) => !/(^|\/)(test|tests|__tests__)\/|\.test\.|_test\.|(^|\/)test_/.test(f));
  const where = changed[0] ?? failure.location?.file ?? 'the code under test';

  let hypothesis: string;
  if (failure.expected !== undefined && failure.actual !== undefined) {
    hypothesis = `${test} fails because ${target ? `${target}()` : 'the code under test'}${changed.length ? ` in ${where}` : ''} returns ${failure.actual} where ${failure.expected} is expected`;
    if (input.failingLine) hypothesis += ` (for \`${input.failingLine.trim()}\`)`;
  } else if (failure.message) {
    hypothesis = `${test} fails with "${failure.message.slice(0, 200)}"${target ? `, raised through ${target}()` : ''} in ${where}`;
  } else {
    hypothesis = `${test} fails; the most recent change to ${where} is the likeliest cause`;
  }
  const action = target
    ? `Experiment: run ${test} alone with ${target}() instrumented to log its arguments and result`
    : `Experiment: run ${test} alone and log the values it asserts on`;
  const observation = [
    failure.message,
    failure.location ? `failing at ${failure.location.file}:${failure.location.line}` : '',
    changed.length ? `attempt ${input.attempt} changed ${changed.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return {
    timestamp: input.now.toISOString(),
    iteration: input.attempt,
    issue_id: `BUG-${String(input.attempt).padStart(3, '0')}`,
    file: failure.location?.file ?? where,
    hypothesis: hypothesis.slice(0, 1_000),
    action,
    observation: observation.slice(0, 1_000) || 'the test output names no cause',
    outcome: 'inconclusive',
  };
}

/** Paths a unified diff touches. */
export function changedFilesOf(patch: string): string[] {
  return [...new Set([...patch.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)].map((m) => m[2] ?? m[1] ?? ''))];
}
