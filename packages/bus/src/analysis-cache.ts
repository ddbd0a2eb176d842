import { Kvm, type KV } from '@nats-io/kv';
import { buckets } from '@patchbay/contracts';
import type { Bus } from './connection.js';

/** JSON values by key; a miss, a corrupt entry or an unreachable server all read as "not cached". */
export interface KeyValueCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

const KEY = /^[-/_=.a-zA-Z0-9]+$/;

/** Analyser results in the analysis-cache bucket; the caller builds keys from tool version, config and blob hash. */
export async function openAnalysisCache(bus: Bus): Promise<KeyValueCache> {
  const kv: KV = await new Kvm(bus.js).open(buckets.analysisCache);
  return {
    async get(key) {
      if (!KEY.test(key)) return undefined;
      try {
        const entry = await kv.get(key);
        if (entry === null || entry.operation !== 'PUT') return undefined;
        return JSON.parse(new TextDecoder().decode(entry.value)) as unknown;
      } catch {
        return undefined;
      }
    },
    async set(key, value) {
      if (!KEY.test(key)) return;
      // A cache that cannot be written is only slower: never fail an assessment over it.
      await kv.put(key, JSON.stringify(value)).catch(() => undefined);
    },
  };
}

/** The same interface in memory, for runs without a bus (`patchbay analyze`). */
export function memoryCache(): KeyValueCache {
  const map = new Map<string, string>();
  return {
    get: async (key) => {
      const text = map.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    set: async (key, value) => {
      map.set(key, JSON.stringify(value));
    },
  };
}
