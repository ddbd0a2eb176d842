import { cancelTask, ensureTopology, followTask, isTerminal, openStateStore } from '@patchbay/bus';
import { type AnyCloudEvent, buckets, isSubjectToken } from '@patchbay/contracts';
import { TERMINAL_STATUSES, TaskState } from '@patchbay/router';
import { configFor, withBus } from '../connect.js';
import { EXIT, UsageError, out } from '../output.js';
import { describeEvent } from '../progress.js';
import { parseNumber } from './run.js';

export interface CancelFlags {
  reason?: string;
  by?: string;
  timeout?: string;
  wait?: boolean;
}

/**
 * `patchbay cancel <id>`: asks patchbay to stop a task. The router ends it with
 * task.failed (error CANCELLED); a model call in flight for it is aborted.
 */
export async function cancelCommand(id: string, flags: CancelFlags): Promise<number> {
  if (!isSubjectToken(id)) throw new UsageError(`"${id}" is not a task id`);
  if (flags.reason !== undefined && flags.reason.length > 500) throw new UsageError('--reason is longer than 500 characters');
  const timeoutSeconds = parseNumber('--timeout', flags.timeout, 1, 3_600, false) ?? 30;
  return withBus(configFor(), async (bus) => {
    await ensureTopology(bus);
    const state = await (await openStateStore(bus, buckets.tasks, TaskState)).get(id);
    if (state === null) {
      out(`no task ${id}`);
      return EXIT.failed;
    }
    if (TERMINAL_STATUSES.includes(state.value.status)) {
      out(`task ${id} has already ended (${state.value.status}); nothing to cancel`);
      return EXIT.ok;
    }
    await cancelTask(bus, id, {
      source: 'patchbay/cli',
      ...(flags.reason ? { reason: flags.reason } : {}),
      ...(flags.by ? { requestedBy: flags.by } : {}),
    });
    out(`cancel requested for task ${id}`);
    if (flags.wait === false) return EXIT.ok;
    let terminal: AnyCloudEvent | undefined;
    const follow = await followTask(bus, id, (event) => {
      if (isTerminal(event)) terminal = event;
    });
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutSeconds * 1_000).unref());
    const outcome = await Promise.race([follow.done.then(() => 'done' as const), timer]);
    if (outcome === 'timeout') {
      await follow.stop();
      out(`the task has not ended after ${timeoutSeconds} s: is the router running? (patchbay events ${id})`);
      return EXIT.failed;
    }
    const line = terminal ? describeEvent(terminal) : null;
    if (line) out(line);
    return EXIT.ok;
  });
}
