/** A parsing thread: receives batches of files, answers with their records (see parallel.ts). */
import { parentPort } from 'node:worker_threads';
import { type Grammar, grammarFor } from '../domain/languages.js';
import type { FileRecord } from '../domain/records.js';
import { recordFor } from './record-for.js';
import { loadSymbolParser } from './tree-sitter.js';

export interface Batch {
  id: number;
  files: Array<{ blob: string; path: string; bytes: Uint8Array }>;
}

/** Sent first, so that the thread loads its grammars while the files are still being read. */
export interface Preload {
  grammars: Grammar[];
}

export type BatchResult = { id: number; records: Array<[string, FileRecord]> } | { id: number; error: string };

const port = parentPort;
if (port) {
  const parser = loadSymbolParser();
  port.on('message', (message: Batch | Preload) => {
    if ('grammars' in message) {
      void parser.then((p) => p.load(message.grammars)).catch(() => {});
      return;
    }
    const batch = message;
    void (async () => {
      try {
        const ready = await parser;
        await ready.load(batch.files.flatMap((f) => grammarFor(f.path) ?? []));
        const records = batch.files.map((f): [string, FileRecord] => [f.blob, recordFor(f.path, Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength), ready)]);
        port.postMessage({ id: batch.id, records } satisfies BatchResult);
      } catch (err) {
        port.postMessage({ id: batch.id, error: (err as Error).message } satisfies BatchResult);
      }
    })();
  });
}
