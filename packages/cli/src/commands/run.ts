import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Bus, ensureTopology, followTask, openArtifacts, submitTask } from '@patchbay/bus';
import {
  type AnyCloudEvent,
  GENERATION_MODES,
  type GenerationMode,
  type RepoRef,
  type TaskSubmitted,
  eventTypes,
  isSubjectToken,
} from '@patchbay/contracts';
import { configFor, withBus } from '../connect.js';
import { EXIT, UsageError, out } from '../output.js';
import { describeEvent } from '../progress.js';

export interface RunFlags {
  repo?: string;
  ref?: string;
  mode?: string;
  model?: string;
  description?: string;
  maxAttempts?: string;
  threshold?: string;
  id?: string;
  json?: boolean;
  timeout?: string;
  wait?: boolean;
}

export function parseMode(value: string | undefined): GenerationMode | undefined {
  if (value === undefined) return undefined;
  const normalized = value.toUpperCase().replace(/[-\s]/g, '_');
  const aliases: Record<string, GenerationMode> = { FEATURE: 'FEATURE_DEVELOPMENT', BUG: 'BUG_FIXING', BUGFIX: 'BUG_FIXING', FIX: 'BUG_FIXING', REFACTOR: 'REFACTORING', TEST: 'TESTING', TESTS: 'TESTING', DOCS: 'DOCUMENTATION', OPTIMIZE: 'OPTIMIZATION' };
  const mode = (GENERATION_MODES as readonly string[]).includes(normalized) ? (normalized as GenerationMode) : aliases[normalized];
  if (!mode) throw new UsageError(`--mode ${value} is not a mode; use one of ${GENERATION_MODES.join(', ')}`);
  return mode;
}

export function parseNumber(flag: string, value: string | undefined, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} ${value} is not ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`);
  }
  return n;
}

/** A local path becomes absolute and must be a git repository; anything URL-shaped passes through. */
export function resolveRepo(value: string | undefined, ref: string | undefined): RepoRef {
  if (value === undefined || value === '') throw new UsageError('--repo <path|url> is required');
  const looksRemote = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^[^/]+@[^:]+:/.test(value);
  if (looksRemote) return { url: value, ...(ref ? { ref } : {}) };
  const path = resolve(value);
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new UsageError(`--repo ${value}: no such directory`);
  if (!existsSync(resolve(path, '.git'))) throw new UsageError(`--repo ${value}: not a git repository (no .git)`);
  return { url: path, ...(ref ? { ref } : {}) };
}

export function buildSubmission(title: string, flags: RunFlags): { task: TaskSubmitted; id?: string } {
  if (title.trim() === '') throw new UsageError('the task title is empty');
  if (flags.id !== undefined && !isSubjectToken(flags.id)) throw new UsageError(`--id ${flags.id}: use 1-128 letters, digits, "-" or "_"`);
  const mode = parseMode(flags.mode);
  const maxAttempts = parseNumber('--max-attempts', flags.maxAttempts, 1, 20, true);
  const qualityThreshold = parseNumber('--threshold', flags.threshold, 0, 1, false);
  const constraints = {
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...(qualityThreshold !== undefined ? { qualityThreshold } : {}),
  };
  const task: TaskSubmitted = {
    title,
    repo: resolveRepo(flags.repo, flags.ref),
    ...(flags.description ? { description: flags.description } : {}),
    ...(mode ? { mode } : {}),
    ...(flags.model ? { model: flags.model } : {}),
    ...(Object.keys(constraints).length ? { constraints } : {}),
  };
  return { task, ...(flags.id ? { id: flags.id } : {}) };
}

export interface Followed {
  id: string;
  terminal?: AnyCloudEvent;
  report?: string;
}

/** Submits a task and prints its events as they happen until it ends (or the timeout). */
export async function submitAndFollow(
  bus: Bus,
  publish: () => Promise<string>,
  options: { timeoutMs: number; print: (line: string) => void; quiet?: boolean },
): Promise<Followed> {
  await ensureTopology(bus);
  const id = await publish();
  let terminal: AnyCloudEvent | undefined;
  let seen = 0;
  let lastProgress = 0;
  const follow = await followTask(bus, id, (event) => {
    seen += 1;
    if (event.type === eventTypes.taskProgress) {
      if (Date.now() - lastProgress < 2_000) return;
      lastProgress = Date.now();
    }
    const line = options.quiet ? null : describeEvent(event);
    if (line) options.print(line);
    if (event.type === eventTypes.taskCompleted || event.type === eventTypes.taskFailed || event.type === eventTypes.taskEscalated) terminal = event;
  });
  const hint = setTimeout(() => {
    if (seen === 0) options.print('  (no service has picked the task up yet: is `patchbay up` running against this NATS server?)');
  }, 15_000);
  const timer = new Promise<'timeout'>((resolveTimeout) => setTimeout(() => resolveTimeout('timeout'), options.timeoutMs).unref());
  const outcome = await Promise.race([follow.done.then(() => 'done' as const), timer]);
  clearTimeout(hint);
  if (outcome === 'timeout') {
    // The caller's exit code says "failed"; the task itself is not touched.
    await follow.stop();
    options.print(`timed out after ${Math.round(options.timeoutMs / 1_000)} s; the task goes on: patchbay events ${id}`);
    return { id };
  }
  const reportRef =
    terminal && (terminal.type === eventTypes.taskCompleted || terminal.type === eventTypes.taskFailed) ? terminal.data.reportRef : undefined;
  const report = reportRef ? await (await openArtifacts(bus)).getText(reportRef).catch(() => undefined) : undefined;
  return { id, ...(terminal ? { terminal } : {}), ...(report ? { report } : {}) };
}

export function exitCodeFor(terminal: AnyCloudEvent | undefined): number {
  if (terminal?.type === eventTypes.taskCompleted) return EXIT.ok;
  if (terminal?.type === eventTypes.taskEscalated) return EXIT.escalated;
  return EXIT.failed;
}

export async function runCommand(title: string, flags: RunFlags): Promise<number> {
  const submission = buildSubmission(title, flags);
  const timeoutSeconds = parseNumber('--timeout', flags.timeout, 1, 7 * 24 * 3600, false) ?? 1_800;
  const config = configFor();
  return withBus(config, async (bus) => {
    if (flags.wait === false) {
      await ensureTopology(bus);
      const id = await submitTask(bus, submission.task, { source: 'patchbay/cli', ...(submission.id ? { id: submission.id } : {}) });
      out(flags.json ? JSON.stringify({ id }) : id);
      return EXIT.ok;
    }
    const print = flags.json ? () => {} : out;
    const result = await submitAndFollow(
      bus,
      async () => {
        const id = await submitTask(bus, submission.task, { source: 'patchbay/cli', ...(submission.id ? { id: submission.id } : {}) });
        print(`task ${id} submitted: "${submission.task.title}" on ${submission.task.repo.url}`);
        return id;
      },
      { timeoutMs: timeoutSeconds * 1_000, print },
    );
    if (flags.json) {
      out(JSON.stringify({ id: result.id, ...(result.terminal ? { result: result.terminal } : {}) }, null, 2));
    } else if (result.report) {
      out('');
      out(result.report.trimEnd());
    }
    return exitCodeFor(result.terminal);
  });
}
