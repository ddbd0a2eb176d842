import { DeliverPolicy } from '@nats-io/jetstream';
import { type AnyCloudEvent, parseEvent } from '@patchbay/contracts';
import type { Bus } from './connection.js';

export interface StoredEvent {
  seq: number;
  subject: string;
  event: AnyCloudEvent;
}

/**
 * Reads every stored message of a stream under a subject filter, in order, and returns the
 * ones that parse. Uses an ordered consumer, so nothing is left behind on the server.
 */
export async function readStream(bus: Bus, stream: string, filter: string): Promise<StoredEvent[]> {
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
  const info = await consumer.info(true);
  if (info.num_pending === 0) {
    await consumer.delete().catch(() => {});
    return [];
  }
  const out: StoredEvent[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    const parsed = parseEvent(m.data);
    if (parsed.ok) out.push({ seq: m.seq, subject: m.subject, event: parsed.event });
    if (m.info.pending === 0) break;
  }
  await messages.close().catch(() => {});
  return out;
}

export interface FollowHandle {
  stop(): Promise<void>;
  /** Resolves when the callback returned true (done) or stop() was called. */
  done: Promise<void>;
}

/** Delivers stored and future messages under a filter until `onEvent` returns true. */
export async function followStream(
  bus: Bus,
  stream: string,
  filter: string,
  onEvent: (stored: StoredEvent) => boolean | Promise<boolean>,
): Promise<FollowHandle> {
  const consumer = await bus.js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  const done = (async () => {
    for await (const m of messages) {
      const parsed = parseEvent(m.data);
      if (!parsed.ok) continue;
      if (await onEvent({ seq: m.seq, subject: m.subject, event: parsed.event })) break;
    }
    await messages.close().catch(() => {});
  })();
  return {
    done,
    stop: async () => {
      await messages.close().catch(() => {});
      await done;
    },
  };
}
