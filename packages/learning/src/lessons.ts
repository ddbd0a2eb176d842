import { createHash } from 'node:crypto';
import type { Lesson, LearningStats, RepoLessons } from '@patchbay/contracts';

/**
 * What a repository teaches: failures and rules that recur across tasks, what made them
 * pass, and reviewers' comments. Pure functions over the stored record; the store is in
 * store.ts. Lessons gain weight when they recur and when advice about them was followed by
 * a passing attempt; they lose it with time (a half-life) and when they were in a prompt
 * and the same failure happened anyway.
 */

export interface LearningSettings {
  maxLessons: number;
  /** Size of the lessons section of a prompt, in tokens (about 4 characters each). */
  tokenBudget: number;
  halfLifeDays: number;
  minWeight: number;
  keep: number;
}

export const DEFAULT_LEARNING: LearningSettings = { maxLessons: 5, tokenBudget: 300, halfLifeDays: 30, minWeight: 0.2, keep: 50 };

/** One thing that went wrong in an attempt, as the feedback processor saw it. */
export interface Observation {
  key: string;
  kind: Lesson['kind'];
  /** The advice for next time, concrete and short. */
  text: string;
  where?: string | undefined;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const EMPTY_STATS: LearningStats = { tasksWithout: 0, firstPassWithout: 0, tasksWith: 0, firstPassWith: 0, lessonsApplied: 0 };

export function emptyLessons(repo: string, now: Date): RepoLessons {
  return { repo, lessons: [], stats: { ...EMPTY_STATS }, seen: [], updatedAt: now.toISOString() };
}

/** The weight a lesson has today: halved every half-life since it was last updated. */
export function currentWeight(lesson: Lesson, now: Date, halfLifeDays: number): number {
  const age = Math.max(0, now.getTime() - Date.parse(lesson.updatedAt)) / DAY_MS;
  return lesson.weight * 0.5 ** (age / halfLifeDays);
}

function prune(record: RepoLessons, now: Date, settings: LearningSettings): RepoLessons {
  const lessons = record.lessons
    .map((l) => ({ l, w: currentWeight(l, now, settings.halfLifeDays) }))
    .filter((x) => x.w >= settings.minWeight)
    .sort((a, b) => b.w - a.w)
    .slice(0, settings.keep)
    .map((x) => x.l);
  return { ...record, lessons, seen: record.seen.slice(-200), updatedAt: now.toISOString() };
}

/** Re-bases a lesson's weight on today, so later decay counts from now. */
function touch(lesson: Lesson, now: Date, settings: LearningSettings, delta: number, factor = 1): Lesson {
  const weight = Math.max(0, currentWeight(lesson, now, settings.halfLifeDays) * factor + delta);
  return { ...lesson, weight: Math.round(weight * 1_000) / 1_000, updatedAt: now.toISOString() };
}

/**
 * A failed attempt: each thing that went wrong recurs once more. Idempotent per
 * (task, attempt), so a redelivered request is not counted twice.
 */
export function observeFailure(
  record: RepoLessons,
  input: { taskId: string; attempt: number; observations: readonly Observation[] },
  now: Date,
  settings: LearningSettings = DEFAULT_LEARNING,
): RepoLessons | null {
  const marker = `fail:${input.taskId}:${input.attempt}`;
  if (record.seen.includes(marker) || input.observations.length === 0) return null;
  const lessons = [...record.lessons];
  for (const o of input.observations.slice(0, 20)) {
    const i = lessons.findIndex((l) => l.key === o.key);
    if (i < 0) {
      lessons.push({
        key: o.key.slice(0, 300),
        kind: o.kind,
        text: o.text.slice(0, 400),
        where: o.where ? [o.where.slice(0, 300)] : [],
        occurrences: 1,
        tasks: [input.taskId],
        fixes: 0,
        applied: 0,
        helped: 0,
        weight: 1,
        updatedAt: now.toISOString(),
      });
      continue;
    }
    const l = lessons[i] as Lesson;
    const where = o.where ? [o.where.slice(0, 300), ...l.where.filter((w) => w !== o.where)].slice(0, 5) : l.where;
    const tasks = l.tasks.includes(input.taskId) ? l.tasks : [...l.tasks, input.taskId].slice(-10);
    // A failure seen again in another task is what makes a lesson worth keeping.
    const recurred = !l.tasks.includes(input.taskId);
    lessons[i] = { ...touch(l, now, settings, recurred ? 1 : 0.25), text: o.text.slice(0, 400), where, tasks, occurrences: l.occurrences + 1 };
  }
  return prune({ ...record, lessons, seen: [...record.seen, marker] }, now, settings);
}

export interface Outcome {
  taskId: string;
  completed: boolean;
  firstAttemptPassed: boolean;
  /** Lessons that were in this task's prompts. */
  applied: readonly string[];
  /** Failure keys of each attempt, oldest first, and whether it passed. */
  attempts: ReadonlyArray<{ attempt: number; passed: boolean; keys: readonly string[] }>;
}

/**
 * A task ended: advice given after a failed attempt that was followed by a passing one
 * "fixed" those failures; lessons shown in the prompt helped when their failure did not
 * happen again, and decay when it did. The first-attempt pass rate is counted with and
 * without lessons, for the learning metrics.
 */
export function observeOutcome(record: RepoLessons, outcome: Outcome, now: Date, settings: LearningSettings = DEFAULT_LEARNING): RepoLessons | null {
  const marker = `end:${outcome.taskId}:${outcome.attempts.length}`;
  if (record.seen.includes(marker)) return null;
  const lessons = [...record.lessons];
  const passedAt = outcome.attempts.findIndex((a) => a.passed);
  const fixedKeys = new Set(passedAt > 0 ? outcome.attempts.slice(0, passedAt).flatMap((a) => a.keys) : []);
  const seenKeys = new Set(outcome.attempts.flatMap((a) => a.keys));
  for (let i = 0; i < lessons.length; i++) {
    const l = lessons[i] as Lesson;
    let next = l;
    if (fixedKeys.has(l.key)) next = { ...touch(next, now, settings, 1), fixes: next.fixes + 1 };
    if (outcome.applied.includes(l.key)) {
      const recurred = seenKeys.has(l.key);
      next = recurred
        ? { ...touch(next, now, settings, 0, 0.5), applied: next.applied + 1 }
        : { ...touch(next, now, settings, 0.5), applied: next.applied + 1, helped: next.helped + 1 };
    }
    lessons[i] = next;
  }
  const withLessons = outcome.applied.length > 0;
  const s = record.stats;
  const stats: LearningStats = {
    tasksWithout: s.tasksWithout + (withLessons ? 0 : 1),
    firstPassWithout: s.firstPassWithout + (!withLessons && outcome.firstAttemptPassed ? 1 : 0),
    tasksWith: s.tasksWith + (withLessons ? 1 : 0),
    firstPassWith: s.firstPassWith + (withLessons && outcome.firstAttemptPassed ? 1 : 0),
    lessonsApplied: s.lessonsApplied + outcome.applied.length,
  };
  return prune({ ...record, lessons, stats, seen: [...record.seen, marker] }, now, settings);
}

/** The prompt section: the heaviest lessons that fit the budget, one line each. */
export function renderLessons(record: RepoLessons | null, now: Date, settings: LearningSettings = DEFAULT_LEARNING): { text: string; keys: string[] } | null {
  if (!record || settings.maxLessons === 0) return null;
  const ranked = record.lessons
    .map((l) => ({ l, w: currentWeight(l, now, settings.halfLifeDays) }))
    .filter((x) => x.w >= settings.minWeight)
    .sort((a, b) => b.w - a.w || b.l.occurrences - a.l.occurrences);
  const budget = settings.tokenBudget * 4;
  const lines: string[] = [];
  const keys: string[] = [];
  let used = 0;
  for (const { l } of ranked) {
    if (lines.length >= settings.maxLessons) break;
    const stats = [l.tasks.length > 1 ? `${l.tasks.length} tasks` : '', l.fixes > 0 ? `fixed ${l.fixes}×` : ''].filter(Boolean).join(', ');
    const line = `- ${l.text}${l.where.length ? ` (seen at ${l.where.slice(0, 2).join(', ')}${stats ? `; ${stats}` : ''})` : stats ? ` (${stats})` : ''}`;
    if (used + line.length + 1 > budget) continue;
    lines.push(line);
    keys.push(l.key);
    used += line.length + 1;
  }
  return lines.length ? { text: lines.join('\n'), keys } : null;
}

/** A stable key for a reviewer's comment. */
export function reviewKey(text: string): string {
  return `review:${createHash('sha256').update(text.trim().toLowerCase()).digest('hex').slice(0, 16)}`;
}
