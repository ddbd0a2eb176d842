import { z } from 'zod';

/**
 * What the feedback processor learned about one repository: failures and rules that
 * recur across tasks, and what made them pass. Stored per repository in the lessons
 * bucket and fed into later tasks' prompts.
 */
export const Lesson = z.object({
  /** What recurs: `rule:<tool>/<rule>`, `test:<name>`, `error:<code>` or `review:<hash>`. */
  key: z.string().min(1).max(300),
  kind: z.enum(['rule', 'test', 'error', 'review']),
  /** The advice, short and concrete, as it goes into a prompt. */
  text: z.string().min(1).max(400),
  /** Where it was last seen, e.g. `src/db.js:12`. */
  where: z.array(z.string().max(300)).max(5),
  /** Failed attempts it was seen in, over all tasks. */
  occurrences: z.number().int().nonnegative(),
  /** Tasks it was seen in (the last few). */
  tasks: z.array(z.string().max(128)).max(10),
  /** Times an attempt given this advice then passed. */
  fixes: z.number().int().nonnegative(),
  /** Times it was shown in a prompt, and of those, how often it did not recur. */
  applied: z.number().int().nonnegative(),
  helped: z.number().int().nonnegative(),
  /** Ranking weight; it decays with time and when a lesson is shown but the failure recurs anyway. */
  weight: z.number().nonnegative(),
  updatedAt: z.iso.datetime(),
});
export type Lesson = z.infer<typeof Lesson>;

export const LearningStats = z.object({
  /** Tasks that ended, and of them how many passed on their first attempt, without and with lessons in the prompt. */
  tasksWithout: z.number().int().nonnegative(),
  firstPassWithout: z.number().int().nonnegative(),
  tasksWith: z.number().int().nonnegative(),
  firstPassWith: z.number().int().nonnegative(),
  lessonsApplied: z.number().int().nonnegative(),
});
export type LearningStats = z.infer<typeof LearningStats>;

export const RepoLessons = z.object({
  repo: z.string(),
  lessons: z.array(Lesson).max(100),
  stats: LearningStats,
  /** Task ids already counted, so a redelivered outcome is not learned twice. */
  seen: z.array(z.string().max(200)).max(200),
  updatedAt: z.iso.datetime(),
});
export type RepoLessons = z.infer<typeof RepoLessons>;
