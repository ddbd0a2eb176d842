import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Bus, openBoard } from '@patchbay/bus';
import { mapTokenBudget } from '@patchbay/config';
import { eventTypes, queueGroups, subjects } from '@patchbay/contracts';
import type { Responder, ServiceContext, ServiceDefinition } from '@patchbay/runtime';
import { createGitWorkspace } from '@patchbay/workspace';
import { type ContextCache, openContextCache } from './engine/cache.js';
import { loadSymbolParser } from './parsing/tree-sitter.js';

/** One handle on the shared cache per connection, for the stage handler and the query responder alike. */
const caches = new WeakMap<Bus, Promise<ContextCache>>();
function cacheFor(bus: Bus): Promise<ContextCache> {
  let cache = caches.get(bus);
  if (!cache) {
    cache = openContextCache(bus);
    caches.set(bus, cache);
  }
  return cache;
}

/**
 * Before the service takes requests (about a second): its first one then finds the code
 * compiled, the grammars loaded and a parsing thread idle, as a worker that has served before.
 */
async function warmUp({ config, log }: ServiceContext): Promise<void> {
  if (!config.context.warmUp) return;
  const { rehearse } = await import('./engine/rehearsal.js');
  const started = performance.now();
  try {
    await rehearse({ workdir: join(config.workdir, 'context-engine'), parser: loadSymbolParser, maxFileBytes: config.context.maxFileBytes });
    log.info({ ms: Math.round(performance.now() - started) }, 'warmed up on a made-up repository');
  } catch (err) {
    log.warn({ err }, 'warm-up failed; serving cold');
  }
}

/**
 * Brings the checkout's analysis into memory before the first query (from the shared cache,
 * which the CLI that started this engine has just filled), so that query costs a lookup.
 */
async function prime({ bus, config, log }: ServiceContext, checkout: string): Promise<void> {
  const { analyzeRepository } = await import('./engine/analyze.js');
  const { checkoutSource } = await import('./engine/source.js');
  const started = performance.now();
  const cache = await cacheFor(bus);
  try {
    const source = checkoutSource(checkout, { cache, workdir: config.workdir, maxFileBytes: config.context.maxFileBytes, ttlMs: config.context.dirtyTtlMs });
    const { stats, stored } = await analyzeRepository(source, { cache, parser: loadSymbolParser, maxFileBytes: config.context.maxFileBytes, log, keepPatchState: true });
    await stored;
    log.info({ ms: Math.round(performance.now() - started), analysis: stats.analysis }, 'the checkout is in memory');
  } catch (err) {
    log.warn({ err }, 'could not read the checkout ahead of its first query');
  }
}

/** Answers `patchbay context` for checkouts under `localRoots`, on the shared subject unless told. */
async function queryResponder(
  { bus, artifacts, config, log }: ServiceContext,
  localRoots: readonly string[],
  servedBy: string,
  on?: { subject: string; queue: string },
): Promise<Responder> {
  const { createContextQueryResponder } = await import('./handlers/context-query.js');
  const { checkoutWatches } = await import('./engine/checkout-watch.js');
  return createContextQueryResponder({
    artifacts,
    board: openBoard(bus),
    cache: await cacheFor(bus),
    parser: loadSymbolParser,
    localRoots,
    workdir: config.workdir,
    budgetChars: config.context.fileBudgetChars,
    maxFileBytes: config.context.maxFileBytes,
    dirtyTtlMs: config.context.dirtyTtlMs,
    knownSecrets: config.knownSecrets,
    servedBy,
    // Only an engine that reads checkouts watches them.
    watch: localRoots.length ? checkoutWatches({ max: 8, log }) : undefined,
    ...(on ? { on } : {}),
  });
}

/** Analyses the target repository (cached by content, shared by all instances) and shares what it finds on the discovery board. */
export const contextEngineService: ServiceDefinition = {
  name: 'context-engine',
  async createHandlers(context) {
    const { bus, artifacts, config } = context;
    // Loaded here: tools that only analyse (`patchbay context`) import this package without the service runtime.
    const { createContextHandler } = await import('./handlers/context-request.js');
    await warmUp(context);
    return {
      [eventTypes.contextRequested]: createContextHandler({
        git: createGitWorkspace(join(config.workdir, 'context-engine')),
        board: openBoard(bus),
        artifacts,
        cache: await cacheFor(bus),
        parser: loadSymbolParser,
        budgetChars: config.context.fileBudgetChars,
        mapTokens: mapTokenBudget(config),
        maxFileBytes: config.context.maxFileBytes,
        knownSecrets: config.knownSecrets,
      }),
    };
  },
  async createResponders(context) {
    return [await queryResponder(context, context.config.context.localRoots, `context-engine on ${hostname()} (pid ${process.pid})`)];
  },
};

/**
 * The engine `patchbay context` starts in the background for one checkout (a real path): it
 * answers only on that checkout's own subject, reads only it, and takes no pipeline work (start
 * it with `consume: false`). `onQuery` is told of every query (the idle timer).
 */
export function checkoutEngineService(checkout: string, onQuery: () => void): ServiceDefinition {
  return {
    name: 'context-engine',
    async createHandlers(context) {
      await warmUp(context);
      await prime(context, checkout);
      return {};
    },
    async createResponders(context) {
      const on = { subject: subjects.checkoutContextQuery(hostname(), checkout), queue: queueGroups.checkoutContextQuery };
      const responder = await queryResponder(context, [checkout], `context engine of this checkout (pid ${process.pid})`, on);
      return [
        {
          ...responder,
          handle(event, ctx) {
            onQuery();
            return responder.handle(event, ctx);
          },
        },
      ];
    },
  };
}
