import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifacts } from '@patchbay/bus';
import { eventTypes, subjects } from '@patchbay/contracts';
import { type Handler, stageHandler } from '@patchbay/runtime';
import { redactSecrets } from '@patchbay/secrets';
import { withSpan } from '@patchbay/telemetry';
import { type GitWorkspace, type SandboxResult, applyPatch, runSandboxed } from '@patchbay/workspace';
import { scoreAttempt } from '../domain/scoring.js';
import { summarizeTestOutput } from '@patchbay/test-output';

export interface AssessorDeps {
  git: GitWorkspace;
  artifacts: Artifacts;
  scratchRoot: string;
  testTimeoutMs: number;
  outputLimitBytes: number;
  sandboxEnv: Readonly<Record<string, string>>;
  knownSecrets: readonly string[];
}

const EXCERPT_CHARS = 4_000;

/** Applies the candidate diff to a fresh worktree, runs the repository's tests in the sandbox, and scores it. */
export function createAssessmentHandler(deps: AssessorDeps): Handler<typeof eventTypes.assessmentRequested> {
  return stageHandler('assessment', async (event, ctx) => {
    const req = event.data;
    const patch = await deps.artifacts.getText(req.diffRef);
    const scratchDir = join(deps.scratchRoot, `${req.taskId}-${req.attempt}-${randomBytes(3).toString('hex')}`);
    let run: SandboxResult | null;
    try {
      run = await deps.git.withWorktree(req.repo.url, req.baseCommit, async (dir) => {
        await applyPatch(dir, patch);
        if (req.testCommand === undefined) return null;
        const command = req.testCommand;
        return withSpan('tests.run', { 'test.command': command }, () =>
          runSandboxed({
            command,
            cwd: dir,
            timeoutMs: deps.testTimeoutMs,
            maxOutputBytes: deps.outputLimitBytes,
            env: deps.sandboxEnv,
            scratchDir,
            signal: ctx.signal,
          }),
        );
      });
    } finally {
      await rm(scratchDir, { recursive: true, force: true });
    }

    const output = run ? redactSecrets(run.output, { knownSecrets: deps.knownSecrets }) : '';
    const summary = summarizeTestOutput(output);
    const { scores, score, passed } = scoreAttempt(
      { ran: run !== null, exitCode: run?.exitCode ?? null, timedOut: run?.timedOut ?? false, summary },
      req.qualityThreshold,
    );
    const outputRef = run ? await deps.artifacts.put(`outputs/${req.taskId}/${req.attempt}.log`, output) : undefined;
    const assessment = {
      attempt: req.attempt,
      passed,
      score,
      threshold: req.qualityThreshold,
      scores,
      tests: run
        ? {
            command: req.testCommand ?? '',
            exitCode: run.exitCode,
            timedOut: run.timedOut,
            durationMs: run.durationMs,
            ...(summary.passed !== undefined ? { passed: summary.passed } : {}),
            ...(summary.failed !== undefined ? { failed: summary.failed } : {}),
          }
        : null,
      failingTests: summary.failingTests,
      outputExcerpt: run ? output.slice(-EXCERPT_CHARS) : 'No test command was found for this repository.',
      ...(outputRef ? { outputRef } : {}),
      isolated: run?.isolated ?? false,
    };
    ctx.log.info({ passed, score, exitCode: run?.exitCode, failing: summary.failingTests.length }, 'attempt assessed');
    await ctx.emit(
      subjects.workResult('assessment'),
      eventTypes.assessmentCompleted,
      { taskId: req.taskId, attempt: req.attempt, assessment },
      { msgId: `${req.taskId}.assessment.${req.attempt}.result` },
    );
  });
}
