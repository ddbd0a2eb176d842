import { readFile } from 'node:fs/promises';
import type { Artifacts, DebugLog } from '@patchbay/bus';
import { eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { extractFailures } from '@patchbay/test-output';
import { type GitWorkspace, applyPatch, resolveInside } from '@patchbay/workspace';
import { changedFilesOf, formHypothesis } from '../domain/hypothesis.js';

export interface DebuggerDeps {
  git: GitWorkspace;
  artifacts: Artifacts;
  debugLog: DebugLog;
  source: string;
}

/** Records the first hypothesis about an attempt's failing tests in the task's debug log. */
export function createDebugHandler(deps: DebuggerDeps): Handler<typeof eventTypes.debugRequested> {
  return stageHandler('debug', async (event, ctx) => {
    const req = event.data;
    const patch = await deps.artifacts.getText(req.diffRef);
    const changedFiles = changedFilesOf(patch);
    const located = extractFailures(req.assessment.outputExcerpt).find((f) => f.location)?.location;
    let failingLine: string | undefined;
    if (located) {
      // Line numbers refer to the attempt's version of the file, so read it with the diff applied.
      failingLine = await deps.git
        .withWorktree(req.repo.url, req.baseCommit, async (dir) => {
          await applyPatch(dir, patch);
          const content = await readFile(await resolveInside(dir, located.file), 'utf8');
          return content.split('\n')[located.line - 1];
        })
        .catch(() => undefined);
    }
    const entry = formHypothesis({ attempt: req.attempt, assessment: req.assessment, changedFiles, failingLine, now: new Date() });
    if (entry) await deps.debugLog.append(req.taskId, entry, deps.source, ctx.traceparent);
    ctx.log.info({ hypothesis: entry?.hypothesis }, 'hypothesis recorded');
    await ctx.emit(
      subjects.workResult('debug'),
      eventTypes.debugCompleted,
      { taskId: req.taskId, attempt: req.attempt, entries: entry ? 1 : 0, ...(entry ? { hypothesis: entry.hypothesis } : {}) },
      { msgId: `${req.taskId}.debug.${req.attempt}.result` },
    );
  });
}
