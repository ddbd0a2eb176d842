import type { RepoMap } from '@patchbay/contracts';
import type { Analysis } from './analysis.js';
import type { Ranking } from './ranking.js';
import type { SymbolDef } from './records.js';
import type { SlimRecord } from './analysis.js';

/** Tokens as the rest of patchbay counts them (about four characters each). */
export const tokensOf = (text: string) => Math.ceil(text.length / 4);

const MAX_SYMBOLS_PER_FILE = 30;
const COMPACT_SYMBOLS = 8;
const RANKED_LISTED = 30;
/** A full map stops looking down the ranking after this many files in a row did not fit. */
const MAX_MISFITS = 64;

export interface LeftOut {
  what: string;
  reason: string;
}

type UsedBy = (name: string) => number;

function priority(d: SymbolDef, usedBy: UsedBy, named: ReadonlySet<string>): number {
  return (named.has(d.name) ? 1_000_000 : 0) + (d.container === undefined ? 1_000 : 0) + (d.exported ? 500 : 0) + usedBy(d.name);
}

/** A file's block: its path, then top-level signatures in source order, each container's members under it. */
function block(path: string, defs: readonly SymbolDef[]): string {
  const lines = [`${path}:`];
  const js = /\.(m|c)?[jt]sx?$/.test(path);
  const byLine = [...defs].sort((a, b) => a.line - b.line);
  const top = byLine.filter((d) => d.container === undefined);
  const topNames = new Set(top.map((d) => d.name));
  const line = (d: SymbolDef, indent: string) =>
    `${indent}${js && d.exported && d.container === undefined && !/^export\b/.test(d.signature) ? 'export ' : ''}${d.signature}`;
  for (const d of byLine) {
    if (d.container !== undefined && topNames.has(d.container)) continue;
    lines.push(line(d, '  '));
    if (d.container === undefined) for (const m of byLine) if (m.container === d.name) lines.push(line(m, '    '));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Chooses a file's symbols by rank: named ones, top-level, exported, widely used. A member
 * comes with its container, and private top-level variables only when named.
 */
function choose(defs: readonly SymbolDef[], limit: number, usedBy: UsedBy, named: ReadonlySet<string>): SymbolDef[] {
  const eligible = defs.filter((d) => named.has(d.name) || !(d.kind === 'variable' && !d.exported));
  const ordered = [...eligible].sort((a, b) => priority(b, usedBy, named) - priority(a, usedBy, named) || a.line - b.line);
  const topLevel = new Map(defs.filter((d) => d.container === undefined).map((d) => [d.name, d]));
  const chosen = new Set<SymbolDef>();
  for (const d of ordered) {
    if (chosen.size >= limit) break;
    const parent = d.container === undefined ? undefined : topLevel.get(d.container);
    if (parent && !chosen.has(parent)) {
      if (chosen.size + 2 > limit) continue;
      chosen.add(parent);
    }
    chosen.add(d);
  }
  return [...chosen];
}

export interface RenderedMap {
  map: RepoMap;
  leftOut: LeftOut[];
}

/**
 * Renders the ranked files' signatures until the token budget is spent. A file that does
 * not fit is tried with fewer symbols, then left out and named in `leftOut`; nothing is cut
 * mid-line, and the result never exceeds the budget. Once files stop fitting, it looks at most
 * MAX_MISFITS files further down the ranking for one that still fits. Resumable: `next` goes on in rank order
 * until it meets a file whose symbols `recordOf` does not have yet, and returns the blobs of
 * the next files with symbols to fetch (none: the map is done, see `result`).
 */
export function repoMapRenderer(analysis: Analysis, ranking: Ranking, budget: number) {
  const named = new Set(ranking.identifiers);
  const counts = new Map<string, number>();
  const usedBy: UsedBy = (name) => {
    let n = counts.get(name);
    if (n === undefined) counts.set(name, (n = analysis.names.usedBy(name)));
    return n;
  };
  const maxChars = budget * 4;
  let text = '';
  let files = 0;
  let symbols = 0;
  let trimmedSymbols = 0;
  let trimmedFiles = 0;
  const omitted: string[] = [];
  let at = 0;
  let misfits = 0;
  const spent = () => maxChars - text.length < 16 || misfits >= MAX_MISFITS;
  const misfit = (path: string) => {
    omitted.push(path);
    misfits += 1;
  };

  const next = (recordOf: (blob: string) => Pick<SlimRecord, 'defs'> | undefined, batch = 64): string[] => {
    for (; at < ranking.files.length; at++) {
      const ranked = ranking.files[at] as Ranking['files'][number];
      const file = analysis.files[ranked.index];
      if (!file?.symbols) continue;
      // Not even the path and one line would fit: no need for its symbols.
      if (spent() || text.length + ranked.path.length + 6 > maxChars) {
        misfit(ranked.path);
        continue;
      }
      const record = recordOf(file.blob);
      if (!record) {
        const wanted: string[] = [];
        for (let k = at; k < ranking.files.length && wanted.length < batch; k++) {
          const r = ranking.files[k] as Ranking['files'][number];
          const f = analysis.files[r.index];
          if (f?.symbols && !recordOf(f.blob) && text.length + r.path.length + 6 <= maxChars) wanted.push(f.blob);
        }
        return wanted;
      }
      let chosen = choose(record.defs, MAX_SYMBOLS_PER_FILE, usedBy, named);
      let rendered = block(ranked.path, chosen);
      if (text.length + rendered.length > maxChars) {
        chosen = choose(record.defs.filter((d) => d.container === undefined || named.has(d.name)), COMPACT_SYMBOLS, usedBy, named);
        rendered = block(ranked.path, chosen);
      }
      if (chosen.length === 0 || text.length + rendered.length > maxChars) {
        misfit(ranked.path);
        continue;
      }
      misfits = 0;
      text += rendered;
      files += 1;
      symbols += chosen.length;
      if (chosen.length < record.defs.length) {
        trimmedSymbols += record.defs.length - chosen.length;
        trimmedFiles += 1;
      }
    }
    return [];
  };

  /** The map so far; files whose symbols were never available count as left out. */
  const result = (): RenderedMap => {
    const left = [...omitted];
    for (let k = at; k < ranking.files.length; k++) {
      const ranked = ranking.files[k] as Ranking['files'][number];
      if (analysis.files[ranked.index]?.symbols) left.push(ranked.path);
    }
    const leftOut: LeftOut[] = [];
    if (left.length) {
      leftOut.push({
        what: `repo map: ${left.length} file${left.length === 1 ? '' : 's'} (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''})`,
        reason: `over the ${budget}-token map budget; they rank below the files shown`,
      });
    }
    if (trimmedSymbols) {
      leftOut.push({
        what: `repo map: ${trimmedSymbols} lower-ranked symbol${trimmedSymbols === 1 ? '' : 's'} of ${trimmedFiles} file${trimmedFiles === 1 ? '' : 's'}`,
        reason: `a file shows at most ${MAX_SYMBOLS_PER_FILE} symbols (${COMPACT_SYMBOLS} when space runs short), best ranked first`,
      });
    }
    return {
      map: {
        text,
        tokens: tokensOf(text),
        budget,
        files,
        symbols,
        ranked: ranking.files.slice(0, RANKED_LISTED).map((f) => ({ path: f.path, rank: f.score, reason: f.reason })),
      },
      leftOut,
    };
  };
  return { next, result };
}

/** The whole map at once, from records already at hand. */
export function renderRepoMap(analysis: Analysis, ranking: Ranking, budget: number, recordOf: (blob: string) => Pick<SlimRecord, 'defs'> | undefined): RenderedMap {
  const renderer = repoMapRenderer(analysis, ranking, budget);
  // Files without a record are left out: render past them.
  renderer.next((blob) => recordOf(blob) ?? { defs: [] });
  return renderer.result();
}
