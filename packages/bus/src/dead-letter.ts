import type { JsMsg } from '@nats-io/jetstream';
import { type DeadLetter, createEvent, eventTypes, subjects } from '@patchbay/contracts';
import type { Bus } from './connection.js';
import { publishEvent } from './publish.js';

function encodePayload(data: Uint8Array): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  try {
    return { payload: new TextDecoder('utf-8', { fatal: true }).decode(data), payloadEncoding: 'utf8' };
  } catch {
    return { payload: Buffer.from(data).toString('base64'), payloadEncoding: 'base64' };
  }
}

/** Stores an unhandleable message, untouched, with the reason, on the service's dead-letter subject. */
export async function deadLetter(
  bus: Bus,
  service: string,
  msg: Pick<JsMsg, 'subject' | 'data'> & { info?: { deliveryCount: number } },
  reason: DeadLetter['reason'],
  error: string,
): Promise<void> {
  const event = createEvent(
    eventTypes.deadLetter,
    {
      service,
      subject: msg.subject,
      reason,
      error: error.slice(0, 4_000),
      ...encodePayload(msg.data),
      deliveryCount: msg.info?.deliveryCount ?? 1,
      receivedAt: new Date().toISOString(),
    },
    { source: `patchbay/${service}`, subject: msg.subject },
  );
  await publishEvent(bus, subjects.deadLetter(service), event);
}
