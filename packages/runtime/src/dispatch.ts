import { type DeliveryWaits, type JsMsg, deadLetter, keepAlive, openDeliveryWaits, publishEvent, waitKey } from '@patchbay/bus';
import {
  type AnyCloudEvent,
  type ConsumerSpec,
  type DeadLetter,
  type EventType,
  createEvent,
  parseEvent,
} from '@patchbay/contracts';
import { isPatchbayError, isTransient, isWait, summarizeError } from '@patchbay/errors';
import { traceIdOf, withMessageSpan } from '@patchbay/telemetry';
import type { Handler, HandlerContext, Handlers, ServiceContext } from './service.js';

/** Redelivery delay after a retryable failure: 1 s, 2 s, 4 s ... capped at 30 s. */
export function retryDelayMs(deliveryCount: number): number {
  return Math.min(30_000, 1_000 * 2 ** Math.max(0, deliveryCount - 1));
}

function taskIdOf(event: AnyCloudEvent): string | undefined {
  const data = event.data as { taskId?: unknown };
  if (typeof data.taskId === 'string') return data.taskId;
  return event.subject;
}

/**
 * Adapts one delivery to a handler call: parse, validate, route by type, ack on success,
 * redeliver with backoff on retryable failures, and dead-letter everything else with the
 * reason. Nothing a sender does can crash the service.
 */
export function createDispatcher(service: ServiceContext, spec: ConsumerSpec, handlers: Handlers) {
  const { bus, log, metrics, name } = service;

  // With a delivery budget, waits (an open circuit breaker) are counted apart and do not use it up.
  const budget = spec.deliveryBudget ?? spec.maxDeliver;
  let waitsStore: Promise<DeliveryWaits> | undefined;
  const waits = () => (waitsStore ??= openDeliveryWaits(bus));

  const toDeadLetter = async (msg: JsMsg, reason: DeadLetter['reason'], error: string, type = 'unparsed') => {
    await deadLetter(bus, name, msg, reason, error);
    metrics.deadLetters.inc({ service: name, reason });
    metrics.messagesHandled.inc({ service: name, type, outcome: 'dead_letter' });
    log.warn({ subject: msg.subject, reason, error, consumer: spec.durable }, 'message sent to dead-letter subject');
    msg.ack();
  };

  return async function dispatch(msg: JsMsg, signal: AbortSignal): Promise<void> {
    const parsed = parseEvent(msg.data);
    if (!parsed.ok) {
      await toDeadLetter(msg, parsed.reason, parsed.error).catch((err: unknown) => {
        log.error({ err }, 'could not dead-letter a message; it will be redelivered');
        msg.nak(retryDelayMs(msg.info.deliveryCount));
      });
      return;
    }
    const event = parsed.event;
    const handler = handlers[event.type] as Handler<EventType> | undefined;
    if (handler === undefined) {
      await toDeadLetter(msg, 'unknown_type', `${name} does not handle ${event.type} (subject ${msg.subject})`, event.type);
      return;
    }
    const taskId = taskIdOf(event);
    const key = waitKey(spec.durable, msg.info.streamSequence);
    let waited = 0;
    if (spec.deliveryBudget !== undefined && msg.info.deliveryCount > 1) {
      waited = await (await waits()).count(key).catch((err: unknown) => {
        log.warn({ err }, 'cannot read how often this message waited; counting every delivery');
        return 0;
      });
    }
    const deliveries = Math.max(1, msg.info.deliveryCount - waited);
    const forget = () => {
      if (waited > 0) void waits().then((w) => w.clear(key)).catch(() => {});
    };
    if (spec.deliveryBudget !== undefined && deliveries > budget) {
      // Only a crash loop gets here: every failure the handler sees is settled within the budget.
      await toDeadLetter(msg, 'handler_failed', `delivered ${deliveries} times (and waited ${waited}) without an outcome: delivery budget of ${budget} used up`, event.type);
      forget();
      return;
    }
    const started = performance.now();
    const stop = keepAlive(msg, spec.ackWaitMs);
    await withMessageSpan(
      `${name} ${event.type}`,
      event.traceparent,
      { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject, 'patchbay.task_id': taskId ?? '' },
      async (traceparent) => {
        const child = log.child({ taskId, traceId: traceIdOf(traceparent), type: event.type, eventId: event.id });
        const ctx: HandlerContext = {
          log: child,
          traceparent,
          deliveryCount: deliveries,
          maxDeliver: budget,
          signal,
          async emit(subject, type, data, options = {}) {
            const subjectOfEvent = options.subject ?? taskId;
            const out = createEvent(type, data, {
              source: service.source,
              traceparent,
              ...(subjectOfEvent !== undefined ? { subject: subjectOfEvent } : {}),
              ...(options.id !== undefined ? { id: options.id } : {}),
            });
            await publishEvent(bus, subject, out, options.msgId ? { msgId: options.msgId } : {});
          },
        };
        const observe = (outcome: string) => {
          metrics.messagesHandled.inc({ service: name, type: event.type, outcome });
          metrics.stageDuration.observe({ service: name, stage: event.type, outcome }, (performance.now() - started) / 1_000);
        };
        try {
          await handler(event, ctx);
          msg.ack();
          observe('ack');
          forget();
        } catch (err) {
          const info = summarizeError(err);
          if (signal.aborted) {
            // Shutting down: hand the message to another instance now.
            msg.nak();
            observe('released');
            child.warn({ err }, 'released in-flight message on shutdown');
          } else if (isWait(err) && spec.deliveryBudget !== undefined) {
            // Not a failure: the work never started. Count the wait so the budget stays whole.
            const total = await (await waits()).add(key).catch(() => waited);
            msg.nak(err.retryAfterMs);
            observe('wait');
            child.info({ code: info.code, delayMs: err.retryAfterMs, waits: total }, 'waiting on the bus');
          } else if (isTransient(err) && deliveries < budget) {
            metrics.failures.inc({ service: name, code: info.code });
            const delay = isPatchbayError(err) && err.retryAfterMs !== undefined ? err.retryAfterMs : retryDelayMs(deliveries);
            msg.nak(delay);
            observe('retry');
            child.warn({ err, code: info.code, delayMs: delay, delivery: deliveries }, 'handler failed; will retry');
          } else {
            metrics.failures.inc({ service: name, code: info.code });
            child.error({ err, code: info.code }, 'handler failed; dead-lettering');
            await toDeadLetter(msg, 'handler_failed', `${info.code}: ${info.message}`, event.type);
            forget();
          }
        } finally {
          stop();
        }
      },
    );
  };
}
