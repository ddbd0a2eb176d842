import { createHash } from 'node:crypto';
import type { Assessment, ErrorInfo, FeedbackItem } from '@patchbay/contracts';
import { type FailureDetail, extractFailures } from '@patchbay/test-output';

export interface FeedbackInput {
  attempt: number;
  assessment?: Assessment | undefined;
  error?: ErrorInfo | undefined;
  /** Feedback given to earlier attempts, oldest first, with what failed then. */
  previous: ReadonlyArray<{ attempt: number; signature: string }>;
}

export interface Feedback {
  text: string;
  items: FeedbackItem[];
  repeated: boolean;
  signature: string;
}

const MAX_CHARS = 3_000;

/** A stable fingerprint of what failed, to notice the same failure twice. */
export function failureSignature(assessment: Assessment | undefined, error: ErrorInfo | undefined): string {
  if (error) return `error:${error.code}`;
  if (!assessment) return 'unknown';
  if (assessment.failingTests.length) {
    // Messages carry at most 2000 characters of signature: keep a readable start and a hash of the rest.
    const names = [...assessment.failingTests].sort().join('|');
    if (names.length <= 1_900) return `tests:${names}`;
    return `tests:${names.slice(0, 1_900)}#${createHash('sha256').update(names).digest('hex').slice(0, 16)}`;
  }
  return `exit:${String(assessment.tests?.exitCode)}`;
}

function describeFailure(f: FailureDetail): string {
  const parts = [f.test ? `"${f.test}"` : 'a test'];
  if (f.expected !== undefined && f.actual !== undefined) parts.push(`expected ${f.expected} but got ${f.actual}`);
  else if (f.message) parts.push(f.message);
  if (f.location) parts.push(`(at ${f.location.file}:${f.location.line})`);
  return parts.join(': ').replace(': (at', ' (at');
}

/**
 * Turns a failed attempt into concrete, located, short feedback for the next one:
 * which tests failed, with expected and actual values, and what to do about it. Never
 * a dump of raw tool output.
 */
export function buildFeedback(input: FeedbackInput): Feedback {
  const { assessment, error } = input;
  const signature = failureSignature(assessment, error);
  const earlier = input.previous.filter((p) => p.signature === signature).map((p) => p.attempt);
  const repeated = earlier.length > 0;
  const items: FeedbackItem[] = [];
  const lines: string[] = [];

  if (error) {
    lines.push(`Attempt ${input.attempt}'s answer could not be used (${error.code}).`);
    lines.push(error.message);
    lines.push('Reply only with SEARCH/REPLACE blocks whose SEARCH lines are copied exactly from the files shown.');
    items.push({ kind: 'VALIDATION', message: error.message });
  } else if (assessment) {
    const t = assessment.tests;
    const counts =
      t?.passed !== undefined || t?.failed !== undefined ? `${t?.passed ?? 0} tests passed, ${t?.failed ?? 0} failed` : t?.timedOut ? 'the tests timed out' : `the tests exited with code ${String(t?.exitCode)}`;
    lines.push(`Attempt ${input.attempt} did not pass: ${counts}; score ${assessment.score.toFixed(2)} (needs ${assessment.threshold}).`);
    const failures = extractFailures(assessment.outputExcerpt);
    const named = new Set(failures.map((f) => f.test));
    const unnamed: FailureDetail[] = assessment.failingTests.filter((t) => !named.has(t)).map((test) => ({ test, message: '' }));
    const all = [...failures, ...unnamed].slice(0, 8);
    if (all.length) {
      lines.push('', 'Failing:');
      for (const f of all) {
        const text = describeFailure(f);
        lines.push(`- ${text}`);
        items.push({ kind: 'ERROR', message: text, ...(f.location ? { location: `${f.location.file}:${f.location.line}` } : {}) });
      }
    } else if (t?.timedOut) {
      lines.push('', 'The test run was killed at its time limit: look for an infinite loop or a wait that never ends.');
      items.push({ kind: 'PERFORMANCE', message: 'test run timed out' });
    } else {
      const tail = assessment.outputExcerpt.replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n').slice(-12).join('\n');
      lines.push('', 'The end of the test output:', tail);
      items.push({ kind: 'ERROR', message: tail.slice(0, 500) });
    }
    lines.push('', 'Fix the code under test so these pass. Do not change, skip or delete the tests.');
  }
  if (repeated) {
    lines.unshift(
      `This is the same failure as attempt ${earlier.join(' and ')}: that approach did not work. Find the root cause and change strategy.`,
      '',
    );
  }
  let text = lines.join('\n');
  if (text.length > MAX_CHARS) text = `${text.slice(0, MAX_CHARS - 24)}\n[feedback shortened]`;
  return { text, items, repeated, signature };
}
