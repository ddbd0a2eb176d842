import { type ContextCache, type RepoSource, contextForTask, loadSymbolParser, memoryContextCache, workingTreeSource } from '@patchbay/context-engine';

export const MAX_FILE_BYTES = 200_000;

/** The engine's view of a local checkout, as the CLI builds it. */
export function localSource(dir: string, cache: ContextCache, ttlMs = 60_000, now?: () => number): RepoSource {
  return workingTreeSource(dir, {
    maxFileBytes: MAX_FILE_BYTES,
    ttlMs,
    ...(now ? { now } : {}),
    loadIndex: () => cache.getPointer(`dirty:${dir}`),
    saveIndex: (index) => cache.putPointer(`dirty:${dir}`, index),
  });
}

/** The context of a checkout for a task, with a fresh (or given) cache. */
export async function contextOf(dir: string, title: string, options: { budget?: number; cache?: ContextCache; fileBudgetChars?: number } = {}) {
  const cache = options.cache ?? memoryContextCache();
  return contextForTask(
    localSource(dir, cache),
    { title, mapBudget: options.budget ?? 2_000, fileBudgetChars: options.fileBudgetChars ?? 8_000, knownSecrets: [] },
    { cache, parser: loadSymbolParser, maxFileBytes: MAX_FILE_BYTES, memo: false },
  );
}
