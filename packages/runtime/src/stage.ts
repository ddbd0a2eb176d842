import { type EventType, type Stage, eventTypes, subjects } from '@patchbay/contracts';
import { isTransient, isWait, summarizeError } from '@patchbay/errors';
import type { Handler } from './service.js';

/**
 * Wraps a stage handler so a failure the stage cannot recover from becomes a
 * `stage.failed` result for the router (the task fails, or tries again with feedback)
 * instead of a message stuck in redelivery. Transient failures (network, rate limits,
 * timeouts) are redelivered with backoff while deliveries remain.
 */
export function stageHandler<T extends EventType>(stage: Stage, handler: Handler<T>): Handler<T> {
  return async (event, ctx) => {
    try {
      await handler(event, ctx);
    } catch (err) {
      const info = summarizeError(err);
      // A wait (an open breaker) is the dispatcher's to schedule, whatever the deliveries so far.
      if (ctx.signal.aborted || isWait(err) || (isTransient(err) && ctx.deliveryCount < ctx.maxDeliver)) throw err;
      const { taskId, attempt } = event.data as { taskId: string; attempt: number };
      ctx.log.warn({ err, code: info.code, stage }, 'stage failed');
      await ctx.emit(
        subjects.workResult(stage),
        eventTypes.stageFailed,
        { taskId, attempt, stage, error: info },
        { msgId: `${taskId}.${stage}.${attempt}.failed` },
      );
    }
  };
}
