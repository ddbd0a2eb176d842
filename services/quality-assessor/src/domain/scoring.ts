import type { Scores } from '@patchbay/contracts';
import type { TestSummary } from '@patchbay/test-output';

export interface TestOutcome {
  ran: boolean;
  exitCode: number | null;
  timedOut: boolean;
  summary: TestSummary;
}

/** Weights of the dimensions the skeleton measures; the full seven come with the analysers. */
const WEIGHTS: Partial<Record<keyof Scores, number>> = { correctness: 0.7, testing: 0.3 };

/**
 * Correctness is the share of tests passing (exit status when the runner gives no
 * counts); testing is whether the repository has tests that ran. The attempt passes only
 * when the test command succeeds and the weighted score reaches the threshold.
 */
export function scoreAttempt(outcome: TestOutcome, threshold: number): { scores: Scores; score: number; passed: boolean } {
  const { summary } = outcome;
  const counted = (summary.passed ?? 0) + (summary.failed ?? 0);
  const correctness = !outcome.ran
    ? 1
    : outcome.timedOut
      ? 0
      : counted > 0
        ? (summary.passed ?? 0) / counted
        : outcome.exitCode === 0
          ? 1
          : 0;
  const testing = !outcome.ran ? 0 : counted > 0 || outcome.exitCode === 0 ? 1 : 0.5;
  const scores: Scores = { correctness, testing };
  let total = 0;
  let weight = 0;
  for (const [dim, w] of Object.entries(WEIGHTS)) {
    const value = scores[dim as keyof Scores];
    if (value === undefined || w === undefined) continue;
    total += value * w;
    weight += w;
  }
  const score = Math.round((weight ? total / weight : 0) * 1_000) / 1_000;
  const testsOk = !outcome.ran || (outcome.exitCode === 0 && !outcome.timedOut);
  return { scores, score, passed: testsOk && score >= threshold };
}
