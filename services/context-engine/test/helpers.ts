import { type Analysis, type ContextCache, type PatchState, type RepoSource, contextForTask, loadSymbolParser, memoryContextCache, workingTreeSource } from '@patchbay/context-engine';

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

/** An analysis's name table as a plain object: name → files defining it. */
export const namesOf = (analysis: Analysis): Record<string, number[]> => Object.fromEntries([...analysis.names.entries()].map(([name, files]) => [name, [...files]]));

/** How many files use each defined name, as a plain object. */
export const usedByOf = (analysis: Analysis): Record<string, number> =>
  Object.fromEntries([...analysis.names.entries()].map(([name]) => [name, analysis.names.usedBy(name)]));

/** An analysis as plain data, everything it holds, for comparing two of them. */
export function plainAnalysis(analysis: Analysis): Record<string, unknown> {
  const { names, edges, links, ...rest } = analysis;
  return {
    ...rest,
    names: [...names.entries()].map(([name, files]) => [name, [...files], names.usedBy(name)]),
    edges: [...edges],
    links: [...links],
  };
}

/** A patch state as plain data. */
export function plainState(state: PatchState): Record<string, unknown> {
  return {
    ...state,
    positions: [...state.positions],
    refs: { names: [...state.refs.names], offsets: [...state.refs.offsets], files: [...state.refs.files] },
    probes: { names: [...state.probes.names], offsets: [...state.probes.offsets], files: [...state.probes.files] },
    lines: [...state.lines],
    commentLines: [...state.commentLines],
  };
}
