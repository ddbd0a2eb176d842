import { openArtifacts, openBoard, openChangesLog, openDebugLog, openStateStore, readStream, readTaskEvents } from '@patchbay/bus';
import { buckets, isSubjectToken, streams, subjects } from '@patchbay/contracts';
import { TaskState, reportRefFor, routeRequest } from '@patchbay/router';
import { configFor, withBus } from '../connect.js';
import { EXIT, UsageError, out } from '../output.js';
import { describeEvent } from '../progress.js';
import { parseMode, resolveRepo } from './run.js';

const ndjson = (rows: readonly unknown[]) => rows.forEach((row) => out(JSON.stringify(row)));

/** Checked before connecting, so a typo is a usage error whatever the server's state. */
function taskId(id: string): void {
  if (!isSubjectToken(id)) throw new UsageError(`"${id}" is not a task id`);
}

export function routeCommand(text: string, flags: { mode?: string }): number {
  if (text.trim() === '') throw new UsageError('nothing to route: give the request text');
  const mode = parseMode(flags.mode);
  out(JSON.stringify(routeRequest(text, mode ? { mode } : {}), null, 2));
  return EXIT.ok;
}

export async function boardCommand(flags: { repo?: string; json?: boolean }): Promise<number> {
  const repo = flags.repo === undefined ? undefined : resolveRepo(flags.repo, undefined).url;
  return withBus(configFor(), async (bus) => {
    const board = openBoard(bus);
    const entries = repo ? await board.read(repo) : await board.readAll();
    if (flags.json) out(JSON.stringify(entries, null, 2));
    else ndjson(entries.map(({ ts, agent, type, data, repo: r, commit }) => ({ ts, agent, type, data, repo: r, ...(commit ? { commit } : {}) })));
    return EXIT.ok;
  });
}

export async function changesCommand(id: string): Promise<number> {
  taskId(id);
  return withBus(configFor(), async (bus) => {
    ndjson(await openChangesLog(bus).read(id));
    return EXIT.ok;
  });
}

export async function debugLogCommand(id: string): Promise<number> {
  taskId(id);
  return withBus(configFor(), async (bus) => {
    ndjson(await openDebugLog(bus).read(id));
    return EXIT.ok;
  });
}

export async function reportCommand(id: string): Promise<number> {
  taskId(id);
  return withBus(configFor(), async (bus) => {
    const report = await (await openArtifacts(bus)).getText(reportRefFor(id)).catch(() => undefined);
    if (report === undefined) {
      out(`no report for ${id} yet (reports are written when a task ends)`);
      return EXIT.failed;
    }
    out(report.trimEnd());
    return EXIT.ok;
  });
}

export async function eventsCommand(id: string, flags: { json?: boolean }): Promise<number> {
  taskId(id);
  return withBus(configFor(), async (bus) => {
    for (const event of await readTaskEvents(bus, id)) {
      if (flags.json) out(JSON.stringify(event));
      else {
        const line = describeEvent(event);
        if (line) out(`${event.time}  ${line.trim()}`);
      }
    }
    return EXIT.ok;
  });
}

export async function statusCommand(id: string): Promise<number> {
  taskId(id);
  return withBus(configFor(), async (bus) => {
    const state = await (await openStateStore(bus, buckets.tasks, TaskState)).get(id);
    if (state === null) {
      out(`no task ${id}`);
      return EXIT.failed;
    }
    const { outbox: _outbox, ...rest } = state.value;
    out(JSON.stringify(rest, null, 2));
    return EXIT.ok;
  });
}

export async function deadLettersCommand(service: string | undefined): Promise<number> {
  if (service !== undefined) taskId(service);
  return withBus(configFor(), async (bus) => {
    const filter = service ? subjects.deadLetter(service) : streams.deadLetters.subjects[0];
    ndjson((await readStream(bus, streams.deadLetters.name, filter)).map((s) => s.event.data));
    return EXIT.ok;
  });
}
