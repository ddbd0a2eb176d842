import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import type { Artifacts, Board } from '@patchbay/bus';
import { eventTypes, queueGroups, subjects } from '@patchbay/contracts';
import { InputError, NotFoundError, PatchbayError } from '@patchbay/errors';
import type { Responder } from '@patchbay/runtime';
import { runGit } from '@patchbay/workspace';
import { rootHolding } from '../domain/local-roots.js';
import type { ContextCache } from '../engine/cache.js';
import { contextForTask } from '../engine/context-for-task.js';
import type { CheckoutWatch } from '../engine/checkout-watch.js';
import { keepRecent } from '../engine/recent.js';
import { checkoutSource } from '../engine/source.js';
import type { SymbolParser } from '../parsing/tree-sitter.js';

export interface ContextQueryDeps {
  artifacts: Artifacts;
  board: Board;
  cache: ContextCache;
  parser: () => Promise<SymbolParser>;
  /** Directories whose checkouts may be read (context.localRoots). */
  localRoots: readonly string[];
  workdir: string;
  budgetChars: number;
  maxFileBytes: number;
  dirtyTtlMs: number;
  knownSecrets: readonly string[];
  /** Names this instance in answers. */
  servedBy: string;
  /** Tells, without git, that a checkout asked about before has not changed. */
  watch?: CheckoutWatch | undefined;
  /** Where queries come: the shared subject and queue group unless told (a checkout's own engine). */
  on?: { subject: string; queue: string };
}

const realOrNone = (path: string) => realpath(path).catch(() => undefined);

/** Real paths found to be a checkout's top level: asked of git once (HEAD is compared on every query, without git). */
const topLevels = new Map<string, true>();

/** The checkout a query names, once it is known to be one this instance may read. */
async function checkoutFor(path: string, roots: readonly string[]): Promise<string> {
  const allowed = (await Promise.all(roots.map(realOrNone))).filter((r): r is string => r !== undefined);
  if (allowed.length === 0) {
    throw new PatchbayError('FORBIDDEN', 'this context engine reads no local checkouts (set PATCHBAY_CONTEXT_LOCAL_ROOTS to the directories it may read)');
  }
  const real = await realOrNone(path);
  if (real === undefined) throw new NotFoundError(`${path} does not exist on the context engine's machine`);
  if (rootHolding(real, allowed) === undefined) {
    throw new PatchbayError('FORBIDDEN', `${path} is outside the directories this context engine may read (PATCHBAY_CONTEXT_LOCAL_ROOTS: ${roots.join(':')})`);
  }
  if (!topLevels.has(real)) {
    const r = await runGit(real, ['rev-parse', '--show-toplevel']);
    const top = r.stdout.toString('utf8').trim();
    if (r.exitCode !== 0 || (await realOrNone(top)) !== real) throw new InputError(`${path} is not the top-level directory of a git checkout`);
    keepRecent(topLevels, real, true, 256);
  }
  return real;
}

/** Answers `patchbay context` for a checkout on this machine, from this (warm) instance and the shared cache. */
export function createContextQueryResponder(deps: ContextQueryDeps): Responder<typeof eventTypes.contextQuery, typeof eventTypes.contextAnswer> {
  return {
    subject: deps.on?.subject ?? subjects.contextQuery,
    queue: deps.on?.queue ?? queueGroups.contextQuery,
    request: eventTypes.contextQuery,
    answer: eventTypes.contextAnswer,
    async handle(event, ctx) {
      const { path, head, title, description, mapBudget } = event.data;
      const dir = await checkoutFor(path, deps.localRoots);
      const source = checkoutSource(dir, { cache: deps.cache, workdir: deps.workdir, maxFileBytes: deps.maxFileBytes, ttlMs: deps.dirtyTtlMs, watch: deps.watch });
      // The same HEAD as the asker, or it looks at another checkout (the identity is the analysis's own first step, told by the watch when nothing changed).
      const { commit } = await source.identify();
      if (commit !== head) throw new InputError(`the context engine sees another checkout at ${path} (HEAD ${commit === '(no commits)' ? 'none' : commit}, not ${head})`);
      const { context, stored } = await contextForTask(
        source,
        { title, description, mapBudget, fileBudgetChars: deps.budgetChars, knownSecrets: deps.knownSecrets },
        // The board is read, not written: a working tree's facts are not facts of a commit.
        { cache: deps.cache, parser: deps.parser, maxFileBytes: deps.maxFileBytes, log: ctx.log, board: deps.board, storeBehind: true },
      );
      ctx.waitFor(stored);
      const json = JSON.stringify(context);
      // Named by content: asking the same again stores nothing new.
      const contextRef = await deps.artifacts.put(`context/query/${createHash('sha256').update(json).digest('hex').slice(0, 32)}.json`, json);
      ctx.log.info({ path: dir, cache: context.cache, mapTokens: context.repoMap.tokens }, 'context query answered');
      return { ok: true, contextRef, servedBy: deps.servedBy };
    },
    failed: (error) => ({ ok: false, error }),
    close: async () => deps.watch?.close(),
  };
}
