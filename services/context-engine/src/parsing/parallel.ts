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
const MIN_BATCH_BYTES = 16 * 1024;
const BATCH_FILES = 64;

export interface ToParse {
  path: string;
  blob: string;
  content: Buffer;
}

/**
 * The files in batches, for this thread to take from the front and the parsing threads from
 * the back: largest at both ends, shrinking towards the middle, where the two meet. The last
 * batches are then small, and no thread waits long at the end for another's last one.
 */
function batchesOf(files: readonly ToParse[], threads: number): ToParse[][] {
  const total = files.reduce((n, f) => n + f.content.length, 0);
  const front: ToParse[][] = [];
  const back: ToParse[][] = [];
  let remaining = total;
  let current: ToParse[] = [];
  let bytes = 0;
  // Guided: each batch a share of what is left, between MIN_BATCH_BYTES and BATCH_BYTES.
  const target = () => (threads ? Math.max(MIN_BATCH_BYTES, Math.min(BATCH_BYTES, remaining / (2 * (threads + 1)))) : BATCH_BYTES);
  let limit = target();
  for (const f of files) {
    current.push(f);
    bytes += f.content.length;
    if (bytes >= limit || current.length >= BATCH_FILES) {
      (front.length <= back.length ? front : back).push(current);
      remaining -= bytes;
      current = [];
      bytes = 0;
      limit = target();
    }
  }
  if (current.length) (front.length <= back.length ? front : back).push(current);
  return [...front, ...back.reverse()];
}

/** How long a parsing thread stays after a parse, for the next one (its grammars loaded, its code compiled). */
const IDLE_MS = 60_000;

/** One parsing thread, answering batches in order. */
function parsingThread() {
  const worker = new Worker(new URL('./parse-worker.js', import.meta.url));
  const pending = new Map<number, { resolve: (records: Array<[string, FileRecord]>) => void; reject: (err: Error) => void }>();
  let next = 0;
  let alive = true;
  const failAll = (err: Error) => {
    alive = false;
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
    /** Loads grammars ahead of the files (once each). */
    preload(grammars: readonly Grammar[]) {
      worker.postMessage({ grammars: [...grammars] } satisfies Preload);
    },
    parse(files: readonly ToParse[]): Promise<Array<[string, FileRecord]>> {
      // A thread that died (even before its first batch) answers nothing: fail now, not never.
      if (!alive) return Promise.reject(new Error('parsing thread is not running'));
      const id = next++;
      const batch: Batch = { id, files: files.map((f) => ({ blob: f.blob, path: f.path, bytes: f.content })) };
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage(batch);
      });
    },
    /** Whether it can take another parse: running, nothing in flight. */
    reusable: () => alive && pending.size === 0,
    /** While idle it must not keep the process alive; while parsing it must. */
    hold: (busy: boolean) => (busy ? worker.ref() : worker.unref()),
    stop: async () => {
      alive = false;
      await worker.terminate();
    },
  };
}

type ParsingThread = ReturnType<typeof parsingThread>;
export type ParsingThreads = ParsingThread[];

/** This process's idle parsing threads, each with the timer that stops it. */
const idle: Array<{ thread: ParsingThread; timer: NodeJS.Timeout }> = [];

/** At most this many parsing threads per parse, and idle (each holds its own runtime and grammars). */
const MAX_THREADS = 3;

/** Whether parsing this much is worth threads, and how many (one per further core, at most MAX_THREADS). */
export function threadsFor(bytes: number, wanted?: number): number {
  return bytes >= PARALLEL_MIN_BYTES ? Math.max(0, Math.min(wanted ?? availableParallelism() - 1, MAX_THREADS)) : 0;
}

/**
 * Parsing threads for a parse, idle ones of an earlier parse first (a long-lived worker pays
 * a thread's start, its grammars and its warm-up once), told the grammars now so they load
 * them while the files are read; hand them to parseInParallel, which gives them back.
 */
export function startParsingThreads(count: number, grammars: readonly Grammar[]): ParsingThreads {
  const threads: ParsingThreads = [];
  while (threads.length < count) {
    const reused = idle.pop();
    if (reused) clearTimeout(reused.timer);
    const thread = reused?.thread.reusable() ? reused.thread : parsingThread();
    if (reused && thread !== reused.thread) void reused.thread.stop();
    thread.hold(true);
    thread.preload(grammars);
    threads.push(thread);
  }
  return threads;
}

/** Gives threads back after a parse: kept idle a while when they are well (as many as one parse uses at most), else stopped. */
async function giveBack(threads: ParsingThreads): Promise<void> {
  await Promise.all(
    threads.map(async (thread) => {
      if (!thread.reusable() || idle.length >= MAX_THREADS) return thread.stop();
      thread.hold(false);
      const timer = setTimeout(() => {
        const at = idle.findIndex((entry) => entry.thread === thread);
        if (at >= 0) idle.splice(at, 1);
        void thread.stop();
      }, IDLE_MS);
      timer.unref();
      idle.push({ thread, timer });
    }),
  );
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
  const queue = batchesOf(unique, threads);
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
  } catch (err) {
    // A batch in flight on a thread may still come back: those threads are stopped, not kept.
    await Promise.all(workers.map((w) => w.stop()));
    throw err;
  }
  await giveBack(workers);
  return { records: out, threads: used };
}
