import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Bus, openBoard } from '@patchbay/bus';
import { mapTokenBudget } from '@patchbay/config';
import { eventTypes } from '@patchbay/contracts';
import type { ServiceDefinition } from '@patchbay/runtime';
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

/** Analyses the target repository (cached by content, shared by all instances) and shares what it finds on the discovery board. */
export const contextEngineService: ServiceDefinition = {
  name: 'context-engine',
  async createHandlers({ bus, artifacts, config, log }) {
    // Loaded here: tools that only analyse (`patchbay context`) import this package without the service runtime.
    const { createContextHandler } = await import('./handlers/context-request.js');
    const { warmUpParser } = await import('./parsing/warm-up.js');
    // In the background: a request that comes first is served meanwhile (and waits for the grammar it would load anyway).
    if (config.context.warmUp) void warmUpParser().catch((err: unknown) => log.warn({ err }, 'parser warm-up failed'));
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
  async createResponders({ bus, artifacts, config, log }) {
    const { createContextQueryResponder } = await import('./handlers/context-query.js');
    const { checkoutWatches } = await import('./engine/checkout-watch.js');
    return [
      createContextQueryResponder({
        artifacts,
        board: openBoard(bus),
        cache: await cacheFor(bus),
        parser: loadSymbolParser,
        localRoots: config.context.localRoots,
        workdir: config.workdir,
        budgetChars: config.context.fileBudgetChars,
        maxFileBytes: config.context.maxFileBytes,
        dirtyTtlMs: config.context.dirtyTtlMs,
        knownSecrets: config.knownSecrets,
        servedBy: `context-engine on ${hostname()} (pid ${process.pid})`,
        // Only a configured engine reads checkouts, so only it watches them.
        watch: config.context.localRoots.length ? checkoutWatches({ max: 8, log }) : undefined,
      }),
    ];
  },
};
