import { eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { buildFeedback } from '../domain/feedback.js';

export function createFeedbackHandler(): Handler<typeof eventTypes.feedbackRequested> {
  return stageHandler('feedback', async (event, ctx) => {
    const req = event.data;
    const feedback = buildFeedback({ attempt: req.attempt, assessment: req.assessment, error: req.error, previous: req.previous });
    ctx.log.info({ items: feedback.items.length, repeated: feedback.repeated }, 'feedback ready');
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
