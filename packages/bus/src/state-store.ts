import { Kvm, type KV } from '@nats-io/kv';
import type { z } from 'zod';
import { ConflictError, InputError } from '@patchbay/errors';
import type { Bus } from './connection.js';

export interface Versioned<T> {
  value: T;
  revision: number;
}

/** What an update decided: the next value (or none: leave it) and what to do about it. */
export interface Decision<T, R> {
  next: T | null;
  result: R;
}

/**
 * JSON records in a KV bucket, changed only by compare-and-set on the revision, so two
 * writers never lose each other's update: the loser re-reads and decides again.
 */
export interface StateStore<T> {
  /** Creates the record; false when it already exists (idempotent intake). */
  create(key: string, value: T): Promise<boolean>;
  get(key: string): Promise<Versioned<T> | null>;
  update<R>(key: string, decide: (current: T) => Decision<T, R>): Promise<{ result: R; revision: number }>;
}

const WRONG_SEQUENCE = /wrong last sequence|key exists/i;

export async function openStateStore<S extends z.ZodType>(bus: Bus, bucket: string, schema: S): Promise<StateStore<z.output<S>>> {
  type T = z.output<S>;
  const kv: KV = await new Kvm(bus.js).open(bucket);
  const decode = (key: string, bytes: Uint8Array): T => {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
    if (!parsed.success) throw new InputError(`record ${key} in ${bucket} is invalid: ${parsed.error.message}`);
    return parsed.data;
  };
  const encode = (value: T) => JSON.stringify(value);

  const store: StateStore<T> = {
    async create(key, value) {
      try {
        await kv.create(key, encode(value));
        return true;
      } catch (err) {
        if (WRONG_SEQUENCE.test((err as Error).message)) return false;
        throw err;
      }
    },
    async get(key) {
      const entry = await kv.get(key);
      if (entry === null || entry.operation !== 'PUT') return null;
      return { value: decode(key, entry.value), revision: entry.revision };
    },
    async update(key, decide) {
      for (let round = 0; round < 20; round++) {
        const current = await store.get(key);
        if (current === null) throw new InputError(`record ${key} does not exist in ${bucket}`);
        const { next, result } = decide(current.value);
        if (next === null) return { result, revision: current.revision };
        try {
          const revision = await kv.update(key, encode(next), current.revision);
          return { result, revision };
        } catch (err) {
          if (!WRONG_SEQUENCE.test((err as Error).message)) throw err;
        }
      }
      throw new ConflictError(`record ${key} in ${bucket} kept changing under 20 update attempts`);
    },
  };
  return store;
}
