import type { Artifacts, StateStore } from '@patchbay/bus';
import type { EventType } from '@patchbay/contracts';
import type { HandlerContext } from '@patchbay/runtime';
import { clearOutbox, reportRefFor } from '../domain/machine.js';
import { renderReport } from '../domain/report.js';
import type { TaskState } from '../domain/task-state.js';

/**
 * Publishes what the state machine decided, then clears it from the stored state. The
 * messages were saved with the state, so a crash in between loses nothing: the next
 * delivery publishes them again, and their ids make the repeat a no-op on the server.
 */
export async function flushOutbox(
  tasks: StateStore<TaskState>,
  artifacts: Artifacts,
  taskId: string,
  ctx: HandlerContext,
): Promise<void> {
  const current = await tasks.get(taskId);
  if (current === null || current.value.outbox.length === 0) return;
  const published: string[] = [];
  for (const out of current.value.outbox) {
    if (out.withReport) await artifacts.put(reportRefFor(taskId), renderReport(current.value));
    await ctx.emit(out.subject, out.type as EventType, out.data as never, { msgId: out.msgId, id: out.msgId, subject: taskId });
    published.push(out.msgId);
  }
  await tasks.update(taskId, (state) => ({ next: clearOutbox(state, published), result: null }));
}
