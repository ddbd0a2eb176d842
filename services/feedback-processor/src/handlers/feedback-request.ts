import type { FeedbackConfig } from '../service.js';
import { eventTypes, subjects } from '@patchbay/contracts';
import { type LessonStore, observeFailure, reviewKey } from '@patchbay/learning';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { buildFeedback } from '../domain/feedback.js';
import { observationsOf } from '../domain/observations.js';

export interface FeedbackDeps {
  lessons: LessonStore | null;
  settings: FeedbackConfig;
  now?: () => Date;
}

/** Builds the next attempt's feedback, and counts what went wrong in the repository's lessons. */
export function createFeedbackHandler(deps: FeedbackDeps): Handler<typeof eventTypes.feedbackRequested> {
  return stageHandler('feedback', async (event, ctx) => {
    const req = event.data;
    const feedback = buildFeedback({
      attempt: req.attempt,
      assessment: req.assessment,
      error: req.error,
      previous: req.previous,
      review: req.review,
      tokenBudget: deps.settings.feedback.tokenBudget,
      maxItems: deps.settings.feedback.maxItems,
    });
    if (deps.lessons && req.repo && deps.settings.learning.enabled) {
      const observations = req.review
        ? [{ key: reviewKey(req.review.text), kind: 'review' as const, text: `A reviewer asked: "${req.review.text.trim().replace(/\s+/g, ' ').slice(0, 300)}"` }]
        : observationsOf(req.assessment, req.error);
      const now = deps.now?.() ?? new Date();
      await deps.lessons.update(req.repo.url, (current) => observeFailure(current, { taskId: req.taskId, attempt: req.attempt, observations }, now, deps.settings.learning), now);
    }
    ctx.log.info({ items: feedback.items.length, repeated: feedback.repeated, chars: feedback.text.length }, 'feedback ready');
    await ctx.emit(
      subjects.workResult('feedback'),
      eventTypes.feedbackCompleted,
      {
        taskId: req.taskId,
        attempt: req.attempt,
        feedback: feedback.text,
        items: feedback.items,
        repeated: feedback.repeated,
        signature: feedback.signature,
      },
      { msgId: `${req.taskId}.feedback.${req.attempt}.result` },
    );
  });
}
