import { randomBytes } from 'node:crypto';
import {
  type AnyCloudEvent,
  type CiFailure,
  type TaskSubmitted,
  createEvent,
  eventTypes,
  streams,
  subjects,
  terminalEventTypes,
} from '@patchbay/contracts';
import type { Bus } from './connection.js';
import { publishEvent } from './publish.js';
import { type FollowHandle, followStream, readStream } from './read.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Short, readable, subject-safe task ids: `t` + 11 base-36 characters. */
export function newTaskId(): string {
  return `t${[...randomBytes(11)].map((b) => ALPHABET[b % 36]).join('')}`;
}

export interface SubmitOptions {
  id?: string;
  source: string;
  traceparent?: string;
}

/** Publishes a task on the public intake subject; the id makes resubmission a no-op. */
export async function submitTask(bus: Bus, task: TaskSubmitted, options: SubmitOptions): Promise<string> {
  const id = options.id ?? newTaskId();
  const event = createEvent(eventTypes.taskSubmitted, task, {
    id,
    source: options.source,
    subject: id,
    ...(options.traceparent ? { traceparent: options.traceparent } : {}),
  });
  await publishEvent(bus, subjects.taskSubmit, event, { msgId: id });
  return id;
}

/** Publishes a CI pipeline's failure report; it becomes a bug-fix task. */
export async function reportCiFailure(bus: Bus, failure: CiFailure, options: SubmitOptions): Promise<string> {
  const id = options.id ?? newTaskId();
  const event = createEvent(eventTypes.ciFailure, failure, { id, source: options.source, subject: id });
  await publishEvent(bus, subjects.ciFailure, event, { msgId: id });
  return id;
}

/** Asks patchbay to stop a task: the router ends it, and a model call in flight is aborted. */
export async function cancelTask(bus: Bus, taskId: string, options: { source: string; reason?: string; requestedBy?: string }): Promise<string> {
  const event = createEvent(
    eventTypes.taskCancelRequested,
    { taskId, ...(options.reason ? { reason: options.reason } : {}), ...(options.requestedBy ? { requestedBy: options.requestedBy } : {}) },
    { source: options.source, subject: taskId },
  );
  await publishEvent(bus, subjects.taskControl(taskId), event, { msgId: event.id });
  return event.id;
}

export function isTerminal(event: AnyCloudEvent): boolean {
  return terminalEventTypes.includes(event.type);
}

/** Delivers a task's events from the first, live, until its terminal event. */
export function followTask(bus: Bus, taskId: string, onEvent: (event: AnyCloudEvent) => void | Promise<void>): Promise<FollowHandle> {
  return followStream(bus, streams.events.name, subjects.taskEvents(taskId), async ({ event }) => {
    await onEvent(event);
    return isTerminal(event);
  });
}

/** Every event a task has published so far. */
export async function readTaskEvents(bus: Bus, taskId: string): Promise<AnyCloudEvent[]> {
  return (await readStream(bus, streams.events.name, subjects.taskEvents(taskId))).map((s) => s.event);
}
