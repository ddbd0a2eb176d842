import type { Board } from '@patchbay/bus';
import type { BoardEntry, RepoContext } from '@patchbay/contracts';
import { assembleContext, relevantCandidates } from '../domain/assemble.js';
import { blobLookup, factEntries, fromBoard } from '../domain/board-facts.js';
import { rankFiles } from '../domain/ranking.js';
import { type AnalyzeOptions, analyzeRepository, readTexts } from './analyze.js';
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
  context: RepoContext;
  /** The engine's findings that the board does not hold yet. */
  toWrite: BoardEntry[];
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
  const { analysis, stats } = await analyzeRepository(source, options);
  const current = options.board ? await options.board.current(analysis.repo, blobLookup(analysis)) : [];
  const own = factEntries(analysis, AGENT, new Date().toISOString());
  const { facts, toWrite } = fromBoard(current, own);
  const taskText = `${request.title}\n${request.description ?? ''}`;
  const ranking = rankFiles(analysis, taskText);
  const candidates = relevantCandidates(analysis, ranking);
  const texts = await readTexts(source, analysis, candidates.map((c) => c.path));
  const context = assembleContext({
    analysis,
    ranking,
    title: request.title,
    description: request.description,
    mapBudget: request.mapBudget,
    fileBudgetChars: request.fileBudgetChars,
    knownSecrets: request.knownSecrets,
    text: (path) => texts.get(path),
    board: facts,
    cache: stats,
  });
  return { context, toWrite };
}
