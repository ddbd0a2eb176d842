import type { RepoMap } from '@patchbay/contracts';
import type { Analysis } from './analysis.js';
import type { Ranking } from './ranking.js';
import type { SymbolDef } from './records.js';
import { type SlimRecord, own } from './analysis.js';

/** Tokens as the rest of patchbay counts them (about four characters each). */
export const tokensOf = (text: string) => Math.ceil(text.length / 4);

const MAX_SYMBOLS_PER_FILE = 30;
const COMPACT_SYMBOLS = 8;
const RANKED_LISTED = 30;

export interface LeftOut {
  what: string;
  reason: string;
}

function priority(d: SymbolDef, usedBy: Record<string, number>, named: ReadonlySet<string>): number {
  return (named.has(d.name) ? 1_000_000 : 0) + (d.container === undefined ? 1_000 : 0) + (d.exported ? 500 : 0) + (own(usedBy, d.name) ?? 0);
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
function choose(defs: readonly SymbolDef[], limit: number, usedBy: Record<string, number>, named: ReadonlySet<string>): SymbolDef[] {
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

/**
 * Renders the ranked files' signatures until the token budget is spent. A file that does
 * not fit is tried with fewer symbols, then left out and named in `leftOut`; nothing is cut
 * mid-line, and the result never exceeds the budget.
 */
export function renderRepoMap(
  analysis: Analysis,
  ranking: Ranking,
  budget: number,
  recordOf: (blob: string) => Pick<SlimRecord, 'defs'> | undefined,
): { map: RepoMap; leftOut: LeftOut[]; complete: boolean } {
  const named = new Set(ranking.identifiers);
  const maxChars = budget * 4;
  let text = '';
  let files = 0;
  let symbols = 0;
  let trimmedSymbols = 0;
  let trimmedFiles = 0;
  const omitted: string[] = [];
  let complete = true;
  for (const ranked of ranking.files) {
    const file = analysis.files[ranked.index];
    if (!file?.symbols) continue;
    const record = recordOf(file.blob);
    if (!record) {
      // Not fetched: the caller fetches more and renders again, unless the budget is already spent.
      if (maxChars - text.length >= 16) complete = false;
      omitted.push(ranked.path);
      continue;
    }
    if (maxChars - text.length < 16) {
      omitted.push(ranked.path);
      continue;
    }
    let chosen = choose(record.defs, MAX_SYMBOLS_PER_FILE, analysis.usedBy, named);
    let rendered = block(ranked.path, chosen);
    if (text.length + rendered.length > maxChars) {
      chosen = choose(record.defs.filter((d) => d.container === undefined || named.has(d.name)), COMPACT_SYMBOLS, analysis.usedBy, named);
      rendered = block(ranked.path, chosen);
    }
    if (chosen.length === 0 || text.length + rendered.length > maxChars) {
      omitted.push(ranked.path);
      continue;
    }
    text += rendered;
    files += 1;
    symbols += chosen.length;
    if (chosen.length < record.defs.length) {
      trimmedSymbols += record.defs.length - chosen.length;
      trimmedFiles += 1;
    }
  }
  const leftOut: LeftOut[] = [];
  if (omitted.length) {
    leftOut.push({
      what: `repo map: ${omitted.length} file${omitted.length === 1 ? '' : 's'} (${omitted.slice(0, 5).join(', ')}${omitted.length > 5 ? ', …' : ''})`,
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
    complete,
  };
}
