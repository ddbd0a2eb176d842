import { type Msg, deadLetter, encodeEvent } from '@patchbay/bus';
import { type AnyCloudEvent, type DeadLetter, createEvent, parseEvent } from '@patchbay/contracts';
import { summarizeError } from '@patchbay/errors';
import { traceIdOf, withMessageSpan } from '@patchbay/telemetry';
import type { Responder, ServiceContext } from './service.js';

export interface Responding {
  /** Takes no new requests, lets those in flight finish for up to `graceMs`, then aborts them. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Answers one request/reply subject: parse and validate each request, hand it to the
 * responder, reply with its answer. An invalid request is dead-lettered with the reason and
 * answered with that reason; a failure is answered with its code. Nothing a sender does can
 * crash the service, and nothing goes unanswered.
 */
export function startResponding(service: ServiceContext, responder: Responder): Responding {
  const { bus, log, metrics, name } = service;
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const abort = new AbortController();

  const reply = (msg: Msg, data: unknown, traceparent?: string) => {
    if (!msg.reply) return;
    const event = createEvent(responder.answer, data as never, { source: service.source, ...(traceparent ? { traceparent } : {}) });
    msg.respond(encodeEvent(event as AnyCloudEvent));
  };

  const refuse = async (msg: Msg, reason: DeadLetter['reason'], error: string, type = 'unparsed') => {
    metrics.deadLetters.inc({ service: name, reason });
    metrics.messagesHandled.inc({ service: name, type, outcome: 'dead_letter' });
    log.warn({ subject: msg.subject, reason, error }, 'request sent to dead-letter subject');
    reply(msg, responder.failed({ code: 'INPUT_INVALID', message: error, retryable: false }));
    await deadLetter(bus, name, msg, reason, error).catch((err: unknown) => log.error({ err }, 'could not dead-letter a request'));
  };

  const answer = async (msg: Msg): Promise<void> => {
    const parsed = parseEvent(msg.data);
    if (!parsed.ok) return refuse(msg, parsed.reason, parsed.error);
    const event = parsed.event;
    if (event.type !== responder.request) {
      return refuse(msg, 'unknown_type', `${name} answers ${responder.request} on ${msg.subject}, not ${event.type}`, event.type);
    }
    if (!msg.reply) return refuse(msg, 'invalid_envelope', `${event.type} is a request: publish it with a reply subject (a NATS request)`, event.type);
    const started = performance.now();
    await withMessageSpan(`${name} ${event.type}`, event.traceparent, { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject }, async (traceparent) => {
      const child = log.child({ traceId: traceIdOf(traceparent), type: event.type, eventId: event.id });
      const observe = (outcome: string) => {
        metrics.messagesHandled.inc({ service: name, type: event.type, outcome });
        metrics.stageDuration.observe({ service: name, stage: event.type, outcome }, (performance.now() - started) / 1_000);
      };
      try {
        const waitFor = (work: Promise<unknown>) => track(work.catch((err: unknown) => child.warn({ err }, 'work after the answer failed')));
        reply(msg, await responder.handle(event as Parameters<Responder['handle']>[0], { log: child, signal: abort.signal, waitFor }), traceparent);
        observe('answered');
      } catch (err) {
        const info = summarizeError(err);
        metrics.failures.inc({ service: name, code: info.code });
        child.warn({ err, code: info.code }, 'request failed; answered with the error');
        reply(msg, responder.failed(info), traceparent);
        observe('failed');
      }
    });
  };

  const subscription = bus.nc.subscribe(responder.subject, {
    queue: responder.queue,
    callback: (err, msg) => {
      if (err) {
        log.error({ err, subject: responder.subject }, 'request subscription error');
        return;
      }
      track(answer(msg).catch((e: unknown) => log.error({ err: e }, 'could not answer a request')));
    },
  });

  return {
    async stop(graceMs) {
      subscription.unsubscribe();
      const timer = setTimeout(() => abort.abort(), graceMs);
      // Work after an answer may start while waiting: wait until none is left.
      while (inFlight.size > 0) await Promise.all(inFlight);
      clearTimeout(timer);
      await responder.close?.();
    },
  };
}
