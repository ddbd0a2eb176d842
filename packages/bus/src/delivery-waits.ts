import { Kvm } from '@nats-io/kv';
import { buckets } from '@patchbay/contracts';
import type { Bus } from './connection.js';

/**
 * How many times each message waited on the bus (a nak with a delay while a circuit
 * breaker is open) rather than failed. Kept in a KV bucket so every instance of a service
 * sees the same count whichever of them gets the next delivery; entries expire with the
 * work stream's messages.
 */
export interface DeliveryWaits {
  count(key: string): Promise<number>;
  /** Adds one wait and returns the new count. */
  add(key: string): Promise<number>;
  clear(key: string): Promise<void>;
}

const decode = (value: Uint8Array | undefined) => Number.parseInt(new TextDecoder().decode(value ?? new Uint8Array()), 10) || 0;

export async function openDeliveryWaits(bus: Bus): Promise<DeliveryWaits> {
  const kv = await new Kvm(bus.js).open(buckets.deliveryWaits);
  const count = async (key: string) => {
    const entry = await kv.get(key);
    return entry && entry.operation === 'PUT' ? decode(entry.value) : 0;
  };
  return {
    count,
    async add(key) {
      // One message is handled by one instance at a time: a plain read-then-write is enough.
      const next = (await count(key)) + 1;
      await kv.put(key, String(next));
      return next;
    },
    async clear(key) {
      await kv.purge(key).catch(() => {});
    },
  };
}

/** The key of one message of one consumer. */
export const waitKey = (durable: string, streamSequence: number) => `${durable}.${streamSequence}`;
