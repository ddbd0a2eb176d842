import { createHash } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore, setSha256Backend } from '@nats-io/obj';
import type { Bus } from '@patchbay/bus';
import { buckets } from '@patchbay/contracts';
import { ANALYSIS_VERSION, type Analysis, type PatchState } from '../domain/analysis.js';
import type { FileRecord } from '../domain/records.js';
import { decodeAnalysis, decodePatchState, encodeAnalysis, encodePatchState } from './codec.js';

// The object store checks every object it returns against its SHA-256; Node's native hash
// does that several times faster than the pure-JavaScript default (process-wide, so set once,
// before any object store is used).
setSha256Backend('native');

/** Bumped when the parser's output changes, so old per-file records are not used. */
export const RECORD_VERSION = 4;

/**
 * Where analyses live between requests. Per-file records are keyed by blob hash, whole
 * analyses by tree hash (or dirty-tree key), each with the patch state a change needs;
 * pointers are small named values (the latest analysis of a repository, the dirty-file
 * index of a working tree).
 */
export interface ContextCache {
  getRecords(blobs: readonly string[]): Promise<Map<string, FileRecord>>;
  putRecords(records: ReadonlyMap<string, FileRecord>): Promise<void>;
  /** An analysis in its compact form: the name table is decoded on first use. */
  getAnalysis(key: string): Promise<Analysis | null>;
  /** What patching that analysis after a change needs (fetched only then). */
  getPatchState(key: string): Promise<PatchState | null>;
  putAnalysis(analysis: Analysis, state: PatchState): Promise<void>;
  getPointer<T>(name: string): Promise<T | null>;
  putPointer(name: string, value: unknown): Promise<void>;
}

/** Larger chunks than the 128 KiB default: fewer messages to fetch (the server's max payload is 1 MiB by default). */
const CHUNK = { max_chunk_size: 896 * 1024 };

/** KV values must stay under the server's max payload (1 MB by default). */
const MAX_KV_VALUE = 900_000;
const CONCURRENCY = 64;

async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/** A stored object this version cannot read is as good as none. */
function readable<T>(decode: (data: Uint8Array) => T | null, data: Uint8Array): T | null {
  try {
    return decode(data);
  } catch {
    return null;
  }
}

const recordKey = (blob: string) => `r.${RECORD_VERSION}.${blob}`;
const pointerKey = (name: string) => `p.${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
const analysisName = (key: string) => `analysis/${ANALYSIS_VERSION}/${key}`;
const patchName = (key: string) => `patch/${ANALYSIS_VERSION}/${key}`;

/** The cache every context-engine worker shares: a JetStream KV bucket and an object store. */
export async function openContextCache(bus: Bus): Promise<ContextCache> {
  const kv: KV = await new Kvm(bus.js).open(buckets.contextFiles);
  const store: ObjectStore = await new Objm(bus.js).open(buckets.contextAnalyses);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    async getRecords(blobs) {
      const out = new Map<string, FileRecord>();
      await inBatches(blobs, async (blob) => {
        const entry = await kv.get(recordKey(blob)).catch(() => null);
        if (entry && entry.operation === 'PUT' && entry.value.length > 0) out.set(blob, JSON.parse(decoder.decode(entry.value)) as FileRecord);
      });
      return out;
    },
    async putRecords(records) {
      await inBatches([...records], async ([blob, record]) => {
        const bytes = encoder.encode(JSON.stringify(record));
        if (bytes.length <= MAX_KV_VALUE) await kv.put(recordKey(blob), bytes);
      });
    },
    async getAnalysis(key) {
      const data = await store.getBlob(analysisName(key)).catch(() => null);
      return data === null ? null : readable(decodeAnalysis, data);
    },
    async getPatchState(key) {
      const data = await store.getBlob(patchName(key)).catch(() => null);
      return data === null ? null : readable(decodePatchState, data);
    },
    async putAnalysis(analysis, state) {
      const [statePacked, analysisPacked] = await Promise.all([encodePatchState(state), encodeAnalysis(analysis)]);
      await Promise.all([
        store.putBlob({ name: patchName(analysis.key), options: CHUNK }, statePacked),
        store.putBlob({ name: analysisName(analysis.key), options: CHUNK }, analysisPacked),
      ]);
    },
    async getPointer<T>(name: string) {
      const entry = await kv.get(pointerKey(name)).catch(() => null);
      return entry && entry.operation === 'PUT' && entry.value.length > 0 ? (JSON.parse(decoder.decode(entry.value)) as T) : null;
    },
    async putPointer(name, value) {
      const bytes = encoder.encode(JSON.stringify(value));
      if (bytes.length <= MAX_KV_VALUE) await kv.put(pointerKey(name), bytes);
    },
  };
}

/** A cache in this process only, for the CLI when no NATS server answers: stored in the same compact form. */
export function memoryContextCache(): ContextCache {
  const records = new Map<string, FileRecord>();
  const analyses = new Map<string, Buffer>();
  const states = new Map<string, Buffer>();
  const pointers = new Map<string, string>();
  return {
    getRecords: async (blobs) => new Map(blobs.flatMap((b) => (records.has(b) ? [[b, records.get(b) as FileRecord]] : []))),
    putRecords: async (rs) => {
      for (const [b, r] of rs) records.set(b, r);
    },
    getAnalysis: async (key) => {
      const data = analyses.get(key);
      return data === undefined ? null : decodeAnalysis(data);
    },
    getPatchState: async (key) => {
      const data = states.get(key);
      return data === undefined ? null : decodePatchState(data);
    },
    putAnalysis: async (analysis, state) => {
      analyses.set(analysis.key, await encodeAnalysis(analysis));
      states.set(analysis.key, await encodePatchState(state));
    },
    getPointer: async <T>(name: string) => {
      const text = pointers.get(name);
      return text === undefined ? null : (JSON.parse(text) as T);
    },
    putPointer: async (name, value) => void pointers.set(name, JSON.stringify(value)),
  };
}
