import { type Finding, QUALITY_DIMENSIONS, type QualityDimension, type Scores } from '@patchbay/contracts';
import type { QualityConfig } from '@patchbay/config';

export interface TestOutcome {
  ran: boolean;
  exitCode: number | null;
  timedOut: boolean;
  passed?: number | undefined;
  failed?: number | undefined;
}

export interface Scored {
  scores: Required<Scores>;
  score: number;
  passed: boolean;
  /** Why it did not pass, in words; empty when it passed. */
  reasons: string[];
}

const round = (n: number) => Math.round(n * 1_000) / 1_000;

/**
 * Seven dimensions, each 0..1. Every finding on a line the diff touched costs its
 * dimension a penalty by severity; correctness is also the share of tests passing, and
 * testing whether tests ran and exercise the change. The overall score is the weighted
 * mean. An attempt passes when its tests pass, the score reaches the threshold, no
 * dimension is under its minimum, and no "must not drop" dimension gained a finding.
 */
export function scoreAttempt(tests: TestOutcome | null, charged: readonly Finding[], quality: QualityConfig['quality'], threshold: number): Scored {
  const penalty: Record<QualityDimension, number> = Object.fromEntries(QUALITY_DIMENSIONS.map((d) => [d, 0])) as Record<QualityDimension, number>;
  for (const f of charged) penalty[f.dimension] += quality.penalties[f.severity];

  // null: code assessed on its own (`patchbay analyze`), with no test run to judge.
  const counted = (tests?.passed ?? 0) + (tests?.failed ?? 0);
  const testShare = !tests?.ran ? 1 : tests.timedOut ? 0 : counted > 0 ? (tests.passed ?? 0) / counted : tests.exitCode === 0 ? 1 : 0;
  const testsExist = tests === null ? 1 : !tests.ran ? 0.5 : counted > 0 || tests.exitCode === 0 ? 1 : 0.5;

  const scores = {} as Required<Scores>;
  for (const d of QUALITY_DIMENSIONS) {
    const base = d === 'correctness' ? testShare : d === 'testing' ? testsExist : 1;
    scores[d] = round(Math.max(0, base * (1 - Math.min(1, penalty[d]))));
  }

  let total = 0;
  let weight = 0;
  for (const d of QUALITY_DIMENSIONS) {
    const w = quality.weights[d] ?? 0;
    total += scores[d] * w;
    weight += w;
  }
  const score = round(weight > 0 ? total / weight : 0);

  const reasons: string[] = [];
  if (tests?.ran && tests.timedOut) reasons.push('the tests timed out');
  else if (tests?.ran && tests.exitCode !== 0) reasons.push(counted > 0 ? `${tests.failed ?? 0} of ${counted} tests failed` : `the tests exited with code ${String(tests.exitCode)}`);
  if (score < threshold) reasons.push(`score ${score.toFixed(2)} is below the threshold ${threshold}`);
  for (const [d, min] of Object.entries(quality.minimums) as Array<[QualityDimension, number]>) {
    if (scores[d] < min) reasons.push(`${d} ${scores[d].toFixed(2)} is below its minimum ${min}`);
  }
  for (const d of quality.mustNotDrop) {
    const added = charged.filter((f) => f.dimension === d && f.severity !== 'info');
    if (added.length > 0) {
      const first = added[0] as Finding;
      reasons.push(`${d} must not drop, but the change adds ${added.length} finding${added.length > 1 ? 's' : ''} (first: ${first.rule} at ${first.file}:${first.line})`);
    }
  }
  return { scores, score, passed: reasons.length === 0, reasons };
}
