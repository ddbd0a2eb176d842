import { ensureTopology, followStream, isTerminal, openArtifacts, openStateStore, submitFeedback } from '@patchbay/bus';
import { type AnyCloudEvent, buckets, eventTypes, isSubjectToken, streams, subjects } from '@patchbay/contracts';
import { TaskState } from '@patchbay/router';
import { configFor, withBus } from '../connect.js';
import { EXIT, UsageError, out } from '../output.js';
import { describeEvent } from '../progress.js';
import { exitCodeFor, parseNumber } from './run.js';

export interface FeedbackFlags {
  author?: string;
  follow?: boolean;
  timeout?: string;
  json?: boolean;
}

/**
 * `patchbay feedback <task-id> "<text>"`: a person's review of a completed task. The task
 * re-opens for another attempt that builds on its delivered branch; a passing attempt lands
 * as a new commit on the same branch `patchbay/<task-id>`.
 */
export async function feedbackCommand(id: string, text: string, flags: FeedbackFlags): Promise<number> {
  if (!isSubjectToken(id)) throw new UsageError(`"${id}" is not a task id`);
  if (text.trim() === '') throw new UsageError('the feedback text is empty: say what should change');
  if (text.length > 4_000) throw new UsageError('the feedback text is longer than 4000 characters');
  const timeoutMs = (parseNumber('--timeout', flags.timeout, 1, 7 * 24 * 3600, false) ?? 1_800) * 1_000;
  return withBus(configFor(), async (bus) => {
    await ensureTopology(bus);
    const stored = await (await openStateStore(bus, buckets.tasks, TaskState)).get(id);
    if (stored === null) {
      out(`no task ${id}`);
      return EXIT.failed;
    }
    const task = stored.value;
    if (task.status !== 'completed') {
      out(`task ${id} is ${task.status}: only a completed task can be re-opened by feedback`);
      return EXIT.failed;
    }
    const before = task.seq;
    await submitFeedback(bus, { taskId: id, text: text.trim(), ...(flags.author ? { author: flags.author } : {}) }, { source: 'patchbay/cli' });
    out(`feedback sent: task ${id} re-opens for attempt ${task.attempt + 1} on ${task.branch ?? `patchbay/${id}`} (from ${task.commit?.slice(0, 12) ?? '?'})`);
    if (!flags.follow) return EXIT.ok;

    // Only what happens after the review: the task's earlier end is in the same stream.
    let terminal: AnyCloudEvent | undefined;
    const follow = await followStream(bus, streams.events.name, subjects.taskEvents(id), ({ event }) => {
      const seq = (event.data as { seq?: number }).seq;
      if (seq !== undefined && seq <= before) return false;
      if (seq === undefined && terminal === undefined && event.type === eventTypes.taskProgress) return false;
      const line = describeEvent(event);
      if (line && !flags.json) out(line);
      if (isTerminal(event) && seq !== undefined) {
        terminal = event;
        return true;
      }
      return false;
    });
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([follow.done.then(() => 'done' as const), timer])) === 'timeout') {
      await follow.stop();
      out(`timed out; the task goes on: patchbay events ${id}`);
      return EXIT.failed;
    }
    if (flags.json) out(JSON.stringify(terminal, null, 2));
    else if (terminal && (terminal.type === eventTypes.taskCompleted || terminal.type === eventTypes.taskFailed)) {
      const report = await (await openArtifacts(bus)).getText(terminal.data.reportRef ?? '').catch(() => undefined);
      if (report) out(`\n${report.trimEnd()}`);
    }
    return exitCodeFor(terminal);
  });
}
