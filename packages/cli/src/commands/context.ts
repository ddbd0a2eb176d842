import { realpath } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Bus, connectBus, encodeEvent, ensureTopology, openArtifacts, openBoard } from '@patchbay/bus';
import { type Config, mapTokenBudget } from '@patchbay/config';
import { CompleteRepoContext, ContextAnswer, type ContextQuery, createEvent, eventTypes, parseEvent, subjects } from '@patchbay/contracts';
// Loaded only when this process analyses or renders: an engine's answer needs none of it.
import type { ContextCache, RepoSource } from '@patchbay/context-engine';
import { createGitWorkspace, runGit } from '@patchbay/workspace';
import { configFor } from '../connect.js';
import { EXIT, err, out } from '../output.js';
import { parseNumber, resolveRepo } from './run.js';

export interface ContextFlags {
  repo?: string;
  ref?: string;
  task?: string;
  budget?: string;
  json?: boolean;
  local?: boolean;
  timeout?: string;
}

/**
 * Asks a running context engine for a checkout's context: a warm worker with the grammars
 * loaded and the repository's analysis likely in memory answers far sooner than a new process
 * analyses. First the checkout's own engine (one `patchbay context` started), then any engine
 * that may read local checkouts. Says why not when none answers or it may not read the checkout.
 */
async function askEngine(
  bus: Bus,
  dir: string,
  query: Omit<ContextQuery, 'path' | 'head'>,
  timeoutMs: number,
): Promise<{ context: CompleteRepoContext; servedBy: string } | { why: string; noEngine?: true }> {
  const rev = await runGit(dir, ['rev-parse', '--verify', '-q', 'HEAD']);
  const head = rev.stdout.toString('utf8').trim();
  if (rev.exitCode !== 0 || head === '') return { why: 'the checkout has no commit yet' };
  const request = encodeEvent(createEvent(eventTypes.contextQuery, { ...query, path: dir, head }, { source: 'patchbay/cli' }));
  let reply;
  for (const subject of [subjects.checkoutContextQuery(hostname(), dir), subjects.contextQuery]) {
    try {
      reply = await bus.nc.request(subject, request, { timeout: timeoutMs });
      break;
    } catch (error) {
      const e = error as { isNoResponders?: () => boolean; name?: string };
      if (e.isNoResponders?.()) continue;
      return { why: e.name === 'TimeoutError' ? `no answer from the context engine within ${timeoutMs / 1_000} s` : `the request failed (${(error as Error).message})` };
    }
  }
  if (reply === undefined) return { why: 'no context engine is running', noEngine: true };
  const parsed = parseEvent(reply.data);
  const answer = parsed.ok && parsed.event.type === eventTypes.contextAnswer ? ContextAnswer.safeParse(parsed.event.data) : undefined;
  if (!answer?.success) return { why: 'the context engine answered with something other than a context answer' };
  if (!answer.data.ok) return { why: `the context engine did not serve it: ${answer.data.error.message}` };
  const artifacts = await openArtifacts(bus);
  return { context: await artifacts.getJson(answer.data.contextRef, CompleteRepoContext), servedBy: answer.data.servedBy };
}

/** Starts the checkout's own engine after this process analysed it, so the next call is answered warm. */
async function startEngineFor(config: Config, checkout: string): Promise<void> {
  const { runningCheckoutEngine, startCheckoutEngine } = await import('@patchbay/context-engine');
  const running = await runningCheckoutEngine(config.workdir, checkout);
  if (running) {
    err(`patchbay: the context engine of this checkout (pid ${running.pid}) is still starting`);
    return;
  }
  const started = await startCheckoutEngine(config.workdir, checkout);
  const minutes = Math.round(config.context.engineIdleMs / 60_000);
  err(
    `patchbay: started a context engine for this checkout in the background (pid ${started.pid}, log ${started.log}); ` +
      `it exits after ${minutes >= 1 ? `${minutes} min` : `${config.context.engineIdleMs} ms`} without a request (PATCHBAY_CONTEXT_START_ENGINE=false: never start one)`,
  );
}

/** The analysis in this process, sharing the engine's cache and board when NATS answers. */
async function analyseHere(
  bus: Bus | undefined,
  config: Config,
  repo: { url: string; ref?: string | undefined },
  local: boolean,
  title: string,
  budget: number,
): Promise<{ context: CompleteRepoContext; stored: Promise<void> }> {
  const { checkoutSource, commitSource, contextForTask, loadSymbolParser, memoryContextCache, openContextCache } = await import('@patchbay/context-engine');
  const cache: ContextCache = bus ? await openContextCache(bus) : memoryContextCache();
  let source: RepoSource;
  if (local) {
    source = checkoutSource(repo.url, { cache, workdir: config.workdir, maxFileBytes: config.context.maxFileBytes, ttlMs: config.context.dirtyTtlMs });
  } else {
    const git = createGitWorkspace(join(config.workdir, 'cli'));
    source = commitSource(git, repo.url, await git.resolveCommit(repo.url, repo.ref));
  }
  return contextForTask(
    source,
    { title, mapBudget: budget, fileBudgetChars: config.context.fileBudgetChars, knownSecrets: config.knownSecrets },
    { cache, parser: loadSymbolParser, maxFileBytes: config.context.maxFileBytes, board: bus ? openBoard(bus) : undefined, storeBehind: true },
  );
}

/**
 * What the model would be told about a repository for a task: the facts and the repo map.
 * A local checkout is served by a running context engine when one may read it, else
 * analysed in this process.
 */
export async function contextCommand(flags: ContextFlags): Promise<number> {
  const repo = resolveRepo(flags.repo, flags.ref);
  const config = configFor();
  const budget = parseNumber('--budget', flags.budget, 1, 10_000_000, true) ?? mapTokenBudget(config);
  const timeoutMs = (parseNumber('--timeout', flags.timeout, 1, 86_400, false) ?? 300) * 1_000;
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
    const local = repo.ref === undefined && !/^[a-z][a-z0-9+.-]*:\/\/|^[^/]+@[^:]+:/i.test(repo.url);
    // By its real path, so that this process and a running engine name the checkout alike.
    if (local) repo.url = await realpath(repo.url);
    let context: CompleteRepoContext | undefined;
    let stored: Promise<void> | undefined;
    let noEngine = false;
    if (local && bus && !flags.local) {
      const asked = await askEngine(bus, repo.url, { title, mapBudget: budget }, timeoutMs);
      if ('context' in asked) {
        context = asked.context;
        err(`patchbay: context from the ${asked.servedBy}`);
      } else {
        noEngine = asked.noEngine === true;
        err(`patchbay: ${asked.why}; analysing here`);
      }
    }
    if (context === undefined) ({ context, stored } = await analyseHere(bus, config, repo, local, title, budget));
    out(flags.json ? JSON.stringify(context, null, 2) : (await import('@patchbay/context-engine')).renderContextText(context));
    // Printed first; the process ends once the analysis is in the shared cache.
    await stored;
    // After the analysis, so the new engine neither competes with it nor misses what it stored.
    if (noEngine && config.context.startEngine) await startEngineFor(config, repo.url);
    return EXIT.ok;
  } finally {
    await bus?.drain();
  }
}
