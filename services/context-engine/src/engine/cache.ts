import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { Bus } from '@patchbay/bus';
import { buckets } from '@patchbay/contracts';
import { ANALYSIS_VERSION, type Analysis, type GraphInputs } from '../domain/analysis.js';
import type { FileRecord } from '../domain/records.js';

/** Bumped when the parser's output changes, so old per-file records are not used. */
export const RECORD_VERSION = 1;

/**
 * Where analyses live between requests. Per-file records are keyed by blob hash, whole
 * analyses by tree hash (or dirty-tree key); pointers are small named values (the latest
 * analysis of a repository, the dirty-file index of a working tree).
 */
export interface ContextCache {
  getRecords(blobs: readonly string[]): Promise<Map<string, FileRecord>>;
  putRecords(records: ReadonlyMap<string, FileRecord>): Promise<void>;
  getAnalysis(key: string): Promise<Analysis | null>;
  putAnalysis(analysis: Analysis): Promise<void>;
  /** The references and imports an analysis was built from, for rebuilding it after a change. */
  getInputs(key: string): Promise<GraphInputs | null>;
  putInputs(key: string, inputs: GraphInputs): Promise<void>;
  getPointer<T>(name: string): Promise<T | null>;
  putPointer(name: string, value: unknown): Promise<void>;
}

/** Larger chunks than the 128 KiB default: fewer messages to fetch (the server's max payload is 1 MiB by default). */
const CHUNK = { max_chunk_size: 896 * 1024 };

const zip = promisify(gzip);
const unzip = promisify(gunzip);

/** Analyses are large and repetitive JSON: compressed, they cross the network several times faster. */
const pack = async (value: unknown) => zip(Buffer.from(JSON.stringify(value)), { level: 1 });
const unpack = async <T>(data: Uint8Array) => JSON.parse((await unzip(data)).toString('utf8')) as T;

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

const recordKey = (blob: string) => `r.${RECORD_VERSION}.${blob}`;
const pointerKey = (name: string) => `p.${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
const analysisName = (key: string) => `analysis/${ANALYSIS_VERSION}/${key}.json.gz`;
const inputsName = (key: string) => `inputs/${ANALYSIS_VERSION}/${key}.json.gz`;

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
      if (data === null) return null;
      const analysis = await unpack<Analysis>(data);
      return analysis.version === ANALYSIS_VERSION ? analysis : null;
    },
    async putAnalysis(analysis) {
      await store.putBlob({ name: analysisName(analysis.key), options: CHUNK }, await pack(analysis));
    },
    async getInputs(key) {
      const data = await store.getBlob(inputsName(key)).catch(() => null);
      return data === null ? null : unpack<GraphInputs>(data);
    },
    async putInputs(key, inputs) {
      await store.putBlob({ name: inputsName(key), options: CHUNK }, await pack(inputs));
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

/** A cache in this process only, for the CLI when no NATS server answers. */
export function memoryContextCache(): ContextCache {
  const records = new Map<string, FileRecord>();
  const analyses = new Map<string, string>();
  const inputs = new Map<string, string>();
  const pointers = new Map<string, string>();
  return {
    getRecords: async (blobs) => new Map(blobs.flatMap((b) => (records.has(b) ? [[b, records.get(b) as FileRecord]] : []))),
    putRecords: async (rs) => {
      for (const [b, r] of rs) records.set(b, r);
    },
    getAnalysis: async (key) => {
      const text = analyses.get(key);
      return text === undefined ? null : (JSON.parse(text) as Analysis);
    },
    putAnalysis: async (a) => void analyses.set(a.key, JSON.stringify(a)),
    getInputs: async (key) => {
      const text = inputs.get(key);
      return text === undefined ? null : (JSON.parse(text) as GraphInputs);
    },
    putInputs: async (key, value) => void inputs.set(key, JSON.stringify(value)),
    getPointer: async <T>(name: string) => {
      const text = pointers.get(name);
      return text === undefined ? null : (JSON.parse(text) as T);
    },
    putPointer: async (name, value) => void pointers.set(name, JSON.stringify(value)),
  };
}
