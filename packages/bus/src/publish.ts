import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { PubAck } from '@nats-io/jetstream';
import type { CloudEvent, EventType } from '@patchbay/contracts';
import type { Bus } from './connection.js';

export interface PublishOptions {
  /** JetStream de-duplication id: a republished message with the same id is dropped. */
  msgId?: string;
}

const encoder = new TextEncoder();

/** The trace context travels in headers too, so tools that never parse the body see it. */
export function eventHeaders(event: CloudEvent): MsgHdrs {
  const h = natsHeaders();
  h.set('ce-specversion', event.specversion);
  h.set('ce-type', event.type);
  h.set('ce-id', event.id);
  h.set('ce-source', event.source);
  if (event.traceparent) h.set('traceparent', event.traceparent);
  if (event.tracestate) h.set('tracestate', event.tracestate);
  return h;
}

export function encodeEvent(event: CloudEvent): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/** Publishes one CloudEvent to a subject captured by a stream; resolves when it is stored. */
export async function publishEvent<T extends EventType>(
  bus: Bus,
  subject: string,
  event: CloudEvent<T>,
  options: PublishOptions = {},
): Promise<PubAck> {
  return bus.js.publish(subject, encodeEvent(event as CloudEvent), {
    headers: eventHeaders(event as CloudEvent),
    ...(options.msgId ? { msgID: options.msgId } : {}),
  });
}
