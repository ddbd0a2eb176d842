import type { Board } from '@patchbay/bus';
import type { BoardEntry, CompleteRepoContext } from '@patchbay/contracts';
import { assembleContext, relevantCandidates } from '../domain/assemble.js';
import { blobLookup, factEntries, fromBoard } from '../domain/board-facts.js';
import type { Analysis, SlimRecord } from '../domain/analysis.js';
import { type Ranking, rankFiles } from '../domain/ranking.js';
import { repoMapRenderer } from '../domain/repo-map.js';
import { type AnalyzeOptions, analyzeRepository, readTexts, recordsFor } from './analyze.js';
import type { RepoSource } from './source.js';

export const AGENT = 'context-engine';

export interface TaskRequest {
  title: string;
  description?: string | undefined;
  mapBudget: number;
  fileBudgetChars: number;
  knownSecrets: readonly string[];
}

export interface TaskContextResult {
  context: CompleteRepoContext;
  /** The engine's findings that the board does not hold yet. */
  toWrite: BoardEntry[];
  /** The analysis is in the shared cache (see AnalyzeOptions.storeBehind). */
  stored: Promise<void>;
}

/**
 * Everything one task needs: the board first (what still holds is taken from it), the
 * analysis (cached by content), then ranking, repo map and file contents within budget.
 */
export async function contextForTask(
  source: RepoSource,
  request: TaskRequest,
  options: AnalyzeOptions & { board?: Pick<Board, 'current'> | undefined },
): Promise<TaskContextResult> {
  const { analysis, stats, stored } = await analyzeRepository(source, options);
  const current = options.board ? await options.board.current(analysis.repo, blobLookup(analysis)) : [];
  const own = factEntries(analysis, AGENT, new Date().toISOString());
  const { facts, toWrite } = fromBoard(current, own);
  const taskText = `${request.title}\n${request.description ?? ''}`;
  const ranking = rankFiles(analysis, taskText);
  const candidates = relevantCandidates(analysis, ranking);
  const [texts, map] = await Promise.all([readTexts(source, analysis, candidates.map((c) => c.path)), repoMap(analysis, ranking, request.mapBudget, options.cache)]);
  const context = assembleContext({
    analysis,
    ranking,
    title: request.title,
    description: request.description,
    map,
    fileBudgetChars: request.fileBudgetChars,
    knownSecrets: request.knownSecrets,
    text: (path) => texts.get(path),
    board: facts,
    cache: stats,
  });
  return { context, toWrite, stored };
}

/** Renders the map, fetching the symbols of the best-ranked files batch by batch until the budget is spent. */
async function repoMap(analysis: Analysis, ranking: Ranking, budget: number, cache: AnalyzeOptions['cache']) {
  const renderer = repoMapRenderer(analysis, ranking, budget);
  const records = new Map<string, Pick<SlimRecord, 'defs'>>();
  for (;;) {
    const wanted = renderer.next((blob) => records.get(blob));
    if (wanted.length === 0) return renderer.result();
    const fetched = await recordsFor(cache, wanted);
    // A record the cache does not have leaves its file out of the map, as one that does not fit.
    for (const blob of wanted) records.set(blob, fetched.get(blob) ?? { defs: [] });
  }
}
