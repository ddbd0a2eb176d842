import type { z } from 'zod';
import type { Artifacts, Bus } from '@patchbay/bus';
import type { Config } from '@patchbay/config';
import type { CloudEvent, ErrorInfo, EventType, ServiceName, eventSchemas } from '@patchbay/contracts';
import type { Logger, ServiceMetrics } from '@patchbay/telemetry';

/** What a service's handlers are built from: passed once, by closure. */
export interface ServiceContext {
  name: ServiceName;
  /** CloudEvents `source` of everything this service publishes. */
  source: string;
  config: Config;
  log: Logger;
  bus: Bus;
  artifacts: Artifacts;
  metrics: ServiceMetrics;
}

export interface EmitOptions {
  /** JetStream de-duplication id, so a redelivered message does not publish twice. */
  msgId?: string;
  /** CloudEvents subject; the task id of the message being handled when absent. */
  subject?: string;
  id?: string;
}

/** Per-message context handed to a handler. */
export interface HandlerContext {
  log: Logger;
  traceparent: string;
  /** Deliveries of this message that count (waits on an open breaker do not), this one included. */
  deliveryCount: number;
  /** The most deliveries that count: the consumer's delivery budget, else its maxDeliver. */
  maxDeliver: number;
  /** Aborted when the service shuts down past its grace period. */
  signal: AbortSignal;
  /** Publishes an event that carries this message's trace context. */
  emit<T extends EventType>(
    subject: string,
    type: T,
    data: z.input<(typeof eventSchemas)[T]>,
    options?: EmitOptions,
  ): Promise<void>;
}

export type Handler<T extends EventType> = (event: CloudEvent<T>, ctx: HandlerContext) => Promise<void>;
export type Handlers = { [T in EventType]?: Handler<T> };

/** What answering one request may use. */
export interface RequestContext {
  log: Logger;
  /** Aborted when the service shuts down past its grace period. */
  signal: AbortSignal;
  /** Work that goes on after the answer (storing what it computed): shutdown waits for it too. */
  waitFor(work: Promise<unknown>): void;
}

/**
 * Answers requests on a request/reply subject (core NATS, no stream): one instance of the
 * queue group answers each. Methods, so a responder of particular types is a Responder.
 */
export interface Responder<Q extends EventType = EventType, A extends EventType = EventType> {
  subject: string;
  queue: string;
  request: Q;
  answer: A;
  handle(event: CloudEvent<Q>, ctx: RequestContext): Promise<z.input<(typeof eventSchemas)[A]>>;
  /** The answer when the request is invalid or could not be handled. */
  failed(error: ErrorInfo): z.input<(typeof eventSchemas)[A]>;
  /** Releases what the responder holds (watches, handles) once no request is in flight. */
  close?(): Promise<void>;
}

export interface ServiceDefinition {
  name: ServiceName;
  /** Builds the handlers, keyed by the event types the service's consumers receive. */
  createHandlers(context: ServiceContext): Handlers | Promise<Handlers>;
  /** Builds what the service answers on request/reply subjects, if anything. */
  createResponders?(context: ServiceContext): Responder[] | Promise<Responder[]>;
}
