import {
  type ChangeEntry,
  type DebugEntry,
  createEvent,
  eventTypes,
  streams,
  subjects,
} from '@patchbay/contracts';
import type { Bus } from './connection.js';
import { publishEvent } from './publish.js';
import { readStream } from './read.js';

/** The changes log: one entry per file changed per attempt, per task. */
export interface ChangesLog {
  /** `traceparent` puts the entries in the task's trace. */
  append(entries: readonly ChangeEntry[], source: string, traceparent?: string): Promise<void>;
  read(taskId: string): Promise<ChangeEntry[]>;
}

/** The debug log: hypothesis, experiment and conclusion steps, per task. */
export interface DebugLog {
  append(taskId: string, entry: DebugEntry, source: string, traceparent?: string): Promise<void>;
  read(taskId: string): Promise<DebugEntry[]>;
}

export function openChangesLog(bus: Bus): ChangesLog {
  return {
    async append(entries, source, traceparent) {
      for (const entry of entries) {
        const event = createEvent(eventTypes.changeRecorded, entry, { source, subject: entry.task, ...(traceparent ? { traceparent } : {}) });
        // Redelivered attempts write the same entry again; the id makes that a no-op.
        await publishEvent(bus, subjects.changes(entry.task), event, {
          msgId: `${entry.task}.${entry.iteration}.${entry.file}`,
        });
      }
    },
    async read(taskId) {
      const stored = await readStream(bus, streams.changes.name, subjects.changes(taskId));
      return stored.flatMap((s) => (s.event.type === eventTypes.changeRecorded ? [s.event.data] : []));
    },
  };
}

export function openDebugLog(bus: Bus): DebugLog {
  return {
    async append(taskId, entry, source, traceparent) {
      const event = createEvent(eventTypes.debugEntry, entry, { source, subject: taskId, ...(traceparent ? { traceparent } : {}) });
      await publishEvent(bus, subjects.debugLog(taskId), event, {
        msgId: `${taskId}.${entry.iteration}.${entry.issue_id}.${entry.outcome}`,
      });
    },
    async read(taskId) {
      const stored = await readStream(bus, streams.debug.name, subjects.debugLog(taskId));
      return stored.flatMap((s) => (s.event.type === eventTypes.debugEntry ? [s.event.data] : []));
    },
  };
}
