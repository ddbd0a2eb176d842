import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { ConsumerSpec } from '@patchbay/contracts';
import type { Bus } from './connection.js';

export interface ConsumeLoop {
  /** Stops pulling, waits for in-flight handlers up to `graceMs`, then aborts them. */
  stop(graceMs: number): Promise<void>;
}

export interface ConsumeOptions {
  concurrency: number;
  /** Called for each message; the handler acks, naks or terms it. */
  handle: (msg: JsMsg, signal: AbortSignal) => Promise<void>;
  /** Called when the pull loop itself fails and will be restarted. */
  onLoopError?: (err: unknown) => void;
}

/**
 * Pulls from a durable consumer with bounded concurrency. Instances of a service share
 * the durable, so starting more instances spreads the work.
 */
export function startConsuming(bus: Bus, spec: ConsumerSpec, options: ConsumeOptions): ConsumeLoop {
  const inflight = new Set<Promise<void>>();
  const abort = new AbortController();
  let messages: ConsumerMessages | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;

  const slotFree = async () => {
    while (inflight.size >= options.concurrency) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        const consumer = await bus.js.consumers.get(spec.stream, spec.durable);
        messages = await consumer.consume({ max_messages: options.concurrency });
        for await (const msg of messages) {
          const task = options
            .handle(msg, abort.signal)
            .catch((err: unknown) => options.onLoopError?.(err))
            .finally(() => {
              inflight.delete(task);
              wake?.();
            });
          inflight.add(task);
          await slotFree();
          if (stopping) break;
        }
      } catch (err) {
        if (stopping) break;
        options.onLoopError?.(err);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  })();

  return {
    async stop(graceMs: number) {
      stopping = true;
      await messages?.close().catch(() => {});
      wake?.();
      const all = Promise.allSettled([...inflight]);
      const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([all, timer]);
      abort.abort();
      await all;
      await loop;
    },
  };
}

/** Keeps a long-running delivery from being redelivered to another instance. */
export function keepAlive(msg: JsMsg, ackWaitMs: number): () => void {
  const timer = setInterval(() => msg.working(), Math.max(1_000, Math.floor(ackWaitMs / 3)));
  timer.unref();
  return () => clearInterval(timer);
}
