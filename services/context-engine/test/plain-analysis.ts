import type { Analysis, PatchState } from '@patchbay/context-engine';

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
