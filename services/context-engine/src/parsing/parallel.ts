import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { FileRecord } from '../domain/records.js';
import { type Grammar, grammarFor } from '../domain/languages.js';
import type { Batch, BatchResult, Preload } from './parse-worker.js';
import { recordFor } from './record-for.js';
import type { SymbolParser } from './tree-sitter.js';

/** Below this much to parse, starting a thread (and loading its grammars, about 0.1 s) costs more than it saves. */
const PARALLEL_MIN_BYTES = 512 * 1024;
const BATCH_BYTES = 128 * 1024;
const BATCH_FILES = 64;

export interface ToParse {
  path: string;
  blob: string;
  content: Buffer;
}

function batchesOf(files: readonly ToParse[]): ToParse[][] {
  const batches: ToParse[][] = [];
  let current: ToParse[] = [];
  let bytes = 0;
  for (const f of files) {
    current.push(f);
    bytes += f.content.length;
    if (bytes >= BATCH_BYTES || current.length >= BATCH_FILES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length) batches.push(current);
  return batches;
}

/** One parsing thread, answering batches in order. */
function parsingThread(grammars: readonly Grammar[]) {
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url));
  worker.postMessage({ grammars: [...grammars] } satisfies Preload);
  const pending = new Map<number, { resolve: (records: Array<[string, FileRecord]>) => void; reject: (err: Error) => void }>();
  let next = 0;
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (result: BatchResult) => {
    const p = pending.get(result.id);
    pending.delete(result.id);
    if ('error' in result) p?.reject(new Error(result.error));
    else p?.resolve(result.records);
  });
  worker.on('error', failAll);
  worker.on('exit', () => failAll(new Error('parsing thread exited')));
  return {
    parse(files: readonly ToParse[]): Promise<Array<[string, FileRecord]>> {
      const id = next++;
      const batch: Batch = { id, files: files.map((f) => ({ blob: f.blob, path: f.path, bytes: f.content })) };
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(batch);
      });
    },
    stop: () => worker.terminate(),
  };
}

export type ParsingThreads = Array<ReturnType<typeof parsingThread>>;

/** Whether parsing this much is worth threads, and how many (one per further core, at most 3). */
export function threadsFor(bytes: number, wanted?: number): number {
  return bytes >= PARALLEL_MIN_BYTES ? Math.max(0, Math.min(wanted ?? availableParallelism() - 1, 3)) : 0;
}

/** Starts parsing threads ahead of the files (they load the grammars meanwhile); hand them to parseInParallel, which stops them. */
export function startParsingThreads(count: number, grammars: readonly Grammar[]): ParsingThreads {
  return Array.from({ length: count }, () => parsingThread(grammars));
}

/**
 * Records of many files: parsed on this thread and, when there is enough to parse, on
 * parsing threads too (one per further core), taking batches from one queue. `onRecords`
 * gets each batch's records as they come (to store them while parsing goes on). A batch a
 * thread fails on is parsed here.
 */
export async function parseInParallel(
  files: readonly ToParse[],
  parser: SymbolParser | undefined,
  options: { threads?: number | undefined; started?: ParsingThreads | undefined; onRecords?: (records: ReadonlyMap<string, FileRecord>) => void } = {},
): Promise<{ records: Map<string, FileRecord>; threads: number }> {
  const unique = [...new Map(files.map((f) => [f.blob, f])).values()];
  const bytes = unique.reduce((n, f) => n + f.content.length, 0);
  const grammars = [...new Set(unique.flatMap((f) => grammarFor(f.path) ?? []))];
  const workers = options.started ?? (parser ? startParsingThreads(threadsFor(bytes, options.threads), grammars) : []);
  const threads = workers.length;
  const queue = batchesOf(unique);
  const out = new Map<string, FileRecord>();
  const done = (records: Iterable<[string, FileRecord]>) => {
    const batch = new Map(records);
    for (const [blob, record] of batch) out.set(blob, record);
    options.onRecords?.(batch);
  };
  const here = (batch: readonly ToParse[]) => done(batch.map((f): [string, FileRecord] => [f.blob, recordFor(f.path, f.content, parser)]));
  let used = 0;
  try {
    await Promise.all([
      (async () => {
        while (queue.length) {
          here(queue.shift() as ToParse[]);
          // Let the threads' answers and the stores in flight through.
          if (threads) await yieldToEvents();
        }
      })(),
      ...workers.map(async (w) => {
        let parsed = false;
        // From the other end of the queue: the threads and this one never wait for each other.
        // Two batches in flight per thread: this thread hands a thread its next batch only
        // between two of its own, so with one in flight the thread would sit idle meanwhile.
        const feed = async () => {
          for (let batch = queue.pop(); batch; batch = queue.pop()) {
            try {
              done(await w.parse(batch));
              parsed = true;
            } catch {
              here(batch);
            }
          }
        };
        await Promise.all([feed(), feed()]);
        if (parsed) used += 1;
      }),
    ]);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
  return { records: out, threads: used };
}
