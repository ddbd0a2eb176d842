import type { Artifacts, StateStore } from '@patchbay/bus';
import { type CloudEvent, type EventType, eventTypes, isSubjectToken } from '@patchbay/contracts';
import { ConflictError, InputError } from '@patchbay/errors';
import type { HandlerContext, Handlers } from '@patchbay/runtime';
import {
  type Defaults,
  type NewTask,
  type ResultInput,
  advance,
  cancelTask,
  startTask,
  taskFromCiFailure,
  taskFromSubmission,
} from '../domain/machine.js';
import { type RetryStat, retryStats } from '../domain/retry-stats.js';
import type { TaskState } from '../domain/task-state.js';
import type { RouterMetrics } from '../metrics.js';
import { flushOutbox } from './outbox.js';

export interface RouterDeps {
  tasks: StateStore<TaskState>;
  artifacts: Artifacts;
  defaults: Defaults;
  metrics?: RouterMetrics;
  now?: () => Date;
}

export function createRouterHandlers({ tasks, artifacts, defaults, metrics, now = () => new Date() }: RouterDeps): Handlers {
  /** Intake is idempotent: the CloudEvent id is the task id, and the first submission wins. */
  const intake = async (event: CloudEvent, ctx: HandlerContext, build: (id: string) => NewTask) => {
    if (!isSubjectToken(event.id)) {
      throw new InputError(`CloudEvent id "${event.id}" cannot be a task id: use 1-128 letters, digits, "-" or "_"`);
    }
    const state = startTask(build(event.id), defaults, now());
    const created = await tasks.create(event.id, state);
    if (created) {
      ctx.log.info({ route: state.route.agent, confidence: state.route.confidence, mode: state.mode }, 'task accepted');
    } else {
      ctx.log.info('task id already known: duplicate submission ignored');
    }
    // Also after a duplicate: an earlier delivery may have stored the task and died before publishing.
    await flushOutbox(tasks, artifacts, event.id, ctx);
  };

  const result = async (event: CloudEvent, ctx: HandlerContext) => {
    const input = { type: event.type, data: event.data } as ResultInput;
    const taskId = input.data.taskId;
    const known = await tasks.get(taskId);
    if (known === null) throw new InputError(`result for unknown task ${taskId}`);
    const { result: stats } = await tasks.update(taskId, (state) => {
      const next = advance(state, input, now());
      return { next, result: next === null ? null : retryStats(state, next) };
    });
    if (stats === null) ctx.log.debug({ attempt: input.data.attempt }, 'stale or duplicate result ignored');
    else record(stats, ctx);
    await flushOutbox(tasks, artifacts, taskId, ctx);
  };

  const record = (stats: readonly RetryStat[], ctx: HandlerContext) => {
    metrics?.record(stats);
    for (const s of stats) {
      if (s.kind === 'strategy_change') ctx.log.info('same failure twice in a row: asking for whole files');
      if (s.kind === 'early_stop') ctx.log.info('stopped early: the same failure after the change of strategy');
    }
  };

  /** A cancel ends the task (task.failed, CANCELLED); codegen instances abort the model call themselves. */
  const cancel: Handlers[typeof eventTypes.taskCancelRequested] = async (event, ctx) => {
    const { taskId } = event.data;
    const known = await tasks.get(taskId);
    // A cancel can overtake its task's submission: try again shortly, then dead-letter it.
    if (known === null) throw new ConflictError(`cancel for task ${taskId}, which is not known (yet)`);
    const { result: stats } = await tasks.update(taskId, (state) => {
      const next = cancelTask(state, event.data, now());
      return { next, result: next === null ? null : retryStats(state, next) };
    });
    if (stats === null) ctx.log.info({ status: known.value.status }, 'cancel for a task that has already ended: nothing to do');
    else {
      ctx.log.info({ reason: event.data.reason, by: event.data.requestedBy }, 'task cancelled');
      record(stats, ctx);
    }
    await flushOutbox(tasks, artifacts, taskId, ctx);
  };

  const resultTypes: EventType[] = [
    eventTypes.contextCompleted,
    eventTypes.codegenCompleted,
    eventTypes.assessmentCompleted,
    eventTypes.feedbackCompleted,
    eventTypes.debugCompleted,
    eventTypes.deliveryCompleted,
    eventTypes.stageFailed,
  ];
  return {
    [eventTypes.taskSubmitted]: (event, ctx) =>
      intake(event, ctx, (id) => taskFromSubmission(id, event.data, ctx.traceparent)),
    [eventTypes.ciFailure]: (event, ctx) => intake(event, ctx, (id) => taskFromCiFailure(id, event.data, ctx.traceparent)),
    [eventTypes.taskCancelRequested]: cancel,
    ...Object.fromEntries(resultTypes.map((type) => [type, result])),
  };
}
