import type { Artifacts, Board } from '@patchbay/bus';
import { eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import type { GitWorkspace } from '@patchbay/workspace';
import type { ContextCache } from '../engine/cache.js';
import { contextForTask } from '../engine/context-for-task.js';
import { commitSource } from '../engine/source.js';
import type { SymbolParser } from '../parsing/tree-sitter.js';

export interface ContextDeps {
  git: GitWorkspace;
  board: Board;
  artifacts: Artifacts;
  cache: ContextCache;
  parser: () => Promise<SymbolParser>;
  budgetChars: number;
  mapTokens: number;
  maxFileBytes: number;
  knownSecrets: readonly string[];
}

export function createContextHandler(deps: ContextDeps): Handler<typeof eventTypes.contextRequested> {
  return stageHandler('context', async (event, ctx) => {
    const { taskId, attempt, repo, title, description } = event.data;
    const commit = await deps.git.resolveCommit(repo.url, repo.ref);
    const { context, toWrite, stored } = await contextForTask(
      commitSource(deps.git, repo.url, commit),
      { title, description, mapBudget: deps.mapTokens, fileBudgetChars: deps.budgetChars, knownSecrets: deps.knownSecrets },
      // The result goes out before the analysis is stored; the message is acked after both.
      { cache: deps.cache, parser: deps.parser, maxFileBytes: deps.maxFileBytes, log: ctx.log, board: deps.board, storeBehind: true },
    );
    const contextRef = await deps.artifacts.putJson(`context/${taskId}.json`, context);

    let written = 0;
    for (const entry of toWrite) if (await deps.board.write(entry)) written += 1;

    await ctx.emit(
      subjects.workResult('context'),
      eventTypes.contextCompleted,
      {
        taskId,
        // 0 for a new task; a re-opened task asks again (for its delivered commit) with its attempt.
        attempt,
        baseCommit: commit,
        contextRef,
        summary: {
          languages: Object.fromEntries(context.languages.map((l) => [l.name, l.files])),
          manifests: context.manifests.map((m) => m.path),
          ...(context.testCommand !== undefined ? { testCommand: context.testCommand } : {}),
          fileCount: context.files.length + context.filesOmitted,
          fromBoard: context.fromBoard,
        },
      },
      { msgId: `${taskId}.context.${attempt}.result` },
    );
    ctx.log.info(
      {
        commit,
        files: context.files.length + context.filesOmitted,
        testCommand: context.testCommand,
        fromBoard: context.fromBoard,
        boardWritten: written,
        cache: context.cache,
        mapTokens: context.repoMap.tokens,
      },
      'context ready',
    );
    await stored;
  });
}
