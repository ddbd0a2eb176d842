import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type EventData, type EventType, eventSchemas, isEventType } from './registry.js';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** CloudEvents 1.0 JSON envelope with the distributed-tracing extension. */
export const Envelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1).max(256),
  source: z.string().min(1),
  type: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  subject: z.string().optional(),
  datacontenttype: z.literal('application/json').optional(),
  dataschema: z.string().optional(),
  traceparent: z.string().regex(TRACEPARENT).optional(),
  tracestate: z.string().optional(),
  data: z.unknown(),
});

export interface CloudEvent<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject?: string;
  datacontenttype?: 'application/json';
  dataschema?: string;
  traceparent?: string;
  tracestate?: string;
  data: EventData<T>;
}

/** Any event, narrowed by its `type`. */
export type AnyCloudEvent = { [T in EventType]: CloudEvent<T> }[EventType];

export interface CreateEventOptions {
  source: string;
  subject?: string;
  id?: string;
  time?: Date;
  traceparent?: string;
  tracestate?: string;
}

/** Builds an envelope, validating `data` against the schema of `type` (throws on mismatch). */
export function createEvent<T extends EventType>(
  type: T,
  data: z.input<(typeof eventSchemas)[T]>,
  options: CreateEventOptions,
): CloudEvent<T> {
  const parsed = eventSchemas[type].parse(data) as EventData<T>;
  const event: CloudEvent<T> = {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: options.source,
    type,
    time: (options.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data: parsed,
  };
  if (options.subject !== undefined) event.subject = options.subject;
  if (options.traceparent !== undefined) event.traceparent = options.traceparent;
  if (options.tracestate !== undefined) event.tracestate = options.tracestate;
  return event;
}

export type ParseFailureReason = 'not_json' | 'invalid_envelope' | 'unknown_type' | 'invalid_data';

export type ParseResult =
  | { ok: true; event: AnyCloudEvent }
  | { ok: false; reason: ParseFailureReason; error: string };

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/** Parses bytes off the bus into a typed event, or says precisely why it cannot. */
export function parseEvent(payload: Uint8Array | string): ParseResult {
  let json: unknown;
  try {
    const text = typeof payload === 'string' ? payload : new TextDecoder('utf-8', { fatal: true }).decode(payload);
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'not_json', error: `payload is not JSON: ${(err as Error).message}` };
  }
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) {
    return { ok: false, reason: 'invalid_envelope', error: `not a CloudEvents 1.0 envelope: ${describeIssues(envelope.error)}` };
  }
  const { type } = envelope.data;
  if (!isEventType(type)) {
    return { ok: false, reason: 'unknown_type', error: `unknown event type "${type}"` };
  }
  const data = eventSchemas[type].safeParse(envelope.data.data);
  if (!data.success) {
    return { ok: false, reason: 'invalid_data', error: `data does not match ${type}: ${describeIssues(data.error)}` };
  }
  return { ok: true, event: { ...envelope.data, type, data: data.data } as AnyCloudEvent };
}

/** Narrows an event to one type. */
export function isEvent<T extends EventType>(event: AnyCloudEvent, type: T): event is Extract<AnyCloudEvent, { type: T }> {
  return event.type === type;
}
