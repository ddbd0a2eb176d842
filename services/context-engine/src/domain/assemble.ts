import type { CompleteRepoContext } from '@patchbay/contracts';
import { redactSecrets } from '@patchbay/secrets';
import type { Analysis } from './analysis.js';
import { isCode } from './languages.js';
import type { Ranking } from './ranking.js';
import type { LeftOut } from './repo-map.js';
import { taskContext } from './task-context.js';

const MAX_LISTED_FILES = 2_000;
const MAX_SKIPPED = 50;
/** Files whose content is considered for `relevant`, best ranked first. */
export const RELEVANT_CANDIDATES = 40;

export interface Candidate {
  path: string;
  reason: string;
}

/** The ranked files worth reading for `relevant`: those the task touches, then code and project docs. */
export function relevantCandidates(analysis: Analysis, ranking: Ranking, limit = RELEVANT_CANDIDATES): Candidate[] {
  return ranking.files
    .filter((f) => f.tier < 3 || isCode(analysis.files[f.index]?.language) || /(^|\/)(readme|contributing)[^/]*$/i.test(f.path))
    .slice(0, limit)
    .map((f) => ({ path: f.path, reason: f.reason }));
}

/**
 * Offers file contents in rank order until the character budget is spent: a file is
 * skipped whole (never cut), with the reason, when it is binary, too large, or over.
 */
export function selectRelevant(
  candidates: readonly Candidate[],
  text: (path: string) => string | undefined,
  budgetChars: number,
  knownSecrets: readonly string[],
): { relevant: CompleteRepoContext['relevant']; skipped: CompleteRepoContext['skipped'] } {
  const relevant: CompleteRepoContext['relevant'] = [];
  const skipped: CompleteRepoContext['skipped'] = [];
  let used = 0;
  for (const c of candidates) {
    const raw = text(c.path);
    if (raw === undefined) {
      skipped.push({ path: c.path, reason: 'binary or unreadable' });
      continue;
    }
    // Measured after masking: "[REDACTED]" can be longer than the secret it replaces.
    const content = redactSecrets(raw, { knownSecrets });
    if (content.length > budgetChars / 2) {
      skipped.push({ path: c.path, reason: `too large (${content.length} chars) for the budget` });
      continue;
    }
    if (used + content.length > budgetChars) {
      skipped.push({ path: c.path, reason: 'over the context budget' });
      continue;
    }
    used += content.length;
    relevant.push({ path: c.path, reason: c.reason, content });
  }
  return { relevant, skipped };
}

/** Facts another agent put on the board that still hold, replacing the engine's own. */
export interface BoardFacts {
  testCommand?: string;
  testFramework?: string;
  frameworks?: string[];
  fromBoard: string[];
}

export interface AssembleInput {
  analysis: Analysis;
  ranking: Ranking;
  title: string;
  description?: string | undefined;
  fileBudgetChars: number;
  knownSecrets: readonly string[];
  /** Texts of the relevant candidates (the caller reads them). */
  text(path: string): string | undefined;
  /** The repo map, rendered by the caller (it fetches the symbols of the files it shows). */
  map: { map: CompleteRepoContext['repoMap']; leftOut: LeftOut[] };
  board: BoardFacts;
  cache: CompleteRepoContext['cache'];
}

/** The context for one task: facts, the ranked repo map and file contents, each within its budget. */
export function assembleContext(input: AssembleInput): CompleteRepoContext {
  const { analysis, ranking } = input;
  const { map, leftOut: mapLeftOut } = input.map;
  const { relevant, skipped } = selectRelevant(relevantCandidates(analysis, ranking), input.text, input.fileBudgetChars, input.knownSecrets);
  const leftOut: LeftOut[] = [...mapLeftOut];
  const over = skipped.filter((s) => s.reason === 'over the context budget' || s.reason.startsWith('too large'));
  if (over.length) {
    leftOut.push({
      what: `file contents: ${over.length} file${over.length === 1 ? '' : 's'} (${over.slice(0, 5).map((s) => s.path).join(', ')}${over.length > 5 ? ', …' : ''})`,
      reason: `over the ${input.fileBudgetChars}-character file budget; they rank below the files shown`,
    });
  }
  const listed = analysis.files.slice(0, MAX_LISTED_FILES);
  if (analysis.files.length > MAX_LISTED_FILES) {
    leftOut.push({ what: `file list: ${analysis.files.length - MAX_LISTED_FILES} files`, reason: `the list stops at ${MAX_LISTED_FILES} files` });
  }
  if (skipped.length > MAX_SKIPPED) leftOut.push({ what: `skipped list: ${skipped.length - MAX_SKIPPED} entries`, reason: `the list stops at ${MAX_SKIPPED}` });
  const testCommand = input.board.testCommand ?? analysis.facts.testCommand;
  const testFramework = input.board.testCommand !== undefined ? input.board.testFramework : analysis.facts.testFramework;
  return {
    repo: analysis.repo,
    commit: analysis.commit,
    languages: analysis.languages,
    manifests: analysis.facts.manifests,
    dependencies: analysis.facts.dependencies,
    frameworks: input.board.frameworks ?? analysis.facts.frameworks,
    ...(testCommand !== undefined ? { testCommand } : {}),
    ...(testFramework !== undefined ? { testFramework } : {}),
    testDirs: analysis.testDirs,
    tooling: analysis.tooling,
    architecture: analysis.architecture,
    conventions: analysis.conventions,
    quality: analysis.quality,
    repoMap: map,
    task: taskContext(input.title, input.description, { files: ranking.named, identifiers: ranking.identifiers }),
    team: analysis.team,
    files: listed.map((f) => ({ path: f.path, size: f.size, ...(f.language ? { language: f.language } : {}) })),
    filesOmitted: Math.max(0, analysis.files.length - MAX_LISTED_FILES),
    relevant,
    skipped: skipped.slice(0, MAX_SKIPPED),
    unanalysed: analysis.unanalysed.slice(0, 200),
    leftOut,
    fromBoard: [...input.board.fromBoard],
    cache: input.cache,
  };
}
