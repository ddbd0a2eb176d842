import type { Counter } from 'prom-client';
import type { eventTypes } from '@patchbay/contracts';
import { type LessonStore, observeOutcome } from '@patchbay/learning';
import type { Handler } from '@patchbay/runtime';
import { keysOfSignature } from '../domain/observations.js';
import type { FeedbackConfig } from '../service.js';

export interface LearningMetrics {
  lessonsApplied: Counter<'service'>;
  tasks: Counter<'service' | 'lessons' | 'first_attempt'>;
}

export interface LearningDeps {
  lessons: LessonStore;
  settings: FeedbackConfig;
  metrics: LearningMetrics;
  now?: () => Date;
}

/**
 * A task ended: what fixed its failures, whether the lessons in its prompt helped, and the
 * first-attempt pass rate with and without lessons. Nothing is published; it only learns.
 */
export function createLearningHandler(deps: LearningDeps): Handler<typeof eventTypes.learningRequested> {
  return async (event, ctx) => {
    const req = event.data;
    if (!deps.settings.learning.enabled) return;
    const now = deps.now?.() ?? new Date();
    const attempts = req.attempts.map((a) => ({ attempt: a.attempt, passed: a.passed, keys: keysOfSignature(a.signature) }));
    const updated = await deps.lessons.update(
      req.repo.url,
      (current) =>
        observeOutcome(current, { taskId: req.taskId, completed: req.outcome === 'completed', firstAttemptPassed: req.firstAttemptPassed, applied: req.lessonKeys, attempts }, now, deps.settings.learning),
      now,
    );
    if (updated) {
      // Counted once per task: a redelivered outcome changes nothing above and is not counted here.
      deps.metrics.lessonsApplied.inc(req.lessonKeys.length);
      deps.metrics.tasks.inc({ lessons: req.lessonKeys.length > 0 ? 'with' : 'without', first_attempt: req.firstAttemptPassed ? 'passed' : 'failed' });
    }
    ctx.log.info({ outcome: req.outcome, applied: req.lessonKeys.length, lessons: updated?.lessons.length }, updated ? 'learned from the task' : 'outcome already learned');
  };
}
