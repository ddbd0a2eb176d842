import { join } from 'node:path';
import { type Bus, connectBus, ensureTopology, openBoard } from '@patchbay/bus';
import { mapTokenBudget } from '@patchbay/config';
import {
  type ContextCache,
  type RepoSource,
  commitSource,
  contextForTask,
  loadSymbolParser,
  memoryContextCache,
  openContextCache,
  renderContextText,
  workingTreeSource,
} from '@patchbay/context-engine';
import { createGitWorkspace } from '@patchbay/workspace';
import { configFor } from '../connect.js';
import { EXIT, err, out } from '../output.js';
import { parseNumber, resolveRepo } from './run.js';

export interface ContextFlags {
  repo?: string;
  ref?: string;
  task?: string;
  budget?: string;
  json?: boolean;
}

/**
 * What the model would be told about a repository for a task: the facts and the repo map.
 * Runs the analysis in this process, sharing the engine's cache and board when NATS answers.
 */
export async function contextCommand(flags: ContextFlags): Promise<number> {
  const repo = resolveRepo(flags.repo, flags.ref);
  const config = configFor();
  const budget = parseNumber('--budget', flags.budget, 1, 10_000_000, true) ?? mapTokenBudget(config);
  const title = flags.task?.trim() || 'Describe the repository';

  let bus: Bus | undefined;
  try {
    bus = await connectBus({ url: config.nats.url, name: 'patchbay-cli-context', timeoutMs: 1_500 });
    await ensureTopology(bus);
  } catch {
    await bus?.drain();
    bus = undefined;
    err(`patchbay: no NATS at ${config.nats.url}; analysing without the shared cache`);
  }
  try {
    const cache: ContextCache = bus ? await openContextCache(bus) : memoryContextCache();
    const local = repo.ref === undefined && !/^[a-z][a-z0-9+.-]*:\/\/|^[^/]+@[^:]+:/i.test(repo.url);
    let source: RepoSource;
    if (local) {
      const indexName = `dirty:${repo.url}`;
      source = workingTreeSource(repo.url, {
        maxFileBytes: config.context.maxFileBytes,
        ttlMs: config.context.dirtyTtlMs,
        loadIndex: () => cache.getPointer(indexName),
        saveIndex: (index) => cache.putPointer(indexName, index),
        // Where the engine keeps its copy of the repository's git index (untracked cache included).
        stateDir: join(config.workdir, 'context-engine', 'index'),
      });
    } else {
      const git = createGitWorkspace(join(config.workdir, 'cli'));
      source = commitSource(git, repo.url, await git.resolveCommit(repo.url, repo.ref));
    }
    const { context } = await contextForTask(
      source,
      { title, mapBudget: budget, fileBudgetChars: config.context.fileBudgetChars, knownSecrets: config.knownSecrets },
      { cache, parser: loadSymbolParser, maxFileBytes: config.context.maxFileBytes, board: bus ? openBoard(bus) : undefined },
    );
    out(flags.json ? JSON.stringify(context, null, 2) : renderContextText(context));
    return EXIT.ok;
  } finally {
    await bus?.drain();
  }
}
